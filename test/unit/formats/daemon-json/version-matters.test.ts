/**
 * dockerVersionMatters against the version table: every versioned name and every value boundary
 * makes it true, the usual mirror-only files make it false, and whenever it says false, lint gives
 * identical findings for every Engine version (and for none).
 */
import {readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, test} from 'vitest'
import {OPTIONS, type OptionSpec, type ValueType} from '../../../../src/formats/daemon-json/known-keys.js'
import {BOUNDARIES} from '../../../../src/formats/daemon-json/value-checks.js'
import {VERSION_PROBES, dockerVersionMatters} from '../../../../src/formats/daemon-json/version-matters.js'
import {parseDaemonJson} from '../../../../src/formats/daemon-json/parse.js'
import {FILE, lint} from './lint-helpers.js'

const matters = (text: string) => dockerVersionMatters(parseDaemonJson(text, FILE))

const SAMPLE: Record<ValueType, unknown> = {
  string: 'x',
  boolean: true,
  integer: 3,
  'string[]': ['a=b'],
  'string-map': {a: 'b'},
  'bool-map': {a: true},
  'object-map': {a: {}},
  object: {},
  'object[]': [{base: '10.0.0.0/8', size: 24}],
  size: '64M',
}

/** The names dockerd's check lets through for an option (as known-keys.ts acceptedNames). */
const names = (o: OptionSpec): string[] => [...new Set([o.flag, o.named || o.skipValidate ? o.key : undefined].filter((n): n is string => Boolean(n)))]

const fileWith = (o: OptionSpec, name: string): string => JSON.stringify(o.parent ? {[o.parent]: {[name]: SAMPLE[o.type]}} : {[name]: SAMPLE[o.type]}, null, 2)

const versioned = (o: OptionSpec) => Boolean(o.since || o.removed || o.ignoredSince)

/** A versioned option's flag name that is also the file key of an unversioned one (host-gateway-ip) is that one's key. */
const ownKey = (name: string) => OPTIONS.some((x) => !versioned(x) && x.key === name && !x.parent)

describe('true for every versioned entry of the table', () => {
  test.each(OPTIONS.filter(versioned).flatMap((o) => names(o).filter((n) => !ownKey(n)).map((n) => [n, o] as const)))('%s', (name, o) => {
    expect(matters(fileWith(o, name))).toBe(true)
  })

  // One value per boundary of value-checks.ts, on the side the older Engine refuses.
  const boundaryTexts: Record<keyof typeof BOUNDARIES, string[]> = {
    emptyFile: ['', '  \n', '\uFEFF'],
    downloadAttempts: ['{"max-download-attempts": 0}'],
    dnsAsNetIP: ['{"dns": [" 1.1.1.1"]}', '{"dns": [""]}'],
    dnsAsNetipAddr: ['{"dns": ["fe80::1%eth0"]}'],
    reservedLabels: ['{"labels": ["com.docker.role=builder"]}'],
  }
  test.each(Object.keys(BOUNDARIES))('boundary %s', (key) => {
    const texts = boundaryTexts[key as keyof typeof BOUNDARIES]
    expect(texts?.length).toBeGreaterThan(0)
    for (const text of texts) expect(matters(text)).toBe(true)
  })

  test.each([
    ['a byte order mark (refused before 24.0)', '\uFEFF{"log-driver": "json-file"}'],
    ['a mirror with a path (refused before 25.0)', '{"registry-mirrors": ["https://harbor.example.com/dockerhub"]}'],
    ['a mirror dockerd refuses (the message says whether --validate sees it)', '{"registry-mirrors": ["mirror.example.com"]}'],
    ['a mirror with a query', '{"registry-mirrors": ["https://m.example.com?x=1"]}'],
    ['an unknown name (its did-you-mean comes from that version\'s options)', '{"registy-mirrors": []}'],
    ['proxies (23.0)', '{"proxies": {"no-proxy": "localhost"}}'],
    ['a negative limit (the message names the Engine)', '{"max-concurrent-downloads": -1}'],
    ['any refused dns entry (the message says which version it assumed)', '{"dns": ["dns.example.com"]}'],
    ['log-format (25.0)', '{"log-format": "json"}'],
  ])('%s', (_, text) => expect(matters(text)).toBe(true))
})

describe('false where the version changes nothing', () => {
  test.each([
    ['registry-mirrors, insecure-registries and log settings', '{\n  "registry-mirrors": ["https://mirror.example.com", "http://127.0.0.1:5000/"],\n  "insecure-registries": ["127.0.0.1:5000", "10.0.0.0/8"],\n  "log-driver": "json-file",\n  "log-level": "warn",\n  "log-opts": {"max-size": "10m", "max-file": "3"}\n}\n'],
    ['the fleet benchmark\'s file', '{\n  "log-driver": "json-file",\n  "registry-mirrors": ["https://old.example.com"]\n}\n'],
    ['an empty object', '{}'],
    ['good dns, labels and limits', '{"dns": ["1.1.1.1", "2001:db8::53"], "labels": ["role=builder"], "max-download-attempts": 5}'],
    ['a label without "=" (refused alike by every version)', '{"labels": ["builder"]}'],
    ['a syntax error with nothing readable', '{"registry-mirrors": ['],
    ['a top level that is not an object', '["https://mirror.example.com"]'],
  ])('%s', (_, text) => expect(matters(text)).toBe(false))
})

describe('when it says false, lint says the same for every version', () => {
  const fixtures = path.resolve(import.meta.dirname, '../../../../fixtures/daemon-json')
  const corpus: string[] = [
    ...readdirSync(fixtures)
      .filter((f) => f.endsWith('.json'))
      .map((f) => readFileSync(path.join(fixtures, f), 'utf8')),
    ...OPTIONS.flatMap((o) => names(o).map((n) => fileWith(o, n))),
    '{"registry-mirrors": ["https://mirror.example.com", "https://mirror.example.com/"], "insecure-registries": ["http://10.0.0.5:5000", "-bad", "127.0.0.1:5000"]}',
    '{"registry-mirrors": ["https://ghcr-mirror.example.com", "http://m.example.com:5000", "https://"]}',
    '{"labels": ["a=1", "a=2", "nolabel"], "dns-search": ["-bad.example"], "max-concurrent-uploads": 0}',
    '{"hosts": ["fd://"], "containerd": "/run/containerd/containerd.sock", "data-root": "/srv/docker"}',
    '{"log-driver": 3, "debug": "yes", "registry-mirror": ["https://m.example.com"]}',
    '{"registry-mirrors": ["https://a.example.com"], "registry-mirrors": ["https://b.example.com"]}',
    '{"registry-mirrors": ["https://m.example.com"],}',
    '{"dns": ["1.1.1.1", 7], "labels": "x", "features": {"buildkit": true}, "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 64000, "Soft": 64000}}}',
  ]
  const versions = [...VERSION_PROBES, '19.03.15', '20.10.24+dfsg1', '24.0.7', '28.5.1', '29.1.3']

  test('the corpus exercises both answers', () => {
    expect(corpus.filter(matters).length).toBeGreaterThan(10)
    expect(corpus.filter((t) => !matters(t)).length).toBeGreaterThan(40)
  })

  test.each(corpus.filter((t) => !matters(t)).map((t) => [t.replace(/\s+/g, ' ').slice(0, 70), t]))('%s', (_, text) => {
    const unknown = lint(text)
    for (const v of versions) expect(lint(text, {dockerdArgs: ['-H', 'fd://', '--containerd=/run/containerd/containerd.sock'], dockerVersion: v})).toEqual(lint(text, {dockerdArgs: ['-H', 'fd://', '--containerd=/run/containerd/containerd.sock']}))
    for (const v of versions) expect(lint(text, {dockerVersion: v})).toEqual(unknown)
  })
})

test('every version boundary the daemon.json checks compare against is probed', () => {
  const dir = path.resolve(import.meta.dirname, '../../../../src/formats/daemon-json')
  const used = new Set<string>()
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/atLeast\([^,()]+,\s*'(\d+\.\d+)'\)/g)) used.add(m[1]!)
  }
  expect(used.size).toBeGreaterThan(2)
  for (const v of used) expect(VERSION_PROBES).toContain(v)
})
