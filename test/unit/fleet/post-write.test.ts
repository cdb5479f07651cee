import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {PassThrough} from 'node:stream'
import {afterEach, describe, expect, it} from 'vitest'
import {runPostWrite, undoWrites, type PostWriteStep} from '../../../src/fleet/post-write.js'
import {Progress} from '../../../src/fleet/progress.js'
import {runPlanner} from '../../../src/fleet/run-fleet.js'
import {LocalSession} from '../../../src/fleet/session.js'
import type {HostPlan} from '../../../src/fleet/plan-host.js'

const roots: string[] = []
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, {recursive: true, force: true})))

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mirrorctl-postwrite-'))
  roots.push(root)
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), {recursive: true})
    fs.writeFileSync(path.join(root, p), text)
  }
  return root
}

const CONF = '/etc/containers/registries.conf'
const DROP_IN = '/etc/containers/registries.conf.d/50-mirrorctl.conf'
const plan: HostPlan = {
  writes: [
    {path: CONF, expect: 'old\n', content: 'new\n', mode: 0o644},
    {path: DROP_IN, expect: null, content: 'created\n', mode: 0o644},
  ],
  files: [
    {engine: 'podman', path: CONF, actions: ['edit'], diff: '-old\n+new\n', backup: null},
    {engine: 'podman', path: DROP_IN, actions: ['create'], diff: '+created\n', backup: null},
  ],
  warnings: [],
}

const options = (checks: PostWriteStep[]) => ({concurrency: 1, timeoutMs: null, progress: new Progress(new PassThrough(), {}, 1, false), checks})

describe('checks after the write', () => {
  it('undoWrites swaps expect and content for the written files only', () => {
    expect(undoWrites(plan.writes, [DROP_IN])).toEqual([{path: DROP_IN, expect: 'created\n', content: null, mode: 0o644}])
  })

  it('stops at the first failed step and turns a thrown error into a failed outcome', async () => {
    const seen: string[] = []
    const step = (name: string, status: 'passed' | 'failed' | 'skipped'): PostWriteStep => async () => {
      seen.push(name)
      return {step: name, status, reason: name}
    }
    const boom: PostWriteStep = async () => {
      throw new Error('no curl')
    }
    const ctx = {} as Parameters<PostWriteStep>[0]
    expect(await runPostWrite([step('a', 'skipped'), step('b', 'failed'), step('c', 'passed')], ctx)).toMatchObject([{status: 'skipped'}, {step: 'b', status: 'failed'}])
    expect(seen).toEqual(['a', 'b'])
    expect(await runPostWrite([boom], ctx)).toEqual([{step: 'check', status: 'failed', reason: 'no curl'}])
  })

  it('a passing check keeps the write and reports the outcome', async () => {
    const root = tree({[CONF]: 'old\n'})
    const pass: PostWriteStep = async (ctx) => ({step: 'verify', status: 'passed', reason: `${ctx.written.files.length} files`})
    const [out] = await runPlanner([new LocalSession(root)], async () => plan, true, options([pass]))
    expect(out!.result.status).toBe('changed')
    expect(out!.result.checks).toEqual([{step: 'verify', status: 'passed', reason: '2 files'}])
    expect(fs.readFileSync(path.join(root, CONF), 'utf8')).toBe('new\n')
  })

  it('a failed check restores every written file byte for byte and reports rolled-back', async () => {
    const root = tree({[CONF]: 'old\n'})
    let sawNew = ''
    const fail: PostWriteStep = async () => {
      sawNew = fs.readFileSync(path.join(root, CONF), 'utf8')
      return {step: 'canary', status: 'failed', reason: 'served by the fallback'}
    }
    const [out] = await runPlanner([new LocalSession(root)], async () => plan, true, options([fail]))
    expect(sawNew).toBe('new\n')
    expect(out!.result.status).toBe('rolled-back')
    expect(out!.result.reason).toBe('canary failed: served by the fallback; restored the previous files')
    expect(fs.readFileSync(path.join(root, CONF), 'utf8')).toBe('old\n')
    expect(fs.existsSync(path.join(root, DROP_IN))).toBe(false)
  })

  it('a converged host is checked too, on the engines the plan configures; a failure fails it and writes nothing', async () => {
    const root = tree({[CONF]: 'new\n'})
    const converged: HostPlan = {writes: [], files: [], warnings: [], engines: ['podman', 'docker']}
    const seen: string[][] = []
    const check = (status: 'passed' | 'failed'): PostWriteStep => async (ctx) => {
      seen.push(ctx.engines)
      return {step: 'verify', status, reason: status === 'failed' ? 'mirror down' : 'ok'}
    }
    const [ok] = await runPlanner([new LocalSession(root)], async () => converged, true, options([check('passed')]))
    expect(ok!.result).toMatchObject({status: 'unchanged', checks: [{step: 'verify', status: 'passed'}]})
    const [bad] = await runPlanner([new LocalSession(root)], async () => converged, true, options([check('failed')]))
    expect(bad!.result).toMatchObject({status: 'failed', reason: 'verify failed: mirror down (nothing was written on this host)'})
    expect(seen).toEqual([['podman', 'docker'], ['podman', 'docker']])
    expect(fs.readFileSync(path.join(root, CONF), 'utf8')).toBe('new\n')
    // Planned writes that already match at write time: the same.
    const [matched] = await runPlanner([new LocalSession(root)], async () => ({...plan, writes: [{path: CONF, expect: 'new\n', content: 'new\n', mode: 0o644}], engines: ['podman']}), true, options([check('failed')]))
    expect(matched!.result.status).toBe('failed')
    expect(seen.at(-1)).toEqual(['podman'])
  })

  it('a rollback that meets a file changed since the write fails the host and leaves that file', async () => {
    const root = tree({[CONF]: 'old\n'})
    const meddle: PostWriteStep = async () => {
      fs.writeFileSync(path.join(root, CONF), 'someone else\n')
      return {step: 'verify', status: 'failed', reason: 'mirror unreachable'}
    }
    const [out] = await runPlanner([new LocalSession(root)], async () => plan, true, options([meddle]))
    expect(out!.result.status).toBe('failed')
    expect(out!.result.reason).toMatch(/^verify failed: mirror unreachable; the rollback failed too: .*registries\.conf conflict/)
    expect(fs.readFileSync(path.join(root, CONF), 'utf8')).toBe('someone else\n')
  })
})
