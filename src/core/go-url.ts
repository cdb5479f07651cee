/**
 * The subset of Go's net/url.Parse that decides how Go programs read proxy values and
 * request URLs. WHATWG's URL (node:url) accepts and rejects different strings, and Go's
 * proxy code retries a failed value as "http://" + value, so only Go's own rules tell
 * which proxy a daemon actually uses. Pure, no I/O.
 *
 * Error messages never quote text from the user-info part (it may hold a password).
 */

import {parseAddr} from './ip.js'

export interface GoUserinfo {
  /** Unescaped user name. */
  username: string
  /** Unescaped password; undefined when the user info has no ':'. */
  password?: string
  /** The user name as written (still %-escaped); safe to display. */
  rawUsername: string
  /** The whole user info as written, password included: never display. */
  raw: string
}

export interface GoUrl {
  /** Lower-cased, '' when absent. */
  scheme: string
  /** Set for "scheme:opaque" forms such as "proxy:3128". */
  opaque: string
  user?: GoUserinfo
  /** Go's URL.Host: host[:port], unescaped, brackets kept. */
  host: string
  path: string
  rawQuery: string
  fragment: string
}

export type GoUrlResult = {ok: true; url: GoUrl} | {ok: false; error: string}

type Mode = 'host' | 'zone' | 'userinfo' | 'path' | 'fragment'

const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c)
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c)

/** Go's shouldEscape for the two modes in which unescape rejects raw characters. */
function hostCharNeedsEscape(c: string): boolean {
  if (isAlnum(c)) return false
  return !`!$&'()*+,;=:[]<>"-_.~`.includes(c)
}

/** The first ASCII character that a host may not hold raw (Go's check, in one scan), or null. */
const RAW_HOST_CHAR_REFUSED = /[^A-Za-z0-9!$&'()*+,;=:[\]<>"\-_.~\x80-\uffff]/

function fail(error: string): {ok: false; error: string} {
  return {ok: false, error}
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Go's unescape: %XX decoding with the per-component checks Go applies. */
function unescape(s: string, mode: Mode): {ok: true; value: string} | {ok: false; error: string} {
  // Nothing escaped and no lone surrogate (which the byte round trip would turn into U+FFFD):
  // the value is the text itself. Every mirror URL and proxy value takes this path, many
  // times per host, so it is worth skipping the per-character work below.
  if (!s.includes('%') && !/[\uD800-\uDFFF]/.test(s)) {
    const bad = mode === 'host' || mode === 'zone' ? RAW_HOST_CHAR_REFUSED.exec(s) : null
    return bad ? fail(`invalid character ${JSON.stringify(bad[0])} in host name`) : {ok: true, value: s}
  }
  const bytes: number[] = []
  for (let i = 0; i < s.length; ) {
    const c = s[i]!
    if (c === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) {
        return fail(mode === 'userinfo' ? 'invalid %-escape in the user info' : `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`)
      }
      const triple = s.slice(i, i + 3)
      const v = parseInt(triple.slice(1), 16)
      // In hosts, %-escapes may only encode non-ASCII bytes, except %25 (RFC 6874 zones).
      if (mode === 'host' && v < 0x80 && triple !== '%25') return fail(`invalid URL escape ${JSON.stringify(triple)}`)
      if (mode === 'zone' && triple !== '%25' && v !== 0x20 && v < 0x80 && hostCharNeedsEscape(String.fromCharCode(v))) {
        return fail(`invalid URL escape ${JSON.stringify(triple)}`)
      }
      bytes.push(v)
      i += 3
      continue
    }
    if ((mode === 'host' || mode === 'zone') && c < '\x80' && hostCharNeedsEscape(c)) {
      return fail(`invalid character ${JSON.stringify(c)} in host name`)
    }
    const cp = s.codePointAt(i)!
    const ch = String.fromCodePoint(cp)
    bytes.push(...encoder.encode(ch))
    i += ch.length
  }
  return {ok: true, value: decoder.decode(new Uint8Array(bytes))}
}

/** ":digits" or "" (Go's validOptionalPort; ":" alone is valid and means no port). */
function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port)
}

function parseHost(host: string): {ok: true; value: string} | {ok: false; error: string} {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']')
    if (close < 0) return fail("missing ']' in host")
    const colonPort = host.slice(close + 1)
    if (!validOptionalPort(colonPort)) return fail(`invalid port ${JSON.stringify(colonPort)} after host`)
    const inner = host.slice(1, close)
    const zoneAt = inner.indexOf('%25')
    const addrPart = zoneAt >= 0 ? inner.slice(0, zoneAt) : inner
    const addr = unescape(addrPart, 'host')
    if (!addr.ok) return addr
    let zone = ''
    if (zoneAt >= 0) {
      const z = unescape(inner.slice(zoneAt), 'zone')
      if (!z.ok) return z
      zone = z.value
    }
    // Go (since the CVE-2025-47912 fix) accepts only IPv6 literals inside brackets.
    const parsed = parseAddr(addr.value + zone)
    if (!parsed || parsed.is4) return fail('invalid IP-literal in brackets')
    return {ok: true, value: `[${addr.value}${zone}]${colonPort}`}
  }
  const colon = host.lastIndexOf(':')
  if (colon >= 0) {
    const colonPort = host.slice(colon)
    if (!validOptionalPort(colonPort)) return fail(`invalid port ${JSON.stringify(colonPort)} after host`)
  }
  return unescape(host, 'host')
}

const userinfoChars = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/

function parseAuthority(authority: string): {ok: true; user?: GoUserinfo; host: string} | {ok: false; error: string} {
  const at = authority.lastIndexOf('@')
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1))
  if (!host.ok) return host
  if (at < 0) return {ok: true, host: host.value}
  const raw = authority.slice(0, at)
  if (!userinfoChars.test(raw)) return fail('invalid character in the user info')
  const colon = raw.indexOf(':')
  const rawUsername = colon < 0 ? raw : raw.slice(0, colon)
  const username = unescape(rawUsername, 'userinfo')
  if (!username.ok) return username
  const user: GoUserinfo = {username: username.value, rawUsername, raw}
  if (colon >= 0) {
    const password = unescape(raw.slice(colon + 1), 'userinfo')
    if (!password.ok) return password
    user.password = password.value
  }
  return {ok: true, user, host: host.value}
}

/** Go's getScheme: letters, then letters/digits/+/-/. up to ':'; anything else means "no scheme". */
function splitScheme(raw: string): {ok: true; scheme: string; rest: string} | {ok: false; error: string} {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (/[A-Za-z]/.test(c)) continue
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return {ok: true, scheme: '', rest: raw}
      continue
    }
    if (c === ':') {
      if (i === 0) return fail('missing protocol scheme')
      return {ok: true, scheme: raw.slice(0, i), rest: raw.slice(i + 1)}
    }
    return {ok: true, scheme: '', rest: raw}
  }
  return {ok: true, scheme: '', rest: raw}
}

/** Go's url.Parse (client side, not via a request line). */
export function parseGoUrl(input: string): GoUrlResult {
  const hash = input.indexOf('#')
  const raw = hash < 0 ? input : input.slice(0, hash)
  // Go rejects ASCII control characters before the '#' (the fragment is not checked).
  if (/[\x00-\x1f\x7f]/.test(raw)) return fail('invalid control character in URL')
  const url: GoUrl = {scheme: '', opaque: '', host: '', path: '', rawQuery: '', fragment: ''}
  if (raw === '*') {
    url.path = '*'
  } else {
    const scheme = splitScheme(raw)
    if (!scheme.ok) return scheme
    url.scheme = scheme.scheme.toLowerCase()
    let rest = scheme.rest
    if (rest.endsWith('?') && rest.split('?').length === 2) {
      rest = rest.slice(0, -1)
    } else {
      const q = rest.indexOf('?')
      if (q >= 0) {
        url.rawQuery = rest.slice(q + 1)
        rest = rest.slice(0, q)
      }
    }
    let opaque = false
    if (!rest.startsWith('/')) {
      if (url.scheme !== '') {
        url.opaque = rest
        opaque = true
      } else {
        const slash = rest.indexOf('/')
        const firstSegment = slash < 0 ? rest : rest.slice(0, slash)
        if (firstSegment.includes(':')) return fail('first path segment in URL cannot contain colon')
      }
    }
    if (!opaque) {
      if ((url.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
        let authority = rest.slice(2)
        rest = ''
        const slash = authority.indexOf('/')
        if (slash >= 0) {
          rest = authority.slice(slash)
          authority = authority.slice(0, slash)
        }
        const parsed = parseAuthority(authority)
        if (!parsed.ok) return parsed
        url.host = parsed.host
        if (parsed.user) url.user = parsed.user
      }
      const path = unescape(rest, 'path')
      if (!path.ok) return path
      url.path = path.value
    }
  }
  if (hash >= 0) {
    const fragment = unescape(input.slice(hash + 1), 'fragment')
    if (!fragment.ok) return fragment
    url.fragment = fragment.value
  }
  return {ok: true, url}
}

/** Go's splitHostPort on URL.Host: the port only when the text after the last ':' is digits. */
function splitUrlHost(host: string): {hostname: string; port: string} {
  let hostname = host
  let port = ''
  const colon = host.lastIndexOf(':')
  if (colon >= 0 && validOptionalPort(host.slice(colon))) {
    hostname = host.slice(0, colon)
    port = host.slice(colon + 1)
  }
  if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1)
  return {hostname, port}
}

/** Go's URL.Hostname(): brackets removed, port removed. */
export function goHostname(url: GoUrl): string {
  return splitUrlHost(url.host).hostname
}

/** Go's URL.Port(): '' when absent. */
export function goPort(url: GoUrl): string {
  return splitUrlHost(url.host).port
}
