import {backupFolder} from '../hosts/backup.js'
import {candidateRequests} from '../hosts/gather-candidates.js'
import type {Host} from '../hosts/host.js'
import {gatherUntilComplete} from '../hosts/snapshot-host.js'
import {SshControl, SshHost} from '../hosts/ssh-host.js'
import {makeSshTarget, type SshTarget} from '../hosts/ssh-target.js'
import type {ApplyRequest, ApplyResult} from '../hosts/write-plan.js'
import {runProbeScript} from '../hosts/probe-script.js'
import type {HostReloader} from './reload.js'
import type {HostProber, HostSession} from './session.js'
import type {FleetTarget} from './targets.js'

export interface SshSessionOptions {
  sshConfig: string | null
  acceptNewHostKeys: boolean
  timeoutSeconds: number
  /** The run plans reloads (apply/rollback --reload): the first gather asks for the units' states too. */
  units?: boolean
}

/** The transport's own validation runs too (a second check before anything reaches ssh). */
export function sshTargetOf(t: FleetTarget, options: SshSessionOptions): SshTarget {
  return makeSshTarget({
    name: t.name,
    hostname: t.hostname === t.name ? null : t.hostname,
    port: t.port,
    user: t.user,
    identityFile: t.identityFile,
    sshArgs: t.sshOptions.flatMap((o) => ['-o', o]),
    become: t.become,
    sshConfig: options.sshConfig,
    acceptNewHostKeys: options.acceptNewHostKeys,
    connectTimeoutSeconds: Math.min(options.timeoutSeconds, 30),
  })
}

/**
 * One host over OpenSSH: plan() gathers every fact in one round trip (one more per missed
 * path, bounded) and plans on the snapshot; apply() sends the whole change in one more.
 * All sessions of a run share one SshControl: each host costs one ssh process, one login
 * and one sudo, and every call (gather, apply, reload, verify, canary) is a request on it.
 */
export class SshSession implements HostSession {
  readonly name: string
  readonly treeRoot = false
  private readonly calls: {timeoutMs: number; signal?: AbortSignal} = {timeoutMs: 0}
  private readonly host: SshHost
  private readonly units: boolean

  constructor(target: SshTarget, control: SshControl, options: SshSessionOptions) {
    this.name = target.name
    this.calls.timeoutMs = options.timeoutSeconds * 1000
    this.host = new SshHost(target, control, this.calls)
    this.units = options.units === true
  }

  async plan<T>(planner: (host: Host) => Promise<T>, signal: AbortSignal): Promise<T> {
    this.calls.signal = signal
    return (await gatherUntilComplete(this.host, planner, {initial: candidateRequests(), units: this.units})).result
  }

  backupDir(): string {
    return backupFolder(this.host, false)
  }

  apply(request: ApplyRequest, signal: AbortSignal): Promise<ApplyResult> {
    this.calls.signal = signal
    return this.host.applyWrites(request)
  }

  /** Without the units gathered (no --reload) their states are unknown: the reload script checks each on the host. */
  reloader(): HostReloader {
    const {commands, units} = this.host.snapshot
    return {facts: {commands, units}, run: (script, input) => this.host.runScript(script, input)}
  }

  prober(): HostProber {
    return {host: this.host, run: (requests) => runProbeScript((script, input) => this.host.runScript(script, input), requests)}
  }

  async close(): Promise<void> {}
}
