/**
 * A strict JSON parser for daemon.json that accepts exactly what Go's encoding/json accepts (as
 * dockerd calls it) and keeps the offset of every key and value.
 *
 * It recovers from the usual hand-editing mistakes (comments, trailing commas, single quotes,
 * unquoted keys, NaN/hex/+1, missing commas, non-JSON spaces) so one run reports all of them and
 * the rest of the file can still be linted; anything else stops the parse. Messages quote what
 * Go reports at that point, and the position is where the mistake is.
 */
import {LineIndex, detectEol} from '../../core/line-index.js'
import type {Finding} from '../../lint/finding.js'
import {report, type FindingAt} from '../../lint/rule.js'
import {rules} from './rules.js'

interface Span {
  /** Offset of the first character. */
  start: number
  /** Offset just after the last character. */
  end: number
}

export interface JsonObject extends Span {
  kind: 'object'
  members: JsonMember[]
}
export interface JsonArray extends Span {
  kind: 'array'
  items: JsonNode[]
}
export interface JsonString extends Span {
  kind: 'string'
  value: string
}
export interface JsonNumber extends Span {
  kind: 'number'
  raw: string
  value: number
}
export interface JsonBoolean extends Span {
  kind: 'boolean'
  value: boolean
}
export interface JsonNull extends Span {
  kind: 'null'
}
/** A value Go rejects (NaN, 'text', True…), kept so the rest of the file can be checked. */
export interface JsonInvalid extends Span {
  kind: 'invalid'
  raw: string
}
export type JsonNode = JsonObject | JsonArray | JsonString | JsonNumber | JsonBoolean | JsonNull | JsonInvalid

export interface JsonMember {
  key: string
  keyStart: number
  keyEnd: number
  value: JsonNode
}

export interface DaemonJsonDoc {
  path: string
  text: string
  lines: LineIndex
  eol: '\n' | '\r\n'
  /** The text starts with U+FEFF (accepted by dockerd from Engine 24.0). */
  bom: boolean
  /** Whitespace only (after the BOM): dockerd treats it as an empty configuration. */
  empty: boolean
  /** The top-level value; null when the file is empty or the parse stopped at an error. */
  root: JsonNode | null
  /** json-syntax, top-level-not-object and duplicate-key findings, in file order. */
  syntaxFindings: Finding[]
}

const MAX_ERRORS = 50

/** Parses daemon.json text; it never throws on bad input. */
export function parseDaemonJson(text: string, path: string): DaemonJsonDoc {
  const lines = new LineIndex(text)
  const bom = text.charCodeAt(0) === 0xfeff
  const doc: DaemonJsonDoc = {path, text, lines, eol: detectEol(text), bom, empty: false, root: null, syntaxFindings: []}
  // dockerd strips the BOM (24.0+) and then trims Unicode white space at both ends (bytes.TrimSpace).
  let start = bom ? 1 : 0
  let end = text.length
  while (start < end && isGoSpace(text.charCodeAt(start))) start++
  while (end > start && isGoSpace(text.charCodeAt(end - 1))) end--
  if (start === end) {
    doc.empty = true
    return doc
  }

  const parser = new Parser(text, start, end)
  doc.root = parser.parseDocument()
  for (const e of parser.errors) {
    doc.syntaxFindings.push(report(rules['json-syntax'], positionAt(doc, e.offset), e.message, e.hint))
  }
  if (doc.root) {
    if (doc.root.kind !== 'object' && doc.root.kind !== 'null' && doc.root.kind !== 'invalid') {
      const goType = {array: 'array', string: 'string', number: 'number', boolean: 'bool'}[doc.root.kind]
      doc.syntaxFindings.push(
        report(
          rules['top-level-not-object'],
          positionAt(doc, doc.root.start),
          `the top level of daemon.json is a ${goType}, not an object — dockerd: "json: cannot unmarshal ${goType} into Go value of type map[string]interface {}"`,
        ),
      )
    }
    findDuplicates(doc, doc.root, '')
  }
  doc.syntaxFindings.sort((a, b) => a.line - b.line || a.column - b.column)
  return doc
}

/** File, 1-based line and character column of an offset; the BOM is not counted as a column. */
export function positionAt(doc: Pick<DaemonJsonDoc, 'path' | 'lines' | 'bom'>, offset: number): FindingAt {
  const {line, column} = doc.lines.position(offset)
  return {file: doc.path, line, column: doc.bom && line === 1 ? Math.max(1, column - 1) : column}
}

/** The top-level members, or [] when the top level is not an object. */
export function topMembers(doc: DaemonJsonDoc): JsonMember[] {
  return doc.root?.kind === 'object' ? doc.root.members : []
}

/** The member Go's decoder uses for a key: the last one. */
export function lastMember(members: readonly JsonMember[], key: string): JsonMember | undefined {
  for (let i = members.length - 1; i >= 0; i--) if (members[i]!.key === key) return members[i]
  return undefined
}

/** The value as plain JavaScript (objects keep the last duplicate, as Go does); invalid values become undefined. */
export function toValue(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const m of node.members) out[m.key] = toValue(m.value)
      return out
    }
    case 'array':
      return node.items.map(toValue)
    case 'null':
      return null
    case 'invalid':
      return undefined
    default:
      return node.value
  }
}

function findDuplicates(doc: DaemonJsonDoc, node: JsonNode, where: string): void {
  if (node.kind === 'array') {
    for (const item of node.items) findDuplicates(doc, item, where)
    return
  }
  if (node.kind !== 'object') return
  const last = new Map<string, JsonMember>()
  for (const m of node.members) last.set(m.key, m)
  for (const m of node.members) {
    const winner = last.get(m.key)!
    if (winner !== m) {
      const line = doc.lines.position(winner.keyStart).line
      const inside = where ? ` in "${where}"` : ''
      doc.syntaxFindings.push(
        report(
          rules['duplicate-key'],
          positionAt(doc, m.keyStart),
          `"${m.key}"${inside} is set again on line ${line}; dockerd uses that last one and ignores this one`,
        ),
      )
    }
    findDuplicates(doc, m.value, where ? `${where}.${m.key}` : m.key)
  }
}

// ---- the parser

interface SyntaxError {
  offset: number
  message: string
  hint?: string
}

/** Go's scanner states, named as its error messages name them. */
type Where = Context | 'in string literal' | 'in string escape code' | 'in \\u hexadecimal character escape' | 'in numeric literal'
type Context =
  | 'looking for beginning of value'
  | 'looking for beginning of object key string'
  | 'after object key'
  | 'after object key:value pair'
  | 'after array element'
  | 'after top-level value'

/** Thrown to abandon the parse at an error that cannot be recovered from. */
class Stop extends Error {}

const HINT = {
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

class Parser {
  readonly errors: SyntaxError[] = []
  private pos: number

  constructor(
    private readonly text: string,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start
  }

  parseDocument(): JsonNode | null {
    try {
      this.skipSpace('looking for beginning of value')
      if (this.pos >= this.end) return null // nothing but comments, already reported
      const root = this.value('looking for beginning of value', 'after top-level value')
      this.skipSpace('after top-level value')
      if (this.pos < this.end) {
        this.error(this.pos, `unexpected text after the closing ${closer(root)}`, 'after top-level value', 'remove it, or move it inside the object')
      }
      return root
    } catch (e) {
      if (e instanceof Stop) return null
      throw e
    }
  }

  private value(context: Context, after: Context): JsonNode {
    this.skipSpace(context)
    const c = this.peek()
    if (c === undefined) this.eof()
    if (c === '{') return this.object()
    if (c === '[') return this.array()
    if (c === '"') return this.string('"')
    if (c === "'") {
      this.error(this.pos, 'strings must be in double quotes', context, HINT.quotes)
      return this.string("'")
    }
    if (c === '-' || c === '+' || c === '.' || isDigit(c)) return this.number(context, after)
    if (isWordChar(c)) return this.word(context, after)
    this.fail(this.pos, 'unexpected character', context)
  }

  private object(): JsonObject {
    const start = this.pos++
    const members: JsonMember[] = []
    let comma = -1
    for (;;) {
      this.skipSpace('looking for beginning of object key string')
      const c = this.peek()
      if (c === undefined) this.eof()
      if (c === '}') {
        if (comma >= 0) this.trailingComma(comma, '}', 'looking for beginning of object key string')
        this.pos++
        return {kind: 'object', start, end: this.pos, members}
      }
      const keyStart = this.pos
      let key: string
      if (c === '"' || c === "'") {
        if (c === "'") this.error(this.pos, 'keys must be in double quotes', 'looking for beginning of object key string', HINT.quotes)
        key = this.string(c).value
      } else if (isWordChar(c) || c === '-') {
        this.error(this.pos, 'keys must be in double quotes', 'looking for beginning of object key string', HINT.unquotedKey)
        while (this.pos < this.end && (isWordChar(this.text[this.pos]!) || /[-.]/.test(this.text[this.pos]!))) this.pos++
        key = this.text.slice(keyStart, this.pos)
      } else {
        this.fail(this.pos, 'expected a key in double quotes', 'looking for beginning of object key string')
      }
      const keyEnd = this.pos
      this.skipSpace('after object key')
      if (this.peek() === ':') this.pos++
      else if (this.startsValue()) this.error(this.pos, 'missing colon after the key', 'after object key', HINT.colon)
      else if (this.peek() === undefined) this.eof()
      else this.fail(this.pos, 'expected a colon after the key', 'after object key')
      const value = this.value('looking for beginning of value', 'after object key:value pair')
      members.push({key, keyStart, keyEnd, value})
      this.skipSpace('after object key:value pair')
      const next = this.peek()
      comma = -1
      if (next === ',') {
        comma = this.pos++
      } else if (next === '}') {
        continue
      } else if (next === undefined) {
        this.eof()
      } else if (next === '"' || next === "'" || isWordChar(next)) {
        this.error(this.pos, 'missing comma between two entries', 'after object key:value pair', HINT.comma)
      } else {
        this.fail(this.pos, 'expected , or } after the value', 'after object key:value pair')
      }
    }
  }

  private array(): JsonArray {
    const start = this.pos++
    const items: JsonNode[] = []
    let comma = -1
    for (;;) {
      this.skipSpace('looking for beginning of value')
      const c = this.peek()
      if (c === undefined) this.eof()
      if (c === ']') {
        if (comma >= 0) this.trailingComma(comma, ']', 'looking for beginning of value')
        this.pos++
        return {kind: 'array', start, end: this.pos, items}
      }
      items.push(this.value('looking for beginning of value', 'after array element'))
      this.skipSpace('after array element')
      const next = this.peek()
      comma = -1
      if (next === ',') comma = this.pos++
      else if (next === ']') continue
      else if (next === undefined) this.eof()
      else if (this.startsValue()) this.error(this.pos, 'missing comma between two list entries', 'after array element', HINT.comma)
      else this.fail(this.pos, 'expected , or ] after the list entry', 'after array element')
    }
  }

  private string(quote: '"' | "'"): JsonString {
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
      }
      value += c
      this.pos++
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

  private number(context: Context, after: Context): JsonNode {
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

  private word(context: Context, after: Context): JsonNode {
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
  private skipSpace(context: Context): void {
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

  private trailingComma(comma: number, close: string, context: Context): void {
    this.record(comma, `trailing comma before ${close}`, `invalid character ${goQuote(close)} ${context}`, HINT.trailingComma)
  }

  private startsValue(): boolean {
    const c = this.peek()
    return c !== undefined && (c === '{' || c === '[' || c === '"' || c === "'" || c === '-' || isDigit(c) || isWordChar(c))
  }

  private peek(): string | undefined {
    return this.pos < this.end ? this.text[this.pos] : undefined
  }

  /** Records a recoverable error, phrased with Go's own message for that position. */
  private error(offset: number, what: string, context: Where, hint?: string): void {
    const c = this.text[offset]
    const goMsg = c === undefined || offset >= this.end ? 'unexpected end of JSON input' : `invalid character ${goQuote(c)} ${context}`
    this.record(offset, what, goMsg, hint)
  }

  private record(offset: number, what: string, goMsg: string, hint?: string): void {
    this.errors.push({offset, message: `${what} — dockerd: "${goMsg}"`, ...(hint ? {hint} : {})})
    if (this.errors.length >= MAX_ERRORS) throw new Stop()
  }

  private fail(offset: number, what: string, context: Context): never {
    this.error(offset, what, context)
    throw new Stop()
  }

  private eof(): never {
    this.errors.push({offset: this.end, message: 'the file ends in the middle of a value — dockerd: "unexpected end of JSON input"', hint: HINT.eof})
    throw new Stop()
  }
}

/**
 * Where and how Go's scanner rejects a bad number starting at `start`: inside the literal
 * ("in numeric literal"), or at the first character after a complete number, which the
 * enclosing value then rejects (`after`).
 */
function goNumberError(text: string, start: number, end: number, context: Context, after: Context): [number, Where] {
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

function closer(node: JsonNode): string {
  return node.kind === 'object' ? '}' : node.kind === 'array' ? ']' : 'value'
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9'
}

function isWordChar(c: string): boolean {
  return /[A-Za-z0-9_$]/.test(c)
}

/** Go's unicode.IsSpace, which bytes.TrimSpace uses (note: U+FEFF is not a space). */
function isGoSpace(code: number): boolean {
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
function goQuote(ch: string): string {
  const cp = ch.codePointAt(0)!
  const byte = cp < 0x80 ? cp : cp < 0x800 ? 0xc0 | (cp >> 6) : cp < 0x10000 ? 0xe0 | (cp >> 12) : 0xf0 | (cp >> 18)
  if (byte === 0x27) return "'\\''"
  if (byte === 0x22) return `'"'`
  const named: Record<number, string> = {7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 92: '\\\\'}
  if (named[byte]) return `'${named[byte]}'`
  if (byte < 0x20 || byte === 0x7f) return `'\\x${byte.toString(16).padStart(2, '0')}'`
  return `'${String.fromCharCode(byte)}'`
}
