import {describe, expect, it} from 'vitest'
import {mirrorsFromK3s} from '../../../src/engines/k3s-check.js'
import {parseK3sRegistries} from '../../../src/formats/k3s-registries/index.js'

const FILE = '/etc/rancher/k3s/registries.yaml'
const targets = (yaml: string) => mirrorsFromK3s(parseK3sRegistries(yaml, FILE))

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

describe('endpoints check cannot probe', () => {
  it('a scheme other than http(s), credentials in the URL, or one k3s drops: a target with the problem named', () => {
    const t = targets('mirrors:\n  docker.io:\n    endpoint:\n      - "ftp://m.corp"\n      - "https://user:pw@m2.corp"\n      - "https://"\n')
    expect(t.map((x) => x.problem)).toEqual([
      expect.stringMatching(/neither http nor https/),
      expect.stringMatching(/credentials in an endpoint URL are not used/),
      expect.stringMatching(/^k3s ignores this endpoint: "https:\/\/": no host/),
    ])
  })
})
