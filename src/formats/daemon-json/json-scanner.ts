/**
 * The lexical half of the daemon.json parser: strings, numbers, literals, white space and
 * comments, read as Go's encoding/json reads them, and every mistake recorded with Go's own
 * message for that position. The tree is built on top of it (json-parser.ts).
 */
import type {JsonNode, JsonString} from './json-tree.js'
import {goNumberError, goQuote, isDigit, isGoSpace, isPlain, isWordChar, type Context, type Where} from './go-json-chars.js'

export interface JsonSyntaxError {
  offset: number
  message: string
  hint?: string
}

/** Thrown to abandon the parse at an error that cannot be recovered from. */
export class Stop {}

const MAX_ERRORS = 50

export const HINT = {
  comment: 'remove the comment; JSON has no comments (keep notes in a file next to daemon.json)',
  trailingComma: 'delete the comma after the last entry',
  quotes: 'use double quotes (") around strings and keys',
  unquotedKey: 'put the key in double quotes',
  number: 'write a plain decimal number (or a string, if the option takes one)',
  literal: 'write true, false or null in lower case, or put text in double quotes',
  comma: 'add a comma between the two entries',
  space: 'replace the character with a normal space (it often comes from copying text from a web page)',
  eof: 'the file ends too early: close every { and [ and every string',
  colon: 'put a colon between the key and its value',
  string: 'close the string with " on the same line; write a newline inside a string as \\n',
}

export class JsonScanner {
  readonly errors: JsonSyntaxError[] = []
  protected pos: number

  constructor(
    protected readonly text: string,
    start: number,
    protected readonly end: number,
  ) {
    this.pos = start
  }

  protected string(quote: '"' | "'"): JsonString {
    const start = this.pos++
    let value = ''
    for (;;) {
      if (this.pos >= this.end) this.eof()
      const c = this.text[this.pos]!
      if (c === quote) {
        this.pos++
        return {kind: 'string', start, end: this.pos, value}
      }
      if (c === '\\') {
        value += this.escape(quote)
        continue
      }
      if (c.charCodeAt(0) < 0x20) {
        if (c === '\n' || c === '\r') {
          // Almost always a missing closing quote: end the string here and go on.
          this.error(this.pos, 'the string is not closed before the end of the line', 'in string literal', HINT.string)
          return {kind: 'string', start, end: this.pos, value}
        }
        this.error(this.pos, 'control characters must be escaped inside strings', 'in string literal', 'write a tab as \\t')
        value += c
        this.pos++
        continue
      }
      // Copy the run of plain characters at once (linear for megabyte strings).
      const run = this.pos
      while (this.pos < this.end && isPlain(this.text.charCodeAt(this.pos), quote)) this.pos++
      value += this.text.slice(run, this.pos)
    }
  }

  private escape(quote: '"' | "'"): string {
    const at = this.pos + 1
    const e = this.text[at]
    if (e === undefined || at >= this.end) this.eof()
    this.pos += 2
    const simple: Record<string, string> = {'"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'}
    if (e in simple) return simple[e]!
    if (e === "'" && quote === "'") return e
    if (e === 'u') {
      for (let k = 0; k < 4; k++) {
        const h = this.text[this.pos + k]
        if (h === undefined || !/[0-9a-fA-F]/.test(h)) {
          this.error(this.pos + k, 'invalid \\u escape (it takes four hex digits)', 'in \\u hexadecimal character escape', 'write \\u followed by four hex digits, e.g. \\u00e9')
          this.pos += k
          return ''
        }
      }
      const code = parseInt(this.text.slice(this.pos, this.pos + 4), 16)
      this.pos += 4
      return String.fromCharCode(code)
    }
    this.error(at, `invalid escape \\${e}`, 'in string escape code', 'JSON knows only \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX; write a backslash as \\\\')
    return e
  }

  protected number(context: Context, after: Context): JsonNode {
    const start = this.pos
    while (this.pos < this.end && /[0-9A-Za-z.+-]/.test(this.text[this.pos]!)) this.pos++
    const raw = this.text.slice(start, this.pos)
    if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(raw)) {
      return {kind: 'number', start, end: this.pos, raw, value: Number(raw)}
    }
    const what = /^[+-]?(?:nan|inf|infinity)$/i.test(raw)
      ? 'NaN and Infinity are not JSON numbers'
      : /^[+-]?0[xX]/.test(raw)
        ? 'hexadecimal numbers are not JSON'
        : raw.startsWith('+')
          ? 'a number cannot start with +'
          : /^-?0\d/.test(raw)
            ? 'a number cannot have leading zeros'
            : /^-?\.|\.(?:$|[eE])/.test(raw)
              ? 'a decimal point needs digits on both sides'
              : /^\d+[A-Za-z]+$/.test(raw)
                ? 'a value with a unit (such as 10m) must be a string in double quotes'
                : 'invalid number'
    const [offset, ctx] = goNumberError(this.text, start, this.end, context, after)
    this.error(offset, what, ctx, HINT.number)
    return {kind: 'invalid', start, end: this.pos, raw}
  }

  protected word(context: Context, after: Context): JsonNode {
    const start = this.pos
    while (this.pos < this.end && isWordChar(this.text[this.pos]!)) this.pos++
    const raw = this.text.slice(start, this.pos)
    if (raw === 'true' || raw === 'false') return {kind: 'boolean', start, end: this.pos, value: raw === 'true'}
    if (raw === 'null') return {kind: 'null', start, end: this.pos}
    const what = /^[+-]?(?:nan|inf|infinity)$/i.test(raw)
      ? 'NaN and Infinity are not JSON numbers'
      : /^(?:t|tr|tru|f|fa|fal|fals|n|nu|nul)$/.test(raw)
        ? `${raw} is cut short (true, false or null?)`
      : /^(?:true|false|null|none)$/i.test(raw)
        ? `${raw} is not a JSON literal (true, false and null are lower case)`
        : 'text must be in double quotes'
    const hint = what.startsWith('NaN') ? HINT.number : HINT.literal
    const literal = {t: 'true', f: 'false', n: 'null'}[raw[0] as 't' | 'f' | 'n']
    if (literal) {
      // Go reads a literal letter by letter and names the first letter that does not fit.
      let k = 0
      while (k < literal.length && this.text[start + k] === literal[k]) k++
      const got = this.text[start + k]
      if (k === literal.length) this.error(start + k, what, after, hint)
      else if (got === undefined || start + k >= this.end) this.record(start + k, what, 'unexpected end of JSON input', hint)
      else this.record(start + k, what, `invalid character ${goQuote(got)} in literal ${literal} (expecting ${goQuote(literal[k]!)})`, hint)
    } else {
      this.error(start, what, context, hint)
    }
    return {kind: 'invalid', start, end: this.pos, raw}
  }

  /** Skips JSON white space; comments and other space characters are reported and skipped. */
  protected skipSpace(context: Context): void {
    while (this.pos < this.end) {
      const c = this.text[this.pos]!
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.pos++
      } else if (c === '/' && (this.text[this.pos + 1] === '/' || this.text[this.pos + 1] === '*')) {
        this.error(this.pos, 'comments are not allowed in daemon.json', context, HINT.comment)
        if (this.text[this.pos + 1] === '/') {
          while (this.pos < this.end && this.text[this.pos] !== '\n' && this.text[this.pos] !== '\r') this.pos++
        } else {
          const close = this.text.indexOf('*/', this.pos + 2)
          this.pos = close === -1 || close >= this.end ? this.end : close + 2
        }
      } else if (isGoSpace(c.charCodeAt(0)) || c === '\ufeff') {
        const name = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`
        this.error(this.pos, `a ${name} space character, which JSON does not allow between values`, context, HINT.space)
        this.pos++
      } else {
        return
      }
    }
  }

  protected startsValue(): boolean {
    const c = this.peek()
    return c !== undefined && (c === '{' || c === '[' || c === '"' || c === "'" || c === '-' || isDigit(c) || isWordChar(c))
  }

  protected peek(): string | undefined {
    return this.pos < this.end ? this.text[this.pos] : undefined
  }

  /** Records a recoverable error, phrased with Go's own message for that position. */
  protected error(offset: number, what: string, context: Where, hint?: string): void {
    const c = this.text[offset]
    const goMsg = c === undefined || offset >= this.end ? 'unexpected end of JSON input' : `invalid character ${goQuote(c)} ${context}`
    this.record(offset, what, goMsg, hint)
  }

  protected record(offset: number, what: string, goMsg: string, hint?: string): void {
    this.errors.push({offset, message: `${what} — dockerd: "${goMsg}"`, ...(hint ? {hint} : {})})
    if (this.errors.length >= MAX_ERRORS) throw new Stop()
  }

  protected fail(offset: number, what: string, context: Context): never {
    this.error(offset, what, context)
    throw new Stop()
  }

  protected eof(): never {
    this.errors.push({offset: this.end, message: 'the file ends in the middle of a value — dockerd: "unexpected end of JSON input"', hint: HINT.eof})
    throw new Stop()
  }
}
