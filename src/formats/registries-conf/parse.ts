import {getStaticTOMLValue, type AST} from 'toml-eslint-parser'
import {LineIndex, detectEol} from '../../core/line-index.js'
import type {Finding} from '../../lint/finding.js'
import {report} from '../../lint/rule.js'
import {rules} from './rules.js'
import {parseTomlGuarded} from '../toml/toml-guard.js'
import {MAX_TOML_DEPTH} from '../toml/toml-scan.js'

/** A key path inside the TOML document: ["registry", 0, "mirror", 1, "location"]. */
export type KeyPath = readonly (string | number)[]

/** Where one key/value or table header sits in the text (UTF-16 offsets). */
export interface Span {
  /** The key (for a table: the header's key). */
  key: [number, number]
  /** The whole key = value, or the whole [header] line. */
  node: [number, number]
  /** The value (absent for a table header). */
  value?: [number, number]
  kind: 'value' | 'table' | 'array-table' | 'inline'
}

/** One [table] or [[array.table]] header and the key/values beneath it, in file order. */
export interface TableBlock {
  path: KeyPath
  kind: 'standard' | 'array'
  /** The header itself. */
  header: [number, number]
  /** End of the last key/value in the block, or of the header when the block is empty. */
  end: number
  /** Paths of the key/values directly in the block. */
  keys: KeyPath[]
}

export interface RegistriesConfDocument {
  path: string
  text: string
  lines: LineIndex
  eol: '\n' | '\r\n'
  /** Decoded TOML, or null when the text is not valid TOML. */
  data: Record<string, unknown> | null
  /** Spans by encoded key path (see pathKey). */
  spans: Map<string, Span>
  /** Table headers in file order. */
  tables: TableBlock[]
  /** End of the top-level key/values before the first table (offset where a new top-level key goes). */
  topLevelEnd: number
  syntaxFindings: Finding[]
  /** Accepted by the decoder, but worth a word (deep nesting); the loader reports them as warnings. */
  parseWarnings: Finding[]
}

/** Encodes a key path for map lookups; NUL cannot occur in TOML keys written by people. */
export function pathKey(path: KeyPath): string {
  return path.join('\u0000')
}

/** Parses registries.conf text. Bad TOML becomes a finding with its position; it never throws. */
export function parseRegistriesConf(text: string, path: string): RegistriesConfDocument {
  const lines = new LineIndex(text)
  const doc: RegistriesConfDocument = {
    path,
    text,
    lines,
    eol: detectEol(text),
    data: null,
    spans: new Map(),
    tables: [],
    topLevelEnd: 0,
    syntaxFindings: [],
    parseWarnings: [],
  }
  // BurntSushi/toml skips a UTF-8 BOM only since v1.3.0; the parser gets a space in its place.
  const bom = text.startsWith('\uFEFF')
  if (bom) {
    doc.syntaxFindings.push(
      report(
        rules['bom'],
        {file: path, line: 1, column: 1},
        "the file starts with a UTF-8 byte order mark; containers/image 5.25 and older (BurntSushi/toml before 1.3.0) refuse it: \"toml: line 1: expected '.' or '=', but got '\\ufeff' instead\"",
      ),
    )
  }
  const parsed = parseTomlGuarded(bom ? ' ' + text.slice(1) : text)
  if (parsed.firstDeep >= 0) {
    doc.parseWarnings.push(
      report(
        rules['deep-nesting'],
        {file: path, ...lines.position(parsed.firstDeep)},
        `arrays and inline tables are nested ${parsed.maxDepth} levels deep; BurntSushi/toml 1.6.0 and older accept it, newer releases stop at ${MAX_TOML_DEPTH} levels`,
      ),
    )
  }
  if (!parsed.ast) {
    const e = parsed.error ?? {offset: 0, message: 'invalid TOML'}
    doc.syntaxFindings.push(report(rules['toml-syntax'], {file: path, ...lines.position(e.offset)}, `TOML syntax error: ${e.message}`))
    return doc
  }
  const ast = parsed.ast
  doc.data = getStaticTOMLValue(ast) as Record<string, unknown>
  collectSpans(ast, doc)
  return doc
}

function keyNames(key: AST.TOMLKey): string[] {
  return key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value))
}

function collectSpans(ast: AST.TOMLProgram, doc: RegistriesConfDocument): void {
  const top = ast.body[0]
  if (!top) return
  let topEnd = 0
  for (const item of top.body) {
    if (item.type === 'TOMLKeyValue') {
      addKeyValue(doc, [], item)
      topEnd = item.range[1]
    } else {
      const path = item.resolvedKey
      const closer = item.kind === 'array' ? ']]' : ']'
      const headerEnd = doc.text.indexOf(closer, item.key.range[1]) + closer.length
      const block: TableBlock = {path, kind: item.kind, header: [item.range[0], headerEnd], end: headerEnd, keys: []}
      doc.spans.set(pathKey(path), {
        key: item.key.range,
        node: block.header,
        kind: item.kind === 'array' ? 'array-table' : 'table',
      })
      for (const kv of item.body) {
        block.keys.push(addKeyValue(doc, path, kv))
        block.end = kv.range[1]
      }
      doc.tables.push(block)
    }
  }
  doc.topLevelEnd = topEnd
}

function addKeyValue(doc: RegistriesConfDocument, base: KeyPath, kv: AST.TOMLKeyValue): KeyPath {
  const path = [...base, ...keyNames(kv.key)]
  doc.spans.set(pathKey(path), {key: kv.key.range, node: kv.range, value: kv.value.range, kind: 'value'})
  addNested(doc, path, kv.value, kv.key.range)
  return path
}

/** Inline tables and arrays of inline tables get spans for their inner keys too. */
function addNested(doc: RegistriesConfDocument, path: KeyPath, node: AST.TOMLContentNode, keyRange: [number, number]): void {
  if (node.type === 'TOMLInlineTable') {
    for (const kv of node.body) addKeyValue(doc, path, kv)
  } else if (node.type === 'TOMLArray') {
    node.elements.forEach((el, i) => {
      const p = [...path, i]
      doc.spans.set(pathKey(p), {key: keyRange, node: el.range, value: el.range, kind: el.type === 'TOMLInlineTable' ? 'inline' : 'value'})
      addNested(doc, p, el, keyRange)
    })
  }
}
