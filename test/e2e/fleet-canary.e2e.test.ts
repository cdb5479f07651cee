// apply --canary over real OpenSSH to real sshd hosts, with a real Distribution pair on
// loopback: an upstream registry (standing in for Docker Hub, seeded with skopeo copy from
// an OCI layout) and a pull-through cache in front of it, which the spec makes the
// upstream's mirror. Each host's canary pull (the real skopeo there) is placed in the
// mirror's own request log by time: with --serial 1 the hosts' windows are disjoint, so
// every request the mirror answered belongs to exactly one host. With the mirror stopped,
// skopeo falls back to the upstream, the canary fails, the host is rolled back to its
// exact bytes and --max-fail 0 stops the rollout.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {skopeoPushTinyImage} from '../harness/oci-layout.js'
import {startRegistry, type Registry} from '../harness/registry.js'
import {timedRequests, type TimedRequest} from '../harness/registry-timeline.js'
import {requireTools} from '../harness/require-tools.js'
import {startSshHosts, type SshHosts, writeBecomeInventory} from '../harness/sshd-hosts.js'
import {cli} from '../helpers/cli.js'

const CONF = '/etc/containers/registries.conf'
const N = 5

type Attempt = {source: string; error: string | null}
type CanaryDetails = {image: string; startedAt: string; finishedAt: string; source: string | null; clients: {engine: string; client: string; status: string; source: string | null; attempts: Attempt[]}[]}
type HostJson = {host: string; status: string; reason: string | null; checks?: {step: string; status: string; reason: string; details: CanaryDetails}[]}
type Report = {hosts: HostJson[]; summary: Record<string, number>}

let hosts: SshHosts
let upstream: Registry
let mirror: Registry
let work: string
let specFile: string
let inventory: string
let image: string
let original: string

async function apply(args: string[]) {
  const r = await cli(['apply', '--spec', specFile, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--yes', '--json', '--canary', image, ...args])
  let json: Report | null = null
  try {
    json = JSON.parse(r.stdout) as Report
  } catch {
    json = null
  }
  return {...r, json}
}

const statusOf = (json: Report | null) => Object.fromEntries((json?.hosts ?? []).map((h) => [h.host, h.status]))
const canaryOf = (json: Report | null, name: string) => json!.hosts.find((h) => h.host === name)!.checks!.find((c) => c.step === 'canary')!

describe('apply --canary through a real registry pair', {timeout: 300_000}, () => {
  beforeAll(async () => {
    requireTools(['sshd', 'ssh', 'unshare', 'setpriv', 'mount', 'sudo', 'skopeo', 'docker-registry'])
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-canary-'))
    upstream = await startRegistry({name: 'canary-upstream'})
    await skopeoPushTinyImage(work, upstream.host, 'library/tiny')
    mirror = await startRegistry({name: 'canary-mirror', proxyRemoteUrl: upstream.url})
    image = `${upstream.host}/library/tiny:latest`
    hosts = await startSshHosts(N, {namePrefix: 'c'})
    // Plain HTTP on both sides: the upstream's own table says insecure; the spec adds the mirror.
    original = `# canary test host\n[[registry]]\nprefix = "${upstream.host}"\nlocation = "${upstream.host}"\ninsecure = true\n`
    for (const h of hosts.hosts) h.writeFile(CONF, original)
    specFile = path.join(work, 'spec.toml')
    writeFileSync(specFile, `[[mirror]]\nsource = "${upstream.host}"\nmirrors = ["${mirror.host}"]\ninsecure = true\nengines = ["podman"]\n`)
    inventory = path.join(work, 'hosts.ini')
    writeBecomeInventory(inventory, 'fleet', hosts.hosts.map((h) => h.name))
  }, 240_000)

  afterAll(async () => {
    await hosts?.stop()
    await mirror?.stop()
    await upstream?.stop()
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('--serial 1: each host proves its pull came from the mirror, and the mirror log holds each host\'s requests inside its window, in batch order', async () => {
    const names = ['c1', 'c2', 'c3']
    const r = await apply(['--limit', names.join(','), '--serial', '1'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(statusOf(r.json)).toEqual({c1: 'changed', c2: 'changed', c3: 'changed'})

    const windows = names.map((n) => {
      const c = canaryOf(r.json, n)
      expect(c.status, `${n}: ${c.reason}`).toBe('passed')
      expect(c.details.clients).toHaveLength(1)
      expect(c.details.clients[0]).toMatchObject({engine: 'podman', client: 'skopeo', status: 'passed', source: `${mirror.host}/library/tiny:latest`})
      // The mirror was tried first and served: no attempt failed.
      expect(c.details.clients[0]!.attempts).toEqual([{source: `${mirror.host}/library/tiny:latest`, error: null}])
      return {host: n, from: Date.parse(c.details.startedAt), to: Date.parse(c.details.finishedAt)}
    })
    // Batches of one, in order: each window closes before the next host's opens.
    for (let i = 1; i < windows.length; i++) expect(windows[i - 1]!.to).toBeLessThanOrEqual(windows[i]!.from)

    // The mirror's own log: skopeo's manifest requests for the image, each inside exactly one host's window.
    const skopeoManifests = timedRequests(mirror).filter((q: TimedRequest) => q.userAgent.startsWith('skopeo/') && q.uri === '/v2/library/tiny/manifests/latest')
    const perHost = windows.map((w) => skopeoManifests.filter((q) => q.at >= w.from && q.at <= w.to))
    for (const [i, got] of perHost.entries()) expect(got.map((q) => q.status), windows[i]!.host).toEqual([200])
    expect(perHost.flat()).toHaveLength(skopeoManifests.length)

    // Progress lines on stderr finish the hosts in batch order.
    expect(r.stderr.match(/^\[\d+\/\d+\] c\d: \S+/gm)).toEqual(['[1/3] c1: changed', '[2/3] c2: changed', '[3/3] c3: changed'])
  })

  test('mirror down: skopeo falls back to the upstream, the canary fails, the host is rolled back byte for byte and --max-fail 0 skips the rest', async () => {
    await mirror.stop()
    const r = await apply(['--limit', 'c4,c5', '--serial', '1', '--max-fail', '0'])
    expect(r.exitCode, r.stderr).toBe(1)
    expect(statusOf(r.json)).toEqual({c4: 'rolled-back', c5: 'skipped'})
    expect(r.json!.summary).toMatchObject({'rolled-back': 1, skipped: 1, changed: 0})

    const c = canaryOf(r.json, 'c4')
    expect(c.status).toBe('failed')
    const client = c.details.clients[0]!
    // skopeo's debug output: the mirror tried first and refused, then the upstream served.
    expect(client.attempts.map((a) => a.source)).toEqual([`${mirror.host}/library/tiny:latest`, image])
    expect(client.attempts[0]!.error).toMatch(/connection refused/)
    expect(client.source).toBe(image)
    expect(r.json!.hosts.find((h) => h.host === 'c4')!.reason).toMatch(/^canary failed: skopeo pulled .* from .*, not a mirror.*; restored the previous files$/)
    expect(r.json!.hosts.find((h) => h.host === 'c5')!.reason).toMatch(/not attempted: the rollout stopped after 1 failed host \(--max-fail 0\)/)

    expect(hosts.host('c4').readFile(CONF)).toBe(original)
    expect(hosts.host('c5').readFile(CONF)).toBe(original)
  })

  test('a --canary value with shell syntax is a usage error before any host is contacted; nothing is written', async () => {
    const logins = hosts.host('c5').logins()
    const r = await cli(['apply', '--spec', specFile, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--yes', '--limit', 'c5', '--canary', `${upstream.host}/library/tiny;touch /tmp/pwned`])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/--canary .* is not an image reference: .*\[canary-image\]/)
    expect(r.stderr).toMatch(/hint: /)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(hosts.host('c5').logins()).toBe(logins)
    expect(hosts.host('c5').readFile(CONF)).toBe(original)
  })
})
