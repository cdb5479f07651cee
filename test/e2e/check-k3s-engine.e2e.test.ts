// `mirrorctl check --engine k3s` against a real registry and a real tinyproxy on loopback,
// with a --root tree holding k3s's registries.yaml and the install script's k3s.service.
// The CLI runs inside runIsolated (its DNS sees only the test's /etc/hosts).
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startHttpProxy, type HttpProxy} from '../harness/http-proxy.js'
import {runIsolated, type IsolatedResult} from '../harness/isolated.js'
import {buildTinyImage, pushImage, seedTinyImage, type PushedImage} from '../harness/oci-image.js'
import {startRegistry, type Registry} from '../harness/registry.js'
import {requireTools} from '../harness/require-tools.js'
import {keepArtifacts, makeTempDir, removeTempDir} from '../harness/temp.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = process.env.MIRRORCTL_E2E_CLI ?? join(REPO_ROOT, 'bin', 'run.js')

// The unit k3s's install.sh writes (EnvironmentFile= lines as in the script).
const K3S_UNIT = `[Unit]
Description=Lightweight Kubernetes

[Service]
Type=notify
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-/etc/systemd/system/k3s.service.env
ExecStart=/usr/local/bin/k3s server
`

interface StepJson {
  name: string
  status: string
  detail: string
  digest?: string
}
interface MirrorJson {
  mirror: string
  url: string
  route: {proxy: string | null; decidedBy: string}
  ok: boolean
  steps: StepJson[]
}

function mirrors(res: IsolatedResult): MirrorJson[] {
  expect(res.stdout, res.stderr).toMatch(/^\{/)
  return (JSON.parse(res.stdout) as {mirrors: MirrorJson[]}).mirrors
}

const stepOf = (m: MirrorJson, name: string): StepJson => m.steps.find((s) => s.name === name) ?? expect.fail(`no step ${name} in ${JSON.stringify(m.steps)}`)

describe('mirrorctl check --engine k3s', {timeout: 60_000}, () => {
  let reg: Registry | undefined
  let named: Registry | undefined
  let proxy: HttpProxy | undefined
  let seeded: PushedImage
  let work: string

  const cli = (args: string[], hosts?: Record<string, string>) => runIsolated([process.execPath, CLI, 'check', '--engine', 'k3s', ...args], {cwd: REPO_ROOT, timeoutMs: 30_000, ...(hosts ? {hosts} : {})})

  /** A host tree with registries.yaml, the k3s unit and (optionally) its environment file. */
  const k3sRoot = (name: string, registriesYaml: string | null, serviceEnv?: string): string => {
    const root = join(work, name)
    mkdirSync(join(root, 'etc', 'rancher', 'k3s'), {recursive: true})
    mkdirSync(join(root, 'etc', 'systemd', 'system'), {recursive: true})
    if (registriesYaml !== null) writeFileSync(join(root, 'etc', 'rancher', 'k3s', 'registries.yaml'), registriesYaml)
    writeFileSync(join(root, 'etc', 'systemd', 'system', 'k3s.service'), K3S_UNIT)
    if (serviceEnv !== undefined) writeFileSync(join(root, 'etc', 'systemd', 'system', 'k3s.service.env'), serviceEnv)
    return root
  }

  beforeAll(async () => {
    requireTools(['docker-registry', 'tinyproxy', 'unshare', 'setpriv', 'mount'])
    const command = join(dirname(dirname(CLI)), 'dist', 'commands', 'check.js')
    expect(existsSync(command), `${command} is missing: run \`npm run build\` before the e2e tests`).toBe(true)
    work = makeTempDir('check-k3s')
    ;[reg, named, proxy] = await Promise.all([
      startRegistry({name: 'k3s-plain'}),
      startRegistry({name: 'k3s-named', listen: '127.0.0.2'}),
      startHttpProxy({hosts: {'mirror.test': '127.0.0.2'}}),
    ])
    seeded = await seedTinyImage(reg.url, 'tiny')
    // A Harbor-style project path: the image under <project>/library/tiny.
    await pushImage(reg.url, 'hub-proxy/library/tiny', 'latest', buildTinyImage())
  }, 60_000)

  afterAll(async () => {
    await Promise.all([reg?.stop(), named?.stop(), proxy?.stop()])
    if (work && !keepArtifacts()) removeTempDir(work)
  }, 30_000)

  it('an endpoint without a scheme on a loopback port is plain HTTP, as k3s writes it; --image proves the manifest path', async () => {
    const root = k3sRoot('plain', `mirrors:\n  docker.io:\n    endpoint:\n      - "${reg!.host}"\n`)
    const res = await cli(['--root', root, '--image', 'tiny', '--json'])
    expect(res.exitCode, res.stdout + res.stderr).toBe(0)
    const [m] = mirrors(res)
    expect(m!.mirror).toBe(`http://${reg!.host}/v2`)
    expect(m!.url).toBe(`http://${reg!.host}`)
    expect(m!.route.proxy).toBeNull()
    expect(stepOf(m!, 'api').status).toBe('ok')
    const manifest = stepOf(m!, 'manifest')
    expect(manifest.status).toBe('ok')
    expect(manifest.digest).toBe(seeded.digest)
    expect(manifest.detail).toContain('/v2/library/tiny/manifests/latest')

    const human = await cli(['--root', root])
    expect(human.exitCode, human.stderr).toBe(0)
    expect(human.stdout).toContain('/etc/rancher/k3s/registries.yaml, serves docker.io')
  })

  it('a /v2/<project> endpoint (override_path) is requested as containerd will: <path>/<repository>/manifests', async () => {
    const root = k3sRoot('project', `mirrors:\n  docker.io:\n    endpoint: ["http://${reg!.host}/v2/hub-proxy"]\n`)
    const res = await cli(['--root', root, '--image', 'tiny', '--json'])
    expect(res.exitCode, res.stdout + res.stderr).toBe(0)
    const [m] = mirrors(res)
    expect(m!.mirror).toBe(`http://${reg!.host}/v2/hub-proxy`)
    expect(stepOf(m!, 'manifest').detail).toContain('/v2/hub-proxy/library/tiny/manifests/latest')
  })

  it('a project path without /v2 fails with the fix (k3s sets override_path, so containerd never adds /v2)', async () => {
    const root = k3sRoot('no-v2', `mirrors:\n  docker.io:\n    endpoint: ["http://${reg!.host}/hub-proxy"]\n`)
    const res = await cli(['--root', root, '--json'])
    expect(res.exitCode).toBe(1)
    const [m] = mirrors(res)
    expect(m!.ok).toBe(false)
    expect(JSON.stringify(m!.steps)).toContain(`http://${reg!.host}/v2/hub-proxy`)
  })

  it("k3s.service.env: CONTAINERD_HTTP_PROXY beats HTTP_PROXY for containerd (the proxy's log shows the request); CONTAINERD_NO_PROXY bypasses it", async () => {
    const target = `mirror.test:${named!.port}`
    const hosts = {'mirror.test': '127.0.0.2'}
    const yaml = `mirrors:\n  docker.io:\n    endpoint: ["http://${target}"]\n`
    const root = k3sRoot('proxied', yaml, `HTTP_PROXY=http://127.0.0.1:9\nCONTAINERD_HTTP_PROXY=${proxy!.url}\n`)
    const before = proxy!.requests().length
    const res = await cli(['--root', root, '--json'], hosts)
    expect(res.exitCode, res.stdout + res.stderr).toBe(0)
    const [m] = mirrors(res)
    expect(m!.route.proxy).toBe(proxy!.url)
    expect(m!.route.decidedBy).toBe('/etc/systemd/system/k3s.service.env:2: CONTAINERD_HTTP_PROXY')
    expect(proxy!.requests().slice(before)).toContainEqual({method: 'GET', target: `http://${target}/v2/`})

    const bypass = k3sRoot('bypass', yaml, `HTTP_PROXY=http://127.0.0.1:9\nCONTAINERD_HTTP_PROXY=${proxy!.url}\nCONTAINERD_NO_PROXY=mirror.test\n`)
    const seen = proxy!.requests().length
    const direct = await cli(['--root', bypass, '--json'], hosts)
    expect(direct.exitCode, direct.stdout + direct.stderr).toBe(0)
    expect(mirrors(direct)[0]!.route).toMatchObject({proxy: null, decidedBy: 'mirror.test'})
    expect(proxy!.requests().length).toBe(seen)
  })

  it('no registries.yaml: a clear message, exit 1; a broken one: its position, exit 1', async () => {
    const none = await cli(['--root', k3sRoot('none', null)])
    expect(none.exitCode).toBe(1)
    expect(none.stderr).toContain('no mirrors to check: /etc/rancher/k3s/registries.yaml does not exist')
    expect(none.stderr).not.toMatch(/\n\s+at /)

    const broken = await cli(['--root', k3sRoot('broken', 'mirrors:\n  docker.io: [\n')])
    expect(broken.exitCode).toBe(1)
    expect(broken.stderr).toContain('registries.yaml:')
    expect(broken.stderr).toContain('k3s-registries/yaml-syntax')
  })
})
