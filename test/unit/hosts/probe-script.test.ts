// PROBE_SCRIPT run by the real /bin/sh with the real curl (and GNU wget, curl hidden) against
// a node:http server on loopback: the request/answer format, hostile values passed as data,
// the explicit route (a proxy in the tool's environment, --noproxy '*' otherwise).
import {execa} from 'execa'
import {mkdtempSync, rmSync, symlinkSync, existsSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {
  decodeProbeOutput,
  encodeProbeRequests,
  parseCurlHeaders,
  parseWgetHeaders,
  PROBE_SCRIPT,
  probeRequestProblem,
  runProbeScript,
  type HttpProbeRequest,
  type ScriptRunner,
} from '../../../src/hosts/probe-script.js'
import {requireTools} from '../../harness/require-tools.js'

interface Seen {
  url: string
  method: string
  host: string | undefined
  auth: string | undefined
  accept: string | undefined
  proxied: boolean
}

let server: Server
let base: string
const seen: Seen[] = []
let dir: string

function handle(req: IncomingMessage, res: import('node:http').ServerResponse): void {
  // A request for an absolute URI came through a proxy (the server plays the proxy too).
  const proxied = /^https?:\/\//.test(req.url ?? '')
  const url = proxied ? new URL(req.url!).pathname + new URL(req.url!).search : (req.url ?? '')
  seen.push({url, method: req.method ?? '', host: req.headers.host, auth: req.headers.authorization, accept: req.headers.accept, proxied})
  if (url === '/v2/') return void res.writeHead(200, {'docker-distribution-api-version': 'registry/2.0'}).end('{}')
  if (url === '/moved/v2/') return void res.writeHead(302, {location: '/v2/'}).end()
  if (url.startsWith('/token')) return void res.writeHead(200, {'content-type': 'application/json'}).end('{"token": "tok.abc-123", "expires_in": 300}')
  if (url.startsWith('/notoken')) return void res.writeHead(200, {'content-type': 'application/json'}).end('{"error": "nope $(id)"}')
  if (url === '/v2/ratelimitpreview/test/manifests/latest') {
    if (req.headers.authorization !== 'Bearer tok.abc-123') return void res.writeHead(401).end()
    return void res.writeHead(200, {'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '42;w=21600'}).end()
  }
  res.writeHead(404).end('not here')
}

beforeAll(async () => {
  requireTools(['curl', 'wget'])
  dir = mkdtempSync(path.join(tmpdir(), 'mirrorctl-probe-'))
  server = createServer(handle)
  server.listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((r) => server.close(r))
  rmSync(dir, {recursive: true, force: true})
})

/** /bin/sh with a clean environment; `env` is what the login would have (proxy variables to be ignored). */
function runner(pathValue = '/usr/bin:/bin', env: Record<string, string> = {}): ScriptRunner {
  return async (script, input) => {
    const r = await execa('/bin/sh', ['-c', script], {input, reject: false, env: {PATH: pathValue, ...env}, extendEnv: false})
    return {exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr)}
  }
}

/** A PATH where curl is missing but wget and the coreutils the script needs are there. */
function pathWithout(tools: string[]): string {
  const bin = mkdtempSync(path.join(dir, 'bin-'))
  for (const t of ['sh', 'base64', 'head', 'tr', 'mktemp', 'rm', 'sed', 'grep', 'cp', 'cat', 'wget', 'curl', 'timeout']) {
    if (tools.includes(t)) continue
    const real = ['/usr/bin', '/bin'].map((d) => path.join(d, t)).find((p) => existsSync(p))
    if (real) symlinkSync(real, path.join(bin, t))
  }
  return bin
}

const get = (url: string, extra: Partial<HttpProbeRequest> = {}): HttpProbeRequest => ({kind: 'http', method: 'GET', url, proxy: null, insecure: false, caFiles: [], timeoutSeconds: 5, ...extra})

describe('probe request validation', () => {
  it('refuses values that are not plain URLs before anything is encoded', () => {
    expect(probeRequestProblem(get('https://m.example/v2/"; rm -rf /'))).toMatch(/characters/)
    expect(probeRequestProblem(get('https://m.example/v2/\nhttp ...'))).toMatch(/characters/)
    expect(probeRequestProblem(get('https://m.example/`id`'))).toMatch(/characters/)
    expect(probeRequestProblem(get('file:///etc/shadow'))).toMatch(/scheme/)
    expect(probeRequestProblem(get('https://user:pw@m.example/v2/'))).toMatch(/credentials/)
    expect(probeRequestProblem(get('https://m.example/v2/', {proxy: 'http://u:p@proxy:3128'}))).toBeNull()
    expect(probeRequestProblem(get('https://m.example/v2/', {proxy: 'ftp://proxy'}))).toMatch(/proxy .*scheme/)
    expect(probeRequestProblem(get('https://m.example/v2/', {caFiles: ['relative.crt']}))).toMatch(/absolute/)
    expect(probeRequestProblem(get('https://m.example/v2/', {accept: 'a\r\nX-Evil: 1'}))).toMatch(/Accept/)
    expect(() => encodeProbeRequests([get('https://m.example/a b')])).toThrow(/characters/)
  })

  it('encodes every value as base64 fields, one line per request', () => {
    const text = encodeProbeRequests([get('https://m.example/v2/$(id)', {proxy: 'http://u:p@proxy:3128', insecure: true}), {kind: 'docker-mirrors', timeoutSeconds: 20}])
    const lines = text.trimEnd().split('\n')
    expect(lines[0]).toBe('mirrorctl-probe 1')
    expect(lines[1]).toMatch(/^http 0 GET 5 k [A-Za-z0-9+/=]+ [A-Za-z0-9+/=]+ - - -$/)
    expect(text).not.toContain('$(id)')
    expect(text).not.toContain('u:p@')
    expect(lines[2]).toBe('docker-mirrors 1 20')
  })
})

describe('answer parsing', () => {
  it('takes the last response of a curl dump (CONNECT and redirects come first)', () => {
    const dump = 'HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 302 Found\r\nLocation: /v2/\r\n\r\nHTTP/1.1 401 Unauthorized\r\nDocker-Distribution-Api-Version: registry/2.0\r\nWww-Authenticate: Bearer realm="x"\r\n\r\n'
    expect(parseCurlHeaders(dump)).toEqual({status: 401, headers: {'docker-distribution-api-version': 'registry/2.0', 'www-authenticate': 'Bearer realm="x"'}})
    expect(parseCurlHeaders('')).toEqual({status: null, headers: {}})
  })
  it('reads GNU wget -S output', () => {
    expect(parseWgetHeaders('  HTTP/1.1 302 Found\n  Location: /v2/\n  HTTP/1.1 200 OK\n  Docker-Distribution-API-Version: registry/2.0\nURL... 200 OK\n')).toEqual({status: 200, headers: {'docker-distribution-api-version': 'registry/2.0'}})
  })
  it('a cut-off answer is no-answer; output that is not the script is an error; credentials are masked', () => {
    const reqs = [get('http://a/v2/'), get('http://b/v2/')]
    const err = Buffer.from('curl: (56) CONNECT via http://bob:s3cret@proxy:3128 failed').toString('base64')
    const out = decodeProbeOutput(`motd line\nmirrorctl-probe-result 1 curl\nans 0 ran 56 - ${err}\n`, reqs)
    expect(out[0]).toMatchObject({state: 'ran', exitCode: 56, status: null})
    expect((out[0] as {error: string}).error).toBe('curl: (56) CONNECT via http://bob:***@proxy:3128 failed')
    expect(out[1]).toMatchObject({state: 'no-answer'})
    expect(() => decodeProbeOutput('hello\n', reqs)).toThrow(/did not run the probe script/)
  })
})

describe('PROBE_SCRIPT on this machine', () => {
  it('GETs with curl, follows a redirect, reports the final status and headers', async () => {
    const [a, b, c] = await runProbeScript(runner(), [get(`${base}/v2/`), get(`${base}/moved/v2/`), get(`${base}/nothing`)])
    expect(a).toMatchObject({state: 'ran', tool: 'curl', exitCode: 0, status: 200, headers: {'docker-distribution-api-version': 'registry/2.0'}})
    expect(b).toMatchObject({exitCode: 0, status: 200})
    expect(c).toMatchObject({exitCode: 0, status: 404})
  })

  it('passes hostile characters as data: $(...) in a URL reaches the server literally', async () => {
    seen.length = 0
    const [a] = await runProbeScript(runner(), [get(`${base}/v2/$(touch)';touch'pwned`)])
    expect(a).toMatchObject({state: 'ran', status: 404})
    expect(seen.map((s) => s.url)).toEqual(["/v2/$(touch)';touch'pwned"])
    expect(existsSync('pwned')).toBe(false)
  })

  it('refuses a hand-made request line with a non-http URL or broken fields, and keeps going', async () => {
    const bad = Buffer.from('file:///etc/passwd').toString('base64')
    const input = `mirrorctl-probe 1\nhttp 0 GET 5 - ${bad} - - - -\nhttp 1 GET 5; - - - - - -\nhttp 2 GET 5 - !!! - - - -\n`
    const r = await runner()(PROBE_SCRIPT, input)
    expect(r.stdout.split('\n').filter((l) => l.startsWith('ans'))).toEqual(['ans 0 refused - - -', 'ans 1 refused - - -', 'ans 2 refused - - -'])
    expect(r.stdout.trimEnd().endsWith('done')).toBe(true)
  })

  it("ignores the login's proxy variables: a direct request stays direct (--noproxy '*')", async () => {
    seen.length = 0
    const dead = 'http://127.0.0.1:9'
    const [a] = await runProbeScript(runner('/usr/bin:/bin', {http_proxy: dead, HTTPS_PROXY: dead, ALL_PROXY: dead}), [get('http://registry.invalid.test/v2/')])
    // Direct: curl itself tries to resolve the name (and fails), it never talks to a proxy.
    expect(a).toMatchObject({state: 'ran', exitCode: 6, status: null})
    expect((a as {error: string}).error).toMatch(/resolve host/i)
  })

  it('sends a request through the proxy it is given (the server plays the proxy)', async () => {
    seen.length = 0
    const [a] = await runProbeScript(runner(), [get('http://registry.invalid.test/v2/', {proxy: `http://user:pw@127.0.0.1:${(server.address() as AddressInfo).port}`})])
    expect(a).toMatchObject({exitCode: 0, status: 200})
    expect(seen).toMatchObject([{url: '/v2/', host: 'registry.invalid.test', proxied: true}])
  })

  it('chains a Bearer token from an earlier JSON body, with HEAD and Accept', async () => {
    seen.length = 0
    const accept = 'application/vnd.oci.image.index.v1+json'
    const [, head] = await runProbeScript(runner(), [
      get(`${base}/token?service=registry.docker.io&scope=repository:ratelimitpreview/test:pull`),
      get(`${base}/v2/ratelimitpreview/test/manifests/latest`, {method: 'HEAD', bearerFrom: 0, accept}),
    ])
    expect(head).toMatchObject({status: 200, headers: {'ratelimit-remaining': '42;w=21600'}})
    expect(seen.find((s) => s.method === 'HEAD')).toMatchObject({auth: 'Bearer tok.abc-123', accept})
    expect(() => encodeProbeRequests([get(`${base}/a`, {bearerFrom: 0})])).toThrow(/earlier request/)
  })

  it('a Bearer source without a token is no-token, and nothing is sent', async () => {
    seen.length = 0
    const [, head] = await runProbeScript(runner(), [get(`${base}/notoken`), get(`${base}/v2/ratelimitpreview/test/manifests/latest`, {method: 'HEAD', bearerFrom: 0})])
    expect(head).toMatchObject({state: 'no-token'})
    expect(seen.map((s) => s.method)).toEqual(['GET'])
  })

  it('uses GNU wget when curl is missing, and says no-tool when neither is there', async () => {
    const [a, b] = await runProbeScript(runner(pathWithout(['curl'])), [get(`${base}/v2/`), get(`${base}/nothing`)])
    expect(a).toMatchObject({tool: 'wget', exitCode: 0, status: 200, headers: {'docker-distribution-api-version': 'registry/2.0'}})
    expect(b).toMatchObject({tool: 'wget', exitCode: 8, status: 404})
    const [c] = await runProbeScript(runner(pathWithout(['curl', 'wget'])), [get(`${base}/v2/`)])
    expect(c).toMatchObject({state: 'no-tool', tool: null})
  })

  it('docker info: absent where there is no docker CLI', async () => {
    const [d] = await runProbeScript(runner(pathWithout(['docker'])), [{kind: 'docker-mirrors', timeoutSeconds: 5}])
    expect(d).toEqual({kind: 'docker-mirrors', state: 'absent', exitCode: null, output: ''})
  })
})
