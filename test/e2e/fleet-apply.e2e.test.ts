// `mirrorctl apply --spec` over real OpenSSH to real sshd hosts (each a mount namespace with
// its own /etc/containers, /etc/docker, /run/lock ...), checked with mirrorctl's resolver and
// by skopeo pulling through a real Distribution pull-through cache. One set of hosts is
// shared by every test (reset to its starting files where a test needs it) to keep the
// suite's time modest.
import {existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {runIsolated} from '../harness/isolated.js'
import {seedTinyImage} from '../harness/oci-image.js'
import {accessLog, startRegistry, type Registry} from '../harness/registry.js'
import {requireTools} from '../harness/require-tools.js'
import {startSshHosts, type SshHosts, type TestSshHost, writeBecomeInventory} from '../harness/sshd-hosts.js'
import {cli, REPO} from '../helpers/cli.js'
import {copyStart, effectiveMirrors, snapshotTree, START_NAMES, STARTS, treeHost} from '../unit/fleet/check-tree.js'

const GOOD = 10
// Hosts 11-14 fail on purpose: down, read-only /etc/docker, full /etc/docker, no sudo.
const FAILING = {down: 'h11', readOnly: 'h12', fullDisk: 'h13', noSudo: 'h14'} as const
const kindOf = (i: number) => START_NAMES[i % START_NAMES.length]!
const CONFIG_DIRS = ['/etc/containers', '/etc/docker'] as const
const STALE_MIRROR_COMMENT = '# The old cache, decommissioned in 2024.'

let hosts: SshHosts
let upstream: Registry
let mirror: Registry
let work: string
let specFile: string
let inventory: string

/** The engines' files of a host as relative paths -> text (policy.json and test leftovers excluded). */
function configFiles(h: TestSshHost): Record<string, string> {
  const out: Record<string, string> = {}
  for (const dir of CONFIG_DIRS) {
    const local = h.path(dir)
    for (const [rel, text] of Object.entries(snapshotTree(local, (r) => r === 'policy.json' || r.startsWith('.mirrorctl-test-fill')))) out[path.join(dir, rel)] = text
  }
  return out
}

/** Puts a host back to a starting kind (fixtures/fleet/starts/<kind>). */
function seed(h: TestSshHost, kind: string): void {
  for (const dir of CONFIG_DIRS) {
    const local = h.path(dir)
    for (const e of readdirSync(local)) if (e !== 'policy.json' && !e.startsWith('.mirrorctl-test-fill')) rmSync(path.join(local, e), {recursive: true, force: true})
  }
  const start = path.join(STARTS, kind)
  for (const [rel, text] of Object.entries(snapshotTree(start, (r) => r === '.keep'))) h.writeFile(`/${rel}`, text)
}

function seedAll(): Record<string, Record<string, string>> {
  const before: Record<string, Record<string, string>> = {}
  hosts.hosts.forEach((h, i) => {
    seed(h, i < GOOD ? kindOf(i) : 'docker')
    if (i >= GOOD) h.writeFile('/etc/containers/registries.conf', '# before\nunqualified-search-registries = ["docker.io"]\n')
    before[h.name] = configFiles(h)
  })
  return before
}

async function apply(...extra: string[]) {
  const r = await cli(['apply', '--spec', specFile, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--yes', '--json', ...extra])
  let json: {hosts: {host: string; status: string; reason: string | null}[]} | null = null
  try {
    json = JSON.parse(r.stdout)
  } catch {
    json = null
  }
  return {...r, json}
}

/**
 * After a SIGKILL, the ssh clients the run had started go on until their remote script
 * ends: wait for those processes (by pid, only looking), then for each host's lock.
 */
async function waitForOrphans(pids: number[]): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
  for (let i = 0; i < 600 && pids.some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 100))
  for (const h of good()) await execa('flock', ['-w', '60', h.path('/run/lock/mirrorctl.lock'), 'true'], {reject: false})
}

const statusOf = (r: Awaited<ReturnType<typeof apply>>) => Object.fromEntries((r.json?.hosts ?? []).map((h) => [h.host, h.status]))
const good = () => hosts.hosts.slice(0, GOOD)

describe('apply --spec to a fleet over SSH', {timeout: 300_000}, () => {
  // Files each good host has after converging: the "new" side of "old or new".
  const converged: Record<string, Record<string, string>> = {}
  let original: Record<string, Record<string, string>> = {}

  beforeAll(async () => {
    requireTools(['sshd', 'ssh', 'skopeo', 'docker-registry', 'unshare', 'setpriv', 'mount', 'sudo'])
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-fleet-'))
    upstream = await startRegistry({name: 'upstream'})
    await seedTinyImage(upstream.url, 'tiny')
    mirror = await startRegistry({name: 'mirror', proxyRemoteUrl: upstream.url})
    hosts = await startSshHosts(GOOD + 4, {
      hosts: (i) => (i === 10 ? {down: true} : i === 11 ? {readOnly: ['/etc/docker']} : i === 12 ? {fullDisk: '/etc/docker'} : i === 13 ? {sudo: false} : {}),
    })
    specFile = path.join(work, 'spec.toml')
    writeFileSync(specFile, `# fleet policy\n[[mirror]]\nsource = "docker.io"\nmirrors = ["${mirror.host}"]\ninsecure = true\nengines = ["docker", "podman"]\n`)
    inventory = path.join(work, 'hosts.ini')
    writeBecomeInventory(inventory, 'fleet', hosts.hosts.map((h) => h.name))
    original = seedAll()
  }, 240_000)

  afterAll(async () => {
    await hosts?.stop()
    await mirror?.stop()
    await upstream?.stop()
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('plan shows each host its diff (the stale mirror removed) and writes nothing', async () => {
    const r = await cli(['plan', '--spec', specFile, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--limit', good().map((h) => h.name).join(','), '--detailed-exitcode', '--json'])
    expect(r.exitCode, r.stderr).toBe(2)
    const plan = JSON.parse(r.stdout) as {hosts: {host: string; status: string; diff: string}[]}
    expect(plan.hosts.map((h) => h.status)).toEqual(Array(GOOD).fill('changed'))
    expect(plan.hosts.find((h) => h.host === 'h3')!.diff).toMatch(/^-location = "old-cache\.corp\.example:5000"$/m)
    for (const h of hosts.hosts) expect(configFiles(h), h.name).toEqual(original[h.name])
  })

  test('10 varied hosts converge; the down, read-only, full and sudo-less hosts fail cleanly with their reasons', async () => {
    const r = await apply()
    expect(r.exitCode, r.stderr).toBe(1)
    const status = statusOf(r)
    for (const h of good()) expect(status[h.name], `${h.name}: ${JSON.stringify(r.json?.hosts.find((x) => x.host === h.name))}`).toBe('changed')
    const reason = (name: string) => r.json!.hosts.find((h) => h.host === name)!.reason ?? ''
    for (const name of Object.values(FAILING)) expect(status[name]).toBe('failed')
    expect(reason(FAILING.down)).toMatch(/refused|unreachable|connect/i)
    expect(reason(FAILING.readOnly)).toMatch(/read-only/i)
    expect(reason(FAILING.fullDisk)).toMatch(/no space|disk full/i)
    expect(reason(FAILING.noSudo)).toMatch(/sudo/i)
    // The failing hosts keep every file exactly as it was: no partial or temp file left.
    for (const name of Object.values(FAILING)) expect(configFiles(hosts.host(name)), name).toEqual(original[name])

    for (const [i, h] of good().entries()) {
      const eff = await effectiveMirrors(treeHost(h.hostDir))
      expect(eff.rejected, h.name).toBeNull()
      expect(eff.podman, h.name).toEqual([
        {reference: `${mirror.host}/library/alpine:latest`, insecure: true},
        {reference: 'docker.io/library/alpine:latest', insecure: false},
      ])
      expect(eff.docker, h.name).toEqual([`http://${mirror.host}`])
      const kind = kindOf(i)
      converged[kind] = configFiles(h)
      // Comments of the starting files are intact, except the one beside the stale mirror, which went with it.
      for (const [file, text] of Object.entries(original[h.name]!))
        for (const line of text.split('\n').filter((l) => l.trim().startsWith('#'))) {
          if (line === STALE_MIRROR_COMMENT) expect(converged[kind][file]).not.toContain(line)
          else expect(converged[kind][file], `${h.name} ${file}`).toContain(line)
        }
    }
    expect(configFiles(hosts.host('h4'))['/etc/containers/registries.conf']).toBe(original.h4!['/etc/containers/registries.conf'])
  })

  test('skopeo on a converged host pulls docker.io/library/tiny through the mirror', async () => {
    const h = hosts.hosts[0]!
    const before = accessLog(mirror).length
    const res = await runIsolated(['skopeo', 'inspect', '--no-tags', 'docker://docker.io/library/tiny:latest'], {containersDir: h.path('/etc/containers')})
    expect(res.exitCode, res.stderr).toBe(0)
    expect(accessLog(mirror).slice(before).some((e) => e.path.includes('/v2/library/tiny/'))).toBe(true)
  })

  test('a second apply reports unchanged everywhere and changes no byte', async () => {
    const before = Object.fromEntries(good().map((h) => [h.name, configFiles(h)]))
    const r = await apply('--limit', `fleet:!${Object.values(FAILING).join(':!')}`)
    expect(r.exitCode, r.stderr).toBe(0)
    expect(Object.values(statusOf(r))).toEqual(Array(GOOD).fill('unchanged'))
    for (const h of good()) expect(configFiles(h)).toEqual(before[h.name])
  })

  test('lint with --hosts lints each host\'s own files; a host down is named as failed', async () => {
    const r = await cli(['lint', '--hosts', `h2,h4,${FAILING.down}`, '--ssh-config', hosts.sshConfig, '--become', '--json'])
    expect(r.exitCode, r.stderr).toBe(1)
    const out = JSON.parse(r.stdout) as {hosts: {host: string; status: string; reason: string | null; filesChecked: number}[]}
    expect(out.hosts.map((h) => [h.host, h.status === 'failed'])).toEqual([
      ['h2', false],
      ['h4', false],
      [FAILING.down, true],
    ])
    // h4 has the V1 main file and the drop-in beside it, and daemon.json.
    expect(out.hosts[1]!.filesChecked).toBe(3)
  })

  test('mirror add and remove with --hosts act on every host; add then remove gives back the bytes', async () => {
    const two = good().slice(1, 3)
    const before = two.map((h) => configFiles(h))
    const common = ['--hosts', two.map((h) => h.name).join(','), '--ssh-config', hosts.sshConfig, '--become', '--engine', 'podman', '--json']
    const dry = await cli(['mirror', 'add', 'docker.io', 'second-cache.example.com:5000', ...common, '--dry-run'])
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect((JSON.parse(dry.stdout) as {hosts: {status: string; diff: string}[]}).hosts.map((h) => [h.status, h.diff.includes('+location = "second-cache.example.com:5000"')])).toEqual([
      ['changed', true],
      ['changed', true],
    ])
    expect(two.map((h) => configFiles(h))).toEqual(before)
    const add = await cli(['mirror', 'add', 'docker.io', 'second-cache.example.com:5000', ...common])
    expect(add.exitCode, add.stderr).toBe(0)
    for (const h of two) expect((await effectiveMirrors(treeHost(h.hostDir))).podman.map((x) => x.reference.split('/')[0])).toEqual(['second-cache.example.com:5000', mirror.host, 'docker.io'])
    const remove = await cli(['mirror', 'remove', 'docker.io', 'second-cache.example.com:5000', ...common])
    expect(remove.exitCode, remove.stderr).toBe(0)
    expect(two.map((h) => configFiles(h))).toEqual(before)
  })

  test('local mode (--root) writes the same files as SSH', async () => {
    const roots = START_NAMES.map((kind) => copyStart(kind, path.join(work, `local-${kind}`)))
    const runs = await Promise.all(roots.map((root) => cli(['apply', '--spec', specFile, '--root', root, '--yes', '--json'])))
    for (const [i, kind] of START_NAMES.entries()) {
      expect(runs[i]!.exitCode, runs[i]!.stderr).toBe(0)
      const local: Record<string, string> = {}
      for (const dir of CONFIG_DIRS) for (const [rel, text] of Object.entries(snapshotTree(path.join(roots[i]!, dir)))) local[path.join(dir, rel)] = text
      expect(local, kind).toEqual(converged[kind])
    }
  })

  test('host names, inventory values and spec values with shell syntax run nothing, here or on a host', async () => {
    const marker = path.join(work, 'pwned')
    const logins = hosts.hosts[0]!.logins()
    const hostile = path.join(work, 'hostile.ini')
    const badSpec = path.join(work, 'bad-spec.toml')
    writeFileSync(badSpec, `[[mirror]]\nsource = "docker.io"\nmirrors = ["$(touch ${marker})"]\n`)
    // Every kind of value once (tests/unit/fleet/targets.test.ts and spec.test.ts cover the rest).
    writeFileSync(hostile, `h1 ansible_ssh_common_args='-o ProxyCommand=touch ${marker}'\nh2 ansible_host='$(touch ${marker})'\n`)
    const runs = await Promise.all([
      cli(['apply', '--spec', specFile, '--ssh-config', hosts.sshConfig, '--yes', '--hosts', `-oProxyCommand=touch ${marker}`]),
      cli(['apply', '--spec', specFile, '--ssh-config', hosts.sshConfig, '--yes', '--hosts', 'h1', '--user', `$(touch ${marker})`]),
      cli(['apply', '--spec', specFile, '--inventory', hostile, '--ssh-config', hosts.sshConfig, '--yes']),
      cli(['apply', '--spec', badSpec, '--hosts', 'h1', '--ssh-config', hosts.sshConfig, '--yes']),
    ])
    for (const r of runs) expect(r.exitCode, r.stderr).toBe(2)
    expect(runs[0]!.stderr).toContain('invalid host name')
    expect(runs[1]!.stderr).toContain('invalid user')
    expect(runs[2]!.stderr).toContain('ProxyCommand')
    expect(runs[3]!.stderr).toContain('bad-spec.toml:3:')
    expect(existsSync(marker)).toBe(false)
    expect(hosts.hosts[0]!.logins()).toBe(logins)
  })

  test('two applies started at once never interleave: each host ends wholly on one spec', async () => {
    seedAll()
    const other = path.join(work, 'spec-other.toml')
    writeFileSync(other, `[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:5999"]\ninsecure = true\nengines = ["docker", "podman"]\n`)
    const limit = ['--limit', good().map((h) => h.name).join(',')]
    const [a, b] = await Promise.all([apply(...limit), cli(['apply', '--spec', other, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--yes', '--json', ...limit])])
    const bj = JSON.parse(b.stdout) as {hosts: {host: string; status: string; reason: string | null}[]}
    for (const h of good()) {
      const results = [a.json!.hosts.find((x) => x.host === h.name)!, bj.hosts.find((x) => x.host === h.name)!]
      // A run that lost the race found the file changed since it read it and wrote nothing.
      for (const x of results) if (x.status === 'failed') expect(x.reason, h.name).toContain('changed since it was read')
      expect(results.some((x) => x.status === 'changed'), h.name).toBe(true)
      const eff = await effectiveMirrors(treeHost(h.hostDir))
      expect(eff.rejected).toBeNull()
      const winner = eff.podman[0]!.reference.split('/')[0]
      expect([mirror.host, '127.0.0.1:5999']).toContain(winner)
      expect(eff.docker, h.name).toEqual([`http://${winner}`])
    }
  })

  test('SIGKILL of mirrorctl at random moments leaves every file old or new; the next apply converges', async () => {
    const limit = ['--limit', good().map((h) => h.name).join(',')]
    for (let round = 0; round < 2; round++) {
      const before = seedAll()
      const child = execa(process.execPath, [path.join(REPO, 'bin/run.js'), 'apply', '--spec', specFile, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--yes', ...limit], {
        reject: false,
        env: {NO_COLOR: '1', HOME: '/nonexistent-home'},
      })
      // Anywhere from start-up to the writes (a run takes a few seconds here).
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.floor(Math.random() * 5000)))
      const kids = String((await execa('pgrep', ['-P', String(child.pid)], {reject: false})).stdout).split('\n').filter(Boolean).map(Number)
      child.kill('SIGKILL')
      await child
      await waitForOrphans(kids)
      for (const [i, h] of good().entries()) {
        const now = configFiles(h)
        const kind = kindOf(i)
        const paths = new Set([...Object.keys(before[h.name]!), ...Object.keys(converged[kind]!)])
        expect(Object.keys(now).every((p) => paths.has(p)), `${h.name} has a stray file: ${Object.keys(now)}`).toBe(true)
        for (const p of paths) expect([before[h.name]![p], converged[kind]![p]], `${h.name} ${p} round ${round}`).toContain(now[p])
      }
      const next = await apply(...limit)
      expect(next.exitCode, next.stderr).toBe(0)
      for (const [i, h] of good().entries()) expect(configFiles(h), h.name).toEqual(converged[kindOf(i)])
    }
  })
})
