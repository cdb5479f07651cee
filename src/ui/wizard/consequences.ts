import {mirrorLocation, mirrorUrl} from '../../policy/mirror-policy.js'
import {changesForHost} from '../../policy/spec-changes.js'
import type {Spec, SpecEngine} from '../../policy/spec.js'

/** The engines and Docker version of one host, as gathered. */
export interface EngineSet {
  hosts: string[]
  engines: SpecEngine[]
  dockerVersion: string | null
}

/**
 * What each engine will do with the spec, said per group of hosts with the same engines,
 * from the fleet's own translation (changesForHost): what goes into registries.conf and
 * daemon.json, hosts.toml and registries.yaml, and what Docker leaves out and why.
 */
export function consequences(spec: Spec, sets: readonly EngineSet[]): string[] {
  const lines: string[] = []
  for (const set of sets) {
    lines.push(`${set.hosts.join(', ')}:`)
    const c = changesForHost(spec, set.engines, set.dockerVersion)
    for (const ch of c.podman) {
      const to = ch.mirrors.length ? ch.mirrors.map((m) => `${mirrorLocation(m)}${m.insecure ? ' (insecure)' : ''}`).join(', ') : 'no mirror'
      const loc = ch.location ? `, redirected to ${ch.location}` : ''
      lines.push(`  podman/CRI-O (registries.conf): ${ch.source} pulls try ${to}${loc}, then ${ch.source} itself`)
    }
    for (const [engine, file] of [['containerd', 'hosts.toml'], ['k3s', 'registries.yaml']] as const) {
      for (const ch of c[engine]) lines.push(`  ${engine} (${file}): ${ch.source} pulls try ${ch.mirrors.length ? ch.mirrors.map((m) => mirrorUrl(m)).join(', ') : 'no mirror'}, then ${ch.source} itself; ${engine === 'k3s' ? 'k3s reads it at start (restart k3s)' : 'read on each pull once config_path is set'}`)
    }
    for (const ch of c.docker) lines.push(`  docker (daemon.json): registry-mirrors = [${ch.mirrors.map((m) => mirrorUrl(m)).join(', ')}] for docker.io; Docker falls back to Docker Hub when they fail`)
    if (set.engines.includes('docker')) {
      const taken = new Set(c.docker.map((ch) => ch.source))
      for (const e of spec.entries) {
        const forDocker = (e.engines ?? set.engines).includes('docker')
        if (taken.has(e.source) && forDocker) continue
        lines.push(`  docker: keeps pulling ${e.source} ${e.source === 'docker.io' ? 'from Docker Hub' : 'directly'} (${e.source !== 'docker.io' ? "Docker's registry-mirrors serve docker.io only" : e.location !== undefined ? 'daemon.json cannot redirect Docker Hub' : e.mirrors.some((m) => m.path) ? 'Docker cannot use a mirror path such as a Harbor project' : 'this entry is not for Docker'})`)
      }
    }
    for (const w of c.warnings) lines.push(`  warning: ${w}`)
    if (!set.engines.length) lines.push('  no container engine found: entries without engines change nothing here')
  }
  return lines
}

/** Hosts grouped by their engines and Docker version. */
export function engineSets(facts: readonly {name: string; engines: SpecEngine[]; dockerVersion: string | null; error: string | null}[]): EngineSet[] {
  const sets = new Map<string, EngineSet>()
  for (const f of facts) {
    if (f.error) continue
    const key = `${f.engines.join(',')} ${f.dockerVersion ?? ''}`
    const s = sets.get(key)
    if (s) s.hosts.push(f.name)
    else sets.set(key, {hosts: [f.name], engines: [...f.engines], dockerVersion: f.dockerVersion})
  }
  return [...sets.values()]
}
