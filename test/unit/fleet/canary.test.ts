import {chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, describe, expect, it} from 'vitest'
import {UserError} from '../../../src/core/errors.js'
import {canaryMirrors, canaryStep, containersImageAttempts, dockerAttempts, judgeAnswer, onMirror, parseCanaryImage, type CanaryMirrors} from '../../../src/fleet/canary.js'
import type {PostWriteContext} from '../../../src/fleet/post-write.js'
import type {HostSession} from '../../../src/fleet/session.js'
import {CANARY_SCRIPT, canaryRequest, parseCanaryOutput, type CanaryAnswer} from '../../../src/hosts/canary-script.js'
import {parseMirrorArgument} from '../../../src/policy/mirror-policy.js'
import {parseSpec} from '../../../src/policy/spec.js'

const UP = '127.0.0.1:44811'
const MIRROR = '127.0.0.1:43319'
const IMAGE = `${UP}/library/tiny:latest`

// Recorded from skopeo 1.9.3 (containers/image 5.23) `--debug inspect --no-tags`, filtered as CANARY_SCRIPT filters.
const VIA_MIRROR = [`time="2026-12-02T22:36:28Z" level=debug msg="Trying to access \\"${MIRROR}/library/tiny:latest\\""`]
const FALLBACK = [
  `time="2026-12-02T22:36:28Z" level=debug msg="Trying to access \\"${MIRROR}/library/tiny:latest\\""`,
  `time="2026-12-02T22:36:28Z" level=debug msg="Accessing \\"${MIRROR}/library/tiny:latest\\" failed: pinging container registry ${MIRROR}: Get \\"http://${MIRROR}/v2/\\": dial tcp ${MIRROR}: connect: connection refused"`,
  `time="2026-12-02T22:36:28Z" level=debug msg="Trying to access \\"${UP}/library/tiny:latest\\""`,
]
const ALL_DOWN = [
  ...FALLBACK,
  `time="2026-12-02T22:36:28Z" level=debug msg="Accessing \\"${UP}/library/tiny:latest\\" failed: pinging container registry ${UP}: Get \\"http://${UP}/v2/\\": dial tcp ${UP}: connect: connection refused"`,
  `time="2026-12-02T22:36:28Z" level=fatal msg="Error parsing image name \\"docker://${UP}/library/tiny:latest\\": (Mirrors also failed: [...]): ${UP}/library/tiny:latest: pinging container registry ${UP}: connection refused"`,
]

// dockerd's journal (-o cat) in moby's formats: Trying to pull at debug, the fallback at info.
const DOCKERD_DEBUG_FALLBACK = [
  'time="2026-12-02T22:40:01.1Z" level=debug msg="Trying to pull library/tiny from http://127.0.0.1:5002/ v2"',
  'time="2026-12-02T22:40:01.2Z" level=info msg="Attempting next endpoint for pull after error: Get \\"http://127.0.0.1:5002/v2/\\": dial tcp 127.0.0.1:5002: connect: connection refused"',
  'time="2026-12-02T22:40:01.3Z" level=debug msg="Trying to pull library/tiny from https://registry-1.docker.io v2"',
]
const DOCKERD_INFO_FALLBACK = ['time="2026-12-02T22:40:01.2Z" level=info msg="Attempting next endpoint for pull after error: Head \\"http://127.0.0.1:5002/v2/library/tiny/manifests/latest\\": EOF"']

// Recorded from a real dockerd 20.10.24 (Debian docker.io, debug on) whose mirror and Docker Hub
// (registry-1.docker.io -> 127.0.0.1 in its /etc/hosts) both refuse: its own log, as /var/log/docker.log holds it.
const DOCKERD_2024_FALLBACK = [
  'time="2026-12-02T23:22:06.648317729Z" level=debug msg="garbage collected" d=3.087473ms',
  'time="2026-12-02T23:22:16.722198835Z" level=debug msg="Calling POST /v1.41/images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest"',
  'time="2026-12-02T23:22:16.727342189Z" level=debug msg="Trying to pull busybox from http://127.0.0.1:5999/ v2"',
  'time="2026-12-02T23:22:16.727630524Z" level=warning msg="Error getting v2 registry: Get \\"http://127.0.0.1:5999/v2/\\": dial tcp 127.0.0.1:5999: connect: connection refused"',
  'time="2026-12-02T23:22:16.727683881Z" level=info msg="Attempting next endpoint for pull after error: Get \\"http://127.0.0.1:5999/v2/\\": dial tcp 127.0.0.1:5999: connect: connection refused"',
  'time="2026-12-02T23:22:16.727698935Z" level=debug msg="Trying to pull busybox from https://registry-1.docker.io v2"',
  'time="2026-12-02T23:22:16.728049949Z" level=warning msg="Error getting v2 registry: Get \\"https://registry-1.docker.io/v2/\\": dial tcp 127.0.0.1:443: connect: connection refused"',
  'time="2026-12-02T23:22:16.728094169Z" level=info msg="Attempting next endpoint for pull after error: Get \\"https://registry-1.docker.io/v2/\\": dial tcp 127.0.0.1:443: connect: connection refused"',
  'time="2026-12-02T23:22:16.729523863Z" level=error msg="Handler for POST /v1.41/images/create returned error: Get \\"https://registry-1.docker.io/v2/\\": dial tcp 127.0.0.1:443: connect: connection refused"',
]

const mirrors = (podman: string[], docker: string[] = []): CanaryMirrors => ({
  podman: podman.map((m) => parseMirrorArgument(m, {insecure: true})),
  docker: docker.map((m) => parseMirrorArgument(m, {insecure: true})),
})
const ran = (log: string[], exitCode = 0, extra: Partial<Extract<CanaryAnswer, {ran: true}>> = {}): CanaryAnswer => ({family: 'podman', ran: true, client: 'skopeo', exitCode, log, mirrors: null, ...extra})

describe('--canary IMAGE validation', () => {
  it('completes references as the engines do', () => {
    expect(parseCanaryImage('busybox')).toBe('docker.io/library/busybox:latest')
    expect(parseCanaryImage(' quay.io/org/app@sha256:' + 'a'.repeat(64))).toBe('quay.io/org/app@sha256:' + 'a'.repeat(64))
    expect(parseCanaryImage(`${UP}/library/tiny`)).toBe(IMAGE)
  })

  it.each(['BAD IMAGE', 'x;reboot', '-rf', 'docker.io/$(id)', 'a\nb', ''])('rejects %j as a usage error with a rule id', (bad) => {
    const e = (() => {
      try {
        parseCanaryImage(bad)
      } catch (error) {
        return error
      }
      return null
    })()
    expect(e).toBeInstanceOf(UserError)
    expect((e as UserError).rule).toBe('canary-image')
  })
})

describe('which source served, from containers/image debug output', () => {
  it('the mirror tried first and serving', () => {
    expect(containersImageAttempts(VIA_MIRROR)).toEqual([{source: `${MIRROR}/library/tiny:latest`, error: null}])
    expect(judgeAnswer(ran(VIA_MIRROR), IMAGE, mirrors([MIRROR]))).toMatchObject({status: 'passed', source: `${MIRROR}/library/tiny:latest`, viaMirror: true})
  })

  it('the mirror refusing and the upstream serving: failed, naming the fallback and the mirror error', () => {
    const r = judgeAnswer(ran(FALLBACK), IMAGE, mirrors([MIRROR]))
    expect(r.attempts.map((a) => a.source)).toEqual([`${MIRROR}/library/tiny:latest`, IMAGE])
    expect(r.attempts[0]!.error).toMatch(/^pinging container registry 127\.0\.0\.1:43319: Get "http:\/\/127\.0\.0\.1:43319\/v2\/": dial tcp .*connection refused$/)
    expect(r).toMatchObject({status: 'failed', source: IMAGE, viaMirror: false})
    expect(r.reason).toMatch(/^skopeo pulled .* from 127\.0\.0\.1:44811\/library\/tiny:latest, not a mirror after 127\.0\.0\.1:43319\/library\/tiny:latest failed \(pinging/)
  })

  it('every source failing: failed with the last source error, no source', () => {
    const r = judgeAnswer(ran(ALL_DOWN, 1), IMAGE, mirrors([MIRROR]))
    expect(r).toMatchObject({status: 'failed', source: null})
    expect(r.reason).toMatch(/^skopeo could not pull .*: pinging container registry 127\.0\.0\.1:44811/)
  })

  it('older containers/image ("Trying to pull", no failure line): the last source tried served', () => {
    const old = ['level=debug msg="Trying to pull \\"m.example/x:1\\""', 'level=debug msg="Trying to pull \\"up.example/x:1\\""']
    expect(containersImageAttempts(old)).toEqual([
      {source: 'm.example/x:1', error: 'failed (no reason logged)'},
      {source: 'up.example/x:1', error: null},
    ])
  })

  it('a pull that succeeded with no source line is not a proof', () => {
    expect(judgeAnswer(ran([]), IMAGE, mirrors([MIRROR]))).toMatchObject({status: 'failed', reason: expect.stringMatching(/names no pull source/)})
  })

  it('mirror matching respects namespaces and does not match a longer host', () => {
    const ms = mirrors(['cache.example:5000/hub'])
    expect(onMirror('cache.example:5000/hub/library/x:1', ms.podman)).toBe(true)
    expect(onMirror('http://cache.example:5000/hub/', ms.podman)).toBe(true)
    expect(onMirror('cache.example:5000/other/x:1', ms.podman)).toBe(false)
    expect(onMirror('cache.example:50001/hub/x:1', ms.podman)).toBe(false)
  })
})

describe('which source served, from dockerd', () => {
  it('with the debug log: the endpoints tried and the one that served', () => {
    expect(dockerAttempts(DOCKERD_DEBUG_FALLBACK, [], 'docker.io/library/tiny:latest')).toEqual({
      evidence: 'debug-log',
      attempts: [
        {source: 'http://127.0.0.1:5002/', error: 'Get "http://127.0.0.1:5002/v2/": dial tcp 127.0.0.1:5002: connect: connection refused'},
        {source: 'https://registry-1.docker.io', error: null},
      ],
    })
    const r = judgeAnswer({family: 'docker', ran: true, client: 'docker', exitCode: 0, log: DOCKERD_DEBUG_FALLBACK, mirrors: '["http://127.0.0.1:5002/"]'}, 'docker.io/library/tiny:latest', mirrors([], ['http://127.0.0.1:5002']))
    expect(r).toMatchObject({status: 'failed', source: 'https://registry-1.docker.io', viaMirror: false})
  })

  it('info level only: n fallbacks mean the n-th endpoint (docker info mirrors, then Docker Hub) served', () => {
    const ms = mirrors([], ['http://127.0.0.1:5002', 'http://127.0.0.1:5003'])
    const answer = (log: string[]): CanaryAnswer => ({family: 'docker', ran: true, client: 'docker', exitCode: 0, log, mirrors: '["http://127.0.0.1:5002/","http://127.0.0.1:5003/"]'})
    expect(judgeAnswer(answer([]), 'docker.io/library/tiny:latest', ms)).toMatchObject({status: 'passed', source: 'http://127.0.0.1:5002/'})
    expect(judgeAnswer(answer(DOCKERD_INFO_FALLBACK), 'docker.io/library/tiny:latest', ms)).toMatchObject({status: 'passed', source: 'http://127.0.0.1:5003/'})
    expect(judgeAnswer(answer([...DOCKERD_INFO_FALLBACK, ...DOCKERD_INFO_FALLBACK]), 'docker.io/library/tiny:latest', ms)).toMatchObject({status: 'failed', source: 'https://registry-1.docker.io'})
  })

  it('info level only, recorded from dockerd 20.10 with the mirror and Docker Hub refusing: both endpoints named with their errors', () => {
    const info = DOCKERD_2024_FALLBACK.filter((l) => !l.includes('level=debug'))
    const answer: CanaryAnswer = {family: 'docker', ran: true, client: 'docker', exitCode: 1, log: info, mirrors: '["http://127.0.0.1:5999/"]'}
    expect(judgeAnswer(answer, 'docker.io/library/busybox:latest', mirrors([], ['http://127.0.0.1:5999']))).toMatchObject({
      status: 'failed',
      attempts: [
        {source: 'http://127.0.0.1:5999/', error: 'Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused'},
        {source: 'https://registry-1.docker.io', error: 'Get "https://registry-1.docker.io/v2/": dial tcp 127.0.0.1:443: connect: connection refused'},
      ],
      reason: 'docker could not pull docker.io/library/busybox:latest: Get "https://registry-1.docker.io/v2/": dial tcp 127.0.0.1:443: connect: connection refused',
    })
  })

  it('the containerd image store without a debug log: skipped, never a pass by absence of fallback lines', () => {
    const answer: CanaryAnswer = {family: 'docker', ran: true, client: 'docker', exitCode: 0, log: [], mirrors: '["http://127.0.0.1:5002/"]', containerdStore: true}
    expect(judgeAnswer(answer, 'docker.io/library/tiny:latest', mirrors([], ['http://127.0.0.1:5002']))).toMatchObject({status: 'skipped', reason: expect.stringMatching(/containerd image store/)})
    expect(judgeAnswer({...answer, log: DOCKERD_DEBUG_FALLBACK}, 'docker.io/library/tiny:latest', mirrors([], ['http://127.0.0.1:5002']))).toMatchObject({status: 'failed'})
  })

  it('an image off Docker Hub never uses daemon.json mirrors', () => {
    expect(dockerAttempts([], ['http://127.0.0.1:5002/'], 'quay.io/org/app:1').attempts).toEqual([{source: 'https://quay.io', error: null}])
  })
})

describe('the spec mirrors per engine family', () => {
  it('entries without engines count for every family', () => {
    const spec = parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["a.example:5000"]\nengines = ["docker"]\n\n[[mirror]]\nsource = "quay.io"\nmirrors = ["b.example"]\n', 'spec.toml')
    const m = canaryMirrors(spec)
    expect(m.docker.map((x) => x.host)).toEqual(['a.example:5000', 'b.example'])
    expect(m.podman.map((x) => x.host)).toEqual(['b.example'])
  })
})

describe('the canary script', () => {
  const dirs: string[] = []
  afterAll(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))

  /** A bin folder with fake clients (the script, not the clients, is under test). */
  function fakeBin(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'mirrorctl-canary-bin-'))
    dirs.push(dir)
    for (const [name, body] of Object.entries(files)) {
      // Data files (with a dot) as they are; programs as sh scripts.
      writeFileSync(path.join(dir, name), name.includes('.') ? body : `#!/bin/sh\n${body}\n`)
      if (!name.includes('.')) chmodSync(path.join(dir, name), 0o755)
    }
    return dir
  }
  const runScript = (bin: string, input: string) => execa('/bin/sh', ['-c', CANARY_SCRIPT], {input, reject: false, env: {PATH: `${bin}:/usr/bin:/bin`}, extendEnv: false})

  it('passes the image as one argument and returns only the source lines', async () => {
    const bin = fakeBin({
      skopeo: `for a in "$@"; do printf 'time="t" level=debug msg="arg %s"\\n' "$a" >&2; done\nprintf '%s\\n' 'time="t" level=debug msg="Trying to access \\"m/x:1\\""' 'time="t" level=debug msg="unrelated"' >&2\necho sha256:abc`,
      docker: 'exit 1',
    })
    const r = await runScript(bin, canaryRequest(['podman', 'docker'], 'm/x:1'))
    expect(r.exitCode, r.stderr).toBe(0)
    const answers = parseCanaryOutput(`motd noise\n${r.stdout}`)
    expect(answers).toEqual([
      {family: 'podman', ran: true, client: 'skopeo', exitCode: 0, log: ['time="t" level=debug msg="Trying to access \\"m/x:1\\""'], mirrors: null},
      {family: 'docker', ran: false, reason: 'dockerd is not running'},
    ])
  })

  it('docker where dockerd runs: the mirrors from docker info, the journal after the cursor taken before the pull', async () => {
    const bin = fakeBin({
      docker: `case $1 in
info) case "$*" in *RegistryConfig*) echo '["http://127.0.0.1:5002/"]' ;; *) echo '[["Backing Filesystem","extfs"]]' ;; esac ;;
pull) [ "$2 $3" = "--quiet docker.io/library/tiny:latest" ] || exit 9; echo pulled ;;
*) exit 8 ;;
esac`,
      journalctl: `case "$*" in
*--show-cursor*) echo '-- cursor: s=abc;i=1' ;;
*"--after-cursor s=abc;i=1"*) echo 'level=info msg="starting"'; cat "$(dirname "$0")/journal.txt" ;;
*) exit 7 ;;
esac`,
      'journal.txt': DOCKERD_DEBUG_FALLBACK.join('\n'),
    })
    const r = await runScript(bin, canaryRequest(['docker'], 'docker.io/library/tiny:latest'))
    expect(r.exitCode, r.stderr).toBe(0)
    expect(parseCanaryOutput(r.stdout)).toEqual([{family: 'docker', ran: true, client: 'docker', exitCode: 0, log: DOCKERD_DEBUG_FALLBACK, mirrors: '["http://127.0.0.1:5002/"]'}])
  })

  it('docker without a journal for docker.service (sysvinit, OpenRC): the lines /var/log/docker.log gained during the pull', async () => {
    const log = mkdtempSync(path.join(tmpdir(), 'mirrorctl-canary-log-'))
    dirs.push(log)
    const file = path.join(log, 'docker.log')
    writeFileSync(file, `${DOCKERD_2024_FALLBACK[0]}\n`)
    const bin = fakeBin({
      docker: `case $1 in
info) case "$*" in *RegistryConfig*) echo '["http://127.0.0.1:5999/"]' ;; *) echo '[]' ;; esac ;;
pull) cat "$(dirname "$0")/pulled.txt" >> "$MCTL_DOCKER_LOG"; echo 'Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp 127.0.0.1:443: connect: connection refused' >&2; exit 1 ;;
*) exit 8 ;;
esac`,
      // What journalctl says on a host whose journal has no docker.service (exit 1, no cursor).
      journalctl: `echo '-- No entries --'; exit 1`,
      'pulled.txt': DOCKERD_2024_FALLBACK.slice(1).join('\n') + '\n',
    })
    const script = CANARY_SCRIPT.replace('dlog=/var/log/docker.log', 'dlog=$MCTL_DOCKER_LOG')
    expect(script).not.toBe(CANARY_SCRIPT)
    const r = await execa('/bin/sh', ['-c', script], {input: canaryRequest(['docker'], 'docker.io/library/busybox:latest'), reject: false, env: {PATH: `${bin}:/usr/bin:/bin`, MCTL_DOCKER_LOG: file}, extendEnv: false})
    expect(r.exitCode, r.stderr).toBe(0)
    const [answer] = parseCanaryOutput(r.stdout)
    expect(answer).toMatchObject({family: 'docker', ran: true, client: 'docker', exitCode: 1, mirrors: '["http://127.0.0.1:5999/"]'})
    // Only the pull's own lines (not the one logged before it), in order: both endpoints tried and refused.
    const attempts = dockerAttempts((answer as Extract<CanaryAnswer, {ran: true}>).log, ['http://127.0.0.1:5999/'], 'docker.io/library/busybox:latest')
    expect(attempts).toEqual({
      evidence: 'debug-log',
      attempts: [
        {source: 'http://127.0.0.1:5999/', error: 'Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused'},
        // The last endpoint failed too: its error is the pull's.
        {source: 'https://registry-1.docker.io', error: 'Get "https://registry-1.docker.io/v2/": dial tcp 127.0.0.1:443: connect: connection refused'},
      ],
    })
    expect(judgeAnswer(answer!, 'docker.io/library/busybox:latest', mirrors([], ['http://127.0.0.1:5999']))).toMatchObject({
      status: 'failed',
      viaMirror: false,
      reason: 'docker could not pull docker.io/library/busybox:latest: Get "https://registry-1.docker.io/v2/": dial tcp 127.0.0.1:443: connect: connection refused',
    })
  })

  it('docker whose log is in neither the journal nor /var/log/docker.log: skipped before the pull, never a pass for lack of fallback lines', async () => {
    const bin = fakeBin({
      docker: `case $1 in
info) echo '["http://127.0.0.1:5999/"]' ;;
pull) echo pulled >> "$(dirname "$0")/pulled" ;;
esac`,
      journalctl: `echo '-- No entries --'; exit 1`,
    })
    const missing = path.join(bin, 'no-such.log')
    const script = CANARY_SCRIPT.replace('dlog=/var/log/docker.log', `dlog=${missing}`)
    expect(script).not.toBe(CANARY_SCRIPT)
    const r = await execa('/bin/sh', ['-c', script], {input: canaryRequest(['docker'], 'docker.io/library/busybox:latest'), reject: false, env: {PATH: `${bin}:/usr/bin:/bin`}, extendEnv: false})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(parseCanaryOutput(r.stdout)).toEqual([{family: 'docker', ran: false, reason: `dockerd's log is in neither journald (docker.service) nor ${missing}: a pull could not show which source served`}])
    expect(existsSync(path.join(bin, 'pulled'))).toBe(false)
  })

  it.each(['x;id', '$(id)', '-v', ''])('refuses the image %j itself, before any client runs', async (bad) => {
    const bin = fakeBin({skopeo: 'echo ran >&2'})
    const r = await runScript(bin, canaryRequest(['podman'], bad))
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toBe('mirrorctl-canary: bad image reference')
    expect(r.stdout).toBe('')
  })

  it('a cut-off answer is an error, not a pass', () => {
    expect(() => parseCanaryOutput('mirrorctl-canary-result 1\nrun podman skopeo\nlog x\n')).toThrow(/cut off/)
    expect(() => parseCanaryOutput('')).toThrow(/no answer/)
  })

  it('the step: skipped on a --root tree and where neither podman nor docker is configured; failed when the script fails', async () => {
    const ctx = (session: Partial<HostSession>, engines: string[]): PostWriteContext =>
      ({session: session as HostSession, written: {files: engines.map((engine) => ({engine}))}, engines, plan: {}, signal: new AbortController().signal}) as unknown as PostWriteContext
    const step = canaryStep(IMAGE, mirrors([MIRROR]))
    expect(await step(ctx({reloader: () => null}, ['podman']))).toMatchObject({step: 'canary', status: 'skipped', reason: 'a --root tree runs no engine to pull with'})
    const run = async () => ({exitCode: 3, stdout: '', stderr: 'mirrorctl-canary: bad image reference\n'})
    expect(await step(ctx({reloader: () => ({facts: {commands: null, units: {}}, run})}, ['containerd']))).toMatchObject({status: 'skipped', reason: 'neither podman nor docker is configured on this host (no canary pull for containerd yet)'})
    expect(await step(ctx({reloader: () => ({facts: {commands: null, units: {}}, run})}, ['podman']))).toMatchObject({status: 'failed', reason: 'the canary script failed: mirrorctl-canary: bad image reference'})
  })
})
