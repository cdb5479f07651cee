import {readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {applyRequest, hostResultOf} from '../../../src/fleet/apply-host.js'
import {planHost, specIntent} from '../../../src/fleet/plan-host.js'
import {parseSpec} from '../../../src/policy/spec.js'
import {copyStart, effectiveMirrors, snapshotTree, START_NAMES, STARTS, treeHost} from './check-tree.js'

const SPEC_FILE = path.resolve(import.meta.dirname, '../../../fixtures/fleet/fleet-spec.toml')
const spec = parseSpec(readFileSync(SPEC_FILE, 'utf8'), SPEC_FILE)
const made: string[] = []
afterAll(() => made.forEach((d) => rmSync(d, {recursive: true, force: true})))

async function converge(name: string) {
  const root = copyStart(name)
  made.push(root)
  const host = treeHost(root)
  const plan = await planHost(host, specIntent(spec), {treeRoot: true})
  const result = hostResultOf(name, plan, await host.applyWrites(applyRequest(plan, '/var/lib/mirrorctl/backups')))
  return {root, host, plan, result}
}

describe.each(START_NAMES)('starting from %s', (name) => {
  test('apply converges: podman and Docker pull docker.io through exactly the spec mirror; a second plan is empty', async () => {
    const {root, host, plan, result} = await converge(name)
    expect(result.status, result.reason ?? '').toBe('changed')
    expect(plan.writes.length).toBeGreaterThan(0)
    const eff = await effectiveMirrors(host)
    expect(eff.rejected).toBeNull()
    expect(eff.podman).toEqual([
      {reference: '127.0.0.1:5000/library/alpine:latest', insecure: true},
      {reference: 'docker.io/library/alpine:latest', insecure: false},
    ])
    expect(eff.docker).toEqual(['http://127.0.0.1:5000'])
    const before = snapshotTree(root)
    const again = await planHost(host, specIntent(spec), {treeRoot: true})
    expect(again.writes).toEqual([])
    const second = hostResultOf(name, again, await host.applyWrites(applyRequest(again, '/var/lib/mirrorctl/backups')))
    expect(second.status).toBe('unchanged')
    expect(snapshotTree(root)).toEqual(before)
  })
})

test('comments of a distribution file survive; new entries say mirrorctl manages them', async () => {
  const {root} = await converge('fedora')
  const original = readFileSync(path.join(STARTS, 'fedora/etc/containers/registries.conf'), 'utf8')
  const now = readFileSync(path.join(root, 'etc/containers/registries.conf'), 'utf8')
  expect(now.startsWith(original.trimEnd())).toBe(true)
  expect(now).toMatch(/mirrorctl/i)
})

test('a stale mirror is removed, and the plan shows it before anything is written', async () => {
  const root = copyStart('stale-v2')
  made.push(root)
  const plan = await planHost(treeHost(root), specIntent(spec), {treeRoot: true})
  const diff = plan.files.map((f) => f.diff).join('')
  expect(diff).toMatch(/^-location = "old-cache\.corp\.example:5000"$/m)
  expect(diff).toMatch(/^\+location = "127\.0\.0\.1:5000"$/m)
  expect(readFileSync(path.join(root, 'etc/containers/registries.conf'), 'utf8')).toBe(readFileSync(path.join(STARTS, 'stale-v2/etc/containers/registries.conf'), 'utf8'))
  expect(readFileSync(path.join(root, 'etc/containers/registries.conf'), 'utf8')).toContain('# Hand-made by the platform team')
})

test('a V1 main file is left alone and the entry goes to a drop-in (never a mixed file)', async () => {
  const {root, plan} = await converge('v1')
  expect(readFileSync(path.join(root, 'etc/containers/registries.conf'), 'utf8')).toBe(readFileSync(path.join(STARTS, 'v1/etc/containers/registries.conf'), 'utf8'))
  expect(plan.writes.map((w) => w.path)).toContain('/etc/containers/registries.conf.d/50-mirrorctl.conf')
})

test('daemon.json keeps its other keys and their layout', async () => {
  const {root} = await converge('docker')
  const now = readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8')
  expect(JSON.parse(now)).toEqual({'log-driver': 'json-file', 'log-opts': {'max-size': '10m', 'max-file': '3'}, 'registry-mirrors': ['http://127.0.0.1:5000'], 'live-restore': true})
  expect(now).toContain('    "log-opts": {"max-size": "10m", "max-file": "3"},\n')
})

test('mirrors = [] clears Docker with "registry-mirrors": [] and removes the podman mirrors', async () => {
  const root = copyStart('mixed')
  made.push(root)
  const host = treeHost(root)
  const clear = parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = []\nengines = ["docker", "podman"]\n', 'clear.toml')
  const plan = await planHost(host, specIntent(clear), {treeRoot: true})
  expect(hostResultOf('m', plan, await host.applyWrites(applyRequest(plan, null))).status).toBe('changed')
  expect(JSON.parse(readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8'))).toEqual({'registry-mirrors': [], debug: true})
  expect((await effectiveMirrors(host)).podman).toEqual([{reference: 'docker.io/library/alpine:latest', insecure: false}])
})

test('a file changed between plan and apply is not overwritten: the host fails with the reason', async () => {
  const root = copyStart('docker')
  made.push(root)
  const host = treeHost(root)
  const plan = await planHost(host, specIntent(spec), {treeRoot: true})
  const file = path.join(root, 'etc/docker/daemon.json')
  const edited = readFileSync(file, 'utf8').replace('json-file', 'journald')
  const {writeFileSync} = await import('node:fs')
  writeFileSync(file, edited)
  const result = hostResultOf('h', plan, await host.applyWrites(applyRequest(plan, null)))
  expect(result.status).toBe('failed')
  expect(result.reason).toContain('changed since it was read')
  expect(readFileSync(file, 'utf8')).toBe(edited)
})
