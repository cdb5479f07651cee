// `mirrorctl setup` driven through a real pseudo-terminal (tmux send-keys / capture-pane),
// answered as a person would, against a --root tree and two harness sshd hosts, with a real
// Distribution registry on loopback as the mirror. Every wait is on screen text with a
// bounded deadline, never a sleep.
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {parseSpec} from '../../src/policy/spec.js'
import {freePort} from '../harness/ports.js'
import {startRegistry, type Registry} from '../harness/registry.js'
import {requireTools} from '../harness/require-tools.js'
import {startSshHosts, type SshHosts} from '../harness/sshd-hosts.js'
import {Terminal} from '../harness/wizard-terminal.js'
import {cli} from '../helpers/cli.js'
import {copyStart, effectiveMirrors, snapshotTree, STARTS, treeHost} from '../unit/fleet/check-tree.js'

let work: string
let mirror: Registry
let hosts: SshHosts
const terminals: Terminal[] = []

function terminal(args: string[], cwd: string): Terminal {
  const t = new Terminal(work, ['setup', ...args], {HOME: path.join(work, 'home')}, cwd)
  terminals.push(t)
  return t
}

const ENTER = 'Enter'
const DOWN = 'Down'

describe('mirrorctl setup in a terminal', {timeout: 300_000}, () => {
  beforeAll(async () => {
    requireTools(['tmux', 'docker-registry', 'sshd', 'ssh', 'unshare', 'setpriv', 'mount', 'sudo'])
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-setup-'))
    execFileSync('mkdir', ['-p', path.join(work, 'home')])
    mirror = await startRegistry({name: 'setup-mirror'})
    hosts = await startSshHosts(2, {namePrefix: 'w'})
  }, 120_000)

  afterAll(async () => {
    for (const t of terminals) t.stop()
    await hosts?.stop()
    await mirror?.stop()
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('a --root tree: a Distribution cache on loopback, checked live, applied; the spec file and the printed command repeat it', async () => {
    const root = copyStart('mixed', path.join(work, 'tree'))
    const cwd = mkdtempSync(path.join(work, 'cwd-'))
    const t = terminal([], cwd)
    await t.answer(/Where should the mirrors be configured\?/, DOWN, ENTER)
    await t.answer(/Folder of the system tree:/, `text:${root}`, ENTER)
    const engines = await t.answer(/Which engines should use the mirrors\?/, ENTER)
    expect(engines).toMatch(/docker \(daemon\.json\)/)
    expect(engines).toMatch(/podman\/buildah\/skopeo\/CRI-O \(registries\.conf\)/)
    await t.answer(/Which registries should be pulled through a mirror\?/, ENTER)
    await t.answer(/What should serve docker\.io pulls\?/, DOWN, DOWN, ENTER)
    await t.answer(/Pull-through cache address for docker\.io/, `text:${mirror.host}`, ENTER)
    await t.answer(/How does .* serve\?/, DOWN, ENTER)
    const plan = await t.answer(/Apply these changes to 1 host\?/, 'text:y', ENTER)
    expect(plan).toMatch(/✔ reachable \(podman on --root/)
    expect(plan).toMatch(/✔ reachable \(docker on --root/)
    expect(plan).toMatch(/docker \(daemon\.json\): registry-mirrors = \[http:\/\/127\.0\.0\.1:\d+\]/)
    expect(plan).toContain(`-location = "mirror-b.corp.example"`) // the stale mirror goes, shown before anything is written
    await t.answer(/Save the spec \(for apply --spec\) as:/, ENTER)
    expect(await t.waitExit()).toBe(0)
    const screen = t.screen()
    expect(screen).toContain(`mirrorctl apply --spec ./mirrorctl-spec.toml --root ${root} --yes`)
    expect(screen).toContain(`mirrorctl mirror add docker.io ${mirror.host} --insecure --root ${root}`)

    const eff = await effectiveMirrors(treeHost(root))
    expect(eff.rejected).toBeNull()
    expect(eff.podman[0]).toEqual({reference: `${mirror.host}/library/alpine:latest`, insecure: true})
    expect(eff.podman.map((s) => s.reference)).not.toContain('mirror-b.corp.example/library/alpine:latest')
    expect(eff.docker).toEqual([`http://${mirror.host}`])
    const specFile = path.join(cwd, 'mirrorctl-spec.toml')
    const spec = parseSpec(readFileSync(specFile, 'utf8'), specFile)
    expect(spec.entries.map((e) => ({source: e.source, mirrors: e.mirrors.map((m) => m.host), insecure: e.mirrors[0]?.insecure, engines: e.engines}))).toEqual([
      {source: 'docker.io', mirrors: [mirror.host], insecure: true, engines: null},
    ])
    // The printed command, run as printed, finds everything converged.
    const again = await cli(['apply', '--spec', './mirrorctl-spec.toml', '--root', root, '--yes', '--json'], {cwd})
    expect(again.exitCode, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout).hosts[0].status).toBe('unchanged')
  })

  test('two sshd hosts: the files on both hosts are converged, and the command names the hosts', async () => {
    for (const h of hosts.hosts) {
      h.writeFile('/etc/containers/registries.conf', readFileSync(path.join(STARTS, 'fedora/etc/containers/registries.conf'), 'utf8'))
      h.writeFile('/etc/docker/daemon.json', readFileSync(path.join(STARTS, 'docker/etc/docker/daemon.json'), 'utf8'))
    }
    const cwd = mkdtempSync(path.join(work, 'cwd-'))
    const specFile = path.join(cwd, 'fleet.toml')
    const t = terminal([], cwd)
    await t.answer(/Where should the mirrors be configured\?/, DOWN, DOWN, ENTER)
    await t.answer(/Hosts \(comma-separated\):/, 'text:w1,w2', ENTER)
    await t.answer(/ssh client config file/, `text:${hosts.sshConfig}`, ENTER)
    await t.answer(/Login user/, ENTER)
    await t.answer(/Run the changes through sudo -n/, 'text:y', ENTER)
    const found = await t.answer(/Which engines should use the mirrors\?/, ENTER)
    expect(found).toMatch(/w1: .*docker.*registries\.conf|w1: podman.*docker/)
    await t.answer(/Which registries should be pulled through a mirror\?/, ENTER)
    await t.answer(/What should serve docker\.io pulls\?/, DOWN, DOWN, ENTER)
    await t.answer(/Pull-through cache address for docker\.io/, `text:${mirror.host}`, ENTER)
    await t.answer(/How does .* serve\?/, DOWN, ENTER)
    const plan = await t.answer(/Apply these changes to 2 hosts\?/, 'text:y', ENTER)
    expect(plan).toMatch(/== w1/)
    expect(plan).toMatch(/== w2/)
    const save = await t.answer(/Save the spec \(for apply --spec\) as:/, 'text:' + specFile, ENTER)
    expect(save).toMatch(/2 hosts: 2 changed, 0 unchanged, 0 failed/)
    expect(await t.waitExit()).toBe(0)
    expect(t.screen()).toContain(`mirrorctl apply --spec ${specFile} --hosts w1,w2 --ssh-config ${hosts.sshConfig} --become --yes`)
    for (const h of hosts.hosts) {
      const eff = await effectiveMirrors(treeHost(h.hostDir))
      expect(eff.rejected, h.name).toBeNull()
      expect(eff.podman[0], h.name).toEqual({reference: `${mirror.host}/library/alpine:latest`, insecure: true})
      expect(eff.docker, h.name).toEqual([`http://${mirror.host}`])
      expect(h.readFile('/etc/containers/registries.conf'), h.name).toContain('# and CRI-O, in the layout a distribution ships by default.')
    }
    expect(existsSync(specFile)).toBe(true)
  })

  test('Ctrl-C during the apply: the host already changed is listed, the other is left old or new, no spec file', async () => {
    const fedora = readFileSync(path.join(STARTS, 'fedora/etc/containers/registries.conf'), 'utf8')
    for (const h of hosts.hosts) {
      h.writeFile('/etc/containers/registries.conf', fedora)
      h.removeFile('/etc/docker/daemon.json')
    }
    // w2's apply waits for the host lock, held here, so Ctrl-C lands while w2 is being written.
    const lockFile = hosts.host('w2').path('/run/lock/mirrorctl.lock')
    const holder = spawn('flock', [lockFile, 'sleep', '600'], {detached: true, stdio: 'ignore'})
    try {
      const deadline = Date.now() + 30_000
      while (spawnSync('flock', ['-n', lockFile, 'true']).status === 0) {
        if (Date.now() > deadline) throw new Error('the test could not take the lock of w2')
        await new Promise((r) => setTimeout(r, 50))
      }
      const cwd = mkdtempSync(path.join(work, 'cwd-'))
      const t = terminal(['--hosts', 'w1,w2', '--ssh-config', hosts.sshConfig, '--become'], cwd)
      await t.answer(/Which engines should use the mirrors\?/, ENTER)
      await t.answer(/Which registries should be pulled through a mirror\?/, ENTER)
      await t.answer(/What should serve docker\.io pulls\?/, DOWN, DOWN, ENTER)
      await t.answer(/Pull-through cache address for docker\.io/, `text:${mirror.host}`, ENTER)
      await t.answer(/How does .* serve\?/, DOWN, ENTER)
      await t.answer(/Apply these changes to 2 hosts\?/, 'text:y', ENTER)
      // Once in the plan, once more when the apply wrote it.
      await t.waitFor(/\] w1: changed[\s\S]*\] w1: changed/)
      t.keys('C-c')
      expect(await t.waitExit()).toBe(130)
      const screen = t.screen()
      expect(screen).toMatch(/^w1\s+changed\s+\/etc\/containers\/registries\.conf/m)
      expect(screen).toMatch(/^w2\s+failed\s+cancelled/m)
      expect(screen).toMatch(/setup cancelled: the hosts listed as changed above were changed/)
      expect(existsSync(path.join(cwd, 'mirrorctl-spec.toml'))).toBe(false)
      const w1 = await effectiveMirrors(treeHost(hosts.host('w1').hostDir))
      expect(w1.podman[0]).toEqual({reference: `${mirror.host}/library/alpine:latest`, insecure: true})
      const w2 = hosts.host('w2').readFile('/etc/containers/registries.conf')
      expect([fedora, hosts.host('w1').readFile('/etc/containers/registries.conf')]).toContain(w2)
    } finally {
      process.kill(-holder.pid!, 'SIGTERM')
    }
  })

  test('invalid answers and an unreachable mirror get a message and a new prompt; Ctrl-C at the confirmation writes nothing', async () => {
    const root = copyStart('mixed', path.join(work, 'tree-cancel'))
    const before = snapshotTree(root)
    const closed = await freePort('127.0.0.1')
    const cwd = mkdtempSync(path.join(work, 'cwd-'))
    const t = terminal(['--root', root], cwd)
    await t.answer(/Which engines should use the mirrors\?/, ENTER)
    // docker.io stays checked; also pick "another registry or prefix…".
    await t.answer(/Which registries should be pulled through a mirror\?/, DOWN, DOWN, DOWN, DOWN, 'Space', ENTER)
    await t.answer(/Registry or prefix/, 'text:nginx', ENTER)
    await t.waitFor(/source "nginx" names no registry/)
    t.keys('C-u', 'text:quay.io/myorg', ENTER)
    await t.answer(/Add another one\?/, ENTER)
    await t.answer(/What should serve docker\.io pulls\?/, ENTER)
    await t.answer(/Mirror for docker\.io:/, 'text:http://bad host', ENTER)
    await t.waitFor(/invalid mirror "http:\/\/bad host"/)
    t.keys('C-u', `text:127.0.0.1:${closed}`, ENTER)
    await t.answer(/How does .* serve\?/, DOWN, ENTER)
    const refused = await t.answer(/\S+ does not answer as a registry\. What now\?/, ENTER)
    expect(refused).toMatch(/✘ not reachable/)
    expect(refused).toMatch(/refused/i)
    await t.answer(/Mirror for docker\.io:/, `text:${mirror.host}`, ENTER)
    await t.answer(/How does .* serve\?/, DOWN, ENTER)
    await t.answer(/What should serve quay\.io\/myorg pulls\?/, ENTER)
    const docker = await t.answer(/Mirror for quay\.io\/myorg:/, `text:${mirror.host}/quay`, ENTER)
    expect(docker).toMatch(/Docker's registry-mirrors serve docker\.io only/)
    await t.answer(/How does .* serve\?/, DOWN, ENTER)
    const plan = await t.answer(/Apply these changes to 1 host\?/, 'C-c')
    expect(plan).toMatch(/docker: keeps pulling quay\.io\/myorg directly/)
    expect(await t.waitExit()).toBe(130)
    expect(t.screen()).toMatch(/setup cancelled: nothing was written/)
    expect(t.screen()).not.toMatch(/at .*\.js:\d+/) // no stack trace
    expect(snapshotTree(root)).toEqual(before)
    expect(existsSync(path.join(cwd, 'mirrorctl-spec.toml'))).toBe(false)
  })

  test('without a terminal setup exits 2 and names the non-interactive commands; --json gives the same as JSON', async () => {
    const r = await cli(['setup'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/no terminal/)
    expect(r.stderr).toContain('mirrorctl mirror add')
    expect(r.stderr).toContain('mirrorctl apply --spec')
    const j = await cli(['setup', '--json'])
    expect(j.exitCode).toBe(2)
    const err = JSON.parse(j.stdout).error
    expect(err.message).toMatch(/no terminal/)
    expect(err.hint).toContain('mirrorctl mirror add')
    expect(err.hint).toContain('mirrorctl apply --spec')
  })
})
