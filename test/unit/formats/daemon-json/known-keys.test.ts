import {describe, expect, test} from 'vitest'
import {OPTIONS, atLeast, classifyName, engineVersion, isReloadable, present} from '../../../../src/formats/daemon-json/known-keys.js'
import {rules} from '../../../../src/formats/daemon-json/rules.js'

const v = engineVersion

describe('engineVersion', () => {
  test.each([
    ['29.1.3', '29.1.3'],
    ['24.0.9', '24.0.9'],
    ['20.10.24+dfsg1', '20.10.24'],
    ['19.03.15', '19.3.15'],
    ['18.09.1-ce', '18.9.1'],
    ['26.1.3-1ubuntu1', '26.1.3'],
    ['25.0', '25.0.0'],
  ])('%s', (text, expected) => {
    expect(v(text)?.version).toBe(expected)
  })

  test('unknown or unreadable means the newest', () => {
    expect(v(undefined)).toBeNull()
    expect(v('devel')).toBeNull()
    expect(atLeast(null, '99.0')).toBe(true)
  })

  test('atLeast compares whole versions', () => {
    expect(atLeast(v('24.0.9'), '25.0')).toBe(false)
    expect(atLeast(v('25.0.0'), '25.0')).toBe(true)
    expect(atLeast(v('22.06.0'), '23.0')).toBe(false)
  })
})

describe('classifyName', () => {
  test('plain keys are read', () => {
    expect(classifyName('registry-mirrors', '', null)).toMatchObject({kind: 'read', spec: {key: 'registry-mirrors'}})
    expect(classifyName('http-proxy', 'proxies', null)).toMatchObject({kind: 'read'})
    expect(classifyName('features', '', v('20.10.0'))).toMatchObject({kind: 'read'})
  })

  test('a flag name that is not the file key is accepted but ignored', () => {
    expect(classifyName('registry-mirror', '', null)).toMatchObject({kind: 'ignored', useInstead: 'registry-mirrors'})
    expect(classifyName('label', '', null)).toMatchObject({kind: 'ignored', useInstead: 'labels'})
    expect(classifyName('host', '', null)).toMatchObject({kind: 'ignored', useInstead: 'hosts'})
  })

  test('proxy names outside "proxies" are ignored', () => {
    expect(classifyName('http-proxy', '', v('23.0.0'))).toMatchObject({kind: 'ignored', useInstead: 'proxies.http-proxy'})
  })

  test('the containerd plugins namespace has no working file key', () => {
    expect(classifyName('containerd-plugin-namespace', '', null).kind).toBe('unknown')
    expect(classifyName('containerd-plugins-namespace', '', null)).toMatchObject({kind: 'ignored', useInstead: null})
  })

  test('case matters', () => {
    expect(classifyName('Registry-Mirrors', '', null).kind).toBe('unknown')
  })

  test('keys newer than the Engine', () => {
    expect(classifyName('bip6', '', v('27.5.1'))).toMatchObject({kind: 'too-new', spec: {since: '28.0'}})
    expect(classifyName('bip6', '', v('28.0.0')).kind).toBe('read')
    expect(classifyName('default-network-opts', '', v('23.0.6')).kind).toBe('too-new')
    expect(classifyName('default-network-opts', '', v('24.0.0')).kind).toBe('read')
  })

  test('a key through its lifetime: oom-score-adjust', () => {
    expect(classifyName('oom-score-adjust', '', v('24.0.9')).kind).toBe('read')
    expect(classifyName('oom-score-adjust', '', v('25.0.0')).kind).toBe('ignored')
    expect(classifyName('oom-score-adjust', '', v('26.0.0'))).toMatchObject({kind: 'removed', spec: {removed: '26.0'}})
  })

  test('host-gateway-ip keeps working after its migration to host-gateway-ips', () => {
    expect(classifyName('host-gateway-ip', '', v('28.0.0')).kind).toBe('read')
    expect(classifyName('host-gateway-ips', '', v('28.0.0')).kind).toBe('read')
    expect(classifyName('host-gateway-ips', '', v('27.0.0')).kind).toBe('too-new')
  })

  test('tolerated names', () => {
    expect(classifyName('deprecated-key-path', '', null)).toMatchObject({kind: 'ignored', useInstead: null})
    expect(classifyName('allow-nondistributable-artifacts', '', v('28.5.0')).kind).toBe('read')
    expect(classifyName('allow-nondistributable-artifacts', '', v('29.0.0')).kind).toBe('ignored')
  })
})

describe('the catalogue', () => {
  test('keys are unique per parent, and every version is readable', () => {
    const seen = new Set<string>()
    for (const o of OPTIONS) {
      if (!o.key) continue
      const id = `${o.parent ?? ''}.${o.key}`
      expect(seen.has(id), id).toBe(false)
      seen.add(id)
      for (const ver of [o.since, o.removed, o.ignoredSince]) if (ver) expect(v(ver), `${o.key} ${ver}`).not.toBeNull()
    }
  })

  test('the keys common in real configurations are known to the newest Engine', () => {
    const common = [
      'registry-mirrors', 'insecure-registries', 'features', 'builder', 'log-driver', 'log-opts', 'data-root', 'storage-driver',
      'storage-opts', 'dns', 'dns-opts', 'dns-search', 'bip', 'default-address-pools', 'hosts', 'containerd', 'live-restore', 'debug',
      'experimental', 'exec-opts', 'cgroup-parent', 'default-runtime', 'runtimes', 'userns-remap', 'ipv6', 'fixed-cidr-v6', 'iptables',
      'ip6tables', 'mtu', 'max-concurrent-downloads', 'max-concurrent-uploads', 'max-download-attempts', 'shutdown-timeout',
      'default-ulimits', 'labels', 'metrics-addr', 'tls', 'tlsverify', 'tlscacert', 'tlscert', 'tlskey', 'min-api-version',
      'default-network-opts', 'nri-opts',
    ]
    for (const key of common) expect(classifyName(key, '', null).kind, key).toBe('read')
  })

  test('proxies arrived in 23.0', () => {
    const proxies = OPTIONS.find((o) => o.key === 'proxies')!
    expect(present(proxies, v('22.06.0'))).toBe(false)
    expect(present(proxies, v('23.0.0'))).toBe(true)
  })

  test('reloadable options follow the dockerd reference', () => {
    expect(isReloadable('registry-mirrors')).toBe(true)
    expect(isReloadable('insecure-registries')).toBe(true)
    expect(isReloadable('proxies')).toBe(false)
    expect(isReloadable('data-root')).toBe(false)
  })

  test('every rule is documented', () => {
    for (const [name, rule] of Object.entries(rules)) {
      expect(rule.id).toBe(`daemon-json/${name}`)
      expect(rule.description.length, name).toBeGreaterThan(10)
      expect(rule.hint.length, name).toBeGreaterThan(5)
      expect(rule.source, name).toMatch(/^https:\/\//)
    }
  })
})
