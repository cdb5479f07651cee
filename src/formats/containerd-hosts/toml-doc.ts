import {getStaticTOMLValue, parseTOML, type AST} from 'toml-eslint-parser'
import {LineIndex, detectEol} from '../../core/line-index.js'

/** One [table] header (or [[array]] header) with the keys directly beneath it, in file order. */
export interface TomlTable {
  path: string[]
  header: [number, number]
  /** End of the last key/value of the block, or of the header. */
  end: number
  keys: {name: string[]; key: [number, number]; node: [number, number]; value: [number, number]}[]
}

/** A TOML file with positions: what hosts.toml and config.toml share. */
export interface TomlDoc {
  path: string
  text: string
  lines: LineIndex
  eol: '\n' | '\r\n'
  /** Decoded TOML, or null when the text is not valid TOML. */
  data: Record<string, unknown> | null
  syntaxError: {offset: number; message: string} | null
  /** Key/values before the first table header. */
  top: TomlTable
  tables: TomlTable[]
}

export function parseTomlDoc(text: string, path: string): TomlDoc {
  const doc: TomlDoc = {
    path,
    text,
    lines: new LineIndex(text),
    eol: detectEol(text),
    data: null,
    syntaxError: null,
    top: {path: [], header: [0, 0], end: 0, keys: []},
    tables: [],
  }
  let ast: AST.TOMLProgram
  try {
    // Go's decoders skip a leading BOM; the parser gets the same text without it, offsets kept.
    ast = parseTOML(text.startsWith('\uFEFF') ? ' ' + text.slice(1) : text)
  } catch (error) {
    const e = error as {index?: number; message?: string}
    doc.syntaxError = {offset: typeof e.index === 'number' ? e.index : 0, message: e.message ?? String(error)}
    return doc
  }
  doc.data = getStaticTOMLValue(ast) as Record<string, unknown>
  for (const item of ast.body[0]?.body ?? []) {
    if (item.type === 'TOMLKeyValue') {
      doc.top.keys.push(keyValue(item))
      doc.top.end = item.range[1]
      continue
    }
    const closer = item.kind === 'array' ? ']]' : ']'
    const headerEnd = text.indexOf(closer, item.key.range[1]) + closer.length
    const table: TomlTable = {path: item.resolvedKey.map(String), header: [item.range[0], headerEnd], end: headerEnd, keys: []}
    for (const kv of item.body) {
      table.keys.push(keyValue(kv))
      table.end = kv.range[1]
    }
    doc.tables.push(table)
  }
  return doc
}

function keyValue(kv: AST.TOMLKeyValue): TomlTable['keys'][number] {
  return {
    name: kv.key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value)),
    key: kv.key.range,
    node: kv.range,
    value: kv.value.range,
  }
}

/** Offset of a key (dotted path from the document root), else of its table header, else 0. */
export function offsetOf(doc: TomlDoc, path: readonly string[]): number {
  for (const t of [doc.top, ...doc.tables]) {
    for (const k of t.keys) if (same([...t.path, ...k.name], path)) return k.key[0]
  }
  for (const t of doc.tables) if (same(t.path, path)) return t.header[0]
  // A table known only through its sub-tables ([a.b."c"] for a.b): the first of them.
  for (const t of doc.tables) if (t.path.length > path.length && same(t.path.slice(0, path.length), path)) return t.header[0]
  // A nested key inside an inline table or sub-table: fall back to the closest table above it.
  for (let n = path.length - 1; n > 0; n--) {
    const found = doc.tables.find((t) => same(t.path, path.slice(0, n)))
    if (found) return found.header[0]
  }
  return 0
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** A TOML basic string for a value mirrorctl writes. */
export function tomlString(s: string): string {
  return JSON.stringify(s)
}
