#!/usr/bin/env node
// Benchmarks for mirrorctl's speed targets (not timed tests). Run: npm run build && npm run bench
//   1. start-up: `mirrorctl lint FILE` against `node -e 0` on the same machine; target <= 3x.
//   2. `mirrorctl resolve` with 1,000 images against a 500-entry registries.conf (process time),
//      and the resolve core in-process for 1,000..8,000 images; target: no worse than linear.
// Prints a table, and with --json the raw numbers. Exit 1 only with --strict when a target is missed.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const bin = path.join(root, 'bin/run.js')
const runs = Number(process.env.BENCH_RUNS ?? 15)
const strict = process.argv.includes('--strict')

function time(args, env = {}) {
  const start = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, {env: {...process.env, ...env}, encoding: 'utf8', maxBuffer: 1 << 28})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

function median(args, env) {
  time(args, env) // warm the file cache
  const xs = Array.from({length: runs}, () => time(args, env)).sort((a, b) => a - b)
  return xs[Math.floor(xs.length / 2)]
}

const dir = mkdtempSync(path.join(tmpdir(), 'mirrorctl-bench-'))
try {
  const confDir = path.join(dir, 'registries.conf.d')
  mkdirSync(confDir)
  const lintFile = path.join(root, 'fixtures/registries-conf/fedora-default.conf')
  const nodeMs = median(['-e', '0'])
  const lintMs = median([bin, 'lint', lintFile])

  // 500 [[registry]] entries, each with two mirrors.
  let conf = 'unqualified-search-registries = ["docker.io"]\n'
  for (let i = 0; i < 500; i++) {
    conf += `\n[[registry]]\nprefix = "registry${i}.example.com/team"\nlocation = "registry${i}.example.com/team"\n`
    conf += `[[registry.mirror]]\nlocation = "mirror-a.example.com/r${i}"\n[[registry.mirror]]\nlocation = "mirror-b.example.com/r${i}"\ninsecure = true\n`
  }
  const confFile = path.join(dir, 'registries.conf')
  writeFileSync(confFile, conf)
  const images = (n) => Array.from({length: n}, (_, i) => (i % 3 === 0 ? `img${i}` : `registry${i % 500}.example.com/team/app${i}:v${i}`))
  const resolveMs = median([bin, 'resolve', '--json', '--registries-conf', confFile, '--registries-conf-dir', confDir, ...images(1000)])

  // Scaling, measured in-process on the pure core so start-up noise does not hide the trend.
  const {evaluateConfigSet} = await import(path.join(root, 'dist/formats/registries-conf/config-set.js'))
  const {resolveImage} = await import(path.join(root, 'dist/formats/registries-conf/resolve.js'))
  const merged = evaluateConfigSet([{path: confFile, text: conf, dropIn: false}]).merged
  const sizes = [1000, 2000, 4000, 8000]
  const coreMs = sizes.map((n) => {
    const list = images(n)
    const xs = []
    for (let r = 0; r < runs; r++) {
      const start = process.hrtime.bigint()
      for (const image of list) resolveImage(merged, image)
      xs.push(Number(process.hrtime.bigint() - start) / 1e6)
    }
    return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  })
  const growth = coreMs[3] / coreMs[0] // linear: 8

  const lintRatio = lintMs / nodeMs
  const linear = growth <= 8 * 1.5
  const rows = [
    ['node -e 0', `${nodeMs.toFixed(1)} ms`, ''],
    ['mirrorctl lint (1 file)', `${lintMs.toFixed(1)} ms`, `${lintRatio.toFixed(2)}x node (target <= 3x) ${lintRatio <= 3 ? 'PASS' : 'MISS'}`],
    ['mirrorctl resolve 1000 images / 500 entries', `${resolveMs.toFixed(1)} ms`, 'process time, start-up included'],
    ...sizes.map((n, i) => [`resolve core, ${n} images / 500 entries`, `${coreMs[i].toFixed(1)} ms`, `${((coreMs[i] / n) * 1000).toFixed(1)} µs per image`]),
    ['core growth 1000→8000 images', `${growth.toFixed(2)}x`, `linear = 8x (target <= 12x) ${linear ? 'PASS' : 'MISS'}`],
  ]
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({runs, nodeMs, lintMs, lintRatio, resolveMs, sizes, coreMs, growth}, null, 2))
  } else {
    for (const [a, b, c] of rows) console.log(`${a.padEnd(44)} ${b.padStart(12)}  ${c}`)
    console.log(`(median of ${runs} runs each; BENCH_RUNS=N to change)`)
  }
  if (strict && !(lintRatio <= 3 && linear)) process.exitCode = 1
} finally {
  rmSync(dir, {recursive: true, force: true})
}
