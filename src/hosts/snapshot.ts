/**
 * What one gather round trip learned about a host (pure data): the files and folders the
 * engines read, with their contents, owners, modes and link targets, plus the facts that
 * cannot be read as files (uid, environment, which tools exist, engine versions, units).
 * SnapshotHost answers Host calls from it; several gathers merge into one snapshot.
 */
import type {FileInfo} from './host.js'

export type GatherMode =
  /** Kind, owner, mode, size, link target: enough for Host.stat (engine binaries, unit presence). */
  | 'stat'
  /** stat plus the content of a regular file up to MAX_CONFIG_BYTES. */
  | 'read'
  /** stat plus the entries of a folder, each with its own stat and (small files) content. */
  | 'list'
  /** `<path> --version` where path is a command name on the host's PATH (only when asked: a Go binary's start costs tens of ms). */
  | 'version'

export interface GatherRequest {
  /** Absolute, or "~/..." for a path below the login's $HOME (resolved on the host). */
  path: string
  mode: GatherMode
}

export interface SnapshotEntry {
  kind: 'missing' | 'file' | 'directory' | 'other'
  /** null when missing (a dangling link is missing, as stat(2) sees it). */
  info: FileInfo | null
  /** For kind "other": what it is, in LocalHost's words ("a FIFO", "a socket", "a device"). */
  special?: string
  /** The link's own target text when the path is a symbolic link. */
  linkTarget: string | null
  /** File bytes; undefined when not gathered (stat only, or too big / unreadable: see contentState). */
  content?: Buffer
  contentState?: 'ok' | 'too-big' | 'unreadable'
  /** Entry names of a folder; undefined when not listed (see listState). */
  entries?: string[]
  listState?: 'ok' | 'unreadable'
}

export interface Snapshot {
  /** `id -u` of the user the scripts run as (0 with become). */
  uid: number | null
  /** The environment the scripts saw. */
  env: Record<string, string>
  /** command -v for the tools mirrorctl cares about; null when absent. */
  commands: Record<string, string | null>
  /** `<tool> --version` output and exit code, for the tools present. */
  versions: Record<string, {exitCode: number; output: string}>
  /** systemctl is-active per unit, where systemctl exists. */
  units: Record<string, string>
  entries: Map<string, SnapshotEntry>
}

export function emptySnapshot(): Snapshot {
  return {uid: null, env: {}, commands: {}, versions: {}, units: {}, entries: new Map()}
}

/**
 * `later` on top of `earlier`: facts from whichever gathered them, entries from the later
 * gather, keeping content or a listing only the earlier one captured (same kind and size).
 */
export function mergeSnapshots(earlier: Snapshot, later: Snapshot): Snapshot {
  const entries = new Map(earlier.entries)
  for (const [path, entry] of later.entries) {
    const old = entries.get(path)
    // Entries are never changed once gathered, so one that takes nothing from the earlier
    // gather is kept as it is (every entry of a host's first gather): no copy per entry.
    let merged = entry
    if (old && old.kind === entry.kind && old.info?.size === entry.info?.size) {
      const takeContent = entry.content === undefined && entry.contentState === undefined && old.contentState !== undefined
      const takeList = entry.entries === undefined && entry.listState === undefined && old.listState !== undefined
      if (takeContent || takeList) {
        const copy: SnapshotEntry = {...entry}
        if (takeContent) {
          if (old.content !== undefined) copy.content = old.content
          copy.contentState = old.contentState
        }
        if (takeList) {
          if (old.entries !== undefined) copy.entries = old.entries
          copy.listState = old.listState
        }
        merged = copy
      }
    }
    entries.set(path, merged)
  }
  const hasFacts = later.uid !== null
  return {
    uid: hasFacts ? later.uid : earlier.uid,
    env: hasFacts ? later.env : earlier.env,
    commands: hasFacts ? later.commands : earlier.commands,
    versions: {...earlier.versions, ...later.versions},
    units: hasFacts ? later.units : earlier.units,
    entries,
  }
}
