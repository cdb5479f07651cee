import {describe, expect, test} from 'vitest'
import {engineVersion} from '../../../../src/formats/daemon-json/known-keys.js'
import {
  checkInsecureRegistry,
  checkNondistributable,
  checkMirror,
  isDockerHubSource,
  maskPassword,
  mirrorKey,
  normalizeMirror,
  suggestedOtherRegistry,
} from '../../../../src/formats/daemon-json/mirror-url.js'

const V24 = engineVersion('24.0.9')
const V25 = engineVersion('25.0.0')
const V28 = engineVersion('28.5.2')
const V29 = engineVersion('29.0.0')

describe('checkMirror per Engine version', () => {
  test('a good mirror is normalised with one trailing slash', () => {
    expect(checkMirror('https://mirror.example.com', V29)).toMatchObject({ok: true, normalized: 'https://mirror.example.com/'})
    expect(checkMirror('https://mirror.example.com/', V24)).toMatchObject({ok: true, normalized: 'https://mirror.example.com/'})
    expect(checkMirror('http://10.0.0.5:5000', V24)).toMatchObject({ok: true})
  })

  test('no scheme: 29.0 says so', () => {
    expect(checkMirror('mirror.example.com:5000', V29)).toEqual({
      ok: false,
      problem: {kind: 'no-scheme', message: `invalid mirror: no scheme specified for "mirror.example.com:5000": must use either 'https://' or 'http://'`},
    })
  })

  test('no scheme: before 29.0 the host shows up as the scheme', () => {
    expect(checkMirror('mirror.example.com:5000', V28)).toEqual({
      ok: false,
      problem: {kind: 'no-scheme', message: 'invalid mirror: unsupported scheme "mirror.example.com" in "mirror.example.com:5000"'},
    })
    expect(checkMirror('mirror.example.com', V28)).toMatchObject({problem: {kind: 'no-scheme', message: expect.stringContaining('unsupported scheme ""')}})
    expect(checkMirror('10.0.0.1:5000', V28)).toMatchObject({
      problem: {kind: 'no-scheme', message: 'invalid mirror: "10.0.0.1:5000" is not a valid URI (first path segment in URL cannot contain colon)'},
    })
  })

  test('unsupported scheme', () => {
    expect(checkMirror('ftp://m.example.com', V29)).toMatchObject({
      problem: {kind: 'scheme', message: `invalid mirror: unsupported scheme "ftp" in "ftp://m.example.com": must use either 'https://' or 'http://'`},
    })
    expect(checkMirror('ftp://m.example.com', V28)).toMatchObject({problem: {kind: 'scheme', message: 'invalid mirror: unsupported scheme "ftp" in "ftp://m.example.com"'}})
  })

  test('a path: rejected up to 24.x, accepted from 25.0', () => {
    expect(checkMirror('https://harbor.example.com/dockerhub-proxy', V24)).toEqual({
      ok: false,
      problem: {kind: 'path', message: 'invalid mirror: path, query, or fragment at end of the URI "https://harbor.example.com/dockerhub-proxy"'},
    })
    expect(checkMirror('https://harbor.example.com/dockerhub-proxy', V25)).toMatchObject({ok: true, url: {path: '/dockerhub-proxy'}})
  })

  test('query or fragment: rejected in every version', () => {
    expect(checkMirror('https://m.example.com/?x=1', V29)).toMatchObject({problem: {kind: 'query-fragment', message: 'invalid mirror: query or fragment at end of the URI "https://m.example.com/?x=1"'}})
    expect(checkMirror('https://m.example.com#top', V24)).toMatchObject({problem: {kind: 'query-fragment', message: expect.stringContaining('path, query, or fragment')}})
  })

  test('credentials: rejected, the password masked', () => {
    const check = checkMirror('https://bob:s3cret@m.example.com', V29)
    expect(check).toEqual({ok: false, problem: {kind: 'userinfo', message: 'invalid mirror: username/password not allowed in URI "https://bob:xxxxx@m.example.com"'}})
    expect(JSON.stringify(check)).not.toContain('s3cret')
  })

  test('an invalid URL with a scheme', () => {
    expect(checkMirror('https://m.example.com:port', V29)).toMatchObject({problem: {kind: 'invalid-url'}})
  })

  test('an unknown version behaves as the newest', () => {
    expect(checkMirror('https://h.example.com/p', null)).toMatchObject({ok: true})
    expect(checkMirror('h.example.com', null)).toMatchObject({problem: {message: expect.stringContaining('no scheme specified')}})
  })
})

describe('mirror strings', () => {
  test('normalizeMirror does what strings.TrimSuffix(v, "/") + "/" does', () => {
    expect(normalizeMirror('https://m')).toBe('https://m/')
    expect(normalizeMirror('https://m/')).toBe('https://m/')
    expect(normalizeMirror('https://m//')).toBe('https://m//')
  })

  test('mirrorKey ignores case of scheme and host, and the trailing slash', () => {
    expect(mirrorKey('HTTPS://Mirror.Example.com')).toBe(mirrorKey('https://mirror.example.com/'))
    expect(mirrorKey('https://m/Path')).not.toBe(mirrorKey('https://m/path'))
  })

  test('maskPassword', () => {
    expect(maskPassword('http://u:p@proxy:3128')).toBe('http://u:xxxxx@proxy:3128')
    expect(maskPassword('http://proxy:3128')).toBe('http://proxy:3128')
  })
})

describe('checkInsecureRegistry', () => {
  test.each([
    ['myregistry.example.com:5000', {ok: true, cidr: false, strippedScheme: null, loopback: false}],
    ['10.0.0.0/8', {ok: true, cidr: true}],
    ['[2001:db8::1]:5000', {ok: true}],
    ['2001:db8::1', {ok: true}],
    ['http://10.0.0.5:5000', {ok: true, value: '10.0.0.5:5000', strippedScheme: 'http'}],
    ['HTTPS://r.example.com', {ok: true, value: 'r.example.com', strippedScheme: 'HTTPS'}],
    ['127.0.0.1:5000', {ok: true, loopback: true}],
    ['localhost:5000', {ok: true, loopback: true}],
    ['127.0.0.0/8', {ok: true, loopback: true}],
    ['::1', {ok: true, loopback: true}],
  ])('%s is accepted', (entry, expected) => {
    expect(checkInsecureRegistry(entry)).toMatchObject(expected)
  })

  test.each([
    ['-registry.example.com', 'invalid index name (-registry.example.com). Cannot begin or end with a hyphen'],
    ['ftp://r.example.com', "insecure registry ftp://r.example.com should not contain '://'"],
    ['r.example.com:99999', 'insecure registry r.example.com:99999 is not valid: invalid port "99999"'],
    ['r.example.com/path', 'insecure registry r.example.com/path is not valid: invalid host "r.example.com/path"'],
    ['http://r.example.com:5000/', 'insecure registry r.example.com:5000/ is not valid: invalid host "r.example.com"'],
    ['under_score.example.com', 'insecure registry under_score.example.com is not valid: invalid host "under_score.example.com"'],
    ['reg-.example.com', 'insecure registry reg-.example.com is not valid: invalid host "reg-.example.com"'],
    ['r.-example.com:5000', 'insecure registry r.-example.com:5000 is not valid: invalid host "r.-example.com"'],
    ['fe80::1%eth0', 'insecure registry fe80::1%eth0 is not valid: invalid host "fe80::1%eth0"'],
    ['r.example.com:http', 'insecure registry r.example.com:http is not valid: invalid host "r.example.com"'],
  ])('%s is rejected', (entry, message) => {
    expect(checkInsecureRegistry(entry)).toEqual({ok: false, message})
  })

  test('a hyphen inside a label is fine', () => {
    expect(checkInsecureRegistry('my-registry.ex-ample.com:5000')).toMatchObject({ok: true})
  })
})

describe('checkNondistributable (loadAllowNondistributableArtifacts, 20.10 to 28.x)', () => {
  test.each([
    ['myregistry.example.com:5000', {ok: true, cidr: false}],
    ['my-registry.example.com', {ok: true, cidr: false}],
    ['10.0.0.0/8', {ok: true, cidr: true}],
    ['2001:db8::/32', {ok: true, cidr: true}],
    ['[2001:db8::1]:5000', {ok: true, cidr: false}],
    ['index.docker.io', {ok: true, cidr: false}],
  ])('%s is accepted', (entry, expected) => {
    expect(checkNondistributable(entry)).toEqual(expected)
  })

  test.each([
    ['-registry.example.com', 'invalid index name (-registry.example.com). Cannot begin or end with a hyphen'],
    ['registry.example.com-', 'invalid index name (registry.example.com-). Cannot begin or end with a hyphen'],
    // Unlike insecure-registries, http:// is not stripped: any scheme is an error.
    ['http://registry.example.com', "allow-nondistributable-artifacts registry http://registry.example.com should not contain '://'"],
    ['https://registry.example.com:5000', "allow-nondistributable-artifacts registry https://registry.example.com:5000 should not contain '://'"],
    ['reg-.example.com', 'allow-nondistributable-artifacts registry reg-.example.com is not valid: invalid host "reg-.example.com"'],
    ['registry.example.com/path', 'allow-nondistributable-artifacts registry registry.example.com/path is not valid: invalid host "registry.example.com/path"'],
    ['registry.example.com:70000', 'allow-nondistributable-artifacts registry registry.example.com:70000 is not valid: invalid port "70000"'],
    ['10.0.0.0/33', 'allow-nondistributable-artifacts registry 10.0.0.0/33 is not valid: invalid host "10.0.0.0/33"'],
  ])('%s is rejected', (entry, message) => {
    expect(checkNondistributable(entry)).toEqual({ok: false, message})
  })
})

describe('Docker Hub and other registries', () => {
  test.each(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'Docker.IO', 'https://registry-1.docker.io/'])('%s is Docker Hub', (s) => {
    expect(isDockerHubSource(s)).toBe(true)
  })

  test.each(['quay.io', 'docker.io/library', 'ghcr.io', 'hub.docker.com'])('%s is not', (s) => {
    expect(isDockerHubSource(s)).toBe(false)
  })

  test.each([
    ['quay-mirror.example.com', '', 'quay.io'],
    ['mirror.example.com', '/ghcr', 'ghcr.io'],
    ['gcr.io', '', 'gcr.io'],
    ['eu.gcr.io', '', 'gcr.io'],
    ['k8s-cache.example.com', '', 'registry.k8s.io'],
    ['registry.k8s.io', '', 'registry.k8s.io'],
    ['mirror.gcr.io', '', null],
    ['mirror.example.com:5000', '', null],
    ['dockerhub.example.com', '/cache', null],
    ['dockerhub.k8s.example.com', '', null],
    ['hub-mirror.ecr.example.com', '', null],
  ])('%s%s suggests %s', (host, path, expected) => {
    expect(suggestedOtherRegistry({host, path})).toBe(expected)
  })
})
