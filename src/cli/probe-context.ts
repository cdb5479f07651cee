import {engineProxyConfig, registryCas, systemRoots, type EngineName} from '../engines/engine-network.js'
import type {Host} from '../hosts/host.js'
import type {ManifestTarget, MirrorTarget} from '../net/mirror-target.js'
import type {ProbeContext, Trust} from '../net/probe.js'

export interface ProbeContextOptions {
  timeoutMs: number
  /** --env NAME=VALUE overrides of the engine's proxy variables. */
  overrides?: Readonly<Record<string, string>>
  /** An extra CA (--ca-file) and how to name it in messages. */
  extraCa?: {pem: string; label: string} | null
  manifest?: ((target: MirrorTarget) => ManifestTarget) | undefined
}

/**
 * How `check` (and the setup wizard) probe a mirror for `engine` on `host`: the proxy route
 * the engine would take and the CAs it would trust (system roots, --ca-file, its certs.d).
 */
export async function mirrorProbeContext(host: Host, engine: EngineName, options: ProbeContextOptions): Promise<{ctx: ProbeContext; notes: string[]}> {
  const proxy = await engineProxyConfig(host, engine, options.overrides ?? {})
  const roots = await systemRoots(host)
  const extra = options.extraCa ?? null
  const trust = async (target: MirrorTarget): Promise<Trust> => {
    const cas = await registryCas(host, engine, target.hostPort)
    const label = [roots.file ? `system roots (${roots.file})` : "Node's bundled roots", ...(extra ? [extra.label] : []), ...(cas.dir && cas.files.length ? [cas.dir] : [])].join(' + ')
    return {pems: [...roots.pems, ...(extra ? [extra.pem] : []), ...cas.pems], label}
  }
  return {ctx: {engine, proxyConfig: proxy.config, timeoutMs: options.timeoutMs, trust, manifest: options.manifest}, notes: proxy.notes}
}
