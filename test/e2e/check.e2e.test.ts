// `mirrorctl check` against real registries (plain, TLS with a test CA, expired), a closed
// port and a real tinyproxy, all on loopback. The CLI runs inside runIsolated: its DNS can
// only use the test's /etc/hosts, so nothing it looks up can leave the machine.
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {once} from 'node:events'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startHttpProxy, type HttpProxy} from '../harness/http-proxy.js'
import {runIsolated, type IsolatedResult} from '../harness/isolated.js'
import {seedTinyImage, type PushedImage} from '../harness/oci-image.js'
import {freePort} from '../harness/ports.js'
import {startRegistry, type Registry} from '../harness/registry.js'
import {requireTools} from '../harness/require-tools.js'
import {keepArtifacts, makeTempDir, removeTempDir} from '../harness/temp.js'
import {createTestCa, issueServerCert, type ServerCert} from '../harness/tls.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
// MIRRORCTL_E2E_CLI lets a developer run a scratch build; the suite uses the repository's.
const CLI = process.env.MIRRORCTL_E2E_CLI ?? join(REPO_ROOT, 'bin', 'run.js')

interface StepJson {
  name: string
  status: string
  ms: number
  detail: string
  fix?: string
  digest?: string
}
interface MirrorJson {
  mirror: string
  url: string
  route: {proxy: string | null; decidedBy: string; reason: string}
  ok: boolean
  steps: StepJson[]
}

function mirrors(res: IsolatedResult): MirrorJson[] {
  expect(res.stdout, res.stderr).toMatch(/^\{/)
  return (JSON.parse(res.stdout) as {mirrors: MirrorJson[]}).mirrors
}

function stepOf(m: MirrorJson, name: string): StepJson {
  const s = m.steps.find((x) => x.name === name)
  expect(s, `step ${name} in ${JSON.stringify(m.steps)}`).toBeDefined()
  return s!
}

describe('mirrorctl check', {timeout: 60_000}, () => {
  let plain: Registry | undefined
  let plainNamed: Registry | undefined
  let tlsReg: Registry | undefined
  let expiredReg: Registry | undefined
  let proxy: HttpProxy | undefined
  let cert: ServerCert
  let seeded: PushedImage
  let work: string

  const cli = (args: string[], hosts?: Record<string, string>) =>
    runIsolated([process.execPath, CLI, 'check', ...args], {cwd: REPO_ROOT, timeoutMs: 30_000, ...(hosts ? {hosts} : {})})

  /** A host tree with one registries.conf; returns the --root folder. */
  const hostRoot = (name: string, registriesConf: string): string => {
    const root = join(work, name)
    mkdirSync(join(root, 'etc', 'containers', 'registries.conf.d'), {recursive: true})
    writeFileSync(join(root, 'etc', 'containers', 'registries.conf'), registriesConf)
    return root
  }

  beforeAll(async () => {
    requireTools(['docker-registry', 'tinyproxy', 'openssl', 'unshare', 'setpriv', 'mount'])
    const command = join(dirname(dirname(CLI)), 'dist', 'commands', 'check.js')
    expect(existsSync(command), `${command} is missing: run \`npm run build\` before the e2e tests`).toBe(true)
    work = makeTempDir('check')
    const ca = await createTestCa(join(work, 'ca'))
    cert = await issueServerCert(ca, {dnsNames: ['mirror.test'], ipAddresses: ['127.0.0.2']})
    const expired = await issueServerCert(ca, {dnsNames: ['mirror.test'], ipAddresses: ['127.0.0.1'], expired: true})
    ;[plain, plainNamed, tlsReg, expiredReg, proxy] = await Promise.all([
      startRegistry({name: 'plain'}),
      startRegistry({name: 'plain-named', listen: '127.0.0.2'}),
      startRegistry({name: 'tls', listen: '127.0.0.2', tls: cert}),
      startRegistry({name: 'expired', tls: expired}),
      // The proxy knows mirror.test; internal.test resolves only for the CLI, not for the proxy.
      startHttpProxy({hosts: {'mirror.test': '127.0.0.2'}}),
    ])
    seeded = await seedTinyImage(plain.url, 'tiny')
  }, 60_000)

  afterAll(async () => {
    await Promise.all([plain?.stop(), plainNamed?.stop(), tlsReg?.stop(), expiredReg?.stop(), proxy?.stop()])
    if (work && !keepArtifacts()) removeTempDir(work)
  }, 30_000)

  it('an insecure plain-HTTP mirror given as argument: HTTPS fails, plain HTTP works, as the engines fall back', async () => {
    const res = await cli([plain!.host, '--insecure', '--json'])
    expect(res.exitCode, res.stderr).toBe(0)
    const [m] = mirrors(res)
    expect(m!.ok).toBe(true)
    expect(m!.url).toBe(`http://${plain!.host}`)
    expect(m!.route).toMatchObject({proxy: null})
    expect(stepOf(m!, 'dns')).toMatchObject({status: 'skip'})
    expect(stepOf(m!, 'tcp')).toMatchObject({status: 'ok'})
    expect(stepOf(m!, 'tls').status).toBe('skip')
    expect(stepOf(m!, 'tls').detail).toContain('server gave HTTP response to HTTPS client')
    expect(stepOf(m!, 'api')).toMatchObject({status: 'ok'})
    expect(stepOf(m!, 'api').detail).toContain('registry/2.0')

    const url = await cli([`http://${plain!.host}`])
    expect(url.exitCode, url.stderr).toBe(0)
    expect(url.stdout).toMatch(/OK/)
  })

  it('the same mirror not marked insecure fails with the fix', async () => {
    const res = await cli([plain!.host, '--json'])
    expect(res.exitCode).toBe(1)
    const tls = stepOf(mirrors(res)[0]!, 'tls')
    expect(tls.status).toBe('fail')
    expect(tls.detail).toBe('server gave HTTP response to HTTPS client')
    expect(tls.fix).toContain('insecure = true')
    expect(tls.fix).toContain('serve TLS')
  })

  it('mirrors from registries.conf under --root, with --image proving the mirror serves the seeded manifest', async () => {
    const root = hostRoot(
      'conf',
      `unqualified-search-registries = ["docker.io"]

[[registry]]
prefix = "docker.io"
location = "docker.io"

[[registry.mirror]]
location = "${plain!.host}"
insecure = true
`,
    )
    const res = await cli(['--root', root, '--image', 'library/tiny', '--json'])
    expect(res.exitCode, res.stdout + res.stderr).toBe(0)
    const [m] = mirrors(res)
    expect(m!.mirror).toBe(plain!.host)
    const manifest = stepOf(m!, 'manifest')
    expect(manifest.status).toBe('ok')
    expect(manifest.digest).toBe(seeded.digest)
    expect(manifest.detail).toContain(seeded.digest)
    expect(manifest.detail).toContain('/v2/library/tiny/manifests/latest')

    // Short names are normalised the Docker Hub way; an image the mirror lacks fails with its fix.
    const missing = await cli(['--root', root, '--image', 'nosuchimage', '--json'])
    expect(missing.exitCode).toBe(1)
    const miss = stepOf(mirrors(missing)[0]!, 'manifest')
    expect(miss.status).toBe('fail')
    expect(miss.detail).toContain('docker.io/library/nosuchimage:latest')

    // Human output: a table with the route and the digest.
    const human = await cli(['--root', root, '--image', 'tiny'])
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toContain(plain!.host)
    expect(human.stdout).toContain(seeded.digest)
    expect(human.stdout).toMatch(/manifest\s+ok/)
  })

  it('no mirror configured and none given: a clear message, exit 1', async () => {
    const root = hostRoot('empty', 'unqualified-search-registries = ["docker.io"]\n')
    const res = await cli(['--root', root])
    expect(res.exitCode).toBe(1)
    expect(res.stderr).toContain('no mirrors to check')
    expect(res.stderr).not.toMatch(/\n\s+at /)
  })

  it('HTTPS with the test CA: verified with --ca-file, or from certs.d under --root; without it the fix names both', async () => {
    const ok = await cli([tlsReg!.host, '--ca-file', cert.caFile, '--json'])
    expect(ok.exitCode, ok.stdout).toBe(0)
    const [m] = mirrors(ok)
    expect(m!.url).toBe(`https://${tlsReg!.host}`)
    expect(m!.ok).toBe(true)
    // The harness CA issues certificates valid for two days: verified, with the expiry warning.
    const tls = stepOf(m!, 'tls')
    expect(tls.status).toBe('warn')
    expect(tls.detail).toContain('verified with')
    expect(tls.detail).toContain('--ca-file')
    expect(tls.detail).toMatch(/expires soon: expires \d{4}-\d\d-\d\d \([01] days\)/)
    expect(tls.fix).toContain('renew')

    const bad = await cli([tlsReg!.host, '--json'])
    expect(bad.exitCode).toBe(1)
    const failed = stepOf(mirrors(bad)[0]!, 'tls')
    expect(failed.status).toBe('fail')
    expect(failed.detail).toContain('unknown authority')
    expect(failed.fix).toContain('--ca-file')
    expect(failed.fix).toContain(`/etc/containers/certs.d/${tlsReg!.host}/ca.crt`)
    expect(failed.fix).toContain(`/etc/docker/certs.d/${tlsReg!.host}/ca.crt`)

    // The fix works: the CA installed where podman reads it.
    const root = hostRoot('certs', '')
    const certsDir = join(root, 'etc', 'containers', 'certs.d', tlsReg!.host)
    mkdirSync(certsDir, {recursive: true})
    writeFileSync(join(certsDir, 'ca.crt'), readFileSync(cert.caFile, 'utf8'))
    const installed = await cli([tlsReg!.host, '--root', root, '--json'])
    expect(installed.exitCode, installed.stdout).toBe(0)
    expect(stepOf(mirrors(installed)[0]!, 'tls').detail).toContain(certsDir.slice(root.length))
  })

  it("--engine containerd trusts the CA its hosts.toml names for that mirror, and only there", async () => {
    const root = join(work, 'containerd-ca')
    const dir = join(root, 'etc', 'containerd', 'certs.d', 'docker.io')
    mkdirSync(dir, {recursive: true})
    writeFileSync(join(dir, 'ca.crt'), readFileSync(cert.caFile, 'utf8'))
    writeFileSync(join(dir, 'hosts.toml'), `[host."https://${tlsReg!.host}"]\n  capabilities = ["pull", "resolve"]\n  ca = "ca.crt"\n`)
    const ok = await cli(['--engine', 'containerd', '--root', root, '--json'])
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0)
    expect(stepOf(mirrors(ok)[0]!, 'tls').detail).toContain('/etc/containerd/certs.d/docker.io/ca.crt')

    writeFileSync(join(dir, 'hosts.toml'), `[host."https://${tlsReg!.host}"]\n  capabilities = ["pull", "resolve"]\n`)
    const bad = await cli(['--engine', 'containerd', '--root', root, '--json'])
    expect(bad.exitCode).toBe(1)
    expect(stepOf(mirrors(bad)[0]!, 'tls').detail).toContain('unknown authority')
  })

  it('an expired certificate fails with the renewal fix', async () => {
    const res = await cli([expiredReg!.host, '--ca-file', cert.caFile, '--json'])
    expect(res.exitCode).toBe(1)
    const tls = stepOf(mirrors(res)[0]!, 'tls')
    expect(tls.status).toBe('fail')
    expect(tls.detail).toMatch(/certificate expired on \d{4}-\d\d-\d\d/)
    expect(tls.fix).toContain('renew')
  })

  it('a closed port: TCP fails with ECONNREFUSED and the fix, exit 1', async () => {
    const port = await freePort()
    const res = await cli([`127.0.0.1:${port}`, '--json'])
    expect(res.exitCode).toBe(1)
    const [m] = mirrors(res)
    expect(m!.ok).toBe(false)
    const tcp = stepOf(m!, 'tcp')
    expect(tcp.status).toBe('fail')
    expect(tcp.detail).toContain('ECONNREFUSED')
    expect(tcp.fix).toContain(`nothing listens on 127.0.0.1:${port}`)
    expect(stepOf(m!, 'api').status).toBe('skip')

    const human = await cli([`127.0.0.1:${port}`])
    expect(human.exitCode).toBe(1)
    expect(human.stdout).toContain('FAILED')
    expect(human.stdout).toContain(`fix: nothing listens on 127.0.0.1:${port}`)
  })

  it('a name that does not resolve fails at dns with the /etc/hosts fix', async () => {
    const res = await cli(['nowhere.test:5000', '--json', '--timeout', '3'])
    expect(res.exitCode).toBe(1)
    const dns = stepOf(mirrors(res)[0]!, 'dns')
    expect(dns.status).toBe('fail')
    expect(dns.fix).toContain('/etc/hosts')
  })

  describe('through a real proxy (tinyproxy), with mirror.test -> 127.0.0.2 in the sandbox /etc/hosts', () => {
    const hosts = {'mirror.test': '127.0.0.2', 'internal.test': '127.0.0.2'}
    const connects = (target: string) => proxy!.requests().filter((r) => r.method === 'CONNECT' && r.target === target).length

    it('a mirror covered by NO_PROXY goes direct: the proxy never sees it', async () => {
      const target = `mirror.test:${tlsReg!.port}`
      const before = connects(target)
      const res = await cli([target, '--ca-file', cert.caFile, '--env', `HTTPS_PROXY=${proxy!.url}`, '--env', 'NO_PROXY=localhost,mirror.test', '--json'], hosts)
      expect(res.exitCode, res.stdout + res.stderr).toBe(0)
      const [m] = mirrors(res)
      expect(m!.route.proxy).toBeNull()
      expect(m!.route.decidedBy).toBe('mirror.test')
      expect(stepOf(m!, 'dns').detail).toContain('127.0.0.2')
      expect(connects(target)).toBe(before)

      const human = await cli([target, '--ca-file', cert.caFile, '--env', `HTTPS_PROXY=${proxy!.url}`, '--env', 'NO_PROXY=mirror.test'], hosts)
      expect(human.stdout).toContain('direct (NO_PROXY entry mirror.test)')
    })

    it('a mirror not covered goes through the proxy: CONNECT mirror.test:PORT in its log, and the check succeeds', async () => {
      const target = `mirror.test:${tlsReg!.port}`
      const before = connects(target)
      const res = await cli([target, '--ca-file', cert.caFile, '--env', `HTTPS_PROXY=${proxy!.url}`, '--env', 'NO_PROXY=other.test', '--json'], hosts)
      expect(res.exitCode, res.stdout + res.stderr).toBe(0)
      const [m] = mirrors(res)
      expect(m!.route.proxy).toBe(proxy!.url)
      expect(m!.route.decidedBy).toBe('--env HTTPS_PROXY')
      expect(stepOf(m!, 'tcp').detail).toContain(`CONNECT ${target} -> 200`)
      expect(stepOf(m!, 'tls').detail).toContain('verified with')
      expect(stepOf(m!, 'api').status).toBe('ok')
      expect(connects(target)).toBeGreaterThan(before)

      const human = await cli([target, '--ca-file', cert.caFile, '--env', `HTTPS_PROXY=${proxy!.url}`], hosts)
      expect(human.exitCode).toBe(0)
      expect(human.stdout).toContain(`via ${proxy!.url} (--env HTTPS_PROXY)`)
    })

    it('an http:// mirror uses HTTP_PROXY with an absolute-URI request', async () => {
      const target = `mirror.test:${plainNamed!.port}`
      const res = await cli([`http://${target}`, '--env', `HTTP_PROXY=${proxy!.url}`, '--env', `HTTPS_PROXY=http://127.0.0.1:9`, '--json'], hosts)
      expect(res.exitCode, res.stdout + res.stderr).toBe(0)
      expect(mirrors(res)[0]!.route.decidedBy).toBe('--env HTTP_PROXY')
      expect(proxy!.requests()).toContainEqual({method: 'GET', target: `http://${target}/v2/`})
    })

    it("--engine docker: daemon.json's registry-mirrors, routed by the docker.service drop-in's HTTP_PROXY", async () => {
      const target = `mirror.test:${plainNamed!.port}`
      const root = join(work, 'docker-host')
      mkdirSync(join(root, 'etc', 'docker'), {recursive: true})
      mkdirSync(join(root, 'etc', 'systemd', 'system', 'docker.service.d'), {recursive: true})
      writeFileSync(join(root, 'etc', 'docker', 'daemon.json'), JSON.stringify({'registry-mirrors': [`http://${target}`]}, null, 2))
      writeFileSync(
        join(root, 'etc', 'systemd', 'system', 'docker.service.d', 'http-proxy.conf'),
        `[Service]\nEnvironment="HTTP_PROXY=${proxy!.url}"\nEnvironment="NO_PROXY=localhost"\n`,
      )
      const before = proxy!.requests().length
      const res = await cli(['--engine', 'docker', '--root', root, '--image', 'tiny', '--json'], hosts)
      expect(res.exitCode, res.stdout + res.stderr).toBe(1) // the mirror has no library/tiny
      const [m] = mirrors(res)
      expect(m!.mirror).toBe(`http://${target}/`) // as dockerd stores it
      expect(m!.route.proxy).toBe(proxy!.url)
      expect(m!.route.decidedBy).toBe('/etc/systemd/system/docker.service.d/http-proxy.conf:2: HTTP_PROXY')
      expect(stepOf(m!, 'api').status).toBe('ok')
      expect(stepOf(m!, 'manifest')).toMatchObject({status: 'fail', detail: expect.stringContaining('docker.io/library/tiny:latest')})
      expect(proxy!.requests().slice(before)).toContainEqual({method: 'GET', target: `http://${target}/v2/`})

      // --env goes on top of what dockerd would read.
      const bypass = await cli(['--engine', 'docker', '--root', root, '--env', 'NO_PROXY=mirror.test', '--json'], hosts)
      expect(bypass.exitCode, bypass.stdout + bypass.stderr).toBe(0)
      expect(mirrors(bypass)[0]!.route).toMatchObject({proxy: null, decidedBy: 'mirror.test'})
    })

    it("--engine containerd: the hosts.toml mirrors under config_path, routed by containerd.service's drop-in", async () => {
      const target = `mirror.test:${plainNamed!.port}`
      const root = join(work, 'containerd-host')
      const hostsDir = join(root, 'srv', 'hosts')
      mkdirSync(join(hostsDir, 'docker.io'), {recursive: true})
      mkdirSync(join(root, 'etc', 'containerd'), {recursive: true})
      mkdirSync(join(root, 'etc', 'systemd', 'system', 'containerd.service.d'), {recursive: true})
      writeFileSync(join(root, 'etc', 'containerd', 'config.toml'), 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/srv/hosts"\n')
      writeFileSync(join(hostsDir, 'docker.io', 'hosts.toml'), `server = "https://registry-1.docker.io"\n\n[host."http://${target}"]\n  capabilities = ["pull", "resolve"]\n`)
      writeFileSync(join(root, 'etc', 'systemd', 'system', 'containerd.service.d', 'http-proxy.conf'), `[Service]\nEnvironment="HTTP_PROXY=${proxy!.url}"\n`)
      const before = proxy!.requests().length
      const res = await cli(['--engine', 'containerd', '--root', root, '--json'], hosts)
      expect(res.exitCode, res.stdout + res.stderr).toBe(0)
      const [m] = mirrors(res)
      expect(m!.mirror).toBe(`http://${target}/v2`) // as containerd requests it
      expect(m!.route.proxy).toBe(proxy!.url)
      expect(m!.route.decidedBy).toBe('/etc/systemd/system/containerd.service.d/http-proxy.conf:2: HTTP_PROXY')
      expect(stepOf(m!, 'api').status).toBe('ok')
      expect(proxy!.requests().slice(before)).toContainEqual({method: 'GET', target: `http://${target}/v2/`})
    })

    it('a mirror the proxy cannot resolve fails at CONNECT with a NO_PROXY fix', async () => {
      const target = `internal.test:${tlsReg!.port}`
      const res = await cli([target, '--ca-file', cert.caFile, '--env', `HTTPS_PROXY=${proxy!.url}`, '--env', 'NO_PROXY=localhost', '--json'], hosts)
      expect(res.exitCode).toBe(1)
      const tcp = stepOf(mirrors(res)[0]!, 'tcp')
      expect(tcp.status).toBe('fail')
      expect(tcp.detail).toContain('the proxy answered')
      expect(tcp.fix).toContain('NO_PROXY=localhost,internal.test')
      expect(connects(target)).toBeGreaterThan(0)
    })
  })

  describe('a registry with token auth (a node:http stand-in for a registry and its token service)', () => {
    let server: Server
    let url: string
    let anonymous = true
    const scopes: string[] = []
    const DIGEST = `sha256:${'d'.repeat(64)}`

    beforeAll(async () => {
      server = createServer((req, res) => {
        const u = new URL(req.url ?? '/', 'http://x')
        const challenge = {'docker-distribution-api-version': 'registry/2.0', 'www-authenticate': `Bearer realm="${url}/token",service="stand-in"`}
        if (u.pathname === '/token') {
          scopes.push(u.searchParams.get('scope') ?? '')
          if (anonymous) res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({token: 'anon-token-value'}))
          else res.writeHead(401, {'content-type': 'application/json'}).end('{"details":"login required"}')
        } else if (u.pathname === '/v2/') {
          res.writeHead(401, challenge).end()
        } else if (u.pathname === '/v2/library/tiny/manifests/latest' && req.method === 'HEAD' && req.headers.authorization === 'Bearer anon-token-value') {
          res.writeHead(200, {'docker-content-digest': DIGEST, 'content-type': 'application/vnd.oci.image.manifest.v1+json'}).end()
        } else {
          res.writeHead(401, challenge).end()
        }
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })

    afterAll(async () => {
      server?.closeAllConnections()
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    })

    it('anonymous tokens: the API and the manifest check pass, the token is never shown', async () => {
      anonymous = true
      scopes.length = 0
      const res = await cli([url, '--image', 'tiny', '--json'])
      expect(res.exitCode, res.stdout).toBe(0)
      const [m] = mirrors(res)
      expect(stepOf(m!, 'api').detail).toContain(`anonymous token from ${url}/token`)
      expect(stepOf(m!, 'manifest').digest).toBe(DIGEST)
      expect(scopes).toContain('repository:library/tiny:pull')
      expect(res.stdout + res.stderr).not.toContain('anon-token-value')
    })

    it('a mirror that demands its own login: a failure for dockerd, a warning for podman', async () => {
      anonymous = false
      const root = hostRoot('token-docker', '')
      const docker = await cli([url, '--engine', 'docker', '--root', root, '--json'])
      expect(docker.exitCode).toBe(1)
      const api = stepOf(mirrors(docker)[0]!, 'api')
      expect(api.status).toBe('fail')
      expect(api.detail).toContain("dockerd never uses a mirror's own credentials (with the classic store it sends the Docker Hub login), so it silently falls back to Docker Hub; podman uses auth.json per mirror host")

      const podman = await cli([url, '--json'])
      expect(podman.exitCode).toBe(0)
      const warn = stepOf(mirrors(podman)[0]!, 'api')
      expect(warn.status).toBe('warn')
      expect(warn.fix).toContain(`podman login ${url.replace('http://', '')}`)
    })
  })
})
