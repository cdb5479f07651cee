import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {loadEngineProxyConfig} from '../../../src/engines/engine-proxy.js'
import {LocalHost} from '../../../src/hosts/local-host.js'

const roots: string[] = []
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, {recursive: true, force: true})
})

function tree(files: Record<string, string>): LocalHost {
  const root = mkdtempSync(join(tmpdir(), 'mirrorctl-containerd-proxy-'))
  roots.push(root)
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), {recursive: true})
    writeFileSync(join(root, file), content)
  }
  return new LocalHost(root, {})
}

// The unit the k3s install script writes (only the lines that matter here).
const K3S_UNIT = '[Service]\nType=notify\nEnvironmentFile=-/etc/default/%N\nEnvironmentFile=-/etc/sysconfig/%N\nEnvironmentFile=-/etc/systemd/system/k3s.service.env\nExecStart=/usr/local/bin/k3s server\n'

describe('loadEngineProxyConfig: containerd', () => {
  it('reads containerd.service, its drop-ins, EnvironmentFile= and DefaultEnvironment= like docker.service', async () => {
    const host = tree({
      '/etc/systemd/system.conf': '[Manager]\nDefaultEnvironment=NO_PROXY=default.example\n',
      '/lib/systemd/system/containerd.service': '[Service]\nEnvironmentFile=-/etc/default/containerd\nExecStart=/usr/bin/containerd\n',
      '/etc/default/containerd': 'HTTP_PROXY=http://envfile:8080\n',
      '/etc/systemd/system/containerd.service.d/http-proxy.conf': '[Service]\nEnvironment="HTTPS_PROXY=http://proxy.corp:3128"\n',
      '/etc/systemd/system/docker.service.d/http-proxy.conf': '[Service]\nEnvironment="HTTPS_PROXY=http://docker-only:1"\n',
    })
    const r = await loadEngineProxyConfig(host, 'containerd')
    expect(r.engine).toBe('containerd')
    expect(r.config.httpsProxy).toEqual({value: 'http://proxy.corp:3128', source: '/etc/systemd/system/containerd.service.d/http-proxy.conf:2: HTTPS_PROXY'})
    expect(r.config.httpProxy?.value).toBe('http://envfile:8080')
    expect(r.config.noProxy?.value).toBe('default.example')
    expect(r.needsRestart).toBe('systemctl daemon-reload && systemctl restart containerd')
    expect(r.notes).toEqual([])
  })

  it('notes a missing unit', async () => {
    const r = await loadEngineProxyConfig(tree({}), 'containerd')
    expect(r.config).toEqual({})
    expect(r.notes.join('\n')).toMatch(/containerd\.service: no unit file found/)
  })
})

describe('loadEngineProxyConfig: k3s', () => {
  it('expands %N in the install script unit: /etc/default/k3s and /etc/sysconfig/k3s, then k3s.service.env', async () => {
    const host = tree({
      '/etc/systemd/system/k3s.service': K3S_UNIT,
      '/etc/default/k3s': 'HTTP_PROXY=http://default-k3s:1\nNO_PROXY=a.example\n',
      '/etc/sysconfig/k3s': 'NO_PROXY=b.example\n',
      '/etc/systemd/system/k3s.service.env': 'HTTPS_PROXY=http://env-file:3128\n',
    })
    const r = await loadEngineProxyConfig(host, 'k3s')
    expect(r.config.httpProxy?.source).toBe('/etc/default/k3s:1: HTTP_PROXY')
    expect(r.config.noProxy?.source).toBe('/etc/sysconfig/k3s:1: NO_PROXY')
    expect(r.config.httpsProxy?.value).toBe('http://env-file:3128')
    expect(r.needsRestart).toBe('systemctl daemon-reload && systemctl restart k3s')
    expect(r.notes).toEqual([])
  })

  it('CONTAINERD_<NAME> overrides <NAME> for the containerd inside k3s', async () => {
    const host = tree({
      '/etc/systemd/system/k3s.service': K3S_UNIT,
      '/etc/systemd/system/k3s.service.env': 'HTTPS_PROXY=http://k3s-itself:1\nCONTAINERD_HTTPS_PROXY=http://for-containerd:3128\nCONTAINERD_NO_PROXY=mirror.internal\n',
    })
    const r = await loadEngineProxyConfig(host, 'k3s')
    expect(r.config.httpsProxy).toEqual({value: 'http://for-containerd:3128', source: '/etc/systemd/system/k3s.service.env:2: CONTAINERD_HTTPS_PROXY'})
    expect(r.config.noProxy?.value).toBe('mirror.internal')
  })

  it('reads k3s-agent.service on an agent node', async () => {
    const host = tree({
      '/etc/systemd/system/k3s-agent.service': K3S_UNIT.replace('k3s.service.env', 'k3s-agent.service.env'),
      '/etc/default/k3s-agent': 'HTTPS_PROXY=http://agent:3128\n',
    })
    const r = await loadEngineProxyConfig(host, 'k3s')
    expect(r.config.httpsProxy?.source).toBe('/etc/default/k3s-agent:1: HTTPS_PROXY')
    expect(r.needsRestart).toBe('systemctl daemon-reload && systemctl restart k3s-agent')
  })
})
