import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {lintContainerdConfig, lintHostsToml, parseContainerdConfig, parseTomlDoc} from '../../../../src/formats/containerd-hosts/index.js'
import {lintK3sRegistries, parseK3sRegistries} from '../../../../src/formats/k3s-registries/index.js'

const fixture = (p: string): string => readFileSync(fileURLToPath(new URL(`../../../../fixtures/${p}`, import.meta.url)), 'utf8')
const hosts = (folder: string) => lintHostsToml(parseTomlDoc(fixture(`containerd/certs.d/${folder}/hosts.toml`), `/etc/containerd/certs.d/${folder}/hosts.toml`), {version: '1.6', folder})

describe('realistic containerd and k3s files', () => {
  it('a kubeadm config.toml with config_path and a good hosts.toml are clean', () => {
    expect(lintContainerdConfig(parseContainerdConfig(fixture('containerd/config.toml'), 'config.toml'))).toEqual([])
    expect(hosts('docker.io')).toEqual([])
  })

  it('each classic mistake has its rule', () => {
    expect(lintContainerdConfig(parseContainerdConfig(fixture('containerd/config-mirrors-and-config-path.toml'), 'c.toml')).map((f) => f.rule)).toEqual(['containerd-hosts/mirrors-with-config-path'])
    expect(hosts('harbor-wrong').map((f) => `${f.line}:${f.rule}`)).toEqual([
      '2:containerd-hosts/server-docker-io',
      '4:containerd-hosts/path-gets-v2',
      '6:containerd-hosts/unknown-key',
      '8:containerd-hosts/http-prefix-no-scheme',
    ])
    expect(hosts('_default').map((f) => f.rule)).toEqual(['containerd-hosts/default-folder-server'])
  })

  it('k3s registries.yaml: clean and with typos', () => {
    expect(lintK3sRegistries(parseK3sRegistries(fixture('k3s/registries.yaml'), 'registries.yaml'))).toEqual([])
    expect(lintK3sRegistries(parseK3sRegistries(fixture('k3s/registries-mistakes.yaml'), 'r.yaml')).map((f) => `${f.line}:${f.rule}`)).toEqual([
      '2:k3s-registries/unknown-key',
      '7:k3s-registries/wrong-type',
      '10:k3s-registries/endpoint-no-scheme',
    ])
  })
})
