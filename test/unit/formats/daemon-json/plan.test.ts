import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'
import {UserError} from '../../../../src/core/errors.js'
import {applyEdits} from '../../../../src/edit/text-edit.js'
import {lintDaemonJson} from '../../../../src/formats/daemon-json/lint.js'
import {parseDaemonJson} from '../../../../src/formats/daemon-json/parse.js'
import {readDaemonJson} from '../../../../src/formats/daemon-json/read.js'
import {NotDockerHubError, assertDockerHubSource, planDaemonJson} from '../../../../src/formats/daemon-json/plan.js'
import {parseMirrorArgument, type MirrorChange, type Position, type PullFromMirror} from '../../../../src/policy/mirror-policy.js'

const fixture = (name: string) => readFileSync(new URL(`../../../../fixtures/daemon-json/${name}`, import.meta.url), 'utf8')

function add(mirrors: string[], options: {position?: Position; insecure?: boolean; source?: string; pullFromMirror?: PullFromMirror} = {}): MirrorChange {
  return {
    action: 'add',
    source: options.source ?? 'docker.io',
    mirrors: mirrors.map((m) => parseMirrorArgument(m, {insecure: options.insecure ?? false, pullFromMirror: options.pullFromMirror ?? null})),
    location: null,
    position: options.position ?? 'last',
  }
}

function remove(mirrors: string[] | null): MirrorChange {
  return {action: 'remove', source: 'docker.io', mirrors: mirrors === null ? null : mirrors.map((m) => parseMirrorArgument(m))}
}

/** Plans, applies, and checks that the result parses cleanly and that planning again changes nothing. */
function apply(text: string, change: MirrorChange): string {
  const out = applyEdits(text, planDaemonJson(parseDaemonJson(text, 'daemon.json'), change))
  const again = parseDaemonJson(out, 'daemon.json')
  expect(again.syntaxFindings).toEqual([])
  expect(planDaemonJson(again, change)).toEqual([])
  return out
}

describe('the Docker Hub guard', () => {
  test.each(['docker.io', 'index.docker.io', 'registry-1.docker.io'])('%s is accepted', (source) => {
    expect(() => assertDockerHubSource(source)).not.toThrow()
  })

  test('another registry is refused with a pointer to registries.conf', () => {
    const doc = parseDaemonJson('{}', 'daemon.json')
    const error = (() => {
      try {
        planDaemonJson(doc, add(['quay-mirror.example.com'], {source: 'quay.io'}))
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(NotDockerHubError)
    expect(error).toBeInstanceOf(UserError)
    expect((error as NotDockerHubError).source).toBe('quay.io')
    expect((error as Error).message).toBe(`Docker's registry-mirrors serve Docker Hub (docker.io) only; daemon.json cannot mirror "quay.io"`)
    expect((error as UserError).hint).toContain('registries.conf')
  })

  test('a Docker Hub prefix cannot be expressed either', () => {
    expect(() => assertDockerHubSource('docker.io/library')).toThrow(`Docker's registry-mirrors apply to all of Docker Hub; daemon.json cannot limit a mirror to "docker.io/library"`)
  })
})

describe('refusals', () => {
  test('a file dockerd cannot read is not edited', () => {
    const doc = parseDaemonJson(fixture('commented.json'), '/etc/docker/daemon.json')
    expect(() => planDaemonJson(doc, add(['m.example.com']))).toThrow(UserError)
    try {
      planDaemonJson(doc, add(['m.example.com']))
    } catch (e) {
      expect(e).toMatchObject({rule: 'daemon-json/json-syntax', position: {file: '/etc/docker/daemon.json', line: 2, column: 3}})
    }
  })

  test('registry-mirrors that is not a list', () => {
    const doc = parseDaemonJson('{\n  "registry-mirrors": "https://m.example.com"\n}', 'daemon.json')
    expect(() => planDaemonJson(doc, add(['n.example.com']))).toThrow(/"registry-mirrors" in daemon.json is a string, not a list/)
  })

  test('a location or pull-from-mirror has no daemon.json form', () => {
    const doc = parseDaemonJson('{}', 'daemon.json')
    expect(() => planDaemonJson(doc, {...add(['m.example.com']), location: 'harbor.example.com/proxy'} as MirrorChange)).toThrow(/cannot redirect Docker Hub/)
    expect(() => planDaemonJson(doc, add(['m.example.com'], {pullFromMirror: 'digest-only'}))).toThrow(/cannot restrict mirror m.example.com to digest-only pulls/)
  })
})

describe('adding to an existing list keeps the layout', () => {
  test('pretty, 2 spaces, last', () => {
    const out = apply(fixture('pretty-log-opts.json'), add(['new.example.com']))
    expect(out).toBe(fixture('pretty-log-opts.json').replace('"https://mirror.gcr.io"\n', '"https://mirror.gcr.io",\n    "https://new.example.com"\n'))
  })

  test('pretty, first', () => {
    const out = apply(fixture('pretty-log-opts.json'), add(['new.example.com'], {position: 'first'}))
    expect(out).toBe(fixture('pretty-log-opts.json').replace('    "https://mirror.gcr.io"\n', '    "https://new.example.com",\n    "https://mirror.gcr.io"\n'))
  })

  test('compact one-liner stays on one line', () => {
    expect(apply(fixture('compact.json'), add(['new.example.com']))).toBe(
      '{"registry-mirrors":["https://mirror.gcr.io","https://new.example.com"],"insecure-registries":["10.0.0.5:5000"],"debug":false}\n',
    )
    expect(apply(fixture('compact.json'), add(['new.example.com'], {position: 'first'}))).toBe(
      '{"registry-mirrors":["https://new.example.com","https://mirror.gcr.io"],"insecure-registries":["10.0.0.5:5000"],"debug":false}\n',
    )
  })

  test('tabs', () => {
    expect(apply(fixture('tabs.json'), add(['new.example.com']))).toBe(
      '{\n\t"log-driver": "journald",\n\t"registry-mirrors": [\n\t\t"https://mirror.example.com",\n\t\t"https://new.example.com"\n\t],\n\t"dns": ["10.0.0.2", "10.0.0.3"]\n}\n',
    )
  })

  test('four spaces and CRLF', () => {
    const out = apply(fixture('four-spaces-crlf.json'), add(['new.example.com', 'newer.example.com'], {position: 'first'}))
    expect(out).toBe(
      '{\r\n    "exec-opts": ["native.cgroupdriver=systemd"],\r\n    "registry-mirrors": [\r\n        "https://new.example.com",\r\n        "https://newer.example.com",\r\n        "https://mirror-a.example.com",\r\n        "https://mirror-b.example.com"\r\n    ],\r\n    "max-concurrent-downloads": 10\r\n}\r\n',
    )
    expect(out.replace(/\r\n/g, '')).not.toContain('\n')
  })

  test('an inline list in a pretty file stays inline', () => {
    expect(apply('{\n  "registry-mirrors": ["https://a.example.com"]\n}\n', add(['b.example.com']))).toBe(
      '{\n  "registry-mirrors": ["https://a.example.com", "https://b.example.com"]\n}\n',
    )
  })

  test('an empty list is filled in the file\'s style', () => {
    expect(apply('{\n  "registry-mirrors": []\n}\n', add(['a.example.com']))).toBe('{\n  "registry-mirrors": [\n    "https://a.example.com"\n  ]\n}\n')
    expect(apply('{"debug":true,"registry-mirrors":[]}', add(['a.example.com']))).toBe('{"debug":true,"registry-mirrors":["https://a.example.com"]}')
  })

  test('null is replaced by a list', () => {
    expect(apply('{\n  "registry-mirrors": null\n}\n', add(['a.example.com']))).toBe('{\n  "registry-mirrors": [\n    "https://a.example.com"\n  ]\n}\n')
  })

  test('with duplicate keys the last one, which dockerd uses, is edited', () => {
    const text = '{\n  "registry-mirrors": ["https://old.example.com"],\n  "registry-mirrors": ["https://a.example.com"]\n}\n'
    const out = applyEdits(text, planDaemonJson(parseDaemonJson(text, 'd'), add(['b.example.com'])))
    expect(out).toBe('{\n  "registry-mirrors": ["https://old.example.com"],\n  "registry-mirrors": ["https://a.example.com", "https://b.example.com"]\n}\n')
  })
})

describe('idempotence', () => {
  test('a mirror already listed is not added again (trailing slash and case do not matter)', () => {
    const doc = parseDaemonJson('{"registry-mirrors": ["https://Mirror.Example.com/"]}', 'd')
    expect(planDaemonJson(doc, add(['mirror.example.com']))).toEqual([])
    expect(planDaemonJson(doc, add(['https://mirror.example.com']))).toEqual([])
  })

  test('only the missing ones are added', () => {
    expect(apply('{"registry-mirrors": ["https://a.example.com"]}', add(['a.example.com', 'b.example.com', 'b.example.com']))).toBe(
      '{"registry-mirrors": ["https://a.example.com", "https://b.example.com"]}',
    )
  })
})

describe('adding the key', () => {
  test('appended as the last member, with the file\'s indentation', () => {
    expect(apply('{\n    "debug": true,\n    "log-driver": "local"\n}\n', add(['a.example.com', 'b.example.com']))).toBe(
      '{\n    "debug": true,\n    "log-driver": "local",\n    "registry-mirrors": [\n        "https://a.example.com",\n        "https://b.example.com"\n    ]\n}\n',
    )
  })

  test('compact', () => {
    expect(apply('{"debug": true}\n', add(['a.example.com']))).toBe('{"debug": true, "registry-mirrors": ["https://a.example.com"]}\n')
    expect(apply('{"debug":true}', add(['a.example.com']))).toBe('{"debug":true,"registry-mirrors":["https://a.example.com"]}')
  })

  test('to an empty object', () => {
    expect(apply('{}\n', add(['a.example.com']))).toBe('{\n  "registry-mirrors": [\n    "https://a.example.com"\n  ]\n}\n')
  })

  test.each([
    ['a missing file', ''],
    ['an empty file', '\n\n'],
  ])('%s gets a fresh file', (_name, text) => {
    expect(apply(text, add(['a.example.com']))).toBe('{\n  "registry-mirrors": [\n    "https://a.example.com"\n  ]\n}\n')
  })

  test('a file that says null', () => {
    expect(apply('null\n', add(['a.example.com']))).toBe('{\n  "registry-mirrors": [\n    "https://a.example.com"\n  ]\n}\n')
  })
})

describe('insecure mirrors', () => {
  test('https without verification also goes into insecure-registries', () => {
    expect(apply('{\n  "debug": true\n}\n', add(['https://mirror.internal:5000'], {insecure: true}))).toBe(
      '{\n  "debug": true,\n  "registry-mirrors": [\n    "https://mirror.internal:5000"\n  ],\n  "insecure-registries": [\n    "mirror.internal:5000"\n  ]\n}\n',
    )
  })

  test('an existing insecure-registries entry is reused', () => {
    const text = '{"insecure-registries": ["http://mirror.internal:5000"], "registry-mirrors": []}'
    expect(apply(text, add(['https://mirror.internal:5000'], {insecure: true}))).toBe(
      '{"insecure-registries": ["http://mirror.internal:5000"], "registry-mirrors": ["https://mirror.internal:5000"]}',
    )
  })

  test('a plain-HTTP mirror needs no insecure-registries entry', () => {
    expect(apply('{}', add(['mirror.internal:5000'], {insecure: true}))).toBe('{\n  "registry-mirrors": [\n    "http://mirror.internal:5000"\n  ]\n}')
  })
})

describe('removing', () => {
  const pretty = '{\n  "registry-mirrors": [\n    "https://a.example.com",\n    "https://b.example.com",\n    "https://c.example.com"\n  ],\n  "debug": true\n}\n'

  test.each([
    ['the first', ['a.example.com'], '{\n  "registry-mirrors": [\n    "https://b.example.com",\n    "https://c.example.com"\n  ],\n  "debug": true\n}\n'],
    ['a middle one', ['b.example.com'], '{\n  "registry-mirrors": [\n    "https://a.example.com",\n    "https://c.example.com"\n  ],\n  "debug": true\n}\n'],
    ['the last', ['c.example.com'], '{\n  "registry-mirrors": [\n    "https://a.example.com",\n    "https://b.example.com"\n  ],\n  "debug": true\n}\n'],
    ['two at the start', ['a.example.com', 'b.example.com'], '{\n  "registry-mirrors": [\n    "https://c.example.com"\n  ],\n  "debug": true\n}\n'],
    ['first and last', ['a.example.com', 'c.example.com'], '{\n  "registry-mirrors": [\n    "https://b.example.com"\n  ],\n  "debug": true\n}\n'],
  ])('%s', (_name, mirrors, expected) => {
    expect(apply(pretty, remove(mirrors))).toBe(expected)
  })

  test('matched by location, whatever the scheme or trailing slash in the file', () => {
    expect(apply('{"registry-mirrors": ["http://a.example.com:5000/", "https://b.example.com"]}', remove(['a.example.com:5000']))).toBe(
      '{"registry-mirrors": ["https://b.example.com"]}',
    )
  })

  test('removing every mirror leaves an empty list, so a reload clears them', () => {
    expect(apply(pretty, remove(['a.example.com', 'b.example.com', 'c.example.com']))).toBe('{\n  "registry-mirrors": [],\n  "debug": true\n}\n')
    expect(apply(pretty, remove(null))).toBe('{\n  "registry-mirrors": [],\n  "debug": true\n}\n')
  })

  test('nothing to remove means no edits', () => {
    expect(planDaemonJson(parseDaemonJson(pretty, 'd'), remove(['z.example.com']))).toEqual([])
    expect(planDaemonJson(parseDaemonJson('{"debug": true}', 'd'), remove(null))).toEqual([])
    expect(planDaemonJson(parseDaemonJson('', 'd'), remove(null))).toEqual([])
    expect(planDaemonJson(parseDaemonJson('{"registry-mirrors": []}', 'd'), remove(null))).toEqual([])
  })
})

test('a planned file lints clean', () => {
  const out = apply(fixture('pretty-log-opts.json'), add(['https://new.example.com']))
  expect(lintDaemonJson(parseDaemonJson(out, 'daemon.json'), {dockerVersion: '28.0.0'})).toEqual([])
})

test('edits touch only the mirror list', () => {
  const text = fixture('four-spaces-crlf.json')
  const edits = planDaemonJson(parseDaemonJson(text, 'd'), add(['new.example.com']))
  expect(edits).toHaveLength(1)
  const list = text.indexOf('"registry-mirrors"')
  expect(edits[0]!.start).toBeGreaterThan(list)
  expect(edits[0]!.end).toBeLessThan(text.indexOf('"max-concurrent-downloads"'))
})

const set = (mirrors: string[], opts: {insecure?: boolean; location?: string | null} = {}): MirrorChange => ({
  action: 'set',
  source: 'docker.io',
  mirrors: mirrors.map((m) => parseMirrorArgument(m, {insecure: opts.insecure})),
  ...('location' in opts ? {location: opts.location} : {}),
})
const mirrorsIn = (text: string) => readDaemonJson(parseDaemonJson(text, 'daemon.json')).registryMirrors

describe("mirror 'set' on daemon.json", () => {
  test('converged: the same URLs in the same order plan no edit, whatever the trailing slash', () => {
    const text = '{\n  "registry-mirrors": ["https://a.example.com/", "https://b.example.com"]\n}\n'
    expect(planDaemonJson(parseDaemonJson(text, 'daemon.json'), set(['https://a.example.com', 'b.example.com']))).toEqual([])
  })

  test('replaces a stale mirror, keeping every other key and the layout', () => {
    const before = fixture('pretty-log-opts.json')
    const out = apply(before, set(['https://hub-cache.example.com']))
    expect(out).toBe(before.replace('"https://mirror.gcr.io"', '"https://hub-cache.example.com"'))
  })

  test('reorders, keeping the text of the entries already there', () => {
    const text = '{"registry-mirrors":["https://a.example.com/","https://b.example.com"],"debug":false}'
    const out = apply(text, set(['https://b.example.com', 'https://a.example.com']))
    expect(out).toBe('{"registry-mirrors":["https://b.example.com","https://a.example.com/"],"debug":false}')
  })

  test('[] is written as [] (a reload keeps the old mirrors when the key is missing)', () => {
    expect(apply(fixture('compact.json'), set([]))).toBe('{"registry-mirrors":[],"insecure-registries":["10.0.0.5:5000"],"debug":false}\n')
    expect(apply('{\n  "debug": true\n}\n', set([]))).toBe('{\n  "debug": true,\n  "registry-mirrors": []\n}\n')
    expect(apply('', set([]))).toBe('{\n  "registry-mirrors": []\n}\n')
    expect(apply('{"registry-mirrors": null}', set([]))).toBe('{"registry-mirrors": []}')
  })

  test('a new member is appended with the URLs in order; host:port with insecure becomes http://', () => {
    const out = apply('{\n  "debug": true\n}\n', set(['127.0.0.1:5000', 'mirror.example.com:5000'], {insecure: true}))
    expect(mirrorsIn(out)).toEqual(['http://127.0.0.1:5000/', 'http://mirror.example.com:5000/'])
  })

  test('an insecure https mirror also lands in insecure-registries', () => {
    const out = apply('{}', set(['https://self-signed.example.com'], {insecure: true}))
    expect(JSON.parse(out)).toEqual({'registry-mirrors': ['https://self-signed.example.com'], 'insecure-registries': ['self-signed.example.com']})
  })

  test('location null is fine (Docker Hub has no redirect); a location string is refused', () => {
    expect(apply('{}', set(['https://a.example.com'], {location: null}))).toContain('https://a.example.com')
    expect(() => planDaemonJson(parseDaemonJson('{}', 'daemon.json'), set(['https://a.example.com'], {location: 'quay.io/x'}))).toThrow(UserError)
  })
})
