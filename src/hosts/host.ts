/** What mirrorctl needs from a machine, local or remote. Paths are absolute, as the host sees them. */
export interface FileInfo {
  kind: 'file' | 'directory' | 'other'
  mode: number
  uid: number
  gid: number
  size: number
}

export interface ExecResult {
  exitCode: number
  stdout: string
  stderr: string
}

import type {ApplyRequest, ApplyResult} from './write-plan.js'

export interface Host {
  /** How the host is named in messages ("localhost", "web1", or "--root /srv/img"). */
  readonly name: string
  /** The environment commands on this host see (used for HOME, CONTAINERS_REGISTRIES_CONF, proxies). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Whether the effective user is root (decides system vs rootless paths and the backup folder). */
  readonly isRoot: boolean
  /**
   * Text of a regular file, or null when it does not exist. Throws, with `path` set:
   * NotRegularFileError (FIFO, device: never opened for reading in a way that blocks),
   * TooLargeError (above MAX_CONFIG_BYTES), InvalidUtf8Error (text-decode.ts: never U+FFFD
   * replacement), or the errno error (EACCES, ELOOP ...).
   */
  readFile(path: string): Promise<string | null>
  stat(path: string): Promise<FileInfo | null>
  /** Entry names of a directory, or null when it does not exist. */
  listDir(path: string): Promise<string[] | null>
  /**
   * The one way edits reach the host (deliberately the only write method): under the host
   * lock, compare every file with the text it was planned from, then back up, write
   * atomically and re-read (write-plan.ts, apply-script.ts).
   */
  applyWrites(request: ApplyRequest): Promise<ApplyResult>
  exec(command: string, args: readonly string[], options?: {input?: string}): Promise<ExecResult>
}
