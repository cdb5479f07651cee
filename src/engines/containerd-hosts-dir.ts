import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {
  DEFAULT_CONFIG_TOML,
  DEFAULT_HOSTS_DIR,
  NEWEST_CONTAINERD,
  containerdFamily,
  criDisabled,
  parseContainerdConfig,
  readContainerdConfig,
  resolveContainerd,
  type ContainerdResolved,
  type ContainerdVersion,
  type HostsDirSnapshot,
} from '../formats/containerd-hosts/index.js'
import type {TomlDoc} from '../formats/containerd-hosts/toml-doc.js'
import type {Host} from '../hosts/host.js'
import {ReferenceError} from '../core/image-reference.js'

export interface ContainerdLocation {
  /** The config.toml path and its parsed text (null when the file does not exist). */
  configToml: {path: string; doc: TomlDoc | null}
  /** The hosts folder root in use: --containerd-hosts-dir, else config_path's first root, else the default. */
  hostsDir: string
  /** Every root, in the order the CRI plugin tries them (config_path may list several, ':'-separated). */
  hostsDirs: string[]
  /** Where hostsDir came from. */
  from: 'flag' | 'config_path' | 'default'
}

/** Finds config.toml and the hosts folder root the CRI plugin (or ctr --hosts-dir) reads. */
export async function locateContainerd(host: Host, options: {hostsDir?: string | undefined; configToml?: string | undefined}): Promise<ContainerdLocation> {
  const path = options.configToml ?? DEFAULT_CONFIG_TOML
  const text = await host.readFile(path)
  const doc = text === null ? null : parseContainerdConfig(text, path)
  if (options.hostsDir) return {configToml: {path, doc}, hostsDir: options.hostsDir, hostsDirs: [options.hostsDir], from: 'flag'}
  const configPath = doc ? readContainerdConfig(doc).configPath : []
  if (configPath.length) return {configToml: {path, doc}, hostsDir: configPath[0]!, hostsDirs: configPath, from: 'config_path'}
  return {configToml: {path, doc}, hostsDir: DEFAULT_HOSTS_DIR, hostsDirs: [DEFAULT_HOSTS_DIR], from: 'default'}
}

/** Lists the hosts folder root and reads each folder's hosts.toml: everything resolve and lint need. */
export async function snapshotHostsDir(host: Host, root: string): Promise<HostsDirSnapshot | null> {
  const names = await host.listDir(root)
  if (names === null) return null
  const folders = new Map<string, {hostsToml: string | null; files: string[]}>()
  for (const name of names.sort()) {
    const dir = `${root.replace(/\/+$/, '')}/${name}`
    if ((await host.stat(dir))?.kind !== 'directory') continue
    const files = (await host.listDir(dir)) ?? []
    folders.set(name, {hostsToml: files.includes('hosts.toml') ? await host.readFile(`${dir}/hosts.toml`) : null, files})
  }
  return {root, folders}
}

/** --containerd-version, else `containerd --version` on the machine, else the newest behaviour. */
export async function detectContainerdVersion(host: Host, options: {flag?: string | undefined; treeRoot: boolean}): Promise<ContainerdVersion> {
  if (options.flag) {
    const family = containerdFamily(options.flag)
    if (!family) throw new UserError(`--containerd-version ${options.flag} is not a containerd version`, {hint: 'for example 1.6.20, 1.7 or 2.0'})
    return family
  }
  if (options.treeRoot) return NEWEST_CONTAINERD
  try {
    const r = await host.exec('containerd', ['--version'])
    return (r.exitCode === 0 && containerdFamily(r.stdout.replace(/^\S+\s+\S+\s+/, ''))) || NEWEST_CONTAINERD
  } catch {
    return NEWEST_CONTAINERD
  }
}

/**
 * Resolves images as containerd would, then does what containerd does before the first request:
 * read every ca and client file. One it cannot read fails the pull (exit 1, as containerd fails).
 */
export async function resolveWithContainerd(host: Host, images: readonly string[], roots: readonly string[], version: ContainerdVersion): Promise<ContainerdResolved[]> {
  return resolveInSnapshots(host, images, await Promise.all(roots.map((r) => snapshotHostsDir(host, r))), roots[0]!, version)
}

/** The same over hosts folders already read (or rendered, as k3s writes them from registries.yaml). */
export async function resolveInSnapshots(host: Host, images: readonly string[], snapshots: readonly (HostsDirSnapshot | null)[], firstRoot: string, version: ContainerdVersion): Promise<ContainerdResolved[]> {
  const results = images.map((image) => {
    try {
      // The CRI plugin tries each config_path root in turn; the first with a folder for the host wins.
      const tried = snapshots.map((s) => resolveContainerd(image, s, version))
      return tried.find((r) => r.folder !== null) ?? resolveContainerd(image, null, version)
    } catch (error) {
      if (error instanceof ReferenceError) throw new UserError(`invalid image "${image}": ${error.message}`, {hint: 'give a reference such as alpine, docker.io/library/alpine:3.20 or quay.io/org/app@sha256:…'})
      throw error
    }
  })
  for (const r of results) {
    for (const {path: file, kind} of r.files) {
      let ok = false
      let reason = 'no such file or directory'
      try {
        ok = (await host.readFile(file)) !== null
      } catch (error) {
        reason = (error as NodeJS.ErrnoException).code ?? String(error)
      }
      if (!ok) {
        const where = r.folder && r.ignored === null && snapshots.some((s) => s?.folders.get(r.folder!.slice(r.folder!.lastIndexOf('/') + 1))?.hostsToml) ? `${r.folder}/hosts.toml` : (r.folder ?? firstRoot)
        throw new UserError(`containerd fails every pull of ${r.registry}: unable to read ${kind} "${file}": ${reason}`, {
          exitCode: ExitCode.Findings,
          position: {file: where, line: null},
          rule: 'containerd-hosts/unreadable-tls-file',
          hint: 'fix the path in hosts.toml (relative paths are relative to its folder) or make the file readable by containerd',
        })
      }
    }
  }
  return results
}

/**
 * containerd counts as an engine to configure when its config.toml has a CRI registry table
 * (a Kubernetes node). Docker's bundled containerd (CRI disabled) does not: Docker's own
 * daemon.json governs its pulls.
 */
export async function containerdInUse(host: Host): Promise<boolean> {
  const text = await host.readFile(DEFAULT_CONFIG_TOML)
  if (text === null) return false
  const doc = parseContainerdConfig(text, DEFAULT_CONFIG_TOML)
  if (!doc.data) return true // broken, but there: let lint and mirror commands report it
  if (criDisabled(doc)) return false
  const cfg = readContainerdConfig(doc)
  return cfg.configPath.length > 0 || Object.keys(cfg.mirrors).length > 0 || doc.tables.some((t) => t.path.join('.').includes('cri'))
}
