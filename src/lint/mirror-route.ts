import type {Finding} from './finding.js'
import {report, type FindingAt, type RuleMeta} from './rule.js'
import {looksInternal, suggestNoProxy} from '../core/no-proxy-advice.js'
import {decideProxy} from '../core/proxy-decision.js'
import type {ProxyConfig} from '../core/proxy-env.js'

/** A mirror as an engine will contact it, and where it is written. */
export interface MirrorAt {
  /** The URL the engine requests (scheme, host, port). */
  url: string
  at: FindingAt
}

/** The engine whose proxy settings decide, and how to change them. */
export interface EngineRoute {
  engine: 'docker' | 'podman'
  config: ProxyConfig
  /** What makes the engine see a NO_PROXY change ("systemctl daemon-reload && systemctl restart docker"). */
  restart: string
}

/**
 * A mirror on a private address or with an internal-looking name that the engine would send
 * through its proxy: corporate proxies usually cannot reach such hosts, so pulls silently
 * fall back to the upstream registry (or fail). The hint is the exact NO_PROXY to set.
 */
export function mirrorRouteFindings(mirrors: readonly MirrorAt[], route: EngineRoute, rule: RuleMeta): Finding[] {
  const out: Finding[] = []
  for (const m of mirrors) {
    let host: string
    try {
      host = new URL(m.url).host
    } catch {
      continue // an invalid URL has its own finding
    }
    const why = looksInternal(host)
    if (!why) continue
    const decision = decideProxy(m.url, route.config)
    if (decision.proxy === null) continue
    const value = suggestNoProxy(route.config.noProxy?.value, host)
    out.push(
      report(
        rule,
        m.at,
        `mirror ${host} is ${why}, but ${route.engine} sends requests to it through the proxy ${decision.proxy} (${decision.decidedBy}); a corporate proxy usually cannot reach it`,
        `set NO_PROXY=${value} where ${route.engine} reads its proxy settings${route.config.noProxy ? ` (now ${route.config.noProxy.source})` : ''}, then ${route.restart}; \`mirrorctl mirror add … --fix-no-proxy\` does both`,
      ),
    )
  }
  return out
}
