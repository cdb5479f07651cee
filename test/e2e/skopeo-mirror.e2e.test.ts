// The proof that a mirror written by mirrorctl is one real consumers use: skopeo, in a
// sandbox where docker.io cannot even be resolved, pulls docker.io/library/tiny through
// a Distribution pull-through cache that mirrorctl configured, and gets the exact image
// seeded upstream. Without the mirror the same pull fails.
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runIsolated} from '../harness/isolated.js'
import {seedTinyImage, type PushedImage} from '../harness/oci-image.js'
import {accessLog, hasBlob, servedEvidence, startRegistry, type Registry} from '../harness/registry.js'
import {waitFor} from '../harness/proc.js'
import {requireTools} from '../harness/require-tools.js'
import {keepArtifacts, makeTempDir, removeTempDir} from '../harness/temp.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = join(REPO_ROOT, 'bin', 'run.js')
const IMAGE = 'docker://docker.io/library/tiny:latest'

// What a stock host might have before mirrorctl runs; the comment and search list must survive.
const BASE_REGISTRIES_CONF = `# registries.conf of a test host (written by the e2e test)
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
`
const POLICY_JSON = JSON.stringify({default: [{type: 'insecureAcceptAnything'}]}, null, 2) + '\n'

/** A host root with etc/containers/{registries.conf,policy.json,registries.conf.d/}. */
function makeHostRoot(dir: string): string {
  const etc = join(dir, 'etc', 'containers')
  mkdirSync(join(etc, 'registries.conf.d'), {recursive: true})
  writeFileSync(join(etc, 'registries.conf'), BASE_REGISTRIES_CONF)
  writeFileSync(join(etc, 'policy.json'), POLICY_JSON)
  return dir
}

describe('skopeo pulls docker.io images through a mirror added by mirrorctl', {timeout: 120_000}, () => {
  let upstream: Registry | undefined
  let mirror: Registry | undefined
  let seeded: PushedImage
  let work: string

  beforeAll(async () => {
    requireTools(['skopeo', 'docker-registry', 'unshare', 'setpriv', 'mount'])
    work = makeTempDir('skopeo-mirror')
    upstream = await startRegistry({name: 'upstream'})
    seeded = await seedTinyImage(upstream.url, 'tiny')
    mirror = await startRegistry({name: 'mirror', proxyRemoteUrl: upstream.url})
  }, 120_000)

  afterAll(async () => {
    await mirror?.stop()
    await upstream?.stop()
    if (work && !keepArtifacts()) removeTempDir(work)
  }, 60_000)

  it('without a mirror the pull fails: docker.io is not reachable from the sandbox', async () => {
    const root = makeHostRoot(join(work, 'no-mirror'))
    const before = accessLog(mirror!).length
    const res = await runIsolated(['skopeo', 'inspect', '--no-tags', IMAGE], {
      containersDir: join(root, 'etc', 'containers'),
    })
    expect(res.exitCode, res.stdout).not.toBe(0)
    // The lookup went to the sandbox's 127.0.0.1 resolver and was refused: nothing left the machine.
    expect(res.stderr).toMatch(/lookup registry-1\.docker\.io on 127\.0\.0\.1:53/)
    expect(accessLog(mirror!).length).toBe(before)
  })

  it('mirror add writes registries.conf; skopeo then pulls the seeded image via the mirror', async () => {
    // Tests never build: `npm run build` empties dist/ under any test running in parallel.
    const command = join(REPO_ROOT, 'dist', 'commands', 'mirror', 'add.js')
    expect(existsSync(command), `${command} is missing: run \`npm run build\` before the e2e tests`).toBe(true)
    const root = makeHostRoot(join(work, 'with-mirror'))
    const confFile = join(root, 'etc', 'containers', 'registries.conf')

    // The CLI runs sandboxed too, so even a reachability probe could not leave the machine.
    const cli = await runIsolated(
      [process.execPath, CLI, 'mirror', 'add', 'docker.io', mirror!.host, '--insecure', '--root', root, '--no-backup'],
      {cwd: REPO_ROOT},
    )
    expect(cli.exitCode, `mirrorctl failed:\n${cli.stdout}\n${cli.stderr}`).toBe(0)
    const conf = readFileSync(confFile, 'utf8')
    expect(conf).toContain('# registries.conf of a test host')
    expect(conf).toContain(mirror!.host)

    const inspect = await runIsolated(['skopeo', 'inspect', '--no-tags', IMAGE], {
      containersDir: join(root, 'etc', 'containers'),
    })
    expect(inspect.exitCode, `skopeo inspect failed:\n${inspect.stderr}\nregistries.conf:\n${conf}`).toBe(0)
    const info = JSON.parse(inspect.stdout) as {Digest: string; Labels: Record<string, string>; Architecture: string}
    expect(info.Digest).toBe(seeded.digest)
    expect(info.Labels['org.opencontainers.image.title']).toBe('mirrorctl-e2e-tiny')

    // A full copy fetches the layer too; the stored manifest must be the seeded bytes.
    const dest = join(work, 'copy')
    const copy = await runIsolated(['skopeo', 'copy', IMAGE, `dir:${dest}`], {
      containersDir: join(root, 'etc', 'containers'),
    })
    expect(copy.exitCode, `skopeo copy failed:\n${copy.stderr}`).toBe(0)
    const manifest = readFileSync(join(dest, 'manifest.json'))
    expect(`sha256:${createHash('sha256').update(manifest).digest('hex')}`).toBe(seeded.digest)
    const layer = seeded.layers[0]!
    expect(readFileSync(join(dest, layer.digest.slice('sha256:'.length))).equals(layer.data)).toBe(true)

    // The mirror served skopeo's pull and cached what it fetched from upstream.
    const served = await servedEvidence(mirror!, 'library/tiny')
    expect(served.manifestRequests.length).toBeGreaterThan(0)
    expect(served.manifestRequests.every((e) => e.userAgent.startsWith('skopeo/'))).toBe(true)
    expect(served.blobRequests.map((e) => e.path)).toContain(`/v2/library/tiny/blobs/${layer.digest}`)
    expect(served.cached).toBe(true)
    // The proxy stores blobs while streaming them out, so the file may land a moment later.
    await waitFor(() => hasBlob(mirror!, layer.digest), {what: `layer ${layer.digest} in the mirror's storage`, timeoutMs: 5_000})
    // Upstream saw the image fetched by the mirror (Go's default agent), never by skopeo itself.
    const upstreamPulls = accessLog(upstream!).filter((e) => e.path.startsWith('/v2/library/tiny/manifests/') && e.method !== 'PUT')
    expect(upstreamPulls.length).toBeGreaterThan(0)
    expect(upstreamPulls.some((e) => e.userAgent.startsWith('skopeo/'))).toBe(false)
  })
})
