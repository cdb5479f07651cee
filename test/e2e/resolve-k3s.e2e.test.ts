// resolve --engine k3s through the built CLI under --root: registries.yaml rendered as k3s
// writes its hosts.toml folders, then containerd's lookup over them (docs/containerd.md).
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {cli, tempDir} from '../helpers/cli.js'

let root: string
let cleanup: () => void
const file = () => path.join(root, 'etc/rancher/k3s/registries.yaml')
const resolve = (...args: string[]) => cli(['resolve', '--engine', 'k3s', '--root', root, ...args])

beforeEach(() => {
  ;({dir: root, cleanup} = tempDir('k3s-resolve'))
  mkdirSync(path.dirname(file()), {recursive: true})
})
afterEach(() => cleanup())

describe('resolve --engine k3s', () => {
  it('lists the endpoints in the order k3s\'s containerd tries them: mirrors, then the registry itself; "*" serves every other registry', async () => {
    writeFileSync(
      file(),
      'mirrors:\n  docker.io:\n    endpoint:\n      - "127.0.0.1:5000"\n      - "https://harbor.corp/v2/hub"\n  "*":\n    endpoint:\n      - "https://cache.corp"\nconfigs:\n  "harbor.corp":\n    tls:\n      insecure_skip_verify: true\n',
    )
    const r = await resolve('alpine', 'quay.io/org/app:1', '--json')
    expect(r.exitCode, r.stderr).toBe(0)
    const urls = (JSON.parse(r.stdout) as {results: {image: string; sources: {url: string; skipVerify: boolean}[]}[]}).results.map((x) => [x.image, x.sources.map((s) => `${s.url}${s.skipVerify ? ' (skip_verify)' : ''}`)])
    expect(urls).toEqual([
      // No scheme on a loopback port: http; a /v2/<project> path is used as is (override_path); the registry last.
      ['alpine', ['http://127.0.0.1:5000/v2', 'https://harbor.corp/v2/hub (skip_verify)', 'https://registry-1.docker.io/v2']],
      ['quay.io/org/app:1', ['https://cache.corp/v2', 'https://quay.io/v2']],
    ])
  })

  it('without registries.yaml: the default endpoints; a file k3s cannot decode: exit 1 at its position', async () => {
    const none = await resolve('alpine', '--json')
    expect(none.exitCode, none.stderr).toBe(0)
    expect(JSON.parse(none.stdout).results[0].sources.map((s: {url: string}) => s.url)).toEqual(['https://registry-1.docker.io/v2'])
    writeFileSync(file(), 'mirrors: [\n')
    const bad = await resolve('alpine')
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toMatch(/registries\.yaml:2:1: YAML syntax error.*\[k3s-registries\/yaml-syntax\]/)
    expect(bad.stderr).not.toMatch(/\n\s+at /)
  })
})
