/**
 * Minimal text edits to daemon.json for a mirror change. Only the registry-mirrors (and, for
 * unverified-TLS mirrors, insecure-registries) values change; every other byte, the key order,
 * the indentation and the line endings stay. Running the same change twice yields no edits.
 */
import {UserError} from '../../core/errors.js'
import {ExitCode} from '../../core/exit-codes.js'
import type {TextEdit} from '../../edit/text-edit.js'
import {configRejected} from '../../lint/config-rejected.js'
import {mirrorUrl, type MirrorChange, type MirrorTarget} from '../../policy/mirror-policy.js'
import {checkInsecureRegistry, isDockerHubSource, mirrorKey} from './mirror-url.js'
import {lastMember, positionAt, type DaemonJsonDoc, type JsonArray, type JsonMember, type JsonNode, type JsonObject} from './parse.js'

/** The change names a source other than Docker Hub, which daemon.json cannot mirror. */
export class NotDockerHubError extends UserError {
  readonly source: string

  constructor(source: string) {
    const prefix = /^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//i.test(source.trim())
    super(
      prefix
        ? `Docker's registry-mirrors apply to all of Docker Hub; daemon.json cannot limit a mirror to "${source}"`
        : `Docker's registry-mirrors serve Docker Hub (docker.io) only; daemon.json cannot mirror "${source}"`,
      {
        exitCode: ExitCode.Usage,
        hint: prefix
          ? 'use --source docker.io for Docker, or registries.conf (podman, CRI-O), which mirrors any prefix'
          : `mirror ${source} for podman/CRI-O in registries.conf ([[registry]] prefix = "${source}" with a [[registry.mirror]]), or for containerd in certs.d/${source}/hosts.toml`,
      },
    )
    this.name = 'NotDockerHubError'
    this.source = source
  }
}

/** Throws NotDockerHubError unless the source is Docker Hub (docker.io, index.docker.io, registry-1.docker.io). */
export function assertDockerHubSource(source: string): void {
  if (!isDockerHubSource(source)) throw new NotDockerHubError(source)
}

/**
 * The edits that make the document say what the change asks. Throws the first syntax error when
 * dockerd could not read the file, NotDockerHubError for other sources, and a UserError for what
 * daemon.json cannot express (a location, pull-from-mirror) or a registry-mirrors that is not a list.
 */
export function planDaemonJson(doc: DaemonJsonDoc, change: MirrorChange): TextEdit[] {
  const firstError = doc.syntaxFindings.find((f) => f.severity === 'error')
  if (firstError) throw configRejected(firstError)
  assertDockerHubSource(change.source)
  if (change.action === 'add') return planAdd(doc, change)
  if (change.action === 'set') return planSet(doc, change)
  return planRemove(doc, change.mirrors)
}

// ---- add

/** What daemon.json cannot say: a redirect of Docker Hub, or a mirror limited to some pulls. */
function assertExpressible(change: {location?: string | null; mirrors: MirrorTarget[]}): void {
  if (typeof change.location === 'string') {
    throw new UserError(`daemon.json cannot redirect Docker Hub to "${change.location}"; registry-mirrors only adds mirrors in front of it`, {
      hint: 'drop --location for Docker; registries.conf can redirect a prefix with location = …',
    })
  }
  const partial = change.mirrors.find((m) => m.pullFromMirror === 'digest-only' || m.pullFromMirror === 'tag-only')
  if (partial) {
    throw new UserError(`daemon.json cannot restrict mirror ${partial.given} to ${partial.pullFromMirror} pulls; dockerd uses a mirror for every pull`, {
      hint: 'drop --pull-from-mirror for Docker (pull-from-mirror is a registries.conf setting)',
    })
  }
}

/** dockerd skips TLS verification only for hosts in insecure-registries; plain http:// needs nothing. */
function insecureHostsOf(mirrors: MirrorTarget[]): string[] {
  return unique(
    mirrors.filter((m) => m.insecure && mirrorUrl(m).startsWith('https://')).map((m) => m.host),
    (h) => h.toLowerCase(),
  )
}

function planAdd(doc: DaemonJsonDoc, change: Extract<MirrorChange, {action: 'add'}>): TextEdit[] {
  assertExpressible(change)
  const urls = unique(change.mirrors.map(mirrorUrl), mirrorKey)
  const wanted: NewMember[] = [
    {key: 'registry-mirrors', items: urls, position: change.position, same: mirrorKey},
    {key: 'insecure-registries', items: insecureHostsOf(change.mirrors), position: 'last', same: insecureKey},
  ]
  return planMembers(doc, wanted)
}

/**
 * 'set': registry-mirrors becomes exactly these URLs in this order ([] stays written as [], since a
 * reload keeps the old mirrors when the key is absent). Entries already there keep their text
 * (scheme case, trailing slash); a list that already says it is left alone.
 */
function planSet(doc: DaemonJsonDoc, change: Extract<MirrorChange, {action: 'set'}>): TextEdit[] {
  assertExpressible(change)
  const urls = unique(change.mirrors.map(mirrorUrl), mirrorKey)
  const member = doc.root?.kind === 'object' ? lastMember(doc.root.members, 'registry-mirrors') : undefined
  const edits: TextEdit[] = []
  if (member?.value.kind === 'array') {
    const items = member.value.items
    const present = items.map((n) => (n.kind === 'string' ? mirrorKey(n.value) : null))
    if (present.length !== urls.length || urls.some((u, i) => present[i] !== mirrorKey(u))) {
      const texts = urls.map((u) => {
        const same = items.find((n) => n.kind === 'string' && mirrorKey(n.value) === mirrorKey(u))
        return same ? doc.text.slice(same.start, same.end) : quote(u)
      })
      const style = detectStyle(doc, doc.root as JsonObject)
      const multiline = /[\r\n]/.test(doc.text.slice(member.value.start, member.value.end))
      const indent = lineIndent(doc.text, member.keyStart) ?? ''
      const text = texts.length === 0 ? '[]' : renderArrayTexts(texts, indent, {...style, compact: style.compact || (!multiline && items.length > 0)})
      edits.push({start: member.value.start, end: member.value.end, text})
    }
  } else if (member && member.value.kind !== 'null') throw notAList(doc, member)
  const wanted: NewMember[] = [
    ...(member?.value.kind === 'array' ? [] : [{key: 'registry-mirrors', items: urls, position: 'last' as const, same: mirrorKey, keepEmpty: true}]),
    {key: 'insecure-registries', items: insecureHostsOf(change.mirrors), position: 'last', same: insecureKey},
  ]
  return [...edits, ...planMembers(doc, wanted)]
}

/** Adds the missing items of each wanted member: into its list, or as a new member. */
function planMembers(doc: DaemonJsonDoc, wanted: NewMember[]): TextEdit[] {

  const root = doc.root
  if (doc.empty || root?.kind === 'null') {
    const members = wanted.filter((w) => w.items.length > 0 || w.keepEmpty)
    if (members.length === 0) return []
    const fresh = renderObject(members, doc.empty ? '\n' : doc.eol)
    return doc.empty
      ? [{start: doc.bom ? 1 : 0, end: doc.text.length, text: fresh + '\n'}]
      : [{start: root!.start, end: root!.end, text: fresh}]
  }
  const object = root as JsonObject
  const style = detectStyle(doc, object)
  const edits: TextEdit[] = []
  const appended: NewMember[] = []
  for (const w of wanted) {
    const member = lastMember(object.members, w.key)
    const present = new Set(member?.value.kind === 'array' ? member.value.items.flatMap((n) => (n.kind === 'string' ? [w.same(n.value)] : [])) : [])
    const items = w.items.filter((v) => !present.has(w.same(v)))
    if (items.length === 0 && !(w.keepEmpty && member?.value.kind !== 'array')) continue
    if (!member) {
      appended.push({...w, items})
    } else if (member.value.kind === 'null') {
      const indent = lineIndent(doc.text, member.keyStart) ?? style.unit
      edits.push({start: member.value.start, end: member.value.end, text: renderArray(items, indent, style)})
    } else if (member.value.kind === 'array') {
      edits.push(insertIntoArray(doc, member, member.value, items.map(quote), w.position, style))
    } else {
      throw notAList(doc, member)
    }
  }
  if (appended.length > 0) edits.push(appendMembers(doc, object, appended, style))
  return edits
}

interface NewMember {
  key: string
  items: string[]
  position: 'first' | 'last'
  /** Comparison key: equal keys are the same entry for dockerd. */
  same: (value: string) => string
  /** Written even with no items (as []). */
  keepEmpty?: boolean
}

function insecureKey(entry: string): string {
  const check = checkInsecureRegistry(entry)
  return (check.ok ? check.value : entry).toLowerCase()
}

// ---- remove

function planRemove(doc: DaemonJsonDoc, targets: MirrorTarget[] | null): TextEdit[] {
  if (doc.root?.kind !== 'object') return []
  const member = lastMember(doc.root.members, 'registry-mirrors')
  if (!member || member.value.kind === 'null') return []
  if (member.value.kind !== 'array') throw notAList(doc, member)
  const items = member.value.items
  const removed = items.map((n) => n.kind === 'string' && (targets === null || targets.some((t) => removesMirrorUrl(t, n.value))))
  if (!removed.includes(true)) return []
  // An empty list, not a deleted key: a reload applies only keys present in the file.
  if (!removed.includes(false)) return [{start: member.value.start, end: member.value.end, text: '[]'}]
  const edits: TextEdit[] = []
  for (let a = 0; a < items.length; a++) {
    if (!removed[a]) continue
    let b = a
    while (b + 1 < items.length && removed[b + 1]) b++
    // Take the separator before the run, or after it when the run starts the list.
    edits.push(a > 0 ? {start: items[a - 1]!.end, end: items[b]!.end, text: ''} : {start: items[a]!.start, end: items[b + 1]!.start, text: ''})
    a = b
  }
  return edits
}

/** Whether `mirror remove` of this target removes the registry-mirrors entry `url`: same host and path, any scheme. */
export function removesMirrorUrl(target: MirrorTarget, url: string): boolean {
  const key = (s: string) => s.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '').replace(/\/+$/, '').toLowerCase()
  return key(url) === key(`${target.host}/${target.path}`)
}

// ---- layout

interface Style {
  eol: string
  /** One level of indentation (two spaces, four spaces, a tab…). */
  unit: string
  /** The whole object is on one line. */
  compact: boolean
  /** Between a key and its value: ": " or ":". */
  colon: string
  /** Between entries on one line: ", " or ",". */
  comma: string
}

function detectStyle(doc: DaemonJsonDoc, root: JsonObject): Style {
  const text = doc.text
  const compact = root.members.length > 0 && !/[\r\n]/.test(text.slice(root.start, root.end))
  const first = root.members[0]
  const unit = (first && lineIndent(text, first.keyStart)) || '  '
  const last = root.members.at(-1)
  const colonText = last ? text.slice(last.keyEnd, last.value.start) : ': '
  const colon = /[\r\n]/.test(colonText) ? ': ' : colonText
  const second = root.members[1]
  const between = first && second ? text.slice(first.value.end, second.keyStart) : null
  const comma = between !== null && !/[\r\n]/.test(between) ? between : colon.endsWith(' ') ? ', ' : ','
  return {eol: doc.eol, unit, compact, colon, comma}
}

/** The white space before `offset` on its line, or null when something else precedes it. */
function lineIndent(text: string, offset: number): string | null {
  const start = Math.max(text.lastIndexOf('\n', offset - 1), text.lastIndexOf('\r', offset - 1)) + 1
  const before = text.slice(start, offset)
  return /^[ \t]*$/.test(before) ? before : null
}

function insertIntoArray(doc: DaemonJsonDoc, member: JsonMember, array: JsonArray, texts: string[], position: 'first' | 'last', style: Style): TextEdit {
  const text = doc.text
  const memberIndent = lineIndent(text, member.keyStart) ?? ''
  const items = array.items
  if (items.length === 0) {
    return {start: array.start, end: array.end, text: renderArrayTexts(texts, memberIndent, style)}
  }
  const multiline = /[\r\n]/.test(text.slice(array.start, array.end))
  let sep: string
  if (items.length >= 2) {
    sep = text.slice(items[0]!.end, items[1]!.start)
  } else if (multiline) {
    sep = ',' + style.eol + (lineIndent(text, items[0]!.start) ?? memberIndent + style.unit)
  } else {
    sep = style.comma
  }
  return position === 'first'
    ? {start: items[0]!.start, end: items[0]!.start, text: texts.join(sep) + sep}
    : {start: items.at(-1)!.end, end: items.at(-1)!.end, text: sep + texts.join(sep)}
}

function appendMembers(doc: DaemonJsonDoc, root: JsonObject, members: NewMember[], style: Style): TextEdit {
  if (root.members.length === 0) {
    // An empty object has no style to keep; write it the way a fresh file looks.
    const inner = members.map((m) => `  ${renderMember(m, '  ', {...style, unit: '  ', compact: false})}`).join(',' + style.eol)
    return {start: root.start, end: root.end, text: `{${style.eol}${inner}${style.eol}}`}
  }
  const last = root.members.at(-1)!
  const indent = lineIndent(doc.text, last.keyStart) ?? style.unit
  const sep = style.compact ? style.comma : ',' + style.eol + indent
  return {start: last.value.end, end: last.value.end, text: members.map((m) => sep + renderMember(m, indent, style)).join('')}
}

function renderObject(members: NewMember[], eol: string): string {
  const style: Style = {eol, unit: '  ', compact: false, colon: ': ', comma: ', '}
  return `{${eol}${members.map((m) => `  ${renderMember(m, '  ', style)}`).join(',' + eol)}${eol}}`
}

function renderMember(m: NewMember, indent: string, style: Style): string {
  return `${quote(m.key)}${style.colon}${renderArray(m.items, indent, style)}`
}

function renderArray(items: string[], indent: string, style: Style): string {
  return renderArrayTexts(items.map(quote), indent, style)
}

/** A list whose key sits at `indent`: one entry per line, or on one line in a compact file. */
function renderArrayTexts(texts: string[], indent: string, style: Style): string {
  if (texts.length === 0) return '[]'
  if (style.compact) return `[${texts.join(style.comma)}]`
  const inner = indent + style.unit
  return `[${style.eol}${inner}${texts.join(',' + style.eol + inner)}${style.eol}${indent}]`
}

function quote(s: string): string {
  return JSON.stringify(s)
}

function unique(values: string[], key: (v: string) => string): string[] {
  const seen = new Set<string>()
  return values.filter((v) => !seen.has(key(v)) && Boolean(seen.add(key(v))))
}

function notAList(doc: DaemonJsonDoc, member: JsonMember): UserError {
  const at = positionAt(doc, member.value.start)
  return new UserError(`"${member.key}" in ${doc.path} is ${describe(member.value)}, not a list; mirrorctl does not rewrite it`, {
    exitCode: ExitCode.Findings,
    position: {file: at.file, line: at.line, column: at.column},
    rule: 'daemon-json/wrong-type',
    hint: `make it a list, e.g. "${member.key}": [], and run the command again`,
  })
}

function describe(node: JsonNode): string {
  return node.kind === 'object' ? 'an object' : node.kind === 'array' ? 'a list' : `a ${node.kind}`
}
