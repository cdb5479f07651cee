import path from 'node:path'
import type {Host} from './host.js'

/** How many earlier versions of each file are kept. */
export const BACKUPS_KEPT = 5

/** The backup folder for root (and a --root tree). */
export const SYSTEM_BACKUP_FOLDER = '/var/lib/mirrorctl/backups'

/**
 * Where earlier versions go: never inside a folder an engine reads (a stray copy in
 * registries.conf.d would be loaded as a drop-in). System-wide for root or a --root tree,
 * the user's state folder otherwise.
 */
export function backupFolder(host: Host, systemWide: boolean): string {
  if (systemWide || host.isRoot) return SYSTEM_BACKUP_FOLDER
  const home = host.env.HOME ?? '/'
  const state = host.env.XDG_STATE_HOME && path.isAbsolute(host.env.XDG_STATE_HOME) ? host.env.XDG_STATE_HOME : path.join(home, '.local/state')
  return path.join(state, 'mirrorctl/backups')
}

/**
 * The folder of one file's backups inside the backup folder, named by its encoded path so
 * two files never share one. The apply script (apply-script.ts) fills it under the host
 * lock: newest BACKUPS_KEPT kept, an identical consecutive version stored once, and a
 * version kept only when the write succeeded.
 */
export function backupSlotName(file: string): string {
  return encodeURIComponent(file)
}
