/**
 * Engine 20.10 refuses an empty daemon.json (daemon-json/empty-file), but a missing one means
 * defaults: `mirror add` must still create the file on such a host, and must leave an existing
 * empty file alone (nothing is written over a file dockerd refuses).
 */
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, expect, test} from 'vitest'
import {planDaemonJsonChange} from '../../../src/cli/docker-change.js'
import {LocalHost} from '../../../src/hosts/local-host.js'
import {parseMirrorArgument} from '../../../src/policy/mirror-policy.js'
import type {MirrorChange} from '../../../src/policy/mirror-policy.js'

let root: string
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-docker-change-'))
  mkdirSync(path.join(root, 'etc/docker'), {recursive: true})
})
afterEach(() => rmSync(root, {recursive: true, force: true}))

const change: MirrorChange = {
  action: 'add',
  source: 'docker.io',
  mirrors: [parseMirrorArgument('https://mirror.example.com', {insecure: false, pullFromMirror: null})],
  location: null,
  position: 'last',
}
const location = {path: '/etc/docker/daemon.json', explicit: false, mode: 'rootful' as const}
const options = {dockerVersion: '20.10.24'}

test('a missing daemon.json on Engine 20.10 is planned as a new file', async () => {
  const planned = await planDaemonJsonChange(new LocalHost(root), location, change, options)
  expect(planned?.before).toBeNull()
  expect(JSON.parse(planned!.after!)).toEqual({'registry-mirrors': ['https://mirror.example.com']})
})

test('an existing empty daemon.json on Engine 20.10 is refused with the empty-file rule, and left alone', async () => {
  writeFileSync(path.join(root, 'etc/docker/daemon.json'), '\n')
  await expect(planDaemonJsonChange(new LocalHost(root), location, change, options)).rejects.toMatchObject({rule: 'daemon-json/empty-file'})
  expect(readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8')).toBe('\n')
})
