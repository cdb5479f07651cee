import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {applyRequest, hostResultOf} from '../../../src/fleet/apply-host.js'
import {attachSpecCaFiles} from '../../../src/fleet/ca-files.js'
import {planHost, specIntent} from '../../../src/fleet/plan-host.js'
import {decodeHostsToml, parseTomlDoc} from '../../../src/formats/containerd-hosts/index.js'
import {parseSpec} from '../../../src/policy/spec.js'
import {treeHost} from '../fleet/check-tree.js'

const FIXTURES = path.resolve(import.meta.dirname, '../../../fixtures/ca')
const CA = readFileSync(path.join(FIXTURES, 'corp-ca.pem'), 'utf8')
const OTHER = readFileSync(path.join(FIXTURES, 'other-ca.pem'), 'utf8')
const CONFIG_TOML = 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'

const made: string[] = []
afterAll(() => made.forEach((d) => rmSync(d, {recursive: true, force: true})))

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-ca-plan-'))
  made.push(root)
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), {recursive: true})
    writeFileSync(path.join(root, file), text)
  }
  return root
}

async function spec(body: string, caFlag?: string) {
  const file = path.join(FIXTURES, 'spec.toml') // relative ca-file names resolve against the fixtures folder
  return attachSpecCaFiles(parseSpec(body, file), caFlag)
}

async function applied(root: string, body: string, caFlag?: string) {
  const host = treeHost(root)
  const plan = await planHost(host, specIntent(await spec(body, caFlag)), {treeRoot: true})
  const result = hostResultOf('node', plan, await host.applyWrites(applyRequest(plan, '/var/lib/mirrorctl/backups')))
  return {plan, result}
}

const read = (root: string, file: string) => readFileSync(path.join(root, file), 'utf8')
const ALL = '[[mirror]]\nsource = "docker.io"\nmirrors = ["mirror.corp.example:5000", "[::1]:5443"]\nengines = ["docker", "podman", "containerd"]\nca-file = "corp-ca.pem"\n'

describe('CA files in the plan, per engine', () => {
  test('docker, podman and containerd each get the CA where they look; a second run plans nothing', async () => {
    const root = tree({'/etc/containerd/config.toml': CONFIG_TOML, '/etc/containers/registries.conf': 'unqualified-search-registries = ["docker.io"]\n'})
    const {plan, result} = await applied(root, ALL)
    expect(result.status, result.reason ?? '').toBe('changed')
    const paths = plan.files.map((f) => [f.engine, f.path])
    for (const host of ['mirror.corp.example:5000', '[::1]:5443']) {
      expect(paths).toContainEqual(['docker', `/etc/docker/certs.d/${host}/ca.crt`])
      expect(paths).toContainEqual(['podman', `/etc/containers/certs.d/${host}/ca.crt`])
      expect(read(root, `etc/docker/certs.d/${host}/ca.crt`)).toBe(CA)
      expect(read(root, `etc/containers/certs.d/${host}/ca.crt`)).toBe(CA)
    }
    // containerd: each [host] names its own CA file beside hosts.toml, and containerd would decode it.
    const hostsToml = read(root, 'etc/containerd/certs.d/docker.io/hosts.toml')
    const decoded = decodeHostsToml(parseTomlDoc(hostsToml, 'hosts.toml'), '/etc/containerd/certs.d/docker.io', '2')
    expect(decoded.ok).toBe(true)
    if (!decoded.ok) return
    expect(decoded.hosts.filter((h) => h.caCerts.length).map((h) => [h.host, h.caCerts])).toEqual([
      ['mirror.corp.example:5000', ['/etc/containerd/certs.d/docker.io/mirrorctl-ca-mirror.corp.example_5000.pem']],
      ['[::1]:5443', ['/etc/containerd/certs.d/docker.io/mirrorctl-ca-__1_5443.pem']],
    ])
    expect(read(root, 'etc/containerd/certs.d/docker.io/mirrorctl-ca-__1_5443.pem')).toBe(CA)
    // The plan's diff shows the PEM like any other file.
    expect(plan.files.find((f) => f.path === '/etc/docker/certs.d/[::1]:5443/ca.crt')?.diff).toContain('+-----BEGIN CERTIFICATE-----')
    // CA files come before the configs that name their mirrors in the one write request.
    const order = plan.writes.map((w) => w.path)
    expect(order.indexOf('/etc/containerd/certs.d/docker.io/mirrorctl-ca-__1_5443.pem')).toBeLessThan(order.indexOf('/etc/containerd/certs.d/docker.io/hosts.toml'))

    const again = await applied(root, ALL)
    expect(again.result.status).toBe('unchanged')
    expect(again.plan.writes).toEqual([])
  })

  test('a different CA is a diff of the PEM; the same certificates written differently are left alone', async () => {
    const root = tree({'/etc/docker/certs.d/m.example:5000/ca.crt': CA.replace(/\n/g, '\r\n'), '/etc/containers/certs.d/m.example:5000/ca.crt': OTHER})
    const body = '[[mirror]]\nsource = "docker.io"\nmirrors = ["m.example:5000"]\nengines = ["docker", "podman"]\nca-file = "corp-ca.pem"\n'
    const {plan} = await applied(root, body)
    const ca = plan.files.filter((f) => f.path.endsWith('/ca.crt'))
    expect(ca.map((f) => f.path)).toEqual(['/etc/containers/certs.d/m.example:5000/ca.crt'])
    expect(ca[0]!.actions[0]).toMatch(/^replace the CA of mirror m.example:5000/)
    expect(ca[0]!.diff).toMatch(/^-MII/m)
    expect(ca[0]!.diff).toMatch(/^\+MII/m)
    expect(read(root, 'etc/containers/certs.d/m.example:5000/ca.crt')).toBe(CA)
  })

  test('apply --ca-file goes to every verified TLS mirror without its own ca-file; insecure mirrors get none', async () => {
    const root = tree({})
    const body = [
      '[[mirror]]\nsource = "docker.io"\nmirrors = ["tls.example:5000"]\nengines = ["docker"]\n',
      '[[mirror]]\nsource = "quay.io"\nmirrors = ["plain.example:5000"]\ninsecure = true\nengines = ["podman"]\n',
      '[[mirror]]\nsource = "ghcr.io"\nmirrors = ["own.example"]\nengines = ["podman"]\nca-file = "other-ca.pem"\n',
    ].join('\n')
    const {plan} = await applied(root, body, path.join(FIXTURES, 'corp-ca.pem'))
    expect(plan.files.filter((f) => f.path.includes('certs.d')).map((f) => f.path).sort()).toEqual(['/etc/containers/certs.d/own.example/ca.crt', '/etc/docker/certs.d/tls.example:5000/ca.crt'])
    expect(read(root, 'etc/containers/certs.d/own.example/ca.crt')).toBe(OTHER)
    expect(read(root, 'etc/docker/certs.d/tls.example:5000/ca.crt')).toBe(CA)
  })

  test('removing mirrors leaves CA files alone', async () => {
    const root = tree({})
    await applied(root, '[[mirror]]\nsource = "docker.io"\nmirrors = ["m.example:5000"]\nengines = ["podman"]\nca-file = "corp-ca.pem"\n')
    const {plan} = await applied(root, '[[mirror]]\nsource = "docker.io"\nmirrors = []\nengines = ["podman"]\n')
    expect(plan.files.map((f) => f.path).some((p) => p.includes('certs.d'))).toBe(false)
    expect(read(root, 'etc/containers/certs.d/m.example:5000/ca.crt')).toBe(CA)
  })

  test('k3s: configs."<host>".tls.ca_file in registries.yaml names a CA file under /etc/rancher/k3s/certs; a second run plans nothing', async () => {
    const root = tree({'/etc/rancher/k3s/registries.yaml': '# cluster mirrors\nconfigs:\n  other.example:\n    auth:\n      username: u\n'})
    const body = '[[mirror]]\nsource = "docker.io"\nmirrors = ["m.example:5000", "[::1]:5443"]\nengines = ["k3s"]\nca-file = "corp-ca.pem"\n'
    const {plan, result} = await applied(root, body)
    expect(result.status, result.reason ?? '').toBe('changed')
    const yaml = read(root, 'etc/rancher/k3s/registries.yaml')
    expect(yaml).toContain('# cluster mirrors')
    expect(yaml).toContain('username: u')
    const configs = (parseYaml(yaml) as {configs: Record<string, {tls?: {ca_file?: string}}>}).configs
    expect(configs['m.example:5000']?.tls?.ca_file).toBe('/etc/rancher/k3s/certs/mirrorctl-ca-m.example_5000.pem')
    expect(configs['[::1]:5443']?.tls?.ca_file).toBe('/etc/rancher/k3s/certs/mirrorctl-ca-__1_5443.pem')
    expect(read(root, 'etc/rancher/k3s/certs/mirrorctl-ca-__1_5443.pem')).toBe(CA)
    const k3s = plan.files.find((f) => f.path === '/etc/rancher/k3s/registries.yaml')!
    expect(k3s.actions.filter((a) => a.startsWith('restart k3s'))).toHaveLength(1)
    expect(k3s.actions).toContain('set configs."m.example:5000".tls.ca_file = /etc/rancher/k3s/certs/mirrorctl-ca-m.example_5000.pem')
    const again = await applied(root, body)
    expect(again.plan.writes).toEqual([])
  })

})

describe('the certs.d folder containers/image reads', () => {
  test('creating /etc/containers/certs.d/<host> hides Docker\'s folder from podman: a client certificate there is named', async () => {
    const root = tree({'/etc/docker/certs.d/m.example:5000/client.cert': 'x', '/etc/docker/certs.d/m.example:5000/client.key': 'y'})
    const {plan} = await applied(root, '[[mirror]]\nsource = "docker.io"\nmirrors = ["m.example:5000"]\nengines = ["podman"]\nca-file = "corp-ca.pem"\n')
    expect(plan.warnings).toContain(
      'podman: creating /etc/containers/certs.d/m.example:5000 makes podman, skopeo and CRI-O stop reading /etc/docker/certs.d/m.example:5000 (they read the first of the two that exists): copy client.cert, client.key there if they need it',
    )
    const quiet = await applied(tree({'/etc/docker/certs.d/m.example:5000/ca.crt': 'x'}), '[[mirror]]\nsource = "docker.io"\nmirrors = ["m.example:5000"]\nengines = ["podman"]\nca-file = "corp-ca.pem"\n')
    expect(quiet.plan.warnings.filter((w) => w.includes('stop reading'))).toEqual([])
  })
})
