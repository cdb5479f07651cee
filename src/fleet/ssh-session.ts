import {UserError} from '../core/errors.js'
import type {HostSession} from './session.js'
import type {FleetTarget} from './targets.js'

export interface SshSessionOptions {
  sshConfig: string | null
  acceptNewHostKeys: boolean
  timeoutSeconds: number
}

/** Placeholder until the SSH transport is merged. */
export class SshSession implements HostSession {
  readonly name: string
  readonly treeRoot = false
  constructor(target: FleetTarget, _options: SshSessionOptions) {
    this.name = target.name
  }
  plan<T>(): Promise<T> {
    throw new UserError('SSH transport not available')
  }
  backupDir(): string {
    return '/var/lib/mirrorctl/backups'
  }
  apply(): never {
    throw new UserError('SSH transport not available')
  }
  async close(): Promise<void> {}
}
