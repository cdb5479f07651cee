// The built CLI on k3s's registries.yaml under --root: what it writes and what lint reports
// follow k3s's own reading of the file (docs/containerd.md, section k3s and RKE2).
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {cli, tempDir} from '../helpers/cli.js'

let root: string
let cleanup: () => void
const file = () => path.join(root, 'etc/rancher/k3s/registries.yaml')

beforeEach(() => {
  ;({dir: root, cleanup} = tempDir('k3s-source'))
  mkdirSync(path.dirname(file()), {recursive: true})
})
afterEach(() => cleanup())

describe('k3s registries.yaml through the CLI', () => {
  it('adds a namespace mirror below /v2, names the restart, and removes it again by the same MIRROR', async () => {
    writeFileSync(file(), '# cluster mirrors\nmirrors:\n  docker.io:\n    endpoint:\n      - mirror.example.com # no scheme: k3s reads https://mirror.example.com/v2\n')
    const added = await cli(['mirror', 'add', 'docker.io', 'harbor.example.com/dockerhub-proxy', 'https://mirror.example.com/v2', '--engine', 'k3s', '--root', root, '--no-backup'])
    expect(added.exitCode, added.stderr).toBe(0)
    expect(added.stdout).toContain('restart k3s')
    expect(readFileSync(file(), 'utf8')).toBe('# cluster mirrors\nmirrors:\n  docker.io:\n    endpoint:\n      - https://harbor.example.com/v2/dockerhub-proxy\n      - mirror.example.com # no scheme: k3s reads https://mirror.example.com/v2\n')
    const removed = await cli(['mirror', 'remove', 'docker.io', 'harbor.example.com/dockerhub-proxy', '--engine', 'k3s', '--root', root, '--no-backup'])
    expect(removed.exitCode, removed.stderr).toBe(0)
    expect(readFileSync(file(), 'utf8')).toBe('# cluster mirrors\nmirrors:\n  docker.io:\n    endpoint:\n      - mirror.example.com # no scheme: k3s reads https://mirror.example.com/v2\n')
  })

  it('lint reports what k3s ignores silently, and a TLS file containerd cannot read as an error', async () => {
    writeFileSync(file(), 'mirrors:\n  docker.io:\n    endpoint:\n      - "https://mirror.lan/dockerhub"\nconfigs:\n  "https://mirror.lan":\n    tls:\n      insecure-skip-verify: true\n  mirror.lan:\n    tls:\n      ca_file: /etc/rancher/k3s/missing-ca.pem\n')
    const linted = await cli(['lint', '--root', root, '--json'])
    expect(linted.exitCode, linted.stderr).toBe(1)
    const findings = (JSON.parse(linted.stdout) as {findings: {rule: string; line: number}[]}).findings
    expect(findings.map((f) => [f.rule, f.line])).toEqual([
      ['k3s-registries/endpoint-path-no-v2', 4],
      ['k3s-registries/config-key-not-host', 6],
      ['k3s-registries/unknown-key', 8],
      ['k3s-registries/unreadable-tls-file', 11],
    ])
  })
})
