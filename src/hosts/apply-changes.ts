import path from 'node:path'
import type {Host} from './host.js'
import {backupFile, backupFolder} from './backup.js'

export interface PlannedWrite {
  path: string
  before: string | null
  after: string
}

export interface WriteOutcome {
  path: string
  backup: string | null
}

/**
 * Writes planned files: backup of the previous version first, then an atomic replace that
 * keeps owner and mode. Each file ends up either old or new, never half-written.
 */
export async function writePlannedFiles(
  host: Host,
  writes: readonly PlannedWrite[],
  options: {backup: boolean; systemWideBackups: boolean},
): Promise<WriteOutcome[]> {
  const folder = backupFolder(host, options.systemWideBackups)
  const outcomes: WriteOutcome[] = []
  for (const w of writes) {
    const backup = options.backup && w.before !== null ? await backupFile(host, w.path, folder) : null
    await host.mkdirp(path.dirname(w.path))
    await host.writeFileAtomic(w.path, w.after, {mode: 0o644})
    outcomes.push({path: w.path, backup})
  }
  return outcomes
}
