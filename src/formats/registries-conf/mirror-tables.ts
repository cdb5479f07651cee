import {UserError} from '../../core/errors.js'
import {applyEdits, type TextEdit} from '../../edit/text-edit.js'
import {commentsAbove, lineEnd, lineStart, nextLineStart} from './lines.js'
import type {Endpoint, RegistryTable} from './model.js'
import {pathKey, type KeyPath, type RegistriesConfDocument, type TableBlock} from './parse.js'
import {editInlineMirrors} from './inline-mirrors.js'
import {matchMirrors, mirrorLines, tomlValue, type DesiredMirror, type TableState} from './table-state.js'

export function registryBlock(doc: RegistriesConfDocument, table: RegistryTable): TableBlock {
  const block = doc.tables.find((t) => t.kind === 'array' && pathKey(t.path) === pathKey(table.path))
  if (!block)
    throw new UserError(`${doc.path}: the [[registry]] for "${table.prefix}" is written as an inline table, which mirrorctl does not rewrite`, {
      hint: 'rewrite it as a [[registry]] table with [[registry.mirror]] tables, then run the command again',
    })
  return block
}

const mirrorBlockOf = (doc: RegistriesConfDocument, m: Endpoint) => doc.tables.find((t) => t.kind === 'array' && pathKey(t.path) === pathKey(m.path))!

/** Deletes the line of a key together with the line break before it (a key is never a block's first line). */
function deleteKeyLine(text: string, span: {node: [number, number]}): TextEdit {
  const start = lineStart(text, span.node[0])
  return {start: start - (text[start - 2] === '\r' ? 2 : 1), end: lineEnd(text, span.node[1]), text: ''}
}

/** Sets, adds or (for "" / false where absent) removes one key of a table block. */
function keyEdit(doc: RegistriesConfDocument, base: KeyPath, key: string, value: string | boolean, blockEnd: number): TextEdit | null {
  const span = doc.spans.get(pathKey([...base, key]))
  if (value === '' && span) return deleteKeyLine(doc.text, span)
  if (span?.value) return {start: span.value[0], end: span.value[1], text: tomlValue(value)}
  if (value === '' || value === false) return null
  const at = lineEnd(doc.text, blockEnd)
  return {start: at, end: at, text: `${doc.eol}${key} = ${tomlValue(value)}`}
}

/** Edits an existing [[registry]] table in place: its location, then its mirrors. */
export function editTable(doc: RegistriesConfDocument, table: RegistryTable, desired: TableState): string {
  const block = registryBlock(doc, table)
  const edits: TextEdit[] = []
  if (desired.location !== null && desired.location !== table.location) {
    const e = keyEdit(doc, table.path, 'location', desired.location, block.end)
    if (e) edits.push(e)
  }
  const inline = doc.spans.get(pathKey([...table.path, 'mirror']))
  if (inline?.kind === 'value') edits.push(...editInlineMirrors(doc, table, desired.mirrors))
  else edits.push(...editMirrorTables(doc, table, block, desired.mirrors))
  return applyEdits(doc.text, edits)
}

/**
 * [[registry.mirror]] tables: each existing table is a chunk (the comment lines directly above it
 * through the end of its last line). Kept chunks stay in their slots, filled in the desired
 * order, so a reorder moves each mirror together with its comments; removed chunks go; new
 * tables go next to the kept mirror they follow in the desired order.
 */
function editMirrorTables(doc: RegistriesConfDocument, table: RegistryTable, block: TableBlock, desired: DesiredMirror[]): TextEdit[] {
  const {text, eol} = doc
  const edits: TextEdit[] = []
  const chunks = table.mirrors.map((m) => {
    const b = mirrorBlockOf(doc, m)
    return {start: commentsAbove(text, b.header[0]), end: lineEnd(text, b.end), block: b}
  })
  const match = matchMirrors(table.mirrors, desired)
  const kept = [...new Set(match.filter((i) => i >= 0))].sort((a, b) => a - b)
  const keptInDesiredOrder = match.filter((i) => i >= 0)

  const chunkText = (i: number, d: DesiredMirror): string => {
    const m = table.mirrors[i]!
    const c = chunks[i]!
    const local: (TextEdit | null)[] = []
    if (d.insecure !== m.insecure) local.push(keyEdit(doc, m.path, 'insecure', d.insecure, c.block.end))
    if (d.pullFromMirror !== m.pullFromMirror) local.push(keyEdit(doc, m.path, 'pull-from-mirror', d.pullFromMirror, c.block.end))
    const shifted = local.filter((e): e is TextEdit => e !== null)
    return applyEdits(
      text.slice(c.start, c.end),
      shifted.map((e) => ({...e, start: e.start - c.start, end: e.end - c.start})),
    )
  }
  kept.forEach((slot, j) => {
    const i = keptInDesiredOrder[j]!
    const c = chunks[slot]!
    const next = chunkText(i, desired[match.indexOf(i)]!)
    if (next !== text.slice(c.start, c.end)) edits.push({start: c.start, end: c.end, text: next})
  })
  table.mirrors.forEach((_, i) => {
    if (kept.includes(i)) return
    const c = chunks[i]!
    let end = nextLineStart(text, c.end)
    // Swallow one blank line after the block so no double gap is left behind.
    const gap = /^[ \t]*\r?\n/.exec(text.slice(end))
    if (gap && (c.start === 0 || /\n[ \t]*\r?\n$/.test(text.slice(0, c.start)))) end += gap[0].length
    edits.push({start: c.start, end, text: ''})
  })
  // New mirrors, grouped by the kept mirror they follow in the desired order (-1: before all).
  const groups = new Map<number, DesiredMirror[]>()
  let anchor = -1
  desired.forEach((d, k) => {
    if (match[k]! >= 0) anchor = kept[keptInDesiredOrder.indexOf(match[k]!)]!
    else groups.set(anchor, [...(groups.get(anchor) ?? []), d])
  })
  for (const [slot, items] of groups) {
    if (slot === -1 && kept.length) {
      const at = chunks[kept[0]!]!.start
      edits.push({start: at, end: at, text: items.map((m) => mirrorLines(m, eol) + eol + eol).join('')})
    } else {
      const at = slot === -1 ? lineEnd(text, block.end) : chunks[slot]!.end
      edits.push({start: at, end: at, text: items.map((m) => eol + eol + mirrorLines(m, eol)).join('')})
    }
  }
  return edits
}

/**
 * Deletes a whole [[registry]] table mirrorctl created (the managed comment above it through its
 * last mirror) with the line break that separated it from the text before, so an add followed by
 * a remove gives back the original bytes.
 */
export function deleteTable(doc: RegistriesConfDocument, table: RegistryTable): string {
  const {text} = doc
  const block = registryBlock(doc, table)
  let start = commentsAbove(text, block.header[0])
  const last = Math.max(block.end, ...table.mirrors.map((m) => mirrorBlockOf(doc, m).end))
  const end = nextLineStart(text, last)
  if (start > 0) start -= text[start - 2] === '\r' ? 2 : 1
  return text.slice(0, start) + text.slice(end)
}

/** The comment lines directly above a table's header, trimmed. */
export function commentLinesAbove(doc: RegistriesConfDocument, table: RegistryTable): string[] {
  const block = registryBlock(doc, table)
  const start = commentsAbove(doc.text, block.header[0])
  return doc.text
    .slice(start, lineStart(doc.text, block.header[0]))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
}

