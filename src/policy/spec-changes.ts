import {mirrorUrl, type MirrorChange} from './mirror-policy.js'
import type {Spec, SpecEngine} from './spec.js'

/** After it, a source's mirrors are exactly `mirrors`, in order. */
export type SetChange = Extract<MirrorChange, {action: 'set'}>

export interface HostChanges {
  podman: SetChange[]
  docker: SetChange[]
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
  const out: HostChanges = {podman: [], docker: [], warnings: []}
  for (const entry of spec.entries) {
    const engines = entry.engines ?? found
    const where = `${spec.file}:${entry.line}`
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
