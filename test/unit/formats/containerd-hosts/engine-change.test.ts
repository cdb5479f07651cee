// mirror changes for containerd through a --root tree: which files change, what the result
// says about restarts, and what is refused before anything is written.
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {UserError} from '../../../../src/core/errors.js'
import {planContainerdChange} from '../../../../src/engines/containerd-change.js'
import {writePlannedFiles} from '../../../../src/hosts/apply-changes.js'
import {LocalHost} from '../../../../src/hosts/local-host.js'
import {parseMirrorArgument, type MirrorChange} from '../../../../src/policy/mirror-policy.js'

let root: string
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-containerd-'))
  mkdirSync(path.join(root, 'etc/containerd'), {recursive: true})
})
afterEach(() => rmSync(root, {recursive: true, force: true}))

const add: MirrorChange = {action: 'add', source: 'docker.io', mirrors: [parseMirrorArgument('cache.example.com:5000')], location: null, position: 'first'}
/** Plans through the host (reads only), then writes as every command does: one locked request. */
async function run(change: MirrorChange, extra: {hostsDir?: string} = {}) {
  const host = new LocalHost(root)
  const planned = await planContainerdChange(host, change, {version: '1.6', ...extra})
  await writePlannedFiles(host, planned, {backup: false, systemWideBackups: false})
  return planned
}

describe('planContainerdChange', () => {
  it('without config_path: sets it (restart named) and writes hosts.toml (no restart); a second run changes nothing', async () => {
    writeFileSync(path.join(root, 'etc/containerd/config.toml'), '# node config\nversion = 2\n')
    const first = await run(add)
    expect(first.map((f) => f.path)).toEqual(['/etc/containerd/config.toml', '/etc/containerd/certs.d/docker.io/hosts.toml'])
    expect(first[0]!.actions.join('\n')).toMatch(/restart containerd/)
    expect(first[1]!.actions.join('\n')).toMatch(/no restart needed/)
    expect(readFileSync(path.join(root, 'etc/containerd/config.toml'), 'utf8')).toBe(
      '# node config\nversion = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n',
    )
    expect(await run(add)).toEqual([])
  })

  it('refuses to set config_path beside the deprecated mirrors table: exit 1, nothing written', async () => {
    const text = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m"]\n'
    writeFileSync(path.join(root, 'etc/containerd/config.toml'), text)
    const error = await run(add).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).exitCode).toBe(1)
    expect((error as UserError).rule).toBe('containerd-hosts/deprecated-mirrors')
    expect(readFileSync(path.join(root, 'etc/containerd/config.toml'), 'utf8')).toBe(text)
    expect(existsSync(path.join(root, 'etc/containerd/certs.d'))).toBe(false)
  })

  it('refuses to edit a hosts.toml containerd already ignores; a prefix source is refused', async () => {
    mkdirSync(path.join(root, 'etc/containerd/certs.d/docker.io'), {recursive: true})
    writeFileSync(path.join(root, 'etc/containerd/config.toml'), 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n')
    writeFileSync(path.join(root, 'etc/containerd/certs.d/docker.io/hosts.toml'), '[host."https://m"]\n  capabilities = "pull"\n')
    await expect(run(add)).rejects.toThrow(/ignored by containerd/)
    await expect(run({...add, source: 'docker.io/library'})).rejects.toThrow(/not the prefix docker.io\/library/)
  })

  it('an existing host_port_ folder is the one written; --containerd-hosts-dir outside config_path is noted', async () => {
    mkdirSync(path.join(root, 'srv/certs.d/reg.local_5000_'), {recursive: true})
    const out = await run({...add, source: 'reg.local:5000'}, {hostsDir: '/srv/certs.d'})
    expect(out.map((f) => f.path)).toEqual(['/srv/certs.d/reg.local_5000_/hosts.toml'])
    expect(out[0]!.actions.at(-1)).toMatch(/does not read \/srv\/certs.d; ctr --hosts-dir does/)
    expect(readFileSync(path.join(root, 'srv/certs.d/reg.local_5000_/hosts.toml'), 'utf8')).toContain('server = "https://reg.local:5000"')
  })
})

describe('detection', () => {
  it('containerd with a CRI registry table and k3s by /etc/rancher/k3s join; Docker\'s bundled containerd (CRI disabled) does not', async () => {
    const {selectEngines} = await import('../../../../src/cli/engine-selection.js')
    const host = new LocalHost(root)
    writeFileSync(path.join(root, 'etc/containerd/config.toml'), 'disabled_plugins = ["cri"]\n')
    await expect(selectEngines(host, {root})).rejects.toThrow(/no container engine detected/)
    writeFileSync(path.join(root, 'etc/containerd/config.toml'), 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n')
    mkdirSync(path.join(root, 'etc/rancher/k3s'), {recursive: true})
    expect((await selectEngines(host, {root})).engines).toEqual(['containerd', 'k3s'])
  })
})

describe('resolveWithContainerd', () => {
  it('tries each config_path root in order; an unreadable ca file fails like containerd (exit 1, the hosts.toml named)', async () => {
    const {locateContainerd, resolveWithContainerd} = await import('../../../../src/engines/containerd-hosts-dir.js')
    const host = new LocalHost(root)
    writeFileSync(path.join(root, 'etc/containerd/config.toml'), 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/a:/b"\n')
    mkdirSync(path.join(root, 'b/docker.io'), {recursive: true})
    writeFileSync(path.join(root, 'b/docker.io/hosts.toml'), '[host."https://m.example.com"]\n  capabilities = ["pull", "resolve"]\n')
    const where = await locateContainerd(host, {})
    expect(where.hostsDirs).toEqual(['/a', '/b'])
    const [r] = await resolveWithContainerd(host, ['alpine'], where.hostsDirs, '2')
    expect(r!.sources.map((s) => s.url)).toEqual(['https://m.example.com/v2', 'https://registry-1.docker.io/v2'])
    writeFileSync(path.join(root, 'b/docker.io/hosts.toml'), '[host."https://m.example.com"]\n  ca = "ca.pem"\n')
    const error = (await resolveWithContainerd(host, ['alpine'], where.hostsDirs, '2').catch((e: unknown) => e)) as UserError
    expect(error).toBeInstanceOf(UserError)
    expect(error.exitCode).toBe(1)
    expect(error.position?.file).toBe('/b/docker.io/hosts.toml')
    expect(error.message).toMatch(/unable to read CA cert "\/b\/docker.io\/ca.pem"/)
  })
})
