import {describe, expect, it} from 'vitest'
import {decodeUtf8, firstInvalidByte, InvalidUtf8Error} from '../../../src/core/text-decode.js'

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))))

describe('strict UTF-8 decoding', () => {
  it('decodes valid text and keeps a BOM for the parsers to judge', () => {
    expect(decodeUtf8(bytes('a = "é ✓ 🐳"\n'))).toBe('a = "é ✓ 🐳"\n')
    expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'x'))).toBe('\uFEFFx')
  })

  it('reports the first bad byte as line and column (characters, 1-based)', () => {
    try {
      decodeUtf8(bytes('ok\n# é', [0xe9], ' latin-1\n'))
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidUtf8Error)
      const e = error as InvalidUtf8Error
      expect([e.line, e.column, e.offset]).toEqual([2, 4, 7])
      expect(e.lossy).toBe('ok\n# é\uFFFD latin-1\n')
    }
  })

  it('refuses overlongs, surrogates, code points past U+10FFFF and truncated sequences', () => {
    expect(firstInvalidByte(bytes([0xc0, 0xaf]))).toBe(0)
    expect(firstInvalidByte(bytes('ab', [0xed, 0xa0, 0x80]))).toBe(2)
    expect(firstInvalidByte(bytes([0xf4, 0x90, 0x80, 0x80]))).toBe(0)
    expect(firstInvalidByte(bytes('x', [0xe2, 0x9c]))).toBe(1)
    expect(firstInvalidByte(bytes('✓', [0xf0, 0x9f, 0x90, 0xb3]))).toBe(-1)
    for (const b of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x9c]]) expect(() => decodeUtf8(bytes(b))).toThrow(InvalidUtf8Error)
  })
})
