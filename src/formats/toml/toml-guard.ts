/**
 * toml-eslint-parser behind the pre-scan of toml-scan.ts: the parser gets text it can handle
 * (same offsets), values cut out for depth are parsed on their own, and long strings get
 * their real values back in the tree.
 */
import {parseTOML, type AST} from 'toml-eslint-parser'
import {UserError} from '../../core/errors.js'
import {scanToml, type DeepRegion, type LongToken, type Replacement, type ScanError} from './toml-scan.js'

export interface GuardedParse {
  /** The tree, or null when the text is not valid TOML. */
  ast: AST.TOMLProgram | null
  /** The first mistake in file order (where the Go decoder stops). */
  error: ScanError | null
  /** Deepest nesting of arrays and inline tables, and where it first passed the parser's limit (-1: never). */
  maxDepth: number
  firstDeep: number
}

/** Parses TOML of any nesting depth and string length without overflowing the stack. */
export function parseTomlGuarded(text: string): GuardedParse {
  const scan = scanToml(text)
  const errors: ScanError[] = [...scan.errors]
  const masked = splice(text, [...scan.tokens, ...scan.regions.map((r) => emptied(text, r))]).text
  let ast: AST.TOMLProgram | null = null
  try {
    ast = parseTOML(masked)
  } catch (error) {
    errors.push(parserError(error, (i) => i))
  }
  // Each cut-out value is parsed on its own, its own deeper values shrunk to [] (linear overall).
  const work = [...scan.regions]
  for (let region = work.pop(); region; region = work.pop()) {
    work.push(...region.children)
    const sub = splice(text.slice(0, region.end), [...region.tokens, ...region.children.map((c) => shrunk(c))], region.start)
    try {
      parseTOML(`x = ${sub.text}`)
    } catch (error) {
      errors.push(parserError(error, (i) => sub.original(i - 4)))
    }
  }
  errors.sort((a, b) => a.offset - b.offset)
  if (errors.length || !ast) return {ast: null, error: errors[0] ?? null, maxDepth: scan.maxDepth, firstDeep: scan.firstDeep}
  restore(ast, scan.tokens)
  return {ast, error: null, maxDepth: scan.maxDepth, firstDeep: scan.firstDeep}
}

/** A cut-out region as the parser sees it in place: an empty array, line breaks kept. */
function emptied(text: string, r: DeepRegion): Replacement {
  const inner = text.slice(r.start + 1, r.closed ? r.end - 1 : r.end).replace(/\r\n|[^\n]/g, (m) => (m === '\r\n' ? m : ' '))
  return {start: r.start, end: r.end, text: `[${inner}${r.closed ? ']' : ''}`}
}

/** A child region inside its parent's own check: just [] (offsets are mapped back). */
function shrunk(r: DeepRegion): Replacement {
  return {start: r.start, end: r.end, text: r.closed ? '[]' : '['}
}

/** Applies replacements to text[from, …); `original` maps an offset in the result back to the text. */
function splice(text: string, replacements: Replacement[], from = 0): {text: string; original: (i: number) => number} {
  const sorted = [...replacements].sort((a, b) => a.start - b.start)
  const parts: string[] = []
  /** [offset in result, offset in text] at the start of each piece. */
  const marks: [number, number][] = []
  let at = from
  let length = 0
  const piece = (s: string, origin: number) => {
    marks.push([length, origin])
    parts.push(s)
    length += s.length
  }
  for (const r of sorted) {
    if (r.start < at) continue
    piece(text.slice(at, r.start), at)
    piece(r.text, r.start)
    at = r.end
  }
  piece(text.slice(at), at)
  const original = (i: number): number => {
    let lo = 0
    let hi = marks.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (marks[mid]![0] <= i) lo = mid
      else hi = mid - 1
    }
    const [start, origin] = marks[lo] ?? [0, from]
    return origin + Math.max(0, i - start)
  }
  return {text: parts.join(''), original}
}

/** The parser's error as an offset into the real text; anything else is not a TOML mistake. */
function parserError(error: unknown, original: (i: number) => number): ScanError {
  const e = error as {index?: unknown; message?: unknown}
  if (error instanceof Error && typeof e.index === 'number') return {offset: original(e.index), message: error.message}
  // The scan exists so this cannot happen; say so plainly instead of blaming the file.
  throw new UserError('the TOML file is too complex for mirrorctl to check (please report this as a mirrorctl bug)', {cause: error})
}

/** Puts long strings and numbers back: node values, and the end of every node that ended at a placeholder. */
function restore(ast: AST.TOMLProgram, tokens: readonly LongToken[]): void {
  if (!tokens.length) return
  const byStart = new Map(tokens.map((t) => [t.start, t]))
  const ends = new Map(tokens.filter((t) => t.maskedEnd !== t.end).map((t) => [t.maskedEnd, t.end]))
  const keys = new Map(tokens.filter((t) => t.placeholder).map((t) => [t.placeholder!, t.value as string]))
  const work: AST.TOMLNode[] = [ast]
  for (let node = work.pop(); node; node = work.pop()) {
    const token = byStart.get(node.range[0])
    if (token && (node.type === 'TOMLValue' || node.type === 'TOMLQuoted')) (node as {value: unknown}).value = token.value
    const end = ends.get(node.range[1])
    if (end !== undefined) node.range = [node.range[0], end]
    switch (node.type) {
      case 'Program':
      case 'TOMLTopLevelTable':
        work.push(...(node.body as AST.TOMLNode[]))
        break
      case 'TOMLTable':
        node.resolvedKey = node.resolvedKey.map((k) => (typeof k === 'string' ? (keys.get(k) ?? k) : k))
        work.push(node.key, ...node.body)
        break
      case 'TOMLKeyValue':
        work.push(node.key, node.value)
        break
      case 'TOMLKey':
        work.push(...node.keys)
        break
      case 'TOMLArray':
        work.push(...node.elements)
        break
      case 'TOMLInlineTable':
        work.push(...node.body)
        break
    }
  }
}
