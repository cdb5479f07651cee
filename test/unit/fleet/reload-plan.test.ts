import {describe, expect, it} from 'vitest'
import {dockerRestartKeys, dropInUnit, planReload, type ReloadFacts} from '../../../src/fleet/reload-plan.js'

const running: ReloadFacts = {commands: {systemctl: '/usr/bin/systemctl', crio: '/usr/bin/crio'}, units: {docker: 'active', crio: 'active', containerd: 'active'}}
const dj = '/etc/docker/daemon.json'

describe('dockerRestartKeys', () => {
  it('finds no restart key for a mirror or insecure-registries change', () => {
    expect(dockerRestartKeys('{"registry-mirrors": []}', '{"registry-mirrors": ["https://m"], "insecure-registries": ["m:5000"]}')).toEqual([])
    expect(dockerRestartKeys(null, '{"registry-mirrors": ["https://m"]}')).toEqual([])
  })
  it('names changed keys a reload does not apply', () => {
    expect(dockerRestartKeys('{"dns": ["1.1.1.1"]}', '{"dns": ["8.8.8.8"], "registry-mirrors": ["https://m"], "proxies": {}}')).toEqual(['dns', 'proxies'])
  })
  it('counts a removed reloadable key as a restart (reload keeps the old value)', () => {
    expect(dockerRestartKeys('{"registry-mirrors": ["https://m"]}', '{}')).toEqual(['registry-mirrors'])
  })
  it('a removed key that reload resets to its default needs no restart', () => {
    expect(dockerRestartKeys('{"max-concurrent-downloads": 10, "features": {"buildkit": true}}', '{}')).toEqual([])
    expect(dockerRestartKeys('{}', '{"allow-nondistributable-artifacts": ["r:5000"]}')).toEqual([])
  })
  it('says null when a text is not a JSON object', () => {
    expect(dockerRestartKeys('{', '{}')).toBeNull()
    expect(dockerRestartKeys('[]', '{}')).toBeNull()
  })
})

describe('dropInUnit', () => {
  it('names the unit of a drop-in and nothing else', () => {
    expect(dropInUnit('/etc/systemd/system/docker.service.d/http-proxy.conf')).toBe('docker')
    expect(dropInUnit('/etc/docker/daemon.json')).toBeNull()
  })
})

describe('planReload', () => {
  it('reloads docker for a mirror change', () => {
    expect(planReload([{engine: 'docker', path: dj, before: '{}', after: '{"registry-mirrors": ["https://m"]}'}], running, false)).toEqual([
      {engine: 'docker', unit: 'docker', action: 'reload', daemonReload: false, status: null, reason: 'reload docker'},
    ])
  })
  it('refuses a restart without --allow-restart and names the key', () => {
    const [s] = planReload([{engine: 'docker', path: dj, before: '{}', after: '{"registry-mirrors": ["https://m"], "data-root": "/x"}'}], running, false)
    expect(s).toMatchObject({engine: 'docker', action: 'restart', status: 'needs-restart'})
    expect(s!.reason).toContain('"data-root"')
    expect(s!.reason).toContain('--allow-restart')
  })
  it('restarts with --allow-restart', () => {
    const [s] = planReload([{engine: 'docker', path: dj, before: '{}', after: '{"bip": "10.0.0.1/24"}'}], running, true)
    expect(s).toMatchObject({action: 'restart', unit: 'docker', status: null, daemonReload: false})
  })
  it('a NO_PROXY drop-in needs daemon-reload and restart, one step with daemon.json', () => {
    const files = [
      {engine: 'docker' as const, path: dj, before: '{}', after: '{"registry-mirrors": ["https://m"]}'},
      {engine: 'docker' as const, path: '/etc/systemd/system/docker.service.d/http-proxy.conf', before: null, after: '[Service]\nEnvironment="NO_PROXY=m"\n'},
    ]
    expect(planReload(files, running, true)).toEqual([expect.objectContaining({engine: 'docker', action: 'restart', daemonReload: true, status: null})])
    const [held] = planReload(files, running, false)
    expect(held).toMatchObject({status: 'needs-restart', daemonReload: true})
    expect(held!.reason).toContain('NO_PROXY')
  })
  it('registries.conf: podman none, CRI-O reload where installed', () => {
    const files = [{engine: 'podman' as const, path: '/etc/containers/registries.conf', before: '', after: 'x'}]
    expect(planReload(files, running, false).map((s) => [s.engine, s.action, s.status])).toEqual([
      ['podman', 'none', 'done'],
      ['crio', 'reload', null],
    ])
    expect(planReload(files, {commands: {systemctl: '/bin/systemctl', crio: null}, units: {}}, false).map((s) => s.engine)).toEqual(['podman'])
    // systemctl records every gathered unit; an inactive crio without its binary is not CRI-O installed.
    expect(planReload(files, {commands: {systemctl: '/bin/systemctl', crio: null}, units: {crio: 'inactive'}}, false).map((s) => s.engine)).toEqual(['podman'])
  })
  it('containerd: hosts.toml none, config.toml restart only when allowed', () => {
    const hosts = {engine: 'containerd' as const, path: '/etc/containerd/certs.d/docker.io/hosts.toml', before: null, after: 'x'}
    expect(planReload([hosts], running, false)).toEqual([expect.objectContaining({engine: 'containerd', action: 'none', status: 'done'})])
    const cfg = {engine: 'containerd' as const, path: '/etc/containerd/config.toml', before: '', after: 'y'}
    expect(planReload([hosts, cfg], running, false)[0]).toMatchObject({action: 'restart', status: 'needs-restart'})
    expect(planReload([hosts, cfg], running, true)[0]).toMatchObject({action: 'restart', unit: 'containerd', status: null})
  })
  it('k3s registries.yaml: restart only when allowed', () => {
    const f = [{engine: 'k3s' as const, path: '/etc/rancher/k3s/registries.yaml', before: null, after: 'x'}]
    expect(planReload(f, running, false)[0]).toMatchObject({unit: 'k3s', action: 'restart', status: 'needs-restart'})
    expect(planReload(f, running, true)[0]).toMatchObject({unit: 'k3s', action: 'restart', status: null})
  })
  it('skips, with the reason, where systemctl is missing or the unit is not running', () => {
    const f = [{engine: 'docker' as const, path: dj, before: '{}', after: '{"registry-mirrors": ["https://m"]}'}]
    const [a] = planReload(f, {commands: {systemctl: null}, units: {}}, true)
    expect(a).toMatchObject({status: 'skipped'})
    expect(a!.reason).toContain('systemctl not found')
    const [b] = planReload(f, {commands: {systemctl: '/bin/systemctl'}, units: {docker: 'inactive'}}, true)
    expect(b).toMatchObject({status: 'skipped'})
    expect(b!.reason).toContain('docker is inactive')
  })
  it('an unparsable daemon.json asks for a restart', () => {
    expect(planReload([{engine: 'docker', path: dj, before: 'not json', after: '{}'}], running, false)[0]).toMatchObject({action: 'restart', status: 'needs-restart'})
  })
})
