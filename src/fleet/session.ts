import type {Host} from '../hosts/host.js'
import {backupFolder} from '../hosts/backup.js'
import type {ApplyRequest, ApplyResult} from '../hosts/write-plan.js'
import {LocalHost} from '../hosts/local-host.js'
import type {HostPhase} from './progress.js'

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

  async close(): Promise<void> {}
}
