// Checks the e2e harness itself, so a broken harness fails here with a clear message
// instead of as a confusing mirrorctl failure elsewhere.
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startHttpProxy, type HttpProxy} from '../harness/http-proxy.js'
import {runIsolated} from '../harness/isolated.js'
import {startRegistry, type Registry} from '../harness/registry.js'
import {requireTools} from '../harness/require-tools.js'
import {keepArtifacts, makeTempDir, removeTempDir} from '../harness/temp.js'
import {createTestCa, issueServerCert, type ServerCert} from '../harness/tls.js'

describe('e2e harness', {timeout: 120_000}, () => {
  let plain: Registry | undefined
  let tlsReg: Registry | undefined
  let expiredReg: Registry | undefined
  let proxy: HttpProxy | undefined
  let cert: ServerCert
  let work: string

  beforeAll(async () => {
    requireTools(['docker-registry', 'tinyproxy', 'openssl', 'curl', 'unshare', 'setpriv', 'mount'])
    work = makeTempDir('harness')
    const ca = await createTestCa(join(work, 'ca'))
    cert = await issueServerCert(ca, {dnsNames: ['mirror.test'], ipAddresses: ['127.0.0.1', '127.0.0.2']})
    const expired = await issueServerCert(ca, {dnsNames: ['mirror.test'], ipAddresses: ['127.0.0.1'], expired: true})
    ;[plain, tlsReg, expiredReg, proxy] = await Promise.all([
      startRegistry({name: 'plain'}),
      startRegistry({name: 'tls', listen: '127.0.0.2', tls: cert}),
      startRegistry({name: 'expired', tls: expired}),
      startHttpProxy({hosts: {'mirror.test': '127.0.0.2'}}),
    ])
  }, 120_000)

  afterAll(async () => {
    await Promise.all([plain?.stop(), tlsReg?.stop(), expiredReg?.stop(), proxy?.stop()])
    if (work && !keepArtifacts()) removeTempDir(work)
  }, 60_000)

  const curl = (args: string[], hosts?: Record<string, string>) =>
    runIsolated(['curl', '-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', ...args], hosts ? {hosts} : {})

  it('isolation: resolv.conf points at 127.0.0.1, /etc/hosts and /etc/containers are test-owned', async () => {
    const containers = join(work, 'containers')
    mkdirSync(containers)
    writeFileSync(join(containers, 'marker'), 'mine\n')
    const script = 'cat /etc/resolv.conf /etc/hosts /etc/containers/marker; echo "$1"'
    const res = await runIsolated(['sh', '-c', script, 'sh', 'arg with spaces; $(no)'], {
      hosts: {'mirror.test': '127.0.0.2'},
      containersDir: containers,
    })
    expect(res.exitCode, res.stderr).toBe(0)
    expect(res.stdout).toMatch(/^nameserver 127\.0\.0\.1$/m)
    expect(res.stdout).toMatch(/^127\.0\.0\.2 mirror\.test$/m)
    expect(res.stdout).toContain('mine')
    expect(res.stdout).toContain('arg with spaces; $(no)')
    // The host's own files are untouched.
    expect(readFileSync('/etc/hosts', 'utf8')).not.toContain('mirror.test')
    await expect(runIsolated(['true'], {hosts: {'evil.test': '10.0.0.1'}})).rejects.toThrow(/non-loopback/)
  })

  it('plain registry answers /v2/', async () => {
    expect((await curl([`${plain!.url}/v2/`])).stdout).toBe('200')
  })

  it('tinyproxy forwards plain HTTP and CONNECT to any port, and logs both', async () => {
    const viaProxy = await curl(['-x', proxy!.url, `${plain!.url}/v2/`])
    expect(viaProxy.stdout, viaProxy.stderr).toBe('200')
    const tunneled = await curl(['-x', proxy!.url, '--cacert', cert.caFile, `https://mirror.test:${tlsReg!.port}/v2/`])
    expect(tunneled.stdout, tunneled.stderr).toBe('200')
    const reqs = proxy!.requests()
    expect(reqs).toContainEqual({method: 'GET', target: `${plain!.url}/v2/`})
    // The name was resolved by the proxy through its own test /etc/hosts.
    expect(reqs).toContainEqual({method: 'CONNECT', target: `mirror.test:${tlsReg!.port}`})
  })

  it('TLS registry is trusted through the test CA and its SANs; the expired one is rejected', async () => {
    const byName = await curl(['--cacert', cert.caFile, `https://mirror.test:${tlsReg!.port}/v2/`], {'mirror.test': '127.0.0.2'})
    expect(byName.stdout, byName.stderr).toBe('200')
    const untrusted = await curl([`${tlsReg!.url}/v2/`])
    expect(untrusted.exitCode).toBe(60)
    const expired = await curl(['--cacert', cert.caFile, `${expiredReg!.url}/v2/`])
    expect(expired.exitCode).toBe(60)
    expect(expired.stderr).toMatch(/expired/i)
  })
})
