/**
 * The option values dockerd validates at start, per Engine version, from moby's sources:
 * daemon/config/config.go (Validate, GetConflictFreeLabels, getConflictFreeConfiguration) and
 * daemon/pkg/opts/opts.go (ValidateIPAddress, ValidateLabel) at 20.10, 23.0–28.x and 29.0.
 */
import {describe, expect, test} from 'vitest'
import {engineVersion} from '../../../../src/formats/daemon-json/known-keys.js'
import {BOUNDARIES, dnsProblem, dnsSearchProblem, labelConflicts, labelProblem, limitMinimum, limitProblem} from '../../../../src/formats/daemon-json/value-checks.js'

const v = engineVersion

describe('dns', () => {
  test('20.10–24.x: opts.ValidateIPAddress trims, then net.ParseIP', () => {
    for (const version of ['20.10.24', '23.0.6', '24.0.9']) {
      expect(dnsProblem('1.1.1.1o', v(version))).toBe('1.1.1.1o is not an ip address')
      expect(dnsProblem(' 1.1.1.1 ', v(version))).toBeNull()
      expect(dnsProblem('', v(version))).toBe(' is not an ip address')
      expect(dnsProblem('2001:db8::53', v(version))).toBeNull()
    }
  })

  test('25.0–28.x: decoded as []net.IP: no trimming, "" is nil and accepted', () => {
    for (const version of ['25.0.0', '27.5.1', '28.5.1']) {
      expect(dnsProblem('1.1.1.1o', v(version))).toBe('invalid IP address: 1.1.1.1o')
      expect(dnsProblem(' 1.1.1.1', v(version))).toBe('invalid IP address:  1.1.1.1')
      expect(dnsProblem('', v(version))).toBeNull()
    }
  })

  test('29.0 (and no version): netip.ParseAddr, which takes an IPv6 zone', () => {
    for (const version of ['29.0.0', undefined]) {
      expect(dnsProblem('fe80::1%eth0', v(version))).toBeNull()
      expect(dnsProblem('fe80::1%', v(version))).toContain('ParseAddr("fe80::1%")')
      expect(dnsProblem('1.2.3.4%eth0', v(version))).not.toBeNull()
      expect(dnsProblem('1.1.1.1o', v(version))).toContain('ParseAddr("1.1.1.1o")')
    }
    expect(dnsProblem('fe80::1%eth0', v('28.5.1'))).toBe('invalid IP address: fe80::1%eth0')
  })

  test.each(['dns.example.com', '8.8.8.8:53', '[2001:db8::1]', '010.0.0.1', '256.1.1.1'])('%s is refused by every version', (value) => {
    for (const version of ['20.10.0', '25.0.0', '29.0.0']) expect(dnsProblem(value, v(version))).not.toBeNull()
  })

  test('IPv4-mapped IPv6 is an address', () => {
    expect(dnsProblem('::ffff:192.0.2.1', v('20.10.0'))).toBeNull()
    expect(dnsProblem('::ffff:192.0.2.1', v('29.0.0'))).toBeNull()
  })
})

describe('dns-search (opts.ValidateDNSSearch, every version; cases from moby daemon/pkg/opts/opts_test.go)', () => {
  test.each(['.', 'a', 'a.', '1.foo', '17.foo', 'foo.bar', 'foo.bar.', 'foo1.bar2.baz', '1foo.2bar.', 'foo-1.bar-2.', '1-foo.2-bar.baz', ' example.com '])(
    '%j is a search domain',
    (domain) => expect(dnsSearchProblem(domain)).toBeNull(),
  )

  const long = 'foo.bar.baz.this.should.fail.on.long.name.because.it.is.longer.thanitshouldbe'.repeat(4)
  test.each(['', ' ', '  ', '17', '17.', '.17', '17-.', '17-.foo', '.foo', 'foo-.bar', '-foo.bar', 'foo.bar-', 'foo.bar-.baz', 'foo.-bar', 'foo.-bar.baz', long])(
    '%j is refused',
    (domain) => expect(dnsSearchProblem(domain)).toBe(`${domain.trim()} is not a valid domain`),
  )

  test('moby\'s pattern has "(:?" where "(?:" was meant, so a colon before a label passes', () => {
    expect(dnsSearchProblem(':example.com')).toBeNull()
  })
})

describe('labels', () => {
  test('opts.ValidateLabel: "=" is required (a value may be empty, so may the key)', () => {
    expect(labelProblem('one', null)).toBe('bad attribute format: one')
    expect(labelProblem('one=', null)).toBeNull()
    expect(labelProblem('=two', null)).toBeNull()
    expect(labelProblem('a=b=c', null)).toBeNull()
  })

  test('reserved namespaces are refused from 20.10, case-insensitively', () => {
    expect(labelProblem('com.docker.role=x', v('20.10.0'))).toContain('the namespaces com.docker.*, io.docker.*, and org.dockerproject.* are reserved')
    expect(labelProblem('IO.Docker.x=y', v('28.0.0'))).toContain('is not allowed')
    expect(labelProblem('org.dockerproject.a=b', null)).toContain('is not allowed')
    expect(labelProblem('com.dockerhub.x=y', null)).toBeNull()
    // Cases from moby daemon/pkg/opts/opts_test.go TestValidateLabel.
    expect(labelProblem('com.dockerpsychnotreserved.label=value', null)).toBeNull()
    expect(labelProblem('io.dockerproject.not=reserved', null)).toBeNull()
    expect(labelProblem('org.docker.not=reserved', null)).toBeNull()
    expect(labelProblem('Org.Dockerproject.Setting=on', null)).toBe(
      'label Org.Dockerproject.Setting=on is not allowed: the namespaces com.docker.*, io.docker.*, and org.dockerproject.* are reserved for internal use',
    )
    expect(labelProblem('key1=value1=value2=value3', null)).toBeNull()
    expect(labelProblem('com.docker.role=x', v('19.03.15'))).toBeNull()
    expect(BOUNDARIES.reservedLabels.since).toBe('20.10')
  })

  test('GetConflictFreeLabels: a key cut at the first "=" with a second value conflicts; the message names the new value first', () => {
    expect(labelConflicts(['foo=bar', 'foo=baz'])).toEqual([{index: 1, message: 'conflict labels for foo=baz and foo=bar'}])
    expect(labelConflicts(['foo=the-same', 'foo=the-same'])).toEqual([])
    expect(labelConflicts(['a=b=c', 'a=b'])).toEqual([{index: 1, message: 'conflict labels for a=b and a=b=c'}])
    expect(labelConflicts(['foo', 'foo=1', null, 'foo=2', 'foo=1', 'foo=3'])).toEqual([
      {index: 3, message: 'conflict labels for foo=2 and foo=1'},
      {index: 5, message: 'conflict labels for foo=3 and foo=1'},
    ])
  })
})

describe('max-concurrent-downloads, max-concurrent-uploads, max-download-attempts', () => {
  test('below 0 is refused in every version', () => {
    for (const version of ['20.10.24', '23.0.0', '29.0.0', undefined]) {
      expect(limitProblem('max-concurrent-downloads', -1n, v(version))).toBe('invalid max concurrent downloads: -1')
      expect(limitProblem('max-concurrent-uploads', -10n, v(version))).toBe('invalid max concurrent uploads: -10')
      expect(limitProblem('max-download-attempts', -10n, v(version))).toBe('invalid max download attempts: -10')
      expect(limitProblem('max-concurrent-downloads', 0n, v(version))).toBeNull()
    }
  })

  test('max-download-attempts 0: refused by 20.10 (*int, <= 0), accepted from 23.0 (int, < 0)', () => {
    expect(limitProblem('max-download-attempts', 0n, v('20.10.24'))).toBe('invalid max download attempts: 0')
    expect(limitMinimum('max-download-attempts', v('20.10.24'))).toBe(1)
    expect(limitProblem('max-download-attempts', 0n, v('23.0.0'))).toBeNull()
    expect(limitMinimum('max-download-attempts', v('23.0.0'))).toBe(0)
    expect(limitProblem('max-download-attempts', 1n, v('20.10.24'))).toBeNull()
  })
})

test('the version table names a source for every boundary', () => {
  for (const b of Object.values(BOUNDARIES)) {
    expect(b.source).toMatch(/https:\/\//)
    expect(b.since).toMatch(/^\d+\.\d+$/)
  }
  expect(BOUNDARIES.emptyFile.since).toBe('23.0')
  expect(BOUNDARIES.dnsAsNetIP.since).toBe('25.0')
})
