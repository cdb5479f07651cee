// The pure parts of --verify: the route handed to curl (Go decides proxy vs direct, even
// where curl's own NO_PROXY reading would differ), the verdict from curl's answers, docker
// info parsing on recorded output, and how the parts make one outcome.
import {describe, expect, it} from 'vitest'
import type {HttpProbeAnswer} from '../../../src/hosts/probe-script.js'
import {parseMirrorArgument} from '../../../src/net/mirror-target.js'
import {configFromEnv} from '../../../src/net/proxy.js'
import {judgeAnswer, judgeProbes, planMirrorProbe, probeRequests} from '../../../src/fleet/mirror-probe.js'
import {judgeDockerInfo, parseDockerMirrors, verifyOutcome, type VerifyDetails} from '../../../src/fleet/verify.js'

const PROXY = 'http://bob:s3cret@proxy.corp:3128'
const target = (m: string, o: {insecure?: boolean} = {}) => parseMirrorArgument(m, {insecure: o.insecure ?? false, origin: '/etc/containers/registries.conf', kind: 'registries-conf'})
const route = (mirror: string, env: Record<string, string>) => {
  const [a] = planMirrorProbe(target(mirror), configFromEnv(env), [], 10).attempts
  return {proxy: a!.request?.proxy ?? null, shown: a!.proxy, decidedBy: a!.decidedBy}
}

describe('the route handed to the host curl is decided by Go', () => {
  it('HTTPS_PROXY and no matching NO_PROXY: through the proxy (credentials go to the request, masked in the report)', () => {
    expect(route('mirror.example.com:5000', {HTTPS_PROXY: PROXY})).toEqual({proxy: PROXY, shown: 'http://bob:***@proxy.corp:3128', decidedBy: 'HTTPS_PROXY'})
  })
  it('"*.example.com" is a suffix entry for Go (curl never matches it): direct', () => {
    expect(route('mirror.example.com:5000', {HTTPS_PROXY: PROXY, NO_PROXY: '*.example.com'})).toMatchObject({proxy: null, decidedBy: '*.example.com'})
  })
  it('an entry with a port matches only that port for Go (curl ignores such entries): direct on 5000, proxied on 443', () => {
    expect(route('mirror.example.com:5000', {HTTPS_PROXY: PROXY, NO_PROXY: 'mirror.example.com:5000'})).toMatchObject({proxy: null})
    expect(route('mirror.example.com', {HTTPS_PROXY: PROXY, NO_PROXY: 'mirror.example.com:5000'})).toMatchObject({proxy: PROXY})
  })
  it('".example.com" does not match example.com itself for Go (curl would): proxied', () => {
    expect(route('example.com', {HTTPS_PROXY: PROXY, NO_PROXY: '.example.com'})).toMatchObject({proxy: PROXY})
  })
  it('upper case wins over lower case for Go (curl reads lower case first)', () => {
    expect(route('mirror.example.com', {HTTPS_PROXY: PROXY, https_proxy: 'http://other:1'})).toMatchObject({proxy: PROXY})
  })
  it('only HTTP_PROXY for an https mirror: direct; loopback literals are never proxied', () => {
    expect(route('mirror.example.com', {HTTP_PROXY: PROXY})).toMatchObject({proxy: null, decidedBy: 'HTTPS_PROXY'})
    expect(route('127.0.0.1:5000', {HTTPS_PROXY: PROXY})).toMatchObject({proxy: null, decidedBy: 'loopback'})
  })
  it("a registries.conf mirror's own proxy wins over the environment", () => {
    const t = {...target('mirror.example.com'), proxy: 'http://mirror-proxy:8080'}
    const [a] = planMirrorProbe(t, configFromEnv({HTTPS_PROXY: PROXY}), [], 10).attempts
    expect(a).toMatchObject({request: {proxy: 'http://mirror-proxy:8080'}, decidedBy: '/etc/containers/registries.conf proxy'})
  })
  it('an insecure mirror without scheme: unverified HTTPS, then plain HTTP (each with its own route); CAs only for HTTPS', () => {
    const p = planMirrorProbe(target('mirror.example.com:5000', {insecure: true}), configFromEnv({HTTP_PROXY: PROXY}), ['/etc/containers/certs.d/mirror.example.com:5000/ca.crt'], 7)
    expect(probeRequests([p])).toEqual([
      {kind: 'http', method: 'GET', url: 'https://mirror.example.com:5000/v2/', proxy: null, insecure: true, caFiles: ['/etc/containers/certs.d/mirror.example.com:5000/ca.crt'], timeoutSeconds: 7},
      {kind: 'http', method: 'GET', url: 'http://mirror.example.com:5000/v2/', proxy: PROXY, insecure: false, caFiles: [], timeoutSeconds: 7},
    ])
  })
  it('a mirror that cannot be probed is a failed attempt without a request', () => {
    const bad = {...target('mirror.example.com'), problem: 'registries.conf locations take no scheme'}
    const p = planMirrorProbe(bad, {}, [], 5)
    expect(probeRequests([p])).toEqual([])
    expect(judgeProbes([p], [])[0]).toMatchObject({status: 'failed', detail: 'cannot probe this mirror: registries.conf locations take no scheme'})
  })
})

const ran = (status: number | null, headers: Record<string, string> = {}, error: string | null = null, exitCode = 0): HttpProbeAnswer => ({kind: 'http', state: 'ran', tool: 'curl', exitCode, status, headers, error})
const V2 = {'docker-distribution-api-version': 'registry/2.0'}

describe('verdict from the answers', () => {
  const a = {url: 'https://m:5000/v2/', proxy: null}
  it('200 or 401 with the API version header is a registry; anything else is not', () => {
    expect(judgeAnswer(a, ran(200, V2))).toEqual({status: 'ok', detail: 'GET https://m:5000/v2/ (direct) -> 200, registry/2.0'})
    expect(judgeAnswer(a, ran(401, V2)).status).toBe('ok')
    expect(judgeAnswer(a, ran(200))).toMatchObject({status: 'failed', detail: expect.stringContaining('without Docker-Distribution-API-Version')})
    expect(judgeAnswer(a, ran(404, V2)).status).toBe('failed')
  })
  it("curl's error when no response came; no curl nor wget is skipped, not failed", () => {
    expect(judgeAnswer({...a, proxy: 'http://proxy:3128'}, ran(null, {}, 'curl: (7) Failed to connect to m port 5000', 7))).toEqual({status: 'failed', detail: 'GET https://m:5000/v2/ (via http://proxy:3128): curl: (7) Failed to connect to m port 5000'})
    expect(judgeAnswer(a, {...ran(null), state: 'no-tool', tool: null}).status).toBe('skipped')
    expect(judgeAnswer(a, undefined).status).toBe('failed')
  })
  it('an insecure mirror that fails over HTTPS and answers over HTTP is ok, and says so', () => {
    const p = planMirrorProbe(target('m:5000', {insecure: true}), {}, [], 5)
    const [r] = judgeProbes([p], [ran(null, {}, 'curl: (35) wrong version number', 35), ran(200, V2)])
    expect(r).toMatchObject({status: 'ok', url: 'http://m:5000/v2/'})
    expect(r!.detail).toMatch(/^HTTPS did not answer .*\(35\).*plain HTTP: GET http:\/\/m:5000\/v2\/ \(direct\) -> 200/)
    const [both] = judgeProbes([p], [ran(null, {}, 'curl: (7) refused', 7), ran(null, {}, 'curl: (7) refused', 7)])
    expect(both).toMatchObject({status: 'failed'})
    expect(both!.detail).toMatch(/the plain HTTP fallback failed too/)
  })
})

describe('docker info', () => {
  // Recorded from `docker info --format '{{json .RegistryConfig.Mirrors}}'` (docker 28, dockerd keeps the URL plus "/").
  const recorded = '["https://mirror.gcr.io/","http://127.0.0.1:5000/"]\n'
  it('parses the mirror list, null, and finds it between WARNING lines', () => {
    expect(parseDockerMirrors(recorded)).toEqual(['https://mirror.gcr.io/', 'http://127.0.0.1:5000/'])
    expect(parseDockerMirrors('null\n')).toEqual([])
    expect(parseDockerMirrors('[]\n')).toEqual([])
    expect(parseDockerMirrors('WARNING: No swap limit support\n["https://m/"]\nWARNING: bridge-nf-call-iptables is disabled\n')).toEqual(['https://m/'])
    expect(parseDockerMirrors('template: :1:15: executing "" at <.RegistryConfig.Mirrors>: nil pointer')).toBeNull()
  })
  const answer = (output: string, exitCode = 0) => ({kind: 'docker-mirrors' as const, state: 'ran' as const, exitCode, output})
  const reloadDone = {engine: 'docker' as const, action: 'reload' as const, status: 'done' as const, reason: 'reload docker'}
  it('passes when the running dockerd lists exactly the configured mirrors (trailing slash aside)', () => {
    expect(judgeDockerInfo(answer(recorded), ['https://mirror.gcr.io', 'http://127.0.0.1:5000'], reloadDone).part.status).toBe('passed')
  })
  it('fails when dockerd was reloaded and still lacks a mirror; skipped when it was not reloaded', () => {
    expect(judgeDockerInfo(answer(recorded), ['https://new.example'], reloadDone).part).toMatchObject({status: 'failed', detail: expect.stringMatching(/reloaded but docker info lacks https:\/\/new\.example and still lists/)})
    expect(judgeDockerInfo(answer(recorded), ['https://new.example'], undefined).part).toMatchObject({status: 'skipped', detail: expect.stringMatching(/not reloaded \(use --reload\)/)})
    expect(judgeDockerInfo(answer(recorded), ['https://new.example'], {...reloadDone, status: 'needs-restart', action: 'restart'}).part.status).toBe('skipped')
  })
  it('no docker CLI, or dockerd not running: skipped, not failed', () => {
    expect(judgeDockerInfo({kind: 'docker-mirrors', state: 'absent', exitCode: null, output: ''}, ['https://m'], reloadDone).part.status).toBe('skipped')
    const down = judgeDockerInfo(answer('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n', 1), ['https://m'], reloadDone).part
    expect(down).toMatchObject({status: 'skipped', detail: expect.stringContaining('Is the docker daemon running?')})
  })
})

describe('outcome', () => {
  const details: VerifyDetails = {parts: [], mirrors: [], dockerMirrors: null}
  it('failed if any part failed, passed if something was proven, skipped otherwise', () => {
    const files = {part: 'files' as const, status: 'passed' as const, detail: '1 written file re-read'}
    const skip = {part: 'docker-info' as const, status: 'skipped' as const, detail: 'no docker CLI'}
    const fail = {part: 'mirrors' as const, status: 'failed' as const, detail: 'mirror m: refused'}
    expect(verifyOutcome('verify', [files, skip], details)).toMatchObject({status: 'passed', reason: '1 written file re-read; skipped: no docker CLI'})
    expect(verifyOutcome('verify', [files, fail, skip], details)).toMatchObject({status: 'failed', reason: 'mirror m: refused'})
    expect(verifyOutcome('verify', [skip], details)).toMatchObject({status: 'skipped', reason: 'no docker CLI'})
  })
})
