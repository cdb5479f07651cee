import {PassThrough} from 'node:stream'
import {rmSync} from 'node:fs'
import {afterAll, describe, expect, test} from 'vitest'
import {assertConfigured} from '../../../src/cli/assert-configured.js'
import {changeIntent, checkedSession} from '../../../src/fleet/imperative.js'
import {Progress} from '../../../src/fleet/progress.js'
import {runFleet} from '../../../src/fleet/run-fleet.js'
import {LocalSession} from '../../../src/fleet/session.js'
import {parseMirrorArgument} from '../../../src/policy/mirror-policy.js'
import {copyStart, snapshotTree} from './check-tree.js'

const made: string[] = []
afterAll(() => made.forEach((d) => rmSync(d, {recursive: true, force: true})))

async function removeOn(root: string, mirror: string, apply: boolean) {
  const targets = [parseMirrorArgument(mirror)]
  const session = checkedSession(new LocalSession(root), (host, engines) => assertConfigured(host, engines, 'docker.io', targets, {}), 'podman')
  const options = {concurrency: 1, timeoutMs: null, progress: new Progress(new PassThrough(), {}, 1, false)}
  const [planned] = await runFleet([session], changeIntent({action: 'remove', source: 'docker.io', mirrors: targets}, 'podman', false), apply, options)
  return planned!.result
}

describe('mirror remove SOURCE MIRROR through the fleet path', () => {
  test('a mirror the host does not have fails that host, naming the configured mirrors; nothing is written', async () => {
    const root = copyStart('stale-v2')
    made.push(root)
    const before = snapshotTree(root)
    const result = await removeOn(root, 'not-there.example.com', true)
    expect(result.status).toBe('failed')
    expect(result.reason).toMatch(/not-there\.example\.com is not a mirror of docker\.io; configured mirrors: podman: old-cache\.corp\.example:5000/)
    expect(snapshotTree(root)).toEqual(before)
  })

  test('a configured mirror is removed as before', async () => {
    const root = copyStart('stale-v2')
    made.push(root)
    const result = await removeOn(root, 'old-cache.corp.example:5000', true)
    expect(result.status, result.reason ?? '').toBe('changed')
    expect(snapshotTree(root)['etc/containers/registries.conf']).not.toContain('old-cache.corp.example')
  })
})
