import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {planHost, specIntent} from '../../../src/fleet/plan-host.js'
import {SharedPlans, snapshotKey} from '../../../src/fleet/shared-plans.js'
import type {Host} from '../../../src/hosts/host.js'
import {candidateRequests} from '../../../src/hosts/gather-candidates.js'
import {gatherUntilComplete, SnapshotHost, type Gatherer} from '../../../src/hosts/snapshot-host.js'
import {emptySnapshot, type Snapshot, type SnapshotEntry} from '../../../src/hosts/snapshot.js'
import {parseSpec} from '../../../src/policy/spec.js'
import {START_NAMES, STARTS} from './check-tree.js'

/** Answers gathers from a starting tree as the host's "/" (no tools, no units), so gatherUntilComplete builds a real snapshot. */
function treeGatherer(root: string): Gatherer {
  const entry = (at: string, list: boolean): SnapshotEntry => {
    const abs = path.join(root, at)
    if (!existsSync(abs)) return {kind: 'missing', info: null, linkTarget: null}
    const st = statSync(abs)
    const info = {mode: st.mode & 0o7777, uid: 0, gid: 0, size: st.size}
    if (st.isDirectory()) return {kind: 'directory', info: {kind: 'directory', ...info}, linkTarget: null, ...(list ? {entries: readdirSync(abs).sort(), listState: 'ok' as const} : {})}
    return {kind: 'file', info: {kind: 'file', ...info}, linkTarget: null, content: readFileSync(abs), contentState: 'ok'}
  }
  return {
    name: 'tree',
    async gather(requests, options) {
      const s = emptySnapshot()
      if (options.facts) Object.assign(s, {uid: 0, env: {HOME: '/root', PATH: '/usr/bin:/bin'}})
      for (const r of requests) {
        if (r.mode === 'version') continue
        s.entries.set(r.path, entry(r.path, r.mode === 'list'))
        if (r.mode === 'list') for (const name of s.entries.get(r.path)!.entries ?? []) s.entries.set(path.posix.join(r.path, name), entry(path.posix.join(r.path, name), false))
      }
      return s
    },
  }
}

const fakeSnapshot = (text: string): Snapshot => {
  const s = emptySnapshot()
  s.uid = 0
  s.entries.set('/f', {kind: 'file', info: {kind: 'file', mode: 0o644, uid: 0, gid: 0, size: text.length}, linkTarget: null, content: Buffer.from(text), contentState: 'ok'})
  return s
}

/** A planner that reads /f and counts its calls, with the names it was called for. */
function readingPlanner<P extends {text: string | null; items: string[]}>(make: (host: Host, text: string | null) => P) {
  const names: string[] = []
  const planner = async (host: Host) => {
    names.push(host.name)
    return make(host, await host.readFile('/f'))
  }
  return {names, planner}
}

describe('SharedPlans', () => {
  it('plans equal snapshots once; every host gets its own copy', async () => {
    const {names, planner} = readingPlanner((_, text) => ({text, items: ['x']}))
    const shared = new SharedPlans(planner)
    const a = await shared.plan(new SnapshotHost('a', fakeSnapshot('one')))
    const b = await shared.plan(new SnapshotHost('b', fakeSnapshot('one')))
    expect(a).toEqual({text: 'one', items: ['x']})
    expect(b).toEqual(a)
    expect(b).not.toBe(a)
    expect(b.items).not.toBe(a.items)
    a.items.push('changed by a caller')
    expect(await shared.plan(new SnapshotHost('c', fakeSnapshot('one')))).toEqual({text: 'one', items: ['x']})
    expect(names).toHaveLength(1)
    expect(names[0]).not.toMatch(/^[abc]$/)
  })

  it('plans different snapshots separately', async () => {
    const {names, planner} = readingPlanner((_, text) => ({text, items: []}))
    const shared = new SharedPlans(planner)
    expect((await shared.plan(new SnapshotHost('a', fakeSnapshot('one')))).text).toBe('one')
    expect((await shared.plan(new SnapshotHost('b', fakeSnapshot('two')))).text).toBe('two')
    expect(names).toHaveLength(2)
  })

  it('plans a host as itself when the plan names the host, and tries sharing that snapshot only once', async () => {
    const {names, planner} = readingPlanner((host) => ({text: `on ${host.name}`, items: []}))
    const shared = new SharedPlans(planner)
    for (const name of ['a', 'b', 'c']) expect((await shared.plan(new SnapshotHost(name, fakeSnapshot('one')))).text).toBe(`on ${name}`)
    expect(names.filter((n) => n.length > 1)).toHaveLength(1)
    expect(names.filter((n) => n.length === 1)).toEqual(['a', 'b', 'c'])
  })

  it('a failing plan fails with the host’s own name, and is never shared', async () => {
    const {names, planner} = readingPlanner((host) => {
      throw new Error(`nothing to do on ${host.name}`)
    })
    const shared = new SharedPlans(planner)
    await expect(shared.plan(new SnapshotHost('a', fakeSnapshot('one')))).rejects.toThrow('nothing to do on a')
    await expect(shared.plan(new SnapshotHost('b', fakeSnapshot('one')))).rejects.toThrow('nothing to do on b')
    expect(names.filter((n) => n === 'a' || n === 'b')).toEqual(['a', 'b'])
    expect(names).toHaveLength(3)
  })

  it('reads the snapshot lacks are recorded on the host itself, so the next gather asks for them', async () => {
    const planner = async (host: Host) => ({text: await host.readFile('/not/gathered'), items: []})
    const shared = new SharedPlans(planner)
    const host = new SnapshotHost('a', fakeSnapshot('one'))
    await shared.plan(host)
    expect(host.missedRequests()).toEqual([{path: '/not/gathered', mode: 'read'}])
  })

  it('compares the environment by what planning read of it', async () => {
    const withEnv = (env: Record<string, string>) => Object.assign(fakeSnapshot('one'), {env})
    const {names, planner} = readingPlanner((host) => ({text: host.env.HTTPS_PROXY ?? null, items: ['NO_PROXY' in host.env ? 'has' : 'lacks']}))
    const shared = new SharedPlans(planner)
    const plan = (name: string, env: Record<string, string>) => shared.plan(new SnapshotHost(name, withEnv(env)))
    expect(await plan('a', {HTTPS_PROXY: 'http://p:1', SSH_CONNECTION: '127.0.0.1 40001 127.0.0.1 22'})).toEqual({text: 'http://p:1', items: ['lacks']})
    expect(await plan('b', {HTTPS_PROXY: 'http://p:1', SSH_CONNECTION: '127.0.0.1 40002 127.0.0.1 22'})).toEqual({text: 'http://p:1', items: ['lacks']})
    expect(names).toHaveLength(1)
    expect(await plan('c', {HTTPS_PROXY: 'http://p:2'})).toEqual({text: 'http://p:2', items: ['lacks']})
    expect(await plan('d', {HTTPS_PROXY: 'http://p:1', NO_PROXY: ''})).toEqual({text: 'http://p:1', items: ['has']})
    expect(await plan('e', {HTTPS_PROXY: 'http://p:2', SSH_CONNECTION: 'x'})).toEqual({text: 'http://p:2', items: ['lacks']})
    expect(names).toHaveLength(3)
  })

  it('a planning that lists the environment shares only with hosts of the same environment', async () => {
    const withEnv = (env: Record<string, string>) => Object.assign(fakeSnapshot('one'), {env})
    const {names, planner} = readingPlanner((host) => ({text: Object.keys(host.env).join(','), items: []}))
    const shared = new SharedPlans(planner)
    expect((await shared.plan(new SnapshotHost('a', withEnv({A: '1'})))).text).toBe('A')
    expect((await shared.plan(new SnapshotHost('b', withEnv({A: '1'})))).text).toBe('A')
    expect((await shared.plan(new SnapshotHost('c', withEnv({A: '1', B: '2'})))).text).toBe('A,B')
    expect(names).toHaveLength(2)
  })

  it('a plan that holds the environment object itself is not shared', async () => {
    const {names, planner} = readingPlanner((host) => ({text: null, items: [], env: host.env}))
    const shared = new SharedPlans(planner)
    for (const name of ['a', 'b']) expect((await shared.plan(new SnapshotHost(name, Object.assign(fakeSnapshot('one'), {env: {A: name}})))).env).toEqual({A: name})
    expect(names.filter((n) => n.length === 1)).toEqual(['a', 'b'])
  })

  it('a host that is not a snapshot is planned directly', async () => {
    const seen: string[] = []
    const shared = new SharedPlans(async (host: Host) => seen.push(host.name))
    const local = {name: 'localhost'} as Host
    await shared.plan(local)
    await shared.plan(local)
    expect(seen).toEqual(['localhost', 'localhost'])
  })

  it('the key tells apart content, metadata, facts, and undefined from null; the environment is compared apart', () => {
    const base = snapshotKey(fakeSnapshot('one'))
    expect(snapshotKey(fakeSnapshot('one'))).toBe(base)
    expect(snapshotKey(fakeSnapshot('onE'))).not.toBe(base)
    const moded = fakeSnapshot('one')
    moded.entries.get('/f')!.info!.mode = 0o600
    expect(snapshotKey(moded)).not.toBe(base)
    const env = fakeSnapshot('one')
    env.env = {HTTPS_PROXY: 'http://p:3128'}
    expect(snapshotKey(env)).toBe(base)
    const version = fakeSnapshot('one')
    version.versions = {dockerd: {exitCode: 0, output: 'Docker version 24.0.7'}}
    expect(snapshotKey(version)).not.toBe(base)
    const special = fakeSnapshot('one')
    ;(special.entries.get('/f') as {special?: string | null}).special = null
    expect(snapshotKey(special)).not.toBe(base)
  })
})

describe('SharedPlans with the fleet planner', () => {
  const SPEC_FILE = path.resolve(import.meta.dirname, '../../../fixtures/fleet/fleet-spec.toml')
  const spec = parseSpec(readFileSync(SPEC_FILE, 'utf8'), SPEC_FILE)

  it.each(START_NAMES)('starting from %s: each host gets what planning it alone gives', async (name) => {
    const planner = (host: Host) => planHost(host, specIntent(spec), {treeRoot: false})
    const gathered = await gatherUntilComplete(treeGatherer(path.join(STARTS, name)), planner, {initial: candidateRequests()})
    const {snapshot} = gathered.host
    const alone = gathered.result
    expect(alone.writes.length).toBeGreaterThan(0)
    let plannings = 0
    const shared = new SharedPlans((host) => (plannings++, planner(host)))
    for (const host of ['web1', 'web2', 'web3']) expect(await shared.plan(new SnapshotHost(host, snapshot))).toEqual(alone)
    expect(plannings).toBe(1)
  })
})
