// apply --verify and rollback --verify over real OpenSSH to real sshd hosts, each host asking
// a real Distribution registry on loopback with its own curl: a live mirror passes, a mirror
// that is down fails and the host is rolled back byte for byte, a docker.service drop-in's
// proxy (a real tinyproxy) is used for the probe (its log proves it), and a NO_PROXY entry
// that only Go matches ("*.test") makes the probe go direct. dockerd is not installed here:
// the docker info part is reported as skipped.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {startHttpProxy, type HttpProxy} from '../harness/http-proxy.js'
import {freePort} from '../harness/ports.js'
import {startRegistry, type Registry, accessLog} from '../harness/registry.js'
import {requireTools} from '../harness/require-tools.js'
import {startSshHosts, type SshHosts, writeBecomeInventory} from '../harness/sshd-hosts.js'
import {cli} from '../helpers/cli.js'

const DAEMON_JSON = '/etc/docker/daemon.json'
const DROP_IN = '/etc/systemd/system/docker.service.d/http-proxy.conf'
const ORIGINAL = '{\n  "debug": false\n}\n'

type Check = {step: string; status: string; reason: string; details?: {parts: {part: string; status: string; detail: string}[]; mirrors: {mirror: string; status: string; route: {proxy: string | null; decidedBy: string}; detail: string}[]}}
type HostJson = {host: string; status: string; reason: string | null; checks?: Check[]}

let hosts: SshHosts
let live: Registry
let named: Registry
let proxy: HttpProxy
let work: string
let inventory: string
let deadPort: number

function spec(name: string, mirror: string): string {
  const file = path.join(work, `${name}.toml`)
  writeFileSync(file, `[[mirror]]\nsource = "docker.io"\nmirrors = ["${mirror}"]\ninsecure = true\nengines = ["docker"]\n`)
  return file
}

async function run(command: 'apply' | 'rollback', host: string, ...extra: string[]) {
  const r = await cli([command, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--limit', host, '--json', ...extra])
  let parsed: {hosts: HostJson[]} | null = null
  try {
    parsed = JSON.parse(r.stdout) as {hosts: HostJson[]}
  } catch {
    parsed = null
  }
  return {...r, host: parsed?.hosts[0]}
}

describe('apply --verify over SSH', () => {
  beforeAll(async () => {
    requireTools(['sshd', 'ssh', 'docker-registry', 'tinyproxy', 'curl', 'unshare', 'setpriv', 'mount', 'sudo'])
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-fleet-verify-'))
    live = await startRegistry({name: 'verify-live'})
    // Reached by name: mirror.test / mirror2.test -> 127.0.0.2 (Go never proxies a loopback literal).
    named = await startRegistry({name: 'verify-named', listen: '127.0.0.2'})
    proxy = await startHttpProxy({hosts: {'mirror.test': '127.0.0.2', 'mirror2.test': '127.0.0.2'}})
    deadPort = await freePort('127.0.0.1')
    hosts = await startSshHosts(5, {namePrefix: 'vf', hosts: (i) => (i === 3 ? {etcHosts: {'mirror2.test': '127.0.0.2'}} : {})})
    for (const h of hosts.hosts) h.writeFile(DAEMON_JSON, ORIGINAL)
    hosts.hosts[2]!.writeFile(DROP_IN, `[Service]\nEnvironment="HTTP_PROXY=${proxy.url}"\n`)
    hosts.hosts[3]!.writeFile(DROP_IN, `[Service]\nEnvironment="HTTP_PROXY=${proxy.url}" "NO_PROXY=*.test"\n`)
    inventory = path.join(work, 'hosts.ini')
    writeBecomeInventory(inventory, 'verified', hosts.hosts.map((h) => h.name))
  }, 180_000)

  afterAll(async () => {
    await hosts?.stop()
    await Promise.all([live?.stop(), named?.stop(), proxy?.stop()])
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('a live mirror: verification passes from the host (direct: loopback), docker info is skipped without dockerd', async () => {
    const before = accessLog(live).filter((e) => e.path === '/v2/' && /curl/.test(e.userAgent)).length
    const r = await run('apply', 'vf1', '--spec', spec('live', live.host), '--verify', '--yes')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(r.host!.status).toBe('changed')
    const [check] = r.host!.checks!
    expect(check!.step).toBe('verify')
    expect(check!.status, check!.reason).toBe('passed')
    // daemon.json names it as http://host:port/ (the planner writes dockerd's form); no proxy is set on this host.
    expect(check!.details!.mirrors).toMatchObject([{mirror: `http://${live.host}/`, status: 'ok', route: {proxy: null}}])
    const parts = Object.fromEntries(check!.details!.parts.map((p) => [p.part, p.status]))
    expect(parts).toEqual({files: 'passed', mirrors: 'passed', 'docker-info': 'skipped'})
    // The registry saw the host's own curl ask for /v2/.
    expect(accessLog(live).filter((e) => e.path === '/v2/' && /curl/.test(e.userAgent)).length).toBeGreaterThan(before)
    expect(JSON.parse(hosts.host('vf1').readFile(DAEMON_JSON)!)['registry-mirrors']).toEqual([`http://${live.host}`])
  })

  test('a converged host is verified all the same: unchanged, its mirror asked again from the host', async () => {
    const before = accessLog(live).filter((e) => e.path === '/v2/' && /curl/.test(e.userAgent)).length
    const r = await run('apply', 'vf1', '--spec', spec('live', live.host), '--verify', '--yes')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(r.host!.status).toBe('unchanged')
    const [check] = r.host!.checks!
    expect(check!.status, check!.reason).toBe('passed')
    expect(check!.details!.parts.find((p) => p.part === 'files')!.detail).toBe('every file already as planned (nothing written)')
    expect(check!.details!.mirrors).toMatchObject([{mirror: `http://${live.host}/`, status: 'ok'}])
    expect(accessLog(live).filter((e) => e.path === '/v2/' && /curl/.test(e.userAgent)).length).toBeGreaterThan(before)
  })

  test('a mirror that is down: verification fails, the host is rolled back with byte-identical files, exit 1', async () => {
    const r = await run('apply', 'vf2', '--spec', spec('dead', `127.0.0.1:${deadPort}`), '--verify', '--yes')
    expect(r.exitCode, r.stderr).toBe(1)
    expect(r.host!.status).toBe('rolled-back')
    expect(r.host!.reason).toMatch(/^verify failed: mirror http:\/\/127\.0\.0\.1:\d+\/: GET http:\/\/127\.0\.0\.1:\d+\/v2\/ \(direct\): curl: \(7\).*restored the previous files$/)
    expect(hosts.host('vf2').readFile(DAEMON_JSON)).toBe(ORIGINAL)
  })

  test("the engine's drop-in proxy is used: the host's curl goes through tinyproxy (its log proves it)", async () => {
    const mirror = `mirror.test:${named.port}`
    const r = await run('apply', 'vf3', '--spec', spec('proxied', mirror), '--verify', '--yes')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    const [check] = r.host!.checks!
    expect(check!.status, check!.reason).toBe('passed')
    expect(check!.details!.mirrors[0]).toMatchObject({status: 'ok', route: {proxy: `${proxy.url}`, decidedBy: expect.stringContaining('HTTP_PROXY')}})
    expect(proxy.requests()).toContainEqual({method: 'GET', target: `http://${mirror}/v2/`})
  })

  test('NO_PROXY "*.test" matches for Go (not for curl): the probe goes direct, tinyproxy sees nothing', async () => {
    const mirror = `mirror2.test:${named.port}`
    const r = await run('apply', 'vf4', '--spec', spec('noproxy', mirror), '--verify', '--yes')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    const [check] = r.host!.checks!
    expect(check!.status, check!.reason).toBe('passed')
    expect(check!.details!.mirrors[0]).toMatchObject({status: 'ok', route: {proxy: null, decidedBy: '*.test'}})
    expect(proxy.requests().filter((q) => q.target.includes('mirror2.test'))).toEqual([])
  })

  test('rollback --verify re-verifies the restored mirrors; a failure is reported, not rolled back again', async () => {
    const h = hosts.host('vf5')
    const deadMirrorJson = `{\n  "registry-mirrors": ["http://127.0.0.1:${deadPort}"]\n}\n`
    h.writeFile(DAEMON_JSON, deadMirrorJson)
    const applied = await run('apply', 'vf5', '--spec', spec('live5', live.host), '--yes')
    expect(applied.host!.status, applied.stderr).toBe('changed')
    const r = await run('rollback', 'vf5', '--verify')
    expect(r.exitCode, r.stderr).toBe(1)
    expect(r.host!.status).toBe('failed')
    expect(r.host!.reason).toMatch(/^re-verify failed: mirror http:\/\/127\.0\.0\.1:\d+\/?: .*curl: \(7\)/)
    expect(r.host!.checks![0]).toMatchObject({step: 're-verify', status: 'failed'})
    // The restored file stays restored.
    expect(h.readFile(DAEMON_JSON)).toBe(deadMirrorJson)
  })
})
