/**
 * A strict JSON parser for daemon.json that accepts exactly what Go's encoding/json accepts (as
 * dockerd calls it) and keeps the offset of every key and value.
 *
 * It recovers from the usual hand-editing mistakes (comments, trailing commas, single quotes,
 * unquoted keys, NaN/hex/+1, missing commas, non-JSON spaces) so one run reports all of them and
 * the rest of the file can still be linted; anything else stops the parse. Messages quote what
 * Go reports at that point, and the position is where the mistake is.
 *
 * This module turns the parse into a document with findings; the reading itself is
 * json-scanner.ts (tokens) and json-parser.ts (structure), the tree json-tree.ts.
 */
import {LineIndex, detectEol} from '../../core/line-index.js'
import type {Finding} from '../../lint/finding.js'
import {report, type FindingAt} from '../../lint/rule.js'
import {rules} from './rules.js'
import {isGoSpace} from './go-json-chars.js'
import {JsonParser} from './json-parser.js'
import type {JsonMember, JsonNode} from './json-tree.js'

export type {JsonArray, JsonBoolean, JsonInvalid, JsonMember, JsonNode, JsonNull, JsonNumber, JsonObject, JsonString} from './json-tree.js'
export {lastMember, toValue} from './json-tree.js'

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

  const parser = new JsonParser(text, start, end)
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
    findDuplicates(doc, doc.root)
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

function findDuplicates(doc: DaemonJsonDoc, root: JsonNode): void {
  // Iterative, for the same reason as toValue.
  const work: [JsonNode, string][] = [[root, '']]
  for (let next = work.pop(); next; next = work.pop()) {
    const [node, where] = next
    if (node.kind === 'array') {
      for (const item of node.items) if (item.kind === 'array' || item.kind === 'object') work.push([item, where])
      continue
    }
    if (node.kind !== 'object') continue
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
      if (m.value.kind === 'array' || m.value.kind === 'object') work.push([m.value, where ? `${where}.${m.key}` : m.key])
    }
  }
}
