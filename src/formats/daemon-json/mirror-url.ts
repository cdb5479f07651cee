/**
 * registry-mirrors and insecure-registries values, validated the way dockerd validates them
 * (moby daemon/pkg/registry/config.go: ValidateMirror, loadInsecureRegistries), per Engine
 * version, on top of the project's model of Go's net/url.Parse (src/net/go-url.ts).
 */
import {isIP} from 'node:net'
import {isDomain} from '../../core/image-reference.js'
import {atLeast, type EngineVersion} from './known-keys.js'
import {parseGoUrl, type GoUrl} from '../../core/go-url.js'

/** A URL with the password replaced, as dockerd prints it ("xxxxx"). */
export function maskPassword(raw: string): string {
  return raw.replace(/^([^:/?#]*:\/\/[^:@/?#]*:)[^@/?#]*@/, '$1xxxxx@')
}

// ---- registry-mirrors

export type MirrorProblemKind = 'no-scheme' | 'invalid-url' | 'scheme' | 'query-fragment' | 'userinfo' | 'path'

export interface MirrorProblem {
  kind: MirrorProblemKind
  /** What the given Engine version prints, paraphrased. */
  message: string
}

export type MirrorCheck =
  | {ok: true; url: GoUrl; normalized: string}
  | {ok: false; problem: MirrorProblem}

/**
 * ValidateMirror as the given Engine version runs it. A missing scheme is always reported as
 * 'no-scheme' (that is the cause), with the confusing message older versions print.
 */
export function checkMirror(value: string, version: EngineVersion): MirrorCheck {
  const shown = JSON.stringify(value)
  // 29.0+ first cuts at "://" (strings.Cut) and wants something before it.
  const hasScheme = value.indexOf('://') > 0
  const v29 = atLeast(version, '29.0')
  if (!hasScheme && v29) {
    return fail('no-scheme', `invalid mirror: no scheme specified for ${shown}: must use either 'https://' or 'http://'`)
  }
  const parsed = parseGoUrl(value)
  if (!parsed.ok) return fail(hasScheme ? 'invalid-url' : 'no-scheme', `invalid mirror: ${shown} is not a valid URI (${parsed.error})`)
  const u = parsed.url
  if (u.scheme !== 'http' && u.scheme !== 'https') {
    const suffix = v29 ? ": must use either 'https://' or 'http://'" : ''
    return fail(hasScheme ? 'scheme' : 'no-scheme', `invalid mirror: unsupported scheme ${JSON.stringify(u.scheme)} in ${JSON.stringify(maskPassword(value))}${suffix}`)
  }
  if (!atLeast(version, '25.0')) {
    if ((u.path !== '' && u.path !== '/') || u.rawQuery !== '' || u.fragment !== '') {
      const kind = u.rawQuery !== '' || u.fragment !== '' ? 'query-fragment' : 'path'
      return fail(kind, `invalid mirror: path, query, or fragment at end of the URI ${JSON.stringify(maskPassword(value))}`)
    }
  } else if (u.rawQuery !== '' || u.fragment !== '') {
    return fail('query-fragment', `invalid mirror: query or fragment at end of the URI ${JSON.stringify(maskPassword(value))}`)
  }
  if (u.user) return fail('userinfo', `invalid mirror: username/password not allowed in URI ${JSON.stringify(maskUser(value, u))}`)
  return {ok: true, url: u, normalized: normalizeMirror(value)}
}

function fail(kind: MirrorProblemKind, message: string): MirrorCheck {
  return {ok: false, problem: {kind, message}}
}

/** dockerd prints the user name and "xxxxx" for the password, even when none was given. */
function maskUser(value: string, u: GoUrl): string {
  const start = value.indexOf('//') + 2
  const at = value.lastIndexOf('@', value.indexOf('/', start) === -1 ? value.length : value.indexOf('/', start))
  return `${value.slice(0, start)}${u.user!.username}:xxxxx${value.slice(at)}`
}

/** How dockerd stores a mirror: one trailing slash removed, then one added (strings.TrimSuffix + "/"). */
export function normalizeMirror(value: string): string {
  return value.endsWith('/') ? value : `${value}/`
}

/** A comparison key: scheme and host are case-insensitive, and a trailing slash does not matter. */
export function mirrorKey(value: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/.exec(value)
  const canonical = m ? `${m[1]!.toLowerCase()}${m[2]!.toLowerCase()}${m[3]}` : value
  return normalizeMirror(canonical)
}

// ---- insecure-registries

export type InsecureCheck =
  | {ok: true; value: string; cidr: boolean; strippedScheme: string | null; loopback: boolean}
  | {ok: false; message: string}

/** loadInsecureRegistries for one entry (the same in every version mirrorctl models). */
export function checkInsecureRegistry(entry: string): InsecureCheck {
  const indexName = entry === 'index.docker.io' ? 'docker.io' : entry
  if (indexName.startsWith('-') || indexName.endsWith('-')) {
    return {ok: false, message: `invalid index name (${indexName}). Cannot begin or end with a hyphen`}
  }
  let value = entry
  let strippedScheme: string | null = null
  const sep = entry.indexOf('://')
  if (sep !== -1) {
    const scheme = entry.slice(0, sep).toLowerCase()
    if (scheme !== 'http' && scheme !== 'https') return {ok: false, message: `insecure registry ${entry} should not contain '://'`}
    strippedScheme = entry.slice(0, sep)
    value = entry.slice(sep + 3)
  }
  const cidr = parseCidr(value)
  if (cidr) return {ok: true, value, cidr: true, strippedScheme, loopback: cidr.loopback}
  const problem = hostPortProblem(value)
  if (problem) return {ok: false, message: `insecure registry ${value} is not valid: ${problem}`}
  return {ok: true, value, cidr: false, strippedScheme, loopback: isLoopbackHost(splitHostPort(value).host)}
}

// ---- allow-nondistributable-artifacts

export type NondistributableCheck = {ok: true; cidr: boolean} | {ok: false; message: string}

/**
 * loadAllowNondistributableArtifacts for one entry (Engine 20.10 to 28.x; from 29.0 the key is
 * tolerated and ignored): no leading or trailing hyphen, no "://" at all (unlike
 * insecure-registries, http:// is not stripped), then a CIDR or a host[:port].
 */
export function checkNondistributable(entry: string): NondistributableCheck {
  const indexName = entry === 'index.docker.io' ? 'docker.io' : entry
  if (indexName.startsWith('-') || indexName.endsWith('-')) {
    return {ok: false, message: `invalid index name (${indexName}). Cannot begin or end with a hyphen`}
  }
  if (entry.includes('://')) return {ok: false, message: `allow-nondistributable-artifacts registry ${entry} should not contain '://'`}
  if (parseCidr(entry)) return {ok: true, cidr: true}
  const problem = hostPortProblem(entry)
  return problem ? {ok: false, message: `allow-nondistributable-artifacts registry ${entry} is not valid: ${problem}`} : {ok: true, cidr: false}
}

/** validateHostPort: the whole value matches the domain grammar, or its host is an IP; a port fits 16 bits. */
function hostPortProblem(value: string): string | null {
  const {host, port} = splitHostPort(value)
  if (!isDomain(value) && (isIP(host) === 0 || host.includes('%'))) return `invalid host ${JSON.stringify(host)}`
  if (port !== '') {
    if (!/^[+-]?\d+$/.test(port)) return `strconv.Atoi: parsing ${JSON.stringify(port)}: invalid syntax`
    const n = Number(port)
    if (n < 0 || n > 65535) return `invalid port ${JSON.stringify(port)}`
  }
  return null
}

/** Go's net.SplitHostPort, falling back to the whole string as host as dockerd does. */
function splitHostPort(s: string): {host: string; port: string} {
  if (s.startsWith('[')) {
    const close = s.indexOf(']')
    if (close !== -1 && s[close + 1] === ':') return {host: s.slice(1, close), port: s.slice(close + 2)}
    return {host: s, port: ''}
  }
  const colon = s.lastIndexOf(':')
  if (colon === -1 || s.indexOf(':') !== colon) return {host: s, port: ''}
  return {host: s.slice(0, colon), port: s.slice(colon + 1)}
}

function parseCidr(s: string): {loopback: boolean} | null {
  const slash = s.indexOf('/')
  if (slash === -1) return null
  const ip = s.slice(0, slash)
  const bits = s.slice(slash + 1)
  const family = isIP(ip)
  if (family === 0 || ip.includes('%') || !/^\d{1,3}$/.test(bits)) return null
  const n = Number(bits)
  if (n > (family === 4 ? 32 : 128)) return null
  const loopback = family === 4 ? ip.startsWith('127.') && n >= 8 : n === 128 && isLoopbackHost(ip)
  return {loopback}
}

/** Hosts dockerd always treats as insecure: 127.0.0.0/8 and ::1 (localhost resolves there). */
function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase()
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  return h === '::1' || /^(?:0{1,4}:){7}0{0,3}1$/.test(h)
}

// ---- which registry a mirror serves

/** The names dockerd's registry-mirrors serve: Docker Hub under any of its host names. */
const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

/** True when a mirror source (as given to `mirror add --source`) is Docker Hub as a whole. */
export function isDockerHubSource(source: string): boolean {
  const s = source.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '')
  return DOCKER_HUB_NAMES.has(s)
}

/** Registries people mirror besides Docker Hub, by a word that shows up in their mirrors' names. */
const OTHER_REGISTRIES: Record<string, string> = {
  quay: 'quay.io',
  ghcr: 'ghcr.io',
  gcr: 'gcr.io',
  k8s: 'registry.k8s.io',
  mcr: 'mcr.microsoft.com',
  nvcr: 'nvcr.io',
  ecr: 'public.ecr.aws',
}
const OTHER_HOSTS = new Set([...Object.values(OTHER_REGISTRIES), 'k8s.gcr.io', 'docker.elastic.co', 'registry.gitlab.com'])

/**
 * The registry other than Docker Hub that a mirror's host or path suggests it is meant for, or
 * null. mirror.gcr.io is Google's Docker Hub mirror, so it does not count as gcr.io.
 */
export function suggestedOtherRegistry(url: Pick<GoUrl, 'host' | 'path'>): string | null {
  const host = url.host.toLowerCase().replace(/:\d*$/, '')
  if (host === 'mirror.gcr.io') return null
  if (OTHER_HOSTS.has(host)) return host
  if (host.endsWith('.gcr.io')) return 'gcr.io'
  const words = [...host.split(/[.-]/), ...url.path.toLowerCase().split(/[/._-]/)]
  // "dockerhub.k8s.example.com" names Docker Hub as well: no guess then.
  if (words.some((w) => w === 'docker' || w === 'dockerhub' || w === 'hub' || w === 'dockerio')) return null
  for (const w of words) if (OTHER_REGISTRIES[w]) return OTHER_REGISTRIES[w]
  return null
}
