import {describe, expect, it} from 'vitest'
import {k3sHostsFiles, normalizeK3sEndpoint, parseK3sRegistries, readK3sRegistries} from '../../../../src/formats/k3s-registries/index.js'

// Expected values follow the cases of k3s's own pkg/agent/containerd/config_test.go
// (Test_UnitGetHostConfigs) and the rules of normalizeEndpointAddress in config.go.

const files = (yaml: string, options: {noDefaultEndpoint?: boolean} = {}) =>
  k3sHostsFiles(readK3sRegistries(parseK3sRegistries(yaml, '/etc/rancher/k3s/registries.yaml')), options)

describe('k3s endpoint normalization (normalizeEndpointAddress)', () => {
  it.each([
    ['registry.example.com', 'https://registry.example.com/v2', false],
    ['registry.example.com/v2', 'https://registry.example.com/v2', false],
    ['https://registry.example.com', 'https://registry.example.com/v2', false],
    ['https://registry.example.com/', 'https://registry.example.com/v2', false],
    ['registry.example.com/prefix/v2', 'https://registry.example.com/prefix/v2', true],
    ['https://registry.example.com/project/registry', 'https://registry.example.com/project/registry', true],
    ['registry.example.com:443', 'https://registry.example.com:443/v2', false],
    ['1.2.3.4:443', 'https://1.2.3.4:443/v2', false],
    ['localhost:5000', 'http://localhost:5000/v2', false],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000/v2', false],
    ['https://127.0.0.1:5000', 'https://127.0.0.1:5000/v2', false],
    ['localhost:443', 'https://localhost:443/v2', false],
    ['localhost', 'https://localhost/v2', false],
    ['mirror.lan:5000', 'https://mirror.lan:5000/v2', false],
    ['httpcache.local:5000', 'https://httpcache.local:5000/v2', false],
    ['docker.io', 'https://registry-1.docker.io/v2', false],
  ])('%s -> %s (override_path %s)', (given, url, override) => {
    expect(normalizeK3sEndpoint(given)).toMatchObject({url, overridePath: override})
  })

  it('names the registry whose configs entry applies: host[:port], docker.io for Docker Hub', () => {
    expect(normalizeK3sEndpoint('https://mirror.lan:5000/v2')).toMatchObject({registry: 'mirror.lan:5000'})
    expect(normalizeK3sEndpoint('registry-1.docker.io')).toMatchObject({registry: 'docker.io'})
  })

  it('reports what Go url.Parse rejects (k3s logs and drops the endpoint)', () => {
    expect(normalizeK3sEndpoint('mirror.lan:port')).toHaveProperty('error')
    expect(normalizeK3sEndpoint('https://mirror.lan:5000:x')).toHaveProperty('error')
    expect(normalizeK3sEndpoint('https://[::1')).toHaveProperty('error')
  })
})

describe('hosts.toml k3s generates (getHostConfigs)', () => {
  it('writes nothing for a registry with no endpoints, or only itself', () => {
    expect(files('mirrors:\n  docker.io:\n')).toEqual([])
    expect(files('mirrors:\n  docker.io:\n    endpoint:\n      - docker.io\n')).toEqual([])
    expect(files('mirrors:\n  "*":\n')).toEqual([])
  })

  it('puts the mirrors first and the registry itself last, as the server', () => {
    expect(files('mirrors:\n  docker.io:\n    endpoint:\n      - registry.example.com\n')).toEqual([
      {folder: 'docker.io', server: 'https://registry-1.docker.io/v2', serverTls: {skipVerify: false, ca: null, client: null}, hosts: [
        {url: 'https://registry.example.com/v2', overridePath: false, skipVerify: false, ca: null, client: null, rewrite: {}},
      ]},
    ])
  })

  it('drops duplicates, also written differently, keeping the first position', () => {
    const one = files('mirrors:\n  docker.io:\n    endpoint: [registry.example.com, "https://registry.example.com", "https://registry.example.com/v2"]\n')
    expect(one[0]!.hosts.map((h) => h.url)).toEqual(['https://registry.example.com/v2'])
    const two = files('mirrors:\n  docker.io:\n    endpoint: ["https://registry.example.com", "https://registry.example.org", "https://registry.example.com"]\n')
    expect(two[0]!.hosts.map((h) => h.url)).toEqual(['https://registry.example.com/v2', 'https://registry.example.org/v2'])
  })

  it('writes a file for a configs entry alone, and applies a mirror host\'s configs to that mirror', () => {
    const f = files('mirrors:\n  docker.io:\n    endpoint: ["https://registry.example.com/v2"]\nconfigs:\n  registry.example.com:\n    auth:\n      username: user\n      password: pass\n    tls:\n      ca_file: /ca.pem\n      insecure_skip_verify: true\n')
    expect(f.map((x) => [x.folder, x.server])).toEqual([
      ['registry.example.com', 'https://registry.example.com/v2'],
      ['docker.io', 'https://registry-1.docker.io/v2'],
    ])
    expect(f[1]!.hosts[0]).toMatchObject({url: 'https://registry.example.com/v2', skipVerify: true, ca: '/ca.pem'})
  })

  it('copies the rewrite rules to every mirror endpoint, not to the server', () => {
    const f = files('mirrors:\n  docker.io:\n    endpoint: ["https://registry.example.com/v2"]\n    rewrite:\n      "^rancher/(.*)": "docker/rancher-images/$1"\n')
    expect(f[0]!.hosts[0]!.rewrite).toEqual({'^rancher/(.*)': 'docker/rancher-images/$1'})
  })

  it('maps "*" to the _default folder with `server = ""` (containerd then falls back to the registry pulled from)', () => {
    expect(files('mirrors:\n  "*":\n    endpoint: ["https://registry.example.com/v2"]\n')).toEqual([
      {folder: '_default', server: '', serverTls: {skipVerify: false, ca: null, client: null}, hosts: [expect.objectContaining({url: 'https://registry.example.com/v2'})]},
    ])
    expect(files('configs:\n  "*":\n    tls:\n      insecure_skip_verify: true\n')).toEqual([
      {folder: '_default', server: null, serverTls: {skipVerify: true, ca: null, client: null}, hosts: []},
    ])
  })

  it('writes no server line with --disable-default-registry-endpoint', () => {
    expect(files('mirrors:\n  docker.io:\n    endpoint: [registry.example.com]\n', {noDefaultEndpoint: true})[0]!.server).toBeNull()
  })

  it('gives an https endpoint of a localhost registry its own configs (the server defaults to http)', () => {
    const f = files('mirrors:\n  localhost:5000:\n    endpoint: ["https://localhost:5000"]\nconfigs:\n  localhost:5000:\n    tls:\n      insecure_skip_verify: true\n')
    expect(f).toEqual([
      {folder: 'localhost:5000', server: 'http://localhost:5000/v2', serverTls: {skipVerify: true, ca: null, client: null}, hosts: [
        {url: 'https://localhost:5000/v2', overridePath: false, skipVerify: true, ca: null, client: null, rewrite: {}},
      ]},
    ])
  })
})
