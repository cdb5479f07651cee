import {describe, expect, it} from 'vitest'
import {k3sHostsFiles, lintK3sRegistries, parseK3sRegistries, readK3sRegistries} from '../../../../src/formats/k3s-registries/index.js'

// What k3s does with registries.yaml, from its source: wharfie's registries.GetPrivateRegistries
// decodes it with gopkg.in/yaml.v2 (not strict: unknown keys are dropped; a type error is an
// error), and k3s's agent config returns that error, so k3s does not start. Endpoints k3s cannot
// parse are logged ("Ignoring invalid endpoint URL") and dropped (pkg/agent/containerd/config.go).

const P = '/etc/rancher/k3s/registries.yaml'
const lint = (text: string) => lintK3sRegistries(parseK3sRegistries(text, P)).map((f) => [f.rule, f.severity, f.line])

describe('k3s registries.yaml lint, from k3s and wharfie source', () => {
  it('accepts a registry with no value (k3s writes nothing for it) and endpoints without a scheme as info', () => {
    expect(lint('mirrors:\n  docker.io:\n  "*":\n')).toEqual([])
    expect(lintK3sRegistries(parseK3sRegistries('mirrors:\n  docker.io:\n    endpoint:\n      - mirror.lan:5000\n      - localhost:5000\n', P)).map((f) => [f.rule, f.severity, f.message])).toEqual([
      ['k3s-registries/endpoint-no-scheme', 'info', 'endpoint "mirror.lan:5000" has no scheme: k3s uses https://mirror.lan:5000/v2'],
      ['k3s-registries/endpoint-no-scheme', 'info', 'endpoint "localhost:5000" has no scheme: k3s uses http://localhost:5000/v2'],
    ])
  })

  it('reports keys yaml.v2 drops under configs, tls and auth (misspellings, the hosts.toml names)', () => {
    expect(lint('configs:\n  mirror.lan:\n    tls:\n      insecure-skip-verify: true\n      ca: /ca.pem\n    auth:\n      identitytoken: x\n    tsl: {}\nauths: {}\n')).toEqual([
      ['k3s-registries/unknown-key', 'warning', 4],
      ['k3s-registries/unknown-key', 'warning', 5],
      ['k3s-registries/unknown-key', 'warning', 7],
      ['k3s-registries/unknown-key', 'warning', 8],
      ['k3s-registries/unknown-key', 'warning', 9],
    ])
  })

  it('reports the types yaml.v2 refuses, which stop k3s from starting', () => {
    expect(lint('configs:\n  mirror.lan:\n    tls:\n      insecure_skip_verify: "true"\n')).toEqual([['k3s-registries/wrong-type', 'error', 4]])
    expect(lint('configs:\n  mirror.lan:\n    tls: /ca.pem\n')).toEqual([['k3s-registries/wrong-type', 'error', 3]])
    expect(lint('configs:\n  mirror.lan: true\n')).toEqual([['k3s-registries/wrong-type', 'error', 2]])
    expect(lint('mirrors:\n  docker.io: "https://mirror.lan"\n')).toEqual([['k3s-registries/wrong-type', 'error', 2]])
    // YAML 1.1 booleans, which yaml.v2 reads as true: accepted, and read as true.
    const yes = 'configs:\n  mirror.lan:\n    tls:\n      insecure_skip_verify: yes\n'
    expect(lint(yes)).toEqual([])
    expect(readK3sRegistries(parseK3sRegistries(yes, P)).configs['mirror.lan']!.tls).toEqual({insecure_skip_verify: true})
  })

  it('reports endpoints k3s drops: unparsable ones and duplicates', () => {
    expect(lint('mirrors:\n  docker.io:\n    endpoint:\n      - "https://mirror.lan:port"\n      - "ftp://mirror.lan"\n      - mirror.lan\n      - "https://mirror.lan/v2"\n')).toEqual([
      ['k3s-registries/endpoint-invalid', 'warning', 4],
      ['k3s-registries/endpoint-invalid', 'warning', 5],
      ['k3s-registries/endpoint-no-scheme', 'info', 6],
      ['k3s-registries/duplicate-endpoint', 'info', 7],
    ])
  })

  it('reports an endpoint path without /v2: k3s sets override_path and containerd then asks <path>/<repo> without /v2', () => {
    expect(lint('mirrors:\n  docker.io:\n    endpoint:\n      - "https://mirror.lan/dockerhub"\n      - "https://harbor.lan/v2/dockerhub"\n      - "https://registry.lan/prefix/v2"\n')).toEqual([
      ['k3s-registries/endpoint-path-no-v2', 'warning', 4],
    ])
  })

  it('reports mirrors and configs keys that are not host[:port]: containerd and k3s look them up by host', () => {
    expect(lint('mirrors:\n  "https://docker.io":\n    endpoint: ["https://mirror.lan"]\nconfigs:\n  "https://mirror.lan":\n    tls:\n      insecure_skip_verify: true\n  "mirror.lan/v2":\n    auth:\n      username: u\n')).toEqual([
      ['k3s-registries/mirror-key-not-host', 'warning', 2],
      ['k3s-registries/config-key-not-host', 'warning', 5],
      ['k3s-registries/config-key-not-host', 'warning', 8],
    ])
  })

  it('a configs key with a scheme is never applied to the mirror endpoint', () => {
    const r = readK3sRegistries(parseK3sRegistries('mirrors:\n  docker.io:\n    endpoint: ["https://mirror.lan"]\nconfigs:\n  "https://mirror.lan":\n    tls:\n      insecure_skip_verify: true\n', P))
    expect(k3sHostsFiles(r).find((f) => f.folder === 'docker.io')!.hosts[0]!.skipVerify).toBe(false)
  })
})
