import {describe, expect, test} from 'vitest'
import {applyEdits} from '../../../src/edit/text-edit.js'
import {lintDaemonJson} from '../../../src/formats/daemon-json/lint.js'
import {parseDaemonJson} from '../../../src/formats/daemon-json/parse.js'
import {planDaemonJson} from '../../../src/formats/daemon-json/plan.js'
import {readDaemonJson} from '../../../src/formats/daemon-json/read.js'
import type {Finding} from '../../../src/lint/finding.js'
import {parseMirrorArgument, type MirrorChange} from '../../../src/policy/mirror-policy.js'
import {errorCounts, fixtureTexts, fuzzInputs, int, pick, rethrowUnlessUserError, rng, type Rng} from './mutate.js'

const FILE = '/etc/docker/daemon.json'
const FILES = 10_000

const TOKENS = [
  '{', '}', '[', ']', '"', "'", ':', ',', ' ', '\n', '\r\n', '//', '/*', '*/', '\\', '\\u00', '\ufeff', 'null', 'true', 'tru', 'NaN', '-0', '1e999', '0x1F', '+1',
  '"registry-mirrors": ["https://m.example.com"],', '"registry-mirrors": "https://m.example.com",', '"registry-mirrors": [],',
  '"insecure-registries": ["10.0.0.0/8", "r.example:5000"],', '"debug": true,', '"Debug": 1,', '"log-opts": {"max-size": "10m"},',
  '"proxies": {"http-proxy": "http://p:3128"},', '"features": {"buildkit": true},', '"registry-mirrors": [{"url": 1}],',
  '"max-concurrent-downloads": -1,', '"dns": ["8.8.8.8", "x"],', '"labels": ["a=b", "a=c"],', '"data-root": "/d", "graph": "/g",',
]

function generatedSeeds(r: Rng): string[] {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n)
  return [
    `{"registry-mirrors": ${deep(3000 + int(r, 3000))}}`,
    `{"x-deep": ${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
    `{"registry-mirrors": ["https://${'m'.repeat(50_000)}.example.com"]}`,
    `{"labels": ["${'x'.repeat(200_000)}=1"]}`,
    `{"registry-mirrors": [${Array.from({length: 300}, (_, i) => `"https://m${i}.example.com"`).join(',')}]}`,
    `{"insecure-registries": [${Array.from({length: 300}, (_, i) => `"r${i}.example.com:5000"`).join(',')}]}`,
    `${'['.repeat(10_001)}${']'.repeat(10_001)}`,
    `{"a": "${'\\u0041'.repeat(20_000)}"}`,
  ]
}

const addMirror: MirrorChange = {action: 'add', source: 'docker.io', mirrors: [parseMirrorArgument('fuzz-mirror.example.com')], location: null, position: 'last'}

describe('daemon.json fuzz (seeded)', () => {
  test(`${FILES} mutated files: parse, lint, read and plan never throw anything but a UserError; edits re-parse cleanly`, () => {
    const r = rng(0x5eed_da10)
    let planned = 0
    let refused = 0
    for (const text of fuzzInputs(r, fixtureTexts('fixtures/daemon-json', '.json'), generatedSeeds(r), TOKENS, FILES, 2)) {
      const version = pick(r, [undefined, '20.10.24', '24.0.7', '27.3.1'])
      const doc = parseDaemonJson(text, FILE)
      let findings: Finding[]
      try {
        findings = lintDaemonJson(doc, {dockerVersion: version})
        readDaemonJson(doc)
      } catch (error) {
        rethrowUnlessUserError(error, text)
        continue
      }
      for (const f of findings) {
        expect(f.line, f.rule).toBeGreaterThanOrEqual(1)
        expect(f.message).not.toMatch(/Maximum call stack|unexpected error/i)
      }
      let out: string
      try {
        out = applyEdits(text, planDaemonJson(doc, addMirror))
      } catch (error) {
        rethrowUnlessUserError(error, text)
        refused++
        continue
      }
      planned++
      const again = parseDaemonJson(out, FILE)
      expect(again.syntaxFindings.filter((f) => f.severity === 'error'), JSON.stringify(text.slice(0, 300))).toEqual([])
      const before = errorCounts(findings)
      for (const [rule, count] of errorCounts(lintDaemonJson(again, {dockerVersion: version}))) {
        expect(count, `edit added ${rule} to ${JSON.stringify(text.slice(0, 300))}`).toBeLessThanOrEqual(before.get(rule) ?? 0)
      }
    }
    expect(planned).toBeGreaterThan(FILES / 20)
    expect(refused).toBeGreaterThan(FILES / 10)
  }, 240_000)
})
