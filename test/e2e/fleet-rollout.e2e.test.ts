// Rollout controls and rollback over real OpenSSH to real sshd hosts (test/harness/sshd-hosts.ts):
// --canary-host and --serial batches observed in order from the hosts' file times, a host
// down with --max-fail 0 stopping the rollout, and rollback giving back the original bytes.
import {mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {requireTools} from '../harness/require-tools.js'
import {startSshHosts, type SshHosts, type TestSshHost, writeBecomeInventory} from '../harness/sshd-hosts.js'
import {cli} from '../helpers/cli.js'

const N = 6
const DOWN = 'h5'
const DAEMON_JSON = '/etc/docker/daemon.json'
const REGISTRIES_CONF = '/etc/containers/registries.conf'
const ORIGINAL_DAEMON = '{\n  "log-level": "warn",\n  "registry-mirrors": ["https://old-cache.example.com"]\n}\n'
const ORIGINAL_REGISTRIES = '# hand-made\nunqualified-search-registries = ["docker.io"]\n\n[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n'

let hosts: SshHosts
let work: string
let specFile: string
let inventory: string

type HostJson = {host: string; status: string; reason: string | null; files: {path: string}[]}

async function run(args: string[]) {
  const r = await cli([...args, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--json'])
  let json: {hosts: HostJson[]; summary: Record<string, number>} | null = null
  try {
    json = JSON.parse(r.stdout)
  } catch {
    json = null
  }
  return {...r, json}
}

const statusOf = (json: {hosts: HostJson[]} | null) => Object.fromEntries((json?.hosts ?? []).map((h) => [h.host, h.status]))
const files = (h: TestSshHost) => ({daemon: h.readFile(DAEMON_JSON), registries: h.readFile(REGISTRIES_CONF)})

function seed(h: TestSshHost): void {
  h.writeFile(DAEMON_JSON, ORIGINAL_DAEMON)
  h.writeFile(REGISTRIES_CONF, ORIGINAL_REGISTRIES)
}

describe('rollout and rollback over SSH', {timeout: 240_000}, () => {
  beforeAll(async () => {
    requireTools(['sshd', 'ssh', 'unshare', 'setpriv', 'mount', 'sudo'])
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-rollout-'))
    hosts = await startSshHosts(N, {hosts: (i) => (`h${i + 1}` === DOWN ? {down: true} : {})})
    for (const h of hosts.hosts) seed(h)
    specFile = path.join(work, 'spec.toml')
    writeFileSync(specFile, '[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:5999"]\ninsecure = true\nengines = ["docker", "podman"]\n')
    inventory = path.join(work, 'hosts.ini')
    writeBecomeInventory(inventory, 'fleet', hosts.hosts.map((h) => h.name))
  }, 180_000)

  afterAll(async () => {
    await hosts?.stop()
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('--canary-host --serial 2 --max-fail 0: batches in order; the down host stops the rollout and the rest are skipped', async () => {
    const r = await run(['apply', '--spec', specFile, '--yes', '--canary-host', '--serial', '2', '--max-fail', '0'])
    expect(r.exitCode, r.stderr).toBe(1)
    // Batches [h1] [h2 h3] [h4 h5] [h6]: h5 is down, h4 ran beside it, h6 never started.
    expect(statusOf(r.json)).toEqual({h1: 'changed', h2: 'changed', h3: 'changed', h4: 'changed', h5: 'failed', h6: 'skipped'})
    expect(r.json!.summary).toEqual({changed: 4, unchanged: 0, failed: 1, 'rolled-back': 0, skipped: 1})
    expect(r.json!.hosts.find((h) => h.host === 'h6')!.reason).toMatch(/not attempted: the rollout stopped after 1 failed host \(--max-fail 0\)/)
    expect(files(hosts.host('h6'))).toEqual({daemon: ORIGINAL_DAEMON, registries: ORIGINAL_REGISTRIES})
    // Each batch wrote after the previous batch had written.
    const written = (name: string) => statSync(hosts.host(name).path(DAEMON_JSON)).mtimeMs
    expect(written('h1')).toBeLessThan(Math.min(written('h2'), written('h3')))
    expect(Math.max(written('h2'), written('h3'))).toBeLessThan(written('h4'))
  })

  test('rollback after that apply: --dry-run shows the diffs; then every file is byte-identical to the original; again: unchanged', async () => {
    const reached = ['h1', 'h2', 'h3', 'h4', 'h6']
    const converged = Object.fromEntries(reached.map((n) => [n, files(hosts.host(n))]))
    expect(converged.h1!.daemon).not.toBe(ORIGINAL_DAEMON)

    const dry = await run(['rollback', '--limit', reached.join(','), '--dry-run'])
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(statusOf(dry.json)).toEqual({h1: 'changed', h2: 'changed', h3: 'changed', h4: 'changed', h6: 'unchanged'})
    expect(dry.json!.hosts[0]!.files.map((f) => f.path).sort()).toEqual([REGISTRIES_CONF, DAEMON_JSON].sort())
    for (const n of reached) expect(files(hosts.host(n)), n).toEqual(converged[n])

    const r = await run(['rollback', '--limit', reached.join(',')])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(statusOf(r.json)).toEqual({h1: 'changed', h2: 'changed', h3: 'changed', h4: 'changed', h6: 'unchanged'})
    for (const n of reached) {
      expect(files(hosts.host(n)), n).toEqual({daemon: ORIGINAL_DAEMON, registries: ORIGINAL_REGISTRIES})
      expect(readdirSync(hosts.host(n).path('/etc/containers')).filter((e) => e !== 'policy.json'), n).toEqual(['registries.conf'])
      expect(readdirSync(hosts.host(n).path('/etc/docker')), n).toEqual(['daemon.json'])
    }

    const again = await run(['rollback', '--limit', reached.join(',')])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(Object.values(statusOf(again.json))).toEqual(Array(reached.length).fill('unchanged'))
  })

  test('rollback removes a file the apply created (its backup slot holds an ".absent" marker)', async () => {
    const h6 = hosts.host('h6')
    rmSync(h6.path(DAEMON_JSON))
    const applied = await run(['apply', '--spec', specFile, '--yes', '--limit', 'h6'])
    expect(applied.exitCode, applied.stderr).toBe(0)
    expect(h6.readFile(DAEMON_JSON)).toContain('127.0.0.1:5999')
    const r = await run(['rollback', '--limit', 'h6'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.json!.hosts[0]!.files.find((f) => f.path === DAEMON_JSON)).toBeDefined()
    expect(h6.readFile(DAEMON_JSON)).toBeNull()
    expect(h6.readFile(REGISTRIES_CONF)).toBe(ORIGINAL_REGISTRIES)
  })
})
