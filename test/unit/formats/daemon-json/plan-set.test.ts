import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'
import {UserError} from '../../../../src/core/errors.js'
import {applyEdits} from '../../../../src/edit/text-edit.js'
import {parseDaemonJson} from '../../../../src/formats/daemon-json/parse.js'
import {readDaemonJson} from '../../../../src/formats/daemon-json/read.js'
import {planDaemonJson} from '../../../../src/formats/daemon-json/plan.js'
import {parseMirrorArgument, type MirrorChange} from '../../../../src/policy/mirror-policy.js'

const fixture = (name: string) => readFileSync(new URL(`../../../../fixtures/daemon-json/${name}`, import.meta.url), 'utf8')

const set = (mirrors: string[], opts: {insecure?: boolean; location?: string | null} = {}): MirrorChange => ({
  action: 'set',
  source: 'docker.io',
  mirrors: mirrors.map((m) => parseMirrorArgument(m, {insecure: opts.insecure})),
  ...('location' in opts ? {location: opts.location} : {}),
})

/** Plans, applies, and checks the result parses and that a second run plans no edit. */
function converge(text: string, change: MirrorChange): string {
  const out = applyEdits(text, planDaemonJson(parseDaemonJson(text, 'daemon.json'), change))
  const again = parseDaemonJson(out, 'daemon.json')
  expect(again.syntaxFindings).toEqual([])
  expect(planDaemonJson(again, change)).toEqual([])
  return out
}
const mirrorsIn = (text: string) => readDaemonJson(parseDaemonJson(text, 'daemon.json')).registryMirrors

describe("mirror 'set' on daemon.json", () => {
  test('converged: the same URLs in the same order plan no edit, whatever the trailing slash', () => {
    const text = '{\n  "registry-mirrors": ["https://a.example.com/", "https://b.example.com"]\n}\n'
    expect(planDaemonJson(parseDaemonJson(text, 'daemon.json'), set(['https://a.example.com', 'b.example.com']))).toEqual([])
  })

  test('replaces a stale mirror, keeping every other key and the layout', () => {
    const before = fixture('pretty-log-opts.json')
    const out = converge(before, set(['https://hub-cache.example.com']))
    expect(out).toBe(before.replace('"https://mirror.gcr.io"', '"https://hub-cache.example.com"'))
  })

  test('reorders, keeping the text of the entries already there', () => {
    const text = '{"registry-mirrors":["https://a.example.com/","https://b.example.com"],"debug":false}'
    const out = converge(text, set(['https://b.example.com', 'https://a.example.com']))
    expect(out).toBe('{"registry-mirrors":["https://b.example.com","https://a.example.com/"],"debug":false}')
  })

  test('[] is written as [] (a reload keeps the old mirrors when the key is missing)', () => {
    expect(converge(fixture('compact.json'), set([]))).toBe('{"registry-mirrors":[],"insecure-registries":["10.0.0.5:5000"],"debug":false}\n')
    expect(converge('{\n  "debug": true\n}\n', set([]))).toBe('{\n  "debug": true,\n  "registry-mirrors": []\n}\n')
    expect(converge('', set([]))).toBe('{\n  "registry-mirrors": []\n}\n')
    expect(converge('{"registry-mirrors": null}', set([]))).toBe('{"registry-mirrors": []}')
  })

  test('a new member is appended with the URLs in order; host:port with insecure becomes http://', () => {
    const out = converge('{\n  "debug": true\n}\n', set(['127.0.0.1:5000', 'mirror.example.com:5000'], {insecure: true}))
    expect(mirrorsIn(out)).toEqual(['http://127.0.0.1:5000/', 'http://mirror.example.com:5000/'])
  })

  test('an insecure https mirror also lands in insecure-registries', () => {
    const out = converge('{}', set(['https://self-signed.example.com'], {insecure: true}))
    expect(JSON.parse(out)).toEqual({'registry-mirrors': ['https://self-signed.example.com'], 'insecure-registries': ['self-signed.example.com']})
  })

  test('location null is fine (Docker Hub has no redirect); a location string is refused', () => {
    expect(converge('{}', set(['https://a.example.com'], {location: null}))).toContain('https://a.example.com')
    expect(() => planDaemonJson(parseDaemonJson('{}', 'daemon.json'), set(['https://a.example.com'], {location: 'quay.io/x'}))).toThrow(UserError)
  })
})
