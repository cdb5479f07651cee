// The proof that hosts.toml written by mirrorctl is one containerd uses: a real containerd
// (Debian's package, its own root/state/socket, native snapshotter) in a sandbox where
// docker.io cannot even be resolved pulls docker.io/library/tiny through a Distribution
// pull-through cache that only `mirrorctl mirror add --engine containerd` configured.
// Without the mirror the same pull fails.
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startContainerd, type Containerd} from '../harness/containerd.js'
import {runIsolated} from '../harness/isolated.js'
import {seedTinyImage, type PushedImage} from '../harness/oci-image.js'
import {accessLog, servedEvidence, startRegistry, type Registry} from '../harness/registry.js'
import {keepArtifacts, makeTempDir, removeTempDir} from '../harness/temp.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = join(REPO_ROOT, 'bin', 'run.js')
const IMAGE = 'docker.io/library/tiny:latest'

describe('containerd pulls docker.io images through a mirror added by mirrorctl', {timeout: 180_000}, () => {
  let upstream: Registry | undefined
  let mirror: Registry | undefined
  let containerd: Containerd | undefined
  let seeded: PushedImage
  let work: string

  beforeAll(async () => {
    work = makeTempDir('containerd-mirror')
    upstream = await startRegistry({name: 'upstream'})
    seeded = await seedTinyImage(upstream.url, 'tiny')
    mirror = await startRegistry({name: 'mirror', proxyRemoteUrl: upstream.url})
    containerd = await startContainerd(join(work, 'containerd'))
  }, 120_000)

  afterAll(async () => {
    await containerd?.stop()
    await mirror?.stop()
    await upstream?.stop()
    if (work && !keepArtifacts()) removeTempDir(work)
  }, 60_000)

  const pull = () => containerd!.ctr(['images', 'pull', '--hosts-dir', containerd!.hostsDir, '--snapshotter', 'native', IMAGE])

  it('without a mirror the pull fails: docker.io is not reachable from the sandbox', async () => {
    const before = accessLog(mirror!).length
    const res = await pull()
    expect(res.exitCode, res.stdout).not.toBe(0)
    expect(res.stderr).toMatch(/registry-1\.docker\.io/)
    expect(accessLog(mirror!).length).toBe(before)
  })

  it('mirror add --engine containerd writes hosts.toml under config_path; ctr then pulls via the mirror', async () => {
    const command = join(REPO_ROOT, 'dist', 'commands', 'mirror', 'add.js')
    expect(existsSync(command), `${command} is missing: run \`npm run build\` before the e2e tests`).toBe(true)
    const configBefore = readFileSync(containerd!.configToml, 'utf8')
    const cli = await runIsolated(
      [process.execPath, CLI, 'mirror', 'add', '--engine', 'containerd', '--containerd-config', containerd!.configToml, 'docker.io', mirror!.host, '--insecure', '--no-backup', '--json'],
      {cwd: REPO_ROOT},
    )
    expect(cli.exitCode, `mirrorctl failed:\n${cli.stdout}\n${cli.stderr}`).toBe(0)
    const out = JSON.parse(cli.stdout) as {files: {path: string; engine: string; actions: string[]}[]}
    const hostsToml = join(containerd!.hostsDir, 'docker.io', 'hosts.toml')
    // config_path was already set: only hosts.toml changes, and no restart is needed.
    expect(out.files.map((f) => [f.engine, f.path])).toEqual([['containerd', hostsToml]])
    expect(out.files[0]!.actions.join('\n')).toMatch(/no restart needed/)
    expect(readFileSync(containerd!.configToml, 'utf8')).toBe(configBefore)

    // mirrorctl's own resolve agrees with what containerd is about to do.
    const resolved = await runIsolated([process.execPath, CLI, 'resolve', '--engine', 'containerd', '--containerd-config', containerd!.configToml, '--containerd-version', '1.6.20', IMAGE, '--json'], {cwd: REPO_ROOT})
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    expect(JSON.parse(resolved.stdout)).toEqual({
      results: [
        {
          image: IMAGE,
          sources: [
            {url: `http://${mirror!.host}/v2`, capabilities: ['pull', 'resolve'], skipVerify: true},
            {url: 'https://registry-1.docker.io/v2', capabilities: ['pull', 'resolve', 'push'], skipVerify: false},
          ],
        },
      ],
    })

    const res = await pull()
    expect(res.exitCode, `ctr pull failed:\n${res.stdout}\n${res.stderr}\nhosts.toml:\n${readFileSync(hostsToml, 'utf8')}`).toBe(0)
    const list = await containerd!.ctr(['images', 'list', '--quiet'])
    expect(list.stdout.split('\n')).toContain(IMAGE)
    const check = await containerd!.ctr(['images', 'list'])
    expect(check.stdout).toContain(seeded.digest)

    // The cache served containerd's pull (containerd's user agent) and fetched it from upstream.
    const served = await servedEvidence(mirror!, 'library/tiny')
    expect(served.manifestRequests.length).toBeGreaterThan(0)
    expect(served.manifestRequests.every((e) => e.userAgent.startsWith('containerd/'))).toBe(true)
    // containerd names the upstream namespace on requests to a mirror: ?ns=docker.io
    expect(served.blobRequests.map((e) => e.path)).toContain(`/v2/library/tiny/blobs/${seeded.layers[0]!.digest}?ns=docker.io`)
    expect(served.cached).toBe(true)
    const upstreamPulls = accessLog(upstream!).filter((e) => e.path.startsWith('/v2/library/tiny/manifests/') && e.method !== 'PUT')
    expect(upstreamPulls.length).toBeGreaterThan(0)
    expect(upstreamPulls.some((e) => e.userAgent.startsWith('containerd/'))).toBe(false)
  })

  // The silent failures: containerd only logs a hosts.toml it cannot use and pulls upstream.
  // Each case: the real pull skips the mirror (and fails in the sandbox), mirrorctl's resolve
  // shows the same fallback and lint reports an error.
  const cases = [
    {name: 'a file without [host] tables (containerd 1.6 ignores server alone)', text: (m: string) => `server = "http://${m}"\n`, rule: 'containerd-hosts/no-host-table'},
    {name: 'a TOML syntax error', text: (m: string) => `[host."http://${m}"\n  capabilities = ["pull", "resolve"]\n`, rule: 'containerd-hosts/toml-syntax'},
    {name: 'an unknown capability', text: (m: string) => `[host."http://${m}"]\n  capabilities = ["pull", "mirror"]\n`, rule: 'containerd-hosts/decode-error'},
  ]
  for (const c of cases) {
    it(`${c.name}: containerd ignores it, resolve shows the fallback, lint is exit 1`, async () => {
      const hostsToml = join(containerd!.hostsDir, 'docker.io', 'hosts.toml')
      writeFileSync(hostsToml, c.text(mirror!.host))
      const before = accessLog(mirror!).length
      const res = await pull()
      expect(res.exitCode, res.stdout).not.toBe(0)
      expect(res.stderr).toMatch(/registry-1\.docker\.io/)
      expect(accessLog(mirror!).length).toBe(before)
      // ctr resolves hosts itself: the only trace of the ignored file is this log line.
      expect(res.stderr).toMatch(/failed to decode hosts\.toml/)

      const resolved = await runIsolated([process.execPath, CLI, 'resolve', '--engine', 'containerd', '--containerd-hosts-dir', containerd!.hostsDir, '--containerd-version', '1.6.20', IMAGE, '--json'], {cwd: REPO_ROOT})
      expect(resolved.exitCode, resolved.stderr).toBe(0)
      expect((JSON.parse(resolved.stdout) as {results: {sources: {url: string}[]}[]}).results[0]!.sources.map((s) => s.url)).toEqual(['https://registry-1.docker.io/v2'])
      const lint = await runIsolated([process.execPath, CLI, 'lint', hostsToml, '--containerd-version', '1.6.20', '--json'], {cwd: REPO_ROOT})
      expect(lint.exitCode, lint.stdout).toBe(1)
      expect(lint.stdout).toContain(c.rule)
    })
  }
})
