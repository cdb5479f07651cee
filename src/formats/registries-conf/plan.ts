import path from 'node:path'
import {UserError} from '../../core/errors.js'
import {DEFAULT_DROP_IN} from '../../core/paths.js'
import {normalizeSource} from '../../core/registry-prefix.js'
import {configRejected} from '../../lint/config-rejected.js'
import {mirrorLocation, type MirrorChange, type MirrorTarget} from '../../policy/mirror-policy.js'
import type {ConfigSet} from './config-set.js'
import {convertToV2} from './convert-v1.js'
import type {RegistryTable} from './model.js'
import type {RegistriesConfDocument} from './parse.js'
import {commentLinesAbove, deleteTable, editTable, registryBlock} from './mirror-tables.js'
import {MANAGED_COMMENT, defaultLocation, tableText, type DesiredMirror, type TableState} from './table-state.js'

/** Still exported here for importers of the planner; they live in core/paths.ts and core/registry-prefix.ts. */
export {DEFAULT_DROP_IN, normalizeSource}

export interface PlanOptions {
  /** The main file the engines read (it may not exist yet). */
  mainPath: string
  /** The drop-in folder a new drop-in goes to. */
  dropInDir: string
  /** --drop-in NAME: always write this drop-in. */
  dropIn?: string | undefined
  /** --convert: rewrite a V1 main file as V2. */
  convert?: boolean | undefined
  /** Whether the previous version is backed up (the --convert header says so only then). Default true. */
  backup?: boolean | undefined
}

/** One file's change: the whole new text, so "no change" is a string compare. */
export interface FileChange {
  path: string
  before: string | null
  after: string
  /** One line per thing done, for the human summary. */
  actions: string[]
  /**
   * The file held nothing but what mirrorctl wrote, and that is gone now: the writer removes
   * the file (after is ""), so add followed by remove leaves no file behind.
   */
  deleteFile?: boolean
}

/**
 * Plans a mirror change over a loaded set of files: which file holds the entry to edit (or
 * gets a new one), and the minimal text edits. Returns [] when the merged configuration
 * already says what the change asks.
 */
export function planMirrorChange(set: ConfigSet, change: MirrorChange, options: PlanOptions): FileChange[] {
  if (!set.merged) throw configRejected(set.firstError!)
  const prefix = normalizeSource(change.source)
  const winner = set.merged.registries.find((r) => r.prefix === prefix) ?? null
  const current = describeTable(winner)
  const desired = change.action === 'add' ? applyAdd(current, change) : change.action === 'remove' ? applyRemove(current, change) : applySet(current, change, prefix)
  if (sameTable(current, desired)) return []
  const perMirror = desired.mirrors.find((m) => m.pullFromMirror)
  if (winner?.mirrorByDigestOnly && perMirror)
    throw new UserError(`"${prefix}" has mirror-by-digest-only = true, which the engines refuse together with pull-from-mirror on a mirror ("${perMirror.location}")`, {
      rule: 'registries-conf/digest-only-conflict',
      position: {file: winner.file, line: null},
      hint: 'drop pull-from-mirror, or replace mirror-by-digest-only with pull-from-mirror = "digest-only" on each mirror',
    })

  const fileFor = (p: string) => set.files.find((f) => f.path === p)
  const formatOf = (p: string) => fileFor(p)?.result.config?.format
  const dropInPath = path.join(options.dropInDir, options.dropIn ?? DEFAULT_DROP_IN)
  let target: string
  if (options.dropIn) target = dropInPath
  else if (winner && (formatOf(winner.file) !== 'v1' || options.convert)) target = winner.file
  // No main file: a drop-in, so a distribution's registries.conf can still be installed beside it.
  else if (fileFor(options.mainPath) && (formatOf(options.mainPath) !== 'v1' || options.convert)) target = options.mainPath
  else target = dropInPath
  const file = fileFor(target)
  const before = file?.text ?? null
  const actions: string[] = []
  let after: string
  if (file?.result.config?.format === 'v1') {
    after = convertToV2(file, prefix, desired, {backup: options.backup ?? true})
    actions.push(`convert ${target} from V1 to V2`)
  } else {
    const existing = file?.result.config?.registries.find((r) => r.prefix === prefix)
    if (existing && file) {
      const othersDefine = set.files.some((f) => f.path !== target && f.result.config?.registries.some((r) => r.prefix === prefix))
      if (!othersDefine && isEmptyManagedTable(file.doc, existing, desired)) {
        after = deleteTable(file.doc, existing)
        actions.push(`delete the [[registry]] "${prefix}" that mirrorctl created`)
      } else after = editTable(file.doc, existing, desired)
    } else {
      // A new table here shadows the winner elsewhere: it keeps the winner's other settings.
      const extra = winner ? [...(winner.insecure ? ['insecure = true'] : []), ...(winner.blocked ? ['blocked = true'] : []), ...(winner.mirrorByDigestOnly ? ['mirror-by-digest-only = true'] : [])] : []
      after = appendTable(before ?? '', prefix, desired, extra)
    }
  }
  describeChange(current, desired, prefix, actions)
  if (after === before) return []
  // A drop-in left empty held only what mirrorctl wrote: it goes. A main file stays, even empty.
  const deleteFile = before !== null && after === '' && file!.dropIn
  if (deleteFile) actions.push(`delete ${target}: nothing is left in it`)
  return [{path: target, before, after, actions, ...(deleteFile ? {deleteFile} : {})}]
}

/** A table mirrorctl created (its managed comment alone above it) that would be left saying nothing. */
function isEmptyManagedTable(doc: RegistriesConfDocument, table: RegistryTable, desired: TableState): boolean {
  if (desired.mirrors.length || desired.location !== defaultLocation(table.prefix) || table.location !== defaultLocation(table.prefix)) return false
  const keys = registryBlock(doc, table).keys.map((k) => String(k.at(-1)))
  const comments = commentLinesAbove(doc, table)
  return keys.every((k) => k === 'prefix' || k === 'location') && comments.length === 1 && comments[0] === MANAGED_COMMENT
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
    if (i === -1) {
      if (!added.some((x) => x.location === m.location)) added.push(m)
    }
    // An existing mirror keeps its place; only its settings follow the request.
    else mirrors[i] = {...mirrors[i]!, insecure: m.insecure || mirrors[i]!.insecure, pullFromMirror: m.pullFromMirror || mirrors[i]!.pullFromMirror}
  }
  return {
    location: change.location ?? current.location,
    mirrors: change.position === 'first' ? [...added, ...mirrors] : [...mirrors, ...added],
  }
}

function applyRemove(current: TableState, change: Extract<MirrorChange, {action: 'remove'}>): TableState {
  const targets = change.mirrors
  if (targets === null) return {...current, mirrors: []}
  return {...current, mirrors: current.mirrors.filter((m) => !targets.some((t) => removesMirror(t, m.location)))}
}

/** Whether `mirror remove` of this target removes a [[registry.mirror]] at `location` (matched as written). */
export function removesMirror(target: MirrorTarget, location: string): boolean {
  return location === mirrorLocation(target)
}

/** The locations of the mirrors the engines use for a source, in order (none when the set is rejected). */
export function configuredMirrors(set: ConfigSet, source: string): string[] {
  const prefix = normalizeSource(source)
  return set.merged?.registries.find((r) => r.prefix === prefix)?.mirrors.map((m) => m.location) ?? []
}

/** 'set': exactly these mirrors in this order; location undefined keeps, null removes the redirect. */
function applySet(current: TableState, change: Extract<MirrorChange, {action: 'set'}>, prefix: string): TableState {
  const mirrors: DesiredMirror[] = []
  for (const m of change.mirrors.map(toDesired)) if (!mirrors.some((x) => x.location === m.location)) mirrors.push(m)
  let location = current.location
  if (typeof change.location === 'string') location = change.location
  else if (change.location === null && current.location !== null) location = defaultLocation(prefix)
  return {location, mirrors}
}

function sameTable(a: TableState, b: TableState): boolean {
  return a.location === b.location && JSON.stringify(a.mirrors) === JSON.stringify(b.mirrors)
}

function describeChange(current: TableState, desired: TableState, prefix: string, actions: string[]): void {
  if (current.location === null) actions.push(`add [[registry]] prefix "${prefix}"`)
  else if (desired.location !== current.location) actions.push(desired.location ? `set location of "${prefix}" to "${desired.location}"` : `remove the location of "${prefix}"`)
  for (const m of desired.mirrors) {
    const old = current.mirrors.find((x) => x.location === m.location)
    if (!old) actions.push(`add mirror "${m.location}" to "${prefix}"${m.insecure ? ' (insecure)' : ''}`)
    else if (JSON.stringify(old) !== JSON.stringify(m)) actions.push(`update mirror "${m.location}" of "${prefix}"`)
  }
  for (const m of current.mirrors) if (!desired.mirrors.some((x) => x.location === m.location)) actions.push(`remove mirror "${m.location}" from "${prefix}"`)
  const kept = (s: TableState) => s.mirrors.map((m) => m.location).filter((l) => current.mirrors.some((x) => x.location === l) && desired.mirrors.some((x) => x.location === l))
  if (kept(current).join() !== kept(desired).join()) actions.push(`reorder the mirrors of "${prefix}": ${desired.mirrors.map((m) => m.location).join(', ')}`)
}

/**
 * A new [[registry]] table at the end of the file (tables may always follow everything else),
 * under the managed comment and one line break after the text, so deleting it again (see
 * deleteTable) restores the text exactly.
 */
function appendTable(text: string, prefix: string, desired: TableState, extra: string[]): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const body = MANAGED_COMMENT + eol + tableText(prefix, desired, eol, extra) + eol
  return text === '' ? body : text + eol + body
}
