/**
 * One SSH target as a checked value, and the argv for the system's OpenSSH (pure).
 *
 * Everything here ends up as an argv element of `ssh`, never as shell text on this machine;
 * the remote side only ever runs a fixed script (remoteCommand) with data on stdin. Values
 * from inventories and flags are still refused when they could turn into an ssh option
 * (leading "-") or look like shell syntax, so a hostile inventory cannot run anything here
 * (ProxyCommand, LocalCommand ...) or on a host (RemoteCommand, a crafted user name).
 */
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'

export interface SshTarget {
  /** How the user named the host (inventory or --hosts name); every report uses it. */
  readonly name: string
  /** Where to connect (ansible_host); the name itself when absent, so ~/.ssh/config aliases work. */
  readonly hostname: string | null
  readonly port: number | null
  readonly user: string | null
  readonly identityFile: string | null
  /** Extra options as ["-o", "Key=Value", ...] (ansible_ssh_common_args, checked). */
  readonly sshOptions: readonly string[]
  /** Run the remote script as root through `sudo -n`. */
  readonly become: boolean
  /** ssh -F FILE (instead of ~/.ssh/config). */
  readonly sshConfig: string | null
  /** StrictHostKeyChecking=accept-new: first contact records the key; a changed key is still refused. */
  readonly acceptNewHostKeys: boolean
  readonly connectTimeoutSeconds: number
}

export interface SshTargetInput {
  name: string
  hostname?: string | null | undefined
  port?: number | string | null | undefined
  user?: string | null | undefined
  identityFile?: string | null | undefined
  /** ansible_ssh_common_args as written: split like a shell would, without expanding anything. */
  sshArgs?: string | readonly string[] | null | undefined
  become?: boolean | undefined
  sshConfig?: string | null | undefined
  acceptNewHostKeys?: boolean | undefined
  connectTimeoutSeconds?: number | undefined
}

export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10

/** A refused target value: exit 2, naming the host and the field. */
export class SshTargetError extends UserError {
  constructor(
    readonly host: string,
    readonly field: string,
    message: string,
    hint?: string,
  ) {
    super(`${host === '' ? 'host' : `host ${JSON.stringify(host)}`}: ${field} ${message}`, {exitCode: ExitCode.Usage, ...(hint ? {hint} : {})})
    this.name = 'SshTargetError'
  }
}

// Host names: DNS labels, underscores (ssh_config aliases), IPv4, IPv6 with an optional zone.
const HOSTNAME_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$/
const IPV6_RE = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[A-Za-z0-9_.-]+)?$/
const USER_RE = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/
const CONTROL_RE = /[\x00-\x1f\x7f]/

/** A host name or address that can only ever be a destination (no option, no shell syntax). */
export function isSafeHostname(value: string): boolean {
  return HOSTNAME_RE.test(value) || (IPV6_RE.test(value) && !value.startsWith('-'))
}

export function isSafeUser(value: string): boolean {
  return USER_RE.test(value)
}

function describeBad(value: string): string {
  if (value === '') return 'is empty'
  if (value.startsWith('-')) return 'starts with "-" (it would be read as an ssh option)'
  if (CONTROL_RE.test(value)) return 'contains a control character (newline, tab ...)'
  if (/\s/.test(value)) return 'contains whitespace'
  if (/['"`$;|&<>(){}\\*?!]/.test(value)) return `contains shell syntax (${JSON.stringify(value.match(/['"`$;|&<>(){}\\*?!]/)![0])})`
  return 'has characters that are not allowed'
}

function checkPath(host: string, field: string, value: string): string {
  if (value === '' || value.startsWith('-') || CONTROL_RE.test(value)) {
    throw new SshTargetError(host, field, `${JSON.stringify(value)} ${describeBad(value)}`)
  }
  return value
}

/** Validates every field; throws SshTargetError (exit 2) before anything runs. */
export function makeSshTarget(input: SshTargetInput): SshTarget {
  const name = input.name
  if (typeof name !== 'string' || !isSafeHostname(name)) {
    throw new SshTargetError('', 'name', `${JSON.stringify(name)} ${describeBad(String(name))}`, 'host names are letters, digits, ".", "-" and "_" (or an IP address)')
  }
  const hostname = input.hostname ?? null
  if (hostname !== null && !isSafeHostname(hostname)) {
    throw new SshTargetError(name, 'address (ansible_host)', `${JSON.stringify(hostname)} ${describeBad(hostname)}`, 'give a host name or an IP address')
  }
  const user = input.user ?? null
  if (user !== null && !isSafeUser(user)) {
    throw new SshTargetError(name, 'user', `${JSON.stringify(user)} ${describeBad(user)}`, 'user names are letters, digits, ".", "-", "_" and "@"')
  }
  let port: number | null = null
  if (input.port !== null && input.port !== undefined) {
    const text = String(input.port)
    if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
      throw new SshTargetError(name, 'port', `${JSON.stringify(text)} is not a port (1-65535)`)
    }
    port = Number(text)
  }
  const timeout = input.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600) {
    throw new SshTargetError(name, 'connect timeout', `${timeout} is not a whole number of seconds (1-3600)`)
  }
  const args = input.sshArgs ?? null
  const tokens = args === null ? [] : typeof args === 'string' ? splitShellWords(args, name) : [...args]
  return {
    name,
    hostname,
    port,
    user,
    identityFile: input.identityFile ? checkPath(name, 'identity file', input.identityFile) : null,
    sshOptions: checkSshOptions(tokens, name),
    become: input.become ?? false,
    sshConfig: input.sshConfig ? checkPath(name, 'ssh config file', input.sshConfig) : null,
    acceptNewHostKeys: input.acceptNewHostKeys ?? false,
    connectTimeoutSeconds: timeout,
  }
}

/**
 * Splits a command-line string into words as sh would (quotes, backslashes), without
 * expanding anything: "$(id)" stays text and is then refused by the option check.
 */
export function splitShellWords(text: string, host = ''): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end < 0) throw new SshTargetError(host, 'ssh arguments', 'have an unterminated single quote')
      word += text.slice(i + 1, end)
      inWord = true
      i = end
    } else if (c === '"') {
      i++
      for (; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) i++
        word += text[i]
      }
      if (i >= text.length) throw new SshTargetError(host, 'ssh arguments', 'have an unterminated double quote')
      inWord = true
    } else if (c === '\\') {
      if (i + 1 < text.length) word += text[++i]
      inWord = true
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (inWord) words.push(word)
  return words
}

/**
 * ssh options a target may add (ansible_ssh_common_args), lower-cased. Everything else is
 * refused: options that run commands (ProxyCommand, LocalCommand, KnownHostsCommand,
 * RemoteCommand, PKCS11Provider ...), that weaken host key checks (StrictHostKeyChecking),
 * that mirrorctl owns (BatchMode, Control*), or that open forwardings or send environment.
 */
export const ALLOWED_SSH_OPTIONS: ReadonlySet<string> = new Set(
  [
    'AddressFamily', 'BindAddress', 'BindInterface', 'CASignatureAlgorithms', 'CertificateFile', 'CheckHostIP',
    'Ciphers', 'Compression', 'ConnectionAttempts', 'ConnectTimeout', 'FingerprintHash', 'GlobalKnownHostsFile',
    'GSSAPIAuthentication', 'GSSAPIDelegateCredentials', 'HashKnownHosts', 'HostKeyAlgorithms', 'HostKeyAlias',
    'IdentitiesOnly', 'IdentityAgent', 'IdentityFile', 'IPQoS', 'KexAlgorithms', 'LogLevel', 'MACs',
    'PreferredAuthentications', 'ProxyJump', 'PubkeyAcceptedAlgorithms', 'PubkeyAcceptedKeyTypes',
    'PubkeyAuthentication', 'RekeyLimit', 'ServerAliveCountMax', 'ServerAliveInterval', 'TCPKeepAlive',
    'UpdateHostKeys', 'UserKnownHostsFile', 'VerifyHostKeyDNS',
  ].map((k) => k.toLowerCase()),
)

/** Checks ["-o", "K=V"] / ["-oK=V"] words; returns them as ["-o", "K=V", ...]. */
export function checkSshOptions(words: readonly string[], host = ''): string[] {
  const out: string[] = []
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!
    let option: string
    if (word === '-o') {
      if (i + 1 >= words.length) throw new SshTargetError(host, 'ssh arguments', '"-o" needs a Key=Value after it')
      option = words[++i]!
    } else if (word.startsWith('-o') && word.length > 2) {
      option = word.slice(2)
    } else {
      throw new SshTargetError(host, 'ssh arguments', `${JSON.stringify(word)} is not accepted; only -o Key=Value options are`, 'for example: -o ServerAliveInterval=30')
    }
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.+)$/s.exec(option)
    if (!m) throw new SshTargetError(host, 'ssh arguments', `-o ${JSON.stringify(option)} is not of the form Key=Value`)
    const key = m[1]!
    const value = m[2]!
    if (!ALLOWED_SSH_OPTIONS.has(key.toLowerCase())) {
      throw new SshTargetError(host, 'ssh arguments', `-o ${key} is not accepted (it could run commands, weaken host key checks, or clash with mirrorctl's own connection options)`, `accepted: ${[...ALLOWED_SSH_OPTIONS].join(', ')}`)
    }
    if (CONTROL_RE.test(value) || value.startsWith('-') || /[`$;|&<>(){}'"\\]/.test(value)) {
      throw new SshTargetError(host, 'ssh arguments', `-o ${key}: the value ${JSON.stringify(value)} ${describeBad(value)}`)
    }
    if (key.toLowerCase() === 'proxyjump') {
      for (const hop of value.split(',')) {
        const h = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(hop)
        const hopHost = h?.[2]?.replace(/^\[|\]$/g, '')
        if (!h || !hopHost || !isSafeHostname(hopHost) || (h[1] !== undefined && !isSafeUser(h[1]))) {
          throw new SshTargetError(host, 'ssh arguments', `-o ProxyJump: ${JSON.stringify(hop)} is not [user@]host[:port]`)
        }
      }
    }
    out.push('-o', `${key}=${value}`)
  }
  return out
}

/** Quotes one word for a POSIX shell: the only way text reaches the remote command line. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/**
 * The remote command: the fixed script under `sh -c` (run by the login shell, which must be
 * POSIX-like), as root through `sudo -n` when become is set. Data travels on stdin only.
 */
export function remoteCommand(script: string, become: boolean): string {
  return `${become ? 'sudo -n -- ' : ''}sh -c ${shellQuote(script)}`
}

/** Options of the one ssh process per target (ssh-channel.ts). */
function connectionOptions(target: SshTarget): string[] {
  // ssh keeps the first value it sees for an option: these come before anything the
  // target or a config file could say. ControlPath=none: the channel is the only session,
  // so no master of the user's own ssh_config is joined (or started).
  const argv = [
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${target.connectTimeoutSeconds}`,
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    '-o', 'ClearAllForwardings=yes',
  ]
  if (target.acceptNewHostKeys) argv.push('-o', 'StrictHostKeyChecking=accept-new')
  if (target.sshConfig) argv.push('-F', target.sshConfig)
  if (target.port !== null) argv.push('-p', String(target.port))
  if (target.user !== null) argv.push('-l', target.user)
  if (target.identityFile) argv.push('-i', target.identityFile)
  argv.push(...target.sshOptions)
  return argv
}

export function destination(target: SshTarget): string {
  return target.hostname ?? target.name
}

/** argv (after "ssh") that runs `script` on the target with stdin as its data. */
export function sshArgv(target: SshTarget, script: string): string[] {
  // -T: no terminal (stdin is data); -a -x: no agent or X11 forwarding to a host we only script.
  return [...connectionOptions(target), '-T', '-a', '-x', '--', destination(target), remoteCommand(script, target.become)]
}
