/**
 * IP literal parsing and matching with Go's semantics (net/netip.ParseAddr, net.ParseIP,
 * net.ParseCIDR, net.IP.Equal / IPNet.Contains), because NO_PROXY decisions made by Go
 * programs depend on exactly which strings Go accepts as addresses. Pure, no I/O.
 *
 * Addresses are 16 bytes; an IPv4 address is stored IPv4-mapped (::ffff:a.b.c.d), as Go does.
 */

export type Ip16 = Uint8Array

export interface ParsedAddr {
  bytes: Ip16
  /** Written as dotted IPv4 (not as an IPv6 form such as ::ffff:1.2.3.4). */
  is4: boolean
  /** IPv6 zone (after '%'), '' when none. */
  zone: string
}

export interface Cidr {
  /** Network address, already masked. */
  network: Ip16
  /** Prefix length as written: 0-32 for IPv4, 0-128 for IPv6. */
  bits: number
  is4: boolean
}

/** Strict dotted quad: four decimal fields 0-255, no leading zeros (Go 1.17+). */
export function parseIPv4(s: string): Uint8Array | null {
  const fields = s.split('.')
  if (fields.length !== 4) return null
  const out = new Uint8Array(4)
  for (const [i, f] of fields.entries()) {
    if (!/^[0-9]{1,3}$/.test(f) || (f.length > 1 && f[0] === '0')) return null
    const n = Number(f)
    if (n > 255) return null
    out[i] = n
  }
  return out
}

function v4Mapped(v4: Uint8Array): Ip16 {
  const b = new Uint8Array(16)
  b[10] = 0xff
  b[11] = 0xff
  b.set(v4, 12)
  return b
}

const hexDigit = /^[0-9a-fA-F]$/

/** IPv6 without zone: up to 8 groups of 1-4 hex digits, one '::', optional trailing dotted IPv4. */
export function parseIPv6(s: string): Ip16 | null {
  const out = new Uint8Array(16)
  let ellipsis = -1
  let pos = 0
  let rest = s
  if (rest.startsWith('::')) {
    ellipsis = 0
    rest = rest.slice(2)
    if (rest === '') return out
  }
  while (pos < 16) {
    let len = 0
    let value = 0
    while (len < rest.length && len < 5 && hexDigit.test(rest[len]!)) {
      value = value * 16 + parseInt(rest[len]!, 16)
      len++
    }
    if (len === 0 || len > 4) return null
    if (rest[len] === '.') {
      // Embedded IPv4 must be the last 32 bits (or follow '::').
      if (ellipsis < 0 && pos !== 12) return null
      if (pos + 4 > 16) return null
      const v4 = parseIPv4(rest)
      if (!v4) return null
      out.set(v4, pos)
      pos += 4
      rest = ''
      break
    }
    out[pos] = value >> 8
    out[pos + 1] = value & 0xff
    pos += 2
    rest = rest.slice(len)
    if (rest === '') break
    if (rest[0] !== ':' || rest.length === 1) return null
    rest = rest.slice(1)
    if (rest[0] === ':') {
      if (ellipsis >= 0) return null
      ellipsis = pos
      rest = rest.slice(1)
      if (rest === '') break
    }
  }
  if (rest !== '') return null
  if (pos < 16) {
    if (ellipsis < 0) return null
    const gap = 16 - pos
    for (let k = pos - 1; k >= ellipsis; k--) out[k + gap] = out[k]!
    out.fill(0, ellipsis, ellipsis + gap)
  } else if (ellipsis >= 0) {
    // '::' must stand for at least one group of zeros.
    return null
  }
  return out
}

/**
 * Like Go's netip.ParseAddr: IPv4 or IPv6, IPv6 may carry a non-empty zone ("fe80::1%eth0").
 * With allowZone false it is Go's net.ParseIP (zones rejected).
 */
export function parseAddr(s: string, allowZone = true): ParsedAddr | null {
  for (const c of s) {
    if (c === '.') {
      const v4 = parseIPv4(s)
      return v4 ? {bytes: v4Mapped(v4), is4: true, zone: ''} : null
    }
    if (c === ':') {
      const pct = s.indexOf('%')
      let zone = ''
      let addr = s
      if (pct >= 0) {
        zone = s.slice(pct + 1)
        addr = s.slice(0, pct)
        if (zone === '' || !allowZone) return null
      }
      const v6 = parseIPv6(addr)
      return v6 ? {bytes: v6, is4: false, zone} : null
    }
    if (c === '%') return null
  }
  return null
}

/** Go's net.IP.To4: the IPv4 bytes of an IPv4(-mapped) address, else null. */
export function to4(ip: Ip16): Uint8Array | null {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return null
  if (ip[10] !== 0xff || ip[11] !== 0xff) return null
  return ip.subarray(12)
}

export function ipEqual(a: Ip16, b: Ip16): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/** Go's IP.IsLoopback: 127.0.0.0/8 (also IPv4-mapped) or ::1. */
export function isLoopback(ip: Ip16): boolean {
  const v4 = to4(ip)
  if (v4) return v4[0] === 127
  return ip.every((v, i) => v === (i === 15 ? 1 : 0))
}

function prefixEqual(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const full = bits >> 3
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false
  const rem = bits & 7
  if (rem === 0) return true
  const mask = (0xff << (8 - rem)) & 0xff
  return ((a[full]! ^ b[full]!) & mask) === 0
}

function maskBytes(ip: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(ip.length)
  for (let i = 0; i < ip.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8))
    out[i] = ip[i]! & ((0xff << (8 - keep)) & 0xff)
  }
  return out
}

/** Go's net.ParseCIDR: "addr/bits", no zone, bits decimal (leading zeros allowed) within range. */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/')
  if (slash < 0) return null
  const addr = parseAddr(s.slice(0, slash), false)
  const bitsText = s.slice(slash + 1)
  if (!addr || !/^[0-9]+$/.test(bitsText)) return null
  const bits = Number(bitsText)
  const max = addr.is4 ? 32 : 128
  if (bits > max) return null
  const full = addr.is4 ? bits + 96 : bits
  return {network: maskBytes(addr.bytes, full), bits, is4: addr.is4}
}

/**
 * Go's IPNet.Contains. IPv4 networks only contain IPv4(-mapped) addresses; an IPv6 network
 * whose masked address is IPv4-mapped (::ffff:a.b.c.d/96 and longer) behaves as an IPv4
 * network; any other IPv6 network never contains an IPv4(-mapped) address.
 */
export function cidrContains(cidr: Cidr, ip: Ip16): boolean {
  const ip4 = to4(ip)
  const net4 = to4(cidr.network)
  if (cidr.is4 || net4) {
    if (!ip4 || !net4) return false
    return prefixEqual(ip4, net4, cidr.is4 ? cidr.bits : cidr.bits - 96)
  }
  if (ip4) return false
  return prefixEqual(ip, cidr.network, cidr.bits)
}
