import {mirrorProbeContext} from '../../cli/probe-context.js'
import {engineProxyConfig, systemRoots} from '../../engines/engine-network.js'
import type {Host} from '../../hosts/host.js'
import {parseMirrorArgument as probeTarget} from '../../net/mirror-target.js'
import {probeMirror, type ProbeContext} from '../../net/probe.js'
import {mirrorLocation, mirrorUrl, type MirrorTarget} from '../../policy/mirror-policy.js'
import type {HostFacts, WizardEngine} from './host-facts.js'

/** One proxy route to probe along: an engine's settings, shared by the hosts named. */
export interface ProbeRoute {
  engine: WizardEngine
  hosts: string[]
  ctx: ProbeContext
}

export interface ReachResult {
  ok: boolean
  /** "podman on h1, h2: direct (no proxy variable set)". */
  route: string
  /** The failed step and its fix, when not ok. */
  problem: string | null
}

/**
 * The routes `check` would take for each engine: on this machine or a --root tree its own
 * reading of the host; for SSH hosts the probe runs from here, with each host's proxy
 * settings (from the gather) and this machine's CAs (`here`). Hosts with the same settings share one route.
 */
export async function probeRoutes(facts: readonly HostFacts[], options: {local: Host | null; here: Host; timeoutMs: number}): Promise<ProbeRoute[]> {
  const {local, here, timeoutMs} = options
  const routes = new Map<string, ProbeRoute>()
  for (const f of facts) {
    const engines: WizardEngine[] = f.engines.length ? f.engines : ['podman']
    for (const engine of engines) {
      const ctx = await engineContext(local ?? here, engine, timeoutMs)
      if (!local) ctx.proxyConfig = f.proxies[engine] ?? {}
      const key = `${engine} ${JSON.stringify(ctx.proxyConfig)}`
      const known = routes.get(key)
      if (known) known.hosts.push(f.name)
      else routes.set(key, {engine, hosts: [f.name], ctx})
    }
  }
  return [...routes.values()]
}

/**
 * containerd and k3s trust the system roots plus the CAs a hosts.toml or registries.yaml
 * names for a mirror (none yet for a new one), not a certs.d folder, and take their proxy
 * from their service; docker and podman as `check` probes them.
 */
async function engineContext(host: Host, engine: WizardEngine, timeoutMs: number): Promise<ProbeContext> {
  if (engine === 'docker' || engine === 'podman') return (await mirrorProbeContext(host, engine, {timeoutMs})).ctx
  const [proxy, roots] = await Promise.all([engineProxyConfig(host, engine), systemRoots(host)])
  const label = roots.file ? `system roots (${roots.file})` : "Node's bundled roots"
  return {engine: 'podman', proxyConfig: proxy.config, timeoutMs, trust: async () => ({pems: roots.pems, label})}
}

/** Probes a mirror as the engine would be configured with it (registries.conf location, or daemon.json URL). */
export async function probeAlong(route: ProbeRoute, mirror: MirrorTarget): Promise<ReachResult> {
  const given = route.engine === 'docker' ? mirrorUrl(mirror) : mirrorLocation(mirror)
  const report = await probeMirror(probeTarget(given, {insecure: mirror.insecure}), route.ctx)
  const label = `${route.engine} on ${route.hosts.join(', ')}: ${report.route.summary}`
  if (report.ok) return {ok: true, route: label, problem: null}
  const bad = report.steps.find((s) => s.status === 'fail')
  const problem = bad ? `${bad.name}: ${bad.detail}${bad.fix ? ` (fix: ${bad.fix})` : ''}` : 'the mirror did not answer as a registry'
  return {ok: false, route: label, problem}
}
