// A real dockerd (Debian's docker.io) for the e2e suite, run as root with its own data-root,
// exec-root, pidfile, socket and --config-file, never running a container: only `docker info`
// and `docker pull`. No iptables, no bridge, the vfs storage driver (no kernel features), and
// a private containerd (containerd.ts) in namespaces of its own: left alone, dockerd would use
// the machine's /run/containerd/containerd.sock whenever one exists.
//
// It runs inside the isolation of isolated.ts: /etc/resolv.conf -> 127.0.0.1, and its own
// /etc/hosts in which every Docker Hub name dockerd falls back to resolves to 127.0.0.1, with
// no proxy in its environment. A pull whose mirror fails therefore ends on loopback
// (connection refused on 127.0.0.1:443) instead of leaving the machine.
import {existsSync, mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {startContainerd} from './containerd.js'
import {isolate} from './isolated.js'
import {assertLoopback} from './ports.js'
import {logTail, startDaemon, waitFor, type Daemon} from './proc.js'
import {requireRoot, requireTools} from './require-tools.js'

/** The names dockerd reaches for Docker Hub (registry, index, token, blob CDN). */
export const DOCKER_HUB_NAMES = ['registry-1.docker.io', 'index.docker.io', 'auth.docker.io', 'production.cloudflare.docker.com'] as const

export interface DockerdOptions {
  /** data-root and exec-root go below it. */
  dir: string
  /** dockerd's --config-file (daemon.json); must exist. */
  configFile: string
  /** unix socket path (-H unix://...). */
  socket: string
  pidFile: string
  /** dockerd's stdout and stderr (its own log) are appended here. */
  logFile: string
}

export interface Dockerd {
  readonly socket: string
  readonly logFile: string
  /** dockerd's pid, as written to its pidfile. */
  readonly pid: number
  readLog(): string
  /** How many reloads (SIGHUP) dockerd has completed so far. */
  reloads(): number
  /** Runs the docker CLI against this daemon; never throws on exit codes. */
  docker(args: readonly string[]): Promise<{exitCode: number; stdout: string; stderr: string}>
  isRunning(): boolean
  stop(): Promise<void>
}

/** registry-mirrors and insecure-registries given to dockerd up front must be loopback. */
function checkConfig(configFile: string): void {
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>
  for (const key of ['registry-mirrors', 'insecure-registries']) {
    for (const v of (config[key] as string[] | undefined) ?? []) {
      const host = new URL(v.includes('://') ? v : `http://${v}`).hostname.replace(/^\[|\]$/g, '')
      assertLoopback(host)
    }
  }
}

export async function startDockerd(opts: DockerdOptions): Promise<Dockerd> {
  requireRoot('dockerd runs as root')
  const tools = requireTools(['dockerd', 'docker', 'containerd', 'unshare', 'setpriv', 'mount'])
  if (!existsSync(opts.configFile)) throw new Error(`dockerd: no config file ${opts.configFile}`)
  checkConfig(opts.configFile)
  const dataRoot = join(opts.dir, 'data')
  const execRoot = join(opts.dir, 'exec')
  mkdirSync(dataRoot, {recursive: true})
  mkdirSync(execRoot, {recursive: true})
  const containerd = await startContainerd(join(opts.dir, 'containerd'))
  const hosts = Object.fromEntries(DOCKER_HUB_NAMES.map((n) => [n, '127.0.0.1']))
  const args = [
    tools['dockerd']!,
    '--data-root', dataRoot,
    '--exec-root', execRoot,
    '--pidfile', opts.pidFile,
    '-H', `unix://${opts.socket}`,
    '--config-file', opts.configFile,
    '--iptables=false',
    '--ip6tables=false',
    '--bridge=none',
    '--storage-driver=vfs',
    '--containerd', containerd.socket,
    '--containerd-namespace', 'mirrorctl-e2e-dockerd',
    '--containerd-plugins-namespace', 'mirrorctl-e2e-dockerd-plugins',
  ]
  // Empty proxy variables on top of the clean environment: Go's httpproxy treats them as unset.
  const cmd = isolate(args, {hosts, env: {HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '', http_proxy: '', https_proxy: '', no_proxy: ''}})
  let daemon: Daemon
  try {
    daemon = startDaemon({name: 'dockerd', file: cmd.file, args: cmd.args, env: cmd.env, logFile: opts.logFile})
  } catch (err) {
    cmd.cleanup()
    await containerd.stop()
    throw err
  }
  const docker = async (argv: readonly string[]) => {
    const r = await execa(tools['docker']!, ['-H', `unix://${opts.socket}`, ...argv], {reject: false, timeout: 60_000, env: {HOME: opts.dir, PATH: process.env.PATH ?? '/usr/bin:/bin'}, extendEnv: false})
    return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
  }
  let pid: number
  try {
    pid = await waitFor(
      async () => {
        if (!existsSync(opts.socket) || !existsSync(opts.pidFile)) return undefined
        if ((await docker(['version', '--format', '{{.Server.Version}}'])).exitCode !== 0) return undefined
        return Number(readFileSync(opts.pidFile, 'utf8').trim())
      },
      {what: `dockerd on ${opts.socket}\n${logTail(opts.logFile)}`, timeoutMs: 60_000, daemon},
    )
  } catch (err) {
    await daemon.stop()
    cmd.cleanup()
    await containerd.stop()
    throw err
  }
  const readLog = () => {
    try {
      return readFileSync(opts.logFile, 'utf8')
    } catch {
      return ''
    }
  }
  return {
    socket: opts.socket,
    logFile: opts.logFile,
    pid,
    readLog,
    // moby logs "Got signal to reload configuration" when a SIGHUP arrives and "Reloaded configuration" once it is applied.
    reloads: () => readLog().split('\n').filter((l) => l.includes('msg="Reloaded configuration')).length,
    docker,
    isRunning: () => daemon.isRunning(),
    async stop() {
      await daemon.stop(15_000)
      cmd.cleanup()
      await containerd.stop()
    },
  }
}
