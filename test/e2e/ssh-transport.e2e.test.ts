// The SSH transport against real OpenSSH servers on loopback (test/harness/sshd-hosts.ts):
// gather, one channel per host (one login and one sudo, for a whole CLI run too), host key
// policy, sudo -n, failures as per-host reasons, and APPLY_SCRIPT over ssh (lock, compare,
// atomic write, backup).
import {readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createServer, type AddressInfo} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadEngineProxyConfig} from '../../src/engines/engine-proxy.js'
import {detectDockerVersion, detectEngines, loadDaemonJson, locateDaemonJson} from '../../src/engines/docker-engine.js'
import {locateRegistriesConf, readRegistriesConf} from '../../src/engines/registries-conf-files.js'
import {planMirrorRun} from '../../src/cli/mirror-flow.js'
import {selectEngines} from '../../src/cli/engine-selection.js'
import {backupFolder} from '../../src/hosts/backup.js'
import {candidateRequests} from '../../src/hosts/gather-candidates.js'
import {parseMirrorArgument, type MirrorChange} from '../../src/policy/mirror-policy.js'
import type {Host} from '../../src/hosts/host.js'
import {SshError} from '../../src/hosts/ssh-errors.js'
import {SshControl, SshHost} from '../../src/hosts/ssh-host.js'
import {makeSshTarget, type SshTargetInput} from '../../src/hosts/ssh-target.js'
import {gatherUntilComplete} from '../../src/hosts/snapshot-host.js'
import {freePort} from '../harness/ports.js'
import {findTool} from '../harness/require-tools.js'
import {startSshHosts, type SshHosts, type TestSshHost, writeBecomeInventory} from '../harness/sshd-hosts.js'
import {makeTempDir, removeTempDir} from '../harness/temp.js'
import {cli} from '../helpers/cli.js'

const DAEMON_JSON = '{\n  "log-level": "warn",\n  "registry-mirrors": ["https://old.example"]\n}\n'
const REGISTRIES_CONF = '# distribution default\nunqualified-search-registries = ["docker.io"]\n'

describe('ssh transport', {timeout: 120_000}, () => {
  let hs: SshHosts
  let control: SshControl
  let scratch: string

  beforeAll(async () => {
    hs = await startSshHosts(8, {
      hosts: [
        {}, // h1
        {}, // h2
        {sudo: false}, // h3
        {down: true}, // h4
        {unknownHostKey: true}, // h5
        {readOnly: ['/etc/docker']}, // h6
        {fullDisk: '/etc/docker'}, // h7
        {shell: '/bin/bash'}, // h8
      ],
    })
    for (const h of hs.hosts) {
      if (h.options.readOnly || h.options.fullDisk) continue
      h.writeFile('/etc/docker/daemon.json', DAEMON_JSON)
      h.writeFile('/etc/containers/registries.conf', REGISTRIES_CONF)
      h.writeFile('/etc/containers/registries.conf.d/secret.conf', '# root only\n', 0o600)
    }
    control = await SshControl.create()
    scratch = makeTempDir('ssh-transport')
  })

  afterAll(async () => {
    await control?.close()
    await hs?.stop()
    if (scratch) removeTempDir(scratch)
  })

  const target = (name: string, extra: Partial<SshTargetInput> = {}) => makeSshTarget({name, sshConfig: hs.sshConfig, become: true, ...extra})
  const host = (name: string, extra: Partial<SshTargetInput> = {}, ctl = control) => new SshHost(target(name, extra), ctl, {timeoutMs: 30_000})
  // sudo logs each command it runs to a file of the host's own (and finds a stand-in systemctl first).
  const SUDO_LOG = '/var/log/sudo-mctl.log'
  const sudoers = (t: TestSshHost) => join(t.hostDir, 'etc/sudoers.d/zz-channel')
  const logSudo = (t: TestSshHost) =>
    writeFileSync(sudoers(t), `Defaults secure_path="/tmp/fakebin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\nDefaults:mctl logfile=${SUDO_LOG}, loglinelen=0\n`, {mode: 0o440})
  const sudos = (t: TestSshHost) => (t.readFile(SUDO_LOG) ?? '').match(/COMMAND=/g)?.length ?? 0
  const failure = async (p: Promise<unknown>): Promise<SshError> => {
    const error = await p.then(() => null, (e: unknown) => e)
    expect(error).toBeInstanceOf(SshError)
    return error as SshError
  }

  it('gathers files, folders and facts from several hosts in one round trip each', async () => {
    const dockerd = findTool('dockerd')
    const [a, b] = await Promise.all([host('h1').open(), host('h2').open()])
    for (const h of [a, b]) {
      expect(h.roundTrips).toBe(1)
      expect(h.isRoot).toBe(true)
      expect(await h.readFile('/etc/docker/daemon.json')).toBe(DAEMON_JSON)
      expect(await h.listDir('/etc/containers/registries.conf.d')).toEqual(['secret.conf'])
      expect(await h.readFile('/etc/containers/registries.conf.d/secret.conf')).toBe('# root only\n')
      expect(await h.stat('/etc/docker/daemon.json')).toEqual({kind: 'file', mode: 0o644, uid: 0, gid: 0, size: DAEMON_JSON.length})
      expect(h.snapshot.commands.flock).toMatch(/flock$/)
      // The hosts share this machine's /usr: dockerd is there exactly when it is installed here.
      // The first gather starts no Go binary: its version costs one more round trip, where it exists.
      expect(h.snapshot.versions).toEqual({})
      if (dockerd) {
        expect(h.snapshot.commands.dockerd).toMatch(/\/dockerd$/)
        expect(await h.exec('dockerd', ['--version'])).toMatchObject({exitCode: 0, stdout: expect.stringMatching(/^Docker version /)})
        expect(h.roundTrips).toBe(2)
      } else {
        expect(h.snapshot.commands.dockerd).toBeNull()
        expect(await h.exec('dockerd', ['--version'])).toMatchObject({exitCode: 127})
        expect(h.roundTrips).toBe(1)
      }
    }
  })

  it('plans with the engine modules from one gather (gatherUntilComplete)', async () => {
    const h = host('h2')
    const view = async (x: Host) => {
      const locations = await locateRegistriesConf(x)
      const daemon = await locateDaemonJson(x, {treeRoot: false})
      const files = await readRegistriesConf(x, locations)
      return {
        files: files.map((f) => f.path),
        daemon: (await loadDaemonJson(x, daemon)).text,
        engines: await detectEngines(x, daemon.path, files.map((f) => f.path)),
        version: await detectDockerVersion(x, {treeRoot: false}),
        proxy: (await loadEngineProxyConfig(x, 'docker')).sources,
      }
    }
    const got = await gatherUntilComplete(h, view, {initial: candidateRequests()})
    // dockerd's version, where this machine has one, is the only read the first gather leaves to a second.
    const machineDockerd = findTool('dockerd') !== undefined
    expect(got).toMatchObject({complete: true, rounds: machineDockerd ? 2 : 1})
    expect(h.roundTrips).toBe(machineDockerd ? 2 : 1)
    expect(got.result.version === null).toBe(!machineDockerd)
    expect(got.result.files).toEqual(['/etc/containers/registries.conf', '/etc/containers/registries.conf.d/secret.conf'])
    expect(got.result.daemon).toBe(DAEMON_JSON)
    expect(got.result.engines).toMatchObject({docker: true, podman: true})
  })

  it('a login shell that prints from its rc file does not confuse gather or apply', async () => {
    const t = hs.host('h8')
    t.writeFile('/home/mctl/.bashrc', 'echo "Welcome to h8"\necho "mirrorctl-gather 1"\necho "mirrorctl-apply-result 1"\necho "mirrorctl-apply-error eA=="\n')
    const h = await host('h8').open()
    expect(await h.readFile('/etc/docker/daemon.json')).toBe(DAEMON_JSON)
    const result = await h.applyWrites({writes: [{path: '/etc/docker/daemon.json', expect: DAEMON_JSON, content: '{}\n', mode: 0o644}], backupDir: null, keep: 1})
    expect(result.files.map((f) => f.status)).toEqual(['written'])
    expect(t.readFile('/etc/docker/daemon.json')).toBe('{}\n')
  })

  it('one ssh process, one login and one sudo per target: every later call is a request on it', async () => {
    const t = hs.host('h1')
    logSudo(t)
    const own = await SshControl.create()
    try {
      const h = host('h1', {}, own)
      const [logins, sudo] = [t.logins(), sudos(t)]
      await h.open()
      await h.gather([{path: '/etc/docker', mode: 'list'}], {facts: false})
      await host('h1', {}, own).open() // a second SshHost on the same target shares the channel too
      // A script the runner's command line lacks is sent once, then run like the others.
      for (const n of [1, 2]) expect(await h.runScript('read -r x; echo "got $x"; id -u', `line ${n}\n`)).toEqual({exitCode: 0, stdout: `got line ${n}\n0\n`, stderr: ''})
      expect(h.roundTrips).toBe(4)
      expect(own.size).toBe(1)
      expect(t.logins() - logins).toBe(1)
      expect(sudos(t) - sudo).toBe(1)
    } finally {
      await own.close()
      rmSync(sudoers(t))
    }
  })

  it('past its limit of open channels a control ends the least recently used idle one; the next call logs in again', async () => {
    const own = await SshControl.create({maxOpenChannels: 1})
    try {
      const [t1, t2] = [hs.host('h1'), hs.host('h2')]
      const before = [t1.logins(), t2.logins()]
      const [a, b] = [host('h1', {}, own), host('h2', {}, own)]
      await a.open()
      await a.runScript('true', '')
      await b.open() // h1's channel is idle: ended
      await a.open() // a new one for h1; h2's is ended
      expect([t1.logins() - before[0]!, t2.logins() - before[1]!]).toEqual([2, 1])
    } finally {
      await own.close()
    }
  })

  it('a script that fails is that request\'s answer; the channel goes on', async () => {
    const h = host('h2')
    expect(await h.runScript('echo partial; echo "why" >&2; exit 5', '')).toEqual({exitCode: 5, stdout: 'partial\n', stderr: 'why\n'})
    expect((await h.open()).isRoot).toBe(true)
  })

  it('a call past its timeout fails the host (the channel is ended), later calls too', async () => {
    const own = await SshControl.create()
    try {
      const h = new SshHost(target('h2'), own, {timeoutMs: 1_500})
      const e = await failure(h.runScript('sleep 20', ''))
      expect(e).toMatchObject({host: 'h2', kind: 'timeout'})
      expect((await failure(h.open())).kind).toBe('timeout')
    } finally {
      await own.close()
    }
  })

  it('without become: the login user, its HOME, and files it cannot read marked as such', async () => {
    const h = await host('h1', {become: false}).open()
    expect(h.isRoot).toBe(false)
    expect(h.snapshot.uid).toBe(2001)
    expect(h.env.HOME).toBe('/home/mctl')
    expect(await h.readFile('/etc/docker/daemon.json')).toBe(DAEMON_JSON)
    await expect(h.readFile('/etc/containers/registries.conf.d/secret.conf')).rejects.toMatchObject({code: 'EACCES'})
    expect(h.lockPath()).toBe('/home/mctl/.local/state/mirrorctl/mirrorctl.lock')
  })

  it('become fails cleanly for a login that cannot sudo', async () => {
    const e = await failure(host('h3').open())
    expect(e.kind).toBe('sudo-password')
    expect(e.message).toMatch(/^h3: sudo needs a password/)
    // The same login without become works.
    expect((await host('h3', {become: false}).open()).isRoot).toBe(false)
  })

  it('a host that is down is a per-host error, not a crash', async () => {
    const e = await failure(host('h4').open())
    expect(e).toMatchObject({host: 'h4', kind: 'connection-refused'})
  })

  it('a host that accepts the connection but never answers times out (ConnectTimeout)', async () => {
    const silent = createServer(() => {}) // accepts, never sends a banner
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const port = (silent.address() as AddressInfo).port
      const h = new SshHost(makeSshTarget({name: 'silent', hostname: '127.0.0.1', port, connectTimeoutSeconds: 1, sshConfig: hs.sshConfig}), control)
      const e = await failure(h.open())
      expect(e).toMatchObject({host: 'silent', kind: 'timeout'})
    } finally {
      silent.close()
    }
  })

  it('refuses an unknown host key by default and accepts it only with accept-new', async () => {
    const known = join(scratch, 'known_hosts-h5')
    writeFileSync(known, '')
    const e = await failure(host('h5', {sshArgs: ['-o', `UserKnownHostsFile=${known}`]}).open())
    expect(e.kind).toBe('unknown-host-key')
    expect(e.reason).toMatch(/--accept-new-host-keys/)
    const h = await host('h5', {sshArgs: ['-o', `UserKnownHostsFile=${known}`], acceptNewHostKeys: true}).open()
    expect(h.isRoot).toBe(true)
    expect(readFileSync(known, 'utf8')).toContain(hs.host('h5').knownHostsLine().split(' ')[2])
  })

  it('refuses a changed host key, even with accept-new', async () => {
    const known = join(scratch, 'known_hosts-wrong')
    // h2's key recorded for h1's address: what a man in the middle would present.
    const otherKey = hs.host('h2').knownHostsLine().split(' ').slice(1).join(' ')
    writeFileSync(known, `[127.0.0.1]:${hs.host('h1').port} ${otherKey}\n`)
    // A control of its own (its channels are keyed by every connection option anyway).
    const own = await SshControl.create()
    try {
      for (const acceptNewHostKeys of [false, true]) {
        const e = await failure(host('h1', {sshArgs: ['-o', `UserKnownHostsFile=${known}`], acceptNewHostKeys}, own).open())
        expect(e.kind).toBe('host-key-changed')
      }
    } finally {
      await own.close()
    }
  })

  it('a wrong key for the user is an authentication failure', async () => {
    const e = await failure(host('h2', {user: 'nosuchuser'}).open())
    expect(e.kind).toBe('auth-failed')
  })

  it('a real mirror change: planned on the snapshot (1 round trip), written by applyWrites (1 more), then converged', async () => {
    const t = hs.host('h1')
    t.writeFile('/etc/docker/daemon.json', DAEMON_JSON)
    t.writeFile('/etc/containers/registries.conf', REGISTRIES_CONF)
    const h = host('h1')
    const change: MirrorChange = {action: 'add', source: 'docker.io', mirrors: [parseMirrorArgument('127.0.0.1:5000', {insecure: true})], location: null, position: 'first'}
    const plan = async (view: Host) => planMirrorRun(view, change, {engines: await selectEngines(view, {}), dockerVersion: null})
    const first = await gatherUntilComplete(h, plan)
    expect(first).toMatchObject({complete: true, rounds: 1})
    expect(first.result.writes.map((w) => w.path).sort()).toEqual(['/etc/containers/registries.conf', '/etc/docker/daemon.json'])
    const applied = await h.applyWrites({
      writes: first.result.writes.map((w) => ({path: w.path, expect: w.before, content: w.after, mode: 0o644})),
      backupDir: backupFolder(h, true),
      keep: 5,
    })
    expect(applied.files.map((f) => f.status)).toEqual(['written', 'written'])
    expect(h.roundTrips).toBe(2)
    for (const w of first.result.writes) expect(t.readFile(w.path)).toBe(w.after)
    expect(t.readFile('/etc/docker/daemon.json')).toContain('"http://127.0.0.1:5000"')
    expect(t.readFile('/etc/containers/registries.conf')).toContain('# distribution default')
    const again = await gatherUntilComplete(host('h1'), plan)
    expect(again.result.writes).toEqual([])
  })

  describe('applyWrites over ssh', () => {
    it('writes atomically under the host lock, keeps the mode, backs up, and updates the snapshot', async () => {
      const t = hs.host('h1')
      t.writeFile('/etc/docker/daemon.json', DAEMON_JSON, 0o640)
      const h = await host('h1').open()
      const next = DAEMON_JSON.replace('old.example', 'new.example')
      const dropIn = `/etc/containers/registries.conf.d/50-mirrorctl $(touch pwned);'.conf`
      const result = await h.applyWrites({
        writes: [
          {path: '/etc/docker/daemon.json', expect: DAEMON_JSON, content: next, mode: 0o644},
          {path: dropIn, expect: null, content: '# managed by mirrorctl\n', mode: 0o644},
        ],
        backupDir: '/var/lib/mirrorctl/backups',
        keep: 5,
      })
      expect(result.lock).toBe('flock')
      expect(result.files.map((f) => f.status)).toEqual(['written', 'written'])
      expect(t.readFile('/etc/docker/daemon.json')).toBe(next)
      expect(statSync(t.path('/etc/docker/daemon.json')).mode & 0o777).toBe(0o640)
      expect(t.readFile(dropIn)).toBe('# managed by mirrorctl\n')
      expect(readdirSync(t.path('/tmp')).filter((n) => n === 'pwned')).toEqual([])
      expect(readdirSync(t.path('/etc/docker'))).toEqual(['daemon.json'])
      const backup = result.files[0]!.backup!
      expect(backup).toMatch(/^\/var\/lib\/mirrorctl\/backups\//)
      expect(readFileSync(join(t.hostDir, backup), 'utf8')).toBe(DAEMON_JSON)
      expect(await h.readFile('/etc/docker/daemon.json')).toBe(next)
      expect(h.roundTrips).toBe(2)
    })

    it('a file changed since the gather is not overwritten (conflict), and nothing of the request is written', async () => {
      const t = hs.host('h2')
      const h = await host('h2').open()
      t.writeFile('/etc/docker/daemon.json', '{"changed": "by hand"}\n')
      const result = await h.applyWrites({
        writes: [
          {path: '/etc/containers/registries.conf', expect: REGISTRIES_CONF, content: REGISTRIES_CONF + '# x\n', mode: 0o644},
          {path: '/etc/docker/daemon.json', expect: DAEMON_JSON, content: '{}\n', mode: 0o644},
        ],
        backupDir: '/var/lib/mirrorctl/backups',
        keep: 5,
      })
      expect(result.files.map((f) => f.status)).toEqual(['skipped', 'conflict'])
      expect(t.readFile('/etc/docker/daemon.json')).toBe('{"changed": "by hand"}\n')
      expect(t.readFile('/etc/containers/registries.conf')).toBe(REGISTRIES_CONF)
      t.writeFile('/etc/docker/daemon.json', DAEMON_JSON)
    })

    it('two applies at once on one host never interleave: one writes, the other sees a conflict', async () => {
      const t = hs.host('h2')
      const [a, b] = await Promise.all([host('h2').open(), host('h2').open()])
      const request = (mirror: string) => ({
        writes: [
          {path: '/etc/docker/daemon.json', expect: DAEMON_JSON, content: DAEMON_JSON.replace('old.example', mirror), mode: 0o644},
          {path: '/etc/containers/registries.conf', expect: REGISTRIES_CONF, content: `${REGISTRIES_CONF}# ${mirror}\n`, mode: 0o644},
        ],
        backupDir: '/var/lib/mirrorctl/backups',
        keep: 5,
      })
      const [ra, rb] = await Promise.all([a.applyWrites(request('a.example')), b.applyWrites(request('b.example'))])
      const statuses = [ra, rb].map((r) => r.files.map((f) => f.status).join(','))
      expect(statuses.sort()).toEqual(['conflict,conflict', 'written,written'])
      const winner = ra.files[0]!.status === 'written' ? 'a.example' : 'b.example'
      expect(t.readFile('/etc/docker/daemon.json')).toBe(DAEMON_JSON.replace('old.example', winner))
      expect(t.readFile('/etc/containers/registries.conf')).toBe(`${REGISTRIES_CONF}# ${winner}\n`)
    })

    it('a read-only /etc/docker fails that host with EROFS and leaves every file as it was', async () => {
      const t = hs.host('h6')
      const h = await host('h6').open()
      expect(await h.readFile('/etc/docker/daemon.json')).toBeNull()
      const result = await h.applyWrites({
        writes: [
          {path: '/etc/containers/registries.conf.d/50-mirrorctl.conf', expect: null, content: '# new\n', mode: 0o644},
          {path: '/etc/docker/daemon.json', expect: null, content: '{}\n', mode: 0o644},
        ],
        backupDir: '/var/lib/mirrorctl/backups',
        keep: 5,
      })
      expect(result.files.map((f) => f.status)).toEqual(['skipped', 'failed'])
      expect(result.files[1]!.reason).toMatch(/Read-only file system/)
      expect(t.readFile('/etc/containers/registries.conf.d/50-mirrorctl.conf')).toBeNull()
      expect(readdirSync(t.path('/etc/docker'))).toEqual([])
    })

    it('a full disk fails that host with ENOSPC; the old file stays whole, no temp file is left', async () => {
      const t = hs.host('h7')
      t.writeFile('/etc/docker/daemon.json', DAEMON_JSON)
      const h = await host('h7').open()
      const result = await h.applyWrites({
        writes: [{path: '/etc/docker/daemon.json', expect: DAEMON_JSON, content: DAEMON_JSON.replace('old.example', 'x'.repeat(8192)), mode: 0o644}],
        backupDir: '/var/lib/mirrorctl/backups',
        keep: 5,
      })
      expect(result.files[0]).toMatchObject({status: 'failed'})
      expect(result.files[0]!.reason).toMatch(/No space left on device/)
      expect(t.readFile('/etc/docker/daemon.json')).toBe(DAEMON_JSON)
      expect(readdirSync(t.path('/etc/docker')).filter((n) => !n.startsWith('.mirrorctl-test-fill'))).toEqual(['daemon.json'])
    })
  })

  it('a whole apply --reload --verify run costs each host one login and one sudo (gather, write, reload, verify, roll back)', async () => {
    const ts = [hs.host('h1'), hs.host('h2')]
    const dead = await freePort('127.0.0.1')
    const spec = join(scratch, 'dead-mirror.toml')
    writeFileSync(spec, `[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:${dead}"]\ninsecure = true\nengines = ["docker"]\n`)
    const inventory = join(scratch, 'hosts.ini')
    writeBecomeInventory(inventory, 'fleet', ts.map((t) => t.name))
    try {
      for (const t of ts) {
        t.writeFile('/etc/docker/daemon.json', DAEMON_JSON)
        // systemctl stand-in: logs what it is asked; every unit is active, so the change is reloaded.
        t.writeFile('/tmp/fakebin/systemctl', '#!/bin/sh\necho "$*" >> /tmp/fakebin/calls\ncase $1 in is-active) shift; [ "$1" = --quiet ] || for u; do echo active; done ;; esac\n', 0o755)
        logSudo(t)
      }
      const before = ts.map((t) => ({logins: t.logins(), sudos: sudos(t)}))
      const r = await cli(['apply', '--spec', spec, '--inventory', inventory, '--ssh-config', hs.sshConfig, '--reload', '--verify', '--yes', '--json'])
      const hosts = (JSON.parse(r.stdout) as {hosts: {status: string; reason: string | null}[]}).hosts
      expect(hosts.map((h) => h.status), r.stderr + r.stdout).toEqual(['rolled-back', 'rolled-back'])
      for (const [i, t] of ts.entries()) {
        expect(hosts[i]!.reason).toMatch(/^verify failed: .*; restored the previous files/)
        expect(t.readFile('/etc/docker/daemon.json')).toBe(DAEMON_JSON)
        expect(t.readFile('/tmp/fakebin/calls')).toMatch(/^reload docker$/m)
        expect(t.logins() - before[i]!.logins).toBe(1)
        expect(sudos(t) - before[i]!.sudos).toBe(1)
      }
    } finally {
      for (const t of ts) {
        rmSync(sudoers(t))
        rmSync(t.path('/tmp/fakebin'), {recursive: true, force: true})
      }
    }
  })
})
