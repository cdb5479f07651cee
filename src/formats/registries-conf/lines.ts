/** Line arithmetic for text edits that keep every untouched byte (offsets are UTF-16 indexes). */

/** End of the line holding `offset` (before its line break), so trailing comments stay on their line. */
export function lineEnd(text: string, offset: number): number {
  const n = text.indexOf('\n', offset)
  if (n === -1) return text.length
  return text[n - 1] === '\r' ? n - 1 : n
}

/** Start of the line holding `offset`. */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1
}

/** Just past the line break that ends the line holding `offset` (the text's end on the last line). */
export function nextLineStart(text: string, offset: number): number {
  const n = text.indexOf('\n', offset)
  return n === -1 ? text.length : n + 1
}

/** Start of the comment lines directly above the line at `offset` (they describe it), not above `floor`. */
export function commentsAbove(text: string, offset: number, floor = 0): number {
  let start = lineStart(text, offset)
  while (start > floor) {
    const prev = lineStart(text, start - 1)
    if (prev < floor || !/^[ \t]*#/.test(text.slice(prev, start))) break
    start = prev
  }
  return start
}

/** Only spaces and tabs between the two offsets. */
export function blank(text: string, from: number, to: number): boolean {
  return /^[ \t]*$/.test(text.slice(from, to))
}
