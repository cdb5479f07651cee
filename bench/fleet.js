#!/usr/bin/env node
// Fleet apply benchmark (issue 6; the comparison with ssh loops and Ansible is part 2):
// `mirrorctl apply --spec` to 20 real sshd hosts on loopback (test/harness/sshd-hosts.ts),
// first run (every host changes) and second run (every host unchanged), plus `plan`.
// Needs root and the e2e packages (scripts/install-test-deps.sh). Not a timed test.
//   npm run build && node bench/fleet.js [--hosts N] [--concurrency N] [--json]
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {loadSshHarness, root} from './harness.js'

const bin = path.join(root, 'bin/run.js')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const count = arg('--hosts', 20)
const concurrency = arg('--concurrency', 10)
const json = process.argv.includes('--json')

const work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-bench-fleet-'))
const {startSshHosts} = await loadSshHarness(work)

function run(args) {
  const start = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [bin, ...args], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}, maxBuffer: 1 << 28})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const report = JSON.parse(r.stdout || '{"hosts":[]}')
  return {ms, exit: r.status, statuses: report.hosts.map((h) => h.status), stderr: r.stderr}
}

const hosts = await startSshHosts(count, {namePrefix: 'b'})
try {
  for (const h of hosts.hosts) h.writeFile('/etc/docker/daemon.json', '{\n  "log-driver": "json-file",\n  "registry-mirrors": ["https://old.example.com"]\n}\n')
  const spec = path.join(work, 'spec.toml')
  writeFileSync(spec, '[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:5000"]\ninsecure = true\nengines = ["docker", "podman"]\n')
  const inventory = path.join(work, 'hosts.ini')
  writeFileSync(inventory, `[bench]\n${hosts.hosts.map((h) => h.name).join('\n')}\n\n[bench:vars]\nansible_become=true\n`)
  const common = ['--spec', spec, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--concurrency', String(concurrency), '--json']
  const logins = () => hosts.hosts.reduce((n, h) => n + h.logins(), 0)
  const l0 = logins()
  const plan = run(['plan', ...common])
  const l1 = logins()
  const first = run(['apply', ...common, '--yes'])
  const l2 = logins()
  const second = run(['apply', ...common, '--yes'])
  const rows = [
    ['plan (changes pending)', plan, l1 - l0],
    ['apply, every host changes', first, l2 - l1],
    ['apply again, every host unchanged', second, logins() - l2],
  ]
  const tally = (s) => Object.entries(s.reduce((m, x) => ({...m, [x]: (m[x] ?? 0) + 1}), {})).map(([k, v]) => `${v} ${k}`).join(', ')
  if (json) console.log(JSON.stringify({hosts: count, concurrency, runs: rows.map(([name, r, l]) => ({name, ms: Math.round(r.ms), exit: r.exit, statuses: tally(r.statuses), logins: l}))}, null, 2))
  else {
    console.log(`mirrorctl fleet apply: ${count} sshd hosts on loopback, --concurrency ${concurrency}`)
    for (const [name, r, l] of rows) console.log(`  ${name.padEnd(36)} ${(r.ms / 1000).toFixed(2).padStart(6)} s  exit ${r.exit}  ${tally(r.statuses)}  (${l} ssh logins)`)
  }
  if (first.statuses.some((s) => s !== 'changed') || second.statuses.some((s) => s !== 'unchanged')) {
    console.error(first.stderr, second.stderr)
    process.exitCode = 1
  }
} finally {
  await hosts.stop()
  rmSync(work, {recursive: true, force: true})
}
