import type {Host} from '../hosts/host.js'
import {backupFolder} from '../hosts/backup.js'
import type {ApplyRequest, ApplyResult} from '../hosts/write-plan.js'
import {LocalHost} from '../hosts/local-host.js'
import {runProbeScript, type ProbeAnswer, type ProbeRequest} from '../hosts/probe-script.js'
import type {HostPhase} from './progress.js'
import type {HostReloader} from './reload.js'

/** Requests made from the host itself (its curl, its routes), and the host's files as read. */
export interface HostProber {
  /** Read-only view of the host: the gathered files and environment (re-gathered on a miss). */
  readonly host: Host
  /** All requests in one round trip (PROBE_SCRIPT). */
  run(requests: readonly ProbeRequest[]): Promise<ProbeAnswer[]>
}

/**
 * How the fleet reaches one host. plan() hands the planner a read-only Host (this machine, a
 * --root tree, or an SSH snapshot gathered in one round trip, re-gathered for missed paths)
 * and apply() sends one ApplyRequest. The planner never knows which.
 */
export interface HostSession {
  readonly name: string
  /** Files live under a --root tree (not the host's real /). */
  readonly treeRoot: boolean
  plan<T>(planner: (host: Host) => Promise<T>, signal: AbortSignal): Promise<T>
  /** Backup folder as the host sees it (the existing rule: /var/lib/mirrorctl/backups for root). */
  backupDir(): string
  apply(request: ApplyRequest, signal: AbortSignal): Promise<ApplyResult>
  /** apply --reload: the snapshot's facts and a runner of fixed scripts; null where nothing runs (a --root tree). */
  reloader?(): HostReloader | null
  /** --verify, check and ratelimit per host: null where nothing runs (a --root tree). */
  prober?(): HostProber | null
  close(): Promise<void>
}

export interface SessionEvents {
  phase(host: string, phase: HostPhase): void
}

/** This machine, or a --root tree: reads and the apply script run here. */
export class LocalSession implements HostSession {
  readonly name: string
  private readonly host: LocalHost

  constructor(root: string | undefined) {
    this.host = new LocalHost(root)
    this.name = this.host.name
  }

  get treeRoot(): boolean {
    return this.host.root !== undefined
  }

  plan<T>(planner: (host: Host) => Promise<T>): Promise<T> {
    return planner(this.host)
  }

  backupDir(): string {
    return backupFolder(this.host, this.treeRoot)
  }

  apply(request: ApplyRequest): Promise<ApplyResult> {
    return this.host.applyWrites(request)
  }

  reloader(): HostReloader | null {
    if (this.treeRoot) return null
    // Not gathered here: the reload script checks systemctl and each unit itself.
    return {facts: {commands: null, units: {}}, run: (script, input) => this.runHere(script, input)}
  }

  prober(): HostProber | null {
    if (this.treeRoot) return null
    return {host: this.host, run: (requests) => runProbeScript((script, input) => this.runHere(script, input), requests)}
  }

  /** A fixed script under /bin/sh here, with this process's environment. */
  private async runHere(script: string, input: string): Promise<{exitCode: number; stdout: string; stderr: string}> {
    const {execa} = await import('execa')
    const r = await execa('/bin/sh', ['-c', script], {reject: false, input, env: this.host.env as NodeJS.ProcessEnv, extendEnv: false})
    return {exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr)}
  }

  async close(): Promise<void> {}
}
