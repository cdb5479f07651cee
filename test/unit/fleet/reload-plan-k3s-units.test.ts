import {describe, expect, it} from 'vitest'
import {k3sUnitOf, planReload, type ReloadFacts} from '../../../src/fleet/reload-plan.js'

const facts = (units: Record<string, string>): ReloadFacts => ({commands: {systemctl: '/usr/bin/systemctl'}, units})
const k3s = (path: string) => ({engine: 'k3s' as const, path, before: 'a', after: 'b'})

describe('k3sUnitOf', () => {
  it('names the unit whose EnvironmentFile= or drop-in a file is', () => {
    const f = facts({})
    expect(k3sUnitOf('/etc/systemd/system/k3s.service.env', f)).toBe('k3s')
    expect(k3sUnitOf('/etc/systemd/system/k3s-agent.service.env', f)).toBe('k3s-agent')
    expect(k3sUnitOf('/etc/default/k3s-agent', f)).toBe('k3s-agent')
    expect(k3sUnitOf('/etc/sysconfig/rke2-server', f)).toBe('rke2-server')
    expect(k3sUnitOf('/usr/lib/systemd/system/rke2-agent.env', f)).toBe('rke2-agent')
    expect(k3sUnitOf('/etc/systemd/system/k3s.service.d/http-proxy.conf', f)).toBe('k3s')
  })

  it('registries.yaml: the server unit, or the agent unit when only the agent runs', () => {
    expect(k3sUnitOf('/etc/rancher/k3s/registries.yaml', facts({}))).toBe('k3s')
    expect(k3sUnitOf('/etc/rancher/k3s/registries.yaml', facts({k3s: 'inactive', 'k3s-agent': 'active'}))).toBe('k3s-agent')
    expect(k3sUnitOf('/etc/rancher/rke2/registries.yaml', facts({'rke2-agent': 'active'}))).toBe('rke2-agent')
    expect(k3sUnitOf('/etc/rancher/rke2/registries.yaml', facts({}))).toBe('rke2-server')
  })
})

describe('planReload: NO_PROXY fixes for k3s and containerd', () => {
  it("k3s.service.env: restart k3s without daemon-reload (EnvironmentFile= is read at each start)", () => {
    const [step] = planReload([k3s('/etc/systemd/system/k3s.service.env')], facts({k3s: 'active'}), true)
    expect(step).toMatchObject({engine: 'k3s', unit: 'k3s', action: 'restart', daemonReload: false, status: null})
    expect(step!.reason).toContain("the environment of k3s's containerd")
  })

  it("an agent's environment file and registries.yaml: one restart of k3s-agent", () => {
    const steps = planReload([k3s('/etc/rancher/k3s/registries.yaml'), k3s('/etc/default/k3s-agent')], facts({k3s: 'inactive', 'k3s-agent': 'active'}), false)
    expect(steps).toHaveLength(1)
    expect(steps[0]).toMatchObject({unit: 'k3s-agent', action: 'restart', status: 'needs-restart'})
  })

  it('a k3s drop-in: daemon-reload, then restart', () => {
    const [step] = planReload([k3s('/etc/systemd/system/k3s.service.d/http-proxy.conf')], facts({k3s: 'active'}), true)
    expect(step).toMatchObject({unit: 'k3s', action: 'restart', daemonReload: true})
  })

  it('a containerd.service drop-in: daemon-reload and restart containerd', () => {
    const [step] = planReload([{engine: 'containerd', path: '/etc/systemd/system/containerd.service.d/http-proxy.conf', before: null, after: 'x'}], facts({containerd: 'active'}), true)
    expect(step).toMatchObject({engine: 'containerd', unit: 'containerd', action: 'restart', daemonReload: true, status: null})
  })
})
