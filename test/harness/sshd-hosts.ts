// N real OpenSSH servers on loopback, each a little "host" in its own mount namespace:
// its own /etc/containers, /etc/docker, /etc/containerd, /etc/rancher, /etc/systemd/system, /var/lib/mirrorctl,
// /run/lock, /tmp, /var/log, /home, /root, users (/etc/passwd, /etc/shadow, /etc/group,
// /etc/sudoers.d) and /etc/resolv.conf -> 127.0.0.1. Every one of those is a bind mount
// of a per-host folder, so a test reads and writes a host's files as plain local paths
// (host.path('/etc/docker/daemon.json')), and nothing the hosts do reaches the machine.
//
// The base folder lives under /var/tmp, not /tmp: /tmp is one of the folders each host
// gets its own copy of, and a base below it would be hidden by that bind mount.
import {execFileSync} from 'node:child_process'
import {chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {dirname, join, posix} from 'node:path'
import {freePort} from './ports.js'
import {logTail, startDaemon, waitFor, type Daemon} from './proc.js'
import {requireRoot, requireTools} from './require-tools.js'
import {keepArtifacts} from './temp.js'

/** The folders every host has to itself (bind mounts of hostDir + the same path). */
export const HOST_FOLDERS = ['/etc/containers', '/etc/docker', '/etc/containerd', '/etc/rancher', '/etc/systemd/system', '/var/lib/mirrorctl', '/run/lock', '/home', '/root', '/tmp', '/var/log'] as const
export type HostFolder = (typeof HOST_FOLDERS)[number]

export interface SshHostOptions {
  /** Never started: connecting gives "connection refused" (its port is reserved, nothing listens). */
  down?: boolean
  /** Folders bound read-only (EROFS on write), e.g. ['/etc/docker']. */
  readOnly?: HostFolder[]
  /** A tiny tmpfs for this folder, filled to the last block after its starting files were copied in (ENOSPC on write). */
  fullDisk?: '/etc/docker' | '/etc/containers'
  /** The login user may `sudo -n` (default true). false: sudo asks for a password, so `sudo -n` fails. */
  sudo?: boolean
  /** Leave this host out of the client's known_hosts (first contact needs accept-new). */
  unknownHostKey?: boolean
  /** The login user's shell (default /bin/sh); /bin/bash reads ~/.bashrc even for `ssh host cmd`. */
  shell?: string
  /** This host's own /etc/hosts (name -> loopback IP) instead of the machine's. */
  etcHosts?: Record<string, string>
}

export interface StartSshHostsOptions {
  /** Options per host index (0-based), or one function for all. */
  hosts?: SshHostOptions[] | ((index: number) => SshHostOptions)
  /** Host names in ssh_config: `${prefix}${i + 1}` (default "h"). */
  namePrefix?: string
  /** Login user created on every host (default "mctl"). */
  user?: string
}

export interface TestSshHost {
  /** Name in the generated ssh_config ("h1"). */
  readonly name: string
  readonly hostname: '127.0.0.1'
  readonly port: number
  /** The login user (non-root, sudo unless options.sudo === false). */
  readonly user: string
  /** Per-host folder: hostDir + "/etc/docker" is the host's /etc/docker. */
  readonly hostDir: string
  readonly options: SshHostOptions
  /** sshd's log (LogLevel VERBOSE: one "Accepted publickey" line per login). */
  readonly logFile: string
  /** Local path of a path as the host sees it (a full-disk tmpfs is reached through /proc/PID/root). */
  path(hostPath: string): string
  /** Reads a host file; null when missing. */
  readFile(hostPath: string): string | null
  /** Writes a host file as a test fixture (root-owned, 0644 unless given); works on a full disk too. */
  writeFile(hostPath: string, text: string, mode?: number): void
  /** Removes a host file (fixture reset). */
  removeFile(hostPath: string): void
  /** The "[127.0.0.1]:PORT ssh-ed25519 AAAA..." known_hosts line of this host's key. */
  knownHostsLine(): string
  /** How many logins (SSH handshakes with authentication) sshd accepted so far. */
  logins(): number
  isRunning(): boolean
  /** Stops sshd (the host becomes "down"); start() brings it back on the same port and key. */
  stop(): Promise<void>
  start(): Promise<void>
}

export interface SshHosts {
  readonly hosts: TestSshHost[]
  readonly baseDir: string
  /** Client ssh_config listing every host by name (use with ssh -F). */
  readonly sshConfig: string
  /** Client known_hosts with every host's key except those started with unknownHostKey. */
  readonly knownHosts: string
  /** The client's private key (also named in sshConfig). */
  readonly identityFile: string
  host(name: string): TestSshHost
  stop(): Promise<void>
}

const INNER_SCRIPT = `set -eu
H=$MCTL_HOST_DIR
mount --bind "$H/resolv.conf" /etc/resolv.conf
if [ -f "$H/hosts" ]; then mount --bind "$H/hosts" /etc/hosts; fi
for f in passwd group shadow; do mount --bind "$H/etc/$f" "/etc/$f"; done
mount --bind "$H/etc/sudoers.d" /etc/sudoers.d
for d in $MCTL_FOLDERS; do mount --bind "$H$d" "$d"; done
for d in $MCTL_READONLY; do mount -o remount,bind,ro "$d"; done
if [ -n "$MCTL_FULL" ]; then
  mount -t tmpfs -o size=64k,mode=0755 mirrorctl-full "$MCTL_FULL"
  cp -a "$H$MCTL_FULL/." "$MCTL_FULL/"
  dd if=/dev/zero of="$MCTL_FULL/.mirrorctl-test-fill" bs=4096 2>/dev/null || true
  dd if=/dev/zero of="$MCTL_FULL/.mirrorctl-test-fill2" bs=1 2>/dev/null || true
fi
unset MCTL_HOST_DIR MCTL_FOLDERS MCTL_READONLY MCTL_FULL
exec "$MCTL_SSHD" -D -e -f "$H/ssh/sshd_config"
`

const RESOLV_CONF = 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n'

/** Starts `n` sshd hosts in parallel; stop() ends them all and removes their folders. */
/** An Ansible INI inventory: the hosts in one group, logging in as the test user with become (sudo -n). */
export function writeBecomeInventory(file: string, group: string, names: readonly string[]): void {
  writeFileSync(file, `[${group}]\n${names.join('\n')}\n\n[${group}:vars]\nansible_become=true\n`)
}

export async function startSshHosts(n: number, options: StartSshHostsOptions = {}): Promise<SshHosts> {
  requireRoot('each ssh test host is a mount namespace (unshare -m)')
  const tools = requireTools(['sshd', 'ssh', 'ssh-keygen', 'unshare', 'setpriv', 'mount', 'sudo'])
  if (!Number.isInteger(n) || n < 1) throw new Error(`startSshHosts: need a positive host count, got ${n}`)
  const user = options.user ?? 'mctl'
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(user)) throw new Error(`startSshHosts: bad user name ${JSON.stringify(user)}`)
  const prefix = options.namePrefix ?? 'h'
  if (!/^[a-z][a-z0-9-]*$/.test(prefix)) throw new Error(`startSshHosts: bad name prefix ${JSON.stringify(prefix)}`)
  ensureMountPoints()

  const baseDir = mkdtempSync('/var/tmp/mirrorctl-e2e-sshd-')
  removeOnExit(baseDir)
  chmodSync(baseDir, 0o755) // the login user reads its authorized_keys below here
  const clientDir = join(baseDir, 'client')
  mkdirSync(clientDir, {mode: 0o700})
  const identityFile = join(clientDir, 'id_ed25519')
  keygen(tools['ssh-keygen']!, identityFile, 'mirrorctl-e2e-client')
  const clientKey = readFileSync(`${identityFile}.pub`, 'utf8')
  const ids = freeIds(user)

  const hosts: SshTestHost[] = []
  try {
    for (let i = 0; i < n; i++) {
      const hostOptions = (typeof options.hosts === 'function' ? options.hosts(i) : options.hosts?.[i]) ?? {}
      const port = await freePort('127.0.0.1')
      hosts.push(new SshTestHost(`${prefix}${i + 1}`, port, user, ids, join(baseDir, `${prefix}${i + 1}`), hostOptions, clientKey, tools))
    }
    const knownHosts = join(clientDir, 'known_hosts')
    writeFileSync(knownHosts, hosts.filter((h) => !h.options.unknownHostKey).map((h) => h.knownHostsLine() + '\n').join(''), {mode: 0o600})
    const sshConfig = join(clientDir, 'ssh_config')
    writeFileSync(sshConfig, hosts.map((h) => sshConfigEntry(h, identityFile, knownHosts)).join(''), {mode: 0o600})
    await Promise.all(hosts.filter((h) => !h.options.down).map((h) => h.start()))
    return {
      hosts,
      baseDir,
      sshConfig,
      knownHosts,
      identityFile,
      host(name) {
        const found = hosts.find((h) => h.name === name)
        if (!found) throw new Error(`no test ssh host named ${name}`)
        return found
      },
      async stop() {
        await Promise.all(hosts.map((h) => h.stop()))
        if (!keepArtifacts()) rmSync(baseDir, {recursive: true, force: true})
      },
    }
  } catch (error) {
    await Promise.all(hosts.map((h) => h.stop()))
    if (!keepArtifacts()) rmSync(baseDir, {recursive: true, force: true})
    throw error
  }
}

/** A backstop for a test process that ends without stop() (temp.ts does the same for /tmp). */
function removeOnExit(dir: string): void {
  process.once('exit', () => {
    if (!keepArtifacts()) rmSync(dir, {recursive: true, force: true})
  })
}

function sshConfigEntry(h: TestSshHost, identityFile: string, knownHosts: string): string {
  return [
    `Host ${h.name}`,
    `  HostName ${h.hostname}`,
    `  Port ${h.port}`,
    `  User ${h.user}`,
    `  IdentityFile ${identityFile}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${knownHosts}`,
    '  GlobalKnownHostsFile /dev/null',
    '',
  ].join('\n')
}

/**
 * Bind mounts need their mount points: the folders the machine lacks are created once,
 * empty (/var/lib/mirrorctl on a machine that never ran mirrorctl as root; /run/sshd,
 * sshd's privilege-separation folder, which the service would create).
 */
function ensureMountPoints(): void {
  for (const d of [...HOST_FOLDERS, '/etc/sudoers.d']) if (!existsSync(d)) mkdirSync(d, {recursive: true, mode: 0o755})
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', {mode: 0o755})
}

interface Ids {
  uid: number
  gid: number
}

/** A uid/gid pair the machine does not use (the test user exists only inside the hosts). */
function freeIds(user: string): Ids {
  const passwd = readFileSync('/etc/passwd', 'utf8')
  const group = readFileSync('/etc/group', 'utf8')
  if (new RegExp(`^${user}:`, 'm').test(passwd)) throw new Error(`user ${user} exists on this machine; pick another test user name`)
  const used = new Set([...passwd.matchAll(/^[^:]*:[^:]*:(\d+):/gm), ...group.matchAll(/^[^:]*:[^:]*:(\d+):/gm)].map((m) => Number(m[1])))
  let id = 2001
  while (used.has(id)) id++
  return {uid: id, gid: id}
}

function keygen(sshKeygen: string, file: string, comment: string): void {
  execFileSync(sshKeygen, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {stdio: 'ignore'})
}

class SshTestHost implements TestSshHost {
  readonly hostname = '127.0.0.1' as const
  readonly logFile: string
  private daemon: Daemon | undefined
  private readonly hostKeyPub: string

  constructor(
    readonly name: string,
    readonly port: number,
    readonly user: string,
    private readonly ids: Ids,
    readonly hostDir: string,
    readonly options: SshHostOptions,
    clientKey: string,
    private readonly tools: Record<string, string>,
  ) {
    for (const ro of options.readOnly ?? []) if (!HOST_FOLDERS.includes(ro)) throw new Error(`${name}: readOnly ${ro} is not a host folder`)
    mkdirSync(hostDir, {mode: 0o755})
    this.logFile = join(hostDir, 'sshd.log')
    for (const d of HOST_FOLDERS) mkdirSync(join(hostDir, d), {recursive: true, mode: 0o755})
    chmodSync(join(hostDir, 'tmp'), 0o1777)
    chmodSync(join(hostDir, 'run/lock'), 0o1777)
    chmodSync(join(hostDir, 'root'), 0o700)
    const home = join(hostDir, 'home', user)
    mkdirSync(home, {mode: 0o755})
    chownSync(home, ids.uid, ids.gid)
    // skopeo and podman refuse to run without a signature policy; the machine's is copied.
    if (existsSync('/etc/containers/policy.json')) copyFileSync('/etc/containers/policy.json', join(hostDir, 'etc/containers/policy.json'))
    this.writeUsers()
    writeFileSync(join(hostDir, 'resolv.conf'), RESOLV_CONF)
    if (options.etcHosts) {
      for (const [name, ip] of Object.entries(options.etcHosts)) {
        if (!/^127\.\d+\.\d+\.\d+$/.test(ip) || !/^[a-z0-9.-]+$/.test(name)) throw new Error(`etcHosts: only loopback entries, got ${name} -> ${ip}`)
      }
      writeFileSync(join(hostDir, 'hosts'), `127.0.0.1 localhost\n${Object.entries(options.etcHosts).map(([n, ip]) => `${ip} ${n}\n`).join('')}`, {mode: 0o644})
    }

    const sshDir = join(hostDir, 'ssh')
    mkdirSync(join(sshDir, 'authorized_keys'), {recursive: true, mode: 0o755})
    for (const u of ['root', user]) writeFileSync(join(sshDir, 'authorized_keys', u), clientKey, {mode: 0o644})
    const hostKey = join(sshDir, 'ssh_host_ed25519_key')
    keygen(tools['ssh-keygen']!, hostKey, `mirrorctl-e2e-${name}`)
    this.hostKeyPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')
    writeFileSync(join(sshDir, 'sshd_config'), this.sshdConfig(hostKey, join(sshDir, 'authorized_keys/%u')))
  }

  private writeUsers(): void {
    const etc = join(this.hostDir, 'etc')
    const {uid, gid} = this.ids
    // The machine's users (sshd needs its privilege-separation user) plus the test user;
    // every password field is "*": no password works, and key login is not "locked" (`!`).
    const passwd = readFileSync('/etc/passwd', 'utf8').trimEnd() + `\n${this.user}:x:${uid}:${gid}:mirrorctl test:/home/${this.user}:${this.options.shell ?? '/bin/sh'}\n`
    const group = readFileSync('/etc/group', 'utf8').trimEnd() + `\n${this.user}:x:${gid}:\n`
    const shadow = passwd
      .split('\n')
      .filter(Boolean)
      .map((line) => `${line.split(':')[0]}:*:19000:0:99999:7:::`)
      .join('\n') + '\n'
    writeFileSync(join(etc, 'passwd'), passwd, {mode: 0o644})
    writeFileSync(join(etc, 'group'), group, {mode: 0o644})
    writeFileSync(join(etc, 'shadow'), shadow, {mode: 0o640})
    const sudoers = join(etc, 'sudoers.d')
    mkdirSync(sudoers, {mode: 0o755})
    if (this.options.sudo !== false) writeFileSync(join(sudoers, 'mirrorctl-test'), `${this.user} ALL=(ALL:ALL) NOPASSWD: ALL\n`, {mode: 0o440})
  }

  private sshdConfig(hostKey: string, authorizedKeys: string): string {
    return [
      `ListenAddress ${this.hostname}:${this.port}`,
      `HostKey ${hostKey}`,
      'PidFile none',
      'UsePAM no',
      // The keys live below a folder tests own; the hosts are throw-away.
      'StrictModes no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PermitRootLogin prohibit-password',
      'PermitUserEnvironment no',
      'X11Forwarding no',
      'AllowTcpForwarding no',
      'MaxSessions 64',
      // The post-quantum default (sntrup761) costs ~0.4 s of CPU per handshake on a loaded 2-core box.
      'KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org',
      'MaxStartups 200:30:400',
      'LogLevel VERBOSE',
      '',
    ].join('\n')
  }

  path(hostPath: string): string {
    if (!posix.isAbsolute(hostPath)) throw new Error(`host paths are absolute: ${hostPath}`)
    const full = this.options.fullDisk
    if (full && this.daemon?.isRunning() && (hostPath === full || hostPath.startsWith(`${full}/`))) {
      return `/proc/${this.daemon.pid}/root${hostPath}`
    }
    const folder = HOST_FOLDERS.find((d) => hostPath === d || hostPath.startsWith(`${d}/`))
    if (!folder) throw new Error(`${hostPath} is not in a folder of its own on test host ${this.name} (${HOST_FOLDERS.join(', ')})`)
    return join(this.hostDir, hostPath)
  }

  readFile(hostPath: string): string | null {
    try {
      return readFileSync(this.path(hostPath), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
  }

  writeFile(hostPath: string, text: string, mode = 0o644): void {
    const file = this.path(hostPath)
    const fill = this.fillFiles(hostPath)
    for (const f of fill) rmSync(f, {force: true})
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(file, text, {mode})
    chmodSync(file, mode)
    if (fill.length > 0) this.refill(fill)
  }

  removeFile(hostPath: string): void {
    rmSync(this.path(hostPath), {force: true})
  }

  /** The filler files of a full-disk folder that hostPath lies in (none elsewhere). */
  private fillFiles(hostPath: string): string[] {
    const full = this.options.fullDisk
    if (!full || !this.daemon?.isRunning() || !(hostPath === full || hostPath.startsWith(`${full}/`))) return []
    const base = this.path(full)
    return [join(base, '.mirrorctl-test-fill'), join(base, '.mirrorctl-test-fill2')]
  }

  private refill([blocks, bytes]: string[]): void {
    for (const [file, bs] of [[blocks!, '4096'], [bytes!, '1']] as const) {
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${file}`, `bs=${bs}`], {stdio: 'ignore'})
      } catch {
        // dd ends with ENOSPC: that is the point
      }
    }
  }

  knownHostsLine(): string {
    return `[${this.hostname}]:${this.port} ${this.hostKeyPub}`
  }

  logins(): number {
    try {
      return (readFileSync(this.logFile, 'utf8').match(/Accepted publickey for /g) ?? []).length
    } catch {
      return 0
    }
  }

  isRunning(): boolean {
    return this.daemon?.isRunning() ?? false
  }

  async start(): Promise<void> {
    if (this.daemon?.isRunning()) return
    const folders = HOST_FOLDERS.join(' ')
    const daemon = startDaemon({
      name: `sshd ${this.name}`,
      file: this.tools.unshare!,
      args: ['--mount', '--propagation', 'private', '/bin/sh', '-c', INNER_SCRIPT],
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        LANG: 'C.UTF-8',
        MCTL_HOST_DIR: this.hostDir,
        MCTL_FOLDERS: folders,
        MCTL_READONLY: (this.options.readOnly ?? []).join(' '),
        MCTL_FULL: this.options.fullDisk ?? '',
        MCTL_SSHD: this.tools.sshd!,
      },
      logFile: this.logFile,
    })
    this.daemon = daemon
    await waitFor(() => sshBanner(this.port), {what: `sshd ${this.name} on port ${this.port}`, daemon, timeoutMs: 20_000})
    // A banner could come from another process that took the port first; then our sshd exits
    // ("Address already in use") right after. Make sure the one answering is ours.
    await new Promise((r) => setTimeout(r, 150))
    if (!daemon.isRunning()) throw new Error(`sshd ${this.name} exited after start (port ${this.port} taken?):\n${this.logTail()}`)
  }

  async stop(): Promise<void> {
    await this.daemon?.stop()
  }

  /** For error messages. */
  logTail(): string {
    return logTail(this.logFile)
  }
}

/** True once something on the port answers with an SSH banner. */
function sshBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host: '127.0.0.1', port})
    let data = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(2_000, () => done(false))
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1')
      if (data.includes('\n')) done(data.startsWith('SSH-2.0-'))
    })
    socket.on('error', () => done(false))
    socket.on('end', () => done(false))
  })
}
