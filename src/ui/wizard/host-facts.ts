import type {SpecEngine} from '../../policy/spec.js'
import {engineProxyConfig} from '../../engines/engine-network.js'
import {detectDockerVersion} from '../../engines/docker-engine.js'
import {foundEngines} from '../../fleet/plan-host.js'
import {reasonOf} from '../../fleet/run-fleet.js'
import type {HostSession} from '../../fleet/session.js'
import type {ProxyConfig} from '../../net/proxy.js'

/** The engines the wizard configures: every engine the spec knows. */
export type WizardEngine = SpecEngine

/** What the wizard needs to know about one host before asking about mirrors. */
export interface HostFacts {
  name: string
  engines: WizardEngine[]
  dockerVersion: string | null
  /** Each found engine's proxy settings, as that engine reads them on the host. */
  proxies: Partial<Record<WizardEngine, ProxyConfig>>
  /** Set when the host could not be reached or read. */
  error: string | null
}

/** One gather per host (the fleet's own session), all hosts at once. */
export async function gatherFacts(sessions: readonly HostSession[], signal: AbortSignal): Promise<HostFacts[]> {
  return Promise.all(
    sessions.map(async (session) => {
      try {
        return await session.plan(async (host) => {
          const engines: WizardEngine[] = await foundEngines(host, session.treeRoot)
          const dockerVersion = engines.includes('docker') ? await detectDockerVersion(host, {treeRoot: session.treeRoot}) : null
          const proxies: HostFacts['proxies'] = {}
          for (const e of engines) proxies[e] = (await engineProxyConfig(host, e)).config
          return {name: session.name, engines, dockerVersion, proxies, error: null}
        }, signal)
      } catch (error) {
        return {name: session.name, engines: [], dockerVersion: null, proxies: {}, error: reasonOf(error)}
      }
    }),
  )
}

const ENGINE_FILES: Record<Exclude<WizardEngine, 'docker'>, string> = {
  podman: 'podman/buildah/skopeo/CRI-O (registries.conf)',
  containerd: 'containerd (hosts.toml)',
  k3s: 'k3s/RKE2 (registries.yaml)',
}

export function describeFacts(facts: readonly HostFacts[]): string[] {
  return facts.map((f) => {
    if (f.error) return `  ${f.name}: cannot be reached or read: ${f.error}`
    if (!f.engines.length) return `  ${f.name}: no container engine found`
    const names = f.engines.map((e) => (e === 'docker' ? `docker${f.dockerVersion ? ` ${f.dockerVersion}` : ''} (daemon.json)` : ENGINE_FILES[e]))
    return `  ${f.name}: ${names.join(', ')}`
  })
}
