// `mirror list` and `mirror remove SOURCE MIRROR` with target flags, over real OpenSSH to real
// sshd hosts: per-host listings, a host that is down named with its reason, and a named
// mirror a host does not have failing that host (exit 1) while the others change.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {startSshHosts, type SshHosts, writeBecomeInventory} from '../harness/sshd-hosts.js'
import {cli} from '../helpers/cli.js'

const CONF = '/etc/containers/registries.conf'
const withMirror = (m: string) => `# fleet host\n[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "${m}"\n`

let hosts: SshHosts
let work: string
let inventory: string

const targets = () => ['--inventory', inventory, '--ssh-config', hosts.sshConfig]

describe('mirror list and mirror remove with target flags', () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-fleet-list-'))
    hosts = await startSshHosts(3, {namePrefix: 'ls', hosts: [{}, {}, {down: true}]})
    hosts.hosts[0]!.writeFile(CONF, withMirror('a.example.com'))
    hosts.hosts[1]!.writeFile(CONF, withMirror('b.example.com'))
    inventory = path.join(work, 'hosts.ini')
    writeBecomeInventory(inventory, 'all_hosts', hosts.hosts.map((h) => h.name))
  }, 120_000)

  afterAll(async () => {
    await hosts?.stop()
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('mirror list prints each host with the local --json keys; a host that is down fails with its reason (exit 1)', async () => {
    const r = await cli(['mirror', 'list', ...targets(), '--engine', 'podman', '--json'])
    expect(r.exitCode, r.stderr).toBe(1)
    const out = JSON.parse(r.stdout) as {hosts: {host: string; status: string; reason: string | null; podman?: {registries: {prefix: string; mirrors: {location: string}[]}[]}}[]}
    expect(out.hosts.map((h) => [h.host, h.status])).toEqual([
      ['ls1', 'ok'],
      ['ls2', 'ok'],
      ['ls3', 'failed'],
    ])
    expect(out.hosts[0]!.podman!.registries[0]!.mirrors.map((m) => m.location)).toEqual(['a.example.com'])
    expect(out.hosts[1]!.podman!.registries[0]!.mirrors.map((m) => m.location)).toEqual(['b.example.com'])
    expect(out.hosts[2]!.reason).toMatch(/refused|connect/i)
    const text = await cli(['mirror', 'list', ...targets(), '--limit', 'ls1', '--engine', 'podman'])
    expect(text.exitCode, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/== ls1\n[\s\S]*1\. a\.example\.com/)
  })

  test('mirror remove of a mirror one host does not have: that host fails naming its mirrors, the other changes, exit 1', async () => {
    const r = await cli(['mirror', 'remove', 'docker.io', 'a.example.com', ...targets(), '--limit', 'ls1:ls2', '--engine', 'podman', '--json'])
    expect(r.exitCode, r.stderr).toBe(1)
    const out = JSON.parse(r.stdout) as {hosts: {host: string; status: string; reason: string | null}[]}
    const by = Object.fromEntries(out.hosts.map((h) => [h.host, h]))
    expect(by.ls1!.status, by.ls1!.reason ?? '').toBe('changed')
    expect(by.ls2!.status).toBe('failed')
    expect(by.ls2!.reason).toMatch(/a\.example\.com is not a mirror of docker\.io; configured mirrors: podman: b\.example\.com/)
    expect(hosts.hosts[0]!.readFile(CONF)).not.toContain('a.example.com')
    expect(hosts.hosts[1]!.readFile(CONF)).toBe(withMirror('b.example.com'))
  })
})
