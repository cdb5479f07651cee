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

export interface WriteOptions {
  /** Permission bits for a new file; an existing file keeps its own mode, owner and group. */
  mode?: number
}

export interface Host {
  /** How the host is named in messages ("localhost", "web1", or "--root /srv/img"). */
  readonly name: string
  /** The environment commands on this host see (used for HOME, CONTAINERS_REGISTRIES_CONF, proxies). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Whether the effective user is root (decides system vs rootless paths and the backup folder). */
  readonly isRoot: boolean
  /** Text of a file, or null when it does not exist. Other failures throw. */
  readFile(path: string): Promise<string | null>
  stat(path: string): Promise<FileInfo | null>
  /** Entry names of a directory, or null when it does not exist. */
  listDir(path: string): Promise<string[] | null>
  /** Temp file in the same folder, fsync, rename; keeps owner and mode of the file it replaces. */
  writeFileAtomic(path: string, text: string, options?: WriteOptions): Promise<void>
  /**
   * The one way edits reach the host: under the host lock, compare every file with the
   * text it was planned from, then back up, write atomically and re-read (write-plan.ts).
   */
  applyWrites(request: ApplyRequest): Promise<ApplyResult>
  mkdirp(path: string): Promise<void>
  remove(path: string): Promise<void>
  exec(command: string, args: readonly string[], options?: {input?: string}): Promise<ExecResult>
}
