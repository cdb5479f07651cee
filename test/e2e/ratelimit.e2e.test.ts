// `mirrorctl ratelimit` against a local stand-in for Docker Hub's token service and registry
// (node:http on loopback, serving the real header format), and once through a real tinyproxy.
// Asserts what the server receives (Basic for the token, Bearer on a HEAD, never a GET) and
// that neither the password nor the token ever reaches stdout or stderr.
import {once} from 'node:events'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {startHttpProxy, type HttpProxy} from '../harness/http-proxy.js'
import {runIsolated, type IsolatedResult} from '../harness/isolated.js'
import {requireTools} from '../harness/require-tools.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
// MIRRORCTL_E2E_CLI lets a developer run a scratch build; the suite uses the repository's.
const CLI = process.env.MIRRORCTL_E2E_CLI ?? join(REPO_ROOT, 'bin', 'run.js')

const TOKEN = 'tok-3f9a.c2VjcmV0LXRva2Vu.sig-77e1'
const PASSWORD = 'hunter2-pa55w0rd'
const MANIFEST_PATH = '/v2/ratelimitpreview/test/manifests/latest'

type Mode = 'limited' | 'unlimited' | 'too-many' | 'too-many-date' | 'bad-credentials' | 'head-401'

interface Seen {
  method: string
  path: string
  query: URLSearchParams
  authorization: string | undefined
}

describe('mirrorctl ratelimit', {timeout: 60_000}, () => {
  let server: Server
  let base: string
  let port: number
  let proxy: HttpProxy | undefined
  let mode: Mode = 'limited'
  const seen: Seen[] = []

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    seen.push({method: req.method ?? '', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization})
    if (url.pathname === '/token' && req.method === 'GET') {
      if (mode === 'bad-credentials') {
        res.writeHead(401, {'content-type': 'application/json'}).end(JSON.stringify({details: 'incorrect username or password'}))
        return
      }
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({token: TOKEN, access_token: TOKEN, expires_in: 300}))
      return
    }
    if (url.pathname === MANIFEST_PATH && req.method === 'HEAD') {
      if (req.headers.authorization !== `Bearer ${TOKEN}` || mode === 'head-401') {
        res.writeHead(401, {'www-authenticate': 'Bearer realm="http://stand-in/token",service="registry.docker.io"'}).end()
        return
      }
      const limits = {'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600', 'docker-ratelimit-source': '203.0.113.7'}
      const manifest = {'content-type': 'application/vnd.oci.image.index.v1+json', 'docker-content-digest': `sha256:${'c'.repeat(64)}`}
      if (mode === 'limited') res.writeHead(200, {...manifest, ...limits}).end()
      else if (mode === 'unlimited') res.writeHead(200, manifest).end()
      else if (mode === 'too-many') res.writeHead(429, {'retry-after': '120', 'content-type': 'application/json'}).end()
      else res.writeHead(429, {'retry-after': new Date(Date.now() + 3_600_000).toUTCString()}).end()
      return
    }
    res.writeHead(405).end()
  }

  const cli = (args: string[], opts: {input?: string; hosts?: Record<string, string>; urlBase?: string} = {}): Promise<IsolatedResult> =>
    runIsolated([process.execPath, CLI, 'ratelimit', '--auth-url', `${opts.urlBase ?? base}/token`, '--registry', opts.urlBase ?? base, ...args], {
      cwd: REPO_ROOT,
      timeoutMs: 30_000,
      ...(opts.input !== undefined ? {input: opts.input} : {}),
      ...(opts.hosts ? {hosts: opts.hosts} : {}),
    })

  const noSecrets = (res: IsolatedResult): void => {
    for (const secret of [PASSWORD, TOKEN, Buffer.from(`alice:${PASSWORD}`).toString('base64')]) {
      expect(res.stdout).not.toContain(secret)
      expect(res.stderr).not.toContain(secret)
    }
  }

  beforeAll(async () => {
    requireTools(['tinyproxy', 'unshare', 'setpriv', 'mount'])
    const command = join(dirname(dirname(CLI)), 'dist', 'commands', 'ratelimit.js')
    expect(existsSync(command), `${command} is missing: run \`npm run build\` before the e2e tests`).toBe(true)
    // 127.0.0.2, so that a name mapped to it can be routed through the proxy (loopback IPs never are).
    server = createServer(handle)
    server.listen(0, '127.0.0.2')
    await once(server, 'listening')
    port = (server.address() as AddressInfo).port
    base = `http://127.0.0.2:${port}`
    proxy = await startHttpProxy({hosts: {'hub.test': '127.0.0.2'}})
  }, 60_000)

  afterAll(async () => {
    await proxy?.stop()
    server?.closeAllConnections()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  })

  beforeEach(() => {
    seen.length = 0
    mode = 'limited'
  })

  it('anonymous: token without credentials, then HEAD (never GET) with the Bearer token', async () => {
    const res = await cli([])
    expect(res.exitCode, res.stderr).toBe(0)
    expect(res.stdout).toContain('76 of 100 pulls left in the 6 h window (counted for 203.0.113.7)')
    const token = seen.find((s) => s.path === '/token')!
    expect(token.authorization).toBeUndefined()
    expect(token.query.get('service')).toBe('registry.docker.io')
    expect(token.query.get('scope')).toBe('repository:ratelimitpreview/test:pull')
    const manifest = seen.filter((s) => s.path === MANIFEST_PATH)
    expect(manifest.map((s) => s.method)).toEqual(['HEAD'])
    expect(manifest[0]!.authorization).toBe(`Bearer ${TOKEN}`)
    noSecrets(res)
  })

  it('--username with --password-stdin: HTTP Basic to the token service; JSON shape; no secret printed, even with --debug', async () => {
    const res = await cli(['--username', 'alice', '--password-stdin', '--json', '--debug'], {input: `${PASSWORD}\n`})
    expect(res.exitCode, res.stderr).toBe(0)
    expect(JSON.parse(res.stdout)).toEqual({limit: 100, remaining: 76, windowSeconds: 21600, source: '203.0.113.7', limited: true, status: 200, retryAfterSeconds: null})
    expect(seen.find((s) => s.path === '/token')!.authorization).toBe(`Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`)
    expect(seen.find((s) => s.path === MANIFEST_PATH)!.authorization).toBe(`Bearer ${TOKEN}`)
    noSecrets(res)
  })

  it('refused credentials: exit 1 with the explanation, the password nowhere', async () => {
    mode = 'bad-credentials'
    for (const extra of [[], ['--json'], ['--debug']]) {
      const res = await cli(['--username', 'alice', '--password-stdin', ...extra], {input: PASSWORD})
      expect(res.exitCode).toBe(1)
      expect(res.stdout + res.stderr).toContain('refused the credentials of alice (401: incorrect username or password)')
      expect(res.stderr).not.toMatch(/\n\s+at /)
      noSecrets(res)
    }
  })

  it('no ratelimit headers: not limited', async () => {
    mode = 'unlimited'
    const human = await cli([])
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toContain('not limited')
    const json = await cli(['--json'])
    expect(JSON.parse(json.stdout)).toEqual({limit: null, remaining: null, windowSeconds: null, source: null, limited: false, status: 200, retryAfterSeconds: null})
  })

  it('429 with Retry-After in seconds or as an HTTP date: reported, exit 1', async () => {
    mode = 'too-many'
    const human = await cli([])
    expect(human.exitCode).toBe(1)
    expect(human.stdout).toContain('429 Too Many Requests')
    expect(human.stdout).toContain('abuse rate limit')
    expect(human.stdout).toContain('Retry after 120 s')
    const json = await cli(['--json'])
    expect(json.exitCode).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({status: 429, retryAfterSeconds: 120, limited: false})

    mode = 'too-many-date'
    const dated = await cli(['--json'])
    expect(dated.exitCode).toBe(1)
    const after = (JSON.parse(dated.stdout) as {retryAfterSeconds: number}).retryAfterSeconds
    expect(after).toBeGreaterThan(3500)
    expect(after).toBeLessThanOrEqual(3600)
  })

  it('401 on the HEAD: explained, exit 1', async () => {
    mode = 'head-401'
    const res = await cli([])
    expect(res.exitCode).toBe(1)
    expect(res.stderr).toContain('the registry refused the token (401')
    expect(res.stderr).toContain('hint:')
    noSecrets(res)
  })

  it('usage errors exit 2', async () => {
    const noStdin = await cli(['--username', 'alice'])
    expect(noStdin.exitCode).toBe(2)
    expect(noStdin.stderr).toContain('--password-stdin')
    const empty = await cli(['--username', 'alice', '--password-stdin'], {input: ''})
    expect(empty.exitCode).toBe(2)
    const badTimeout = await cli(['--timeout', 'soon'])
    expect(badTimeout.exitCode).toBe(2)
  })

  it('follows the proxy route: a name not in NO_PROXY goes through tinyproxy (absolute-URI requests)', async () => {
    const hosts = {'hub.test': '127.0.0.2'}
    const urlBase = `http://hub.test:${port}`
    const before = proxy!.requests().length
    const res = await cli(['--env', `HTTP_PROXY=${proxy!.url}`], {hosts, urlBase})
    expect(res.exitCode, res.stderr).toBe(0)
    expect(res.stdout).toContain('76 of 100 pulls left')
    expect(res.stdout).toContain(`route: via ${proxy!.url} (--env HTTP_PROXY)`)
    const passed = proxy!.requests().slice(before)
    expect(passed.map((r) => r.method)).toEqual(['GET', 'HEAD'])
    expect(passed[1]!.target).toBe(`${urlBase}${MANIFEST_PATH}`)
    noSecrets(res)

    const direct = proxy!.requests().length
    const bypass = await cli(['--env', `HTTP_PROXY=${proxy!.url}`, '--env', 'NO_PROXY=hub.test'], {hosts, urlBase})
    expect(bypass.exitCode, bypass.stderr).toBe(0)
    expect(bypass.stdout).toContain('route: direct (NO_PROXY entry hub.test)')
    expect(proxy!.requests().length).toBe(direct)
  })
})
