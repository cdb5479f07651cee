import {describe, expect, it} from 'vitest'
import {cidrContains, isLoopback, parseAddr, parseCidr, parseIPv6} from '../../../src/core/ip.js'

const addr = (s: string): Uint8Array => {
  const a = parseAddr(s)
  if (!a) throw new Error(s)
  return a.bytes
}

describe('IP parsing as Go does it', () => {
  it('IPv4: strict dotted quad, no leading zeros', () => {
    expect(parseAddr('10.0.0.1')?.is4).toBe(true)
    for (const bad of ['010.0.0.1', '1.2.3', '1.2.3.4.', '256.1.1.1', '1.2.3.4%eth0']) expect(parseAddr(bad), bad).toBeNull()
  })

  it('IPv6: compression, embedded IPv4, zones only where allowed', () => {
    expect(Array.from(parseIPv6('fd00::1:5000') ?? [])).toEqual([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x50, 0])
    expect(parseAddr('::ffff:1.2.3.4')?.is4).toBe(false)
    expect(parseAddr('fe80::1%eth0')?.zone).toBe('eth0')
    expect(parseAddr('fe80::1%eth0', false)).toBeNull()
    for (const bad of ['1:2:3:4:5:6:7::8', ':1::2', '1::2::3', 'fd00::12345', '1:2:3:4:5:6:7:8:9', 'fe80::1%', '[::1]']) expect(parseAddr(bad), bad).toBeNull()
  })

  it('loopback', () => {
    expect(isLoopback(addr('127.9.9.9'))).toBe(true)
    expect(isLoopback(addr('::ffff:127.0.0.1'))).toBe(true)
    expect(isLoopback(addr('::1'))).toBe(true)
    expect(isLoopback(addr('::2'))).toBe(false)
  })

  it('CIDR containment follows IPNet.Contains', () => {
    const v4 = parseCidr('10.0.0.0/30')!
    expect(cidrContains(v4, addr('10.0.0.3'))).toBe(true)
    expect(cidrContains(v4, addr('10.0.0.4'))).toBe(false)
    expect(cidrContains(v4, addr('::ffff:10.0.0.1'))).toBe(true)
    const mapped = parseCidr('::ffff:10.0.0.0/104')!
    expect(cidrContains(mapped, addr('10.1.2.3'))).toBe(true)
    expect(cidrContains(parseCidr('::/0')!, addr('10.1.2.3'))).toBe(false)
    expect(cidrContains(parseCidr('2002:db8:a::45/64')!, addr('2002:db8:a::123'))).toBe(true)
    expect(parseCidr('10.0.0.0/33')).toBeNull()
    expect(parseCidr('10.0.0.0/08')?.bits).toBe(8)
    expect(parseCidr('fe80::/10%x')).toBeNull()
  })
})
