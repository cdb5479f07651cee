/**
 * A CLI-level fuzz sample: mutated registries.conf and daemon.json files (seeded, the same
 * mutations as the unit fuzz tests) through the built CLI. Every run must end with exit code
 * 0, 1 or 2, print no stack trace and never call its own failure unexpected.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {execa} from 'execa'
import {REPO, tempDir} from '../helpers/cli.js'
import {fixtureTexts, int, mutate, pick, rng} from '../unit/fuzz/mutate.js'

const SAMPLES = 200
const BIN = path.join(REPO, 'bin/run.js')
const CONCURRENCY = 2

const TOML_TOKENS = ['[', ']', '{', '}', '"', "'", '"""', '=', ',', '\n', '#', '\\', '\ufeff', '[[registry]]\n', '[[registry.mirror]]\n', 'location = "docker.io"\n', 'prefix = "docker.io"\n', 'mirror = [{location = "m.example.com"}]\n', 'insecure = "yes"\n', 'unqualified-search-registries = ["docker.io"]\n']
const JSON_TOKENS = ['{', '}', '[', ']', '"', ':', ',', '//', '\ufeff', 'null', '"registry-mirrors": ["https://m.example.com"],', '"registry-mirrors": "x",', '"debug": true,', '"Debug": 1,']

const tomlMonsters = [
  `x = "${'x'.repeat(1_000_000)}"\n[[registry]]\nlocation = "docker.io"\n`,
  `unqualified-search-registries = ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`,
  `x = ${'{a = '.repeat(5_000)}1${' }'.repeat(5_000)}\n`,
  '\ufeff[[registry]]\nlocation = "docker.io"\n',
]
const jsonMonsters = [`{"registry-mirrors": ${'['.repeat(5_000)}${']'.repeat(5_000)}}`, `{"x": "${'y'.repeat(1_000_000)}"}`, `${'['.repeat(10_001)}${']'.repeat(10_001)}`]

/** One CLI run: `lint` takes a batch of files, `resolve` and `mirror add` one --root each. */
interface Run {
  args: string[]
  /** The inputs, for the failure message. */
  texts: string[]
}

const {dir, cleanup} = tempDir('fuzz-cli')
afterAll(() => cleanup())

let roots = 0
function rootWith(kind: 'toml' | 'json', text: string): {root: string; file: string} {
  const root = path.join(dir, String(roots++))
  const file = kind === 'toml' ? path.join(root, 'etc/containers/registries.conf') : path.join(root, 'etc/docker/daemon.json')
  mkdirSync(path.dirname(file), {recursive: true})
  writeFileSync(file, text)
  return {root, file}
}

const addArgs = (root: string, kind: 'toml' | 'json') => ['mirror', 'add', 'docker.io', 'fuzz-mirror.example.com', '--root', root, '--engine', kind === 'toml' ? 'podman' : 'docker', '--docker-version', '27.3.1', '--no-backup', '--json']
const resolveArgs = (root: string) => ['resolve', 'nginx', 'quay.io/org/app:1', '--root', root, '--json']

function runs(): Run[] {
  const r = rng(0x5eed_c11)
  const toml = fixtureTexts('fixtures/registries-conf', '.conf')
  const json = fixtureTexts('fixtures/daemon-json', '.json')
  const samples: {kind: 'toml' | 'json'; text: string}[] = []
  for (let k = 0; k < SAMPLES; k++) {
    const kind = k % 2 === 0 ? 'toml' : 'json'
    const seeds = kind === 'toml' ? (int(r, 20) === 0 ? tomlMonsters : toml) : int(r, 20) === 0 ? jsonMonsters : json
    samples.push({kind, text: mutate(r, pick(r, seeds), kind === 'toml' ? TOML_TOKENS : JSON_TOKENS, kind === 'toml' ? 4 : 2)})
  }
  const out: Run[] = []
  // Every sample is linted, 50 files per run.
  for (let k = 0; k < samples.length; k += 50) {
    const batch = samples.slice(k, k + 50)
    out.push({args: ['lint', ...batch.map((s) => rootWith(s.kind, s.text).file), '--json', '--docker-version', '27.3.1'], texts: batch.map((s) => s.text)})
  }
  // One in ten is also edited, one in twenty resolved: a process each, so the sample stays near a minute.
  samples.forEach((s, k) => {
    if (k % 10 === 0 || k % 10 === 1) out.push({args: addArgs(rootWith(s.kind, s.text).root, s.kind), texts: [s.text]})
    if (k % 20 === 0) out.push({args: resolveArgs(rootWith('toml', s.text).root), texts: [s.text]})
  })
  // The monsters themselves, unmutated, through every command.
  const monsters = [...tomlMonsters.map((text) => ({kind: 'toml' as const, text})), ...jsonMonsters.map((text) => ({kind: 'json' as const, text}))]
  out.push({args: ['lint', ...monsters.map((m) => rootWith(m.kind, m.text).file), '--json', '--docker-version', '27.3.1'], texts: monsters.map((m) => m.text)})
  for (const m of monsters) {
    if (m.kind === 'toml') out.push({args: resolveArgs(rootWith('toml', m.text).root), texts: [m.text]})
    out.push({args: addArgs(rootWith(m.kind, m.text).root, m.kind), texts: [m.text]})
  }
  return out
}

async function cli(args: string[]) {
  // Not the shared helper: a run that does not finish within a minute is a hang, reported as one.
  const r = await execa(process.execPath, [BIN, ...args], {reject: false, input: '', timeout: 60_000, env: {NO_COLOR: '1', HOME: '/nonexistent-home'}, extendEnv: true})
  return {exitCode: r.timedOut ? 'hang' : (r.exitCode ?? -1), stdout: String(r.stdout), stderr: String(r.stderr)}
}

describe('CLI fuzz sample (seeded)', () => {
  test(`${SAMPLES} mutated files through lint, some through mirror add and resolve, and the monsters through all: exit 0/1/2, no crash`, async () => {
    const all = runs()
    const failures: string[] = []
    let next = 0
    const worker = async () => {
      for (let i = next++; i < all.length; i = next++) {
        const run = all[i]!
        const r = await cli(run.args)
        const what = `${run.args.slice(0, 2).join(' ')} on ${run.texts.map((t) => JSON.stringify(t.slice(0, 100))).join(', ')}`
        if (typeof r.exitCode !== 'number' || ![0, 1, 2].includes(r.exitCode)) failures.push(`exit ${r.exitCode}: ${what}\n${r.stderr.slice(0, 500)}`)
        else if (/unexpected error|Maximum call stack|mirrorctl bug|\n\s+at .+:\d+:\d+/i.test(r.stderr)) failures.push(`crash: ${what}\n${r.stderr.slice(0, 500)}`)
        else if (r.stdout.trim()) {
          try {
            JSON.parse(r.stdout)
          } catch {
            failures.push(`--json printed no JSON: ${what}\n${r.stdout.slice(0, 300)}`)
          }
        }
      }
    }
    await Promise.all(Array.from({length: CONCURRENCY}, worker))
    expect(failures).toEqual([])
  }, 600_000)
})
