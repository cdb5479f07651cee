import {mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, expect, test} from 'vitest'
import {changeIntent} from '../../../src/fleet/imperative.js'
import {OverlayHost} from '../../../src/fleet/overlay-host.js'
import {LocalHost} from '../../../src/hosts/local-host.js'
import {parseMirrorArgument, type MirrorChange} from '../../../src/policy/mirror-policy.js'

const root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-overlay-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))
mkdirSync(path.join(root, 'etc/containers/registries.conf.d'), {recursive: true})
writeFileSync(path.join(root, 'etc/containers/registries.conf.d/10-a.conf'), 'a\n')

test('writes land in memory; later reads, stats and listings see them; the base is untouched', async () => {
  const base = new LocalHost(root, {PATH: process.env.PATH})
  const o = new OverlayHost(base)
  o.put('/etc/containers/registries.conf.d/50-new.conf', 'new\n', 0o600)
  o.put('/etc/containers/registries.conf.d/10-a.conf', 'changed\n')
  expect(await o.readFile('/etc/containers/registries.conf.d/50-new.conf')).toBe('new\n')
  expect(await o.readFile('/etc/containers/registries.conf.d/10-a.conf')).toBe('changed\n')
  expect(await o.listDir('/etc/containers/registries.conf.d')).toEqual(['10-a.conf', '50-new.conf'])
  expect(await o.stat('/etc/containers/registries.conf.d/50-new.conf')).toMatchObject({kind: 'file', mode: 0o600, size: 4})
  expect(await o.listDir('/etc/docker')).toBeNull()
  o.put('/etc/docker/daemon.json', '{}\n')
  expect(await o.listDir('/etc/docker')).toEqual(['daemon.json'])
  expect(readdirSync(path.join(root, 'etc/containers/registries.conf.d'))).toEqual(['10-a.conf'])
  expect(await base.readFile('/etc/containers/registries.conf.d/10-a.conf')).toBe('a\n')
  expect(o.entries().map(([p, e]) => [p, e.text])).toEqual([
    ['/etc/containers/registries.conf.d/50-new.conf', 'new\n'],
    ['/etc/containers/registries.conf.d/10-a.conf', 'changed\n'],
    ['/etc/docker/daemon.json', '{}\n'],
  ])
})

test('applyWrites on the overlay compares like a host and records', async () => {
  const o = new OverlayHost(new LocalHost(root, {PATH: process.env.PATH}))
  const conflict = await o.applyWrites({writes: [{path: '/etc/containers/registries.conf.d/10-a.conf', expect: 'other\n', content: 'x', mode: 0o644}], backupDir: null, keep: 5})
  expect(conflict.files[0]!.status).toBe('conflict')
  const ok = await o.applyWrites({writes: [{path: '/etc/containers/registries.conf.d/10-a.conf', expect: 'a\n', content: 'x', mode: 0o644}], backupDir: null, keep: 5})
  expect(ok.files[0]!.status).toBe('written')
  expect(await o.readFile('/etc/containers/registries.conf.d/10-a.conf')).toBe('x')
})

test('an imperative change goes to --engine, else to the engines found', () => {
  const change: MirrorChange = {action: 'add', source: 'docker.io', mirrors: [parseMirrorArgument('m.example.com')], location: null, position: 'first'}
  expect(changeIntent(change, undefined, false).runs(['podman'], null).runs).toEqual([{change, engines: ['podman'], explicit: false}])
  expect(changeIntent(change, 'all', false).runs([], null).runs).toEqual([{change, engines: ['podman', 'docker'], explicit: true}])
  expect(changeIntent(change, 'docker', false).needsDockerVersion([])).toBe(true)
  expect(() => changeIntent(change, undefined, false).runs([], null)).toThrow('no container engine detected')
})
