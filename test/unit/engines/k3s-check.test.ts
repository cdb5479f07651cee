import {describe, expect, it} from 'vitest'
import {mirrorsFromK3s, normalizeK3sEndpoint} from '../../../src/engines/k3s-check.js'
import {parseK3sRegistries} from '../../../src/formats/k3s-registries/index.js'

const FILE = '/etc/rancher/k3s/registries.yaml'
const targets = (yaml: string) => mirrorsFromK3s(parseK3sRegistries(yaml, FILE))

// k3s-io/k3s pkg/agent/containerd/config.go normalizeEndpointAddress
describe('normalizeK3sEndpoint (k3s normalizeEndpointAddress)', () => {
  it('defaults to https, but to http for localhost or loopback on a port other than 443', () => {
    expect(normalizeK3sEndpoint('mirror.corp:5000')).toEqual({scheme: 'https', host: 'mirror.corp:5000', path: '/v2', overridePath: false})
    expect(normalizeK3sEndpoint('127.0.0.1:5000').scheme).toBe('http')
    expect(normalizeK3sEndpoint('localhost:5000').scheme).toBe('http')
    expect(normalizeK3sEndpoint('127.0.0.1:443').scheme).toBe('https')
    expect(normalizeK3sEndpoint('127.0.0.1').scheme).toBe('https')
    expect(normalizeK3sEndpoint('http://mirror.corp').scheme).toBe('http')
  })

  it('"", "/" and "/v2" mean /v2; any other path is kept and gets override_path', () => {
    for (const e of ['https://m', 'https://m/', 'https://m/v2']) expect(normalizeK3sEndpoint(e)).toEqual({scheme: 'https', host: 'm', path: '/v2', overridePath: false})
    expect(normalizeK3sEndpoint('https://harbor.corp/v2/dockerhub-proxy')).toEqual({scheme: 'https', host: 'harbor.corp', path: '/v2/dockerhub-proxy', overridePath: true})
    expect(normalizeK3sEndpoint('https://harbor.corp/dockerhub-proxy/')).toEqual({scheme: 'https', host: 'harbor.corp', path: '/dockerhub-proxy', overridePath: true})
  })

  it('docker.io as an endpoint host is Docker Hub\'s API host (docker.DefaultHost)', () => {
    expect(normalizeK3sEndpoint('docker.io').host).toBe('registry-1.docker.io')
  })

  it('rejects what url.Parse or containerd cannot use', () => {
    expect(() => normalizeK3sEndpoint('ftp://m')).toThrow(/neither http nor https/)
    expect(() => normalizeK3sEndpoint('https://')).toThrow()
  })
})

describe('mirrorsFromK3s', () => {
  it('takes every endpoint in file order, with the registries it serves and the URL containerd uses', () => {
    const t = targets(
      [
        'mirrors:',
        '  docker.io:',
        '    endpoint:',
        '      - "127.0.0.1:5000"',
        '      - "https://harbor.corp/v2/hub"',
        '      - "https://registry-1.docker.io"',
        '  quay.io:',
        '    endpoint: ["127.0.0.1:5000"]',
        '  "*":',
        '    endpoint: ["https://cache.corp"]',
      ].join('\n'),
    )
    expect(t.map((x) => ({mirror: x.mirror, hostPort: x.hostPort, scheme: x.scheme, apiRoot: x.apiRoot, namespace: x.namespace, serves: x.serves, problem: x.problem}))).toEqual([
      {mirror: 'http://127.0.0.1:5000/v2', hostPort: '127.0.0.1:5000', scheme: 'http', apiRoot: '', namespace: '', serves: ['docker.io', 'quay.io'], problem: undefined},
      {mirror: 'https://harbor.corp/v2/hub', hostPort: 'harbor.corp', scheme: 'https', apiRoot: '', namespace: 'hub', serves: ['docker.io'], problem: undefined},
      {mirror: 'https://cache.corp/v2', hostPort: 'cache.corp', scheme: 'https', apiRoot: '', namespace: '', serves: ['*'], problem: undefined},
    ])
    expect(t[0]!.origin).toBe(FILE)
  })

  it('an override path without /v2 cannot serve the registry API: a problem naming the fix', () => {
    const [t] = targets('mirrors:\n  docker.io:\n    endpoint: ["https://harbor.corp/hub"]\n')
    expect(t!.problem).toMatch(/override_path/)
    expect(t!.problem).toContain('https://harbor.corp/v2/hub')
  })

  it('an override path ending in /v2 puts the path before /v2', () => {
    const [t] = targets('mirrors:\n  docker.io:\n    endpoint: ["https://art.corp/api/docker/v2"]\n')
    expect([t!.apiRoot, t!.namespace, t!.problem]).toEqual(['/api/docker', '', undefined])
  })

  it('configs.<endpoint host>.tls: ca_file is trusted, insecure_skip_verify skips verification', () => {
    const [t] = targets('mirrors:\n  docker.io:\n    endpoint: ["https://m.corp:5000"]\nconfigs:\n  "m.corp:5000":\n    tls:\n      ca_file: /etc/pki/corp.pem\n      insecure_skip_verify: true\n')
    expect(t!.caFiles).toEqual(['/etc/pki/corp.pem'])
    expect(t!.insecure).toBe(true)
  })

  it('an endpoint k3s ignores is reported as one that cannot be probed', () => {
    const [t] = targets('mirrors:\n  docker.io:\n    endpoint: ["ftp://m.corp"]\n')
    expect(t!.problem).toMatch(/k3s ignores this endpoint/)
  })
})
