import path from 'node:path'
import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {locationFlags} from '../../cli/flags.js'
import {UserError} from '../../core/errors.js'
import {loadEngineProxyConfig, type ReadableProxyEngine} from '../../engines/engine-proxy.js'
import {LocalHost} from '../../hosts/local-host.js'
import {goHostname, parseGoUrl} from '../../core/go-url.js'
import {configFromSourcedEnv, decideProxy, labelEnv, maskUrlCredentials, PROXY_VARIABLES, type ProxyConfig, type ProxyDecision, type Setting} from '../../net/proxy.js'
import {networkFlags, parseEnvFlags} from '../../cli/network-flags.js'

/** What the JSON output holds, in this key order and nothing else. */
interface ExplainJson {
  url: string
  proxy: string | null
  decidedBy: string
  reason: string
}

/** A setting's origin split out of its source label. */
interface Origin {
  /** The variable or option: HTTPS_PROXY, proxies.https-proxy, --https-proxy. */
  name: string
  /** Where it was set: "file:3", "file [engine] env", "--env"; null for the invoking environment. */
  where: string | null
}

const PROXY_NAMES = new Set<string>([...PROXY_VARIABLES.httpProxy, ...PROXY_VARIABLES.httpsProxy, ...PROXY_VARIABLES.noProxy])
const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

export default class ProxyExplain extends BaseCommand {
  static override summary = 'Say whether a request to URL goes direct or through a proxy, and which setting decided.'
  static override description =
    'Applies the rules Go programs use (golang.org/x/net/http/httpproxy, behind dockerd, containerd, podman, skopeo and CRI-O): an https:// URL uses HTTPS_PROXY/https_proxy only, an http:// URL HTTP_PROXY/http_proxy only, upper case first; NO_PROXY/no_proxy entries match domains and their subdomains, IPs, CIDRs and host:port; localhost and loopback addresses are never proxied. Without --engine the current environment is used; with --engine the settings that engine reads on this machine (or under --root): for docker its systemd unit, drop-ins, EnvironmentFile= files and daemon.json "proxies"; for podman the environment plus containers.conf [engine] env; for containerd the environment of containerd.service (unit, drop-ins, EnvironmentFile=, DefaultEnvironment=); for k3s that of k3s.service (or k3s-agent.service), where CONTAINERD_HTTPS_PROXY and the like override the plain names for the containerd inside k3s. --env NAME=VALUE overrides one variable on top (NAME= sets it empty). A URL without a scheme is taken as https://. Passwords in proxy URLs are never printed.'
  static override args = {
    url: Args.string({description: 'the request to explain: https://mirror.example.com:5000/v2/, or host[:port] (taken as https://)', required: true}),
  }
  static override flags = {
    engine: Flags.string({description: "use this engine's proxy settings on the host instead of the current environment", options: ['docker', 'podman', 'containerd', 'k3s']}),
    env: networkFlags.env,
    root: locationFlags.root,
    'daemon-json': Flags.string({description: "dockerd's daemon.json to read (a path on the host, under --root if given); default: as dockerd finds it", helpValue: 'FILE'}),
  }
  static override examples = [
    {description: 'The current shell environment:', command: '<%= config.bin %> proxy explain https://mirror.example.com:5000/v2/'},
    {description: "What dockerd on this machine does for a mirror (host without scheme: https://):", command: '<%= config.bin %> proxy explain mirror.internal:5000 --engine docker'},
    {description: 'Try a NO_PROXY value before writing it:', command: "<%= config.bin %> proxy explain registry.corp.example --engine podman --env 'NO_PROXY=.corp.example,localhost'"},
    {description: 'An image tree, as JSON:', command: '<%= config.bin %> proxy explain http://10.0.0.5:5000 --engine docker --root /srv/image-root --json'},
  ]

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ProxyExplain)
    this.jsonOutput = flags.json
    this.debugOutput = flags.debug
    const engine = flags.engine as ReadableProxyEngine | undefined
    if (!engine && flags.root !== undefined) throw new UserError('--root only applies with --engine (without it the current environment is used)')
    if (engine !== 'docker' && flags['daemon-json'] !== undefined) throw new UserError('--daemon-json only applies with --engine docker')
    const overrides = labelEnv(parseEnvFlags(flags.env), (name) => `--env: ${name}`)
    const target = checkTarget(args.url)

    let env: Record<string, Setting>
    if (engine) {
      const host = new LocalHost(flags.root)
      const daemonJson = flags['daemon-json']
      const loaded = await loadEngineProxyConfig(host, engine, daemonJson === undefined ? {} : {daemonJsonPath: path.resolve(daemonJson)})
      for (const note of loaded.notes) this.note(`mirrorctl: note: ${maskUrlCredentials(note)}`)
      env = {...loaded.env}
    } else {
      env = {}
      for (const name of PROXY_NAMES) {
        const value = process.env[name]
        if (value !== undefined) env[name] = {value, source: name}
      }
    }
    Object.assign(env, overrides)

    const {config, origins} = relabel(configFromSourcedEnv(env))
    const decision = decideProxy(target, config)
    if (decision.via === 'bad-target') throw new UserError(decision.reason)

    const decidedBy = decidedByName(decision, origins)
    if (flags.json) {
      const out: ExplainJson = {
        url: decision.url,
        proxy: decision.proxy,
        decidedBy,
        reason: decision.problem ? `${decision.reason} (problem: ${decision.problem})` : decision.reason,
      }
      this.printJson(out)
      return
    }
    const lines = [`${decision.url} → ${headline(decision, config, origins)}`, `  ${decision.reason}`]
    if (decision.problem) lines.push(`  problem: ${decision.problem}`)
    this.print(lines.join('\n'))
  }
}

/** The URL as Go's consumers would request it: https:// when no scheme is given; it needs a host. */
function checkTarget(input: string): string {
  const text = HAS_SCHEME.test(input) ? input : `https://${input}`
  const parsed = parseGoUrl(text)
  const shown = JSON.stringify(maskUrlCredentials(input))
  const hint = 'write a URL such as https://mirror.example.com:5000/v2/, or host[:port]'
  if (!parsed.ok) throw new UserError(`${shown} is not a URL Go can parse: ${maskUrlCredentials(parsed.error)}`, {hint})
  if (goHostname(parsed.url) === '') throw new UserError(`${shown} has no host name`, {hint})
  return text
}

/**
 * Split a source label ("file:3: NAME", "file proxies.https-proxy", "file [engine] env: NAME",
 * "--env: NAME", or a bare NAME from the environment) into what was set and where.
 */
function originOf(source: string): Origin {
  const named = /^(.*?)(?::(\d+))?: ([A-Za-z_][A-Za-z0-9_]*|--[a-z-]+)$/.exec(source)
  if (named) return {name: named[3]!, where: named[2] ? `${named[1]}:${named[2]}` : named[1]!}
  const option = /^(.*) (proxies\.[a-z-]+)$/.exec(source)
  if (option) return {name: option[2]!, where: option[1]!}
  return {name: source, where: null}
}

/** Labels that read well inside decideProxy's sentences: "HTTPS_PROXY (/etc/…/http-proxy.conf:3)". */
function relabel(config: ProxyConfig): {config: ProxyConfig; origins: Map<string, Origin>} {
  const origins = new Map<string, Origin>()
  const out: ProxyConfig = {}
  for (const key of ['httpProxy', 'httpsProxy', 'noProxy'] as const) {
    const setting = config[key]
    if (!setting) continue
    const origin = originOf(setting.source)
    const label = origin.where ? `${origin.name} (${origin.where})` : origin.name
    origins.set(label, origin)
    out[key] = {value: setting.value, source: label}
  }
  return {config: out, origins}
}

/** The variable, option or NO_PROXY entry that decided, without where it lives. */
function decidedByName(decision: ProxyDecision, origins: Map<string, Origin>): string {
  return origins.get(decision.decidedBy)?.name ?? decision.decidedBy
}

function fromText(origin: Origin | undefined): string {
  if (!origin) return ''
  return ` from ${origin.where ?? 'the environment'}`
}

function headline(decision: ProxyDecision, config: ProxyConfig, origins: Map<string, Origin>): string {
  const origin = origins.get(decision.decidedBy)
  switch (decision.via) {
    case 'proxy':
      return `via ${decision.proxy} (${origin?.name ?? decision.decidedBy}${fromText(origin)})`
    case 'no-proxy': {
      const list = config.noProxy ? origins.get(config.noProxy.source) : undefined
      return `direct (${list?.name ?? 'NO_PROXY'} entry "${decision.decidedBy}"${fromText(list)})`
    }
    case 'localhost':
      return 'direct (localhost is never proxied)'
    case 'loopback':
      return 'direct (loopback addresses are never proxied)'
    case 'unset':
      return `direct (no ${decision.decidedBy} or ${decision.decidedBy.toLowerCase()} set)`
    case 'ignored':
      return `direct (${origin?.name ?? decision.decidedBy}${fromText(origin)} does not parse, so Go ignores it)`
    case 'scheme':
      return 'direct (Go proxies only http:// and https:// requests)'
    default:
      return `direct (${decision.decidedBy})`
  }
}
