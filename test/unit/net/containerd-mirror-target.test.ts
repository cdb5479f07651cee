import {describe, expect, it} from 'vitest'
import {mirrorsFromContainerd} from '../../../src/net/mirror-target.js'
import type {HostsDirSnapshot} from '../../../src/formats/containerd-hosts/resolve.js'

function snapshot(root: string, folders: Record<string, string | null>): HostsDirSnapshot {
  return {root, folders: new Map(Object.entries(folders).map(([name, hostsToml]) => [name, {hostsToml, files: hostsToml === null ? [] : ['hosts.toml']}]))}
}

describe('mirrorsFromContainerd', () => {
  it('takes every [host] entry (not the server); an override_path below /v2 is API root plus namespace, as containerd requests it', () => {
    const s = snapshot('/etc/containerd/certs.d', {
      'docker.io': 'server = "https://registry-1.docker.io"\n[host."https://mirror.corp:5000"]\n  capabilities = ["pull", "resolve"]\n[host."http://10.0.0.5:5000/harbor/v2/proxy"]\n  capabilities = ["pull"]\n  override_path = true\n',
      'quay.io': '[host."https://mirror.corp:5000"]\n  capabilities = ["pull", "resolve"]\n',
      'registry.local_5000_': '[host."https://registry.local:5000"]\n  skip_verify = true\n',
    })
    const targets = mirrorsFromContainerd([s], '2')
    expect(targets.map((t) => ({mirror: t.mirror, hostPort: t.hostPort, apiRoot: t.apiRoot, namespace: t.namespace, scheme: t.scheme, insecure: t.insecure, serves: t.serves, kind: t.kind}))).toEqual([
      {mirror: 'https://mirror.corp:5000/v2', hostPort: 'mirror.corp:5000', apiRoot: '', namespace: '', scheme: 'https', insecure: false, serves: ['docker.io', 'quay.io'], kind: 'containerd-hosts'},
      {mirror: 'http://10.0.0.5:5000/harbor/v2/proxy', hostPort: '10.0.0.5:5000', apiRoot: '/harbor', namespace: 'proxy', scheme: 'http', insecure: false, serves: ['docker.io'], kind: 'containerd-hosts'},
      {mirror: 'https://registry.local:5000/v2', hostPort: 'registry.local:5000', apiRoot: '', namespace: '', scheme: 'https', insecure: true, serves: ['registry.local:5000'], kind: 'containerd-hosts'},
    ])
    expect(targets[0]!.origin).toBe('/etc/containerd/certs.d/docker.io/hosts.toml')
  })

  it('the first root with a folder wins; a hosts.toml containerd cannot decode is ignored, as containerd ignores it', () => {
    const first = snapshot('/a', {'docker.io': '[host."https://first:5000"]\n', _default: 'server = 1\n'})
    const second = snapshot('/b', {'docker.io': '[host."https://second:5000"]\n', 'ghcr.io': '[host."https://ghcr-mirror"]\n'})
    expect(mirrorsFromContainerd([first, second], '2').map((t) => [t.mirror, t.serves])).toEqual([
      ['https://first:5000/v2', ['docker.io']],
      ['https://ghcr-mirror/v2', ['ghcr.io']],
    ])
  })

  it('keeps the ca files a [host] names, relative to its folder', () => {
    const [t] = mirrorsFromContainerd([snapshot('/etc/containerd/certs.d', {'quay.io': '[host."https://m.corp"]\n  ca = ["ca.crt", "/etc/pki/corp.pem"]\n'})], '2')
    expect(t!.caFiles).toEqual(['/etc/containerd/certs.d/quay.io/ca.crt', '/etc/pki/corp.pem'])
  })

  it('_default serves every registry', () => {
    const targets = mirrorsFromContainerd([snapshot('/d', {_default: '[host."https://cache.internal"]\n'})], '1.7')
    expect(targets.map((t) => [t.mirror, t.serves])).toEqual([['https://cache.internal/v2', ['*']]])
  })
})
