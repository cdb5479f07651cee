// Runs a command in a private mount namespace where /etc/resolv.conf points at
// 127.0.0.1 (nothing listens there, so every DNS lookup fails on this machine instead
// of leaving it), and optionally /etc/hosts and /etc/containers are test-owned files.
// The host's own /etc is never modified: the bind mounts vanish with the namespace.
//
// Paths and argv reach the inner shell only as environment variables and positional
// parameters, never spliced into the script text.
import {existsSync, mkdirSync, statSync, writeFileSync} from 'node:fs'
import {delimiter, dirname, isAbsolute, join} from 'node:path'
import {execa} from 'execa'
import {assertLoopback} from './ports.js'
import {requireRoot, requireTool} from './require-tools.js'
import {makeTempDir, removeTempDir} from './temp.js'

export interface IsolationOptions {
  /** Extra /etc/hosts entries, name -> loopback IP. When set, /etc/hosts is replaced. */
  hosts?: Record<string, string>
  /** A directory bound over /etc/containers (registries.conf, policy.json, certs.d ...). */
  containersDir?: string
  /** HOME inside; default: a fresh empty directory, removed afterwards. */
  home?: string
  /** Added to the clean environment (PATH, HOME, LANG). Nothing else is inherited. */
  env?: Record<string, string>
  cwd?: string
}

export interface IsolatedCommand {
  file: string
  args: string[]
  env: Record<string, string>
  /** Removes the generated resolv.conf/hosts/home; call after the process has exited. */
  cleanup(): void
}

export interface IsolatedResult {
  exitCode: number
  stdout: string
  stderr: string
  timedOut: boolean
}

// `options attempts:1 timeout:1` makes the (refused) lookups fail fast.
const RESOLV_CONF = [
  '# mirrorctl e2e: no name is ever looked up off this machine',
  'nameserver 127.0.0.1',
  'options timeout:1 attempts:1',
  '',
].join('\n')

const INNER_SCRIPT = `set -eu
mount --bind "$MIRRORCTL_ISO_RESOLV" /etc/resolv.conf
if [ -n "$MIRRORCTL_ISO_HOSTS" ]; then mount --bind "$MIRRORCTL_ISO_HOSTS" /etc/hosts; fi
if [ -n "$MIRRORCTL_ISO_CONTAINERS" ]; then mount --bind "$MIRRORCTL_ISO_CONTAINERS" /etc/containers; fi
unset MIRRORCTL_ISO_RESOLV MIRRORCTL_ISO_HOSTS MIRRORCTL_ISO_CONTAINERS
exec "$@"
`

const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

function checkPath(p: string, kind: 'file' | 'dir', what: string): void {
  if (!isAbsolute(p) || p.includes('\0')) throw new Error(`${what}: need an absolute path, got ${JSON.stringify(p)}`)
  const st = statSync(p, {throwIfNoEntry: false})
  if (!st || (kind === 'dir' ? !st.isDirectory() : !st.isFile())) {
    throw new Error(`${what}: ${p} is not an existing ${kind === 'dir' ? 'directory' : 'file'}`)
  }
}

function hostsFileText(hosts: Record<string, string>): string {
  const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost']
  for (const [name, ip] of Object.entries(hosts)) {
    if (!HOSTNAME_RE.test(name)) throw new Error(`hosts: bad name ${JSON.stringify(name)}`)
    assertLoopback(ip) // a name must never lead off this machine
    lines.push(`${ip} ${name}`)
  }
  return lines.join('\n') + '\n'
}

function cleanPath(): string {
  // node's own directory first so `node bin/run.js` works inside, then the system dirs.
  const dirs = [dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
  return [...new Set(dirs)].join(delimiter)
}

/** Builds the unshare invocation for `argv`; the caller spawns it and later calls cleanup(). */
export function isolate(argv: readonly string[], opts: IsolationOptions = {}): IsolatedCommand {
  if (argv.length === 0 || !argv[0]) throw new Error('isolate: empty argv')
  for (const a of argv) if (a.includes('\0')) throw new Error('isolate: NUL in argument')
  requireRoot('private mount namespaces (unshare -m) are used to fake /etc/resolv.conf')
  const unshare = requireTool('unshare')
  requireTool('mount')

  if (opts.containersDir !== undefined) {
    checkPath(opts.containersDir, 'dir', 'containersDir')
    if (!existsSync('/etc/containers')) {
      throw new Error('/etc/containers does not exist to bind over; install skopeo (scripts/install-test-deps.sh)')
    }
  }
  if (opts.home !== undefined) checkPath(opts.home, 'dir', 'home')
  if (opts.cwd !== undefined) checkPath(opts.cwd, 'dir', 'cwd')

  const scratch = makeTempDir('iso')
  try {
    const resolv = join(scratch, 'resolv.conf')
    writeFileSync(resolv, RESOLV_CONF)
    let hostsFile = ''
    if (opts.hosts !== undefined) {
      hostsFile = join(scratch, 'hosts')
      writeFileSync(hostsFile, hostsFileText(opts.hosts))
    }
    let home = opts.home
    if (home === undefined) {
      home = join(scratch, 'home')
      mkdirSync(home, {mode: 0o700})
    }
    const env: Record<string, string> = {
      PATH: cleanPath(),
      HOME: home,
      LANG: 'C.UTF-8',
      ...opts.env,
      MIRRORCTL_ISO_RESOLV: resolv,
      MIRRORCTL_ISO_HOSTS: hostsFile,
      MIRRORCTL_ISO_CONTAINERS: opts.containersDir ?? '',
    }
    for (const [k, v] of Object.entries(env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || v.includes('\0')) throw new Error(`isolate: bad env entry ${k}`)
    }
    return {
      file: unshare,
      // "sh" is $0 of the inner script; argv follows as "$@".
      args: ['--mount', '--propagation', 'private', '/bin/sh', '-c', INNER_SCRIPT, 'sh', ...argv],
      env,
      cleanup: () => removeTempDir(scratch),
    }
  } catch (err) {
    removeTempDir(scratch)
    throw err
  }
}

/** Runs `argv` isolated (see module comment) and collects its output; never throws on exit codes. */
export async function runIsolated(
  argv: readonly string[],
  opts: IsolationOptions & {timeoutMs?: number; input?: string} = {},
): Promise<IsolatedResult> {
  const cmd = isolate(argv, opts)
  try {
    const res = await execa(cmd.file, cmd.args, {
      env: cmd.env,
      extendEnv: false,
      cwd: opts.cwd,
      reject: false,
      timeout: opts.timeoutMs ?? 60_000,
      ...(opts.input !== undefined ? {input: opts.input} : {stdin: 'ignore' as const}),
      stripFinalNewline: false,
    })
    return {
      exitCode: res.exitCode ?? -1,
      stdout: String(res.stdout ?? ''),
      stderr: String(res.stderr ?? ''),
      timedOut: res.timedOut,
    }
  } finally {
    cmd.cleanup()
  }
}
