import {describe, expect, it} from 'vitest'
import {UserError} from '../../../src/core/errors.js'
import {parseDaemonJson} from '../../../src/formats/daemon-json/parse.js'
import {readDaemonJson} from '../../../src/formats/daemon-json/read.js'
import type {TlsFacts} from '../../../src/net/http-client.js'
import {manifestTarget, mirrorsFromDaemonJson, mirrorsFromRegistriesConf, parseImage, parseMirrorArgument} from '../../../src/net/mirror-target.js'
import {
  explainApiStatus,
  explainConnectError,
  explainDnsError,
  explainHandshakeError,
  explainProxyStatus,
  judgeTls,
  loginRequired,
  parseWwwAuthenticate,
  routeFromDecision,
  routeFromEndpointProxy,
  type HopContext,
} from '../../../src/net/probe-explain.js'
import {configFromEnv, decideProxy} from '../../../src/net/proxy.js'
import {setOf} from '../formats/registries-conf/helpers.js'

describe('parseMirrorArgument', () => {
  it('reads host[:port][/namespace] the registries.conf way', () => {
    expect(parseMirrorArgument('mirror.example.com')).toMatchObject({host: 'mirror.example.com', port: null, hostPort: 'mirror.example.com', namespace: '', apiRoot: '', scheme: null, insecure: false})
    expect(parseMirrorArgument('Mirror.Example.com:5000/dockerhub-proxy', {insecure: true})).toMatchObject({
      host: 'mirror.example.com',
      port: 5000,
      hostPort: 'mirror.example.com:5000',
      namespace: 'dockerhub-proxy',
      insecure: true,
    })
    expect(parseMirrorArgument('[::1]:5000')).toMatchObject({host: '::1', port: 5000, hostPort: '[::1]:5000'})
  })

  it('reads URLs the daemon.json way: a path goes before /v2/', () => {
    expect(parseMirrorArgument('https://mirror.example.com/prefix/')).toMatchObject({scheme: 'https', apiRoot: '/prefix', namespace: '', hostPort: 'mirror.example.com'})
    expect(parseMirrorArgument('http://127.0.0.1:5000')).toMatchObject({scheme: 'http', port: 5000, hostPort: '127.0.0.1:5000', apiRoot: ''})
  })

  it('rejects what no engine accepts, as usage errors', () => {
    for (const bad of ['', 'ftp://x', 'https://u:p@x', 'https://x/?q=1', 'not a host', 'x:99999', 'x/UPPER']) {
      expect(() => parseMirrorArgument(bad), bad).toThrow(UserError)
      try {
        parseMirrorArgument(bad)
      } catch (error) {
        expect((error as UserError).exitCode).toBe(2)
        expect((error as Error).message).not.toContain(':p@')
      }
    }
  })
})

describe('mirrors from the engines\' files', () => {
  it('registries.conf: distinct locations, what they serve, insecure and proxy', () => {
    const set = setOf(`
[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "mirror.internal:5000"
insecure = true
[[registry.mirror]]
location = "harbor.example.com/dockerhub-proxy"

[[registry]]
prefix = "quay.io"
location = "quay.io"
[[registry.mirror]]
location = "mirror.internal:5000"
`)
    const targets = mirrorsFromRegistriesConf(set.merged!)
    expect(targets.map((t) => [t.mirror, t.serves, t.insecure, t.namespace])).toEqual([
      ['mirror.internal:5000', ['docker.io', 'quay.io'], true, ''],
      ['harbor.example.com/dockerhub-proxy', ['docker.io'], false, 'dockerhub-proxy'],
    ])
    expect(targets.every((t) => t.kind === 'registries-conf' && t.origin === '/etc/containers/registries.conf')).toBe(true)
  })

  it('daemon.json: registry-mirrors, insecure when listed, in a CIDR or loopback', () => {
    const doc = parseDaemonJson(
      JSON.stringify({
        'registry-mirrors': ['https://mirror.internal:5000', 'https://10.1.2.3', 'http://127.0.0.1:5000', 'https://mirror.example.com/path'],
        'insecure-registries': ['mirror.internal:5000', '10.0.0.0/8'],
      }),
      '/etc/docker/daemon.json',
    )
    const targets = mirrorsFromDaemonJson(readDaemonJson(doc), '/etc/docker/daemon.json')
    expect(targets.map((t) => [t.hostPort, t.insecure, t.apiRoot, t.serves])).toEqual([
      ['mirror.internal:5000', true, '', ['docker.io']],
      ['10.1.2.3', true, '', ['docker.io']],
      ['127.0.0.1:5000', true, '', ['docker.io']],
      ['mirror.example.com', false, '/path', ['docker.io']],
    ])
  })
})

describe('manifestTarget', () => {
  const set = setOf(`
[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "harbor.example.com/dockerhub-proxy"
[[registry.mirror]]
location = "digests.example.com"
pull-from-mirror = "digest-only"
`)
  const [harbor, digests] = mirrorsFromRegistriesConf(set.merged!)

  it('normalises the Docker Hub way and adds the mirror namespace', () => {
    expect(manifestTarget(harbor!, parseImage('nginx'), set.merged)).toEqual({
      repository: 'dockerhub-proxy/library/nginx',
      reference: 'latest',
      image: 'docker.io/library/nginx:latest',
      path: '/v2/dockerhub-proxy/library/nginx/manifests/latest',
    })
  })

  it('skips images the mirror is not used for, saying why', () => {
    expect(manifestTarget(digests!, parseImage('nginx:1.27'), set.merged)).toEqual({skip: expect.stringContaining('does not use this mirror')})
    expect(manifestTarget(harbor!, parseImage('quay.io/org/app'), set.merged)).toEqual({skip: expect.stringContaining('no [[registry]] prefix matches')})
  })

  it('argument mirrors serve whatever the image names; daemon.json mirrors only Docker Hub', () => {
    expect(manifestTarget(parseMirrorArgument('m:5000/ns'), parseImage('library/tiny@sha256:' + 'a'.repeat(64)), null)).toMatchObject({
      path: `/v2/ns/library/tiny/manifests/sha256:${'a'.repeat(64)}`,
    })
    const docker = mirrorsFromDaemonJson(readDaemonJson(parseDaemonJson('{"registry-mirrors": ["https://m/root"]}', 'd.json')), 'd.json')[0]!
    expect(manifestTarget(docker, parseImage('alpine'), null)).toMatchObject({path: '/root/v2/library/alpine/manifests/latest'})
    expect(manifestTarget(docker, parseImage('quay.io/a/b'), null)).toEqual({skip: expect.stringContaining('Docker Hub only')})
  })

  it('a bad --image is a usage error', () => {
    expect(() => parseImage('Not/Valid')).toThrow(/--image Not\/Valid/)
  })
})

describe('parseWwwAuthenticate', () => {
  it('reads Bearer and Basic challenges with quoted and bare parameters', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual([
      {scheme: 'bearer', params: {realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull'}},
    ])
    expect(parseWwwAuthenticate('Basic realm="Registry Realm", Bearer realm=https://h/t,service=x')).toEqual([
      {scheme: 'basic', params: {realm: 'Registry Realm'}},
      {scheme: 'bearer', params: {realm: 'https://h/t', service: 'x'}},
    ])
    expect(parseWwwAuthenticate('Bearer realm="a\\"b"')[0]!.params.realm).toBe('a"b')
    expect(parseWwwAuthenticate(undefined)).toEqual([])
  })
})

describe('routes', () => {
  const cfg = configFromEnv({HTTPS_PROXY: 'http://user:secret@proxy:3128', NO_PROXY: 'mirror.test'})

  it('summarises Go decisions', () => {
    expect(routeFromDecision(decideProxy('https://mirror.test:5000', cfg)).summary).toBe('direct (NO_PROXY entry mirror.test)')
    const via = routeFromDecision(decideProxy('https://other.test:5000', cfg))
    expect(via.summary).toBe('via http://user:***@proxy:3128 (HTTPS_PROXY)')
    expect(via.proxy).not.toContain('secret')
    expect(via.proxyUrl?.password).toBe('secret')
    expect(routeFromDecision(decideProxy('https://127.0.0.1:5000', cfg)).summary).toBe('direct (loopback address)')
    expect(routeFromDecision(decideProxy('https://x:5000', configFromEnv({}))).summary).toBe('direct (HTTPS_PROXY not set)')
  })

  it('a registries.conf proxy key wins over the environment, masked', () => {
    const r = routeFromEndpointProxy('http://u:pw@p:8080', '/etc/containers/registries.conf')
    expect(r.proxy).toBe('http://u:***@p:8080')
    expect(r.summary).toBe('via http://u:***@p:8080 (registries.conf proxy)')
    expect(r.reason).not.toContain('pw')
  })
})

describe('explanations', () => {
  const hop: HopContext = {role: 'mirror', host: 'mirror.test', port: 5000, mirrorHostPort: 'mirror.test:5000', timeoutSeconds: 5}
  const viaProxy: HopContext = {...hop, role: 'proxy', host: 'proxy', port: 3128, proxySource: 'HTTPS_PROXY', noProxy: 'localhost'}

  it('dns and tcp failures name the likely fix', () => {
    expect(explainDnsError('ENOTFOUND', hop)).toMatchObject({status: 'fail', fix: expect.stringContaining('/etc/hosts')})
    expect(explainDnsError('ENOTFOUND', viaProxy).detail).toContain('the proxy host proxy (from HTTPS_PROXY)')
    expect(explainConnectError('ECONNREFUSED', hop).fix).toContain('nothing listens on mirror.test:5000')
    expect(explainConnectError('ECONNREFUSED', viaProxy).fix).toContain('proxy named by HTTPS_PROXY')
    expect(explainConnectError('ETIMEDOUT', hop).detail).toContain('within 5 s')
  })

  it('proxy answers to CONNECT suggest a NO_PROXY that keeps existing entries', () => {
    expect(explainProxyStatus(502, viaProxy).fix).toContain('NO_PROXY=localhost,mirror.test,127.0.0.1,::1')
    expect(explainProxyStatus(500, viaProxy).detail).toContain('could not reach')
    expect(explainProxyStatus(407, viaProxy).fix).toContain('user:password')
    expect(explainProxyStatus(403, viaProxy).detail).toContain('forbidden')
  })

  it('plain HTTP on a TLS port', () => {
    const v = explainHandshakeError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number', {hostPort: 'm:5000', plainHttp: true, timeoutSeconds: 5})
    expect(v).toMatchObject({status: 'fail', detail: 'server gave HTTP response to HTTPS client'})
    expect(v.fix).toContain('insecure')
  })

  it('API answers', () => {
    expect(explainApiStatus(200, {}, {apiRoot: '', viaProxy: false, hostPort: 'm:5000'}).detail).toContain('not a registry API')
    expect(explainApiStatus(404, {}, {apiRoot: '/p', viaProxy: false, hostPort: 'm:5000'}).fix).toContain('/p/v2/')
    expect(explainApiStatus(503, {}, {apiRoot: '', viaProxy: true, hostPort: 'm:5000', noProxy: 'a.test'}).fix).toContain('NO_PROXY=a.test,m,localhost')
    expect(explainApiStatus(429, {'retry-after': '30'}, {apiRoot: '', viaProxy: false, hostPort: 'm'}).detail).toContain('Retry-After: 30')
  })

  it('a mirror that wants its own login: dockerd falls back silently, podman can log in', () => {
    const docker = loginRequired('docker', 'm:5000', 'GET /v2/ -> 401')
    expect(docker.status).toBe('fail')
    expect(docker.detail).toContain("dockerd never uses a mirror's own credentials")
    const podman = loginRequired('podman', 'm:5000', 'GET /v2/ -> 401')
    expect(podman.status).toBe('warn')
    expect(podman.fix).toContain('podman login m:5000')
  })
})

describe('judgeTls', () => {
  const base: TlsFacts = {
    protocol: 'TLSv1.3',
    chainOk: true,
    chainError: null,
    hostnameError: null,
    subject: 'mirror.test',
    issuer: 'Test CA',
    altNames: 'DNS:mirror.test',
    validTo: new Date('2030-01-01T00:00:00Z'),
    daysLeft: 400,
  }
  const ctx = {host: 'mirror.test', hostPort: 'mirror.test:5000', insecure: false, trust: 'system roots'}

  it('ok, warn under 14 days', () => {
    expect(judgeTls(base, ctx)).toMatchObject({status: 'ok', detail: expect.stringContaining('verified with system roots, expires 2030-01-01 (400 days)')})
    expect(judgeTls({...base, daysLeft: 13}, ctx)).toMatchObject({status: 'warn', fix: expect.stringContaining('renew')})
    expect(judgeTls({...base, daysLeft: 14}, ctx).status).toBe('ok')
  })

  it('unknown CA, expired, wrong name: each with its fix', () => {
    const unknown = judgeTls({...base, chainOk: false, chainError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'}, ctx)
    expect(unknown).toMatchObject({status: 'fail', detail: expect.stringContaining('unknown authority')})
    expect(unknown.fix).toContain('/etc/containers/certs.d/mirror.test:5000/ca.crt')
    expect(unknown.fix).toContain('/etc/docker/certs.d/mirror.test:5000/ca.crt')
    const expired = judgeTls({...base, chainOk: false, chainError: 'CERT_HAS_EXPIRED', daysLeft: -3, validTo: new Date('2024-01-01T00:00:00Z')}, ctx)
    expect(expired.detail).toBe('certificate expired on 2024-01-01 (3 days ago)')
    const name = judgeTls({...base, hostnameError: 'mismatch', altNames: 'DNS:other.test'}, ctx)
    expect(name.detail).toContain('not valid for mirror.test (it names DNS:other.test)')
    expect(name.fix).toContain('subjectAltName')
  })

  it('insecure mirrors are not verified, but the problems are shown', () => {
    const v = judgeTls({...base, chainOk: false, chainError: 'DEPTH_ZERO_SELF_SIGNED_CERT'}, {...ctx, insecure: true})
    expect(v.status).toBe('ok')
    expect(v.detail).toContain('not verified (insecure mirror): certificate signed by unknown authority')
  })
})
