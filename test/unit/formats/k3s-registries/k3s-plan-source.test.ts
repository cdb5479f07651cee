import {describe, expect, it} from 'vitest'
import {k3sHostsFiles, parseK3sRegistries, planK3sRegistries, readK3sRegistries, sameEndpoint} from '../../../../src/formats/k3s-registries/index.js'
import {parseMirrorArgument} from '../../../../src/policy/mirror-policy.js'

const P = '/etc/rancher/k3s/registries.yaml'
const doc = (text: string) => parseK3sRegistries(text, P)
const add = (mirror: string, position: 'first' | 'last' = 'last') => ({
  action: 'add' as const, source: 'docker.io', mirrors: [parseMirrorArgument(mirror)], location: null, position,
})

describe('k3s change planning agrees with how k3s reads endpoints', () => {
  it('writes a namespace mirror so that containerd requests <host>/v2/<namespace>/<repo>, as for registries.conf', () => {
    // k3s keeps any path other than "", "/" and "/v2" and sets override_path: the path must hold the /v2.
    const planned = planK3sRegistries(null, add('harbor.example.com/dockerhub-proxy'))
    const written = readK3sRegistries(doc(planned.after))
    expect(written.mirrors['docker.io']!.endpoints).toEqual(['https://harbor.example.com/v2/dockerhub-proxy'])
    expect(k3sHostsFiles(written)[0]!.hosts[0]).toMatchObject({url: 'https://harbor.example.com/v2/dockerhub-proxy', overridePath: true})
  })

  it('converges when the mirror is already listed in another spelling k3s reads the same', () => {
    for (const existing of ['mirror.example.com', 'https://mirror.example.com/v2', 'https://mirror.example.com/']) {
      const text = `mirrors:\n  docker.io:\n    endpoint:\n      - "${existing}"\n`
      expect(planK3sRegistries(doc(text), add('mirror.example.com'))).toEqual({after: text, actions: []})
    }
  })

  it('takes a MIRROR whose path starts with v2 as the API root, not as a namespace called v2', () => {
    expect(readK3sRegistries(doc(planK3sRegistries(null, add('https://harbor.example.com/v2/proxy')).after)).mirrors['docker.io']!.endpoints).toEqual(['https://harbor.example.com/v2/proxy'])
    const text = 'mirrors:\n  docker.io:\n    endpoint:\n      - mirror.example.com\n'
    expect(planK3sRegistries(doc(text), add('https://mirror.example.com/v2')).actions).toEqual([])
    expect(sameEndpoint('https://harbor.example.com/v2/proxy', 'harbor.example.com/v2/proxy')).toBe(true)
    expect(sameEndpoint('https://harbor.example.com/v2/proxy', 'harbor.example.com/proxy')).toBe(true)
  })

  it('removes a mirror written in another spelling', () => {
    const text = 'mirrors:\n  docker.io:\n    endpoint:\n      - "https://mirror.example.com/v2"\n      - "https://other.example.com"\n'
    const removed = planK3sRegistries(doc(text), {action: 'remove', source: 'docker.io', mirrors: [parseMirrorArgument('mirror.example.com')]})
    expect(readK3sRegistries(doc(removed.after)).mirrors['docker.io']!.endpoints).toEqual(['https://other.example.com'])
  })

  it('names the restart in the actions', () => {
    expect(planK3sRegistries(null, add('mirror.example.com')).actions.at(-1)).toMatch(/restart k3s .*registries\.yaml is read at start/)
  })
})
