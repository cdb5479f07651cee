// apply --reload --verify --canary against a REAL dockerd (Debian's docker.io 20.10, see
// test/harness/dockerd.ts) behind a real sshd test host. The host's /etc/docker/daemon.json
// is dockerd's --config-file; its root's docker CLI (the machine's, context "mirrorctl-e2e" in
// /root/.docker) talks to dockerd's socket in the host's /tmp; dockerd's own log is the host's
// /var/log/docker.log (as sysvinit and OpenRC keep it); and the host's `systemctl` maps
// `reload docker` to SIGHUP of dockerd's pid (what docker.service's ExecReload does) and
// `is-active docker` to that pid being alive.
//
// Docker Hub is a loopback Distribution registry holding library/busybox (pushed with skopeo)
// behind a Distribution pull-through cache, the spec's mirror. dockerd asks mirrors only for
// docker.io images, so the canary is docker.io/library/busybox:latest. dockerd's Docker Hub
// names resolve to 127.0.0.1 in its own /etc/hosts: with the mirror down its fallback is
// refused on loopback.
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {startDockerd, type Dockerd} from '../harness/dockerd.js'
import {skopeoPushTinyImage} from '../harness/oci-layout.js'
import {startRegistry, type Registry} from '../harness/registry.js'
import {timedRequests} from '../harness/registry-timeline.js'
import {requireTools} from '../harness/require-tools.js'
import {startSshHosts, type SshHosts, type TestSshHost, writeBecomeInventory} from '../harness/sshd-hosts.js'
import {cli} from '../helpers/cli.js'

const DAEMON_JSON = '/etc/docker/daemon.json'
// debug: dockerd logs each endpoint it tries ("Trying to pull NAME from URL"), the canary's proof.
// registry-mirrors is present: dockerd's reload applies only the keys the file sets (moby
// reloadRegistryMirrors), so only then does restoring this file and SIGHUP remove the mirror.
const ORIGINAL = '{\n  "debug": true,\n  "registry-mirrors": []\n}\n'
const IMAGE = 'docker.io/library/busybox:latest'
const CALLS = '/tmp/fakebin/calls'

// Only what mirrorctl asks systemd for docker; every other unit is inactive (not installed).
const SYSTEMCTL = `#!/bin/sh
echo "$*" >> ${CALLS}
pid=$(cat /tmp/docker.pid 2>/dev/null)
alive() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
case $1 in
is-active)
  shift; quiet=; [ "$1" = --quiet ] && { quiet=1; shift; }
  rc=3
  for u in "$@"; do
    s=inactive
    case $u in docker|docker.service) alive && s=active ;; esac
    [ "$s" = active ] && rc=0
    [ -n "$quiet" ] || echo "$s"
  done
  exit $rc ;;
reload)
  case $2 in docker|docker.service) ;; *) echo "Unit $2 not loaded." >&2; exit 5 ;; esac
  alive || { echo "docker.service is not active, cannot reload." >&2; exit 1; }
  exec kill -HUP "$pid" ;;
daemon-reload) exit 0 ;;
*) echo "systemctl shim: $1 is not supported" >&2; exit 1 ;;
esac
`

type Part = {part: string; status: string; detail: string}
type Check = {step: string; status: string; reason: string; details: {parts?: Part[]; dockerMirrors?: string[] | null; startedAt?: string; finishedAt?: string; clients?: {engine: string; client: string; status: string; source: string | null; attempts: {source: string; error: string | null}[]}[]}}
type HostJson = {host: string; status: string; reason: string | null; reload?: {engine: string; action: string; status: string; reason: string}[]; checks?: Check[]}

let hosts: SshHosts
let host: TestSshHost
let upstream: Registry
let mirror: Registry
let dockerd: Dockerd
let work: string
let specFile: string
let inventory: string

async function apply(...flags: string[]) {
  const r = await cli(['apply', '--spec', specFile, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--yes', '--json', ...flags])
  let json: {hosts: HostJson[]} | null = null
  try {
    json = JSON.parse(r.stdout) as {hosts: HostJson[]}
  } catch {
    json = null
  }
  return {...r, host: json?.hosts[0]}
}

const check = (h: HostJson | undefined, step: string) => h?.checks?.find((c) => c.step === step)
const calls = () => (host.readFile(CALLS) ?? '').split('\n').filter((l) => l && !l.startsWith('is-active'))
// What the running dockerd uses (null and [] both mean none).
const runningMirrors = async () => (JSON.parse((await dockerd.docker(['info', '--format', '{{json .RegistryConfig.Mirrors}}'])).stdout) as string[] | null) ?? []

describe('apply --reload --verify --canary with a real dockerd', {timeout: 300_000}, () => {
  beforeAll(async () => {
    const tools = requireTools(['sshd', 'ssh', 'unshare', 'setpriv', 'mount', 'sudo', 'skopeo', 'docker-registry', 'dockerd', 'docker', 'containerd'])
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-dockerd-'))
    upstream = await startRegistry({name: 'dockerd-hub'})
    await skopeoPushTinyImage(work, upstream.host, 'library/busybox')
    mirror = await startRegistry({name: 'dockerd-mirror', proxyRemoteUrl: upstream.url})
    hosts = await startSshHosts(1, {namePrefix: 'dk'})
    host = hosts.host('dk1')
    host.writeFile(DAEMON_JSON, ORIGINAL)

    // systemctl first on sudo's PATH (the host's own sudoers.d), as in fleet-reload.e2e.test.ts.
    mkdirSync(path.join(host.hostDir, 'tmp/fakebin'), {recursive: true})
    writeFileSync(path.join(host.hostDir, 'tmp/fakebin/systemctl'), SYSTEMCTL)
    chmodSync(path.join(host.hostDir, 'tmp/fakebin/systemctl'), 0o755)
    writeFileSync(path.join(host.hostDir, 'etc/sudoers.d/zz-fakebin'), 'Defaults secure_path="/tmp/fakebin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n', {mode: 0o440})
    // The host's root reaches dockerd through a docker context, the CLI's own mechanism.
    const dockerConfig = {DOCKER_CONFIG: host.path('/root/.docker'), PATH: process.env.PATH ?? '/usr/bin:/bin'}
    await execa(tools['docker']!, ['context', 'create', 'mirrorctl-e2e', '--docker', 'host=unix:///tmp/docker.sock'], {env: dockerConfig, extendEnv: false})
    await execa(tools['docker']!, ['context', 'use', 'mirrorctl-e2e'], {env: dockerConfig, extendEnv: false})

    host.writeFile('/var/log/docker.log', '')
    dockerd = await startDockerd({
      dir: path.join(work, 'dockerd'),
      configFile: host.path(DAEMON_JSON),
      socket: host.path('/tmp/docker.sock'),
      pidFile: host.path('/tmp/docker.pid'),
      logFile: host.path('/var/log/docker.log'),
    })
    expect(await runningMirrors()).toEqual([])

    specFile = path.join(work, 'spec.toml')
    writeFileSync(specFile, `[[mirror]]\nsource = "docker.io"\nmirrors = ["${mirror.host}"]\ninsecure = true\nengines = ["docker"]\n`)
    inventory = path.join(work, 'hosts.ini')
    writeBecomeInventory(inventory, 'fleet', ['dk1'])
  }, 240_000)

  afterAll(async () => {
    await dockerd?.stop()
    await hosts?.stop()
    await mirror?.stop()
    await upstream?.stop()
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('daemon.json written, dockerd reloaded by SIGHUP, docker info lists the mirror, and the canary pull came from the mirror', async () => {
    const reloadsBefore = dockerd.reloads()
    const r = await apply('--reload', '--verify', '--canary', IMAGE)
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(r.host!.status, r.host!.reason ?? '').toBe('changed')
    const written = JSON.parse(host.readFile(DAEMON_JSON)!) as Record<string, unknown>
    expect(written['debug']).toBe(true)
    expect(written['registry-mirrors']).toEqual([`http://${mirror.host}`])

    expect(r.host!.reload).toEqual([{engine: 'docker', action: 'reload', status: 'done', reason: 'reload docker'}])
    expect(calls()).toEqual(['reload docker'])
    await expect.poll(() => dockerd.reloads()).toBe(reloadsBefore + 1)
    expect(await runningMirrors()).toEqual([`http://${mirror.host}/`])

    const verify = check(r.host, 'verify')!
    expect(verify.status, verify.reason).toBe('passed')
    expect(verify.details.parts!.find((p) => p.part === 'docker-info')).toMatchObject({status: 'passed'})
    expect(verify.details.dockerMirrors).toEqual([`http://${mirror.host}/`])

    const canary = check(r.host, 'canary')!
    expect(canary.status, canary.reason).toBe('passed')
    expect(canary.details.clients).toHaveLength(1)
    expect(canary.details.clients![0]).toMatchObject({engine: 'docker', client: 'docker', status: 'passed', source: `http://${mirror.host}/`})
    expect(canary.details.clients![0]!.attempts).toEqual([{source: `http://${mirror.host}/`, error: null}])
    // The mirror's own log: dockerd's manifest request for the image, inside the canary's window.
    const from = Date.parse(canary.details.startedAt!)
    const to = Date.parse(canary.details.finishedAt!)
    const manifests = timedRequests(mirror).filter((q) => q.userAgent.startsWith('docker/') && q.uri === '/v2/library/busybox/manifests/latest')
    expect(manifests.length).toBeGreaterThan(0)
    expect(manifests.every((q) => q.at >= from && q.at <= to && q.status === 200)).toBe(true)
    expect((await dockerd.docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox:latest'])).exitCode).toBe(0)
    // The endpoint came from dockerd's own debug log (the host's /var/log/docker.log).
    expect(dockerd.readLog()).toContain(`Trying to pull busybox from http://${mirror.host}/ v2`)
  })

  test('mirror down: the docker canary fails on dockerd\'s own log, then verify fails; each time the host is rolled back byte for byte and dockerd reloaded again', async () => {
    // Back to the starting point: the original daemon.json, live in dockerd, and no cached image.
    host.writeFile(DAEMON_JSON, ORIGINAL)
    process.kill(dockerd.pid, 'SIGHUP')
    await expect.poll(runningMirrors).toEqual([])
    await dockerd.docker(['image', 'rm', 'busybox:latest'])
    expect((await dockerd.docker(['image', 'inspect', 'busybox:latest'])).exitCode).not.toBe(0)
    await mirror.stop()
    const mirrorUrl = `http://${mirror.host}/`

    // The canary alone: dockerd tries the mirror (refused), falls back to Docker Hub (127.0.0.1:443, refused).
    let callsBefore = calls().length
    let reloadsBefore = dockerd.reloads()
    const c = await apply('--reload', '--canary', IMAGE)
    expect(c.exitCode, c.stderr + c.stdout).toBe(1)
    expect(c.host!.status).toBe('rolled-back')
    const canary = check(c.host, 'canary')!
    expect(canary.status).toBe('failed')
    expect(canary.details.clients![0]!.attempts).toEqual([
      {source: mirrorUrl, error: `Get "${mirrorUrl}v2/": dial tcp ${mirror.host}: connect: connection refused`},
      {source: 'https://registry-1.docker.io', error: 'Get "https://registry-1.docker.io/v2/": dial tcp 127.0.0.1:443: connect: connection refused'},
    ])
    expect(c.host!.reason).toBe(`canary failed: docker could not pull ${IMAGE}: Get "https://registry-1.docker.io/v2/": dial tcp 127.0.0.1:443: connect: connection refused; restored the previous files`)
    expect(host.readFile(DAEMON_JSON)).toBe(ORIGINAL)
    // Reloaded after the write and again after the rollback; the running dockerd has no mirror again.
    expect(calls().slice(callsBefore)).toEqual(['reload docker', 'reload docker'])
    // The rollback's SIGHUP is sent, not awaited: dockerd applies it on its own time.
    await expect.poll(() => dockerd.reloads()).toBe(reloadsBefore + 2)
    expect(await runningMirrors()).toEqual([])

    // With --verify: the mirror does not answer GET /v2/ from the host; the canary is not reached.
    callsBefore = calls().length
    reloadsBefore = dockerd.reloads()
    const v = await apply('--reload', '--verify', '--canary', IMAGE)
    expect(v.exitCode, v.stderr + v.stdout).toBe(1)
    expect(v.host!.status).toBe('rolled-back')
    const verify = check(v.host, 'verify')!
    expect(verify.status).toBe('failed')
    expect(verify.details.parts!.find((p) => p.part === 'mirrors')).toMatchObject({status: 'failed'})
    // dockerd did take the (bad) mirror before the rollback: docker info listed it.
    expect(verify.details.dockerMirrors).toEqual([mirrorUrl])
    expect(host.readFile(DAEMON_JSON)).toBe(ORIGINAL)
    expect(calls().slice(callsBefore)).toEqual(['reload docker', 'reload docker'])
    // The rollback's SIGHUP is sent, not awaited: dockerd applies it on its own time.
    await expect.poll(() => dockerd.reloads()).toBe(reloadsBefore + 2)
    expect(await runningMirrors()).toEqual([])
  })

  test('a daemon.json without registry-mirrors: the rollback is reported as needing a restart, and the real dockerd indeed keeps the mirror after SIGHUP', async () => {
    const bare = '{\n  "debug": true\n}\n'
    host.writeFile(DAEMON_JSON, ORIGINAL)
    process.kill(dockerd.pid, 'SIGHUP')
    await expect.poll(runningMirrors).toEqual([])
    host.writeFile(DAEMON_JSON, bare)
    await dockerd.docker(['image', 'rm', 'busybox:latest'])
    await mirror.stop()
    const callsBefore = calls().length

    const r = await apply('--reload', '--canary', IMAGE)
    expect(r.exitCode, r.stderr + r.stdout).toBe(1)
    expect(r.host!.status).toBe('rolled-back')
    expect(host.readFile(DAEMON_JSON)).toBe(bare)
    // Adding the key was reloadable; removing it again is not (moby reloads only the keys the file sets).
    expect(calls().slice(callsBefore)).toEqual(['reload docker'])
    expect(r.host!.reload).toEqual([{engine: 'docker', action: 'restart', status: 'needs-restart', reason: 'not restarted without --allow-restart: restart docker: /etc/docker/daemon.json: "registry-mirrors" is not applied by a reload'}])
    // The reason says so too: the files are back, the daemon is not.
    expect(r.host!.reason).toMatch(/; restored the previous files, but docker keeps the change until restarted \(not restarted without --allow-restart/)
    // What the plan says, the real daemon confirms: a SIGHUP now would leave the mirror in use.
    const reloads = dockerd.reloads()
    process.kill(dockerd.pid, 'SIGHUP')
    await expect.poll(() => dockerd.reloads()).toBe(reloads + 1)
    expect(await runningMirrors()).toEqual([`http://${mirror.host}/`])
  })
})
