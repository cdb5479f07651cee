// `mirror add --fix-no-proxy` for containerd and k3s, and `--engine all` finding them, on --root trees.
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {cli, tempDir} from '../helpers/cli.js'

let root: string
let cleanup: () => void
const at = (file: string) => path.join(root, file)
const put = (file: string, text: string) => {
  mkdirSync(path.dirname(at(file)), {recursive: true})
  writeFileSync(at(file), text)
}
const K3S_UNIT = '[Service]\nType=notify\nEnvironmentFile=-/etc/default/%N\nEnvironmentFile=-/etc/sysconfig/%N\nEnvironmentFile=-/etc/systemd/system/k3s.service.env\nExecStart=/usr/local/bin/k3s server\n'

beforeEach(() => {
  ;({dir: root, cleanup} = tempDir('k3s-fix-no-proxy'))
})
afterEach(() => cleanup())

interface AddJson {
  files: {engine: string; path: string; actions: string[]}[]
  warnings: string[]
}

describe('mirror add --fix-no-proxy', () => {
  it('k3s with CONTAINERD_HTTPS_PROXY: registries.yaml plus CONTAINERD_NO_PROXY in k3s.service.env, each with its restart', async () => {
    put('/etc/rancher/k3s/config.yaml', '')
    put('/etc/systemd/system/k3s.service', K3S_UNIT)
    put('/etc/systemd/system/k3s.service.env', 'K3S_TOKEN=x\nCONTAINERD_HTTPS_PROXY=http://proxy.corp:3128\n')
    const res = await cli(['mirror', 'add', 'docker.io', 'cache.corp.internal:5000', '--engine', 'k3s', '--fix-no-proxy', '--root', root, '--no-backup', '--json'])
    expect(res.exitCode, res.stderr).toBe(0)
    const out = JSON.parse(res.stdout) as AddJson
    expect(out.files.map((f) => [f.engine, f.path])).toEqual([
      ['k3s', '/etc/rancher/k3s/registries.yaml'],
      ['k3s', '/etc/systemd/system/k3s.service.env'],
    ])
    expect(out.files[1]!.actions.join('\n')).toContain('systemctl restart k3s')
    expect(readFileSync(at('/etc/systemd/system/k3s.service.env'), 'utf8')).toBe(
      'K3S_TOKEN=x\nCONTAINERD_HTTPS_PROXY=http://proxy.corp:3128\nCONTAINERD_NO_PROXY=cache.corp.internal,localhost,127.0.0.1,::1\n',
    )
    // proxy explain now shows containerd going direct, by CONTAINERD_NO_PROXY.
    const explain = await cli(['proxy', 'explain', 'https://cache.corp.internal:5000/v2/', '--engine', 'k3s', '--root', root, '--json'])
    expect(explain.exitCode, explain.stderr).toBe(0)
    expect(explain.stdout).toContain('CONTAINERD_NO_PROXY')

    const again = await cli(['mirror', 'add', 'docker.io', 'cache.corp.internal:5000', '--engine', 'k3s', '--fix-no-proxy', '--root', root, '--no-backup', '--json'])
    expect(again.exitCode, again.stderr).toBe(0)
    expect((JSON.parse(again.stdout) as AddJson).files).toEqual([])
  })

  it('containerd: the hosts.toml and a NO_PROXY drop-in of containerd.service; without the flag only a warning', async () => {
    put('/etc/containerd/config.toml', 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n')
    put('/lib/systemd/system/containerd.service', '[Service]\nExecStart=/usr/bin/containerd\n')
    put('/etc/systemd/system/containerd.service.d/http-proxy.conf', '[Service]\nEnvironment="HTTPS_PROXY=http://proxy.corp:3128"\n')
    const warned = await cli(['mirror', 'add', 'docker.io', 'cache.corp.internal:5000', '--engine', 'containerd', '--root', root, '--no-backup', '--json'])
    expect(warned.exitCode, warned.stderr).toBe(0)
    expect((JSON.parse(warned.stdout) as AddJson).warnings.join('\n')).toMatch(/containerd would reach the new mirror through its proxy; rerun with --fix-no-proxy/)
    expect(readFileSync(at('/etc/systemd/system/containerd.service.d/http-proxy.conf'), 'utf8')).not.toContain('NO_PROXY')

    const res = await cli(['mirror', 'add', 'docker.io', 'cache.corp.internal:5000', '--engine', 'containerd', '--fix-no-proxy', '--root', root, '--no-backup', '--json'])
    expect(res.exitCode, res.stderr).toBe(0)
    const out = JSON.parse(res.stdout) as AddJson
    const dropIn = out.files.find((f) => f.path === '/etc/systemd/system/containerd.service.d/http-proxy.conf')
    expect(dropIn?.engine).toBe('containerd')
    expect(dropIn!.actions.join('\n')).toContain('systemctl daemon-reload && systemctl restart containerd')
    expect(readFileSync(at('/etc/systemd/system/containerd.service.d/http-proxy.conf'), 'utf8')).toContain('Environment="NO_PROXY=cache.corp.internal,localhost,127.0.0.1,::1"')
  })
})

describe('--engine all', () => {
  it('writes registries.conf, daemon.json, hosts.toml and registries.yaml where containerd and k3s are installed', async () => {
    put('/etc/containerd/config.toml', 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n')
    mkdirSync(at('/etc/rancher/k3s'), {recursive: true})
    mkdirSync(at('/etc/containers'), {recursive: true})
    mkdirSync(at('/etc/docker'), {recursive: true})
    const res = await cli(['mirror', 'add', 'docker.io', 'cache.corp.example:5000', '--engine', 'all', '--root', root, '--no-backup', '--docker-version', '27.0', '--json'])
    expect(res.exitCode, res.stderr).toBe(0)
    expect((JSON.parse(res.stdout) as AddJson).files.map((f) => f.engine).sort()).toEqual(['containerd', 'docker', 'k3s', 'podman'])
    expect(readFileSync(at('/etc/rancher/k3s/registries.yaml'), 'utf8')).toContain('cache.corp.example:5000')
    expect(readFileSync(at('/etc/containerd/certs.d/docker.io/hosts.toml'), 'utf8')).toContain('cache.corp.example:5000')

    const list = await cli(['mirror', 'list', '--engine', 'all', '--root', root, '--json'])
    expect(list.exitCode, list.stderr).toBe(0)
    for (const engine of ['podman', 'docker', 'containerd', 'k3s']) expect(list.stdout).toContain(`"${engine}"`)
  })

  it('help says what all means', async () => {
    const help = await cli(['mirror', 'add', '--help'])
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('all (podman and docker, plus containerd where')
  })
})
