import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {ioUserError} from '../core/io-errors.js'
import type {Host} from './host.js'
import {BACKUPS_KEPT, backupFolder} from './backup.js'
import {ApplyScriptError, reasonCode} from './apply-manifest.js'
import type {ApplyResult, FileWriteOutcome} from './write-plan.js'

export interface PlannedWrite {
  path: string
  /** The text the plan was made from; null when there was no file. */
  before: string | null
  /** The new text; null removes the file. */
  after: string | null
}

export interface WriteOutcome {
  path: string
  backup: string | null
}

/** A planned file changed on disk between planning and writing: nothing was written; plan again. */
export class WriteConflict extends Error {
  constructor(readonly files: FileWriteOutcome[]) {
    super(`changed while mirrorctl was planning: ${files.map((f) => f.path).join(', ')}`)
    this.name = 'WriteConflict'
  }
}

/**
 * Writes planned files as one request through host.applyWrites (host lock, compare with
 * `before`, backup, atomic write, re-read): each file ends up old or new, and the whole
 * request all-old or all-new. A conflict throws WriteConflict; a failed write a UserError
 * (exit 2) naming the file and the cause.
 */
export async function writePlannedFiles(
  host: Host,
  writes: readonly PlannedWrite[],
  options: {backup: boolean; systemWideBackups: boolean},
): Promise<WriteOutcome[]> {
  if (!writes.length) return []
  const backupDir = options.backup ? backupFolder(host, options.systemWideBackups) : null
  const result: ApplyResult = await host
    .applyWrites({writes: writes.map((w) => ({path: w.path, expect: w.before, content: w.after, mode: 0o644})), backupDir, keep: BACKUPS_KEPT})
    .catch((error: unknown) => {
      if (error instanceof ApplyScriptError)
        throw new UserError(`${error.message}; nothing was changed`, {exitCode: ExitCode.Usage, position: {file: writes[0]!.path, line: null}, hint: 'see the message: the host lock or a temporary folder could not be used'})
      throw ioUserError((error as {path?: string}).path ?? writes[0]!.path, error, 'write')
    })
  const conflicts = result.files.filter((f) => f.status === 'conflict')
  if (conflicts.length) throw new WriteConflict(conflicts)
  const failed = result.files.find((f) => f.status === 'failed')
  if (failed) throw writeFailure(failed)
  return result.files.map((f) => ({path: f.path, backup: f.backup}))
}

function writeFailure(f: FileWriteOutcome): UserError {
  const code = reasonCode(f.reason)
  const reason = f.reason ?? 'unknown reason'
  const backup = /^backup folder /.test(reason)
  const file = backup ? (/^backup folder (.*?): /.exec(reason)?.[1] ?? f.target) : f.target
  const hint = backup
    ? 'run with --no-backup, or set XDG_STATE_HOME to a folder you can write'
    : code === 'EROFS'
      ? 'the file system is read-only: remount it read-write, or edit a copy with --root'
      : code === 'EACCES'
        ? 'permission denied: run as a user that may write it (for system files: sudo)'
        : code === 'ENOSPC'
          ? 'no space left on the device: free some space and run again'
          : undefined
  return new UserError(`${backup ? 'cannot save the previous version' : `cannot write ${f.target}`}${code ? ` (${code})` : ''}: ${reason}; nothing was changed`, {
    exitCode: ExitCode.Usage,
    position: {file, line: null},
    ...(hint ? {hint} : {}),
  })
}
