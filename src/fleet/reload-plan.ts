/**
 * What each engine needs after its files were written: reload, restart, or nothing. Pure:
 * the changed files, the snapshot's facts and --allow-restart in, actions with reasons out.
 */
import {isCaFilePath} from '../policy/ca-files.js'

export type ReloadEngine = 'docker' | 'crio' | 'containerd' | 'k3s' | 'podman'
export type ReloadAction = 'reload' | 'restart' | 'none'
export type ReloadStatus = 'done' | 'skipped' | 'failed' | 'needs-restart'

/** A file the apply wrote (before: its old text, null when new; after: null when removed). */
export interface ChangedFile {
  engine: 'podman' | 'docker' | 'containerd' | 'k3s'
  path: string
  before: string | null
  after: string | null
}

/** From the snapshot; null when unknown (this machine): the run script checks again anyway. */
export interface ReloadFacts {
  /** command -v per tool; null value: missing. */
  commands: Record<string, string | null> | null
  /** systemctl is-active per unit. */
  units: Record<string, string>
}

export interface ReloadStep {
  engine: ReloadEngine
  action: ReloadAction
  /** The systemd unit acted on; null for action none. */
  unit: string | null
  /** A unit drop-in changed: systemctl daemon-reload first. */
  daemonReload: boolean
  /** Decided here (skipped, needs-restart, done for nothing to do) or null: the run decides. */
  status: ReloadStatus | null
  reason: string
}

/** dockerd applies these on SIGHUP (moby daemon/reload.go; docs "configuration reload behavior"). */
export const DOCKER_RELOADABLE_KEYS: ReadonlySet<string> = new Set([
  'debug',
  'labels',
  'live-restore',
  'max-concurrent-downloads',
  'max-concurrent-uploads',
  'max-download-attempts',
  'shutdown-timeout',
  'default-stop-timeout',
  'default-runtime',
  'runtimes',
  'default-shm-size',
  'authorization-plugins',
  'insecure-registries',
  'registry-mirrors',
  'allow-nondistributable-artifacts',
  'features',
  'network-diagnostic-port',
  'nri',
])

/** Reloadable keys whose removal a reload applies too (reset to the default, or unset); the others keep the old value. */
const RESET_ON_RELOAD: ReadonlySet<string> = new Set(['max-concurrent-downloads', 'max-concurrent-uploads', 'max-download-attempts', 'features', 'network-diagnostic-port'])

const UNIT_OF: Record<Exclude<ReloadEngine, 'podman'>, string> = {docker: 'docker', crio: 'crio', containerd: 'containerd', k3s: 'k3s'}

/** The unit a systemd drop-in belongs to (/etc/systemd/system/docker.service.d/x.conf -> docker), or null. */
export function dropInUnit(path: string): string | null {
  const m = /\/([^/]+)\.service\.d\/[^/]+\.conf$/.exec(path)
  return m ? m[1]! : null
}

const K3S_UNITS = 'k3s|k3s-agent|rke2-server|rke2-agent'

/**
 * The k3s/RKE2 unit a file belongs to: its drop-in folder, or an EnvironmentFile= the units
 * read (/etc/default/%N, /etc/sysconfig/%N, /etc/systemd/system/%N.service.env, RKE2's
 * /usr/lib/systemd/system/%N.env); registries.yaml: the agent's unit when only it runs.
 */
export function k3sUnitOf(path: string, facts: ReloadFacts): string | null {
  const m =
    new RegExp(`/(${K3S_UNITS})\\.service\\.d/[^/]+\\.conf$`).exec(path) ??
    new RegExp(`^/etc/(?:default|sysconfig)/(${K3S_UNITS})$`).exec(path) ??
    new RegExp(`/(${K3S_UNITS})\\.service\\.env$`).exec(path) ??
    new RegExp(`^/usr/lib/systemd/system/(${K3S_UNITS})\\.env$`).exec(path)
  if (m) return m[1]!
  if (path.startsWith('/etc/rancher/k3s/')) return facts.units['k3s-agent'] === 'active' && facts.units.k3s !== 'active' ? 'k3s-agent' : 'k3s'
  if (path.startsWith('/etc/rancher/rke2/')) return facts.units['rke2-agent'] === 'active' && facts.units['rke2-server'] !== 'active' ? 'rke2-agent' : 'rke2-server'
  return null
}

function topLevel(text: string | null): Record<string, unknown> | null {
  if (text === null || !text.trim()) return {}
  try {
    const v: unknown = JSON.parse(text)
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/**
 * daemon.json keys a reload cannot apply: non-reloadable keys that changed, and reloadable
 * keys removed (moby's reload sets most only when present in the file, so the old value stays).
 * null when either text is not a JSON object (no telling: restart).
 */
export function dockerRestartKeys(before: string | null, after: string | null): string[] | null {
  const a = topLevel(before)
  const b = topLevel(after)
  if (!a || !b) return null
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  const out: string[] = []
  for (const k of keys) {
    if (JSON.stringify(a[k]) === JSON.stringify(b[k])) continue
    if (!DOCKER_RELOADABLE_KEYS.has(k) || (!(k in b) && !RESET_ON_RELOAD.has(k))) out.push(k)
  }
  return out.sort()
}

interface Need {
  engine: ReloadEngine
  unit: string | null
  /** Why a restart is needed; empty: a reload does. */
  restartWhy: string[]
  reload: boolean
  daemonReload: boolean
  noneWhy: string[]
}

/** Per engine whose files changed: one step. Restart only with allowRestart. */
export function planReload(files: readonly ChangedFile[], facts: ReloadFacts, allowRestart: boolean): ReloadStep[] {
  const needs = new Map<ReloadEngine, Need>()
  const need = (engine: ReloadEngine): Need => {
    let n = needs.get(engine)
    if (!n) needs.set(engine, (n = {engine, unit: engine === 'podman' ? null : UNIT_OF[engine], restartWhy: [], reload: false, daemonReload: false, noneWhy: []}))
    return n
  }
  for (const f of files) {
    // Certificates are read on each pull (moby newTLSConfig, containers/image, containerd hosts.go).
    if (isCaFilePath(f.path)) {
      need(f.engine).noneWhy.push(`${f.engine === 'docker' ? 'dockerd' : f.engine} reads ${f.path} on each pull`)
      continue
    }
    const k3sUnit = f.engine === 'k3s' ? k3sUnitOf(f.path, facts) : null
    if (k3sUnit) {
      // A restart re-reads EnvironmentFile= files; only a changed drop-in needs daemon-reload first.
      const n = need('k3s')
      n.unit = k3sUnit
      n.daemonReload ||= k3sUnit === dropInUnit(f.path)
      n.restartWhy.push(`${f.path} (${/registries\.yaml$/.test(f.path) ? 'the mirrors' : "the environment of k3s's containerd, NO_PROXY"}) is read only at start`)
      continue
    }
    const unit = dropInUnit(f.path)
    if (unit) {
      const engine = (['docker', 'crio', 'containerd', 'k3s'] as const).find((e) => UNIT_OF[e] === unit) ?? (f.engine === 'podman' ? 'crio' : f.engine)
      const n = need(engine)
      n.daemonReload = true
      n.restartWhy.push(`${f.path} (the unit's environment, NO_PROXY) is read only at start`)
      continue
    }
    if (f.engine === 'docker') {
      const keys = dockerRestartKeys(f.before, f.after)
      const n = need('docker')
      if (keys === null) n.restartWhy.push(`${f.path} is not a JSON object, so the changed keys are unknown`)
      else if (keys.length) n.restartWhy.push(`${f.path}: ${keys.map((k) => `"${k}"`).join(', ')} ${keys.length === 1 ? 'is' : 'are'} not applied by a reload`)
      else n.reload = true
    } else if (f.engine === 'podman') {
      // podman and skopeo read registries.conf on each run; CRI-O, where installed, on SIGHUP.
      need('podman').noneWhy.push(`podman and skopeo read ${f.path} on each run`)
      if (facts.commands === null || facts.commands.crio || facts.units.crio === 'active') need('crio').reload = true
    } else if (f.engine === 'containerd') {
      const n = need('containerd')
      if (f.path.endsWith('/hosts.toml')) n.noneWhy.push(`containerd reads ${f.path} on each pull`)
      else n.restartWhy.push(`${f.path} (config_path) is read only at start`)
    } else {
      need('k3s').restartWhy.push(`${f.path} is read only at start`)
    }
  }
  return [...needs.values()].map((n) => stepOf(n, facts, allowRestart))
}

function stepOf(n: Need, facts: ReloadFacts, allowRestart: boolean): ReloadStep {
  const base = {engine: n.engine, unit: n.unit, daemonReload: false}
  if (!n.restartWhy.length && !n.reload) return {...base, unit: null, action: 'none', status: 'done', reason: n.noneWhy.join('; ') || 'nothing to reload'}
  const restart = n.restartWhy.length > 0
  const action: ReloadAction = restart ? 'restart' : 'reload'
  const unit = n.unit!
  const step = {...base, action, daemonReload: restart && n.daemonReload}
  const what = restart ? `restart ${unit}: ${n.restartWhy.join('; ')}` : `reload ${unit}`
  if (facts.commands && facts.commands.systemctl === null) return {...step, status: 'skipped', reason: `systemctl not found; ${what}`}
  const state = facts.units[unit]
  if (state !== undefined && state !== 'active') return {...step, status: 'skipped', reason: `${unit} is ${state}, not running; ${what}`}
  if (restart && !allowRestart) return {...step, status: 'needs-restart', reason: `not restarted without --allow-restart: ${what}`}
  return {...step, status: null, reason: what}
}
