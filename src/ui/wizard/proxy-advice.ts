import {decideProxy, looksInternal, suggestNoProxy} from '../../net/proxy.js'
import {mirrorUrl, type MirrorTarget} from '../../policy/mirror-policy.js'
import type {HostFacts} from './host-facts.js'

/** One engine on one host that would send an internal mirror through its proxy. */
export interface ProxyAdvice {
  host: string
  engine: string
  mirror: string
  proxy: string
  decidedBy: string
  /** NO_PROXY with the mirror added (Go's matching rules). */
  suggested: string
}

/**
 * Go's proxy decision for each new internal-looking mirror, per host and engine: the cases
 * fix-no-proxy would fix. A mirror on the company network reached through an outside proxy
 * usually fails (the proxy cannot see it) or takes a detour.
 */
export function proxyAdvice(facts: readonly HostFacts[], mirrors: readonly MirrorTarget[]): ProxyAdvice[] {
  const out: ProxyAdvice[] = []
  for (const f of facts)
    for (const [engine, config] of Object.entries(f.proxies)) {
      for (const m of mirrors) {
        if (!looksInternal(m.host)) continue
        const d = decideProxy(`${mirrorUrl(m)}/v2/`, config)
        if (d.proxy === null) continue
        out.push({host: f.name, engine, mirror: m.host, proxy: d.proxy, decidedBy: d.decidedBy, suggested: suggestNoProxy(config.noProxy?.value, m.host)})
      }
    }
  return out
}

export function renderAdvice(advice: readonly ProxyAdvice[]): string[] {
  return advice.map((a) => `  ${a.host}: ${a.engine} would reach ${a.mirror} through ${a.proxy} (${a.decidedBy}); NO_PROXY should be ${a.suggested}`)
}
