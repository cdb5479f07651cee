import {parseGoUrl} from '../../core/go-url.js'
import type {TomlDoc} from './toml-doc.js'
import type {ContainerdVersion} from './version.js'

export type Capability = 'pull' | 'resolve' | 'push'
export const ALL_CAPABILITIES: readonly Capability[] = ['pull', 'resolve', 'push']

/** One endpoint as containerd's parseHostConfig builds it. host "" = not set (the default server fills it). */
export interface HostConfig {
  /** The [host."…"] name it came from, or null for the top-level server entry. */
  table: string | null
  scheme: string
  host: string
  path: string
  capabilities: Capability[]
  skipVerify: boolean | null
  caCerts: string[]
  clientPairs: [string, string][]
  hasHeader: boolean
}

export type DecodeResult = {ok: true; hosts: HostConfig[]} | {ok: false; message: string; at: string[]}

const KNOWN_KEYS_1 = ['capabilities', 'ca', 'client', 'skip_verify', 'header', 'override_path']
export function knownHostKeys(version: ContainerdVersion): string[] {
  return version === '2' ? [...KNOWN_KEYS_1, 'dial_timeout'] : KNOWN_KEYS_1
}

const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)

/**
 * Decodes hosts.toml as containerd's parseHostsFile does for the given version; an error here is
 * what containerd only logs before ignoring the file. baseDir makes relative ca/client paths absolute.
 */
export function decodeHostsToml(doc: TomlDoc, baseDir: string, version: ContainerdVersion): DecodeResult {
  if (doc.syntaxError || !doc.data) return {ok: false, message: `failed to parse TOML: ${doc.syntaxError?.message ?? 'invalid'}`, at: []}
  const data = doc.data
  let order: string[]
  const hostTree = data['host']
  if (version === '2') {
    // go-toml v2's parser: only [host.X] table headers count, in file order; consecutive repeats skipped.
    order = []
    let last: string | undefined
    for (const t of doc.tables) {
      if (t.path.length < 2 || t.path[0] !== 'host' || t.path[1] === last) continue
      last = t.path[1]!
      order.push(last)
    }
  } else {
    // go-toml v1: `host` must be a table (missing = "invalid `host` tree"); sub-tables ordered by line.
    if (!isTable(hostTree)) return {ok: false, message: 'invalid `host` tree', at: hostTree === undefined ? [] : ['host']}
    order = Object.keys(hostTree).filter((k) => isTable(hostTree[k]))
    const line = (name: string): number => {
      const t = doc.tables.find((x) => x.path[0] === 'host' && x.path[1] === name)
      return t ? doc.lines.position(t.header[0]).line : 0
    }
    order.sort((a, b) => line(a) - line(b))
  }
  // Unmarshal: the types of every known key, in the root and in each host table.
  if (data['server'] !== undefined && typeof data['server'] !== 'string') return typeError('server', ['server'])
  if (hostTree !== undefined && !isTable(hostTree)) return typeError('host', ['host'])
  for (const [name, value] of Object.entries(hostTree ?? {})) {
    if (!isTable(value)) return typeError(`host.${name}`, ['host', name])
    const bad = checkTypes(value, version)
    if (bad) return typeError(`host.${name}.${bad}`, ['host', name, bad])
  }
  const rootBad = checkTypes(data, version)
  if (rootBad) return typeError(rootBad, [rootBad])
  const hosts: HostConfig[] = []
  for (const name of order) {
    const parsed = hostConfig(name, baseDir, (hostTree as Record<string, Record<string, unknown>>)[name] ?? {}, name, version)
    if ('message' in parsed) return {ok: false, message: parsed.message, at: ['host', name]}
    hosts.push(parsed)
  }
  const root = hostConfig(String(data['server'] ?? ''), baseDir, data, null, version)
  if ('message' in root) return {ok: false, message: root.message, at: ['server']}
  hosts.push(root)
  return {ok: true, hosts}
}

function typeError(key: string, at: string[]): DecodeResult {
  return {ok: false, message: `toml: cannot decode ${key}: wrong type`, at}
}

/** The struct field types go-toml enforces; returns the offending key. ca/client/header shapes are checked later. */
function checkTypes(t: Record<string, unknown>, version: ContainerdVersion): string | null {
  const caps = t['capabilities']
  if (caps !== undefined && (!Array.isArray(caps) || caps.some((c) => typeof c !== 'string'))) return 'capabilities'
  if (t['skip_verify'] !== undefined && typeof t['skip_verify'] !== 'boolean') return 'skip_verify'
  if (t['override_path'] !== undefined && typeof t['override_path'] !== 'boolean') return 'override_path'
  if (t['header'] !== undefined && !isTable(t['header'])) return 'header'
  if (version === '2' && t['dial_timeout'] !== undefined && typeof t['dial_timeout'] !== 'string') return 'dial_timeout'
  return null
}

function hostConfig(server: string, baseDir: string, c: Record<string, unknown>, table: string | null, version: ContainerdVersion): HostConfig | {message: string} {
  const out: HostConfig = {table, scheme: '', host: '', path: '', capabilities: [], skipVerify: null, caCerts: [], clientPairs: [], hasHeader: false}
  if (server !== '') {
    const full = server.startsWith('http') ? server : `https://${server}`
    const u = parseGoUrl(full)
    if (!u.ok) return {message: `unable to parse server ${full}: ${u.error}`}
    out.scheme = u.url.scheme
    out.host = u.url.host
    const override = c['override_path'] === true
    let p = u.url.path
    if (p.length > 0) {
      p = cleanPath(p)
      if (!p.endsWith('/v2') && !override) p += '/v2'
    } else if (!override) p = '/v2'
    out.path = p
  }
  out.skipVerify = typeof c['skip_verify'] === 'boolean' ? c['skip_verify'] : null
  const caps = (c['capabilities'] as string[] | undefined) ?? []
  for (const cap of caps) {
    const lc = cap.toLowerCase()
    if (lc !== 'pull' && lc !== 'resolve' && lc !== 'push') return {message: `unknown capability ${cap}`}
    if (!out.capabilities.includes(lc)) out.capabilities.push(lc)
  }
  out.capabilities = caps.length ? ALL_CAPABILITIES.filter((x) => out.capabilities.includes(x)) : [...ALL_CAPABILITIES]
  const abs = (p: string): string => (p.startsWith('/') ? p : cleanPath(`${baseDir}/${p}`))
  const ca = c['ca']
  if (ca !== undefined) {
    if (typeof ca === 'string') out.caCerts = [abs(ca)]
    else if (Array.isArray(ca)) {
      if (ca.some((x) => typeof x !== 'string')) return {message: `unable to cast ca entry to string`}
      out.caCerts = (ca as string[]).map(abs)
    } else return {message: 'invalid type for "ca"'}
  }
  const client = c['client']
  if (client !== undefined) {
    if (typeof client === 'string') out.clientPairs = [[abs(client), '']]
    else if (Array.isArray(client)) {
      for (const p of client) {
        if (typeof p === 'string') out.clientPairs.push([abs(p), ''])
        else if (Array.isArray(p)) {
          if (p.some((x) => typeof x !== 'string')) return {message: 'unable to cast client entry to string'}
          if (p.length !== 2) return {message: `invalid pair for "client"`}
          out.clientPairs.push([abs(p[0] as string), abs(p[1] as string)])
        } else return {message: 'invalid type for "client"'}
      }
    } else return {message: 'invalid type for "client"'}
  }
  const header = c['header'] as Record<string, unknown> | undefined
  if (header) {
    for (const [k, v] of Object.entries(header)) {
      if (!(typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')))) return {message: `invalid type for header "${k}"`}
    }
    out.hasHeader = Object.keys(header).length > 0
  }
  if (version === '2' && c['dial_timeout'] !== undefined && typeof c['dial_timeout'] === 'string' && !goDuration(c['dial_timeout']))
    return {message: `time: invalid duration "${c['dial_timeout']}"`}
  return out
}

/** Go's time.ParseDuration acceptance: "30s", "1m30s", "-1.5h", "0". */
function goDuration(s: string): boolean {
  return s === '0' || /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.test(s)
}

/** Go's path.Clean for slash paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.'
  const rooted = p.startsWith('/')
  const out: string[] = []
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop()
      else if (!rooted) out.push('..')
    } else out.push(part)
  }
  const s = (rooted ? '/' : '') + out.join('/')
  return s === '' ? (rooted ? '/' : '.') : s
}
