#!/usr/bin/env node
// Benchmarks for mirrorctl's speed targets (not timed tests). Run: npm run build && npm run bench
//   1. start-up, as ratios to `node -e 0` on the same machine, taken pair by pair (node, mirrorctl,
//      node, mirrorctl, ...) so a machine that slows down between runs does not move them:
//      `mirrorctl lint FILE` (target <= 2.2x) and `mirrorctl --version` (target <= 1.8x).
//   2. `mirrorctl resolve` with 1,000 images against a 500-entry registries.conf (process time),
//      and the resolve core in-process for 1,000..8,000 images; target: no worse than linear.
//   3. inputs that were quadratic: lint of N [[registry]] tables with one prefix (2k, 10k) and of
//      a daemon.json whose registry-mirrors has N entries (1k, 8k, 43k). Time per entry is the
//      run's time less a one-entry run's (start-up); target: it does not grow with N (linear work):
//      from the second largest size to the largest, at most 2.5x.
//      Each run is bounded (BENCH_CASE_TIMEOUT seconds, default 60): a run past it is killed and
//      reported, and the larger sizes of that case are not tried.
//   4. the fleet: `mirrorctl apply --spec` to 20 sshd test hosts (bench/fleet.js; as root; --no-fleet skips it).
//      The comparison with ssh loops and Ansible on 50 hosts takes minutes and runs on its own:
//      npm run bench:fleet-compare (bench/fleet-compare.js).
// Prints a table, and with --json the raw numbers. Exit 1 only with --strict when a target is missed.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const bin = path.join(root, 'bin/run.js')
const runs = Number(process.env.BENCH_RUNS ?? 15)
const scaleRuns = Number(process.env.BENCH_SCALE_RUNS ?? 3)
const caseTimeoutMs = Number(process.env.BENCH_CASE_TIMEOUT ?? 60) * 1000
const strict = process.argv.includes('--strict')

const TARGET = {lint: 2.2, version: 1.8, resolveGrowth: 8 * 1.5, perEntryGrowth: 2.5}

/** Milliseconds for one run of node with args; null when it ran past timeoutMs (it is killed). */
function time(args, {timeoutMs = caseTimeoutMs} = {}) {
  const start = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, {encoding: 'utf8', maxBuffer: 1 << 28, timeout: timeoutMs, killSignal: 'SIGKILL'})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.error?.code === 'ETIMEDOUT' || (r.signal && ms >= timeoutMs)) return null
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`)
  return ms
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Median of the per-pair ratios command / `node -e 0`, and each side's median time. */
function pairedRatio(args) {
  time(['-e', '0'])
  time(args) // warm the file cache
  const pairs = Array.from({length: runs}, () => {
    const node = time(['-e', '0'])
    const cmd = time(args)
    return {node, cmd, ratio: cmd / node}
  })
  return {ratio: median(pairs.map((p) => p.ratio)), nodeMs: median(pairs.map((p) => p.node)), ms: median(pairs.map((p) => p.cmd))}
}

/**
 * Lints files of growing size n (made by write(n)); per-entry time is the median run time less
 * the one-entry run's, divided by n. Stops at the first size that runs past the timeout.
 */
function scaling(dir, name, sizes, write) {
  const file = (n) => {
    const f = path.join(dir, `${name}-${n}${write.ext}`)
    writeFileSync(f, write(n))
    return f
  }
  const baseFile = file(1)
  const baseMs = median(Array.from({length: scaleRuns}, () => time([bin, 'lint', '--json', baseFile])))
  const rows = []
  for (const n of sizes) {
    const f = file(n)
    const xs = []
    for (let r = 0; r < scaleRuns; r++) {
      const ms = time([bin, 'lint', '--json', f])
      if (ms === null) break
      xs.push(ms)
    }
    if (xs.length < scaleRuns) {
      rows.push({n, ms: null, perEntryUs: null})
      break
    }
    const ms = median(xs)
    rows.push({n, ms, perEntryUs: (Math.max(ms - baseMs, 0) / n) * 1000})
  }
  const done = rows.filter((r) => r.ms !== null)
  const timedOut = rows.length > done.length || done.length < sizes.length
  // Per-entry time of the two largest sizes (where the work outweighs start-up noise): linear work
  // keeps it near 1, quadratic work multiplies it by the size ratio (5x and more here).
  const growth = done.length >= 2 ? done.at(-1).perEntryUs / Math.max(done.at(-2).perEntryUs, 1e-3) : null
  const ok = !timedOut && growth !== null && growth <= TARGET.perEntryGrowth
  return {name, baseMs, rows, growth, timedOut, ok}
}

/** The same [[registry]] table n times (prefix and location docker.io): the layout that was quadratic. */
function registryTables(n) {
  let s = 'unqualified-search-registries = ["docker.io"]\n'
  for (let i = 0; i < n; i++) s += `\n[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n`
  return s
}
registryTables.ext = '.conf'

/** On one line, as JSON.stringify writes it (the layout that was quadratic). */
function daemonMirrors(n) {
  return JSON.stringify({'registry-mirrors': Array.from({length: n}, (_, i) => `https://mirror${i}.example.com`)}) + '\n'
}
daemonMirrors.ext = '.json'

const dir = mkdtempSync(path.join(tmpdir(), 'mirrorctl-bench-'))
try {
  const confDir = path.join(dir, 'registries.conf.d')
  mkdirSync(confDir)
  const lintFile = path.join(root, 'fixtures/registries-conf/fedora-default.conf')
  const lint = pairedRatio([bin, 'lint', lintFile])
  const version = pairedRatio([bin, '--version'])

  // 500 [[registry]] entries, each with two mirrors.
  let conf = 'unqualified-search-registries = ["docker.io"]\n'
  for (let i = 0; i < 500; i++) {
    conf += `\n[[registry]]\nprefix = "registry${i}.example.com/team"\nlocation = "registry${i}.example.com/team"\n`
    conf += `[[registry.mirror]]\nlocation = "mirror-a.example.com/r${i}"\n[[registry.mirror]]\nlocation = "mirror-b.example.com/r${i}"\ninsecure = true\n`
  }
  const confFile = path.join(dir, 'registries.conf')
  writeFileSync(confFile, conf)
  const images = (n) => Array.from({length: n}, (_, i) => (i % 3 === 0 ? `img${i}` : `registry${i % 500}.example.com/team/app${i}:v${i}`))
  time([bin, 'resolve', '--json', '--registries-conf', confFile, '--registries-conf-dir', confDir, ...images(1000)])
  const resolveMs = median(
    Array.from({length: runs}, () => time([bin, 'resolve', '--json', '--registries-conf', confFile, '--registries-conf-dir', confDir, ...images(1000)])),
  )

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
    return median(xs)
  })
  const growth = coreMs[3] / coreMs[0] // linear: 8
  const linear = growth <= TARGET.resolveGrowth

  const scales = [
    scaling(dir, 'registry-tables-one-prefix', [2000, 10000], registryTables),
    scaling(dir, 'daemon-json-registry-mirrors', [1000, 8000, 43000], daemonMirrors),
  ]

  const verdict = (ok) => (ok ? 'PASS' : 'MISS')
  const lintOk = lint.ratio <= TARGET.lint
  const versionOk = version.ratio <= TARGET.version
  const rows = [
    ['node -e 0', `${lint.nodeMs.toFixed(1)} ms`, ''],
    ['mirrorctl lint (1 file)', `${lint.ms.toFixed(1)} ms`, `${lint.ratio.toFixed(2)}x node (target <= ${TARGET.lint}x) ${verdict(lintOk)}`],
    ['mirrorctl --version', `${version.ms.toFixed(1)} ms`, `${version.ratio.toFixed(2)}x node (target <= ${TARGET.version}x) ${verdict(versionOk)}`],
    ['mirrorctl resolve 1000 images / 500 entries', `${resolveMs.toFixed(1)} ms`, 'process time, start-up included'],
    ...sizes.map((n, i) => [`resolve core, ${n} images / 500 entries`, `${coreMs[i].toFixed(1)} ms`, `${((coreMs[i] / n) * 1000).toFixed(1)} µs per image`]),
    ['core growth 1000→8000 images', `${growth.toFixed(2)}x`, `linear = 8x (target <= ${TARGET.resolveGrowth}x) ${verdict(linear)}`],
  ]
  for (const s of scales) {
    rows.push([`lint ${s.name}, 1 entry`, `${s.baseMs.toFixed(1)} ms`, 'start-up, taken off the rows below'])
    for (const r of s.rows) {
      rows.push(
        r.ms === null
          ? [`lint ${s.name}, ${r.n}`, `> ${caseTimeoutMs / 1000} s`, 'killed at the time-out; larger sizes not tried']
          : [`lint ${s.name}, ${r.n}`, `${r.ms.toFixed(1)} ms`, `${r.perEntryUs.toFixed(1)} µs per entry`],
      )
    }
    const g = s.growth === null ? 'n/a' : `${s.growth.toFixed(2)}x`
    rows.push([`${s.name}: per-entry growth`, g, `linear = 1x (target <= ${TARGET.perEntryGrowth}x${s.timedOut ? ', a size timed out' : ''}) ${verdict(s.ok)}`])
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({runs, scaleRuns, caseTimeoutMs, targets: TARGET, lint, version, resolveMs, sizes, coreMs, growth, scales}, null, 2))
  } else {
    for (const [a, b, c] of rows) console.log(`${a.padEnd(52)} ${b.padStart(12)}  ${c}`)
    console.log(`(start-up: median of ${runs} paired runs; sizes: median of ${scaleRuns} runs; BENCH_RUNS, BENCH_SCALE_RUNS, BENCH_CASE_TIMEOUT to change)`)
  }
  if (strict && !(lintOk && versionOk && linear && scales.every((s) => s.ok))) process.exitCode = 1
} finally {
  rmSync(dir, {recursive: true, force: true})
}

// 4. The fleet: apply to 20 sshd test hosts (bench/fleet.js). It starts real sshd hosts in mount
//    namespaces, so it needs root; --no-fleet skips it.
if (!process.argv.includes('--no-fleet')) {
  if (process.getuid?.() !== 0) console.log('\nfleet apply to 20 sshd hosts: skipped (needs root; run as root, or node bench/fleet.js)')
  else {
    console.log('')
    const r = spawnSync(process.execPath, [path.join(root, 'bench/fleet.js'), '--hosts', '20', ...(process.argv.includes('--json') ? ['--json'] : [])], {stdio: 'inherit'})
    if (r.status !== 0 && strict) process.exitCode = 1
  }
}
console.log('\nfleet vs ssh loops and Ansible (50 hosts, minutes; not run here): npm run bench:fleet-compare')
