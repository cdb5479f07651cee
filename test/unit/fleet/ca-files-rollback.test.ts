import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {PassThrough} from 'node:stream'
import {afterEach, describe, expect, it} from 'vitest'
import {attachSpecCaFiles} from '../../../src/fleet/ca-files.js'
import {planHost, specIntent} from '../../../src/fleet/plan-host.js'
import type {PostWriteStep} from '../../../src/fleet/post-write.js'
import {Progress} from '../../../src/fleet/progress.js'
import {runPlanner} from '../../../src/fleet/run-fleet.js'
import {LocalSession} from '../../../src/fleet/session.js'
import {parseSpec} from '../../../src/policy/spec.js'
import {snapshotTree} from './check-tree.js'

const FIXTURES = path.resolve(import.meta.dirname, '../../../fixtures/ca')
const roots: string[] = []
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, {recursive: true, force: true})))

describe('CA files in the write request roll back with the host', () => {
  it('a failed check after apply removes the CA files it created and restores the one it replaced, byte for byte', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mirrorctl-ca-rollback-'))
    roots.push(root)
    const replaced = path.join(root, 'etc/containers/certs.d/m.example:5000/ca.crt')
    fs.mkdirSync(path.dirname(replaced), {recursive: true})
    fs.writeFileSync(replaced, fs.readFileSync(path.join(FIXTURES, 'other-ca.pem')))
    fs.mkdirSync(path.join(root, 'etc/docker'), {recursive: true})
    const before = snapshotTree(root)
    const spec = await attachSpecCaFiles(parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["m.example:5000"]\nengines = ["docker", "podman"]\nca-file = "corp-ca.pem"\n', path.join(FIXTURES, 'spec.toml')), undefined)
    let during: Record<string, string> = {}
    const fail: PostWriteStep = async () => {
      during = snapshotTree(root)
      return {step: 'verify', status: 'failed', reason: 'mirror unreachable'}
    }
    const options = {concurrency: 1, timeoutMs: null, progress: new Progress(new PassThrough(), {}, 1, false), checks: [fail]}
    const [out] = await runPlanner([new LocalSession(root)], (host, session) => planHost(host, specIntent(spec), {treeRoot: session.treeRoot}), true, options)
    expect(during['etc/docker/certs.d/m.example:5000/ca.crt']).toBe(fs.readFileSync(path.join(FIXTURES, 'corp-ca.pem'), 'utf8'))
    expect(during['etc/containers/certs.d/m.example:5000/ca.crt']).toBe(fs.readFileSync(path.join(FIXTURES, 'corp-ca.pem'), 'utf8'))
    expect(out!.result.status).toBe('rolled-back')
    expect(snapshotTree(root)).toEqual(before)
  })
})
