/**
 * NO_PROXY as golang.org/x/net/http/httpproxy reads and matches it: entries are split,
 * classified (all, CIDR, IP, domain) and annotated where they do not do what they seem to.
 * Modelled on the current httpproxy (after the CVE-2025-22870 fix): domain entries never
 * match IP literals, IPv6 zones are part of the address. Pure, no I/O, no DNS.
 */

import {cidrContains, ipEqual, parseAddr, parseCidr, type Cidr, type Ip16} from './ip.js'
import {goSplitHostPort, goTrimSpace, idnaASCII} from './go-net.js'

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
export function matchNoProxy(entries: readonly NoProxyEntry[], host: string, port: string, ip: Ip16 | null): NoProxyEntry | null {
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
