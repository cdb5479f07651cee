// Where a NO_PROXY fix reaches containerd.service and k3s's containerd, and the fix itself.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {fixNoProxy} from '../../../src/cli/fix-no-proxy.js'
import {loadEngineProxyConfig, noProxyTarget} from '../../../src/engines/engine-proxy.js'
import {setEnvironmentFileNoProxy} from '../../../src/engines/proxy/no-proxy-edits.js'
import {LocalHost} from '../../../src/hosts/local-host.js'
import {parseMirrorArgument} from '../../../src/policy/mirror-policy.js'

const roots: string[] = []
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, {recursive: true, force: true})
})

function tree(files: Record<string, string>): LocalHost {
  const root = mkdtempSync(join(tmpdir(), 'mirrorctl-k3s-no-proxy-'))
  roots.push(root)
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), {recursive: true})
    writeFileSync(join(root, file), content)
  }
  return new LocalHost(root, {})
}

// The unit k3s's install script writes (the lines that matter).
const K3S_UNIT = '[Service]\nEnvironmentFile=-/etc/default/%N\nEnvironmentFile=-/etc/sysconfig/%N\nEnvironmentFile=-/etc/systemd/system/k3s.service.env\nExecStart=/usr/local/bin/k3s server\n'
const CONTAINERD_UNIT = '[Service]\nExecStart=/usr/bin/containerd\n'
const MIRROR = parseMirrorArgument('mirror.corp.internal:5000')
const WRITE = {dryRun: false, backup: false, systemWideBackups: true}

describe('noProxyTarget: containerd.service', () => {
  it('a drop-in in /etc/systemd/system/containerd.service.d, beside the proxy, with daemon-reload in the restart', async () => {
    const host = tree({
      '/lib/systemd/system/containerd.service': CONTAINERD_UNIT,
      '/etc/systemd/system/containerd.service.d/proxy.conf': '[Service]\nEnvironment="HTTPS_PROXY=http://proxy.corp:3128"\n',
    })
    const t = await noProxyTarget(host, 'containerd')
    expect(t).toMatchObject({kind: 'systemd-drop-in', path: '/etc/systemd/system/containerd.service.d/proxy.conf', writable: true, restart: 'systemctl daemon-reload && systemctl restart containerd'})
  })

  it('the EnvironmentFile= that sets NO_PROXY now, whose values beat Environment= lines', async () => {
    const host = tree({
      '/lib/systemd/system/containerd.service': '[Service]\nEnvironmentFile=-/etc/default/containerd\nExecStart=/usr/bin/containerd\n',
      '/etc/default/containerd': 'HTTPS_PROXY=http://proxy.corp:3128\nNO_PROXY=localhost\n',
    })
    expect(await noProxyTarget(host, 'containerd')).toMatchObject({kind: 'environment-file', path: '/etc/default/containerd', current: 'localhost', restart: 'systemctl restart containerd'})
  })
})

describe('noProxyTarget: k3s', () => {
  it('without CONTAINERD_* variables: NO_PROXY and no_proxy in the EnvironmentFile that sets the proxy', async () => {
    const host = tree({
      '/etc/systemd/system/k3s.service': K3S_UNIT,
      '/etc/systemd/system/k3s.service.env': 'HTTPS_PROXY=http://proxy.corp:3128\n',
    })
    expect(await noProxyTarget(host, 'k3s')).toMatchObject({kind: 'environment-file', path: '/etc/systemd/system/k3s.service.env', names: ['NO_PROXY', 'no_proxy'], restart: 'systemctl restart k3s'})
  })

  it('with CONTAINERD_HTTPS_PROXY in use: CONTAINERD_NO_PROXY, extending the value containerd has now', async () => {
    const host = tree({
      '/etc/systemd/system/k3s.service': K3S_UNIT,
      '/etc/default/k3s': 'NO_PROXY=10.0.0.0/8\nCONTAINERD_HTTPS_PROXY=http://proxy.corp:3128\n',
    })
    const t = await noProxyTarget(host, 'k3s')
    expect(t).toMatchObject({kind: 'environment-file', path: '/etc/default/k3s', names: ['CONTAINERD_NO_PROXY'], current: '10.0.0.0/8'})
  })

  it('where CONTAINERD_NO_PROXY is set now, even when the proxy is in another file', async () => {
    const host = tree({
      '/etc/systemd/system/k3s.service': K3S_UNIT,
      '/etc/default/k3s': 'CONTAINERD_HTTPS_PROXY=http://proxy.corp:3128\n',
      '/etc/systemd/system/k3s.service.env': 'CONTAINERD_NO_PROXY=localhost\n',
    })
    expect(await noProxyTarget(host, 'k3s')).toMatchObject({path: '/etc/systemd/system/k3s.service.env', names: ['CONTAINERD_NO_PROXY'], current: 'localhost'})
  })

  it('proxy only in a drop-in: the unit\'s own k3s.service.env (created), which systemd reads after Environment=', async () => {
    const host = tree({
      '/etc/systemd/system/k3s.service': K3S_UNIT,
      '/etc/systemd/system/k3s.service.d/proxy.conf': '[Service]\nEnvironment="HTTP_PROXY=http://proxy.corp:3128"\n',
    })
    expect(await noProxyTarget(host, 'k3s')).toMatchObject({kind: 'environment-file', path: '/etc/systemd/system/k3s.service.env', names: ['NO_PROXY', 'no_proxy']})
  })

  it('an agent: k3s-agent.service and its own files, restart k3s-agent', async () => {
    const host = tree({
      '/etc/systemd/system/k3s-agent.service': K3S_UNIT.replace('k3s.service.env', 'k3s-agent.service.env'),
      '/etc/default/k3s-agent': 'HTTP_PROXY=http://proxy.corp:3128\n',
    })
    expect(await noProxyTarget(host, 'k3s')).toMatchObject({path: '/etc/default/k3s-agent', restart: 'systemctl restart k3s-agent'})
  })

  it('a unit without EnvironmentFile=: a drop-in carrying the names', async () => {
    const host = tree({'/etc/systemd/system/k3s.service': '[Service]\nEnvironment="CONTAINERD_HTTP_PROXY=http://proxy.corp:3128"\nExecStart=/usr/local/bin/k3s server\n'})
    expect(await noProxyTarget(host, 'k3s')).toMatchObject({kind: 'systemd-drop-in', path: '/etc/systemd/system/k3s.service.d/http-proxy.conf', names: ['CONTAINERD_NO_PROXY'], restart: 'systemctl daemon-reload && systemctl restart k3s'})
  })
})

describe('setEnvironmentFileNoProxy with other names', () => {
  it('rewrites CONTAINERD_NO_PROXY in place and leaves the plain NO_PROXY alone', () => {
    const text = '# proxy for pulls\nNO_PROXY=a\nCONTAINERD_NO_PROXY=b\n'
    expect(setEnvironmentFileNoProxy(text, 'b,m', ['CONTAINERD_NO_PROXY'])).toBe('# proxy for pulls\nNO_PROXY=a\nCONTAINERD_NO_PROXY=b,m\n')
    expect(setEnvironmentFileNoProxy(null, 'm', ['CONTAINERD_NO_PROXY'])).toBe('CONTAINERD_NO_PROXY=m\n')
  })
})

describe('fixNoProxy for containerd and k3s', () => {
  it('k3s with CONTAINERD_* overrides: writes CONTAINERD_NO_PROXY, after which containerd goes direct', async () => {
    const host = tree({
      '/etc/systemd/system/k3s.service': K3S_UNIT,
      '/etc/systemd/system/k3s.service.env': 'HTTP_PROXY=http://proxy.corp:3128\nCONTAINERD_HTTPS_PROXY=http://proxy.corp:3128\nCONTAINERD_HTTP_PROXY=http://proxy.corp:3128\n',
    })
    const r = await fixNoProxy(host, ['k3s'], [MIRROR], WRITE)
    expect(r.manual).toEqual([])
    expect(r.files).toHaveLength(1)
    expect(r.files[0]).toMatchObject({engine: 'k3s', path: '/etc/systemd/system/k3s.service.env'})
    expect(r.files[0]!.actions[0]).toMatch(/^set CONTAINERD_NO_PROXY=mirror\.corp\.internal/)
    expect(r.files[0]!.actions[1]).toContain('systemctl restart k3s')
    expect(await host.readFile('/etc/systemd/system/k3s.service.env')).toBe(
      'HTTP_PROXY=http://proxy.corp:3128\nCONTAINERD_HTTPS_PROXY=http://proxy.corp:3128\nCONTAINERD_HTTP_PROXY=http://proxy.corp:3128\nCONTAINERD_NO_PROXY=mirror.corp.internal,localhost,127.0.0.1,::1\n',
    )
    const after = await loadEngineProxyConfig(host, 'k3s')
    expect(after.config.noProxy).toEqual({value: 'mirror.corp.internal,localhost,127.0.0.1,::1', source: '/etc/systemd/system/k3s.service.env:4: CONTAINERD_NO_PROXY'})
    expect((await fixNoProxy(host, ['k3s'], [MIRROR], WRITE)).files).toEqual([])
  })

  it('containerd: a drop-in with NO_PROXY and no_proxy, engine containerd', async () => {
    const host = tree({
      '/lib/systemd/system/containerd.service': CONTAINERD_UNIT,
      '/etc/systemd/system/containerd.service.d/http-proxy.conf': '[Service]\nEnvironment="HTTPS_PROXY=http://proxy.corp:3128"\n',
    })
    const r = await fixNoProxy(host, ['containerd'], [MIRROR], WRITE)
    expect(r.files.map((f) => [f.engine, f.path])).toEqual([['containerd', '/etc/systemd/system/containerd.service.d/http-proxy.conf']])
    expect(await host.readFile('/etc/systemd/system/containerd.service.d/http-proxy.conf')).toBe(
      '[Service]\nEnvironment="HTTPS_PROXY=http://proxy.corp:3128"\nEnvironment="NO_PROXY=mirror.corp.internal,localhost,127.0.0.1,::1"\nEnvironment="no_proxy=mirror.corp.internal,localhost,127.0.0.1,::1"\n',
    )
    expect((await loadEngineProxyConfig(host, 'containerd')).config.noProxy?.value).toBe('mirror.corp.internal,localhost,127.0.0.1,::1')
  })

  it('no proxy in use: nothing to fix', async () => {
    const host = tree({'/etc/systemd/system/k3s.service': K3S_UNIT, '/lib/systemd/system/containerd.service': CONTAINERD_UNIT})
    expect(await fixNoProxy(host, ['k3s', 'containerd'], [MIRROR], WRITE)).toEqual({files: [], manual: []})
  })
})
