/**
 * The one way mirrorctl changes files on a host, local or remote: a list of whole-file
 * writes, each with the text it was planned against. The host takes its lock
 * (HOST_LOCK_PATH), compares every file with its expected text, and only when all match
 * backs each one up, writes it atomically and re-reads it. Same request, same files,
 * whether the host is this machine, a --root tree or an SSH target.
 */
export interface FileWrite {
  /** Absolute path as the host sees it. A symbolic link is followed: its target is written, the link kept. */
  path: string
  /** The text the plan was made from; null when the plan expects no file there. */
  expect: string | null
  /** The new text; null removes the file (a drop-in that held only what mirrorctl added). */
  content: string | null
  /** Permission bits for a new file; an existing file keeps its own mode, owner and group. */
  mode: number
}

export interface ApplyRequest {
  writes: FileWrite[]
  /** Folder for earlier versions (outside every folder an engine reads), or null for no backups. */
  backupDir: string | null
  /** Backups kept per file. */
  keep: number
}

export type FileWriteStatus =
  /** Written (or removed) and re-read: the file on disk is the planned text. */
  | 'written'
  /** Already had the planned text; nothing written. */
  | 'unchanged'
  /** Its text on disk was no longer the expected one: nothing of the request was written. */
  | 'conflict'
  /** The write failed (read-only, no space, permission): the file is left as it was. */
  | 'failed'
  /** Not attempted because another file of the request failed or conflicted. */
  | 'skipped'

export interface FileWriteOutcome {
  path: string
  /** The file actually written (the link's target when `path` is a link). */
  target: string
  status: FileWriteStatus
  /** Where the previous version was saved, when a backup was kept. */
  backup: string | null
  /** Why, for conflict and failed (errno name and message). */
  reason: string | null
}

export interface ApplyResult {
  /** Which lock the host took: util-linux flock, or an mkdir lock where flock is missing. */
  lock: 'flock' | 'mkdir'
  files: FileWriteOutcome[]
}
