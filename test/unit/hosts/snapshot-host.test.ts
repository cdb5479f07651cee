import {execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {MAX_CONFIG_BYTES} from '../../../src/core/limits.js'
import {detectDockerVersion, detectEngines, loadDaemonJson, locateDaemonJson} from '../../../src/engines/docker-engine.js'
import {loadEngineProxyConfig} from '../../../src/engines/engine-proxy.js'
import {locateRegistriesConf, readRegistriesConf} from '../../../src/engines/registries-conf-files.js'
import {candidateRequests} from '../../../src/hosts/gather-candidates.js'
import {decodeGatherOutput} from '../../../src/hosts/gather-decode.js'
import {encodeGatherRequest, GATHER_SCRIPT} from '../../../src/hosts/gather-script.js'
import type {Host} from '../../../src/hosts/host.js'
import {LocalHost} from '../../../src/hosts/local-host.js'
import {gatherUntilComplete, IncompleteGatherError, SnapshotHost, type Gatherer} from '../../../src/hosts/snapshot-host.js'
import {emptySnapshot, mergeSnapshots, type GatherRequest} from '../../../src/hosts/snapshot.js'

/** The real gather script through /bin/sh on this machine, counting round trips. */
function localGatherer(env: Record<string, string>): Gatherer & {calls: GatherRequest[][]} {
  const calls: GatherRequest[][] = []
  return {
    name: 'local-test',
    calls,
    async gather(requests, options) {
      calls.push([...requests])
      const r = await execa('/bin/sh', ['-c', GATHER_SCRIPT], {input: encodeGatherRequest(requests, options), env, extendEnv: false, encoding: 'buffer'})
      return decodeGatherOutput(Buffer.from(r.stdout), requests, {home: options.home})
    },
  }
}

let root: string
let env: Record<string, string>
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-snapshot-'))
  const home = path.join(root, 'home')
  mkdirSync(path.join(home, '.config/containers/registries.conf.d'), {recursive: true})
  mkdirSync(path.join(root, 'etc'), {recursive: true})
  writeFileSync(path.join(root, 'etc/registries.conf'), '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n')
  writeFileSync(path.join(home, '.config/containers/registries.conf.d/50-a.conf'), '# a\n')
  writeFileSync(path.join(home, '.config/containers/registries.conf.d/60 odd name.conf'), '# b\n')
  mkdirSync(path.join(home, '.config/containers/registries.conf.d/70-dir.conf'))
  writeFileSync(path.join(root, 'etc/daemon.json'), '{"registry-mirrors": ["https://m.example"]}\n', {mode: 0o600})
  writeFileSync(path.join(root, 'big.conf'), Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x61))
  execFileSync('mkfifo', [path.join(root, 'fifo')])
  symlinkSync('etc/registries.conf', path.join(root, 'link.conf'))
  writeFileSync(path.join(root, 'etc/latin1.conf'), Buffer.from('a = "\xe9"\n', 'latin1'))
  env = {PATH: '/usr/bin:/bin', HOME: home, CONTAINERS_REGISTRIES_CONF: path.join(root, 'etc/registries.conf'), HTTPS_PROXY: 'http://proxy.corp:3128'}
})
afterAll(() => rmSync(root, {recursive: true, force: true}))

async function snapshotOf(requests: GatherRequest[]) {
  return localGatherer(env).gather(requests, {facts: true})
}

describe('SnapshotHost reads', () => {
  it('answers like LocalHost: files, folders, missing, EISDIR, EFBIG, non-regular files', async () => {
    const snap = await snapshotOf([
      {path: path.join(root, 'etc'), mode: 'list'},
      {path: path.join(root, 'big.conf'), mode: 'read'},
      {path: path.join(root, 'fifo'), mode: 'read'},
      {path: path.join(root, 'link.conf'), mode: 'read'},
    ])
    const host = new SnapshotHost('h', snap)
    const local = new LocalHost(undefined, env)
    const file = path.join(root, 'etc/registries.conf')
    expect(await host.readFile(file)).toBe(await local.readFile(file))
    expect(await host.stat(file)).toEqual(await local.stat(file))
    expect(await host.stat(path.join(root, 'etc/daemon.json'))).toEqual(await local.stat(path.join(root, 'etc/daemon.json')))
    expect(await host.listDir(path.join(root, 'etc'))).toEqual(await local.listDir(path.join(root, 'etc')))
    expect(await host.readFile(path.join(root, 'link.conf'))).toBe(await local.readFile(path.join(root, 'link.conf')))
    expect(await host.readFile(path.join(root, 'etc/nope.conf'))).toBeNull()
    expect(await host.listDir(file)).toBeNull() // not a folder, like LocalHost (ENOTDIR)
    await expect(host.readFile(path.join(root, 'etc'))).rejects.toMatchObject({code: 'ENOTREG', kind: 'a folder'})
    await expect(host.readFile(path.join(root, 'big.conf'))).rejects.toMatchObject({code: 'EFBIG'})
    await expect(local.readFile(path.join(root, 'big.conf'))).rejects.toMatchObject({code: 'EFBIG'})
    await expect(host.readFile(path.join(root, 'fifo'))).rejects.toMatchObject({code: 'ENOTREG', kind: 'a FIFO'})
    await expect(local.readFile(path.join(root, 'fifo'))).rejects.toMatchObject({code: 'ENOTREG', kind: 'a FIFO'})
    expect((await host.stat(path.join(root, 'fifo')))?.kind).toBe('other')
    await expect(host.readFile('relative')).rejects.toThrow(/absolute/)
    await expect(host.readFile(path.join(root, 'etc/latin1.conf'))).rejects.toMatchObject({name: 'InvalidUtf8Error', line: 1, column: 6})
    await expect(local.readFile(path.join(root, 'etc/latin1.conf'))).rejects.toMatchObject({name: 'InvalidUtf8Error', line: 1, column: 6})
    expect(host.missed.size).toBe(0)
    expect(host.isRoot).toBe(true)
    expect(host.env.HTTPS_PROXY).toBe('http://proxy.corp:3128')
  })

  it('settles absence from the snapshot (missing ancestor, file ancestor, listed parent) without a miss', async () => {
    const snap = await snapshotOf([
      {path: path.join(root, 'etc'), mode: 'list'},
      {path: path.join(root, 'gone'), mode: 'stat'},
    ])
    const host = new SnapshotHost('h', snap)
    expect(await host.readFile(path.join(root, 'gone/a/b.conf'))).toBeNull()
    expect(await host.stat(path.join(root, 'etc/registries.conf/x'))).toBeNull()
    expect(await host.listDir(path.join(root, 'etc/not-there.d'))).toBeNull()
    expect(host.missed.size).toBe(0)
  })

  it('records what it could not answer, by the strongest mode wanted', async () => {
    const host = new SnapshotHost('h', await snapshotOf([{path: path.join(root, 'etc/registries.conf'), mode: 'stat'}]))
    const unknown = path.join(root, 'home/x.conf')
    expect(await host.stat(unknown)).toBeNull()
    expect(await host.readFile(unknown)).toBeNull()
    expect(await host.stat(unknown)).toBeNull()
    expect(await host.readFile(path.join(root, 'etc/registries.conf'))).toBeNull() // stat'ed only
    expect(await host.listDir(path.join(root, 'home'))).toBeNull()
    expect(host.missedRequests()).toEqual([
      {path: path.join(root, 'etc/registries.conf'), mode: 'read'},
      {path: path.join(root, 'home'), mode: 'list'},
      {path: unknown, mode: 'read'},
    ])
  })

  it('marks unreadable content as EACCES', async () => {
    const snap = emptySnapshot()
    snap.entries.set('/etc/secret', {kind: 'file', info: {kind: 'file', mode: 0o600, uid: 0, gid: 0, size: 3}, linkTarget: null, contentState: 'unreadable'})
    snap.entries.set('/etc/closed', {kind: 'directory', info: {kind: 'directory', mode: 0o700, uid: 0, gid: 0, size: 0}, linkTarget: null, listState: 'unreadable'})
    const host = new SnapshotHost('h', snap)
    await expect(host.readFile('/etc/secret')).rejects.toMatchObject({code: 'EACCES'})
    await expect(host.listDir('/etc/closed')).rejects.toMatchObject({code: 'EACCES'})
  })
})

describe('SnapshotHost is read-only', () => {
  it('refuses applyWrites: changes reach the host through SshHost', async () => {
    const host = new SnapshotHost('h1', await snapshotOf([{path: path.join(root, 'etc/registries.conf'), mode: 'read'}]))
    await expect(host.applyWrites()).rejects.toThrow(/read-only/)
  })
})

describe('SnapshotHost exec', () => {
  it('answers version and unit queries from the facts; refuses anything else', async () => {
    const snap = emptySnapshot()
    snap.commands = {dockerd: '/usr/bin/dockerd', podman: null, systemctl: '/usr/bin/systemctl'}
    snap.versions = {dockerd: {exitCode: 0, output: 'Docker version 27.1.1, build cafe'}}
    snap.units = {docker: 'active', crio: 'inactive'}
    const host = new SnapshotHost('h', snap)
    expect(await detectDockerVersion(host, {treeRoot: false})).toBe('27.1.1')
    expect(await host.exec('podman', ['--version'])).toMatchObject({exitCode: 127})
    expect(await host.exec('systemctl', ['is-active', 'docker'])).toEqual({exitCode: 0, stdout: 'active\n', stderr: ''})
    expect((await host.exec('systemctl', ['is-active', 'crio'])).exitCode).toBe(3)
    await expect(host.exec('rm', ['-rf', '/'])).rejects.toThrow(/cannot be answered/)
  })
})

describe('versions on demand', () => {
  it('a version the first gather did not take is a miss, brought by one more round; absent tools cost nothing', async () => {
    const bin = path.join(root, 'version-bin')
    mkdirSync(bin, {recursive: true})
    writeFileSync(path.join(bin, 'containerd'), '#!/bin/sh\necho "containerd github.com/containerd/containerd v1.7.20 abc"\n', {mode: 0o755})
    const gatherer = localGatherer({PATH: `${bin}:/usr/bin:/bin`})
    // The first gather asks no versions (podman, skopeo, containerd --version are not started).
    const got = await gatherUntilComplete(gatherer, async (host) => (await host.exec('containerd', ['--version'])).stdout, {initial: [{path: '/nonexistent-mirrorctl', mode: 'stat'}]})
    expect(got.result).toBe('containerd github.com/containerd/containerd v1.7.20 abc')
    expect(got.rounds).toBe(2)
    expect(gatherer.calls[1]).toEqual([{path: 'containerd', mode: 'version'}])
    expect(got.host.snapshot.versions.containerd?.exitCode).toBe(0)
  })

  it('the first gather starts no Go binary: dockerd\'s version comes in a later round, only when a plan asks for it', async () => {
    expect(candidateRequests().filter((r) => r.mode === 'version')).toEqual([])
    const bin = path.join(root, 'dockerd-bin')
    mkdirSync(bin, {recursive: true})
    writeFileSync(path.join(bin, 'dockerd'), '#!/bin/sh\necho "Docker version 24.0.7, build afdd53b"\n', {mode: 0o755})
    const gatherer = localGatherer({PATH: `${bin}:/usr/bin:/bin`})
    const got = await gatherUntilComplete(gatherer, (host) => detectDockerVersion(host, {treeRoot: false}))
    expect(got).toMatchObject({result: '24.0.7', rounds: 2, complete: true})
    expect(gatherer.calls[1]).toEqual([{path: 'dockerd', mode: 'version'}])
  })

  it('refuses a version request that is not a plain command name', () => {
    expect(() => encodeGatherRequest([{path: '/usr/bin/dockerd', mode: 'version'}], {facts: false})).toThrow(/names a command/)
    expect(() => encodeGatherRequest([{path: '-x', mode: 'version'}], {facts: false})).toThrow(/names a command/)
  })
})

describe('gatherUntilComplete', () => {
  /** What the engine modules read to plan a mirror change and lint (every Host call they make). */
  async function engineView(host: Host) {
    const locations = await locateRegistriesConf(host)
    const files = await readRegistriesConf(host, locations)
    const daemon = await locateDaemonJson(host, {treeRoot: false})
    const loaded = await loadDaemonJson(host, daemon)
    const engines = await detectEngines(host, daemon.path, files.map((f) => f.path))
    // No dockerd version: the first gather takes none (see 'versions on demand').
    const docker = await loadEngineProxyConfig(host, 'docker')
    const podman = await loadEngineProxyConfig(host, 'podman')
    return {locations, files, daemon: loaded.text, engines, docker: docker.env, dockerSources: docker.sources, podman: podman.env, podmanSources: podman.sources}
  }

  it('gives the engine modules the same answers as LocalHost, re-gathering only what was missed', async () => {
    const gatherer = localGatherer(env)
    const got = await gatherUntilComplete(gatherer, engineView, {initial: candidateRequests()})
    expect(got.complete).toBe(true)
    expect(got.result).toEqual(await engineView(new LocalHost(undefined, env)))
    expect(got.result.files.map((f) => f.path).filter((p) => p.startsWith(root)).map((p) => path.basename(p))).toEqual(['registries.conf', '50-a.conf', '60 odd name.conf'])
    // CONTAINERS_REGISTRIES_CONF names a file the candidates do not list: one more round for it.
    expect(got.rounds).toBe(2)
    expect(gatherer.calls[1]).toEqual([{path: path.join(root, 'etc/registries.conf'), mode: 'read'}])
  })

  it('asks for the units in the first gather only when told (reload planning), never in later rounds', async () => {
    const seen: unknown[] = []
    const base = localGatherer(env)
    const gatherer: Gatherer = {name: 'opts', gather: (requests, options) => (seen.push({facts: options.facts, units: options.units}), base.gather(requests, options))}
    await gatherUntilComplete(gatherer, engineView, {initial: candidateRequests(), units: true})
    expect(seen).toEqual([{facts: true, units: true}, {facts: false, units: undefined}])
    seen.length = 0
    await gatherUntilComplete(gatherer, engineView, {initial: candidateRequests()})
    expect(seen[0]).toEqual({facts: true, units: undefined})
  })

  it('completes in one round trip on a host that uses the default locations', async () => {
    const plain = {PATH: '/usr/bin:/bin', HOME: path.join(root, 'home')}
    const gatherer = localGatherer(plain)
    const got = await gatherUntilComplete(gatherer, engineView, {initial: candidateRequests()})
    expect(got).toMatchObject({complete: true, rounds: 1})
    expect(got.result).toEqual(await engineView(new LocalHost(undefined, plain)))
  })

  it('stops after maxRounds and says the plan is incomplete', async () => {
    for (const n of [0, 1, 2]) writeFileSync(path.join(root, `chain-${n}`), '')
    const gatherer = localGatherer(env)
    let depth = 0
    const got = await gatherUntilComplete(
      gatherer,
      async (host) => {
        // Each round asks for a path it could not have known before: never complete.
        depth = 0
        while ((await host.stat(path.join(root, `chain-${depth}`))) !== null) depth++
        return depth
      },
      {initial: [], maxRounds: 2, allowIncomplete: true},
    )
    expect(got).toMatchObject({complete: false, rounds: 2, result: 1})
    expect(gatherer.calls).toHaveLength(2)
    // By default a plan that still misses reads is refused, naming what it missed.
    await expect(gatherUntilComplete(localGatherer(env), async (host) => host.stat(path.join(root, `chain-${gatherer.calls.length}`)), {initial: [], maxRounds: 1})).rejects.toThrow(
      new IncompleteGatherError('local-test', [{path: path.join(root, 'chain-2'), mode: 'stat'}]),
    )
  })

  it('merges gathers: later facts and entries win, content only an earlier gather had is kept', async () => {
    const file = path.join(root, 'etc/registries.conf')
    const first = await snapshotOf([{path: file, mode: 'read'}])
    const second = await localGatherer(env).gather([{path: file, mode: 'stat'}], {facts: false})
    const merged = mergeSnapshots(first, second)
    expect(merged.entries.get(file)?.content?.toString()).toContain('docker.io')
    expect(merged.uid).toBe(0)
    expect(merged.env.HOME).toBe(env.HOME)
  })
})

it('a host without permission to a file reports EACCES through the real script', async () => {
  const secret = path.join(root, 'secret.conf')
  writeFileSync(secret, 'x', {mode: 0o600})
  chmodSync(root, 0o755)
  const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', '-c', GATHER_SCRIPT], {
    input: encodeGatherRequest([{path: secret, mode: 'read'}], {facts: true}),
    env: {PATH: '/usr/bin:/bin'},
    extendEnv: false,
    encoding: 'buffer',
  })
  const host = new SnapshotHost('h', decodeGatherOutput(Buffer.from(r.stdout), [{path: secret, mode: 'read'}]))
  expect(host.isRoot).toBe(false)
  await expect(host.readFile(secret)).rejects.toMatchObject({code: 'EACCES'})
})
