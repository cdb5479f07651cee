// `apply --ca-file` over real OpenSSH to two sshd harness hosts, against a real Distribution
// pull-through cache serving TLS with a private CA on 127.0.0.1. The proof is skopeo itself,
// run on a host over ssh (inside that host's mount namespace, so it reads the host's own
// /etc/containers/certs.d), with TLS verification on: it fails with a certificate error
// while the host lacks the CA and pulls through the mirror once mirrorctl installed it.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {startContainerd, type Containerd} from '../harness/containerd.js'
import {seedTinyImage} from '../harness/oci-image.js'
import {accessLog, startRegistry, type Registry} from '../harness/registry.js'
import {requireTools} from '../harness/require-tools.js'
import {startSshHosts, writeBecomeInventory, type SshHosts, type TestSshHost} from '../harness/sshd-hosts.js'
import {createTestCa, issueServerCert, type TestCa} from '../harness/tls.js'
import {cli} from '../helpers/cli.js'

const IMAGE = 'docker://docker.io/library/tiny:latest'

let hosts: SshHosts
let upstream: Registry
let mirror: Registry
let ca: TestCa
let otherCa: TestCa
let work: string
let specFile: string
let inventory: string

const caPaths = () => [`/etc/docker/certs.d/${mirror.host}/ca.crt`, `/etc/containers/certs.d/${mirror.host}/ca.crt`]

async function run(command: string, ...extra: string[]) {
  const r = await cli([command, ...(command === 'rollback' ? [] : ['--spec', specFile]), '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--json', ...extra])
  // --json prints the report on stdout; a refused run prints its error instead.
  const json = /^\{\s*"hosts"/.test(r.stdout) ? (JSON.parse(r.stdout) as {hosts: {host: string; status: string; reason: string | null; files?: {path: string}[]}[]}) : null
  return {...r, json}
}

/** A CA, an upstream holding library/tiny, and a pull-through cache of it serving TLS on 127.0.0.1 with a certificate from the CA. */
async function startTlsMirror(dir: string, label: string): Promise<{ca: TestCa; upstream: Registry; mirror: Registry}> {
  const testCa = await createTestCa(path.join(dir, 'ca'), `mirrorctl ${label} CA`)
  const cert = await issueServerCert(testCa, {ipAddresses: ['127.0.0.1'], name: 'mirror'})
  const up = await startRegistry({name: `${label}-upstream`})
  await seedTinyImage(up.url, 'tiny')
  const tls = await startRegistry({name: `${label}-tls-mirror`, proxyRemoteUrl: up.url, tls: {certFile: cert.certFile, keyFile: cert.keyFile}})
  expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
  return {ca: testCa, upstream: up, mirror: tls}
}

const statuses = (r: Awaited<ReturnType<typeof run>>) => Object.fromEntries((r.json?.hosts ?? []).map((h) => [h.host, h.status]))

/** skopeo on the host itself, as the login user, verification on (no --tls-verify=false). */
async function skopeoOn(h: TestSshHost) {
  const r = await execa('ssh', ['-F', hosts.sshConfig, h.name, 'skopeo', 'inspect', '--no-tags', '--retry-times', '0', IMAGE], {reject: false, stdin: 'ignore', timeout: 90_000})
  return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
}

describe('apply --ca-file: a private CA where each engine looks, proven by skopeo', {timeout: 300_000}, () => {
  beforeAll(async () => {
    requireTools(['sshd', 'ssh', 'skopeo', 'docker-registry', 'openssl', 'unshare', 'setpriv', 'mount', 'sudo'])
    work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-cafile-'))
    ;({ca, upstream, mirror} = await startTlsMirror(work, 'cafile'))
    otherCa = await createTestCa(path.join(work, 'other-ca'), 'mirrorctl cafile e2e other CA')
    hosts = await startSshHosts(2)
    for (const h of hosts.hosts) h.writeFile('/etc/containers/registries.conf', 'unqualified-search-registries = ["docker.io"]\n')
    specFile = path.join(work, 'spec.toml')
    writeFileSync(specFile, `[[mirror]]\nsource = "docker.io"\nmirrors = ["${mirror.host}"]\nengines = ["docker", "podman"]\n`)
    inventory = path.join(work, 'hosts.ini')
    writeBecomeInventory(inventory, 'fleet', hosts.hosts.map((h) => h.name))
  }, 240_000)

  afterAll(async () => {
    await hosts?.stop()
    await mirror?.stop()
    await upstream?.stop()
    if (work) rmSync(work, {recursive: true, force: true})
  }, 60_000)

  test('the mirror configured without its CA: skopeo fails on the certificate', async () => {
    const r = await run('apply', '--yes')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(statuses(r)).toEqual({h1: 'changed', h2: 'changed'})
    for (const h of hosts.hosts) for (const p of caPaths()) expect(h.readFile(p)).toBeNull()
    const pull = await skopeoOn(hosts.host('h1'))
    expect(pull.exitCode).not.toBe(0)
    expect(pull.stderr).toMatch(/x509|certificate signed by unknown authority|failed to verify certificate/)
  })

  test('a private key given as --ca-file is refused (exit 2) and nothing is written', async () => {
    const r = await run('apply', '--yes', '--ca-file', ca.keyFile)
    expect(r.exitCode).toBe(2)
    expect(r.stdout + r.stderr).toMatch(/private key/)
    expect(r.stdout + r.stderr).toMatch(/ca-file\/private-key/)
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /)
    for (const h of hosts.hosts) for (const p of caPaths()) expect(h.readFile(p)).toBeNull()
  })

  test('plan shows the CA files as diffs; apply --ca-file installs them on both hosts; skopeo then pulls through the mirror', async () => {
    const planned = await run('plan', '--ca-file', ca.certFile)
    expect(planned.exitCode, planned.stderr).toBe(0)
    expect(planned.json?.hosts.map((h) => h.status)).toEqual(['changed', 'changed'])
    for (const h of planned.json?.hosts ?? []) {
      const diff = (h as unknown as {diff: string}).diff
      for (const p of caPaths()) expect(diff).toContain(`+++ b${p}`)
      expect(diff).toContain('+-----BEGIN CERTIFICATE-----')
    }
    const pem = readFileSync(ca.certFile, 'utf8')
    for (const h of hosts.hosts) for (const p of caPaths()) expect(h.readFile(p)).toBeNull()
    const r = await run('apply', '--yes', '--ca-file', ca.certFile)
    expect(r.exitCode, r.stderr).toBe(0)
    expect(statuses(r)).toEqual({h1: 'changed', h2: 'changed'})
    for (const h of hosts.hosts) for (const p of caPaths()) expect(h.readFile(p)).toBe(pem)

    const before = accessLog(mirror).length
    const pull = await skopeoOn(hosts.host('h2'))
    expect(pull.exitCode, pull.stderr).toBe(0)
    expect(JSON.parse(pull.stdout).Name).toMatch(/tiny$/)
    const served = accessLog(mirror).slice(before)
    expect(served.some((e) => e.userAgent.startsWith('skopeo') && /\/v2\/library\/tiny\/manifests\/latest/.test(e.path) && e.status === 200)).toBe(true)

    // Same CA again: nothing to do.
    const again = await run('apply', '--yes', '--ca-file', ca.certFile)
    expect(again.exitCode, again.stderr).toBe(0)
    expect(statuses(again)).toEqual({h1: 'unchanged', h2: 'unchanged'})
  })

  test('another CA is a diff; rollback restores the previous CA files byte for byte', async () => {
    const first = Object.fromEntries(hosts.hosts.map((h) => [h.name, caPaths().map((p) => h.readFile(p))]))
    const other = await run('apply', '--yes', '--ca-file', otherCa.certFile)
    expect(other.exitCode, other.stderr).toBe(0)
    expect(statuses(other)).toEqual({h1: 'changed', h2: 'changed'})
    const h1 = hosts.host('h1')
    for (const p of caPaths()) expect(h1.readFile(p)).toBe(readFileSync(otherCa.certFile, 'utf8'))
    const broken = await skopeoOn(h1)
    expect(broken.exitCode).not.toBe(0)
    expect(broken.stderr).toMatch(/x509|certificate signed by unknown authority|failed to verify certificate/)

    const back = await run('rollback')
    expect(back.exitCode, back.stderr).toBe(0)
    expect(statuses(back)).toEqual({h1: 'changed', h2: 'changed'})
    for (const h of hosts.hosts) expect(caPaths().map((p) => h.readFile(p))).toEqual(first[h.name])
    // rollback restored every file's newest backup, registries.conf too (to before the mirror):
    // applying the first CA again finds the CA files as they were and changes only the configs.
    const reapplied = await run('apply', '--yes', '--ca-file', ca.certFile)
    expect(reapplied.exitCode, reapplied.stderr).toBe(0)
    const written = (reapplied.json?.hosts ?? []).flatMap((h) => (h.files ?? []).map((f) => f.path))
    expect(written.length).toBeGreaterThan(0)
    expect(written.filter((p) => p.includes('/certs.d/'))).toEqual([])
    const pull = await skopeoOn(h1)
    expect(pull.exitCode, pull.stderr).toBe(0)
  })
})

describe('mirror add --ca-file on this machine (--root tree)', {timeout: 60_000}, () => {
  const fixture = path.resolve(import.meta.dirname, '../../fixtures/ca')
  test('installs the CA for podman and docker, shows it in --dry-run, and changes nothing the second time', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-cafile-root-'))
    try {
      const args = ['mirror', 'add', 'docker.io', '[::1]:5443', '--ca-file', path.join(fixture, 'corp-ca.pem'), '--root', root, '--engine', 'all', '--json']
      const dry = await cli([...args, '--dry-run'])
      expect(dry.exitCode, dry.stderr).toBe(0)
      const planned = JSON.parse(dry.stdout) as {files: {path: string; diff: string}[]}
      expect(planned.files.map((f) => f.path)).toEqual(expect.arrayContaining(['/etc/docker/certs.d/[::1]:5443/ca.crt', '/etc/containers/certs.d/[::1]:5443/ca.crt']))
      expect(planned.files.find((f) => f.path.endsWith('/ca.crt'))!.diff).toContain('+-----BEGIN CERTIFICATE-----')
      const first = await cli(args)
      expect(first.exitCode, first.stderr).toBe(0)
      const pem = readFileSync(path.join(fixture, 'corp-ca.pem'), 'utf8')
      expect(readFileSync(path.join(root, 'etc/docker/certs.d/[::1]:5443/ca.crt'), 'utf8')).toBe(pem)
      expect(readFileSync(path.join(root, 'etc/containers/certs.d/[::1]:5443/ca.crt'), 'utf8')).toBe(pem)
      const second = await cli(args)
      expect(second.exitCode, second.stderr).toBe(0)
      expect(JSON.parse(second.stdout).changed).toBe(false)
      const insecure = await cli([...args, '--insecure'])
      expect(insecure.exitCode).toBe(2)
      expect(insecure.stdout + insecure.stderr).toMatch(/ca-file\/insecure-mirror/)
    } finally {
      rmSync(root, {recursive: true, force: true})
    }
  })
})

describe('mirror add --engine containerd --ca-file: ctr pulls through the TLS mirror with the CA named in hosts.toml', {timeout: 180_000}, () => {
  let dir: string
  let up: Registry | undefined
  let tls: Registry | undefined
  let containerd: Containerd | undefined
  let testCa: TestCa

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mirrorctl-e2e-cafile-ctr-'))
    ;({ca: testCa, upstream: up, mirror: tls} = await startTlsMirror(dir, 'cafile-ctr'))
    containerd = await startContainerd(path.join(dir, 'containerd'))
  }, 120_000)

  afterAll(async () => {
    await containerd?.stop()
    await tls?.stop()
    await up?.stop()
    if (dir) rmSync(dir, {recursive: true, force: true})
  }, 60_000)

  const pull = () => containerd!.ctr(['images', 'pull', '--hosts-dir', containerd!.hostsDir, '--snapshotter', 'native', 'docker.io/library/tiny:latest'])
  const add = (...extra: string[]) => cli(['mirror', 'add', '--engine', 'containerd', '--containerd-config', containerd!.configToml, 'docker.io', tls!.host, '--no-backup', '--json', ...extra])

  test('without the CA the mirror is refused on its certificate; with it ctr pulls through the mirror', async () => {
    const plain = await add()
    expect(plain.exitCode, plain.stderr).toBe(0)
    const refused = await pull()
    expect(refused.exitCode).not.toBe(0)
    expect(refused.stderr).toMatch(new RegExp(`https://127\\.0\\.0\\.1:${tls!.port}/v2/\\S+: x509: certificate signed by unknown authority`))
    expect(accessLog(tls!).filter((e) => e.path.includes('/manifests/'))).toEqual([])

    const withCa = await add('--ca-file', testCa.certFile)
    expect(withCa.exitCode, withCa.stderr).toBe(0)
    const folder = path.join(containerd!.hostsDir, 'docker.io')
    const caFile = path.join(folder, `mirrorctl-ca-127.0.0.1_${tls!.port}.pem`)
    const files = (JSON.parse(withCa.stdout) as {files: {path: string}[]}).files.map((f) => f.path)
    expect(files).toEqual([caFile, path.join(folder, 'hosts.toml')])
    expect(readFileSync(caFile, 'utf8')).toBe(readFileSync(testCa.certFile, 'utf8'))
    expect(readFileSync(path.join(folder, 'hosts.toml'), 'utf8')).toContain(`ca = ${JSON.stringify(caFile)}`)

    const ok = await pull()
    expect(ok.exitCode, ok.stderr).toBe(0)
    expect(accessLog(tls!).some((e) => /\/v2\/library\/tiny\/manifests\/latest/.test(e.path) && e.status === 200)).toBe(true)
    const again = await add('--ca-file', testCa.certFile)
    expect(JSON.parse(again.stdout).changed).toBe(false)
  })
})
