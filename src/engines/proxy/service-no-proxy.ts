/**
 * Where a NO_PROXY change to a systemd service's environment takes effect: the place that
 * sets the variable now (an EnvironmentFile= beats Environment= lines; an administrator's
 * drop-in), else a drop-in in the administrator's folder that systemd applies late enough.
 * Shared by docker.service, containerd.service and (without an EnvironmentFile=) k3s.service.
 */
import path from 'node:path'
import type {Setting} from '../../net/proxy.js'
import type {NoProxyTarget} from './types.js'

const posix = path.posix

export interface ServiceFacts {
  /** The unit, for messages ("docker.service"). */
  unit: string
  /** The service's environment as systemd starts it. */
  env: Record<string, Setting>
  /** Drop-ins in the order systemd applies them. */
  dropIns: readonly string[]
  /** EnvironmentFile= files that were read. */
  environmentFiles: ReadonlySet<string>
  /** Where an administrator's drop-ins for this unit go. */
  adminDir: string
}

export interface ServiceNoProxyOptions {
  /** The variables to write, the one Go reads first first (NO_PROXY, no_proxy). */
  names: readonly string[]
  /** Proxy variables whose drop-in is a good home for NO_PROXY, most telling first. */
  proxyNames: readonly string[]
  current: string | undefined
  /** After a drop-in change (daemon-reload first). */
  restart: string
  /** After an EnvironmentFile= change (read again at each start). */
  plainRestart: string
}

/** "file:12: NAME" -> "file". */
export function fileOf(setting: Setting | undefined): string | null {
  const m = setting ? /^(.*):\d+: [^:]+$/.exec(setting.source) : null
  return m ? m[1]! : null
}

export function serviceNoProxyTarget(s: ServiceFacts, o: ServiceNoProxyOptions): NoProxyTarget {
  const name = o.names[0]!
  const base = {variable: 'NO_PROXY' as const, names: [...o.names], current: o.current, writable: true}
  // The assignment in force: the first name Go reads that the service sets.
  const winner = o.names.map(n => s.env[n]).find(v => v !== undefined)
  const winnerFile = fileOf(winner)
  if (winnerFile && s.environmentFiles.has(winnerFile)) {
    return {...base, kind: 'environment-file', path: winnerFile, reason: `${name} comes from the EnvironmentFile ${winnerFile}, whose values override Environment= lines in drop-ins`, restart: o.plainRestart}
  }
  const inAdminDir = (file: string | null): file is string => file !== null && s.dropIns.includes(file) && posix.dirname(file) === s.adminDir
  if (inAdminDir(winnerFile)) return {...base, kind: 'systemd-drop-in', path: winnerFile, reason: `${name} is set in the drop-in ${winnerFile}`, restart: o.restart}
  // Next to the proxy itself, else the file Docker's documentation names.
  const proxyFile = o.proxyNames.map(n => fileOf(s.env[n])).find(inAdminDir)
  let target = proxyFile ?? posix.join(s.adminDir, 'http-proxy.conf')
  let reason = proxyFile ? `the proxy is set in the drop-in ${proxyFile}` : `no drop-in of ${s.unit} sets ${name}; ${target} is where proxy settings of a service usually go`
  // Drop-ins apply in name order across folders, and a name hides the same name in lower
  // folders: ours must not hide a vendor drop-in, nor come before the one that sets it now.
  const ownName = posix.basename(target)
  const clash = s.dropIns.find(f => f !== target && posix.basename(f) === ownName)
  const later = winnerFile && s.dropIns.includes(winnerFile) && posix.basename(winnerFile) >= ownName ? winnerFile : undefined
  const after = [clash, later].filter((f): f is string => f !== undefined).map(f => posix.basename(f)).sort().pop()
  if (after) {
    // "x.mirrorctl.conf" sorts right after "x.conf" ('m' > 'c') and hides nothing.
    target = posix.join(s.adminDir, `${after.replace(/\.conf$/, '')}.mirrorctl.conf`)
    reason = `${later ? `${name} is set in ${later}, which is not an administrator's drop-in` : `${clash} must stay visible`}; systemd applies ${target} after it`
  }
  return {...base, kind: 'systemd-drop-in', path: target, reason, restart: o.restart}
}
