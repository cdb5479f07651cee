import {Args, Flags, type Interfaces} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {locationFlags} from '../cli/flags.js'
import {engineFlag, networkFlags, parseEnvFlags, parseTimeout, readCaFile} from '../cli/network-flags.js'
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {engineProxyConfig, registryCas, systemRoots, type EngineName} from '../engines/engine-network.js'
import {defaultEngine, engineMirrors, noMirrors} from '../engines/engine-mirrors.js'
import type {MergedConfig} from '../formats/registries-conf/model.js'
import {probeTargetFlags} from '../fleet/flags.js'
import {hostCheckJson, planHostCheck, renderHostChecks, type HostCheckOptions} from '../fleet/host-check.js'
import {localOnly, probeHosts, wantsHosts} from '../fleet/probe-hosts.js'
import {LocalHost} from '../hosts/local-host.js'
import {manifestTarget, parseImage, parseMirrorArgument, type MirrorTarget} from '../net/mirror-target.js'
import {probeMirror, type MirrorReport, type ProbeContext, type Step, type Trust} from '../net/probe.js'
import {styles, type Styles} from '../core/color.js'

const CONCURRENCY = 4

export default class Check extends BaseCommand {
  static override summary = 'Check that each mirror answers as a registry from this host, along the route the engine would take.'
  static override description = [
    'Probes every mirror in registries.conf (with --engine docker, or when Docker is the only engine here: the registry-mirrors of daemon.json; with --engine containerd: the [host] entries of the hosts.toml files under config_path; with --engine k3s: the mirror endpoints of /etc/rancher/k3s/registries.yaml (or the RKE2 one) as k3s hands them to its containerd), or the MIRROR arguments, step by step: name resolution, TCP connect, TLS (chain, expiry, host name), GET /v2/, and with --image a manifest HEAD through the mirror. Each step is timed; each failure comes with its likely fix.',
    'Requests take the proxy route the engine would take: podman reads the environment and containers.conf, dockerd its docker.service environment and daemon.json proxies, containerd its containerd.service environment, k3s the k3s.service environment with CONTAINERD_HTTP_PROXY/CONTAINERD_HTTPS_PROXY/CONTAINERD_NO_PROXY over the plain variables; --env NAME=VALUE adds variables on top. Insecure mirrors are tried over HTTPS without verification, then over plain HTTP, as the engines do.',
    'A MIRROR argument is host[:port][/namespace] (registries.conf style: the namespace goes after /v2/) or an http(s):// URL (daemon.json style: a path goes before /v2/).',
    'With --hosts or --inventory each host is asked from itself, in one SSH round trip for its files and one for its requests: its configs (or the MIRROR arguments), its engine\'s proxy settings decided by Go\'s rules and handed to the host\'s curl (else wget) explicitly, its certs.d CAs. --image and --ca-file apply to this machine only.',
    'Exit status: 0 when every mirror is OK, 1 when any step fails (or there is no mirror), 2 for usage errors.',
  ].join('\n\n')
  static override strict = false
  static override args = {mirror: Args.string({description: 'mirror(s) to check instead of the configured ones', required: false})}
  static override flags = {
    ...locationFlags,
    ...networkFlags,
    ...probeTargetFlags,
    engine: Flags.string({
      description: `${engineFlag.description}, containerd (containerd.service environment; mirrors from the hosts.toml files under config_path), or k3s (k3s.service environment; mirrors from registries.yaml)`,
      options: ['docker', 'podman', 'containerd', 'k3s'],
    }),
    'containerd-hosts-dir': Flags.string({description: "containerd's hosts folder root to take the mirrors from (default: config_path in /etc/containerd/config.toml, else /etc/containerd/certs.d); implies --engine containerd", helpValue: 'DIR'}),
    image: Flags.string({description: 'also HEAD this image\'s manifest through each mirror (nginx means docker.io/library/nginx:latest)', helpValue: 'IMAGE'}),
    insecure: Flags.boolean({description: 'treat MIRROR arguments as insecure: unverified HTTPS, then plain HTTP'}),
    'daemon-json': Flags.string({description: "Docker's daemon.json to take the mirrors from (implies --engine docker)", helpValue: 'FILE'}),
  }
  static override examples = [
    '<%= config.bin %> check',
    '<%= config.bin %> check --image nginx --json',
    '<%= config.bin %> check --engine k3s',
    '<%= config.bin %> check mirror.internal:5000 --insecure',
    '<%= config.bin %> check https://mirror.example.com --ca-file company-ca.pem --engine docker',
    '<%= config.bin %> check mirror.example.com --env HTTPS_PROXY=http://proxy:3128 --env NO_PROXY=.example.com',
    '<%= config.bin %> check --inventory hosts.ini --json',
  ]

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Check)
    const timeoutMs = parseTimeout(flags.timeout)
    const overrides = parseEnvFlags(flags.env)
    if (flags['containerd-hosts-dir'] && flags.engine && flags.engine !== 'containerd') throw new UserError('--containerd-hosts-dir only applies with --engine containerd', {exitCode: ExitCode.Usage})
    if (wantsHosts(flags)) return this.onHosts(argv as string[], flags, timeoutMs, overrides)
    const host = new LocalHost(flags.root)
    const engine = (flags.engine ?? (flags['containerd-hosts-dir'] ? 'containerd' : await defaultEngine(host, flags))) as CheckEngine
    const extraCa = flags['ca-file'] ? await readCaFile(flags['ca-file']) : null
    const image = flags.image ? parseImage(flags.image) : null

    let targets: MirrorTarget[]
    let merged: MergedConfig | null = null
    if (argv.length > 0) {
      targets = (argv as string[]).map((a) => parseMirrorArgument(a, {insecure: flags.insecure}))
    } else {
      const found = await engineMirrors(host, engine, {
        registriesConf: flags['registries-conf'],
        registriesConfDir: flags['registries-conf-dir'],
        daemonJson: flags['daemon-json'],
        containerdHostsDir: flags['containerd-hosts-dir'],
        treeRoot: flags.root !== undefined,
        shown: (p) => host.real(p),
      })
      if (!found.targets.length) throw noMirrors(found)
      targets = found.targets
      merged = found.merged
    }

    const proxy = await engineProxyConfig(host, engine, overrides)
    for (const n of proxy.notes) this.note(`mirrorctl: warning: ${n}`)
    const roots = await systemRoots(host)
    const trust = async (target: MirrorTarget): Promise<Trust> => {
      // containerd takes a mirror's CAs from its hosts.toml (ca = ...; k3s writes configs.<host>.tls.ca_file there), not from a certs.d layout.
      const cas = engine === 'containerd' || engine === 'k3s' ? await fileCas(host, target.caFiles ?? []) : await registryCas(host, engine, target.hostPort)
      const label = [roots.file ? `system roots (${roots.file})` : "Node's bundled roots", ...(extraCa ? [`--ca-file ${flags['ca-file']}`] : []), ...(cas.dir && cas.files.length ? [cas.dir] : [])].join(' + ')
      return {pems: [...roots.pems, ...(extraCa ? [extraCa] : []), ...cas.pems], label}
    }
    const ctx: ProbeContext = {
      // containerd, like podman, can send per-host credentials to a mirror (CRI auth config).
      engine: engine === 'containerd' || engine === 'k3s' ? 'podman' : engine,
      proxyConfig: proxy.config,
      timeoutMs,
      trust,
      manifest: image ? (target) => manifestTarget(target, image, merged) : undefined,
    }
    const reports = await mapLimit(targets, CONCURRENCY, (t) => probeMirror(t, ctx))

    if (flags.json) {
      this.printJson({mirrors: reports.map(toJson)})
    } else {
      this.print(renderReports(reports, targets, styles(this.color)))
    }
    this.setExit(reports.every((r) => r.ok) ? ExitCode.Ok : ExitCode.Findings)
  }

  private async onHosts(mirrors: string[], flags: Interfaces.InferredFlags<typeof Check.flags>, timeoutMs: number, overrides: Record<string, string>): Promise<void> {
    if (flags.image) throw localOnly('image', 'the manifest check runs on this machine only')
    if (flags['ca-file']) throw localOnly('ca-file', 'the file is on this machine; each host trusts its own certs.d')
    const engine = (flags.engine ?? (flags['containerd-hosts-dir'] ? 'containerd' : flags['daemon-json'] ? 'docker' : null)) as CheckEngine | null
    const options: HostCheckOptions = {
      engine,
      mirrors,
      insecure: flags.insecure,
      overrides,
      timeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)),
      registriesConf: flags['registries-conf'],
      registriesConfDir: flags['registries-conf-dir'],
      daemonJson: flags['daemon-json'],
      containerdHostsDir: flags['containerd-hosts-dir'],
    }
    const results = await probeHosts(flags, (host) => planHostCheck(host, options), (w) => this.note(w))
    if (flags.json) this.printJson(hostCheckJson(results))
    else this.print(renderHostChecks(results, styles(this.color)))
    this.setExit(results.every((r) => r.ok) ? ExitCode.Ok : ExitCode.Findings)
  }
}

type CheckEngine = EngineName | 'containerd' | 'k3s'

/** The CA files a mirror's hosts.toml names (an unreadable one is left out: the TLS step then fails and says so). */
async function fileCas(host: LocalHost, files: readonly string[]): Promise<{dir: string | null; files: string[]; pems: string[]}> {
  const pems: string[] = []
  for (const f of files) {
    const text = await host.readFile(f).catch(() => null)
    if (text) pems.push(text)
  }
  return {dir: files.length ? files.join(', ') : null, files: [...files], pems}
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return out
}

function toJson(r: MirrorReport): unknown {
  return {
    mirror: r.mirror,
    url: r.url,
    route: {proxy: r.route.proxy, decidedBy: r.route.decidedBy, reason: r.route.reason},
    ok: r.ok,
    steps: r.steps.map((s: Step) => ({
      name: s.name,
      status: s.status,
      ms: s.ms,
      detail: s.detail,
      ...(s.fix ? {fix: s.fix} : {}),
      ...(s.digest ? {digest: s.digest} : {}),
    })),
  }
}

function renderReports(reports: readonly MirrorReport[], targets: readonly MirrorTarget[], s: Styles): string {
  const paint = {ok: s.green, fail: s.red, warn: s.yellow, skip: s.dim}
  const lines: string[] = []
  reports.forEach((r, i) => {
    const t = targets[i]!
    const serves = t.serves.length ? `, serves ${t.serves.join(', ')}` : ''
    const from = t.kind === 'argument' ? '' : ` (${t.origin}${serves}${t.insecure ? ', insecure' : ''})`
    lines.push(`${s.bold(r.mirror)}${from}  ${r.ok ? s.green('OK') : s.red('FAILED')}`)
    lines.push(`  ${r.url}  ${r.route.summary}`)
    for (const step of r.steps) {
      const ms = step.status === 'skip' && step.ms === 0 ? '' : `${step.ms} ms`
      lines.push(`  ${step.name.padEnd(9)}${paint[step.status](step.status.padEnd(5))}${ms.padStart(8)}  ${step.detail}`)
      if (step.fix && step.status !== 'ok') lines.push(`  ${' '.repeat(24)}${s.cyan('fix:')} ${step.fix}`)
    }
    lines.push('')
  })
  const failed = reports.filter((r) => !r.ok).length
  lines.push(failed === 0 ? `${reports.length} mirror${reports.length === 1 ? '' : 's'} OK` : `${failed} of ${reports.length} mirror${reports.length === 1 ? '' : 's'} failed`)
  return lines.join('\n')
}
