/**
 * A remote machine as a Host, through the system's OpenSSH. Each host costs one ssh process,
 * one login and one sudo for the whole run: a channel (ssh-channel.ts) running a small sh
 * runner as root, on which every call is a request. Two kinds of call exist, both a fixed
 * script (on the runner's command line already) with the data on stdin:
 *
 *   gather       GATHER_SCRIPT: a snapshot of every path and fact asked for (reads are
 *                answered from it; a read it lacks costs one more gather)
 *   applyWrites  APPLY_SCRIPT: the edit-core write path (lock, compare, backup, atomic
 *                write, re-read), its result parsed back
 *
 * Failures become SshError with a per-host reason (connection refused, host key, auth,
 * sudo, timeout); a command never needs to parse ssh's stderr itself.
 *
 * Use (one run over many hosts):
 *
 *   const control = await SshControl.create()              // once per run; close() ends the channels
 *   const target = makeSshTarget({name, hostname, port, user, identityFile, sshArgs, become,
 *                                 sshConfig, acceptNewHostKeys})  // throws SshTargetError (exit 2)
 *   const host = new SshHost(target, control, {timeoutMs, signal})
 *   const {host: view, result, complete} = await gatherUntilComplete(host, plan)  // 1 round trip usually
 *   // plan(view) reads through `view` (a SnapshotHost; the fleet's OverlayHost on top composes
 *   // planned changes); complete === false: the plan rests on reads never answered -> fail the host.
 *   const applied = await host.applyWrites({writes, backupDir, keep}) // 1 round trip
 *   // SshError (kind, reason) and ApplyScriptError are per-host failures; others are bugs.
 *   await control.close()
 */
import {posix} from 'node:path'
import {HOST_LOCK_PATH} from '../core/limits.js'
import {APPLY_SCRIPT} from './apply-script.js'
import {decodeApplyResult, encodeApplyRequest} from './apply-manifest.js'
import {candidateRequests} from './gather-candidates.js'
import {decodeGatherOutput, GatherFormatError} from './gather-decode.js'
import {encodeGatherRequest, GATHER_SCRIPT, type GatherFacts} from './gather-script.js'
import type {ExecResult, FileInfo, Host} from './host.js'
import {classifySshFailure, SshError} from './ssh-errors.js'
import {HOST_RUNNER_SCRIPTS, hostRunner, hostRunnerInputs} from './runner-script.js'
import {SshChannel} from './ssh-channel.js'
import {sshArgv, type SshTarget} from './ssh-target.js'
import {SnapshotHost, type Gatherer} from './snapshot-host.js'
import {emptySnapshot, mergeSnapshots, type GatherRequest, type Snapshot} from './snapshot.js'
import type {ApplyRequest, ApplyResult} from './write-plan.js'

/** Default per-call limit; the fleet passes its --timeout. */
export const DEFAULT_SSH_CALL_TIMEOUT_MS = 120_000

export interface SshCallResult {
  exitCode: number
  /** Empty with `bytes`: the output is then in stdoutBytes only. */
  stdout: string
  stderr: string
  /** With `bytes`: stdout as it came (the gather's raw content). */
  stdoutBytes?: Buffer
}

/** Open channels past this many: the least recently used idle one is ended first (3 pipes each). */
const MAX_OPEN_CHANNELS = 256

/**
 * The channels of one mirrorctl run, one per target (connection options included). A channel
 * that failed stays: later calls to that target fail with the same SshError. One ended on
 * purpose (idle, or the least recently used past MAX_OPEN_CHANNELS) is replaced by a new one
 * on the next call. close() ends them all.
 */
export class SshControl {
  private readonly channels = new Map<string, SshChannel>()

  private constructor(
    readonly ssh: string,
    private readonly maxOpen: number,
    /** The first gathers ask for the units (a reload run): that request is the one on the runner's command line. */
    private readonly units: boolean,
  ) {}

  static async create(options: {ssh?: string; maxOpenChannels?: number; units?: boolean} = {}): Promise<SshControl> {
    return new SshControl(options.ssh ?? 'ssh', options.maxOpenChannels ?? MAX_OPEN_CHANNELS, options.units === true)
  }

  /** Runs `script` on the target with `input` on stdin. Throws SshError when ssh itself failed. */
  async run(target: SshTarget, script: string, input: string, options: {timeoutMs?: number; signal?: AbortSignal; bytes?: boolean} = {}): Promise<SshCallResult> {
    const key = JSON.stringify(target)
    let channel = this.channels.get(key)
    if (!channel || channel.retired) {
      this.makeRoom()
      channel = new SshChannel(target.name, this.ssh, sshArgv(target, hostRunner(this.units)), HOST_RUNNER_SCRIPTS, {inputs: hostRunnerInputs(this.units)})
      this.channels.set(key, channel)
    }
    const result = await channel.request(script, input, {timeoutMs: options.timeoutMs ?? DEFAULT_SSH_CALL_TIMEOUT_MS, signal: options.signal, bytes: options.bytes})
    // The script's own failure reads like a one-shot ssh call's did (sh: ...: not found, sudo ...).
    const failure = result.exitCode === 0 ? null : classifySshFailure(result.exitCode, result.stderr)
    if (failure) throw new SshError(target.name, failure.kind, failure.reason, result.stderr)
    return result
  }

  /** How many targets have a channel (open, or failed). */
  get size(): number {
    return this.channels.size
  }

  private makeRoom(): void {
    const open = [...this.channels.values()].filter((c) => !c.closed && !c.retired)
    if (open.length < this.maxOpen) return
    const idle = open.filter((c) => c.idle).sort((a, b) => a.lastUsed - b.lastUsed)
    for (const c of idle.slice(0, open.length - this.maxOpen + 1)) void c.close()
  }

  /** Ends every channel (stdin closed: the runner, sudo and ssh exit) and waits for them. */
  async close(): Promise<void> {
    const all = [...this.channels.values()]
    this.channels.clear()
    await Promise.all(all.map((c) => c.close()))
  }
}

/**
 * Host over SSH. Call gather() (or open()) first: env, isRoot and every read come from the
 * snapshot. A read the snapshot lacks is gathered on demand (one round trip for that path);
 * plans should use gatherUntilComplete(host, ...) so that costs one round trip in total.
 */
export class SshHost implements Host, Gatherer {
  readonly name: string
  /** Requests made so far (gathers and applies). */
  roundTrips = 0
  private snapshotData: Snapshot | null = null

  constructor(
    readonly target: SshTarget,
    readonly control: SshControl,
    readonly options: {timeoutMs?: number; signal?: AbortSignal} = {},
  ) {
    this.name = target.name
  }

  /** Gathers the usual candidate paths and the facts (with `units`, the units' states too); the host then answers reads. */
  async open(requests: readonly GatherRequest[] = candidateRequests(), options: {units?: boolean} = {}): Promise<this> {
    await this.gather(requests, {facts: true, units: options.units})
    return this
  }

  get snapshot(): Snapshot {
    if (!this.snapshotData) throw new Error(`${this.name}: gather() first: the host has no snapshot yet`)
    return this.snapshotData
  }

  /** One round trip: GATHER_SCRIPT with `requests`; the answer is merged into this host's snapshot. */
  async gather(requests: readonly GatherRequest[], options: GatherFacts & {home?: string | undefined}): Promise<Snapshot> {
    const home = options.home ?? this.snapshotData?.env.HOME
    let snapshot: Snapshot
    // A file that changed size mid-gather (GatherRaceError) is gathered once more.
    for (let attempt = 1; ; attempt++) {
      // Its content is raw file bytes: the answer is taken as bytes, never as UTF-8 text.
      const r = await this.runScript(GATHER_SCRIPT, encodeGatherRequest(requests, options), {bytes: true})
      if (r.exitCode !== 0) {
        const why = r.stderr.trim().split('\n').at(-1) || `exit ${r.exitCode} without a message`
        throw new SshError(this.name, 'remote-failed', `gathering failed: ${why}`, r.stderr)
      }
      try {
        snapshot = decodeGatherOutput(r.stdoutBytes ?? Buffer.from(r.stdout), requests, {home})
        break
      } catch (error) {
        if (error instanceof GatherFormatError && error.retryable && attempt === 1) continue
        if (error instanceof GatherFormatError) throw new SshError(this.name, 'remote-failed', `${error.message}${r.stderr ? ` (${r.stderr.trim().split('\n').at(-1)})` : ''}`, r.stderr)
        throw error
      }
    }
    this.snapshotData = mergeSnapshots(this.snapshotData ?? emptySnapshot(), snapshot)
    return snapshot
  }

  /**
   * One round trip running a fixed script (never text built from data) with `input` on
   * stdin, as root with become. For later fixed scripts (reload, verify) as well: a script
   * the runner lacks is sent once per host.
   */
  async runScript(script: string, input: string, options: {bytes?: boolean} = {}): Promise<SshCallResult> {
    this.roundTrips++
    return this.control.run(this.target, script, input, options.bytes ? {...this.options, bytes: true} : this.options)
  }

  get env(): Readonly<Record<string, string | undefined>> {
    return this.snapshot.env
  }

  get isRoot(): boolean {
    return this.snapshot.uid === 0
  }

  /** Answers from the snapshot; a miss gathers that one path and answers again. */
  private async read<T>(fn: (view: SnapshotHost) => Promise<T>): Promise<T> {
    const view = new SnapshotHost(this.name, this.snapshot)
    const value = await fn(view)
    if (view.missed.size === 0) return value
    await this.gather(view.missedRequests(), {facts: false})
    return fn(new SnapshotHost(this.name, this.snapshot))
  }

  readFile(path: string): Promise<string | null> {
    return this.read((v) => v.readFile(path))
  }

  stat(path: string): Promise<FileInfo | null> {
    return this.read((v) => v.stat(path))
  }

  listDir(path: string): Promise<string[] | null> {
    return this.read((v) => v.listDir(path))
  }

  /** Version and unit queries from the snapshot (a version not gathered yet costs one gather); nothing else runs on the host. */
  exec(command: string, args: readonly string[]): Promise<ExecResult> {
    return this.read((v) => v.exec(command, args))
  }

  /**
   * The lock APPLY_SCRIPT takes: HOST_LOCK_PATH as root (with become too); a login without
   * root edits only its own files and cannot create /run/lock files, so it uses a per-user
   * lock below XDG_RUNTIME_DIR, else its state folder (the choice LocalHost makes).
   */
  lockPath(): string {
    if (this.isRoot) return HOST_LOCK_PATH
    const env = this.env
    const absolute = (v: string | undefined) => (v && posix.isAbsolute(v) ? v : null)
    const runtime = absolute(env.XDG_RUNTIME_DIR)
    if (runtime) return posix.join(runtime, 'mirrorctl.lock')
    const state = absolute(env.XDG_STATE_HOME) ?? posix.join(absolute(env.HOME) ?? '/tmp', '.local/state')
    return posix.join(state, 'mirrorctl/mirrorctl.lock')
  }

  /** One round trip: APPLY_SCRIPT with the request on stdin; written files update the snapshot. */
  async applyWrites(request: ApplyRequest): Promise<ApplyResult> {
    const input = encodeApplyRequest(request, {lockPath: this.lockPath()})
    // A refused request (lock timeout, bad manifest) exits 3 and says why on stdout:
    // decodeApplyResult turns that into an ApplyScriptError.
    const r = await this.runScript(APPLY_SCRIPT, input)
    // Skip anything a login shell's rc file printed before the script's own lines: the
    // script's header is the last line of that form (its result lines are "lock"/"file").
    const headers = [...r.stdout.matchAll(/^mirrorctl-apply-(?:result|error) /gm)]
    const result = decodeApplyResult(r.stdout.slice(headers.at(-1)?.index ?? 0))
    for (const [i, outcome] of result.files.entries()) {
      const write = request.writes[i]
      if (!write || (outcome.status !== 'written' && outcome.status !== 'unchanged')) continue
      const old = this.snapshot.entries.get(write.path)
      if (write.content === null) {
        this.snapshot.entries.set(write.path, {kind: 'missing', info: null, linkTarget: null})
        continue
      }
      const content = Buffer.from(write.content, 'utf8')
      const base = old?.info ?? {kind: 'file' as const, mode: write.mode, uid: this.snapshot.uid ?? 0, gid: 0}
      this.snapshot.entries.set(write.path, {kind: 'file', info: {...base, kind: 'file', size: content.length}, linkTarget: old?.linkTarget ?? null, content, contentState: 'ok'})
    }
    return result
  }
}
