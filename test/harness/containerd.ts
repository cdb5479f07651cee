// A real containerd (Debian's package) for the e2e suite: its own root, state, opt and
// socket folders under a temp dir, its own config.toml (CRI off, native snapshotter),
// run inside the isolation of isolated.ts so no name it looks up can leave the machine.
// `ctr` commands run isolated too: with `ctr images pull` the client process resolves and
// fetches, so that is where the sandboxed /etc/resolv.conf matters.
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {isolate, runIsolated, type IsolatedResult} from './isolated.js'
import {logTail, startDaemon, waitFor, type Daemon} from './proc.js'
import {requireRoot, requireTools} from './require-tools.js'

export interface Containerd {
  dir: string
  socket: string
  configToml: string
  /** The hosts folder config.toml's config_path names (created empty). */
  hostsDir: string
  logFile: string
  /** Runs `ctr -a SOCKET -n mirrorctl-e2e ARGS` isolated; never throws on exit codes. */
  ctr(args: readonly string[]): Promise<IsolatedResult>
  stop(): Promise<void>
}

/** config.toml for a private containerd: every path under `dir`, CRI disabled, config_path set. */
export function containerdConfigToml(dir: string, hostsDir: string): string {
  const q = (s: string) => JSON.stringify(s)
  return [
    '# containerd for a mirrorctl e2e test (written by test/harness/containerd.ts)',
    'version = 2',
    `root = ${q(join(dir, 'root'))}`,
    `state = ${q(join(dir, 'state'))}`,
    // The CRI plugin needs CNI and a kubelet; the test pulls with ctr. Other snapshotters need kernel support.
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.overlayfs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
    '',
    '[grpc]',
    `  address = ${q(join(dir, 'containerd.sock'))}`,
    '',
    '[ttrpc]',
    `  address = ${q(join(dir, 'containerd.sock.ttrpc'))}`,
    '',
    '[debug]',
    `  address = ${q(join(dir, 'debug.sock'))}`,
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(join(dir, 'opt'))}`,
    '',
    '[plugins."io.containerd.grpc.v1.cri".registry]',
    `  config_path = ${q(hostsDir)}`,
    '',
  ].join('\n')
}

export async function startContainerd(dir: string): Promise<Containerd> {
  requireRoot('containerd runs as root with its own root and state folders')
  const tools = requireTools(['containerd', 'ctr', 'unshare', 'setpriv', 'mount'])
  mkdirSync(dir, {recursive: true})
  const hostsDir = join(dir, 'certs.d')
  mkdirSync(hostsDir, {recursive: true})
  const configToml = join(dir, 'config.toml')
  writeFileSync(configToml, containerdConfigToml(dir, hostsDir))
  const socket = join(dir, 'containerd.sock')
  const logFile = join(dir, 'containerd.log')
  const cmd = isolate([tools['containerd']!, '--config', configToml, '--log-level', 'debug'])
  let daemon: Daemon
  try {
    daemon = startDaemon({name: 'containerd', file: cmd.file, args: cmd.args, env: cmd.env, logFile})
  } catch (err) {
    cmd.cleanup()
    throw err
  }
  const ctr = (args: readonly string[]): Promise<IsolatedResult> => runIsolated([tools['ctr']!, '-a', socket, '-n', 'mirrorctl-e2e', ...args], {timeoutMs: 60_000})
  try {
    await waitFor(
      async () => existsSync(socket) && (await ctr(['version'])).exitCode === 0,
      {what: `containerd on ${socket}\n${logTail(logFile)}`, timeoutMs: 30_000, daemon},
    )
  } catch (err) {
    await daemon.stop()
    cmd.cleanup()
    throw err
  }
  return {
    dir,
    socket,
    configToml,
    hostsDir,
    logFile,
    ctr,
    async stop() {
      await daemon.stop()
      cmd.cleanup()
    },
  }
}
