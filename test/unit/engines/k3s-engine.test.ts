// k3s through a --root tree: registries.yaml found under /etc/rancher, TLS files checked the way
// containerd reads the hosts.toml k3s generates, and what is refused before anything is written.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {UserError} from '../../../src/core/errors.js'
import {planK3sChange} from '../../../src/engines/k3s-change.js'
import {lintK3sOnHost} from '../../../src/engines/k3s-lint.js'
import {LocalHost} from '../../../src/hosts/local-host.js'
import {parseMirrorArgument, type MirrorChange} from '../../../src/policy/mirror-policy.js'

let root: string
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-k3s-'))
})
afterEach(() => rmSync(root, {recursive: true, force: true}))

const put = (file: string, text: string): void => {
  mkdirSync(path.dirname(path.join(root, file)), {recursive: true})
  writeFileSync(path.join(root, file), text)
}
const add: MirrorChange = {action: 'add', source: 'docker.io', mirrors: [parseMirrorArgument('cache.example.com:5000')], location: null, position: 'first'}

describe('k3s on a host', () => {
  it('reports TLS files containerd cannot read: every pull through that host fails', async () => {
    put('/etc/rancher/k3s/ca.pem', 'x')
    put('/etc/rancher/k3s/registries.yaml', 'configs:\n  mirror.lan:\n    tls:\n      ca_file: /etc/rancher/k3s/ca.pem\n      cert_file: /etc/rancher/k3s/missing.pem\n  other.lan:\n    tls:\n      key_file: /etc/rancher/k3s/ca.pem\n  rel.lan:\n    tls:\n      ca_file: certs/ca.pem\n')
    const result = await lintK3sOnHost(new LocalHost(root))
    expect(result!.findings.map((f) => [f.rule, f.severity, f.line])).toEqual([
      ['k3s-registries/unreadable-tls-file', 'error', 5],
      ['k3s-registries/unreadable-tls-file', 'error', 8],
      ['k3s-registries/unreadable-tls-file', 'error', 11],
    ])
  })

  it('plans into RKE2\'s file when only /etc/rancher/rke2 exists, and names the restart', async () => {
    mkdirSync(path.join(root, 'etc/rancher/rke2'), {recursive: true})
    const planned = await planK3sChange(new LocalHost(root), add, {})
    expect(planned.map((p) => p.path)).toEqual(['/etc/rancher/rke2/registries.yaml'])
    expect(planned[0]!.actions.at(-1)).toBe('restart rke2-server (rke2-agent on agents) to apply it: registries.yaml is read at start')
  })

  it('accepts a registry entry with no value (k3s does), and refuses a type k3s does not start with', async () => {
    put('/etc/rancher/k3s/registries.yaml', 'mirrors:\n  quay.io:\n')
    expect(await planK3sChange(new LocalHost(root), add, {})).toHaveLength(1)
    put('/etc/rancher/k3s/registries.yaml', 'configs:\n  cache.example.com:5000:\n    tls:\n      insecure_skip_verify: "true"\n')
    const refused = await planK3sChange(new LocalHost(root), add, {}).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(UserError)
    expect(refused).toMatchObject({exitCode: 1, rule: 'k3s-registries/wrong-type'})
  })
})
