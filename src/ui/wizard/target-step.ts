import type {FleetFlags} from '../../fleet/setup.js'
import type {TargetAnswer, TargetKind} from './answers.js'
import type {Prompter} from './prompter.js'
import {validateDirectory, validateFile, validateHosts, validateUser} from './validate.js'

/** Step 1: where to apply. The answers become the fleet flags `apply --spec` takes. */
export async function askTarget(p: Prompter, base: Pick<FleetFlags, 'timeout'>): Promise<TargetAnswer> {
  const kind = await p.select<TargetKind>('Where should the mirrors be configured?', [
    {name: 'This machine', value: 'local', description: "the engines' files under / (run as root to write them)"},
    {name: 'A folder holding a system tree (--root)', value: 'root', description: 'an image build, a chroot, a mounted disk'},
    {name: 'Hosts over SSH, by name', value: 'hosts', description: 'names from ~/.ssh/config work as they are'},
    {name: 'Hosts from an Ansible inventory', value: 'inventory', description: 'INI or YAML; groups and --limit patterns'},
  ])
  const flags: FleetFlags = {timeout: base.timeout}
  if (kind === 'root') flags.root = (await p.input('Folder of the system tree:', {validate: validateDirectory})).trim()
  if (kind === 'hosts') flags.hosts = (await p.input('Hosts (comma-separated):', {validate: validateHosts})).trim()
  if (kind === 'inventory') {
    flags.inventory = (await p.input('Inventory file:', {validate: validateFile(false)})).trim()
    const limit = (await p.input('Limit to a group or pattern (empty: every host):', {default: ''})).trim()
    if (limit) flags.limit = limit
  }
  if (kind === 'hosts' || kind === 'inventory') {
    const sshConfig = (await p.input('ssh client config file (empty: ~/.ssh/config):', {default: '', validate: validateFile(true)})).trim()
    if (sshConfig) flags['ssh-config'] = sshConfig
    const user = (await p.input('Login user (empty: from ssh config or the inventory):', {default: '', validate: validateUser})).trim()
    if (user) flags.user = user
    if (await p.confirm('Run the changes through sudo -n (the login is not root)?', false)) flags.become = true
  }
  return {kind, flags}
}

/** The target given on the command line, when any target flag was set. */
export function targetFromFlags(flags: FleetFlags): TargetAnswer | null {
  if (flags.hosts !== undefined) return {kind: 'hosts', flags}
  if (flags.inventory !== undefined) return {kind: 'inventory', flags}
  if (flags.root !== undefined) return {kind: 'root', flags}
  return null
}
