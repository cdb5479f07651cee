/**
 * The small Go library functions behind httpproxy's decisions (strings.TrimSpace,
 * net.SplitHostPort / JoinHostPort, idna lookup), where JavaScript's nearest built-ins
 * accept or trim different strings. Pure, no I/O, no DNS.
 */

import {domainToASCII} from 'node:url'

const goSpace = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]'
const goSpaceEdges = new RegExp(`^${goSpace}+|${goSpace}+$`, 'g')

/** strings.TrimSpace (Go's unicode.IsSpace differs from JS trim on U+0085 and U+FEFF). */
export function goTrimSpace(s: string): string {
  return s.replace(goSpaceEdges, '')
}

/** Go's idnaASCII: ASCII is returned unchanged (unchecked); otherwise IDNA lookup, or null on error. */
export function idnaASCII(s: string): string | null {
  if (/^[\x00-\x7f]*$/.test(s)) return s
  // Go's lookup profile applies STD3 rules: ASCII label characters must be LDH.
  if (/[\x00-\x2c\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/.test(s)) return null
  const ascii = domainToASCII(s)
  return ascii === '' ? null : ascii
}

/** net.SplitHostPort: null where Go returns an error. */
export function goSplitHostPort(hostport: string): {host: string; port: string} | null {
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

export function goJoinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** A host name as it stands in host:port text: an IPv6 address in brackets. */
export function displayHost(hostname: string): string {
  return hostname.includes(':') ? `[${hostname}]` : hostname
}
