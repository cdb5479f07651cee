/**
 * Which proxy a Go program (dockerd, containerd, CRI-O, podman/buildah/skopeo via
 * containers/image) uses for one request, decided exactly as golang.org/x/net/http/httpproxy
 * decides it (the code behind net/http.ProxyFromEnvironment). See
 * shared/reference/no-proxy.md. Pure: no I/O, no DNS.
 *
 * Modelled on the current httpproxy (2025+, after the CVE-2025-22870 fix): domain entries
 * never match IP literals, IPv6 zones are part of the address, proxy URLs with any scheme
 * are kept as written.
 */

import {domainToASCII} from 'node:url'
import {goHostname, goPort, parseGoUrl, type GoUrl} from '../core/go-url.js'
import {cidrContains, ipEqual, isLoopback, parseAddr, parseCidr, to4, type Cidr, type Ip16} from '../core/ip.js'

/** An environment: name -> value; '' is "set but empty", undefined is "not set". */
export type ProxyEnv = Readonly<Record<string, string | undefined>>

/** A value and where it came from, e.g. "HTTPS_PROXY" or "/etc/.../http-proxy.conf:3: HTTPS_PROXY". */
export interface Setting {
  value: string
  source: string
}

/** An environment whose values carry their origin. */
export type SourcedEnv = Readonly<Record<string, Setting | undefined>>

export interface ProxyConfig {
  httpProxy?: Setting
  httpsProxy?: Setting
  noProxy?: Setting
}

/** The variables Go reads, in the order it reads them (upper case first, unlike curl). */
export const PROXY_VARIABLES = {
  httpProxy: ['HTTP_PROXY', 'http_proxy'],
  httpsProxy: ['HTTPS_PROXY', 'https_proxy'],
  noProxy: ['NO_PROXY', 'no_proxy'],
} as const

/** Attach a source label to each variable of a plain environment. */
export function labelEnv(env: ProxyEnv, label: (name: string) => string = name => name): SourcedEnv {
  const out: Record<string, Setting> = {}
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = {value, source: label(name)}
  return out
}

/**
 * Go's lookup over an environment with sources: for each setting the first of UPPER, lower
 * that is non-empty (an upper-case variable set to '' falls through to lower case).
 */
export function configFromSourcedEnv(env: SourcedEnv): ProxyConfig {
  const config: ProxyConfig = {}
  for (const key of ['httpProxy', 'httpsProxy', 'noProxy'] as const) {
    for (const name of PROXY_VARIABLES[key]) {
      const setting = env[name]
      if (setting && setting.value !== '') {
        config[key] = setting
        break
      }
    }
  }
  return config
}

/**
 * The proxy configuration Go derives from an environment.
 *
 * REQUEST_METHOD is ignored on purpose: Go refuses HTTP_PROXY when it is set (a CGI guard),
 * but container daemons never run as CGI handlers, and a stray REQUEST_METHOD in an
 * operator's shell must not change what mirrorctl reports for a daemon.
 */
export function configFromEnv(env: ProxyEnv, sourceLabel?: (name: string) => string): ProxyConfig {
  return configFromSourcedEnv(labelEnv(env, sourceLabel))
}

// ---------------------------------------------------------------------------------------
// Go string helpers

const goSpace = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]'
const goSpaceEdges = new RegExp(`^${goSpace}+|${goSpace}+$`, 'g')

/** strings.TrimSpace (Go's unicode.IsSpace differs from JS trim on U+0085 and U+FEFF). */
function goTrimSpace(s: string): string {
  return s.replace(goSpaceEdges, '')
}

/** Go's idnaASCII: ASCII is returned unchanged (unchecked); otherwise IDNA lookup, or null on error. */
function idnaASCII(s: string): string | null {
  if (/^[\x00-\x7f]*$/.test(s)) return s
  // Go's lookup profile applies STD3 rules: ASCII label characters must be LDH.
  if (/[\x00-\x2c\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/.test(s)) return null
  const ascii = domainToASCII(s)
  return ascii === '' ? null : ascii
}

/** net.SplitHostPort: null where Go returns an error. */
function goSplitHostPort(hostport: string): {host: string; port: string} | null {
  const colon = hostport.lastIndexOf(':')
  if (colon < 0) return null
  let host: string
  let from = 0
  let after = 0
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']')
    if (end < 0 || end + 1 !== colon) return null
    host = hostport.slice(1, end)
    from = 1
    after = end + 1
  } else {
    host = hostport.slice(0, colon)
    if (host.includes(':')) return null
  }
  if (hostport.slice(from).includes('[') || hostport.slice(after).includes(']')) return null
  return {host, port: hostport.slice(colon + 1)}
}

function goJoinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

// ---------------------------------------------------------------------------------------
// Credentials

/**
 * Mask passwords of URLs inside free text: "scheme://user:secret@host" and
 * "user:secret@host" become "...user:***@host". The user name is kept. Greedy up to the last
 * '@' of a run without whitespace, as Go splits user info at the last '@'. A password that
 * contains whitespace is only safe with maskProxyValue.
 */
export function maskUrlCredentials(s: string): string {
  return s.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)?([^\s:/?#@"'<>()[\]{},;=]+):[^\s/?#"'<>]*@/g, '$1$2:***@')
}

/**
 * Mask the password of one proxy value (the whole string is one value, so a password with
 * spaces or odd characters is masked too): everything between the first ':' of the user
 * info and the last '@'.
 */
export function maskProxyValue(value: string): string {
  const schemeEnd = value.indexOf('://')
  const start = schemeEnd >= 0 ? schemeEnd + 3 : 0
  const at = value.lastIndexOf('@')
  if (at < start) return value
  const colon = value.indexOf(':', start)
  if (colon < 0 || colon > at) return value
  return `${value.slice(0, colon + 1)}***${value.slice(at)}`
}

// ---------------------------------------------------------------------------------------
// Proxy values

/** Ports Go's transport dials when the proxy URL has none. */
const PROXY_DEFAULT_PORTS: Readonly<Record<string, string>> = {http: '80', https: '443', socks5: '1080', socks5h: '1080'}
/** Ports httpproxy assumes for request URLs without one. */
const TARGET_DEFAULT_PORTS: Readonly<Record<string, string>> = {http: '80', https: '443', socks5: '1080'}
const SUPPORTED_PROXY_SCHEMES = new Set(['http', 'https', 'socks5', 'socks5h'])

export interface ParsedProxy {
  /** The URL Go uses (password included: never print it), or null when Go ignores the value. */
  url: GoUrl | null
  /** scheme://[user:***@]host:port with the default port filled in; null when ignored. */
  display: string | null
  /** The same as a WHATWG URL with credentials, for probes; null when not representable. */
  webUrl: URL | null
  /** Why this value cannot work as meant (credentials masked). */
  problem?: string
}

function displayHost(hostname: string): string {
  return hostname.includes(':') ? `[${hostname}]` : hostname
}

function displayProxy(url: GoUrl): string {
  const port = goPort(url) || PROXY_DEFAULT_PORTS[url.scheme] || ''
  const user = url.user ? `${url.user.rawUsername}${url.user.password === undefined ? '' : ':***'}@` : ''
  return `${url.scheme}://${user}${displayHost(goHostname(url))}${port ? `:${port}` : ''}`
}

function toWebUrl(url: GoUrl): URL | null {
  const hostname = goHostname(url)
  if (!hostname || !url.scheme) return null
  const port = goPort(url) || PROXY_DEFAULT_PORTS[url.scheme] || ''
  try {
    const web = new URL(`${url.scheme}://${displayHost(hostname)}${port ? `:${port}` : ''}`)
    if (url.user) {
      web.username = url.user.username
      if (url.user.password !== undefined) web.password = url.user.password
    }
    return web
  } catch {
    return null
  }
}

/**
 * Read a proxy value as Go's parseProxy does: parse it as a URL; if that fails or yields no
 * scheme or no host, retry with "http://" prepended and use that if it parses; otherwise a
 * value that did not parse is ignored (direct). Any scheme is kept as written.
 */
export function parseProxyValue(value: string): ParsedProxy {
  const first = parseGoUrl(value)
  let url: GoUrl | null = null
  let retried = false
  if (!first.ok || first.url.scheme === '' || first.url.host === '') {
    const second = parseGoUrl(`http://${value}`)
    if (second.ok) {
      url = second.url
      retried = true
    }
  }
  if (!url) {
    if (!first.ok) {
      const spaces = /\s/.test(value) ? ' (the value contains whitespace)' : ''
      return {
        url: null,
        display: null,
        webUrl: null,
        problem: maskUrlCredentials(`Go cannot parse this proxy value${spaces}: ${first.error}; Go silently ignores it, so requests go direct`),
      }
    }
    url = first.url
  }
  const parsed: ParsedProxy = {url, display: displayProxy(url), webUrl: toWebUrl(url)}
  const problem = proxyUrlProblem(value, url, retried, first.ok ? null : first.error)
  if (problem) parsed.problem = maskUrlCredentials(problem)
  return parsed
}

function proxyUrlProblem(value: string, url: GoUrl, retried: boolean, firstError: string | null): string | undefined {
  const hostname = goHostname(url)
  const port = goPort(url)
  if (retried && /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) {
    const why = firstError ?? 'it has no host'
    return `Go could not read this proxy URL (${why}), so it retried it as "http://" + value, which makes the proxy host "${hostname}"; requests fail instead of going direct`
  }
  if (!SUPPORTED_PROXY_SCHEMES.has(url.scheme) && hostname === '') {
    return `Go reads "${url.scheme}:" as the URL scheme and finds no host (write scheme://host:port), so requests fail instead of going direct`
  }
  if (!SUPPORTED_PROXY_SCHEMES.has(url.scheme)) {
    const how = port
      ? `it connects to ${displayHost(hostname)}:${port} and speaks plain HTTP proxy protocol, as for http://`
      : 'with no port written and no default port for this scheme, the connection fails'
    return `Go keeps the proxy scheme "${url.scheme}", which its transport does not know (it supports http, https, socks5, socks5h); it does not go direct: ${how}`
  }
  if (hostname === '') {
    const dialPort = port || PROXY_DEFAULT_PORTS[url.scheme] || ''
    return `the proxy URL has no host name, so Go connects to port ${dialPort} on the local machine`
  }
  if (port !== '' && (Number(port) === 0 || Number(port) > 65535)) {
    return `proxy port ${port} is out of range, so every request through it fails`
  }
  return undefined
}

// ---------------------------------------------------------------------------------------
// NO_PROXY

interface EntryBase {
  /** The entry as written (trimmed). */
  raw: string
  /** Why this entry may not do what its author meant (for lint). */
  note?: string
}

export type NoProxyEntry =
  | (EntryBase & {kind: 'all'})
  | (EntryBase & {kind: 'cidr'; cidr: Cidr})
  | (EntryBase & {kind: 'ip'; ip: Ip16; port: string})
  | (EntryBase & {kind: 'domain'; suffix: string; matchesItself: boolean; port: string})
  | (EntryBase & {kind: 'skipped'})

/** Split and classify a NO_PROXY value as httpproxy does. */
export function parseNoProxy(value: string): NoProxyEntry[] {
  const entries: NoProxyEntry[] = []
  for (const part of value.split(',')) {
    const raw = goTrimSpace(part)
    const p = raw.toLowerCase()
    if (p === '') continue
    if (p === '*') {
      entries.push({raw, kind: 'all'})
      continue
    }
    const cidr = parseCidr(p)
    if (cidr) {
      entries.push({raw, kind: 'cidr', cidr})
      continue
    }
    const split = goSplitHostPort(p)
    let host = split ? split.host : p
    const port = split ? split.port : ''
    if (split && host === '') {
      entries.push({raw, kind: 'skipped', note: 'no host part; Go ignores this entry'})
      continue
    }
    const ip = parseAddr(host, false)
    if (ip) {
      const entry: NoProxyEntry = {raw, kind: 'ip', ip: ip.bytes, port}
      const lastGroup = /:([0-9]{3,5})$/.exec(p)
      if (!split && lastGroup) {
        entry.note = `read as the IPv6 address ${p}, not as port ${lastGroup[1]}; write [address]:port for a port`
      } else if (port !== '' && !/^[0-9]+$/.test(port)) {
        entry.note = `port "${port}" is not a number, so this entry never matches`
      }
      entries.push(entry)
      continue
    }
    if (host.startsWith('*.')) host = host.slice(1)
    const matchesItself = !host.startsWith('.')
    let suffix = matchesItself ? `.${host}` : host
    suffix = idnaASCII(suffix) ?? suffix
    const entry: NoProxyEntry = {raw, kind: 'domain', suffix, matchesItself, port}
    if (host.startsWith('[')) {
      entry.note = 'brackets without a port make Go read this as a host name, so it never matches the address; write the bare address or [address]:port'
    } else if (host.includes('*')) {
      entry.note = "'*' only works as the whole entry or as a leading '*.'; here it is a literal character"
    } else if (/^[0-9.]+$/.test(host)) {
      entry.note = 'not an IPv4 address for Go (leading zeros or a bad field), so it is compared as a host name and never matches an address'
    } else if (host.endsWith('.')) {
      entry.note = 'the trailing dot is compared literally: only host names written with a trailing dot match'
    } else if (port !== '' && !/^[0-9]+$/.test(port)) {
      entry.note = `port "${port}" is not a number, so this entry never matches`
    }
    entries.push(entry)
  }
  return entries
}

/** The entry Go stops at for this request, or null. host is lower-cased; ip set for IP literals. */
function matchNoProxy(entries: readonly NoProxyEntry[], host: string, port: string, ip: Ip16 | null): NoProxyEntry | null {
  const all = entries.find(e => e.kind === 'all')
  if (all) return all
  if (ip) {
    for (const e of entries) {
      if (e.kind === 'cidr' && cidrContains(e.cidr, ip)) return e
      if (e.kind === 'ip' && ipEqual(e.ip, ip) && (e.port === '' || e.port === port)) return e
    }
    return null
  }
  for (const e of entries) {
    if (e.kind !== 'domain') continue
    if (host.endsWith(e.suffix) || (e.matchesItself && host === e.suffix.slice(1))) {
      if (e.port === '' || e.port === port) return e
    }
  }
  return null
}

// ---------------------------------------------------------------------------------------
// The decision

export type DecisionKind =
  /** Sent through the proxy. */
  | 'proxy'
  /** A NO_PROXY entry matched: direct. */
  | 'no-proxy'
  /** Host "localhost": never proxied. */
  | 'localhost'
  /** Loopback IP literal: never proxied. */
  | 'loopback'
  /** No proxy variable for this scheme: direct. */
  | 'unset'
  /** The proxy value does not parse; Go ignores it: direct. */
  | 'ignored'
  /** Neither http:// nor https://: Go never proxies it. */
  | 'scheme'
  /** Go cannot parse the target URL (or split its address): the request never happens as meant. */
  | 'bad-target'

export interface ProxyDecision {
  /** The target as evaluated (credentials masked). */
  url: string
  /** scheme://[user:***@]host:port of the proxy, default port filled; null for direct. */
  proxy: string | null
  /** The proxy, unmasked, for probes; null for direct or when not representable. */
  proxyUrl: URL | null
  /** The variable's source, the NO_PROXY entry, or "localhost" / "loopback" / the scheme. */
  decidedBy: string
  via: DecisionKind
  /** One sentence for humans (credentials masked). */
  reason: string
  /** Set when the configured proxy value cannot work as meant for this request. */
  problem?: string
}

const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

/**
 * Decide like Go whether a request to target goes through a proxy. A target string without
 * "scheme://" is taken as https:// (registries default to TLS). URL objects are read through
 * their href, so WHATWG normalisation (lower-cased host, default port dropped) applies first.
 */
export function decideProxy(target: string | URL, config: ProxyConfig): ProxyDecision {
  const text = target instanceof URL ? target.href : hasScheme.test(target) ? target : `https://${target}`
  const shown = maskProxyValue(text)
  const base = {url: shown, proxy: null, proxyUrl: null}
  const parsedTarget = parseGoUrl(text)
  if (!parsedTarget.ok) {
    return {...base, decidedBy: 'target', via: 'bad-target', reason: maskUrlCredentials(`Go cannot parse the URL ${shown}: ${parsedTarget.error}`), problem: 'the target URL is invalid for Go'}
  }
  const u = parsedTarget.url
  let setting: Setting | undefined
  let names: readonly string[]
  if (u.scheme === 'https') {
    setting = config.httpsProxy
    names = PROXY_VARIABLES.httpsProxy
  } else if (u.scheme === 'http') {
    setting = config.httpProxy
    names = PROXY_VARIABLES.httpProxy
  } else {
    return {...base, decidedBy: u.scheme || 'scheme', via: 'scheme', reason: `Go only proxies http:// and https:// requests, so ${shown} goes direct`}
  }

  if (!setting) {
    let reason = `neither ${names[0]} nor ${names[1]} is set, so Go connects to ${shown} directly`
    if (u.scheme === 'https' && config.httpProxy) {
      reason += ` (${config.httpProxy.source} is set, but Go never uses the HTTP proxy for https:// URLs)`
    }
    return {...base, decidedBy: names[0]!, via: 'unset', reason}
  }

  const proxy = parseProxyValue(setting.value)
  if (!proxy.url) {
    return {
      ...base,
      decidedBy: setting.source,
      via: 'ignored',
      reason: `Go ignores ${setting.source} because it cannot parse the value, so it connects to ${shown} directly`,
      problem: proxy.problem ?? 'the proxy value cannot be parsed',
    }
  }

  // canonicalAddr + useProxy
  let hostname = goHostname(u)
  hostname = idnaASCII(hostname) ?? hostname
  const port = goPort(u) || TARGET_DEFAULT_PORTS[u.scheme] || ''
  const split = goSplitHostPort(goJoinHostPort(hostname, port))
  if (!split) {
    return {...base, decidedBy: 'target', via: 'bad-target', reason: `Go cannot split host and port of ${shown}, so it does not use a proxy for it`, problem: 'the target host is malformed'}
  }
  const address = `${displayHost(split.host)}:${split.port}`
  if (split.host === 'localhost') {
    return {...base, decidedBy: 'localhost', via: 'localhost', reason: `Go never uses a proxy for "localhost", so it connects to ${address} directly`}
  }
  const ip = parseAddr(split.host)
  if (ip && isLoopback(ip.bytes)) {
    return {...base, decidedBy: 'loopback', via: 'loopback', reason: `Go never uses a proxy for loopback addresses (127.0.0.0/8, ::1), so it connects to ${address} directly`}
  }
  const host = goTrimSpace(split.host).toLowerCase()
  if (config.noProxy) {
    const entry = matchNoProxy(parseNoProxy(config.noProxy.value), host, split.port, ip ? ip.bytes : null)
    if (entry) {
      const what = entry.kind === 'all' ? 'matches every host' : `matches ${address}`
      return {...base, decidedBy: entry.raw, via: 'no-proxy', reason: `${config.noProxy.source} entry "${entry.raw}" ${what}, so Go connects directly`}
    }
  }
  const decision: ProxyDecision = {
    url: shown,
    proxy: proxy.display,
    proxyUrl: proxy.webUrl,
    decidedBy: setting.source,
    via: 'proxy',
    reason: config.noProxy
      ? `${setting.source} is set and no ${config.noProxy.source} entry matches ${address}, so Go sends the request through ${proxy.display}`
      : `${setting.source} is set and no NO_PROXY/no_proxy is set, so Go sends the request to ${address} through ${proxy.display}`,
  }
  if (proxy.problem) decision.problem = proxy.problem
  return decision
}

// ---------------------------------------------------------------------------------------
// Helpers for the fix

/** Host without scheme, user info, path, port or IPv6 brackets, lower-cased. */
function bareHost(input: string): string {
  let s = input.trim()
  const schemeEnd = s.indexOf('://')
  if (schemeEnd >= 0) s = s.slice(schemeEnd + 3)
  s = s.split(/[/?#]/, 1)[0] ?? ''
  const at = s.lastIndexOf('@')
  if (at >= 0) s = s.slice(at + 1)
  if (s.startsWith('[')) {
    const end = s.indexOf(']')
    s = end >= 0 ? s.slice(1, end) : s.slice(1)
  } else if (s.split(':').length === 2) {
    s = s.slice(0, s.indexOf(':'))
  }
  return s.toLowerCase()
}

const CURL_LOOPBACK = ['localhost', '127.0.0.1', '::1']

/**
 * The NO_PROXY value that makes requests to host (a mirror host, maybe with port or URL) go
 * direct for both Go and curl: the existing entries are kept as written, the bare host is
 * appended (no port, no leading dot: both read "example.com" as the domain and its
 * subdomains), and localhost,127.0.0.1,::1 are added for curl (Go exempts them anyway).
 * Returns current unchanged when nothing is missing, so applying it twice changes nothing.
 */
export function suggestNoProxy(current: string | undefined, host: string): string {
  const text = current ?? ''
  if (text.trim() === '*') return text
  const existing = text.split(',').map(e => e.trim().toLowerCase()).filter(e => e !== '')
  const target = bareHost(host)
  const additions: string[] = []
  const targetIp = parseAddr(target, false)
  const covered = existing.some(e => {
    if (e === target) return true
    if (targetIp) {
      const other = parseAddr(e, false)
      return other !== null && ipEqual(other.bytes, targetIp.bytes)
    }
    // "example.com" and ".example.com" both cover subdomains in Go and in curl ("*." and
    // entries with a port do not work in curl).
    if (!/^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(e)) return false
    return target.endsWith(e.startsWith('.') ? e : `.${e}`)
  })
  if (target !== '' && !covered) additions.push(target)
  for (const loop of CURL_LOOPBACK) {
    if (!existing.includes(loop) && !additions.includes(loop)) additions.push(loop)
  }
  if (additions.length === 0) return text
  const kept = text.replace(/[\s,]+$/, '')
  return kept === '' ? additions.join(',') : `${kept},${additions.join(',')}`
}

const INTERNAL_SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  ['.cluster.local', 'a Kubernetes cluster-local name (.cluster.local)'],
  ['.svc', 'a Kubernetes service name (.svc)'],
  ['.home.arpa', 'a home-network name (.home.arpa, RFC 8375)'],
  ['.local', 'a .local name (mDNS or site-local DNS)'],
  ['.internal', 'an .internal name (reserved for private use)'],
  ['.lan', 'a .lan name (local network)'],
  ['.corp', 'a .corp name (private corporate DNS)'],
  ['.localhost', 'a .localhost name (loopback by convention; Go still proxies it)'],
]

function internalV4(b: Uint8Array): string | null {
  const [a = 0, c = 0] = b
  if (a === 10) return 'a private IPv4 address (10.0.0.0/8, RFC 1918)'
  if (a === 172 && c >= 16 && c <= 31) return 'a private IPv4 address (172.16.0.0/12, RFC 1918)'
  if (a === 192 && c === 168) return 'a private IPv4 address (192.168.0.0/16, RFC 1918)'
  if (a === 100 && c >= 64 && c <= 127) return 'a shared/CGNAT IPv4 address (100.64.0.0/10, RFC 6598)'
  if (a === 127) return 'a loopback address (127.0.0.0/8)'
  if (a === 169 && c === 254) return 'a link-local IPv4 address (169.254.0.0/16)'
  return null
}

/**
 * Why host (maybe with port) looks like an internal mirror that a corporate proxy cannot
 * reach, or null. A hint for suggesting NO_PROXY entries, not a rule Go applies.
 */
export function looksInternal(host: string): string | null {
  const bare = bareHost(host)
  if (bare === '') return null
  const ip = parseAddr(bare)
  if (ip) {
    const v4 = to4(ip.bytes)
    if (v4) return internalV4(v4)
    const [b0 = 0, b1 = 0] = ip.bytes
    if ((b0 & 0xfe) === 0xfc) return 'a unique local IPv6 address (fc00::/7)'
    if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return 'a link-local IPv6 address (fe80::/10)'
    if (isLoopback(ip.bytes)) return 'the IPv6 loopback address (::1)'
    return null
  }
  const name = bare.endsWith('.') ? bare.slice(0, -1) : bare
  if (!name.includes('.')) return `a single-label name ("${name}"), resolved through local search domains`
  for (const [suffix, why] of INTERNAL_SUFFIXES) if (name.endsWith(suffix)) return why
  return null
}
