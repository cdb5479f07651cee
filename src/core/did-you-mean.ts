/**
 * The candidate a mistyped name most likely meant: the same name ignoring case and `_` vs `-`,
 * or one within a small edit distance (longer names allow more edits). null when none is close.
 */
export function closest(name: string, candidates: readonly string[]): string | null {
  const norm = (s: string) => s.toLowerCase().replace(/[_\s.]/g, '-')
  const n = norm(name)
  const exact = candidates.find((c) => norm(c) === n)
  if (exact) return exact
  const limit = n.length <= 3 ? 0 : n.length <= 5 ? 1 : n.length <= 10 ? 2 : 3
  let best: string | null = null
  let bestDistance = limit + 1
  for (const c of candidates) {
    // The distance is at least the difference in length (norm keeps lengths).
    if (Math.abs(c.length - n.length) >= bestDistance) continue
    const d = editDistance(n, norm(c))
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return best
}

/**
 * Levenshtein distance with adjacent transpositions counted as one edit. Three rolling rows: a
 * file with thousands of unknown keys asks this thousands of times per candidate.
 */
function editDistance(a: string, b: string): number {
  let prev2 = new Int32Array(b.length + 1)
  let prev = new Int32Array(b.length + 1)
  let row = new Int32Array(b.length + 1)
  for (let j = 0; j <= b.length; j++) prev[j] = j
  for (let i = 1; i <= a.length; i++) {
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1)
      row[j] = v
    }
    ;[prev2, prev, row] = [prev, row, prev2]
  }
  return prev[b.length]!
}
