import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {planReload, type ReloadFacts} from '../../../src/fleet/reload-plan.js'

const running: ReloadFacts = {commands: {systemctl: '/usr/bin/systemctl', crio: '/usr/bin/crio'}, units: {docker: 'active', crio: 'active', containerd: 'active', k3s: 'active'}}
const PEM = readFileSync(new URL('../../../fixtures/ca/corp-ca.pem', import.meta.url), 'utf8')

describe('--reload after CA files: the engines read them on each pull', () => {
  it('a CA file alone needs no reload or restart of dockerd, containerd or k3s', () => {
    const steps = planReload(
      [
        {engine: 'docker', path: '/etc/docker/certs.d/m.example:5000/ca.crt', before: null, after: PEM},
        {engine: 'containerd', path: '/etc/containerd/certs.d/docker.io/mirrorctl-ca-m.example_5000.pem', before: null, after: PEM},
        {engine: 'k3s', path: '/etc/rancher/k3s/certs/mirrorctl-ca-m.example_5000.pem', before: 'old', after: PEM},
      ],
      running,
      false,
    )
    expect(steps.map((s) => [s.engine, s.action, s.status])).toEqual([
      ['docker', 'none', 'done'],
      ['containerd', 'none', 'done'],
      ['k3s', 'none', 'done'],
    ])
    expect(steps[0]!.reason).toBe('dockerd reads /etc/docker/certs.d/m.example:5000/ca.crt on each pull')
  })

  it('beside daemon.json the CA file does not turn a reload into a restart', () => {
    const steps = planReload(
      [
        {engine: 'docker', path: '/etc/docker/certs.d/m.example:5000/ca.crt', before: null, after: PEM},
        {engine: 'docker', path: '/etc/docker/daemon.json', before: '{}', after: '{"registry-mirrors": ["https://m.example:5000"]}'},
      ],
      running,
      false,
    )
    expect(steps.map((s) => [s.engine, s.action])).toEqual([['docker', 'reload']])
  })
})
