import {readFile} from 'node:fs/promises'
import {UserError, unreadable} from '../core/errors.js'
import {MAX_CONFIG_BYTES} from '../core/limits.js'
import {parseSpec, type Spec} from '../policy/spec.js'
import {attachSpecCaFiles} from './ca-files.js'
import {parseInventory} from './inventory.js'
import {LocalSession, type HostSession} from './session.js'
import {resolveTargets, type FleetTarget} from './targets.js'

export interface FleetFlags {
  hosts?: string | undefined
  inventory?: string | undefined
  limit?: string | undefined
  'ssh-config'?: string | undefined
  user?: string | undefined
  become?: boolean | undefined
  'accept-new-host-keys'?: boolean | undefined
  timeout: number
  root?: string | undefined
  /** apply/rollback --reload: the hosts' first gather asks for the units' states (reload planning reads them). */
  reload?: boolean | undefined
}

async function readInput(file: string): Promise<string> {
  let text: Buffer
  try {
    text = await readFile(file)
  } catch (error) {
    throw unreadable(file, error)
  }
  if (text.length > MAX_CONFIG_BYTES) throw new UserError(`larger than ${MAX_CONFIG_BYTES} bytes`, {position: {file, line: null}, hint: 'give the spec or inventory file itself'})
  return text.toString('utf8')
}

/** The spec, with its CA files (and --ca-file) read and validated on this machine. */
export async function loadSpec(file: string, caFile?: string): Promise<Spec> {
  return attachSpecCaFiles(parseSpec(await readInput(file), file), caFile)
}

/**
 * The sessions a fleet command works on: one per target host over SSH, or this machine
 * (under --root when given) when no target flag is set. Every value is validated before
 * any connection is made.
 */
export async function openSessions(flags: FleetFlags): Promise<{sessions: HostSession[]; warnings: string[]; close: () => Promise<void>}> {
  const inventory = flags.inventory === undefined ? null : parseInventory(await readInput(flags.inventory), flags.inventory)
  const resolved = resolveTargets(flags, inventory)
  if (!resolved) {
    for (const f of ['ssh-config', 'user', 'become', 'accept-new-host-keys'] as const)
      if (flags[f] !== undefined && flags[f] !== false) throw new UserError(`--${f} needs --hosts or --inventory`, {hint: 'without targets the command acts on this machine'})
    return {sessions: [new LocalSession(flags.root)], warnings: [], close: async () => {}}
  }
  if (flags.root !== undefined) throw new UserError('--root acts on this machine; it cannot be combined with --hosts or --inventory', {hint: 'drop --root, or the target flags'})
  return {...(await sshSessions(resolved.targets, flags)), warnings: resolved.warnings}
}

async function sshSessions(targets: FleetTarget[], flags: FleetFlags): Promise<{sessions: HostSession[]; close: () => Promise<void>}> {
  const {SshSession, sshTargetOf} = await import('./ssh-session.js')
  const {SshControl} = await import('../hosts/ssh-host.js')
  const units = flags.reload === true
  const options = {sshConfig: flags['ssh-config'] ?? null, acceptNewHostKeys: flags['accept-new-host-keys'] === true, timeoutSeconds: flags.timeout, units}
  // Every target is validated before the first connection.
  const sshTargets = targets.map((t) => sshTargetOf(t, options))
  const control = await SshControl.create({units})
  return {sessions: sshTargets.map((t) => new SshSession(t, control, options)), close: () => control.close()}
}
