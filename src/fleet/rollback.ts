import path from 'node:path'
import {unifiedDiff} from '../edit/text-edit.js'
import {backupFolder} from '../hosts/backup.js'
import type {Host} from '../hosts/host.js'
import type {FileWrite} from '../hosts/write-plan.js'
import type {HostIntent, HostPlan} from './plan-host.js'
import type {HostFile} from './report.js'

/**
 * Below the backup folder, where rollback saves what it replaces. Kept apart from the
 * per-file slots so that the newest backup stays the version before the last apply: a
 * second rollback then finds nothing to do instead of undoing the first. No slot can be
 * named so: a slot is an encoded absolute path ("%2Fetc...").
 */
export const ROLLBACK_BACKUPS = 'replaced-by-rollback'

/** Mode of a file rollback brings back after apply removed it (backups do not keep modes). */
const RESTORED_MODE = 0o644

/**
 * Backup versions are named by UTC time stamps (apply-script.ts), so names sort by age; a
 * ".absent" marker records that the file did not exist before an apply created it.
 */
const VERSION_NAME = /^(\d{4}-\d{2}-\d{2}T[\d-]+Z)(?:\.(\d+))?(\.absent)?$/

/** The newest of a slot's versions; other names (".pending-*" copies an older mirrorctl made during a run) are not versions. */
export function newestVersion(names: readonly string[]): string | null {
  const versions = names.flatMap((n) => {
    const m = VERSION_NAME.exec(n)
    return m ? [{n, stamp: m[1]!, k: Number(m[2] ?? 0)}] : []
  })
  versions.sort((a, b) => a.stamp.localeCompare(b.stamp) || a.k - b.k)
  return versions.at(-1)?.n ?? null
}

/** Whether a version is the marker of a file that did not exist. */
export const isAbsentMarker = (name: string): boolean => name.endsWith('.absent')

/** The file a backup slot holds versions of; null for anything that is not a slot. */
export function slotFile(slot: string): string | null {
  let file: string
  try {
    file = decodeURIComponent(slot)
  } catch {
    return null
  }
  return path.posix.isAbsolute(file) && path.posix.normalize(file) === file ? file : null
}

function engineOf(file: string): HostFile['engine'] {
  if (file.endsWith('/daemon.json')) return 'docker'
  if (file.includes('/rancher/k3s/')) return 'k3s'
  if (file.includes('/containerd/')) return 'containerd'
  return 'podman'
}

/**
 * Per file with backups: the newest version, written back through the same locked,
 * compared, atomic write as apply (expect = the text read now). Files already equal to it
 * are left alone. A file that apply created (an ".absent" marker) is removed.
 */
export async function planRollback(host: Host, treeRoot: boolean): Promise<HostPlan> {
  const folder = backupFolder(host, treeRoot)
  const writes: FileWrite[] = []
  const files: HostFile[] = []
  for (const slot of ((await host.listDir(folder)) ?? []).sort()) {
    const file = slotFile(slot)
    if (!file) continue
    const dir = path.posix.join(folder, slot)
    const newest = newestVersion((await host.listDir(dir)) ?? [])
    if (!newest) continue
    const absent = isAbsentMarker(newest)
    const saved = absent ? null : await host.readFile(path.posix.join(dir, newest))
    if (saved === null && !absent) continue
    const current = await host.readFile(file)
    if (current === saved) continue
    writes.push({path: file, expect: current, content: saved, mode: RESTORED_MODE})
    const action = absent ? `remove it: it did not exist before the apply at ${newest.replace(/\.absent$/, '')}` : `restore the version saved at ${newest}`
    files.push({engine: engineOf(file), path: file, actions: [action], diff: unifiedDiff(file, current, saved), backup: null})
  }
  return {writes, files, warnings: []}
}

/** rollback plans from the backups, not from a spec or change: the fleet run needs no intent. */
export const NO_INTENT: HostIntent = {
  needsDockerVersion: () => false,
  runs: () => ({runs: [], warnings: []}),
  fixNoProxy: false,
  fixNoProxyHint: '',
}
