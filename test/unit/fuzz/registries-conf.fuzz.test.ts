import {describe, expect, test} from 'vitest'
import {evaluateConfigSet, type ConfigSet, type SourceFile} from '../../../src/formats/registries-conf/config-set.js'
import {planMirrorChange} from '../../../src/formats/registries-conf/plan.js'
import {parseMirrorArgument, type MirrorChange} from '../../../src/policy/mirror-policy.js'
import {errorCounts, fixtureTexts, fuzzInputs, int, rethrowUnlessUserError, rng, type Rng} from './mutate.js'

const MAIN = '/etc/containers/registries.conf'
const DIR = '/etc/containers/registries.conf.d'
const FILES = 10_000

const TOKENS = [
  '[', ']', '{', '}', '[[', ']]', '"', "'", '"""', "'''", '=', ',', '.', '\n', '\r\n', '#', '\\', '\\u', '\ufeff',
  '[[registry]]\n', '[[registry.mirror]]\n', '[registries.search]\n', 'registries = ["a.example"]\n',
  'prefix = "docker.io"\n', 'location = "docker.io"\n', 'location = "mirror.example.com:5000/ns"\n', 'location = ""\n',
  'mirror = [{location = "m.example.com"}]\n', 'insecure = true\n', 'insecure = "yes"\n', 'blocked = false\n',
  'mirror-by-digest-only = true\n', 'pull-from-mirror = "digest-only"\n', 'unqualified-search-registries = ["docker.io", "quay.io"]\n',
  'short-name-mode = "enforcing"\n', '[aliases]\n"nginx" = "docker.io/library/nginx"\n', 'prefix = "*.example.com"\n',
  'location = "https://x.example"\n', 'x = 1979-05-27T07:32:00Z\n', 'x = 0x1F\n', 'x = inf\n', 'x = 1_000\n',
]

/** Seeds beyond the fixtures: huge strings, deep nesting and long lists, valid and not. */
function generatedSeeds(r: Rng): string[] {
  const big = (n: number) => 'x'.repeat(n)
  const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n)
  return [
    `x-long = "${big(40_000 + int(r, 20_000))}"\n[[registry]]\nlocation = "docker.io"\n`,
    `[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "${big(20_000)}.example.com"\n`,
    `x = '''\n${'line\n'.repeat(5_000)}'''\nunqualified-search-registries = ["docker.io"]\n`,
    `x = """\n${'a\\\n  '.repeat(5_000)}"""\n`,
    `unqualified-search-registries = ${deep(300 + int(r, 300), '[', ']')}\n`,
    `x = ${'{a = '.repeat(200 + int(r, 200))}1${' }'.repeat(200 + int(r, 200))}\n`,
    `unqualified-search-registries = [${Array.from({length: 300}, (_, i) => `"r${i}.example.com"`).join(', ')}]\n`,
    Array.from({length: 150}, (_, i) => `[[registry]]\nprefix = "p${i}.example.com"\nlocation = "l${i}.example.com"\n`).join(''),
    `[[registry]]\nlocation = "docker.io"\n${Array.from({length: 200}, (_, i) => `[[registry.mirror]]\nlocation = "m${i}.example.com"\n`).join('')}`,
    `x = ${'9'.repeat(20_000)}\n`,
  ]
}

const addMirror: MirrorChange = {action: 'add', source: 'docker.io', mirrors: [parseMirrorArgument('fuzz-mirror.example.com')], location: null, position: 'first'}

describe('registries.conf fuzz (seeded)', () => {
  test(`${FILES} mutated files: parse, load, lint and plan never throw anything but a UserError; edits re-load cleanly`, () => {
    const r = rng(0x5eed_0011)
    let planned = 0
    let refused = 0
    for (const text of fuzzInputs(r, fixtureTexts('fixtures/registries-conf', '.conf'), generatedSeeds(r), TOKENS, FILES)) {
      const dropIn = int(r, 4) === 0
      const files: SourceFile[] = dropIn
        ? [{path: MAIN, text: 'unqualified-search-registries = ["docker.io"]\n', dropIn: false}, {path: `${DIR}/10-fuzz.conf`, text, dropIn: true}]
        : [{path: MAIN, text, dropIn: false}]
      let set: ConfigSet
      try {
        set = evaluateConfigSet(files)
      } catch (error) {
        rethrowUnlessUserError(error, text)
        continue
      }
      for (const f of set.findings) {
        expect(f.line, f.rule).toBeGreaterThanOrEqual(1)
        expect(f.message).not.toMatch(/Maximum call stack|unexpected error/i)
      }
      let changes
      try {
        changes = planMirrorChange(set, addMirror, {mainPath: MAIN, dropInDir: DIR})
      } catch (error) {
        rethrowUnlessUserError(error, text)
        refused++
        continue
      }
      planned++
      const next = files.map((f) => ({...f, text: changes.find((c) => c.path === f.path)?.after ?? f.text}))
      for (const c of changes) if (!files.some((f) => f.path === c.path)) next.push({path: c.path, text: c.after, dropIn: c.path.startsWith(DIR)})
      const after = evaluateConfigSet(next)
      const before = errorCounts(set.findings)
      for (const [rule, count] of errorCounts(after.findings)) {
        expect(count, `edit added ${rule} to ${JSON.stringify(text.slice(0, 300))}`).toBeLessThanOrEqual(before.get(rule) ?? 0)
      }
    }
    // The corpus exercises both paths.
    expect(planned).toBeGreaterThan(FILES / 10)
    expect(refused).toBeGreaterThan(FILES / 10)
  }, 240_000)
})
