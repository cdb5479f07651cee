import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {newestVersion, planRollback, slotFile} from '../../../src/fleet/rollback.js'
import {backupSlotName} from '../../../src/hosts/backup.js'
import {candidateRequests} from '../../../src/hosts/gather-candidates.js'
import {LocalHost} from '../../../src/hosts/local-host.js'

const roots: string[] = []
afterAll(() => {
  for (const r of roots) rmSync(r, {recursive: true, force: true})
})

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-rollback-'))
  roots.push(root)
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), {recursive: true})
    writeFileSync(path.join(root, rel), text)
  }
  return root
}

const slot = (file: string, version: string) => `var/lib/mirrorctl/backups/${backupSlotName(file)}/${version}`

describe('backup slots and versions', () => {
  test('the newest version by time stamp; a same-stamp suffix is newer; pending copies are not versions', () => {
    expect(newestVersion(['2026-01-02T10-00-00-000Z', '2026-01-03T09-00-00-000Z', '2026-01-01T23-59-59-999Z'])).toBe('2026-01-03T09-00-00-000Z')
    expect(newestVersion(['2026-01-03T09-00-00-000Z.2', '2026-01-03T09-00-00-000Z.10', '2026-01-03T09-00-00-000Z'])).toBe('2026-01-03T09-00-00-000Z.10')
    expect(newestVersion(['.pending-abc123', 'notes'])).toBeNull()
    expect(newestVersion(['2026-01-02T10-00-00-000Z', '2026-01-03T09-00-00-000Z.absent', '2026-01-03T09-00-00-000Z.1.absent'])).toBe('2026-01-03T09-00-00-000Z.1.absent')
  })
  test('a slot names an absolute, normal path; anything else is not a slot', () => {
    expect(slotFile(backupSlotName('/etc/docker/daemon.json'))).toBe('/etc/docker/daemon.json')
    for (const bad of ['replaced-by-rollback', '%E0%A4%A', encodeURIComponent('/etc/../etc/passwd'), encodeURIComponent('etc/x')]) expect(slotFile(bad), bad).toBeNull()
  })
  test('the first gather lists the backup folder and the slots of the files apply usually writes', () => {
    const lists = candidateRequests().filter((r) => r.mode === 'list').map((r) => r.path)
    expect(lists).toContain('/var/lib/mirrorctl/backups')
    for (const f of ['/etc/containers/registries.conf', '/etc/docker/daemon.json']) expect(lists).toContain(`/var/lib/mirrorctl/backups/${backupSlotName(f)}`)
  })
})

describe('planRollback', () => {
  test('writes back the newest version of each changed file, comparing with the text read now; equal files are left alone', async () => {
    const root = tree({
      'etc/docker/daemon.json': '{"registry-mirrors": ["http://new"]}\n',
      [slot('/etc/docker/daemon.json', '2026-01-01T00-00-00-000Z')]: 'oldest\n',
      [slot('/etc/docker/daemon.json', '2026-01-02T00-00-00-000Z')]: '{"registry-mirrors": ["http://old"]}\n',
      'etc/containers/registries.conf': 'same\n',
      [slot('/etc/containers/registries.conf', '2026-01-02T00-00-00-000Z')]: 'same\n',
      // apply removed this drop-in: rollback brings it back
      [slot('/etc/containers/registries.conf.d/50-mirrorctl.conf', '2026-01-02T00-00-00-000Z')]: '# mirrorctl\n',
      'var/lib/mirrorctl/backups/replaced-by-rollback/x/2026-01-03T00-00-00-000Z': 'ignored\n',
    })
    const plan = await planRollback(new LocalHost(root), true)
    expect(plan.writes).toEqual([
      {path: '/etc/containers/registries.conf.d/50-mirrorctl.conf', expect: null, content: '# mirrorctl\n', mode: 0o644},
      {path: '/etc/docker/daemon.json', expect: '{"registry-mirrors": ["http://new"]}\n', content: '{"registry-mirrors": ["http://old"]}\n', mode: 0o644},
    ])
    expect(plan.files.map((f) => [f.engine, f.path])).toEqual([
      ['podman', '/etc/containers/registries.conf.d/50-mirrorctl.conf'],
      ['docker', '/etc/docker/daemon.json'],
    ])
    expect(plan.files[1]!.diff).toContain('-{"registry-mirrors": ["http://new"]}\n+{"registry-mirrors": ["http://old"]}')
  })

  test('apply created the file (an .absent marker is the newest version): rollback removes it; already gone: nothing to do', async () => {
    const created = slot('/etc/containers/registries.conf.d/50-mirrorctl.conf', '2026-01-02T00-00-00-000Z.absent')
    const plan = await planRollback(new LocalHost(tree({'etc/containers/registries.conf.d/50-mirrorctl.conf': '# mirrorctl\n', [created]: ''})), true)
    expect(plan.writes).toEqual([{path: '/etc/containers/registries.conf.d/50-mirrorctl.conf', expect: '# mirrorctl\n', content: null, mode: 0o644}])
    expect(plan.files[0]!.actions).toEqual(['remove it: it did not exist before the apply at 2026-01-02T00-00-00-000Z'])
    expect((await planRollback(new LocalHost(tree({[created]: ''})), true)).writes).toEqual([])
  })

  test('no backup folder: nothing to do', async () => {
    const plan = await planRollback(new LocalHost(tree({'etc/docker/daemon.json': '{}\n'})), true)
    expect(plan).toEqual({writes: [], files: [], warnings: []})
  })
})
