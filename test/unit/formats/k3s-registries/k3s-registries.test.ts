import {describe, expect, it} from 'vitest'
import {lintK3sRegistries, parseK3sRegistries, planK3sRegistries, readK3sRegistries} from '../../../../src/formats/k3s-registries/index.js'
import {parseMirrorArgument} from '../../../../src/policy/mirror-policy.js'

const P = '/etc/rancher/k3s/registries.yaml'
const TEXT = `# cluster registries (keep this comment)
mirrors:
  docker.io:
    endpoint:
      - "https://old.example.com"   # the first cache
    rewrite:
      "^library/(.*)": "mirrored/$1"
configs:
  "old.example.com":
    tls:
      insecure_skip_verify: true
`

describe('k3s registries.yaml', () => {
  it('reads mirrors with endpoint and rewrite, and configs with tls', () => {
    const r = readK3sRegistries(parseK3sRegistries(TEXT, P))
    expect(r.mirrors['docker.io']).toEqual({endpoints: ['https://old.example.com'], rewrite: {'^library/(.*)': 'mirrored/$1'}})
    expect(r.configs['old.example.com']).toEqual({tls: {insecure_skip_verify: true}, auth: false})
  })

  it('lints syntax, shapes, unknown keys and endpoints without a scheme, with positions', () => {
    expect(lintK3sRegistries(parseK3sRegistries(TEXT, P))).toEqual([])
    expect(lintK3sRegistries(parseK3sRegistries('mirrors:\n  docker.io:\n    endpoint: [\n', P))[0]).toMatchObject({rule: 'k3s-registries/yaml-syntax', severity: 'error'})
    const f = lintK3sRegistries(parseK3sRegistries('mirror:\n  x: 1\nmirrors:\n  docker.io:\n    endpoint: "https://m"\n  quay.io:\n    endpoints: ["https://q"]\n    endpoint:\n      - q.example.com\n', P))
    expect(f.map((x) => [x.rule, x.line])).toEqual([
      ['k3s-registries/unknown-key', 1],
      ['k3s-registries/wrong-type', 5],
      ['k3s-registries/unknown-key', 7],
      ['k3s-registries/endpoint-no-scheme', 9],
    ])
  })

  it('add keeps comments, goes first, and converges; remove restores the endpoint list', () => {
    const add = {action: 'add' as const, source: 'docker.io', mirrors: [parseMirrorArgument('127.0.0.1:5000', {insecure: true})], location: null, position: 'first' as const}
    const first = planK3sRegistries(parseK3sRegistries(TEXT, P), add)
    expect(first.after).toContain('# cluster registries (keep this comment)')
    expect(first.after).toContain('# the first cache')
    expect(readK3sRegistries(parseK3sRegistries(first.after, P)).mirrors['docker.io']!.endpoints).toEqual(['http://127.0.0.1:5000', 'https://old.example.com'])
    expect(first.actions.at(-1)).toMatch(/restart k3s/)
    expect(planK3sRegistries(parseK3sRegistries(first.after, P), add)).toEqual({after: first.after, actions: []})
    const removed = planK3sRegistries(parseK3sRegistries(first.after, P), {action: 'remove', source: 'docker.io', mirrors: [parseMirrorArgument('127.0.0.1:5000')]})
    expect(readK3sRegistries(parseK3sRegistries(removed.after, P)).mirrors['docker.io']!.endpoints).toEqual(['https://old.example.com'])
    const fresh = planK3sRegistries(null, add)
    expect(readK3sRegistries(parseK3sRegistries(fresh.after, P)).mirrors['docker.io']!.endpoints).toEqual(['http://127.0.0.1:5000'])
  })
})
