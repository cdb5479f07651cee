// planHost asks for dockerd's version only when daemon.json (as found or as planned) makes it matter,
// and plans exactly as before when it does.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {planHost, specIntent, type HostIntent} from '../../../src/fleet/plan-host.js'
import {changeIntent} from '../../../src/fleet/imperative.js'
import type {ExecResult, FileInfo, Host} from '../../../src/hosts/host.js'
import type {LocalHost} from '../../../src/hosts/local-host.js'
import {parseMirrorArgument} from '../../../src/policy/mirror-policy.js'
import {parseSpec} from '../../../src/policy/spec.js'
import {treeHost} from './check-tree.js'

const made: string[] = []
afterAll(() => made.forEach((d) => rmSync(d, {recursive: true, force: true})))

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-lazyver-'))
  made.push(root)
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), {recursive: true})
    writeFileSync(path.join(root, file), text)
  }
  return root
}

/** A root login on a machine whose dockerd says `version`; counts how often it is asked. */
class DockerHost implements Host {
  asked = 0
  private readonly tree: LocalHost
  constructor(
    root: string,
    private readonly version: string | null,
  ) {
    this.tree = treeHost(root)
  }
  get name() {
    return 'node'
  }
  get env() {
    return this.tree.env
  }
  readonly isRoot = true
  readFile(p: string): Promise<string | null> {
    return this.tree.readFile(p)
  }
  stat(p: string): Promise<FileInfo | null> {
    return this.tree.stat(p)
  }
  listDir(p: string): Promise<string[] | null> {
    return this.tree.listDir(p)
  }
  applyWrites(): Promise<never> {
    throw new Error('planning writes nothing')
  }
  async exec(command: string, args: readonly string[]): Promise<ExecResult> {
    if (command === 'dockerd' && args.length === 1 && args[0] === '--version') {
      this.asked++
      return this.version ? {exitCode: 0, stdout: `Docker version ${this.version}, build abc1234\n`, stderr: ''} : {exitCode: 127, stdout: '', stderr: 'dockerd: not found'}
    }
    throw new Error(`unexpected exec: ${command} ${args.join(' ')}`)
  }
}

const SPEC = parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:5000"]\ninsecure = true\nengines = ["docker", "podman"]\n', 'spec.toml')
const PATH_SPEC = parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["https://harbor.example.com/dockerhub"]\nengines = ["docker"]\n', 'spec.toml')
const DAEMON = '/etc/docker/daemon.json'
const BENCH_START = '{\n  "log-driver": "json-file",\n  "registry-mirrors": ["https://old.example.com"]\n}\n'

async function plan(files: Record<string, string>, version: string | null, intent: HostIntent = specIntent(SPEC)) {
  const host = new DockerHost(tree(files), version)
  const result = await planHost(host, intent, {treeRoot: false}).then(
    (p) => ({ok: true as const, plan: p}),
    (error: unknown) => ({ok: false as const, error: String(error)}),
  )
  return {host, result}
}

describe('the version is not asked where it cannot matter', () => {
  test.each([
    ['registry-mirrors and log-driver (the fleet benchmark)', {[DAEMON]: BENCH_START}],
    ['no daemon.json yet', {'/usr/bin/dockerd': ''}],
    ['mirrors, insecure registries and log options', {[DAEMON]: '{"registry-mirrors": [], "insecure-registries": ["10.0.0.0/8"], "log-opts": {"max-size": "10m"}, "live-restore": true}'}],
  ])('%s', async (_, files) => {
    const old = await plan(files, '20.10.24')
    const current = await plan(files, '29.1.3')
    expect(old.host.asked).toBe(0)
    expect(current.host.asked).toBe(0)
    expect(old.result.ok && old.result.plan.writes.some((w) => w.path === DAEMON)).toBe(true)
    expect(old.result).toEqual(current.result)
  })
})

describe('the version is asked once where it matters, and decides as before', () => {
  test('a key newer than the installed Engine in the file as found: refused on 24.0, planned on 29.0', async () => {
    const files = {[DAEMON]: '{"log-format": "json", "registry-mirrors": []}'}
    const old = await plan(files, '24.0.7')
    expect(old.host.asked).toBe(1)
    expect(old.result.ok ? 'planned' : old.result.error).toMatch(/log-format.*25\.0/)
    const current = await plan(files, '29.1.3')
    expect(current.host.asked).toBe(1)
    expect(current.result.ok).toBe(true)
  })

  test('an empty daemon.json: refused by 20.10, an empty configuration for 23.0+', async () => {
    const old = await plan({[DAEMON]: ''}, '20.10.24')
    expect(old.host.asked).toBe(1)
    expect(old.result.ok ? 'planned' : old.result.error).toMatch(/empty/)
    const current = await plan({[DAEMON]: ''}, '24.0.7')
    expect(current.host.asked).toBe(1)
    expect(current.result.ok).toBe(true)
  })

  test('a spec mirror with a path: left out for Docker 24.0 with a warning, written for 25.0+', async () => {
    const old = await plan({[DAEMON]: BENCH_START}, '24.0.7', specIntent(PATH_SPEC))
    expect(old.host.asked).toBe(1)
    if (!old.result.ok) throw new Error(old.result.error)
    expect(old.result.plan.writes).toEqual([])
    expect(old.result.plan.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/left out: Docker 24\.0\.7 refuses a mirror URL with a path/)]))
    const current = await plan({[DAEMON]: BENCH_START}, '25.0.3', specIntent(PATH_SPEC))
    expect(current.host.asked).toBe(1)
    expect(current.result.ok && current.result.plan.writes.map((w) => w.content)).toEqual([expect.stringContaining('https://harbor.example.com/dockerhub')])
  })

  test('a planned change whose text needs the version (a path mirror by mirror add): asked, and refused for 24.0', async () => {
    const intent = changeIntent({action: 'add', source: 'docker.io', mirrors: [parseMirrorArgument('https://harbor.example.com/dockerhub', {source: 'docker.io'})], location: null, position: 'first'}, 'docker', false)
    const old = await plan({[DAEMON]: BENCH_START}, '24.0.7', intent)
    expect(old.host.asked).toBe(1)
    expect(old.result.ok ? 'planned' : old.result.error).toMatch(/would refuse/)
    const current = await plan({[DAEMON]: BENCH_START}, '29.1.3', intent)
    expect(current.host.asked).toBe(1)
    expect(current.result.ok).toBe(true)
  })

  test('lint warnings of the file as found name the installed Engine', async () => {
    const {host, result} = await plan({[DAEMON]: '{"registry-mirrors": [], "oom-score-adjust": -500}'}, '25.0.3')
    expect(host.asked).toBe(1)
    expect(result.ok && result.plan.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/no effect in Docker Engine 25\.0\.3/)]))
  })

  test('no dockerd to ask: planned as for the newest Engine', async () => {
    const {host, result} = await plan({[DAEMON]: '{"registry-mirrors": [], "proxies": {"no-proxy": "localhost"}}'}, null)
    expect(host.asked).toBe(1)
    expect(result.ok).toBe(true)
  })
})
