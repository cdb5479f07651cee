// Fails loudly when a real component the e2e tests need is not installed. A missing
// tool must never turn into a silently skipped test: the suite would look green while
// proving nothing.
import {accessSync, constants, statSync} from 'node:fs'
import {delimiter, join} from 'node:path'

/** Binary -> Debian package that ships it (kept in step with scripts/install-test-deps.sh). */
export const TOOL_PACKAGES = {
  skopeo: 'skopeo',
  'docker-registry': 'docker-registry',
  tinyproxy: 'tinyproxy',
  openssl: 'openssl',
  unshare: 'util-linux',
  setpriv: 'util-linux',
  mount: 'mount',
  curl: 'curl',
  wget: 'wget',
  containerd: 'containerd',
  ctr: 'containerd',
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  sudo: 'sudo',
  tmux: 'tmux',
  dockerd: 'docker.io',
  docker: 'docker.io',
} as const satisfies Record<string, string>

export type ToolName = keyof typeof TOOL_PACKAGES

// sbin directories are searched too: sshd lives there and is not on every PATH.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin']

/** Absolute path of an executable named `bin`, or undefined. */
export function findTool(bin: string): string | undefined {
  if (bin.includes('/')) throw new Error(`findTool wants a bare name, got ${JSON.stringify(bin)}`)
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS]
  for (const dir of dirs) {
    const candidate = join(dir, bin)
    try {
      if (!statSync(candidate).isFile()) continue
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here; keep looking
    }
  }
  return undefined
}

/** Absolute path of `bin`; throws an error that says how to install it. */
export function requireTool(bin: ToolName): string {
  const found = findTool(bin)
  if (found) return found
  throw new Error(
    `e2e dependency "${bin}" is not installed (Debian package ${TOOL_PACKAGES[bin]}). ` +
      `Run: sudo bash scripts/install-test-deps.sh`,
  )
}

/** Checks all of `bins` and reports every missing one at once. */
export function requireTools(bins: readonly ToolName[]): Record<string, string> {
  const paths: Record<string, string> = {}
  const missing: string[] = []
  for (const bin of bins) {
    const found = findTool(bin)
    if (found) paths[bin] = found
    else missing.push(`${bin} (package ${TOOL_PACKAGES[bin]})`)
  }
  if (missing.length > 0) {
    throw new Error(
      `e2e dependencies missing: ${missing.join(', ')}. Run: sudo bash scripts/install-test-deps.sh`,
    )
  }
  return paths
}

/** Mount namespaces need root here (no user namespaces are assumed). */
export function requireRoot(why: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`e2e tests must run as root: ${why}`)
  }
}
