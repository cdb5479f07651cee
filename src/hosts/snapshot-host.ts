/**
 * SnapshotHost: a Host answered from a gathered snapshot, so the engine modules and the
 * (pure) planners run unchanged against a remote machine without a round trip per read.
 *
 * - Reads behave like LocalHost's: regular files only (NotRegularFileError), MAX_CONFIG_BYTES
 *   (TooLargeError), strict UTF-8 (InvalidUtf8Error), missing -> null.
 * - A read the snapshot cannot answer is recorded in `missed` (and answered as "missing");
 *   gatherUntilComplete gathers just those paths in one more round trip and plans again.
 * - Read-only: planned changes compose in the fleet's OverlayHost on top of this one, and
 *   reach the host through SshHost.applyWrites.
 */
import {posix} from 'node:path'
import {NotRegularFileError, TooLargeError} from '../core/io-errors.js'
import {MAX_CONFIG_BYTES} from '../core/limits.js'
import {decodeUtf8} from '../core/text-decode.js'
import type {ExecResult, FileInfo, Host} from './host.js'
import {candidateRequests} from './gather-candidates.js'
import type {GatherFacts} from './gather-script.js'
import {mergeSnapshots, type GatherMode, type GatherRequest, type Snapshot, type SnapshotEntry} from './snapshot.js'

function errno(code: string, message: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}, '${path}'`), {code, path})
}

/** An absolute path that posix.normalize would change: "//", a "." or ".." segment, or a trailing "/". */
const NOT_NORMAL = /\/\/|\/\.\.?(?:\/|$)|.\/$/

/** Planning reads the same files many times; a string is immutable, so one decode per content serves them all. */
const decoded = new WeakMap<Buffer, string>()

function decodedText(content: Buffer): string {
  let text = decoded.get(content)
  if (text === undefined) decoded.set(content, (text = decodeUtf8(content)))
  return text
}

type Lookup = {state: 'known'; entry: SnapshotEntry} | {state: 'missing'} | {state: 'unknown'}


export class SnapshotHost implements Host {
  readonly name: string
  /** Reads the snapshot could not answer, by path (the strongest mode wanted). */
  readonly missed = new Map<string, GatherMode>()

  constructor(
    name: string,
    readonly snapshot: Snapshot,
  ) {
    this.name = name
  }

  get env(): Readonly<Record<string, string | undefined>> {
    return this.snapshot.env
  }

  get isRoot(): boolean {
    return this.snapshot.uid === 0
  }

  /** The reads to gather next, in a stable order. */
  missedRequests(): GatherRequest[] {
    return [...this.missed].sort(([a], [b]) => a.localeCompare(b)).map(([path, mode]) => ({path, mode}))
  }

  private miss(path: string, mode: GatherMode): void {
    const old = this.missed.get(path)
    // 'list' and 'read' both include stat; a folder wanted both ways is listed and its files read.
    if (old === undefined || old === 'stat') this.missed.set(path, mode)
  }

  private lookup(path: string): Lookup {
    const entry = this.snapshot.entries.get(path)
    if (entry) return entry.kind === 'missing' ? {state: 'missing'} : {state: 'known', entry}
    // An ancestor that is missing or not a folder, or a listed parent without this name,
    // settles it without asking the host (ENOENT / ENOTDIR both read as "missing").
    for (let dir = posix.dirname(path), child = path; dir !== child; child = dir, dir = posix.dirname(dir)) {
      const parent = this.snapshot.entries.get(dir)
      if (!parent) continue
      if (parent.kind !== 'directory') return {state: 'missing'}
      if (dir === posix.dirname(path) && parent.entries && !parent.entries.includes(posix.basename(path))) return {state: 'missing'}
      break
    }
    return {state: 'unknown'}
  }

  private check(path: string): string {
    if (!posix.isAbsolute(path)) throw new Error(`host paths must be absolute: ${path}`)
    // Most paths are normal already; normalize() is a per-character walk on every read.
    return NOT_NORMAL.test(path) ? posix.normalize(path) : path
  }

  async readFile(p: string): Promise<string | null> {
    const path = this.check(p)
    const found = this.lookup(path)
    if (found.state === 'missing') return null
    if (found.state === 'unknown') {
      this.miss(path, 'read')
      return null
    }
    const entry = found.entry
    if (entry.kind === 'directory') throw new NotRegularFileError('a folder')
    if (entry.kind === 'other') throw new NotRegularFileError(entry.special ?? 'special file')
    if (entry.info && entry.info.size > MAX_CONFIG_BYTES) throw new TooLargeError(entry.info.size)
    if (entry.contentState === 'unreadable') throw errno('EACCES', 'permission denied, open', path)
    if (entry.content === undefined) {
      this.miss(path, 'read')
      return null
    }
    return decodedText(entry.content)
  }

  async stat(p: string): Promise<FileInfo | null> {
    const path = this.check(p)
    const found = this.lookup(path)
    if (found.state === 'known') return {...found.entry.info!}
    if (found.state === 'unknown') this.miss(path, 'stat')
    return null
  }

  async listDir(p: string): Promise<string[] | null> {
    const path = this.check(p)
    const found = this.lookup(path)
    let names: string[] | null
    if (found.state === 'known' && found.entry.kind === 'directory') {
      if (found.entry.listState === 'unreadable') throw errno('EACCES', 'permission denied, scandir', path)
      if (found.entry.entries === undefined) {
        this.miss(path, 'list')
        names = null
      } else names = [...found.entry.entries]
    } else if (found.state === 'unknown') {
      this.miss(path, 'list')
      names = null
    } else names = null
    return names === null ? null : names.sort()
  }

  /**
   * Version and unit queries the engines make, answered from the snapshot; anything else
   * would need a round trip of its own and is refused.
   */
  async exec(command: string, args: readonly string[]): Promise<ExecResult> {
    if (args.length === 1 && args[0] === '--version') {
      const v = this.snapshot.versions[command]
      if (v) return {exitCode: v.exitCode, stdout: v.output, stderr: ''}
      if (this.snapshot.commands[command] === null) return {exitCode: 127, stdout: '', stderr: `${command}: not found`}
      // Present but its version never asked for (versions are gathered only on demand): a miss,
      // answered as unknown until the next gather round brings it.
      if (typeof this.snapshot.commands[command] === 'string') {
        this.miss(command, 'version')
        return {exitCode: 127, stdout: '', stderr: `${command} --version: not gathered yet`}
      }
    }
    if (command === 'systemctl' && args.length === 2 && args[0] === 'is-active' && args[1]! in this.snapshot.units) {
      const state = this.snapshot.units[args[1]!]!
      return {exitCode: state === 'active' ? 0 : 3, stdout: `${state}\n`, stderr: ''}
    }
    throw new Error(`${this.name}: "${[command, ...args].join(' ')}" cannot be answered from the gathered snapshot`)
  }

  /** A snapshot is read-only: changes reach the host through SshHost/LocalHost applyWrites. */
  async applyWrites(): Promise<never> {
    throw new Error(`${this.name}: a snapshot host is read-only; changes go through SshHost.applyWrites`)
  }

}

/** Anything that can run GATHER_SCRIPT: an SshHost, or the local machine in tests. */
export interface Gatherer {
  readonly name: string
  gather(requests: readonly GatherRequest[], options: GatherFacts & {home?: string | undefined}): Promise<Snapshot>
}

export interface GatheredPlan<T> {
  host: SnapshotHost
  result: T
  /** Gather round trips made (1 when the first gather had everything). */
  rounds: number
  /** False when reads were still missing after the last round (the plan may rest on guesses). */
  complete: boolean
}

export const MAX_GATHER_ROUNDS = 3

/** Planning still read paths the host was never asked about after the last gather round. */
export class IncompleteGatherError extends Error {
  constructor(
    readonly host: string,
    readonly missed: readonly GatherRequest[],
  ) {
    const shown = missed.slice(0, 5).map((m) => m.path).join(', ')
    super(`${host}: planning kept reading paths not gathered after ${MAX_GATHER_ROUNDS} round trips (${shown}${missed.length > 5 ? ', ...' : ''}); nothing was planned from guesses`)
    this.name = 'IncompleteGatherError'
  }
}

/**
 * Gathers `initial` (default: candidateRequests(), what the engine modules read) with the
 * facts (with `units`, the units' states too: only reload planning reads them), runs the pure
 * `plan` on a fresh SnapshotHost, and while it read something the
 * snapshot lacked, gathers just those paths and plans again, at most maxRounds round trips.
 * With `snapshot` given (e.g. SshHost.snapshot after open()), the first gather is skipped.
 * Reads still unanswered after maxRounds throw IncompleteGatherError (a plan must not rest
 * on guesses), unless allowIncomplete is set: then `complete: false` says so.
 */
export async function gatherUntilComplete<T>(
  gatherer: Gatherer,
  plan: (host: SnapshotHost) => Promise<T>,
  options: {initial?: readonly GatherRequest[]; snapshot?: Snapshot; maxRounds?: number; allowIncomplete?: boolean; units?: boolean} = {},
): Promise<GatheredPlan<T>> {
  const maxRounds = options.maxRounds ?? MAX_GATHER_ROUNDS
  let rounds = 0
  let snapshot = options.snapshot
  if (!snapshot) {
    snapshot = await gatherer.gather(options.initial ?? candidateRequests(), {facts: true, units: options.units})
    rounds++
  }
  for (;;) {
    const host = new SnapshotHost(gatherer.name, snapshot)
    let result: T
    try {
      result = await plan(host)
    } catch (error) {
      // A read answered "missing" for want of data can make the plan fail (an explicitly
      // named file that "does not exist"): gather what it missed and plan again.
      if (host.missed.size === 0) throw error
      if (rounds >= maxRounds) throw new IncompleteGatherError(gatherer.name, host.missedRequests())
      snapshot = mergeSnapshots(snapshot, await gatherer.gather(host.missedRequests(), {facts: false, home: snapshot.env.HOME}))
      rounds++
      continue
    }
    if (host.missed.size === 0) return {host, result, rounds, complete: true}
    if (rounds >= maxRounds) {
      if (!options.allowIncomplete) throw new IncompleteGatherError(gatherer.name, host.missedRequests())
      return {host, result, rounds, complete: false}
    }
    const more = await gatherer.gather(host.missedRequests(), {facts: false, home: snapshot.env.HOME})
    rounds++
    snapshot = mergeSnapshots(snapshot, more)
  }
}
