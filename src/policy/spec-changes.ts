import {mirrorUrl, type MirrorChange} from './mirror-policy.js'
import type {Spec, SpecEngine, SpecEntry} from './spec.js'

/** After it, a source's mirrors are exactly `mirrors`, in order. */
export type SetChange = Extract<MirrorChange, {action: 'set'}>

export interface HostChanges {
  podman: SetChange[]
  docker: SetChange[]
  /** hosts.toml (containerd) and registries.yaml (k3s/RKE2): whole registries only. */
  containerd: SetChange[]
  k3s: SetChange[]
  /** What the spec asks that an engine cannot do, said in the plan. */
  warnings: string[]
}

const major = (version: string | null): number | null => {
  const m = /^(\d+)\./.exec(version ?? '')
  return m ? Number(m[1]) : null
}

/**
 * Translates a spec into each engine's changes on one host. An entry without `engines` goes
 * to the engines found there. Docker takes docker.io sources only, as whole-registry mirror
 * URLs (host:port + insecure -> http://host:port); what it cannot take is left out for
 * Docker with a warning, never silently.
 */
export function changesForHost(spec: Spec, found: readonly SpecEngine[], dockerVersion: string | null): HostChanges {
  const out: HostChanges = {podman: [], docker: [], containerd: [], k3s: [], warnings: []}
  for (const entry of spec.entries) {
    const engines = entry.engines ?? found
    const where = `${spec.file}:${entry.line}`
    for (const engine of ['containerd', 'k3s'] as const) {
      if (!engines.includes(engine)) continue
      const change = registryChange(engine, entry, where, out.warnings)
      if (change) out[engine].push(change)
    }
    if (engines.includes('podman')) out.podman.push({action: 'set', source: entry.source, mirrors: entry.mirrors, ...(entry.location !== undefined ? {location: entry.location} : {})})
    if (!engines.includes('docker')) continue
    if (entry.source !== 'docker.io') {
      if (entry.engines) out.warnings.push(`docker: ${where}: source ${entry.source} left out: Docker's registry-mirrors serve docker.io only`)
      continue
    }
    if (entry.location !== undefined) out.warnings.push(`docker: ${where}: location ${entry.location} not applied: daemon.json cannot redirect Docker Hub`)
    if (entry.pullFromMirror && entry.pullFromMirror !== 'all') out.warnings.push(`docker: ${where}: pull-from-mirror ${entry.pullFromMirror} not applied: daemon.json has none (Docker falls back to Docker Hub for any pull)`)
    // Docker before 25.0 rejects a mirror URL with a path (moby c587ba3); the daemon would not start.
    const old = (major(dockerVersion) ?? 99) < 25
    const usable = entry.mirrors.filter((m) => {
      if (!m.path || !old) return true
      out.warnings.push(`docker: ${where}: mirror ${mirrorUrl(m)} left out: Docker ${dockerVersion} refuses a mirror URL with a path (25.0 and later accept it)`)
      return false
    })
    if (entry.mirrors.length && !usable.length) {
      out.warnings.push(`docker: ${where}: no mirror of ${entry.source} is usable by Docker; daemon.json left as it is`)
      continue
    }
    out.docker.push({action: 'set', source: 'docker.io', mirrors: usable})
  }
  return out
}

/**
 * containerd's hosts.toml and k3s's registries.yaml mirror a whole registry (a host, not a
 * prefix or wildcard), cannot redirect it, and have no per-mirror pull-from-mirror: what they
 * cannot take is left out with a warning when the entry names the engine, else silently
 * (an entry for every engine found is not addressed to them).
 */
function registryChange(engine: 'containerd' | 'k3s', entry: SpecEntry, where: string, warnings: string[]): SetChange | null {
  if (entry.source.includes('/') || entry.source.startsWith('*.')) {
    if (entry.engines) warnings.push(`${engine}: ${where}: source ${entry.source} left out: ${engine} mirrors whole registries (a host such as docker.io)`)
    return null
  }
  if (entry.location !== undefined) warnings.push(`${engine}: ${where}: location ${entry.location} not applied: mirrorctl does not redirect registries for ${engine}`)
  if (entry.pullFromMirror && entry.pullFromMirror !== 'all') warnings.push(`${engine}: ${where}: pull-from-mirror ${entry.pullFromMirror} not applied: ${engine} has no per-mirror pull-from-mirror`)
  return {action: 'set', source: entry.source, mirrors: entry.mirrors}
}
