// `fix-no-proxy = true` in a spec, over real OpenSSH to a real sshd host (its own mount
// namespace with its own /etc/docker and /etc/systemd/system): the plan names the drop-in
// and the restart, apply extends NO_PROXY there, and a second plan is empty.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {startSshHosts, type SshHosts, writeBecomeInventory} from '../harness/sshd-hosts.js'
import {cli} from '../helpers/cli.js'

// Never contacted: the test only checks which files are written.
const MIRROR = 'registry-cache.corp.internal:5000'
const PROXY_DROP_IN = '/etc/systemd/system/docker.service.d/proxy.conf'
const OTHER_DROP_IN = '/etc/systemd/system/docker.service.d/10-limits.conf'
const PROXY_TEXT = '[Service]\n# corporate proxy\nEnvironment="HTTPS_PROXY=http://proxy.corp.example.com:3128"\n'
const OTHER_TEXT = '[Service]\nLimitNOFILE=1048576\n'

let hosts: SshHosts
let work: string
let specFile: string
let inventory: string

type HostJson = {host: string; status: string; reason: string | null; files: {engine: string; path: string; actions: string[]; diff: string}[]}
async function run(command: 'plan' | 'apply', ...extra: string[]) {
  const r = await cli([command, '--spec', specFile, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--json', ...extra])
  return {...r, hosts: (JSON.parse(r.stdout) as {hosts: HostJson[]}).hosts}
}

describe('fix-no-proxy = true over SSH', () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-fleet-proxy-'))
    hosts = await startSshHosts(1, {namePrefix: 'px'})
    const h = hosts.hosts[0]!
    h.writeFile('/etc/docker/daemon.json', '{}\n')
    h.writeFile(PROXY_DROP_IN, PROXY_TEXT)
    h.writeFile(OTHER_DROP_IN, OTHER_TEXT)
    specFile = path.join(work, 'spec.toml')
    writeFileSync(specFile, `fix-no-proxy = true\n[[mirror]]\nsource = "docker.io"\nmirrors = ["${MIRROR}"]\nengines = ["docker"]\n`)
    inventory = path.join(work, 'hosts.ini')
    writeBecomeInventory(inventory, 'proxied', [h.name])
  }, 120_000)

  afterAll(async () => {
    await hosts?.stop()
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('the plan names the drop-in that sets the proxy and the restart; nothing is written', async () => {
    const r = await run('plan', '--detailed-exitcode')
    expect(r.exitCode, r.stderr).toBe(2)
    const [h] = r.hosts
    expect(h!.status, h!.reason ?? '').toBe('changed')
    const fix = h!.files.find((f) => f.path === PROXY_DROP_IN)
    expect(fix, JSON.stringify(h!.files)).toBeDefined()
    expect(fix!.actions.join(' ')).toMatch(/NO_PROXY=.*registry-cache\.corp\.internal/)
    expect(fix!.actions.join(' ')).toMatch(/systemctl daemon-reload && systemctl restart docker/)
    expect(h!.files.some((f) => f.path === OTHER_DROP_IN)).toBe(false)
    expect(hosts.hosts[0]!.readFile(PROXY_DROP_IN)).toBe(PROXY_TEXT)
  })

  test('apply extends NO_PROXY in that drop-in (comment kept, other drop-in untouched); a second plan is empty', async () => {
    const r = await run('apply', '--yes')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.hosts[0]!.status, r.hosts[0]!.reason ?? '').toBe('changed')
    const h = hosts.hosts[0]!
    const text = h.readFile(PROXY_DROP_IN)!
    expect(text).toContain('# corporate proxy')
    expect(text).toContain('HTTPS_PROXY=http://proxy.corp.example.com:3128')
    expect(text).toMatch(/^Environment="NO_PROXY=[^"]*registry-cache\.corp\.internal[^"]*"$/m)
    expect(h.readFile(OTHER_DROP_IN)).toBe(OTHER_TEXT)
    // Not Docker's documented default file: the proxy's own drop-in is the one extended.
    expect(h.readFile('/etc/systemd/system/docker.service.d/http-proxy.conf')).toBeNull()
    expect(JSON.parse(h.readFile('/etc/docker/daemon.json')!)['registry-mirrors']).toEqual([`https://${MIRROR}`])
    const again = await run('plan', '--detailed-exitcode')
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.hosts[0]!.status).toBe('unchanged')
  })
})
