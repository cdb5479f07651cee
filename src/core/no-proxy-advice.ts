/**
 * Advice for NO_PROXY, not rules Go applies: the value that lets a mirror host go direct for
 * both Go and curl, and whether a host looks internal (unreachable through a corporate
 * proxy). Pure, no I/O, no DNS.
 */

import {ipEqual, isLoopback, parseAddr, to4} from './ip.js'

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
