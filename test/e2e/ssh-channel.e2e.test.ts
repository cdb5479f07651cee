// A whole fleet run costs each host one SSH login and one sudo: gather, apply, reload, verify
// and the rollback after a failed verify are all requests on one channel per host. sshd's
// log counts the logins; sudo logs each command it runs (a host's own /etc/sudoers.d).
// systemctl is a stand-in that logs its arguments (as in fleet-reload), so the reload runs.
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {freePort} from '../harness/ports.js'
import {requireTools} from '../harness/require-tools.js'
import {startSshHosts, type SshHosts, type TestSshHost, writeBecomeInventory} from '../harness/sshd-hosts.js'
import {cli} from '../helpers/cli.js'

const DAEMON_JSON = '/etc/docker/daemon.json'
const ORIGINAL = '{\n  "debug": false\n}\n'
const SUDO_LOG = '/var/log/sudo-mctl.log'
// Logs what it is asked; every unit is active (so the change is reloaded).
const FAKE_SYSTEMCTL = `#!/bin/sh
echo "$*" >> /tmp/fakebin/calls
case $1 in is-active) shift; [ "$1" = --quiet ] || for u; do echo active; done ;; esac
`

let hosts: SshHosts
let work: string
let inventory: string

function prepare(h: TestSshHost): void {
  h.writeFile(DAEMON_JSON, ORIGINAL)
  mkdirSync(path.join(h.hostDir, 'tmp/fakebin'), {recursive: true})
  writeFileSync(path.join(h.hostDir, 'tmp/fakebin/systemctl'), FAKE_SYSTEMCTL)
  chmodSync(path.join(h.hostDir, 'tmp/fakebin/systemctl'), 0o755)
  writeFileSync(
    path.join(h.hostDir, 'etc/sudoers.d/zz-channel'),
    `Defaults secure_path="/tmp/fakebin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\nDefaults:mctl logfile=${SUDO_LOG}, loglinelen=0\n`,
    {mode: 0o440},
  )
}

const sudos = (h: TestSshHost) => (h.readFile(SUDO_LOG) ?? '').match(/COMMAND=/g)?.length ?? 0
const calls = (h: TestSshHost) => (h.readFile('/tmp/fakebin/calls') ?? '').split('\n').filter((l) => l && !l.startsWith('is-active'))

describe('one SSH channel per host for a whole run', {timeout: 240_000}, () => {
  beforeAll(async () => {
    requireTools(['sshd', 'ssh', 'curl', 'unshare', 'setpriv', 'mount', 'sudo'])
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-channel-'))
    hosts = await startSshHosts(2, {namePrefix: 'ch'})
    for (const h of hosts.hosts) prepare(h)
    inventory = path.join(work, 'hosts.ini')
    writeBecomeInventory(inventory, 'fleet', hosts.hosts.map((h) => h.name))
  }, 180_000)

  afterAll(async () => {
    await hosts?.stop()
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('apply --reload --verify with a mirror that is down: gather, write, reload, verify, roll back; one login and one sudo per host', async () => {
    const dead = await freePort('127.0.0.1')
    const spec = path.join(work, 'mirror.toml')
    writeFileSync(spec, `[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:${dead}"]\ninsecure = true\nengines = ["docker"]\n`)
    const before = hosts.hosts.map((h) => ({logins: h.logins(), sudos: sudos(h)}))
    const r = await cli(['apply', '--spec', spec, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--reload', '--verify', '--yes', '--json'])
    const json = JSON.parse(r.stdout) as {hosts: {host: string; status: string; reason: string | null}[]}
    expect(json.hosts.map((h) => h.status), r.stderr + r.stdout).toEqual(['rolled-back', 'rolled-back'])
    for (const [i, h] of hosts.hosts.entries()) {
      expect(json.hosts[i]!.reason).toMatch(/^verify failed: .*; restored the previous files/)
      expect(h.readFile(DAEMON_JSON)).toBe(ORIGINAL)
      // The reload ran on the host (before the verify).
      expect(calls(h)[0]).toBe('reload docker')
      expect(h.logins() - before[i]!.logins).toBe(1)
      expect(sudos(h) - before[i]!.sudos).toBe(1)
    }
  })
})
