// check and ratelimit with --inventory over real OpenSSH: each sshd host asks from itself
// with its own curl. check: one host's registries.conf names a live Distribution registry,
// the other's a port nothing listens on. ratelimit: a node:http stand-in for Docker Hub on
// loopback (token service + manifest HEAD with the real header format) counts down per
// request, so each host gets its own answer.
import {mkdtempSync, rmSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {freePort} from '../harness/ports.js'
import {accessLog, startRegistry, type Registry} from '../harness/registry.js'
import {requireTools} from '../harness/require-tools.js'
import {startSshHosts, type SshHosts, writeBecomeInventory} from '../harness/sshd-hosts.js'
import {cli} from '../helpers/cli.js'

const CONF = '/etc/containers/registries.conf'
const TOKEN = 'stand-in.tok-91ab'
const MANIFEST = '/v2/ratelimitpreview/test/manifests/latest'

let hosts: SshHosts
let live: Registry
let hub: Server
let hubUrl: string
let work: string
let inventory: string
let remaining = 100
const heads: {auth: string | undefined; agent: string | undefined}[] = []
const tokens: URLSearchParams[] = []

const conf = (location: string) => `unqualified-search-registries = ["docker.io"]\n\n[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n\n[[registry.mirror]]\nlocation = "${location}"\ninsecure = true\n`
const run = (command: string, ...extra: string[]) => cli([command, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--json', ...extra])

describe('check and ratelimit per host', () => {
  beforeAll(async () => {
    requireTools(['sshd', 'ssh', 'docker-registry', 'curl', 'unshare', 'setpriv', 'mount', 'sudo'])
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-fleet-check-'))
    live = await startRegistry({name: 'check-live'})
    hub = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://stand-in')
      if (url.pathname === '/token') {
        tokens.push(url.searchParams)
        return void res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({token: TOKEN, access_token: TOKEN, expires_in: 300}))
      }
      if (url.pathname === MANIFEST && req.method === 'HEAD') {
        heads.push({auth: req.headers.authorization, agent: req.headers['user-agent']})
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end()
        remaining--
        return void res.writeHead(200, {'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': `${remaining};w=21600`, 'docker-ratelimit-source': req.socket.remoteAddress ?? ''}).end()
      }
      res.writeHead(404).end()
    })
    hub.listen(0, '127.0.0.1')
    await new Promise((r) => hub.once('listening', r))
    hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`
    const dead = await freePort('127.0.0.1')
    hosts = await startSshHosts(2, {namePrefix: 'pc'})
    hosts.hosts[0]!.writeFile(CONF, conf(live.host))
    hosts.hosts[1]!.writeFile(CONF, conf(`127.0.0.1:${dead}`))
    inventory = path.join(work, 'hosts.ini')
    writeBecomeInventory(inventory, 'probed', hosts.hosts.map((h) => h.name))
  }, 180_000)

  afterAll(async () => {
    await hosts?.stop()
    await live?.stop()
    await new Promise((r) => (hub ? hub.close(r) : r(undefined)))
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test("check --inventory --json: each host's own mirrors from the host itself; a dead mirror fails its host (exit 1)", async () => {
    const before = accessLog(live).filter((e) => e.path === '/v2/' && /curl/.test(e.userAgent)).length
    const r = await run('check')
    expect(r.exitCode, r.stderr).toBe(1)
    const json = JSON.parse(r.stdout) as {hosts: {host: string; status: string; engine: string; mirrors: {mirror: string; status: string; url: string; route: {proxy: string | null}; detail: string}[]}[]}
    expect(json.hosts.map((h) => [h.host, h.status])).toEqual([
      ['pc1', 'ok'],
      ['pc2', 'failed'],
    ])
    // Insecure, no scheme: HTTPS first (the plain registry refuses it), then plain HTTP, as the engines do.
    expect(json.hosts[0]!.mirrors).toMatchObject([{mirror: live.host, status: 'ok', url: `http://${live.host}/v2/`, route: {proxy: null}}])
    expect(json.hosts[0]!.engine).toBe('podman')
    expect(json.hosts[1]!.mirrors[0]!.detail).toMatch(/curl: \(7\)/)
    expect(accessLog(live).filter((e) => e.path === '/v2/' && /curl/.test(e.userAgent)).length).toBeGreaterThan(before)
    // Per-host progress on stderr.
    expect(r.stderr).toMatch(/\[\d\/2\] pc1: ok/)
    expect(r.stderr).toMatch(/\[\d\/2\] pc2: failed/)
  })

  test('check --inventory without --json prints a per-host table', async () => {
    const r = await cli(['check', '--inventory', inventory, '--ssh-config', hosts.sshConfig])
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/^HOST\s+STATUS\s+MIRROR/m)
    expect(r.stdout).toMatch(new RegExp(`^pc1\\s+ok\\s+${live.host.replace(/\./g, '\\.')} \\(podman, direct\\)`, 'm'))
    expect(r.stdout).toMatch(/^2 hosts: 1 OK, 1 failed$/m)
  })

  test("ratelimit --inventory --json: each host's own answer, the token chained on the host", async () => {
    heads.length = 0
    const r = await run('ratelimit', '--auth-url', `${hubUrl}/token`, '--registry', hubUrl)
    expect(r.exitCode, r.stderr).toBe(0)
    const json = JSON.parse(r.stdout) as {hosts: {host: string; status: string; limit: number; remaining: number; windowSeconds: number; source: string; httpStatus: number}[]}
    expect(json.hosts.map((h) => h.host)).toEqual(['pc1', 'pc2'])
    for (const h of json.hosts) expect(h).toMatchObject({status: 'ok', limit: 100, windowSeconds: 21600, source: '127.0.0.1', httpStatus: 200})
    // Two separate HEADs, one per host: two different counts.
    expect(new Set(json.hosts.map((h) => h.remaining)).size).toBe(2)
    expect(heads).toHaveLength(2)
    for (const h of heads) expect(h).toMatchObject({auth: `Bearer ${TOKEN}`, agent: expect.stringMatching(/^curl\//)})
    expect(tokens.at(-1)!.get('scope')).toBe('repository:ratelimitpreview/test:pull')
    expect(r.stdout + r.stderr).not.toContain(TOKEN)
  })

  test('ratelimit --inventory with --username is a usage error before any host is contacted', async () => {
    const r = await cli(['ratelimit', '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--username', 'alice', '--password-stdin'], {input: 'pw\n'})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/--username cannot be used with --hosts or --inventory/)
  })
})
