import {describe, expect, test} from 'vitest'
import {LineIndex} from '../../../src/core/line-index.js'

/** The definition the index must agree with: code points from the line start, 1-based. */
function reference(text: string, offset: number): {line: number; column: number} {
  const before = text.slice(0, offset)
  const lines = before.split(/\r\n|\r|\n/)
  return {line: lines.length, column: [...lines[lines.length - 1]!].length + 1}
}

describe('LineIndex.position', () => {
  test.each([
    ['plain ASCII', 'ab\ncd\r\nef\rgh'],
    ['emoji and CJK before the offset', 'a😀b\n漢字😀😀x\n'],
    ['a lone high surrogate counts as one column', 'a\ud83dxy\n😀z'],
    ['a lone low surrogate counts as one column', '\ude00\ude00b😀c'],
  ])('%s: every offset agrees with counting code points', (_name, text) => {
    const index = new LineIndex(text)
    for (let offset = 0; offset <= text.length; offset++) {
      // Offsets inside a surrogate pair or a CRLF are never asked for by the parsers; skip them.
      const code = text.charCodeAt(offset)
      if (code >= 0xdc00 && code <= 0xdfff && /[\ud800-\udbff]/.test(text[offset - 1] ?? '')) continue
      if (text[offset - 1] === '\r' && text[offset] === '\n') continue
      expect(index.position(offset), `offset ${offset}`).toEqual(reference(text, offset))
    }
  })

  test('positions on one 1 MB line (a compact daemon.json) are exact', () => {
    const text = `{"k": "${'😀'.repeat(10)}${'x'.repeat(1_000_000)}"}`
    const index = new LineIndex(text)
    for (let k = 0; k < 50_000; k++) {
      const offset = text.length - 1 - k
      expect(index.position(offset).column).toBe(offset - 10 + 1)
    }
  })
})
