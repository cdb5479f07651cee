import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {applyRequest, hostResultOf} from '../../../src/fleet/apply-host.js'
import {planHost, specIntent} from '../../../src/fleet/plan-host.js'
import {parseSpec} from '../../../src/policy/spec.js'
import {treeHost} from './check-tree.js'

const made: string[] = []
afterAll(() => made.forEach((d) => rmSync(d, {recursive: true, force: true})))

function tree(files: Record<string, string>, dirs: string[] = []): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-fleet-containerd-'))
  made.push(root)
  for (const d of dirs) mkdirSync(path.join(root, d), {recursive: true})
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), {recursive: true})
    writeFileSync(path.join(root, file), text)
  }
  return root
}

// A Kubernetes node's config.toml: the CRI registry table without config_path.
const CONFIG_TOML = 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n'
const SPEC = parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["mirror.corp.example:5000", "cache.corp.example"]\nengines = ["containerd", "k3s"]\n', 'spec.toml')

async function applied(root: string, spec = SPEC) {
  const host = treeHost(root)
  const plan = await planHost(host, specIntent(spec), {treeRoot: true})
  const result = hostResultOf('node', plan, await host.applyWrites(applyRequest(plan, '/var/lib/mirrorctl/backups')))
  return {host, plan, result}
}

describe('fleet spec with engines = ["containerd", "k3s"]', () => {
  test('plans config_path, hosts.toml and registries.yaml, names both restarts, and converges', async () => {
    const root = tree({'/etc/containerd/config.toml': CONFIG_TOML}, ['/etc/rancher/k3s'])
    const {plan, result} = await applied(root)
    expect(result.status, result.reason ?? '').toBe('changed')
    expect(plan.files.map((f) => [f.engine, f.path]).sort()).toEqual([
      ['containerd', '/etc/containerd/certs.d/docker.io/hosts.toml'],
      ['containerd', '/etc/containerd/config.toml'],
      ['k3s', '/etc/rancher/k3s/registries.yaml'],
    ])
    const actions = plan.files.flatMap((f) => f.actions)
    expect(actions).toContain('restart containerd to apply it (systemctl restart containerd)')
    expect(actions.some((a) => /^restart k3s/.test(a))).toBe(true)
    expect(readFileSync(path.join(root, 'etc/containerd/config.toml'), 'utf8')).toContain('config_path = "/etc/containerd/certs.d"')
    const hostsToml = readFileSync(path.join(root, 'etc/containerd/certs.d/docker.io/hosts.toml'), 'utf8')
    expect(hostsToml.indexOf('https://mirror.corp.example:5000')).toBeGreaterThan(-1)
    expect(hostsToml.indexOf('https://mirror.corp.example:5000')).toBeLessThan(hostsToml.indexOf('https://cache.corp.example'))
    const yaml = readFileSync(path.join(root, 'etc/rancher/k3s/registries.yaml'), 'utf8')
    expect(yaml.indexOf('https://mirror.corp.example:5000')).toBeLessThan(yaml.indexOf('https://cache.corp.example'))

    const again = await applied(root)
    expect(again.plan.writes).toEqual([])
    expect(again.result.status).toBe('unchanged')
  })

  test('"set" is exactly these mirrors in order: a stale one goes, a reordered list is reordered', async () => {
    const root = tree({
      '/etc/containerd/config.toml': 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n',
      '/etc/containerd/certs.d/docker.io/hosts.toml': 'server = "https://registry-1.docker.io"\n\n[host."https://old.corp.example"]\n  capabilities = ["pull", "resolve"]\n',
      '/etc/rancher/k3s/registries.yaml': 'mirrors:\n  docker.io:\n    endpoint:\n      - "https://cache.corp.example"\n      - "https://mirror.corp.example:5000"\n',
    })
    const {plan} = await applied(root)
    // config_path is set already: hosts.toml alone, and containerd needs no restart for it.
    expect(plan.files.map((f) => f.path).sort()).toEqual(['/etc/containerd/certs.d/docker.io/hosts.toml', '/etc/rancher/k3s/registries.yaml'])
    expect(plan.files.find((f) => f.engine === 'containerd')!.actions).toContain('containerd reads hosts.toml on every pull: no restart needed')
    const hostsToml = readFileSync(path.join(root, 'etc/containerd/certs.d/docker.io/hosts.toml'), 'utf8')
    expect(hostsToml).not.toContain('old.corp.example')
    const yaml = readFileSync(path.join(root, 'etc/rancher/k3s/registries.yaml'), 'utf8')
    expect(yaml.indexOf('https://mirror.corp.example:5000')).toBeGreaterThan(-1)
    expect(yaml.indexOf('https://mirror.corp.example:5000')).toBeLessThan(yaml.indexOf('https://cache.corp.example'))
    expect((await applied(root)).plan.writes).toEqual([])
  })

  test('entries without engines reach containerd when it is found; a prefix source is left out with a warning', async () => {
    const root = tree({'/etc/containerd/config.toml': CONFIG_TOML})
    const spec = parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["mirror.corp.example"]\n\n[[mirror]]\nsource = "quay.io/org"\nmirrors = ["mirror.corp.example/quay"]\nengines = ["containerd"]\n', 'spec.toml')
    const plan = await planHost(treeHost(root), specIntent(spec), {treeRoot: true})
    expect(plan.files.map((f) => f.path).sort()).toEqual(['/etc/containerd/certs.d/docker.io/hosts.toml', '/etc/containerd/config.toml'])
    expect(plan.warnings).toContain('containerd: spec.toml:5: source quay.io/org left out: containerd mirrors whole registries (a host such as docker.io)')
  })
})
