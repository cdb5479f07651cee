/**
 * Turns a failed ssh call into one clear per-host reason (pure). OpenSSH exits 255 for its
 * own failures and prints a line on stderr; sudo -n exits 1 with "a password is required".
 */
export type SshFailureKind =
  | 'connection-refused'
  | 'unknown-host-key'
  | 'host-key-changed'
  | 'auth-failed'
  | 'sudo-password'
  | 'sudo-missing'
  | 'timeout'
  | 'unresolvable'
  | 'unreachable'
  | 'connection-lost'
  | 'remote-failed'

export interface SshFailure {
  kind: SshFailureKind
  /** One line for the summary table and --json "reason". */
  reason: string
}

/** A failed transport call: the host is reported as failed with `reason`. */
export class SshError extends Error {
  constructor(
    readonly host: string,
    readonly kind: SshFailureKind,
    readonly reason: string,
    readonly stderr = '',
  ) {
    super(`${host}: ${reason}`)
    this.name = 'SshError'
  }
}

/** The last meaningful stderr line (warnings such as "Permanently added" are skipped). */
function lastLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^Warning: Permanently added/.test(l) && !/^@+$/.test(l))
  return (lines.at(-1) ?? '').slice(0, 300)
}

/**
 * What went wrong, from ssh's exit code and stderr. `timedOut` is our own per-host timeout.
 * Returns null when the remote script itself ran and failed in a way its caller explains.
 */
export function classifySshFailure(exitCode: number | null, stderr: string, timedOut = false): SshFailure | null {
  if (timedOut) return {kind: 'timeout', reason: 'timed out (no answer within the per-host timeout)'}
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/.test(stderr)) {
    return {kind: 'host-key-changed', reason: 'host key does not match known_hosts (possible man-in-the-middle); fix known_hosts after checking the new key — --accept-new-host-keys does not override a changed key'}
  }
  if (/Host key verification failed|No (?:[A-Z0-9-]+ )?host key is known for/.test(stderr)) {
    return {kind: 'unknown-host-key', reason: 'host key is not in known_hosts; verify it and add it, or allow first contact with --accept-new-host-keys'}
  }
  if (/Connection refused/.test(stderr)) return {kind: 'connection-refused', reason: 'connection refused (is sshd running on that address and port?)'}
  if (/Connection timed out|Operation timed out|timed out during banner exchange/.test(stderr)) {
    return {kind: 'timeout', reason: 'connection timed out (host down or port filtered)'}
  }
  if (/Could not resolve hostname|Name or service not known|Temporary failure in name resolution/.test(stderr)) {
    return {kind: 'unresolvable', reason: `cannot resolve the host name (${lastLine(stderr)})`}
  }
  if (/No route to host|Network is unreachable/.test(stderr)) return {kind: 'unreachable', reason: `host unreachable (${lastLine(stderr)})`}
  if (/Permission denied \(|Too many authentication failures|no mutual signature algorithm/.test(stderr)) {
    return {kind: 'auth-failed', reason: 'authentication failed (key not accepted for that user; check --user and the identity file)'}
  }
  if (/sudo: (?:a password is required|a terminal is required)|is not in the sudoers file|may not run sudo/.test(stderr)) {
    return {kind: 'sudo-password', reason: 'sudo needs a password for this user (become uses sudo -n); allow NOPASSWD for it or log in as root'}
  }
  if (/sudo: (?:command )?not found|sudo: No such file/.test(stderr)) {
    return {kind: 'sudo-missing', reason: 'sudo is not installed on the host (needed for --become)'}
  }
  if (exitCode === 255) {
    if (/Connection (?:closed|reset)|Broken pipe|closed by remote host/.test(stderr)) {
      return {kind: 'connection-lost', reason: `connection lost (${lastLine(stderr)})`}
    }
    return {kind: 'connection-lost', reason: `ssh failed: ${lastLine(stderr) || 'exit 255 without a message'}`}
  }
  if (exitCode === 127 && /sh: .*not found/.test(stderr)) return {kind: 'remote-failed', reason: `the host lacks a command mirrorctl needs (${lastLine(stderr)})`}
  return null
}
