// A real Distribution registry (Debian's docker-registry 2.8) on loopback, either a
// plain registry or a pull-through cache (proxy mode). It runs inside the isolation
// of isolated.ts so that even a misconfigured remoteurl cannot resolve a name off
// this machine.
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {randomBytes} from 'node:crypto'
import {httpGet} from './http-probe.js'
import {isolate} from './isolated.js'
import {assertLoopback, freePort, hostPort} from './ports.js'
import {logTail, startDaemon, waitFor, type Daemon} from './proc.js'
import {requireTool} from './require-tools.js'
import {keepArtifacts, makeTempDir, removeTempDir} from './temp.js'

export interface RegistryOptions {
  /** Label for temp dirs and messages. */
  name?: string
  /** Loopback address to listen on (default 127.0.0.1). */
  listen?: string
  /** Pull-through cache of this upstream (proxy.remoteurl); must be a loopback URL. */
  proxyRemoteUrl?: string
  /** Serve HTTPS with these PEM files. */
  tls?: {certFile: string; keyFile: string}
  /** /etc/hosts entries for the registry process (e.g. an upstream by name). */
  hosts?: Record<string, string>
}

export interface Registry {
  /** "http://127.0.0.1:40123" (https when tls is set). */
  url: string
  /** "127.0.0.1:40123", as written in registries.conf. */
  host: string
  port: number
  dir: string
  storageDir: string
  logFile: string
  readLog(): string
  stop(): Promise<void>
}

export interface AccessLogEntry {
  method: string
  path: string
  status: number
  /** e.g. "skopeo/1.9.3"; a proxy registry's own upstream requests say "Go-http-client/1.1". */
  userAgent: string
}

interface ConfigInput {
  addr: string
  storageDir: string
  proxy?: string
  tls?: {certFile: string; keyFile: string}
}

function configYaml(o: ConfigInput): string {
  // JSON strings are valid YAML double-quoted scalars, so every value is quoted safely.
  const q = (s: string) => JSON.stringify(s)
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(o.storageDir)}`,
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${q(o.addr)}`,
    `  secret: ${q(randomBytes(16).toString('hex'))}`,
  ]
  if (o.tls) lines.push('  tls:', `    certificate: ${q(o.tls.certFile)}`, `    key: ${q(o.tls.keyFile)}`)
  if (o.proxy) lines.push('proxy:', `  remoteurl: ${q(o.proxy)}`)
  return lines.join('\n') + '\n'
}

function checkRemoteUrl(url: string): void {
  const u = new URL(url)
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`proxyRemoteUrl must be http(s): ${url}`)
  const h = u.hostname.replace(/^\[|\]$/g, '')
  // Only loopback IPs, or a name the caller maps to loopback via `hosts`.
  if (/^[\d.]+$/.test(h) || h.includes(':')) assertLoopback(h)
}

/** Starts a registry on a free loopback port and waits until GET /v2/ answers. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const bin = requireTool('docker-registry')
  const listen = opts.listen ?? '127.0.0.1'
  assertLoopback(listen)
  if (opts.proxyRemoteUrl) checkRemoteUrl(opts.proxyRemoteUrl)
  for (const ip of Object.values(opts.hosts ?? {})) assertLoopback(ip)

  const dir = makeTempDir(`registry-${opts.name ?? 'r'}`)
  const storageDir = join(dir, 'storage')
  mkdirSync(storageDir)
  const logFile = join(dir, 'registry.log')
  const configFile = join(dir, 'config.yml')
  const scheme = opts.tls ? 'https' : 'http'

  // The port can be taken between freePort() and the bind: retry a few times.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(listen)
    const host = hostPort(listen, port)
    writeFileSync(
      configFile,
      configYaml({
        addr: host,
        storageDir,
        ...(opts.proxyRemoteUrl ? {proxy: opts.proxyRemoteUrl} : {}),
        ...(opts.tls ? {tls: opts.tls} : {}),
      }),
    )
    const cmd = isolate([bin, 'serve', configFile], {...(opts.hosts ? {hosts: opts.hosts} : {}), home: dir})
    let daemon: Daemon
    try {
      const name = `docker-registry ${opts.name ?? ''}`.trim()
      daemon = startDaemon({name, file: cmd.file, args: cmd.args, env: cmd.env, logFile})
    } catch (err) {
      cmd.cleanup()
      throw err
    }
    const url = `${scheme}://${host}`
    try {
      await waitFor(async () => (await httpGet(`${url}/v2/`, {timeoutMs: 1_000})).status === 200, {
        what: `registry ${url}/v2/`,
        daemon,
        timeoutMs: 20_000,
      })
    } catch (err) {
      await daemon.stop()
      cmd.cleanup()
      if (attempt < 3 && /address already in use/.test(logTail(logFile))) continue
      throw err
    }
    return {
      url,
      host,
      port,
      dir,
      storageDir,
      logFile,
      readLog: () => readFileSync(logFile, 'utf8'),
      async stop() {
        await daemon.stop()
        cmd.cleanup()
        if (!keepArtifacts()) removeTempDir(dir)
      },
    }
  }
}

/** Requests from the registry's access log (Apache combined format lines). */
export function accessLog(reg: Pick<Registry, 'readLog'>): AccessLogEntry[] {
  const out: AccessLogEntry[] = []
  const re = /"([A-Z]+) (\/\S*) HTTP\/[\d.]+" (\d{3}) \S+ "[^"]*" "([^"]*)"/
  for (const line of reg.readLog().split('\n')) {
    const m = re.exec(line)
    if (m) out.push({method: m[1]!, path: m[2]!, status: Number(m[3]), userAgent: m[4]!})
  }
  return out
}

/** True when the registry's storage holds repository `repo` (e.g. "library/tiny"). */
export function hasRepository(reg: Pick<Registry, 'storageDir'>, repo: string): boolean {
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(repo)) {
    throw new Error(`not a repository name: ${JSON.stringify(repo)}`)
  }
  return existsSync(join(reg.storageDir, 'docker', 'registry', 'v2', 'repositories', ...repo.split('/')))
}

/** True when the registry stored a blob with this digest ("sha256:<hex>"). */
export function hasBlob(reg: Pick<Registry, 'storageDir'>, digest: string): boolean {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest)
  if (!m) throw new Error(`not a sha256 digest: ${digest}`)
  const hex = m[1]!
  return existsSync(join(reg.storageDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data'))
}

export interface ServedEvidence {
  /** Successful manifest GET/HEAD requests for `repo` in the access log. */
  manifestRequests: AccessLogEntry[]
  /** Successful blob GET requests for `repo`. */
  blobRequests: AccessLogEntry[]
  /** The repository exists in storage (a pull-through cache stores what it served). */
  cached: boolean
}

/**
 * What the registry did for `repo`. A proxy registry writes its cache asynchronously
 * after answering, so this waits (up to `timeoutMs`) for the repository to appear in
 * storage once the log shows a served manifest.
 */
export async function servedEvidence(reg: Registry, repo: string, timeoutMs = 5_000): Promise<ServedEvidence> {
  const collect = (): ServedEvidence => {
    const ok = accessLog(reg).filter((e) => e.status >= 200 && e.status < 300)
    const prefix = `/v2/${repo}/`
    return {
      manifestRequests: ok.filter((e) => e.path.startsWith(`${prefix}manifests/`)),
      blobRequests: ok.filter((e) => e.method === 'GET' && e.path.startsWith(`${prefix}blobs/`)),
      cached: hasRepository(reg, repo),
    }
  }
  const first = collect()
  if (first.cached || first.manifestRequests.length === 0) return first
  try {
    return await waitFor(() => {
      const e = collect()
      return e.cached ? e : undefined
    }, {what: `${repo} in ${reg.storageDir}`, timeoutMs})
  } catch {
    return collect()
  }
}
