// `mirrorctl proxy explain` as a user runs it: the built CLI in a child process with a
// controlled environment (the test runner's own proxy variables must not leak in), and
// --root trees standing in for a host's /etc. No network is used.
import {execFile} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = join(REPO_ROOT, 'bin', 'run.js')

interface Run {
  code: number
  stdout: string
  stderr: string
}

let work: string

/** Runs the CLI with exactly these environment variables (plus PATH and HOME). */
function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      [CLI, 'proxy', 'explain', ...args],
      {cwd: REPO_ROOT, env: {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, NO_COLOR: '1', ...env}, timeout: 30_000},
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({code, stdout, stderr})
      },
    )
  })
}

/** A --root tree holding these files. */
function rootWith(name: string, files: Record<string, string>): string {
  const root = join(work, name)
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), {recursive: true})
    writeFileSync(join(root, file), text)
  }
  return root
}

const PROXY = 'http://proxy.corp:3128'
const DROP_IN = '/etc/systemd/system/docker.service.d/http-proxy.conf'

describe('mirrorctl proxy explain', {timeout: 60_000}, () => {
  beforeAll(() => {
    // Tests never build: `npm run build` empties dist/ under any test running in parallel.
    const command = join(REPO_ROOT, 'dist', 'commands', 'proxy', 'explain.js')
    expect(existsSync(command), `${command} is missing: build the CLI before the e2e tests`).toBe(true)
    work = mkdtempSync(join(tmpdir(), 'mirrorctl-e2e-proxy-explain-'))
  })

  afterAll(() => {
    if (work && process.env.MIRRORCTL_E2E_KEEP !== '1') rmSync(work, {recursive: true, force: true})
  })

  it('goes direct when a NO_PROXY entry matches, naming the entry', async () => {
    const r = await run(['https://mirror.internal:5000/v2/'], {HTTPS_PROXY: PROXY, NO_PROXY: 'localhost,.internal'})
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('https://mirror.internal:5000/v2/ → direct (NO_PROXY entry ".internal" from the environment)')
    expect(lines.length).toBeLessThanOrEqual(3)
    expect(r.stderr).toBe('')
  })

  it('goes through HTTPS_PROXY for an https:// URL, with the default port filled in', async () => {
    const r = await run(['https://mirror.example.com/v2/'], {HTTPS_PROXY: 'proxy.corp', NO_PROXY: 'localhost'})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.split('\n')[0]).toBe('https://mirror.example.com/v2/ → via http://proxy.corp:80 (HTTPS_PROXY from the environment)')
  })

  it('uses HTTP_PROXY only for http:// URLs, and never for https://', async () => {
    const plain = await run(['http://mirror.example.com:5000/v2/'], {HTTPS_PROXY: PROXY})
    expect(plain.stdout.split('\n')[0]).toBe('http://mirror.example.com:5000/v2/ → direct (no HTTP_PROXY or http_proxy set)')
    const viaHttp = await run(['http://mirror.example.com:5000/v2/'], {HTTPS_PROXY: 'http://wrong:1', HTTP_PROXY: PROXY})
    expect(viaHttp.stdout.split('\n')[0]).toBe(`http://mirror.example.com:5000/v2/ → via ${PROXY} (HTTP_PROXY from the environment)`)
    const tls = await run(['https://mirror.example.com/v2/', '--json'], {HTTP_PROXY: PROXY})
    expect(JSON.parse(tls.stdout)).toMatchObject({proxy: null, decidedBy: 'HTTPS_PROXY'})
    expect(JSON.parse(tls.stdout).reason).toMatch(/never uses the HTTP proxy for https:\/\//)
  })

  it('never proxies localhost or loopback addresses, whatever NO_PROXY says', async () => {
    for (const url of ['https://127.0.0.1:5000/v2/', 'http://localhost:5000/v2/', 'https://[::1]:5000/v2/', '127.0.0.2:5000']) {
      const r = await run([url, '--json'], {HTTPS_PROXY: PROXY, HTTP_PROXY: PROXY, NO_PROXY: 'example.com'})
      expect(r.code, r.stderr).toBe(0)
      const out = JSON.parse(r.stdout)
      expect(out.proxy, url).toBeNull()
      expect(['localhost', 'loopback']).toContain(out.decidedBy)
    }
  })

  it('prints exactly url, proxy, decidedBy and reason as JSON', async () => {
    const r = await run(['mirror.example.com:5000', '--json'], {HTTPS_PROXY: PROXY, NO_PROXY: 'localhost'})
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(Object.keys(out)).toEqual(['url', 'proxy', 'decidedBy', 'reason'])
    expect(out).toEqual({
      url: 'https://mirror.example.com:5000',
      proxy: 'http://proxy.corp:3128',
      decidedBy: 'HTTPS_PROXY',
      reason: 'HTTPS_PROXY is set and no NO_PROXY entry matches mirror.example.com:5000, so Go sends the request through http://proxy.corp:3128',
    })
    const direct = JSON.parse((await run(['https://a.mirror.example.com', '--json'], {HTTPS_PROXY: PROXY, no_proxy: 'mirror.example.com'})).stdout)
    expect(direct).toEqual({
      url: 'https://a.mirror.example.com',
      proxy: null,
      decidedBy: 'mirror.example.com',
      reason: 'no_proxy entry "mirror.example.com" matches a.mirror.example.com:443, so Go connects directly',
    })
  })

  it('never prints a proxy password', async () => {
    const env = {HTTPS_PROXY: 'http://alice:s3cr%40t-pw@proxy.corp:3128', HTTP_PROXY: 'http://bob:an0ther-pw@proxy.corp'}
    for (const args of [['https://mirror.example.com'], ['https://mirror.example.com', '--json'], ['http://mirror.example.com'], ['https://u:target-pw@mirror.example.com', '--json']]) {
      const r = await run(args, env)
      expect(r.code, r.stderr).toBe(0)
      for (const secret of ['s3cr', 'an0ther-pw', 'target-pw']) expect(r.stdout + r.stderr).not.toContain(secret)
    }
    const json = JSON.parse((await run(['https://mirror.example.com', '--json'], env)).stdout)
    expect(json.proxy).toBe('http://alice:***@proxy.corp:3128')
    const broken = await run(['https://mirror.example.com'], {HTTPS_PROXY: 'http://alice:pw with space@proxy corp:3128'})
    expect(broken.stdout + broken.stderr).not.toContain('with space')
  })

  it('--engine docker reads the drop-in under --root, not the shell environment', async () => {
    const root = rootWith('docker-drop-in', {
      [DROP_IN]: `[Service]\nEnvironment="HTTPS_PROXY=${PROXY}"\nEnvironment="NO_PROXY=localhost,.internal"\n`,
    })
    const env = {HTTPS_PROXY: 'http://shell-proxy:1', NO_PROXY: 'mirror.example.com'}
    const via = await run(['https://mirror.example.com:5000/v2/', '--engine', 'docker', '--root', root], env)
    expect(via.code, via.stderr).toBe(0)
    expect(via.stdout.split('\n')[0]).toBe(`https://mirror.example.com:5000/v2/ → via ${PROXY} (HTTPS_PROXY from ${DROP_IN}:2)`)
    const direct = await run(['https://m.internal/v2/', '--engine', 'docker', '--root', root, '--json'], env)
    expect(JSON.parse(direct.stdout)).toMatchObject({proxy: null, decidedBy: '.internal'})
    expect(JSON.parse(direct.stdout).reason).toContain(`${DROP_IN}:3`)
  })

  it('--engine docker: daemon.json proxies win, --daemon-json picks the file, --env overrides on top', async () => {
    const root = rootWith('docker-daemon-json', {
      [DROP_IN]: `[Service]\nEnvironment="HTTPS_PROXY=${PROXY}"\n`,
      '/etc/docker/daemon.json': '{"proxies": {"https-proxy": "http://json-proxy:8080"}}\n',
      '/srv/other.json': '{"proxies": {"no-proxy": "example.com"}}\n',
    })
    const json = await run(['https://mirror.example.com', '--engine', 'docker', '--root', root, '--json'])
    expect(JSON.parse(json.stdout)).toMatchObject({proxy: 'http://json-proxy:8080', decidedBy: 'proxies.https-proxy'})
    const other = await run(['https://mirror.example.com', '--engine', 'docker', '--root', root, '--daemon-json', '/srv/other.json', '--json'])
    expect(JSON.parse(other.stdout)).toMatchObject({proxy: null, decidedBy: 'example.com'})
    const overridden = await run(['https://mirror.example.com', '--engine', 'docker', '--root', root, '--env', 'NO_PROXY=.example.com', '--env', 'HTTPS_PROXY=http://x:1'])
    expect(overridden.stdout.split('\n')[0]).toBe('https://mirror.example.com → direct (NO_PROXY entry ".example.com" from --env)')
  })

  it('--engine podman: the environment plus containers.conf [engine] env', async () => {
    const root = rootWith('podman', {'/etc/containers/containers.conf': '[engine]\nenv = ["HTTPS_PROXY=http://conf-proxy:3128", "NO_PROXY=localhost"]\n'})
    const r = await run(['https://quay.io/v2/', '--engine', 'podman', '--root', root])
    expect(r.stdout.split('\n')[0]).toBe('https://quay.io/v2/ → via http://conf-proxy:3128 (HTTPS_PROXY from /etc/containers/containers.conf [engine] env)')
    const shell = await run(['https://quay.io/v2/', '--engine', 'podman', '--root', root, '--json'], {HTTPS_PROXY: PROXY})
    expect(JSON.parse(shell.stdout)).toMatchObject({proxy: PROXY, decidedBy: 'HTTPS_PROXY'})
  })

  it('--engine containerd reads containerd.service; --engine k3s the install script files, CONTAINERD_ names first', async () => {
    const root = rootWith('containerd', {
      '/lib/systemd/system/containerd.service': '[Service]\nExecStart=/usr/bin/containerd\n',
      '/etc/systemd/system/containerd.service.d/http-proxy.conf': `[Service]\nEnvironment="HTTPS_PROXY=${PROXY}" "NO_PROXY=.internal"\n`,
      '/etc/systemd/system/k3s.service': '[Service]\nEnvironmentFile=-/etc/default/%N\nEnvironmentFile=-/etc/systemd/system/k3s.service.env\nExecStart=/usr/local/bin/k3s server\n',
      '/etc/default/k3s': 'HTTPS_PROXY=http://k3s-only:1\n',
      '/etc/systemd/system/k3s.service.env': 'CONTAINERD_HTTPS_PROXY=http://for-containerd:3128\n',
    })
    const c = await run(['https://mirror.example.com:5000/v2/', '--engine', 'containerd', '--root', root], {HTTPS_PROXY: 'http://shell:1'})
    expect(c.code, c.stderr).toBe(0)
    expect(c.stdout.split('\n')[0]).toBe(`https://mirror.example.com:5000/v2/ → via ${PROXY} (HTTPS_PROXY from /etc/systemd/system/containerd.service.d/http-proxy.conf:2)`)
    const direct = await run(['https://m.internal/v2/', '--engine', 'containerd', '--root', root, '--json'])
    expect(JSON.parse(direct.stdout)).toMatchObject({proxy: null, decidedBy: '.internal'})
    const k3s = await run(['https://registry-1.docker.io/v2/', '--engine', 'k3s', '--root', root, '--json'])
    expect(JSON.parse(k3s.stdout)).toMatchObject({proxy: 'http://for-containerd:3128', decidedBy: 'CONTAINERD_HTTPS_PROXY'})
  })

  it('--env NAME= sets a variable empty, so Go falls through to the lower-case one', async () => {
    const r = await run(['https://mirror.example.com', '--json', '--env', 'HTTPS_PROXY=', '--env', `https_proxy=${PROXY}`], {HTTPS_PROXY: 'http://upper:1'})
    expect(JSON.parse(r.stdout)).toMatchObject({proxy: PROXY, decidedBy: 'https_proxy'})
  })

  it('reports a proxy value that cannot work, and still exits 0', async () => {
    const spaced = await run(['https://mirror.example.com'], {HTTPS_PROXY: 'http://proxy corp:3128'})
    expect(spaced.code, spaced.stderr).toBe(0)
    const lines = spaced.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[2]).toMatch(/^ {2}problem: .*invalid character " " in host name/)
    const scheme = await run(['https://mirror.example.com', '--json'], {HTTPS_PROXY: 'htp://proxy.corp:3128'})
    expect(scheme.code).toBe(0)
    const out = JSON.parse(scheme.stdout)
    expect(Object.keys(out)).toEqual(['url', 'proxy', 'decidedBy', 'reason'])
    expect(out.reason).toMatch(/\(problem: Go keeps the proxy scheme "htp"/)
    const noHost = await run(['https://mirror.example.com', '--json'], {HTTPS_PROXY: 'http://:3128'})
    expect(JSON.parse(noHost.stdout).reason).toMatch(/problem: the proxy URL has no host name/)
  })

  it('a bad --env, a bad URL or a misplaced flag is a usage error (exit 2) with a clear message', async () => {
    for (const bad of ['NOEQUALS', '=value', '1X=y', 'http://u:pw@proxy:1']) {
      const r = await run(['https://mirror.example.com', '--env', bad])
      expect(r.code, bad).toBe(2)
      expect(r.stderr).toMatch(/^mirrorctl: error: --env expects NAME=VALUE/)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      expect(r.stdout + r.stderr).not.toContain(':pw@')
    }
    const url = await run(['https://exa mple.com/v2/'])
    expect(url.code).toBe(2)
    expect(url.stderr).toMatch(/not a URL Go can parse/)
    const json = await run(['https://', '--json'])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout).error.message).toMatch(/has no host name/)
    expect((await run(['https://x.example.com', '--root', work])).code).toBe(2)
    expect((await run(['https://x.example.com', '--engine', 'podman', '--daemon-json', '/x.json'])).code).toBe(2)
    expect((await run(['https://x.example.com', '--engine', 'rkt'])).code).toBe(2)
  })
})
