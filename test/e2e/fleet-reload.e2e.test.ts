// apply --reload over real OpenSSH to real sshd hosts (test/harness/sshd-hosts.ts). The hosts
// run no systemd: every reload there is reported "skipped" with the reason. Hosts r2 and r3
// get a stand-in `systemctl` (a script in the host's own /tmp, first on sudo's secure_path
// through the host's own /etc/sudoers.d) that logs its arguments, which proves what
// mirrorctl asks systemd for: `reload docker` for a mirror change, and no restart without
// --allow-restart for a change only a restart applies. Mirrors are never contacted; the
// corp.internal names are not loopback, so fix-no-proxy has NO_PROXY to extend.
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {requireTools} from '../harness/require-tools.js'
import {startSshHosts, type SshHosts, type TestSshHost, writeBecomeInventory} from '../harness/sshd-hosts.js'
import {cli} from '../helpers/cli.js'

const DAEMON_JSON = '/etc/docker/daemon.json'
const CALLS = '/tmp/fakebin/calls'
// Says every unit is active, as a running systemd would for docker, crio and containerd.
const FAKE_SYSTEMCTL = `#!/bin/sh
echo "$*" >> ${CALLS}
if [ "$1" = is-active ]; then
  shift
  [ "$1" = --quiet ] && exit 0
  for u in "$@"; do echo active; done
fi
exit 0
`

let hosts: SshHosts
let work: string
let inventory: string

type Reload = {engine: string; action: string; status: string; reason: string}
type HostJson = {host: string; status: string; reason: string | null; files: {path: string}[]; reload?: Reload[]}

function spec(name: string, text: string): string {
  const file = path.join(work, name)
  writeFileSync(file, text)
  return file
}

const applyText = (specFile: string, limit: string, ...extra: string[]) =>
  cli(['apply', '--spec', specFile, '--inventory', inventory, '--limit', limit, '--ssh-config', hosts.sshConfig, '--yes', ...extra])

async function apply(specFile: string, limit: string, ...extra: string[]) {
  const r = await applyText(specFile, limit, '--json', ...extra)
  let json: {hosts: HostJson[]} | null = null
  try {
    json = JSON.parse(r.stdout)
  } catch {
    json = null
  }
  return {...r, host: json?.hosts[0]}
}

function fakeSystemctl(h: TestSshHost): void {
  mkdirSync(path.join(h.hostDir, 'tmp/fakebin'), {recursive: true})
  writeFileSync(path.join(h.hostDir, 'tmp/fakebin/systemctl'), FAKE_SYSTEMCTL)
  chmodSync(path.join(h.hostDir, 'tmp/fakebin/systemctl'), 0o755)
  writeFileSync(path.join(h.hostDir, 'etc/sudoers.d/zz-fakebin'), 'Defaults secure_path="/tmp/fakebin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n', {mode: 0o440})
}

const calls = (h: TestSshHost) => (h.readFile(CALLS) ?? '').split('\n').filter((l) => l && !l.startsWith('is-active'))

describe('apply --reload over SSH', {timeout: 240_000}, () => {
  beforeAll(async () => {
    requireTools(['sshd', 'ssh', 'unshare', 'setpriv', 'mount', 'sudo'])
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-reload-'))
    hosts = await startSshHosts(3, {namePrefix: 'r'})
    for (const h of hosts.hosts) h.writeFile(DAEMON_JSON, '{\n  "log-level": "warn"\n}\n')
    fakeSystemctl(hosts.host('r2'))
    fakeSystemctl(hosts.host('r3'))
    inventory = path.join(work, 'hosts.ini')
    writeBecomeInventory(inventory, 'fleet', hosts.hosts.map((h) => h.name))
  }, 180_000)

  afterAll(async () => {
    await hosts?.stop()
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('without systemd the file is written and the reload is skipped, with the reason', async () => {
    const r = await apply(spec('mirror.toml', '[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:5999"]\nengines = ["docker"]\n'), 'r1', '--reload')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(r.host!.status).toBe('changed')
    expect(JSON.parse(hosts.host('r1').readFile(DAEMON_JSON)!)['registry-mirrors']).toEqual(['https://127.0.0.1:5999'])
    expect(r.host!.reload).toHaveLength(1)
    expect(r.host!.reload![0]).toMatchObject({engine: 'docker', action: 'reload', status: 'skipped'})
    expect(r.host!.reload![0]!.reason).toMatch(/not running|systemctl not found/)
    // The text summary has a reload line under the host.
    const text = await applyText(spec('mirror2.toml', '[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:5995"]\nengines = ["docker"]\n'), 'r1', '--reload')
    expect(text.exitCode, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^\s+reload\s+docker reload skipped \((?:.*not running|systemctl not found).*\)$/m)
  })

  test('a mirror change: systemctl reload docker, reported done; a converged host is not reloaded', async () => {
    const h = hosts.host('r2')
    const r = await apply(spec('mirror.toml', '[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:5999"]\nengines = ["docker"]\n'), 'r2', '--reload')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(r.host!.reload).toEqual([{engine: 'docker', action: 'reload', status: 'done', reason: 'reload docker'}])
    expect(calls(h)).toEqual(['reload docker'])
    // Converged: nothing written, nothing reloaded.
    const again = await applyText(path.join(work, 'mirror.toml'), 'r2', '--reload')
    expect(again.exitCode, again.stderr).toBe(0)
    expect(calls(h)).toEqual(['reload docker'])
  })

  test('a change only a restart applies: refused without --allow-restart (key named), done with it', async () => {
    const h = hosts.host('r3')
    h.writeFile('/etc/systemd/system/docker.service.d/proxy.conf', '[Service]\nEnvironment="HTTPS_PROXY=http://proxy.corp.example.com:3128"\n')
    const file = spec('proxy.toml', 'fix-no-proxy = true\n[[mirror]]\nsource = "docker.io"\nmirrors = ["cache-a.corp.internal:5000"]\nengines = ["docker"]\n')
    const r = await apply(file, 'r3', '--reload')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(r.host!.status).toBe('changed')
    expect(r.host!.reload![0]).toMatchObject({engine: 'docker', action: 'restart', status: 'needs-restart'})
    expect(r.host!.reload![0]!.reason).toMatch(/--allow-restart/)
    expect(r.host!.reload![0]!.reason).toMatch(/proxy\.conf.*NO_PROXY/)
    expect(calls(h)).toEqual([])

    // A non-reloadable daemon.json key: its name is given. "proxies" needs Docker 23+, and the
    // machine's dockerd may be Debian's 20.10 (the dockerd e2e test installs it): r3 gets a newer one's --version.
    h.writeFile('/tmp/fakebin/dockerd', '#!/bin/sh\necho "Docker version 24.0.7, build 311b9ff"\n', 0o755)
    h.writeFile(DAEMON_JSON, '{\n  "proxies": {"https-proxy": "http://proxy.corp.example.com:3128"}\n}\n')
    const keyed = await apply(spec('proxy2.toml', 'fix-no-proxy = true\n[[mirror]]\nsource = "docker.io"\nmirrors = ["cache-b.corp.internal:5000"]\nengines = ["docker"]\n'), 'r3', '--reload')
    expect(keyed.exitCode, keyed.stderr + keyed.stdout).toBe(0)
    expect(keyed.host!.reload![0]).toMatchObject({engine: 'docker', action: 'restart', status: 'needs-restart'})
    expect(keyed.host!.reload![0]!.reason).toContain('"proxies"')
    expect(calls(h)).toEqual([])

    const allowed = await apply(spec('proxy3.toml', 'fix-no-proxy = true\n[[mirror]]\nsource = "docker.io"\nmirrors = ["cache-c.corp.internal:5000"]\nengines = ["docker"]\n'), 'r3', '--reload', '--allow-restart')
    expect(allowed.exitCode, allowed.stderr + allowed.stdout).toBe(0)
    expect(allowed.host!.reload![0]).toMatchObject({engine: 'docker', action: 'restart', status: 'done'})
    // Only daemon.json changed this time (its proxies win over the unit's environment): no daemon-reload.
    expect(calls(h)).toEqual(['restart docker'])
  })
})
