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

/**
 * The backups themselves are taken by the apply script (apply-script.ts) under the host
 * lock: one folder per file, named by its encoded path (backupSlotName), newest BACKUPS_KEPT
 * kept, an identical consecutive version stored once, and only when the write succeeded.
 */
