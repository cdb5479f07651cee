import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {selectEngines} from '../../../src/cli/engine-selection.js'
import {LocalHost} from '../../../src/hosts/local-host.js'

const roots: string[] = []
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, {recursive: true, force: true})
})

function tree(files: Record<string, string>, dirs: string[] = []): LocalHost {
  const root = mkdtempSync(join(tmpdir(), 'mirrorctl-engine-all-'))
  roots.push(root)
  for (const d of dirs) mkdirSync(join(root, d), {recursive: true})
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), {recursive: true})
    writeFileSync(join(root, file), content)
  }
  return new LocalHost(root, {})
}

const all = async (host: LocalHost) => (await selectEngines(host, {engine: 'all', root: '/'})).engines

describe('--engine all', () => {
  it('is podman and docker when neither containerd nor k3s is present (as before)', async () => {
    expect(await all(tree({}))).toEqual(['podman', 'docker'])
  })

  it('adds containerd for a config.toml or a containerd binary, k3s for /etc/rancher/k3s, RKE2 or a k3s binary', async () => {
    expect(await all(tree({'/etc/containerd/config.toml': 'version = 2\n'}))).toEqual(['podman', 'docker', 'containerd'])
    expect(await all(tree({'/usr/bin/containerd': ''}))).toEqual(['podman', 'docker', 'containerd'])
    expect(await all(tree({}, ['/etc/rancher/k3s']))).toEqual(['podman', 'docker', 'k3s'])
    expect(await all(tree({}, ['/etc/rancher/rke2']))).toEqual(['podman', 'docker', 'k3s'])
    expect(await all(tree({'/usr/local/bin/k3s': ''}))).toEqual(['podman', 'docker', 'k3s'])
  })

  it("leaves out Docker's own containerd (CRI plugin disabled): daemon.json governs its pulls", async () => {
    expect(await all(tree({'/etc/containerd/config.toml': 'disabled_plugins = ["cri"]\n', '/usr/bin/containerd': ''}))).toEqual(['podman', 'docker'])
  })

  it('is explicit: the engines were asked for', async () => {
    expect((await selectEngines(tree({}), {engine: 'all', root: '/'})).explicit).toBe(true)
  })
})
