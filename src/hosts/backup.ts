import path from 'node:path'
import type {Host} from './host.js'

/** How many earlier versions of each file are kept. */
export const BACKUPS_KEPT = 5

/**
 * Where earlier versions go: never inside a folder an engine reads (a stray copy in
 * registries.conf.d would be loaded as a drop-in). System-wide for root or a --root tree,
 * the user's state folder otherwise.
 */
export function backupFolder(host: Host, systemWide: boolean): string {
  if (systemWide || host.isRoot) return '/var/lib/mirrorctl/backups'
  const home = host.env.HOME ?? '/'
  const state = host.env.XDG_STATE_HOME && path.isAbsolute(host.env.XDG_STATE_HOME) ? host.env.XDG_STATE_HOME : path.join(home, '.local/state')
  return path.join(state, 'mirrorctl/backups')
}

/** One folder per backed-up file, named by its encoded path so two files never share one. */
export function backupSlot(folder: string, file: string): string {
  return path.join(folder, encodeURIComponent(file))
}

/**
 * Saves the current text of `file` (if any) and prunes to the newest BACKUPS_KEPT.
 * Returns the backup's path, or null when there was nothing to back up.
 */
export async function backupFile(host: Host, file: string, folder: string, now = new Date()): Promise<string | null> {
  const text = await host.readFile(file)
  if (text === null) return null
  const slot = backupSlot(folder, file)
  await host.mkdirp(slot)
  const stamp = now.toISOString().replace(/[:.]/g, '-')
  let name = stamp
  const existing = new Set((await host.listDir(slot)) ?? [])
  for (let n = 1; existing.has(name); n++) name = `${stamp}.${n}`
  const target = path.join(slot, name)
  await host.writeFileAtomic(target, text, {mode: 0o600})
  const all = ((await host.listDir(slot)) ?? []).filter((e) => !e.startsWith('.')).sort()
  for (const old of all.slice(0, Math.max(0, all.length - BACKUPS_KEPT))) await host.remove(path.join(slot, old))
  return target
}
