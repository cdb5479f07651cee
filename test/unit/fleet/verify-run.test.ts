// The verify step inside a fleet run (on a --root tree, where nothing runs: skipped, never a
// rollback), rollback's keepOnFailedCheck (a failed re-verify is not rolled back), and the
// per-host ratelimit verdict from the probe answers.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {PassThrough} from 'node:stream'
import {afterEach, describe, expect, it} from 'vitest'
import {planHostRateLimit} from '../../../src/fleet/host-ratelimit.js'
import type {HostPlan} from '../../../src/fleet/plan-host.js'
import type {PostWriteStep} from '../../../src/fleet/post-write.js'
import {Progress} from '../../../src/fleet/progress.js'
import {runPlanner} from '../../../src/fleet/run-fleet.js'
import {LocalSession} from '../../../src/fleet/session.js'
import {verifyChecks} from '../../../src/fleet/verify.js'
import type {HttpProbeAnswer} from '../../../src/hosts/probe-script.js'
import {LocalHost} from '../../../src/hosts/local-host.js'

const roots: string[] = []
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, {recursive: true, force: true})))

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mirrorctl-verify-run-'))
  roots.push(root)
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), {recursive: true})
    fs.writeFileSync(path.join(root, p), text)
  }
  return root
}

const DJ = '/etc/docker/daemon.json'
const plan: HostPlan = {
  writes: [{path: DJ, expect: '{}\n', content: '{"registry-mirrors": ["https://m.example"]}\n', mode: 0o644}],
  files: [{engine: 'docker', path: DJ, actions: ['add mirror'], diff: '', backup: null}],
  warnings: [],
}
const options = (checks: PostWriteStep[], keep = false) => ({concurrency: 1, timeoutMs: null, progress: new Progress(new PassThrough(), {}, 1, false), checks, keepOnFailedCheck: keep})

describe('verify in a fleet run', () => {
  it('a --root tree cannot be asked anything: the files part passes, the rest is skipped, the write stays', async () => {
    const root = tree({[DJ]: '{}\n'})
    const [out] = await runPlanner([new LocalSession(root)], async () => plan, true, options(verifyChecks({verify: true})))
    expect(out!.result.status).toBe('changed')
    expect(out!.result.checks).toMatchObject([{step: 'verify', status: 'passed', reason: '1 written file re-read with the expected sha256; skipped: a --root tree is not a running host: nothing to ask'}])
    expect(verifyChecks({verify: false})).toEqual([])
  })

  it('keepOnFailedCheck (rollback --verify): a failed check fails the host and keeps what was written', async () => {
    const root = tree({[DJ]: '{}\n'})
    const fail: PostWriteStep = async () => ({step: 're-verify', status: 'failed', reason: 'mirror m: refused'})
    const [out] = await runPlanner([new LocalSession(root)], async () => plan, true, options([fail], true))
    expect(out!.result).toMatchObject({status: 'failed', reason: 're-verify failed: mirror m: refused'})
    expect(fs.readFileSync(path.join(root, DJ), 'utf8')).toBe(plan.writes[0]!.content)
  })
})

describe('ratelimit per host: the verdict from the answers', () => {
  const host = new LocalHost(tree({}))
  const o = {authUrl: new URL('https://auth.example/token'), registry: new URL('https://hub.example'), engine: null, overrides: {HTTPS_PROXY: 'http://u:pw@proxy.corp:3128', NO_PROXY: 'auth.example'}, timeoutSeconds: 5}
  const ran = (status: number | null, headers: Record<string, string> = {}, error: string | null = null): HttpProbeAnswer => ({kind: 'http', state: 'ran', tool: 'curl', exitCode: status === null ? 7 : 0, status, headers, error})
  it('token GET then HEAD with the token chained; each route by Go (the token service direct via NO_PROXY, the registry via the proxy)', async () => {
    const p = await planHostRateLimit(host, o)
    expect(p.requests).toMatchObject([
      {method: 'GET', url: 'https://auth.example/token?service=registry.docker.io&scope=repository%3Aratelimitpreview%2Ftest%3Apull', proxy: null},
      {method: 'HEAD', url: 'https://hub.example/v2/ratelimitpreview/test/manifests/latest', proxy: 'http://u:pw@proxy.corp:3128', bearerFrom: 0},
    ])
    expect(p.judge([ran(200), ran(200, {'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '7;w=21600'})])).toMatchObject({ok: true, detail: '7 of 100 pulls left in the 6 h window (via http://u:***@proxy.corp:3128)', value: {remaining: 7}})
  })
  it('no pulls left, 429, no token, a refused connection: failed with the reason', async () => {
    const p = await planHostRateLimit(host, o)
    expect(p.judge([ran(200), ran(200, {'ratelimit-limit': '100', 'ratelimit-remaining': '0'})]).ok).toBe(false)
    expect(p.judge([ran(200), ran(429, {'retry-after': '60'})])).toMatchObject({ok: false, detail: expect.stringMatching(/^429 Too Many Requests, retry after 60 s/)})
    expect(p.judge([ran(200), {...ran(null), state: 'no-token'}])).toMatchObject({ok: false, detail: 'the token service answered 200 without a token'})
    expect(p.judge([ran(null, {}, 'curl: (7) refused'), {...ran(null), state: 'no-answer'}])).toMatchObject({ok: false, detail: 'getting a token from https://auth.example/token: curl: (7) refused'})
  })
})
