import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {selectHosts} from './host-pattern.js'
import {hostVars, type HostVars, type Inventory} from './inventory.js'

/** One host to act on, as the user named it plus how to reach it. Every field is validated. */
export interface FleetTarget {
  /** The inventory or --hosts name: how the host is named in every output. */
  name: string
  /** What ssh connects to (ansible_host, else the name, which ~/.ssh/config may map). */
  hostname: string
  port: number | null
  user: string | null
  identityFile: string | null
  /** Extra `-o Key=Value` options from ansible_ssh_common_args, already split and checked. */
  sshOptions: string[]
  /** Run the remote scripts through `sudo -n`. */
  become: boolean
}

/** Flags every fleet command shares (the values, after oclif parsing). */
export interface TargetFlags {
  hosts?: string | undefined
  inventory?: string | undefined
  limit?: string | undefined
  user?: string | undefined
  become?: boolean | undefined
}

const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/
// Options that make ssh run a local command or read more config: never from an inventory.
const FORBIDDEN_OPTIONS = new Set(['proxycommand', 'localcommand', 'permitlocalcommand', 'knownhostscommand', 'include', 'match', 'remotecommand', 'controlpath', 'controlmaster'])

function bad(what: string, value: string, where: string, hint: string): UserError {
  const shown = JSON.stringify(value)
  return new UserError(`${where}: invalid ${what} ${shown}`, {exitCode: ExitCode.Usage, rule: 'target-value', hint})
}

export function checkHostName(value: string, where: string): string {
  if (!HOST.test(value) || value.startsWith('-'))
    throw bad('host name', value, where, 'a host is a DNS name, an IP address or a name from ssh config: letters, digits, ".", "-", "_"; it never starts with "-"')
  return value
}

export function checkUser(value: string, where: string): string {
  if (!USER.test(value)) throw bad('user', value, where, 'a login name: letters, digits, "_", "-", "."; it never starts with "-"')
  return value
}

export function checkPort(value: string, where: string): number {
  const n = /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : NaN
  if (!(n >= 1 && n <= 65535)) throw bad('port', value, where, 'a port is a number from 1 to 65535')
  return n
}

export function checkIdentityFile(value: string, where: string): string {
  // eslint-disable-next-line no-control-regex
  if (!value || value.startsWith('-') || /[\u0000-\u001f\u007f]/.test(value) || value.includes('%'))
    throw bad('private key file', value, where, 'a path to a key file, not starting with "-", without control characters or "%"')
  return value
}

/** ansible_become: Ansible's boolean spellings. */
export function checkBool(value: string, where: string): boolean {
  const v = value.trim().toLowerCase()
  if (['true', 'yes', 'on', '1', 'y', 't'].includes(v)) return true
  if (['false', 'no', 'off', '0', 'n', 'f', ''].includes(v)) return false
  throw bad('boolean', value, where, 'use true or false')
}

/**
 * ansible_ssh_common_args: only `-o Key=Value` (or `-oKey=Value`) pairs, split on blanks with
 * quotes honoured; anything else — a bare word, another flag, an option that runs a local
 * command — is refused, so an inventory value can never turn into an ssh flag or a command.
 */
export function checkCommonArgs(value: string, where: string): string[] {
  const words: string[] = []
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g
  for (let m = re.exec(value); m; m = re.exec(value)) words.push(m[1] ?? m[2] ?? m[3]!)
  const options: string[] = []
  for (let i = 0; i < words.length; i++) {
    let opt: string
    if (words[i] === '-o' && i + 1 < words.length) opt = words[++i]!
    else if (words[i]!.startsWith('-o') && words[i]!.length > 2) opt = words[i]!.slice(2)
    else throw bad('ssh argument', words[i]!, where, 'ansible_ssh_common_args may only hold -o Key=Value options')
    const eq = /^([A-Za-z][A-Za-z0-9]*)[= ](.+)$/.exec(opt)
    // eslint-disable-next-line no-control-regex
    if (!eq || /[\u0000-\u001f\u007f]/.test(opt) || FORBIDDEN_OPTIONS.has(eq[1]!.toLowerCase()))
      throw bad('ssh option', opt, where, 'only plain -o Key=Value options; ProxyCommand, LocalCommand, Include, Match and control-socket options are refused (use ProxyJump or --ssh-config)')
    options.push(`${eq[1]}=${eq[2]}`)
  }
  return options
}

function fromVars(name: string, vars: HostVars, flags: TargetFlags, where: string): FleetTarget {
  const w = (v: string) => `${where}: host "${name}" ${v}`
  return {
    name: checkHostName(name, where),
    hostname: vars.ansible_host !== undefined ? checkHostName(vars.ansible_host, w('ansible_host')) : name,
    port: vars.ansible_port !== undefined ? checkPort(vars.ansible_port, w('ansible_port')) : null,
    user: flags.user !== undefined ? checkUser(flags.user, '--user') : vars.ansible_user !== undefined ? checkUser(vars.ansible_user, w('ansible_user')) : null,
    identityFile: vars.ansible_ssh_private_key_file !== undefined ? checkIdentityFile(vars.ansible_ssh_private_key_file, w('ansible_ssh_private_key_file')) : null,
    sshOptions: vars.ansible_ssh_common_args !== undefined ? checkCommonArgs(vars.ansible_ssh_common_args, w('ansible_ssh_common_args')) : [],
    become: flags.become === true || (vars.ansible_become !== undefined && checkBool(vars.ansible_become, w('ansible_become'))),
  }
}

/**
 * The hosts a command acts on, in order: --hosts names or the inventory's hosts, narrowed by
 * --limit. Returns null when no target flag was given (the command then acts on this machine).
 */
export function resolveTargets(flags: TargetFlags, inventory: Inventory | null): {targets: FleetTarget[]; warnings: string[]} | null {
  if (flags.hosts !== undefined && inventory)
    throw new UserError('give either --hosts or --inventory, not both', {hint: 'put the hosts in the inventory, or list them with --hosts'})
  if (flags.hosts === undefined && !inventory) {
    if (flags.limit !== undefined) throw new UserError('--limit needs --inventory or --hosts', {hint: 'for example --inventory hosts.ini --limit web'})
    return null
  }
  const warnings: string[] = []
  let targets: FleetTarget[]
  if (flags.hosts !== undefined) {
    const names = flags.hosts.split(',').map((h) => h.trim()).filter(Boolean)
    if (!names.length) throw new UserError('--hosts is empty', {hint: 'for example --hosts web1,web2'})
    targets = [...new Set(names)].map((n) => fromVars(n, {}, flags, '--hosts'))
  } else {
    const inv = inventory!
    targets = [...inv.hosts.keys()].map((n) => fromVars(n, hostVars(inv, n), flags, inv.file))
  }
  if (flags.limit !== undefined) {
    const fake: Inventory = inventory ?? {file: '--hosts', hosts: new Map(targets.map((t) => [t.name, {name: t.name, vars: {}, line: 0}])), groups: new Map([['all', {name: 'all', hosts: new Set(targets.map((t) => t.name)), children: new Set(), vars: {}}]])}
    const picked = selectHosts(fake, flags.limit)
    for (const u of picked.unmatched) warnings.push(`warning: --limit term "${u}" matches no host`)
    const keep = new Set(picked.hosts)
    targets = targets.filter((t) => keep.has(t.name))
  }
  if (!targets.length)
    throw new UserError(`no host matches${flags.limit !== undefined ? ` --limit ${JSON.stringify(flags.limit)}` : ''}`, {hint: 'check the group and host names in the inventory'})
  return {targets, warnings}
}
