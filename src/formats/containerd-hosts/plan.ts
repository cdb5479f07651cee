import type {MirrorChange, MirrorTarget} from '../../policy/mirror-policy.js'
import {parseTomlDoc, tomlString, type TomlDoc} from './toml-doc.js'

/**
 * The [host."…"] name mirrorctl writes for a mirror; a namespace is a Harbor-style API root
 * (override_path) below /v2, unless the path already starts at v2 (https://harbor/v2/proxy
 * given as the API root itself; a bare /v2 is the plain API root, which containerd keeps).
 */
export function hostUrl(m: MirrorTarget): string {
  const scheme = m.scheme ?? (m.insecure ? 'http' : 'https')
  const path = !m.path ? '' : m.path === 'v2' || m.path.startsWith('v2/') ? `/${m.path}` : `/v2/${m.path}`
  return `${scheme}://${m.host}${path}`
}

/** containerd appends /v2 unless the path ends in /v2 or override_path is set. */
function overridesPath(m: MirrorTarget): boolean {
  return m.path !== '' && m.path !== 'v2'
}

/** The default server line for a registry: Docker Hub's API host, else the registry itself. */
export function defaultServer(registry: string): string {
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`
}

function hostBlock(m: MirrorTarget, eol: string): string {
  const lines = [`[host.${tomlString(hostUrl(m))}]`, `  capabilities = ["pull", "resolve"]`]
  if (m.insecure) lines.push('  skip_verify = true')
  if (overridesPath(m)) lines.push('  override_path = true')
  return lines.join(eol) + eol
}

/** host[:port] plus the path below /v2 (or the path itself), ignoring the scheme: how a MIRROR argument names a host table. */
function identity(name: string, overridePath: boolean): string {
  const noScheme = name.replace(/^https?:\/\//, '').replace(/\/+$/, '')
  const slash = noScheme.indexOf('/')
  const host = (slash === -1 ? noScheme : noScheme.slice(0, slash)).toLowerCase()
  let path = slash === -1 ? '' : noScheme.slice(slash + 1)
  // override_path: a leading v2 is the API root's own; otherwise a trailing /v2 is the one containerd would append.
  path = overridePath ? path.replace(/^v2\/?/, '') : path.replace(/\/?v2$/, '')
  return path ? `${host}/${path}` : host
}

/** Whether a [host."…"] table is the mirror a MIRROR argument names (scheme ignored). */
export function hostMatchesMirror(name: string, overridePath: boolean, m: MirrorTarget): boolean {
  return identity(name, overridePath) === identity(hostUrl(m), overridesPath(m))
}

interface HostSpan {
  name: string
  id: string
  start: number
  end: number
}

/** Each [host."X"] table with its sub-tables ([host."X".header]), as whole lines. */
function hostSpans(doc: TomlDoc): HostSpan[] {
  const out: HostSpan[] = []
  const lineStart = (o: number): number => doc.text.lastIndexOf('\n', o - 1) + 1
  const lineEnd = (o: number): number => {
    const i = doc.text.indexOf('\n', o)
    return i === -1 ? doc.text.length : i + 1
  }
  for (const t of doc.tables) {
    if (t.path[0] !== 'host' || t.path.length < 2) continue
    const name = t.path[1]!
    const prev = out[out.length - 1]
    if (prev && prev.name === name) {
      prev.end = lineEnd(t.end)
      continue
    }
    const hostTable = ((doc.data?.['host'] as Record<string, Record<string, unknown>> | undefined) ?? {})[name] ?? {}
    out.push({name, id: identity(name, hostTable['override_path'] === true), start: lineStart(t.header[0]), end: lineEnd(t.end)})
  }
  return out
}

export interface HostsTomlPlan {
  /** New text; equal to the old text when converged. */
  after: string
  actions: string[]
  /** The file would hold no host and nothing but the default server: remove it. */
  deleteFile: boolean
}

/**
 * Plans a mirror change on one hosts.toml (null: the file does not exist). Keeps every comment
 * and unrelated byte; running the same change again plans nothing.
 */
export function planHostsToml(doc: TomlDoc | null, registry: string, change: MirrorChange): HostsTomlPlan {
  const eol = doc?.eol ?? '\n'
  let text = doc?.text ?? ''
  const actions: string[] = []
  const current = doc ? hostSpans(doc) : []
  const wantIds = (change.mirrors ?? []).map((m) => identity(m.host + (m.path ? `/${m.path}` : ''), false))
  // Removals, from the end so offsets stay valid.
  const removeIds = new Set<string>(
    change.action === 'remove'
      ? change.mirrors === null
        ? current.map((h) => h.id)
        : wantIds
      : change.action === 'set' && !sameOrder(current.map((h) => h.id), wantIds)
        ? current.map((h) => h.id)
        : [],
  )
  for (const h of [...current].reverse()) {
    if (!removeIds.has(h.id)) continue
    text = text.slice(0, h.start) + text.slice(h.end)
    actions.push(`remove host ${h.name}`)
  }
  actions.reverse()
  if (change.action === 'add' || (change.action === 'set' && (removeIds.size > 0 || current.length === 0))) {
    const present = new Set(current.filter((h) => !removeIds.has(h.id)).map((h) => h.id))
    const fresh = (change.mirrors ?? []).filter((m, i) => !present.has(wantIds[i]!))
    if (fresh.length) {
      const block = fresh.map((m) => hostBlock(m, eol)).join(eol)
      const reparsed = parseTomlDoc(text, doc?.path ?? 'hosts.toml')
      const remaining = reparsed.data ? hostSpans(reparsed) : []
      if (!doc || text.trim() === '') {
        text = `server = ${tomlString(defaultServer(registry))}${eol}${eol}${block}`
      } else if (remaining.length && (change.action === 'set' || change.position === 'first')) {
        const at = remaining[0]!.start
        text = text.slice(0, at) + block + eol + text.slice(at)
      } else {
        const at = remaining.length ? remaining[remaining.length - 1]!.end : text.length
        const before = text.slice(0, at)
        const sep = before === '' ? '' : before.endsWith(eol + eol) || before.endsWith('\n\n') ? '' : before.endsWith('\n') ? eol : eol + eol
        text = before + sep + block + text.slice(at)
      }
      for (const m of fresh) actions.push(`add host ${hostUrl(m)} (capabilities pull, resolve${m.insecure ? ', skip_verify' : ''}${overridesPath(m) ? ', override_path' : ''})`)
    }
  }
  const finalDoc = parseTomlDoc(text, doc?.path ?? 'hosts.toml')
  const onlyServer = finalDoc.data !== null && Object.keys(finalDoc.data).every((k) => k === 'server') && finalDoc.data['server'] === defaultServer(registry)
  const deleteFile = doc !== null && change.action !== 'add' && actions.length > 0 && onlyServer && !/#/.test(text)
  return {after: text, actions, deleteFile}
}

function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
