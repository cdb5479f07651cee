import path from 'node:path'
import TOML from '@iarna/toml'
import {UserError} from '../../core/errors.js'
import {isDomain} from '../../core/image-reference.js'
import {configRejected} from '../../lint/config-rejected.js'
import {applyEdits, type TextEdit} from '../../edit/text-edit.js'
import {mirrorLocation, type MirrorChange, type MirrorTarget} from '../../policy/mirror-policy.js'
import type {ConfigSet, LoadedFile} from './config-set.js'
import type {Endpoint, RegistryTable} from './model.js'
import {pathKey, type KeyPath, type RegistriesConfDocument} from './parse.js'

export const DEFAULT_DROP_IN = '50-mirrorctl.conf'

export interface PlanOptions {
  /** The main file the engines read (it may not exist yet). */
  mainPath: string
  /** The drop-in folder a new drop-in goes to. */
  dropInDir: string
  /** --drop-in NAME: always write this drop-in. */
  dropIn?: string | undefined
  /** --convert: rewrite a V1 main file as V2. */
  convert?: boolean | undefined
}

/** One file's change: the whole new text, so "no change" is a string compare. */
export interface FileChange {
  path: string
  before: string | null
  after: string
  /** One line per thing done, for the human summary. */
  actions: string[]
}

/** Docker Hub's aliases all mean the prefix docker.io, the only one that matches Hub images. */
export function normalizeSource(source: string): string {
  const s = source.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '')
  const slash = s.indexOf('/')
  const domain = slash === -1 ? s : s.slice(0, slash)
  const rest = slash === -1 ? '' : s.slice(slash)
  if (['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'].includes(domain.toLowerCase())) return `docker.io${rest}`
  const hint = 'give a registry or prefix such as docker.io, docker.io/library, quay.io/org or *.example.com'
  if (domain.startsWith('*.')) {
    if (rest || !isDomain(domain.slice(2)) || domain.includes(':')) throw new UserError(`invalid source "${source}": a wildcard is *.example.com, without port or path`, {hint})
    return s
  }
  if (!isDomain(domain) || (rest && !/^(\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$/.test(rest)))
    throw new UserError(`invalid source "${source}"`, {hint})
  return s
}

const tomlValue = (v: string | boolean): string => TOML.stringify.value(v)

interface DesiredMirror {
  location: string
  insecure: boolean
  pullFromMirror: string
}

/**
 * Plans a mirror change over a loaded set of files: which file holds the entry to edit (or
 * gets a new one), and the minimal text edits. Returns [] when the merged configuration
 * already says what the change asks.
 */
export function planMirrorChange(set: ConfigSet, change: MirrorChange, options: PlanOptions): FileChange[] {
  if (!set.merged) {
    throw configRejected(set.firstError!)
  }
  const prefix = normalizeSource(change.source)
  const winner = set.merged.registries.find((r) => r.prefix === prefix) ?? null
  const current = describeTable(winner)
  const desired = change.action === 'add' ? applyAdd(current, change) : applyRemove(current, change)
  if (sameTable(current, desired)) return []
  if (change.action === 'remove' && !winner) return []

  const fileFor = (p: string) => set.files.find((f) => f.path === p)
  const dropInPath = path.join(options.dropInDir, options.dropIn ?? DEFAULT_DROP_IN)
  let target: string
  if (options.dropIn) target = dropInPath
  else if (winner) target = winner.file
  else {
    const main = fileFor(options.mainPath)
    if (!main || main.result.config?.format !== 'v1') target = options.mainPath
    else target = options.convert ? options.mainPath : dropInPath
  }
  const file = fileFor(target)
  const before = file?.text ?? null
  const actions: string[] = []
  let after: string
  if (file?.result.config?.format === 'v1') {
    after = convertToV2(file, prefix, desired)
    actions.push(`convert ${target} from V1 to V2`)
  } else {
    const doc = file?.doc
    const existing = doc ? file.result.config?.registries.find((r) => r.prefix === prefix) : undefined
    after = existing && doc ? editTable(doc, existing, desired) : appendTable(before ?? '', prefix, desired)
  }
  describeChange(current, desired, prefix, actions)
  return after === before ? [] : [{path: target, before, after, actions}]
}

interface TableState {
  location: string | null
  mirrors: DesiredMirror[]
}

function describeTable(r: RegistryTable | null): TableState {
  return {
    location: r ? r.location : null,
    mirrors: (r?.mirrors ?? []).map((m) => ({location: m.location, insecure: m.insecure, pullFromMirror: m.pullFromMirror})),
  }
}

function toDesired(m: MirrorTarget): DesiredMirror {
  return {location: mirrorLocation(m), insecure: m.insecure, pullFromMirror: m.pullFromMirror ?? ''}
}

function applyAdd(current: TableState, change: Extract<MirrorChange, {action: 'add'}>): TableState {
  const mirrors = [...current.mirrors]
  const added: DesiredMirror[] = []
  for (const m of change.mirrors.map(toDesired)) {
    const i = mirrors.findIndex((x) => x.location === m.location)
    if (i === -1) added.push(m)
    // An existing mirror keeps its place; only its settings follow the request.
    else mirrors[i] = {...mirrors[i]!, insecure: m.insecure || mirrors[i]!.insecure, pullFromMirror: m.pullFromMirror || mirrors[i]!.pullFromMirror}
  }
  return {
    location: change.location ?? current.location,
    mirrors: change.position === 'first' ? [...added, ...mirrors] : [...mirrors, ...added],
  }
}

function applyRemove(current: TableState, change: Extract<MirrorChange, {action: 'remove'}>): TableState {
  if (change.mirrors === null) return {...current, mirrors: []}
  const drop = new Set(change.mirrors.map((m) => mirrorLocation(m)))
  return {...current, mirrors: current.mirrors.filter((m) => !drop.has(m.location))}
}

function sameTable(a: TableState, b: TableState): boolean {
  return a.location === b.location && JSON.stringify(a.mirrors) === JSON.stringify(b.mirrors)
}

function describeChange(current: TableState, desired: TableState, prefix: string, actions: string[]): void {
  if (current.location === null) actions.push(`add [[registry]] prefix "${prefix}"`)
  else if (desired.location !== current.location) actions.push(`set location of "${prefix}" to "${desired.location}"`)
  for (const m of desired.mirrors) {
    const old = current.mirrors.find((x) => x.location === m.location)
    if (!old) actions.push(`add mirror "${m.location}" to "${prefix}"${m.insecure ? ' (insecure)' : ''}`)
    else if (JSON.stringify(old) !== JSON.stringify(m)) actions.push(`update mirror "${m.location}" of "${prefix}"`)
  }
  for (const m of current.mirrors) if (!desired.mirrors.some((x) => x.location === m.location)) actions.push(`remove mirror "${m.location}" from "${prefix}"`)
}

function mirrorLines(m: DesiredMirror, eol: string): string {
  return [
    '[[registry.mirror]]',
    `location = ${tomlValue(m.location)}`,
    ...(m.insecure ? ['insecure = true'] : []),
    ...(m.pullFromMirror ? [`pull-from-mirror = ${tomlValue(m.pullFromMirror)}`] : []),
  ].join(eol)
}

function tableText(prefix: string, desired: TableState, eol: string, extra: string[] = []): string {
  // A wildcard prefix keeps each matched host as it is: no location line.
  const location = desired.location ?? (prefix.startsWith('*.') ? '' : prefix)
  const head = ['[[registry]]', `prefix = ${tomlValue(prefix)}`, ...(location ? [`location = ${tomlValue(location)}`] : []), ...extra].join(eol)
  return [head, ...desired.mirrors.map((m) => mirrorLines(m, eol))].join(eol + eol)
}

/** A new [[registry]] table at the end of the file (tables may always follow everything else). */
function appendTable(text: string, prefix: string, desired: TableState): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const body = tableText(prefix, desired, eol)
  if (text.trim() === '') return text + (text ? '' : `# Written by mirrorctl.${eol}`) + body + eol
  const sep = text.endsWith(eol + eol) ? '' : text.endsWith(eol) ? eol : eol + eol
  return text + sep + body + eol
}

/** End of the line holding `offset` (before its line break), so trailing comments stay on their line. */
function lineEnd(text: string, offset: number): number {
  const n = text.indexOf('\n', offset)
  if (n === -1) return text.length
  return text[n - 1] === '\r' ? n - 1 : n
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1
}

/** Start of a table block: its header line, or the comment lines directly above it, which describe it. */
function blockStart(text: string, header: number): number {
  let start = lineStart(text, header)
  while (start > 0) {
    const prev = lineStart(text, start - 1)
    if (!/^[ \t]*#/.test(text.slice(prev, start))) break
    start = prev
  }
  return start
}

/** Edits an existing [[registry]] table in place: location, then mirrors added, updated or removed. */
function editTable(doc: RegistriesConfDocument, table: RegistryTable, desired: TableState): string {
  const {text, eol} = doc
  const edits: TextEdit[] = []
  const block = doc.tables.find((t) => t.kind === 'array' && pathKey(t.path) === pathKey(table.path))
  if (!block)
    throw new UserError(`${doc.path}: the [[registry]] for "${table.prefix}" is written as an inline table, which mirrorctl does not rewrite`, {
      hint: 'rewrite it as a [[registry]] table with [[registry.mirror]] tables, then run the command again',
    })
  const setKey = (base: KeyPath, key: string, value: string | boolean, blockEnd: number) => {
    const span = doc.spans.get(pathKey([...base, key]))
    if (span?.value) edits.push({start: span.value[0], end: span.value[1], text: tomlValue(value)})
    else {
      const at = lineEnd(text, blockEnd)
      edits.push({start: at, end: at, text: `${eol}${key} = ${tomlValue(value)}`})
    }
  }
  if (desired.location !== table.location && desired.location !== null) setKey(table.path, 'location', desired.location, block.end)

  const mirrorBlock = (m: Endpoint) => doc.tables.find((t) => t.kind === 'array' && pathKey(t.path) === pathKey(m.path))
  const inlineMirrors = table.mirrors.length > 0 && !mirrorBlock(table.mirrors[0]!)
  if (inlineMirrors) {
    // mirror = [ {...}, ... ] written inline: replace the array's text as a whole.
    const span = doc.spans.get(pathKey([...table.path, 'mirror']))!
    const items = desired.mirrors.map(
      (m) =>
        `{ location = ${tomlValue(m.location)}${m.insecure ? ', insecure = true' : ''}${m.pullFromMirror ? `, pull-from-mirror = ${tomlValue(m.pullFromMirror)}` : ''} }`,
    )
    edits.push({start: span.value![0], end: span.value![1], text: `[${items.length ? ` ${items.join(', ')} ` : ''}]`})
    return applyEdits(text, edits)
  }

  // Removed mirrors: delete their [[registry.mirror]] block, header line through its last key's line.
  const kept = table.mirrors.filter((m) => desired.mirrors.some((d) => d.location === m.location))
  for (const m of table.mirrors) {
    if (kept.includes(m)) continue
    const b = mirrorBlock(m)!
    const start = blockStart(text, b.header[0])
    let end = lineEnd(text, b.end)
    end = text.startsWith('\r\n', end) ? end + 2 : text.startsWith('\n', end) ? end + 1 : end
    // Swallow one blank line after the block so no double gap is left behind.
    const blank = /^[ \t]*\r?\n/.exec(text.slice(end))
    if (blank && (start === 0 || /\n[ \t]*\r?\n$/.test(text.slice(0, start)))) end += blank[0].length
    edits.push({start, end, text: ''})
  }
  // Settings of mirrors that stay.
  for (const m of kept) {
    const d = desired.mirrors.find((x) => x.location === m.location)!
    const b = mirrorBlock(m)!
    if (d.insecure !== m.insecure) setKey(m.path, 'insecure', d.insecure, b.end)
    if (d.pullFromMirror !== m.pullFromMirror) setKey(m.path, 'pull-from-mirror', d.pullFromMirror, b.end)
  }
  // New mirrors: those before the first kept one go above it, the rest after the last.
  const firstKeptIndex = desired.mirrors.findIndex((d) => kept.some((k) => k.location === d.location))
  const isNew = (d: DesiredMirror) => !table.mirrors.some((m) => m.location === d.location)
  const head = desired.mirrors.slice(0, firstKeptIndex === -1 ? 0 : firstKeptIndex).filter(isNew)
  const tail = desired.mirrors.slice(firstKeptIndex === -1 ? 0 : firstKeptIndex).filter(isNew)
  if (head.length) {
    const first = mirrorBlock(kept[0]!)!
    const at = blockStart(text, first.header[0])
    edits.push({start: at, end: at, text: head.map((m) => mirrorLines(m, eol) + eol + eol).join('')})
  }
  if (tail.length) {
    const lastKept = kept.at(-1)
    const after = lastKept ? mirrorBlock(lastKept)!.end : block.end
    const at = lineEnd(text, after)
    edits.push({start: at, end: at, text: tail.map((m) => eol + eol + mirrorLines(m, eol)).join('')})
  }
  return applyEdits(text, edits)
}

/** --convert: the V1 file becomes V2 with the same meaning, plus the requested table. */
function convertToV2(file: LoadedFile, prefix: string, desired: TableState): string {
  const config = file.result.config!
  const eol = file.doc.eol
  const lines = [`# Converted from the V1 format by mirrorctl; the previous version is in mirrorctl's backups.`]
  if (config.unqualifiedSearchRegistries !== null) lines.push(`unqualified-search-registries = ${TOML.stringify.value(config.unqualifiedSearchRegistries)}`)
  const tables = config.registries
    .filter((r) => r.prefix !== prefix)
    .map((r) =>
      [
        '[[registry]]',
        `location = ${tomlValue(r.location)}`,
        ...(r.insecure ? ['insecure = true'] : []),
        ...(r.blocked ? ['blocked = true'] : []),
      ].join(eol),
    )
  const old = config.registries.find((r) => r.prefix === prefix)
  const extra = [...(old?.insecure ? ['insecure = true'] : []), ...(old?.blocked ? ['blocked = true'] : [])]
  tables.push(tableText(prefix, desired, eol, extra))
  return [lines.join(eol), ...tables].join(eol + eol) + eol
}
