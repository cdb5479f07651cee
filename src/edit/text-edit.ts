import {createTwoFilesPatch} from 'diff'

/** Replace text[start, end) with `text`. Offsets are UTF-16 indexes into the original. */
export interface TextEdit {
  start: number
  end: number
  text: string
}

/**
 * Applies non-overlapping edits to the original text. Bytes outside the edited spans are
 * left exactly as they were, which is what keeps comments and layout intact.
 */
export function applyEdits(original: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end)
  let out = ''
  let at = 0
  for (const e of sorted) {
    if (e.start < at) throw new Error(`overlapping edits at offset ${e.start}`)
    out += original.slice(at, e.start) + e.text
    at = e.end
  }
  return out + original.slice(at)
}

/** A unified diff of one file's change, as `diff -u` prints it; empty when unchanged. null: no file. */
export function unifiedDiff(path: string, before: string | null, after: string | null): string {
  if (before === after) return ''
  return createTwoFilesPatch(
    before === null ? '/dev/null' : `a${path}`,
    after === null ? '/dev/null' : `b${path}`,
    before ?? '',
    after ?? '',
    undefined,
    undefined,
    {context: 3},
  )
    .split('\n')
    .slice(1) // drop the "====" header line the library adds
    .join('\n')
}
