/**
 * Maps string offsets (UTF-16 indexes, as JavaScript strings use) to 1-based line and
 * column, where columns count characters (code points), so an emoji or a CJK character
 * before a mistake moves the column by one.
 */
export class LineIndex {
  private readonly starts: number[] = [0]
  /**
   * Offsets of the low half of each surrogate pair, in order: a column is the UTF-16 distance
   * minus the pairs before it, found by binary search, so N positions on one long line
   * (a compact daemon.json) cost O(N log N), not O(N × line length).
   */
  private readonly pairs: number[] = []

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 10) this.starts.push(i + 1)
      else if (c === 13 && text.charCodeAt(i + 1) !== 10) this.starts.push(i + 1)
      else if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
        const high = text.charCodeAt(i - 1)
        if (high >= 0xd800 && high <= 0xdbff) this.pairs.push(i)
      }
    }
  }

  /** 1-based line and character column of a UTF-16 offset. */
  position(offset: number): {line: number; column: number} {
    const at = Math.max(0, Math.min(offset, this.text.length))
    let lo = 0
    let hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.starts[mid]! <= at) lo = mid
      else hi = mid - 1
    }
    const lineStart = this.starts[lo]!
    // Pairs whose both halves lie in [lineStart, at): low half in [lineStart + 1, at).
    const pairs = countBelow(this.pairs, at) - countBelow(this.pairs, lineStart + 1)
    return {line: lo + 1, column: at - lineStart - pairs + 1}
  }

  /** Offset where a 1-based line starts. */
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line - 1, this.starts.length - 1))]!
  }

  get lineCount(): number {
    return this.starts.length
  }
}

/** How many sorted values are below `limit`. */
function countBelow(sorted: readonly number[], limit: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]! < limit) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The file's own line ending, so inserted lines match it. */
export function detectEol(text: string): '\n' | '\r\n' {
  const i = text.indexOf('\n')
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n'
}
