/** Character classes and messages of Go's encoding/json scanner, for the daemon.json parser. */

/** Go's scanner states, named as its error messages name them. */
export type Where = Context | 'in string literal' | 'in string escape code' | 'in \\u hexadecimal character escape' | 'in numeric literal'
export type Context =
  | 'looking for beginning of value'
  | 'looking for beginning of object key string'
  | 'after object key'
  | 'after object key:value pair'
  | 'after array element'
  | 'after top-level value'

/**
 * Where and how Go's scanner rejects a bad number starting at `start`: inside the literal
 * ("in numeric literal"), or at the first character after a complete number, which the
 * enclosing value then rejects (`after`).
 */
export function goNumberError(text: string, start: number, end: number, context: Context, after: Context): [number, Where] {
  const c0 = text[start]!
  if (c0 !== '-' && !isDigit(c0)) return [start, context]
  type State = 'neg' | 'zero' | 'int' | 'dot' | 'frac' | 'exp' | 'expSign' | 'expDigits'
  let state: State = c0 === '-' ? 'neg' : c0 === '0' ? 'zero' : 'int'
  for (let p = start + 1; ; p++) {
    const c = p < end ? text[p]! : undefined
    const digit = c !== undefined && isDigit(c)
    const next = ((): State | 'end' | 'bad' => {
      switch (state) {
        case 'neg':
          return c === '0' ? 'zero' : digit ? 'int' : 'bad'
        case 'zero':
          return c === '.' ? 'dot' : c === 'e' || c === 'E' ? 'exp' : 'end'
        case 'int':
          return digit ? 'int' : c === '.' ? 'dot' : c === 'e' || c === 'E' ? 'exp' : 'end'
        case 'dot':
          return digit ? 'frac' : 'bad'
        case 'frac':
          return digit ? 'frac' : c === 'e' || c === 'E' ? 'exp' : 'end'
        case 'exp':
          return c === '+' || c === '-' ? 'expSign' : digit ? 'expDigits' : 'bad'
        case 'expSign':
          return digit ? 'expDigits' : 'bad'
        case 'expDigits':
          return digit ? 'expDigits' : 'end'
      }
    })()
    if (next === 'bad') return [p, 'in numeric literal']
    if (next === 'end') return [p, after]
    state = next
  }
}

/** A string character that needs no attention: not a quote, backslash or control character. */
export function isPlain(code: number, quote: '"' | "'"): boolean {
  return code >= 0x20 && code !== 0x5c && code !== quote.charCodeAt(0)
}

export function isDigit(c: string): boolean {
  return c >= '0' && c <= '9'
}

export function isWordChar(c: string): boolean {
  return /[A-Za-z0-9_$]/.test(c)
}

/** Go's unicode.IsSpace, which bytes.TrimSpace uses (note: U+FEFF is not a space). */
export function isGoSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  )
}

/**
 * Go's quoteChar: the scanner works on bytes, so for a non-ASCII character it shows the first
 * UTF-8 byte as a Latin-1 character (a BOM shows as 'ï', a no-break space as 'Â').
 */
export function goQuote(ch: string): string {
  const cp = ch.codePointAt(0)!
  const byte = cp < 0x80 ? cp : cp < 0x800 ? 0xc0 | (cp >> 6) : cp < 0x10000 ? 0xe0 | (cp >> 12) : 0xf0 | (cp >> 18)
  if (byte === 0x27) return "'\\''"
  if (byte === 0x22) return `'"'`
  const named: Record<number, string> = {7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 92: '\\\\'}
  if (named[byte]) return `'${named[byte]}'`
  if (byte < 0x20 || byte === 0x7f) return `'\\x${byte.toString(16).padStart(2, '0')}'`
  return `'${String.fromCharCode(byte)}'`
}
