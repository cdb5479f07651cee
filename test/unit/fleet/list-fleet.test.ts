import {rmSync} from 'node:fs'
import {afterAll, expect, test} from 'vitest'
import {UserError} from '../../../src/core/errors.js'
import {listFleet} from '../../../src/fleet/list-fleet.js'
import {copyStart} from './check-tree.js'

const made: string[] = []
afterAll(() => made.forEach((d) => rmSync(d, {recursive: true, force: true})))

test('a flag naming this machine\'s files is refused with the targets, before any host is contacted', async () => {
  const error = await listFleet({hosts: 'a,b', 'registries-conf': '/etc/containers/registries.conf', timeout: 5, concurrency: 1}).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(UserError)
  expect((error as UserError).message).toMatch(/--registries-conf acts on this machine's files/)
})

test('without targets the same path lists this machine (a --root tree) as one host', async () => {
  const root = copyStart('stale-v2')
  made.push(root)
  const out = await listFleet({root, timeout: 5, concurrency: 1, engine: 'podman'})
  expect(out.exitCode).toBe(0)
  expect(out.hosts).toHaveLength(1)
  expect(out.hosts[0]!.status).toBe('ok')
  expect(JSON.stringify(out.hosts[0]!.podman)).toContain('old-cache.corp.example:5000')
})
