import {Flags, type Interfaces} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {engineFlag, networkFlags, parseEnvFlags, parseTimeout, readCaFile} from '../cli/network-flags.js'
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {engineProxyConfig, processProxyConfig, systemRoots, type EngineName} from '../engines/engine-network.js'
import {probeTargetFlags} from '../fleet/flags.js'
import {hostRateLimitJson, planHostRateLimit, renderHostRateLimits} from '../fleet/host-ratelimit.js'
import {localOnly, probeHosts, wantsHosts} from '../fleet/probe-hosts.js'
import {LocalHost} from '../hosts/local-host.js'
import {decideProxy, type ProxyConfig} from '../net/proxy.js'
import {routeFromDecision} from '../net/probe-explain.js'
import {DEFAULT_AUTH_URL, DEFAULT_REGISTRY, formatWindow, queryRateLimit, type RateLimitResult} from '../net/ratelimit.js'
import {styles} from '../core/color.js'

export default class Ratelimit extends BaseCommand {
  static override summary = "Show how many Docker Hub pulls this host (or account) has left."
  static override description = [
    'Asks Docker Hub the documented way: a pull token for ratelimitpreview/test, then a HEAD of its manifest (a HEAD is not counted as a pull), and reads the ratelimit-limit, ratelimit-remaining and docker-ratelimit-source headers. Anonymous pulls are counted per IP address, so run it on the host that pulls, through the same proxy: by default the proxy variables of this environment decide the route; --engine docker|podman uses that engine\'s proxy settings instead.',
    'With --username and --password-stdin the token is requested for that account (a password or personal access token, read from stdin). Neither the password nor the token is ever printed.',
    'With --hosts or --inventory each host asks for itself (its own address is what Docker Hub counts), with its own curl (else wget) and its route decided by Go\'s rules: the login environment\'s proxy variables, or with --engine that engine\'s. The account limit (--username) is the same from every host, so it is asked from this machine only.',
    'Exit status: 0 when pulls are left or not limited, 1 when none are left, on 429 Too Many Requests, or when Docker Hub cannot be asked; 2 for usage errors.',
  ].join('\n\n')
  static override flags = {
    'auth-url': Flags.string({description: 'token service', default: DEFAULT_AUTH_URL, helpValue: 'URL'}),
    registry: Flags.string({description: 'registry to send the manifest HEAD to', default: DEFAULT_REGISTRY, helpValue: 'URL'}),
    username: Flags.string({description: 'Docker Hub user to check the account limit for (needs --password-stdin)', helpValue: 'NAME'}),
    'password-stdin': Flags.boolean({description: 'read the password or access token from stdin'}),
    engine: engineFlag,
    root: Flags.string({description: 'read the engine\'s files under DIR (with --engine)', helpValue: 'DIR'}),
    ...networkFlags,
    ...probeTargetFlags,
  }
  static override examples = [
    '<%= config.bin %> ratelimit',
    'echo "$HUB_TOKEN" | <%= config.bin %> ratelimit --username myuser --password-stdin --json',
    '<%= config.bin %> ratelimit --engine docker',
    '<%= config.bin %> ratelimit --inventory hosts.ini --json',
  ]

  async run(): Promise<void> {
    const {flags} = await this.parse(Ratelimit)
    const timeoutMs = parseTimeout(flags.timeout)
    const overrides = parseEnvFlags(flags.env)
    if (flags['password-stdin'] && !flags.username) throw new UserError('--password-stdin needs --username', {exitCode: ExitCode.Usage})
    if (flags.username && !flags['password-stdin']) {
      throw new UserError('--username needs the password on stdin', {exitCode: ExitCode.Usage, hint: 'echo "$TOKEN" | mirrorctl ratelimit --username NAME --password-stdin (passwords are never taken as flags)'})
    }
    if (wantsHosts(flags)) return this.onHosts(flags, timeoutMs, overrides)
    const password = flags['password-stdin'] ? await readPassword() : undefined

    const host = new LocalHost(flags.root)
    let config: ProxyConfig
    if (flags.engine) {
      const loaded = await engineProxyConfig(host, flags.engine as EngineName, overrides)
      for (const n of loaded.notes) this.note(`mirrorctl: warning: ${n}`)
      config = loaded.config
    } else {
      config = processProxyConfig(process.env, overrides)
    }
    const extraCa = flags['ca-file'] ? await readCaFile(flags['ca-file']) : null
    const roots = await systemRoots(host)

    const result = await queryRateLimit({
      authUrl: flags['auth-url'],
      registry: flags.registry,
      credentials: flags.username && password !== undefined ? {username: flags.username, password} : undefined,
      proxyFor: (url) => {
        const d = decideProxy(url, config)
        return d.proxy !== null ? d.proxyUrl : null
      },
      ca: [...roots.pems, ...(extraCa ? [extraCa] : [])],
      timeoutMs,
    })

    const failed = result.status === 429 || result.remaining === 0
    if (flags.json) {
      this.printJson({
        limit: result.limit,
        remaining: result.remaining,
        windowSeconds: result.windowSeconds,
        source: result.source,
        limited: result.limited,
        status: result.status,
        retryAfterSeconds: result.retryAfterSeconds,
      })
    } else {
      let registryUrl: URL | null = null
      try {
        registryUrl = new URL(flags.registry)
      } catch {
        registryUrl = null
      }
      const route = registryUrl ? routeFromDecision(decideProxy(registryUrl, config)).summary : ''
      this.print(render(result, flags.username ?? null, route, styles(this.color)))
    }
    this.setExit(failed ? ExitCode.Findings : ExitCode.Ok)
  }

  private async onHosts(flags: Interfaces.InferredFlags<typeof Ratelimit.flags>, timeoutMs: number, overrides: Record<string, string>): Promise<void> {
    if (flags.username) throw localOnly('username', 'an account has one limit whichever host asks')
    if (flags['ca-file']) throw localOnly('ca-file', 'the file is on this machine; each host trusts its own CAs')
    let authUrl: URL
    let registry: URL
    try {
      authUrl = new URL(flags['auth-url'])
      registry = new URL(flags.registry)
    } catch {
      throw new UserError('--auth-url and --registry must be absolute http(s) URLs', {exitCode: ExitCode.Usage})
    }
    const options = {authUrl, registry, engine: (flags.engine ?? null) as EngineName | null, overrides, timeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000))}
    const results = await probeHosts(flags, (host) => planHostRateLimit(host, options), (w) => this.note(w))
    if (flags.json) this.printJson(hostRateLimitJson(results))
    else this.print(renderHostRateLimits(results, styles(this.color)))
    this.setExit(results.every((r) => r.ok) ? ExitCode.Ok : ExitCode.Findings)
  }
}

/** The password as docker login --password-stdin takes it: stdin without the final newline. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) throw new UserError('--password-stdin reads from a pipe, not a terminal', {exitCode: ExitCode.Usage, hint: 'echo "$TOKEN" | mirrorctl ratelimit --username NAME --password-stdin'})
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  if (password === '') throw new UserError('--password-stdin: stdin is empty', {exitCode: ExitCode.Usage})
  return password
}

function render(r: RateLimitResult, username: string | null, route: string, s: ReturnType<typeof styles>): string {
  const who = r.source ? ` (counted for ${r.source})` : username ? ` (account ${username})` : ''
  const window = r.windowSeconds !== null ? ` in the ${formatWindow(r.windowSeconds)} window` : ''
  const lines: string[] = []
  if (r.status === 429) {
    const retry = r.retryAfterSeconds !== null ? ` Retry after ${r.retryAfterSeconds} s.` : ' No Retry-After given.'
    const pull = r.remaining === 0 ? ` The pull limit is used up (0 of ${r.limit ?? '?'}${window}).` : ''
    lines.push(s.red(`Docker Hub answered 429 Too Many Requests: HEAD requests do not count as pulls, so this is the abuse rate limit for ${r.source ?? (username ? `account ${username}` : 'this source')}.${pull}${retry}`))
  } else if (!r.limited) {
    lines.push(s.green('not limited: Docker Hub sent no ratelimit headers (a paid account, or a source Docker Hub exempts)'))
  } else {
    const text = `${r.remaining ?? '?'} of ${r.limit ?? '?'} pulls left${window}${who}`
    lines.push(r.remaining === 0 ? s.red(`${text}: pulls fail until the window moves on`) : r.remaining !== null && r.limit && r.remaining < r.limit / 10 ? s.yellow(text) : text)
  }
  if (route) lines.push(s.dim(`route: ${route}`))
  return lines.join('\n')
}
