// The spec's fix-no-proxy for containerd and k3s: planned with the mirror change, the restart named.
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {applyRequest, hostResultOf} from '../../../src/fleet/apply-host.js'
import {planHost, specIntent} from '../../../src/fleet/plan-host.js'
import {planReload} from '../../../src/fleet/reload-plan.js'
import {parseSpec} from '../../../src/policy/spec.js'
import {treeHost} from './check-tree.js'

const made: string[] = []
afterAll(() => made.forEach((d) => rmSync(d, {recursive: true, force: true})))

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-fleet-no-proxy-'))
  made.push(root)
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), {recursive: true})
    writeFileSync(path.join(root, file), text)
  }
  return root
}

const K3S_UNIT = '[Service]\nEnvironmentFile=-/etc/default/%N\nEnvironmentFile=-/etc/sysconfig/%N\nEnvironmentFile=-/etc/systemd/system/k3s.service.env\nExecStart=/usr/local/bin/k3s server\n'
const NODE = {
  '/etc/containerd/config.toml': 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n',
  '/lib/systemd/system/containerd.service': '[Service]\nExecStart=/usr/bin/containerd\n',
  '/etc/systemd/system/containerd.service.d/http-proxy.conf': '[Service]\nEnvironment="HTTPS_PROXY=http://proxy.corp:3128"\n',
  '/etc/rancher/k3s/config.yaml': '',
  '/etc/systemd/system/k3s.service': K3S_UNIT,
  '/etc/systemd/system/k3s.service.env': 'CONTAINERD_HTTPS_PROXY=http://proxy.corp:3128\n',
}
const spec = (fix: boolean) => parseSpec(`${fix ? 'fix-no-proxy = true\n' : ''}[[mirror]]\nsource = "docker.io"\nmirrors = ["mirror.corp.internal:5000"]\nengines = ["containerd", "k3s"]\n`, 'spec.toml')

describe('spec fix-no-proxy with engines = ["containerd", "k3s"]', () => {
  test('plans containerd.service\'s drop-in and k3s.service.env (CONTAINERD_NO_PROXY); the reload plan restarts both', async () => {
    const root = tree(NODE)
    const host = treeHost(root)
    const plan = await planHost(host, specIntent(spec(true)), {treeRoot: true})
    const byPath = Object.fromEntries(plan.files.map((f) => [f.path, f]))
    expect(byPath['/etc/systemd/system/containerd.service.d/http-proxy.conf']?.engine).toBe('containerd')
    expect(byPath['/etc/systemd/system/k3s.service.env']?.engine).toBe('k3s')
    expect(byPath['/etc/systemd/system/k3s.service.env']!.actions[0]).toMatch(/^set CONTAINERD_NO_PROXY=mirror\.corp\.internal/)

    const result = hostResultOf('node', plan, await host.applyWrites(applyRequest(plan, '/var/lib/mirrorctl/backups')))
    expect(result.status, result.reason ?? '').toBe('changed')
    expect(readFileSync(path.join(root, 'etc/systemd/system/k3s.service.env'), 'utf8')).toMatch(/^CONTAINERD_HTTPS_PROXY=.*\nCONTAINERD_NO_PROXY=mirror\.corp\.internal,/)

    const changed = plan.files.map((f) => ({engine: f.engine, path: f.path, before: null, after: 'x'}))
    const steps = planReload(changed, {commands: {systemctl: '/usr/bin/systemctl'}, units: {containerd: 'active', k3s: 'active'}}, false)
    expect(steps.map((s) => [s.engine, s.unit, s.action, s.status])).toEqual(
      expect.arrayContaining([
        ['containerd', 'containerd', 'restart', 'needs-restart'],
        ['k3s', 'k3s', 'restart', 'needs-restart'],
      ]),
    )

    const again = await planHost(host, specIntent(spec(true)), {treeRoot: true})
    expect(again.writes).toEqual([])
  })

  test('without fix-no-proxy: only warnings that name the fix', async () => {
    const plan = await planHost(treeHost(tree(NODE)), specIntent(spec(false)), {treeRoot: true})
    expect(plan.files.some((f) => /service/.test(f.path))).toBe(false)
    expect(plan.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^containerd would reach a mirror through its proxy; set fix-no-proxy = true in the spec to set NO_PROXY=/),
        expect.stringMatching(/^k3s would reach a mirror through its proxy; set fix-no-proxy = true in the spec to set CONTAINERD_NO_PROXY=.* in \/etc\/systemd\/system\/k3s\.service\.env$/),
      ]),
    )
  })
})
