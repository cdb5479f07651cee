import {describe, expect, it} from 'vitest'
import {resolveContainerd, type HostsDirSnapshot} from '../../../../src/formats/containerd-hosts/index.js'

const snap = (folders: Record<string, string | null>, files: Record<string, string[]> = {}): HostsDirSnapshot => ({
  root: '/etc/containerd/certs.d',
  folders: new Map(Object.entries(folders).map(([k, v]) => [k, {hostsToml: v, files: files[k] ?? (v === null ? [] : ['hosts.toml'])}])),
})

const MIRROR = `server = "https://registry-1.docker.io"

[host."http://127.0.0.1:5000"]
  capabilities = ["pull", "resolve"]
`

describe('resolveContainerd (remotes/docker/config/hosts.go)', () => {
  it('without a folder: docker.io goes to registry-1.docker.io/v2 with all capabilities', () => {
    const r = resolveContainerd('nginx', null, '2')
    expect(r.sources).toEqual([{url: 'https://registry-1.docker.io/v2', capabilities: ['pull', 'resolve', 'push'], skipVerify: false}])
  })

  it('hosts in file order, then server last', () => {
    const r = resolveContainerd('docker.io/library/alpine:3.20', snap({'docker.io': MIRROR}), '1.6')
    expect(r.sources.map((s) => s.url)).toEqual(['http://127.0.0.1:5000/v2', 'https://registry-1.docker.io/v2'])
    expect(r.sources[0]!.capabilities).toEqual(['pull', 'resolve'])
  })

  it('a path gets /v2 appended unless it ends in /v2 or override_path is set', () => {
    const text = `[host."https://harbor.example.com/v2/proxy"]\n[host."https://h2.example.com/proxy"]\n[host."https://h3.example.com/v2/proxy"]\n  override_path = true\n[host."https://h4.example.com/a/../v2/"]\n`
    const r = resolveContainerd('alpine', snap({'docker.io': text}), '2')
    expect(r.sources.map((s) => s.url)).toEqual([
      'https://harbor.example.com/v2/proxy/v2',
      'https://h2.example.com/proxy/v2',
      'https://h3.example.com/v2/proxy',
      'https://h4.example.com/v2',
      'https://registry-1.docker.io/v2',
    ])
  })

  it('host_port_ wins over host:port, which wins over _default; an existing folder wins without hosts.toml', () => {
    const both = snap({'reg.local_5000_': MIRROR.replace('127.0.0.1:5000', 'a:1'), 'reg.local:5000': MIRROR})
    expect(resolveContainerd('reg.local:5000/x', both, '2').sources[0]!.url).toBe('http://a:1/v2')
    const empty = snap({'quay.io': null, _default: MIRROR})
    expect(resolveContainerd('quay.io/x/y', empty, '2').sources.map((s) => s.url)).toEqual(['https://quay.io/v2'])
    expect(resolveContainerd('ghcr.io/x/y', empty, '2').sources[0]!.url).toBe('http://127.0.0.1:5000/v2')
  })

  it('an undecodable hosts.toml is ignored: the default endpoint is used and the reason kept', () => {
    for (const bad of ['[host."https://m"\n', '[host."https://m"]\n  skip_verify = "true"\n', '[host."https://m"]\n  capabilities = ["pull", "mirror"]\n']) {
      const r = resolveContainerd('alpine', snap({'docker.io': bad}), '2')
      expect(r.sources.map((s) => s.url)).toEqual(['https://registry-1.docker.io/v2'])
      expect(r.ignored?.file).toBe('/etc/containerd/certs.d/docker.io/hosts.toml')
    }
  })

  it('a file without [host] tables: ignored by 1.6 and 1.7, its server used by 2.x', () => {
    const text = 'server = "https://mirror.example.com"\n'
    expect(resolveContainerd('alpine', snap({'docker.io': text}), '1.6').sources[0]!.url).toBe('https://registry-1.docker.io/v2')
    expect(resolveContainerd('alpine', snap({'docker.io': text}), '1.7').ignored?.message).toBe('invalid `host` tree')
    expect(resolveContainerd('alpine', snap({'docker.io': text}), '2').sources[0]!.url).toBe('https://mirror.example.com/v2')
  })

  it('localhost defaults differ by version', () => {
    expect(resolveContainerd('localhost:5000/x', null, '1.6').sources[0]).toMatchObject({url: 'https://localhost:5000/v2', skipVerify: false})
    expect(resolveContainerd('localhost:5000/x', null, '1.7').sources[0]).toMatchObject({url: 'http://localhost:5000/v2', skipVerify: true})
    // 2.x: http with its own TLS setting (skip_verify) on a port other than 80 is tried as https first, then http.
    expect(resolveContainerd('127.0.0.1:5000/x', null, '2').sources[0]).toMatchObject({url: 'https://127.0.0.1:5000/v2', skipVerify: true})
    expect(resolveContainerd('127.0.0.1:80/x', null, '2').sources[0]).toMatchObject({url: 'http://127.0.0.1:80/v2', skipVerify: false})
    expect(resolveContainerd('localhost/x', null, '2').sources[0]).toMatchObject({url: 'https://localhost/v2', skipVerify: true})
  })

  it('skip_verify is a boolean; a host starting with "http" without a scheme is garbled', () => {
    const r = resolveContainerd('alpine', snap({'docker.io': '[host."https://m.example.com"]\n  skip_verify = true\n[host."httpcache.local:5000"]\n'}), '2')
    expect(r.sources[0]).toMatchObject({url: 'https://m.example.com/v2', skipVerify: true})
    expect(r.sources[1]!.url).not.toContain('httpcache.local:5000')
  })

  it('relative ca and client paths are made absolute in the folder, for the engine to check', () => {
    const r = resolveContainerd('alpine', snap({'docker.io': '[host."https://m"]\n  ca = "ca.pem"\n  client = [["c.pem", "/k.pem"]]\n'}), '2')
    expect(r.files.map((f) => f.path)).toEqual(['/etc/containerd/certs.d/docker.io/ca.pem', '/etc/containerd/certs.d/docker.io/c.pem', '/k.pem'])
  })
})
