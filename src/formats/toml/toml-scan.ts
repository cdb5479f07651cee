/**
 * An iterative pre-scan of TOML text, run before toml-eslint-parser sees it.
 *
 * The parser recurses once per nesting level and builds every string with
 * `String.fromCodePoint(...codePoints)`, so a few thousand nested arrays or a few hundred
 * kilobytes of string overflow the call stack. Go's BurntSushi/toml (what containers/image
 * uses) accepts both. The scan finds what the parser cannot take and describes replacements
 * of the same length and line breaks, so every offset the parser reports is still an offset
 * into the real text:
 * - a string longer than LONG_TOKEN becomes a short placeholder (its real value, decoded and
 *   checked here, is put back into the tree afterwards);
 * - a value nested deeper than MAX_TOML_DEPTH becomes an empty array; the part cut out is
 *   checked on its own (see toml-guard.ts), so a mistake deep inside is still found.
 */

/** Nesting the parser is given at most; also BurntSushi/toml's later default limit (Decoder.MaxDepth). */
export const MAX_TOML_DEPTH = 128
/** Strings and numbers longer than this (UTF-16 units, quotes included) are kept from the parser. */
export const LONG_TOKEN = 16_384

/** Text [start, end) is given to the parser as `text` (same length, same line breaks). */
export interface Replacement {
  start: number
  end: number
  text: string
}

/** A long string or number: where the parser's node ends in the masked text, and its real value. */
export interface LongToken extends Replacement {
  maskedEnd: number
  value: string | number
  /** The placeholder the parser sees as a key or string (single-line strings only). */
  placeholder?: string
}

/** A value opened at nesting depth MAX_TOML_DEPTH·k+1: cut out and checked on its own. */
export interface DeepRegion {
  start: number
  /** Offset after its closing bracket, or the end of the text when it is never closed. */
  end: number
  closed: boolean
  /** Long tokens directly inside (not inside a deeper region). */
  tokens: LongToken[]
  /** Regions one level further down. */
  children: DeepRegion[]
}

export interface ScanError {
  offset: number
  message: string
}

export interface TomlScan {
  /** Long tokens outside every deep region. */
  tokens: LongToken[]
  /** Regions opened at depth MAX_TOML_DEPTH + 1. */
  regions: DeepRegion[]
  /** Deepest nesting of arrays and inline tables; where it first passes MAX_TOML_DEPTH. */
  maxDepth: number
  firstDeep: number
  /** Mistakes inside long tokens, which the parser never sees. */
  errors: ScanError[]
}

interface Frame {
  table: boolean
  /** In an inline table: the next word or string is a key. */
  expectKey: boolean
  region?: DeepRegion
}

const QUOTE = 0x22
const APOS = 0x27
const BACKSLASH = 0x5c
const NL = 0x0a
const CR = 0x0d

/** Scans TOML text once, without recursion; never throws. */
export function scanToml(text: string): TomlScan {
  const n = text.length
  const out: TomlScan = {tokens: [], regions: [], maxDepth: 0, firstDeep: -1, errors: []}
  const frames: Frame[] = []
  const open: DeepRegion[] = []
  let inValue = false
  let i = 0

  const keep = (token: LongToken) => (open.length ? open[open.length - 1]!.tokens : out.tokens).push(token)
  const string = (at: number) => {
    const end = stringEnd(text, at)
    if (end.closed && end.end - at > LONG_TOKEN) {
      const token = longString(text, at, end.end, end.multiline, out.errors)
      keep(token)
    }
    return end.end
  }

  while (i < n) {
    const c = text.charCodeAt(i)
    if (!inValue && frames.length === 0) {
      // Between statements: a comment, a [table] header, or a key before "=".
      if (c === 0x20 || c === 0x09 || c === NL || c === CR) i++
      else if (c === 0x23) i = lineEnd(text, i)
      else if (c === 0x5b) {
        for (i++; i < n; ) {
          const h = text.charCodeAt(i)
          if (h === QUOTE || h === APOS) i = string(i)
          else if (h === NL) break
          else if (h === 0x5d) {
            i += text.charCodeAt(i + 1) === 0x5d ? 2 : 1
            break
          } else i++
        }
      } else {
        for (; i < n; ) {
          const k = text.charCodeAt(i)
          if (k === QUOTE || k === APOS) i = string(i)
          else if (k === 0x3d) {
            i++
            inValue = true
            break
          } else if (k === NL || k === 0x23) break
          else i++
        }
      }
      continue
    }
    const top = frames[frames.length - 1]
    switch (c) {
      case 0x20:
      case 0x09:
        i++
        break
      case NL:
      case CR:
        if (frames.length === 0) inValue = false
        i++
        break
      case 0x23:
        i = lineEnd(text, i)
        break
      case QUOTE:
      case APOS:
        i = string(i)
        if (top?.table) top.expectKey = false
        break
      case 0x5b:
      case 0x7b: {
        const depth = frames.length + 1
        const frame: Frame = {table: c === 0x7b, expectKey: c === 0x7b}
        if (depth > out.maxDepth) out.maxDepth = depth
        if (depth > MAX_TOML_DEPTH && (depth - 1) % MAX_TOML_DEPTH === 0) {
          if (out.firstDeep < 0) out.firstDeep = i
          const region: DeepRegion = {start: i, end: n, closed: false, tokens: [], children: []}
          ;(open.length ? open[open.length - 1]!.children : out.regions).push(region)
          open.push(region)
          frame.region = region
        }
        frames.push(frame)
        i++
        break
      }
      case 0x5d:
      case 0x7d: {
        const frame = frames.pop()
        i++
        if (frame?.region) {
          frame.region.end = i
          frame.region.closed = true
          open.pop()
        }
        break
      }
      case 0x2c:
        if (top?.table) top.expectKey = true
        i++
        break
      case 0x3d:
        if (top?.table) top.expectKey = false
        i++
        break
      default: {
        let j = i
        while (j < n && !isStop(text.charCodeAt(j))) j++
        if (j === i) j++
        // A long bare key is harmless to the parser; a long value word is a number (or junk).
        if (j - i > LONG_TOKEN && !(top?.table && top.expectKey)) keep(longWord(text, i, j, out.errors))
        i = j
      }
    }
  }
  return out
}

function isStop(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === NL || c === CR || c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d || c === 0x23 || c === 0x3d || c === QUOTE || c === APOS
}

function lineEnd(text: string, i: number): number {
  const nl = text.indexOf('\n', i)
  return nl === -1 ? text.length : nl
}

/** Where the string starting at `at` ends (after its closing quotes). */
function stringEnd(text: string, at: number): {end: number; closed: boolean; multiline: boolean} {
  const q = text.charCodeAt(at)
  const n = text.length
  const triple = text.charCodeAt(at + 1) === q && text.charCodeAt(at + 2) === q
  if (triple) {
    const delim = q === QUOTE ? '"""' : "'''"
    for (let j = at + 3; j < n; ) {
      if (q === QUOTE && text.charCodeAt(j) === BACKSLASH) {
        j += 2
        continue
      }
      if (text.startsWith(delim, j)) {
        let end = j + 3
        // Up to two quotes right before the closing delimiter belong to the string.
        while (end < n && end - j < 5 && text.charCodeAt(end) === q) end++
        return {end, closed: true, multiline: true}
      }
      j++
    }
    return {end: n, closed: false, multiline: true}
  }
  for (let j = at + 1; j < n; j++) {
    const c = text.charCodeAt(j)
    if (c === q) return {end: j + 1, closed: true, multiline: false}
    if (c === NL) return {end: j, closed: false, multiline: false}
    if (c === BACKSLASH && q === QUOTE) j++
  }
  return {end: n, closed: false, multiline: false}
}

/** A string too long for the parser: decoded here, replaced by a placeholder of the same length. */
function longString(text: string, start: number, end: number, multiline: boolean, errors: ScanError[]): LongToken {
  const q = text.charCodeAt(start)
  const decoded = decodeString(text, start, end, multiline, q === QUOTE)
  if (typeof decoded !== 'string') errors.push(decoded)
  const value = typeof decoded === 'string' ? decoded : ''
  const raw = text.slice(start, end)
  if (!multiline || !/[\r\n]/.test(raw)) {
    // Single line: it may be a key, so equal strings get equal placeholders (duplicates are still found).
    const placeholder = `h${fnv(value).toString(36)}_${value.length.toString(36)}`
    return {start, end, text: `"${placeholder}"`.padEnd(end - start, ' '), maskedEnd: start + placeholder.length + 2, value, placeholder}
  }
  // Multi-line: an empty """ string whose lines end in a backslash ("line-ending backslash"
  // trims them), so every line break stays where it was.
  let body = ''
  const inner = raw.slice(3, raw.length - 3)
  const lastBreak = Math.max(inner.lastIndexOf('\n'), inner.lastIndexOf('\r'))
  let lineStart = true
  for (let k = 0; k < inner.length; k++) {
    const ch = inner[k]!
    if (ch === '\n' || ch === '\r') {
      body += ch
      lineStart = true
    } else {
      body += lineStart && k < lastBreak ? '\\' : ' '
      lineStart = false
    }
  }
  return {start, end, text: `"""${body}"""`, maskedEnd: end, value}
}

/** A long word in value position: a number Go may accept (float) or must refuse (integer). */
function longWord(text: string, start: number, end: number, errors: ScanError[]): LongToken {
  const word = text.slice(start, end)
  const pad = (s: string) => s.padEnd(end - start, ' ')
  if (/^[+-]?(?:0[xob])?[0-9a-fA-F_]+$/.test(word) && !/^[+-]?[0-9_]*[eE]/.test(word)) {
    errors.push({offset: start, message: `integer ${word.slice(0, 20)}… (${word.length} characters) is out of the range of 64-bit signed integers`})
    return {start, end, text: pad('0'), maskedEnd: start + 1, value: 0}
  }
  if (/^[+-]?\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?$/.test(word)) {
    const value = Number(word.replace(/_/g, ''))
    if (!Number.isFinite(value)) errors.push({offset: start, message: `float ${word.slice(0, 20)}… is out of the range of 64-bit IEEE-754 floating-point numbers`})
    return {start, end, text: pad('0.0'), maskedEnd: start + 3, value}
  }
  // Not a value at all: let the parser report it at its start.
  return {start, end, text: pad('x'), maskedEnd: start + 1, value: 0}
}

const ESCAPES: Record<string, string> = {b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\'}

/** Decodes a string token as TOML 1.0 does, in linear time; an error names its offset. */
function decodeString(text: string, start: number, end: number, multiline: boolean, basic: boolean): string | ScanError {
  const open = multiline ? 3 : 1
  let i = start + open
  const stop = end - open
  if (multiline) {
    if (text.charCodeAt(i) === NL) i++
    else if (text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === NL) i += 2
  }
  const parts: string[] = []
  let run = i
  const flush = (to: number) => {
    if (to > run) parts.push(text.slice(run, to))
  }
  while (i < stop) {
    const c = text.charCodeAt(i)
    if (c === BACKSLASH && basic) {
      flush(i)
      const e = text[i + 1] ?? ''
      if (e in ESCAPES) {
        parts.push(ESCAPES[e]!)
        i += 2
      } else if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8
        const hex = text.slice(i + 2, i + 2 + len)
        const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === len ? parseInt(hex, 16) : -1
        if (code < 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return {offset: i, message: `invalid escape \\${e}${hex}: not a Unicode scalar value`}
        parts.push(String.fromCodePoint(code))
        i += 2 + len
      } else if (multiline && isLineEnd(text, i + 1)) {
        // Line-ending backslash: skip it and all white space and line breaks after it.
        i++
        while (i < stop && /[ \t\r\n]/.test(text[i]!)) i++
      } else {
        return {offset: i, message: `invalid escape sequence \\${e}`}
      }
      run = i
      continue
    }
    if ((c < 0x20 && c !== 0x09 && !(multiline && (c === NL || (c === CR && text.charCodeAt(i + 1) === NL)))) || c === 0x7f) {
      return {offset: i, message: `control character U+${c.toString(16).toUpperCase().padStart(4, '0')} is not allowed in a string`}
    }
    i++
  }
  flush(stop)
  return parts.join('')
}

/** Only spaces and tabs from `i` to the end of the line. */
function isLineEnd(text: string, i: number): boolean {
  let j = i
  while (text.charCodeAt(j) === 0x20 || text.charCodeAt(j) === 0x09) j++
  return text.charCodeAt(j) === NL || (text.charCodeAt(j) === CR && text.charCodeAt(j + 1) === NL)
}

/** FNV-1a over UTF-16 units: equal strings, equal placeholders. */
function fnv(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}
