// `mirrorctl setup` on a Kubernetes node tree with containerd and k3s, driven through a real
// pseudo-terminal (tmux), with a real Distribution registry on loopback as the pull-through
// cache: the wizard offers both engines, checks the cache along their routes, and plans and
// applies them through the fleet code; the repository's own resolver then reads the result.
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {parseSpec} from '../../src/policy/spec.js'
import {startRegistry, type Registry} from '../harness/registry.js'
import {requireTools} from '../harness/require-tools.js'
import {Terminal} from '../harness/wizard-terminal.js'
import {cli} from '../helpers/cli.js'

const ENTER = 'Enter'
const DOWN = 'Down'

let work: string
let cache: Registry
const terminals: Terminal[] = []

/** A node: containerd's CRI registry table without config_path, k3s installed (its /etc/rancher/k3s). */
function nodeTree(): string {
  const root = path.join(work, 'node')
  const put = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), {recursive: true})
    writeFileSync(path.join(root, file), text)
  }
  put('/etc/containerd/config.toml', 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n')
  put('/etc/rancher/k3s/config.yaml', 'write-kubeconfig-mode: "0644"\n')
  put('/etc/systemd/system/k3s.service', '[Service]\nEnvironmentFile=-/etc/default/%N\nEnvironmentFile=-/etc/systemd/system/k3s.service.env\nExecStart=/usr/local/bin/k3s server\n')
  return root
}

describe('mirrorctl setup with containerd and k3s', {timeout: 300_000}, () => {
  beforeAll(async () => {
    requireTools(['tmux', 'docker-registry'])
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-setup-containerd-'))
    mkdirSync(path.join(work, 'home'))
    cache = await startRegistry({name: 'setup-containerd-cache'})
  }, 120_000)

  afterAll(async () => {
    for (const t of terminals) t.stop()
    await cache?.stop()
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('offers both engines, checks the cache on their routes, writes hosts.toml, config_path and registries.yaml, and names the restarts', async () => {
    const root = nodeTree()
    const cwd = mkdtempSync(path.join(work, 'cwd-'))
    const t = new Terminal(work, ['setup'], {HOME: path.join(work, 'home')}, cwd)
    terminals.push(t)
    await t.answer(/Where should the mirrors be configured\?/, DOWN, ENTER)
    await t.answer(/Folder of the system tree:/, `text:${root}`, ENTER)
    const engines = await t.answer(/Which engines should use the mirrors\?/, ENTER)
    expect(engines).toMatch(/containerd \(hosts\.toml\), k3s\/RKE2 \(registries\.yaml\)/)
    expect(engines).toMatch(/◉ containerd, as a Kubernetes node runs it \(hosts\.toml\)/)
    expect(engines).toMatch(/◉ k3s \/ RKE2 \(registries\.yaml\)/)
    await t.answer(/Which registries should be pulled through a mirror\?/, ENTER)
    await t.answer(/What should serve docker\.io pulls\?/, DOWN, DOWN, ENTER)
    await t.answer(/Pull-through cache address for docker\.io/, `text:${cache.host}`, ENTER)
    await t.answer(/How does .* serve\?/, DOWN, ENTER)
    const plan = await t.answer(/Apply these changes to 1 host\?/, 'text:y', ENTER)
    expect(plan).toMatch(/✔ reachable \(containerd on --root/)
    expect(plan).toMatch(/✔ reachable \(k3s on --root/)
    expect(plan).toContain(`containerd (hosts.toml): docker.io pulls try http://${cache.host}, then docker.io itself`)
    expect(plan).toContain(`k3s (registries.yaml): docker.io pulls try http://${cache.host}, then docker.io itself`)
    expect(plan).toContain('/etc/containerd/certs.d/docker.io/hosts.toml')
    expect(plan).toContain('/etc/rancher/k3s/registries.yaml')
    expect(plan).toContain('These changes take effect only after a restart (setup does not restart engines):')
    expect(plan).toMatch(/--root .*: restart containerd/)
    expect(plan).toMatch(/--root .*: restart k3s/)
    const saved = await t.answer(/Save the spec \(for apply --spec\) as:/, ENTER)
    expect(saved).toMatch(/1 host: 1 changed/)
    expect(await t.waitExit()).toBe(0)
    const screen = t.screen()
    expect(screen).toContain(`mirrorctl apply --spec ./mirrorctl-spec.toml --root ${root} --yes`)

    // containerd now resolves docker.io through the cache (the repository's containerd resolver, version 1.7 rules).
    const resolved = await cli(['resolve', '--engine', 'containerd', '--containerd-version', '1.7', '--root', root, 'docker.io/library/alpine', '--json'])
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    const sources = (JSON.parse(resolved.stdout) as {results: {sources: {url: string}[]}[]}).results[0]!.sources
    expect(sources[0]!.url).toBe(`http://${cache.host}/v2`)
    expect(readFileSync(path.join(root, 'etc/containerd/config.toml'), 'utf8')).toContain('config_path = "/etc/containerd/certs.d"')
    expect(readFileSync(path.join(root, 'etc/rancher/k3s/registries.yaml'), 'utf8')).toContain(`http://${cache.host}`)
    // check --engine k3s probes the endpoint the wizard wrote, as k3s hands it to containerd.
    const check = await cli(['check', '--engine', 'k3s', '--root', root, '--json'])
    expect(check.exitCode, check.stdout + check.stderr).toBe(0)

    const specFile = path.join(cwd, 'mirrorctl-spec.toml')
    const spec = parseSpec(readFileSync(specFile, 'utf8'), specFile)
    expect(spec.entries.map((e) => [e.source, e.mirrors.map((m) => m.host), e.engines])).toEqual([['docker.io', [cache.host], null]])
    const again = await cli(['apply', '--spec', './mirrorctl-spec.toml', '--root', root, '--yes', '--json'], {cwd})
    expect(again.exitCode, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout).hosts[0].status).toBe('unchanged')
  })
})
