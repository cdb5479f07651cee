// A real forward HTTP proxy (Debian's tinyproxy) on loopback, so tests can prove a
// request did (or did not) go through the proxy by reading its log. It runs inside
// the isolation of isolated.ts: names it is asked to reach resolve only through the
// test's /etc/hosts, never through a real DNS server.
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {isolate} from './isolated.js'
import {assertLoopback, freePort, hostPort} from './ports.js'
import {logTail, startDaemon, waitFor, type Daemon} from './proc.js'
import {requireTool} from './require-tools.js'
import {keepArtifacts, makeTempDir, removeTempDir} from './temp.js'

export interface HttpProxyOptions {
  /** Loopback address to listen on (default 127.0.0.1). */
  listen?: string
  /** /etc/hosts entries seen by the proxy (name -> loopback IP). */
  hosts?: Record<string, string>
  /**
   * Ports CONNECT may reach. Default: any port. (tinyproxy allows every port only when
   * the config has no ConnectPort line; Debian's stock config limits it to 443 and 563.)
   */
  connectPorts?: number[]
}

export interface ProxiedRequest {
  method: string
  /** "http://127.0.0.1:5000/v2/" for plain requests, "127.0.0.1:5000" for CONNECT. */
  target: string
}

export interface HttpProxy {
  /** "http://127.0.0.1:40123", as HTTP(S)_PROXY wants it. */
  url: string
  host: string
  port: number
  dir: string
  logFile: string
  readLog(): string
  /** Requests the proxy received, parsed from its log. */
  requests(): ProxiedRequest[]
  stop(): Promise<void>
}

function configText(o: {listen: string; port: number; logFile: string; connectPorts?: number[]}): string {
  const lines = [
    `Port ${o.port}`,
    `Listen ${o.listen}`,
    'Timeout 60',
    // tinyproxy takes the path verbatim between quotes; temp paths never contain quotes.
    `LogFile "${o.logFile}"`,
    // Info includes the Connect level lines ("Request (file descriptor N): ...").
    'LogLevel Info',
    'MaxClients 20',
    'Allow 127.0.0.1',
    'Allow ::1',
    'DisableViaHeader Yes',
  ]
  for (const p of o.connectPorts ?? []) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`bad ConnectPort ${p}`)
    lines.push(`ConnectPort ${p}`)
  }
  return lines.join('\n') + '\n'
}

/** Starts tinyproxy in the foreground on a free loopback port; resolves once it accepts connections. */
export async function startHttpProxy(opts: HttpProxyOptions = {}): Promise<HttpProxy> {
  const bin = requireTool('tinyproxy')
  const listen = opts.listen ?? '127.0.0.1'
  assertLoopback(listen)
  const dir = makeTempDir('tinyproxy')
  const logFile = join(dir, 'tinyproxy.log')
  const stdoutFile = join(dir, 'stdout.log')
  const confFile = join(dir, 'tinyproxy.conf')
  if (/["\n]/.test(logFile)) throw new Error(`unusable log path ${logFile}`)

  for (let attempt = 1; ; attempt++) {
    const port = await freePort(listen)
    writeFileSync(confFile, configText({listen, port, logFile, ...(opts.connectPorts ? {connectPorts: opts.connectPorts} : {})}))
    writeFileSync(logFile, '')
    const cmd = isolate([bin, '-d', '-c', confFile], {...(opts.hosts ? {hosts: opts.hosts} : {}), home: dir})
    let daemon: Daemon
    try {
      daemon = startDaemon({name: 'tinyproxy', file: cmd.file, args: cmd.args, env: cmd.env, logFile: stdoutFile})
    } catch (err) {
      cmd.cleanup()
      throw err
    }
    try {
      await waitFor(() => /Accepting connections/.test(readFileSync(logFile, 'utf8')), {
        what: `tinyproxy on ${hostPort(listen, port)}`,
        daemon,
        timeoutMs: 10_000,
      })
    } catch (err) {
      await daemon.stop()
      cmd.cleanup()
      const logs = logTail(logFile) + logTail(stdoutFile)
      if (attempt < 3 && /Address already in use|Could not create listening/i.test(logs)) continue
      throw err
    }
    const readLog = () => readFileSync(logFile, 'utf8')
    return {
      url: `http://${hostPort(listen, port)}`,
      host: hostPort(listen, port),
      port,
      dir,
      logFile,
      readLog,
      requests: () => parseRequests(readLog()),
      async stop() {
        await daemon.stop()
        cmd.cleanup()
        if (!keepArtifacts()) removeTempDir(dir)
      },
    }
  }
}

/** Parses tinyproxy's "Request (file descriptor N): METHOD target HTTP/x" log lines. */
export function parseRequests(log: string): ProxiedRequest[] {
  const out: ProxiedRequest[] = []
  const re = /Request \(file descriptor \d+\): ([A-Z]+) (\S+) HTTP\/[\d.]+/
  for (const line of log.split('\n')) {
    const m = re.exec(line)
    if (m) out.push({method: m[1]!, target: m[2]!})
  }
  return out
}
