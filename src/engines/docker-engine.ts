import path from 'node:path'
import type {Host} from '../hosts/host.js'
import {ioUserError} from '../core/io-errors.js'
import {InvalidUtf8Error} from '../core/text-decode.js'
import {parseDaemonJson, type DaemonJsonDoc} from '../formats/daemon-json/index.js'

export const SYSTEM_DAEMON_JSON = '/etc/docker/daemon.json'

export interface DaemonJsonLocation {
  path: string
  /** Named with --daemon-json: a missing file is then created rather than looked for elsewhere. */
  explicit: boolean
  mode: 'rootful' | 'rootless'
}

/**
 * Where dockerd reads daemon.json: the system file for the root daemon (and for any --root
 * tree), the per-user file for rootless Docker ($XDG_CONFIG_HOME/docker/daemon.json).
 */
export async function locateDaemonJson(host: Host, options: {daemonJson?: string | undefined; treeRoot: boolean}): Promise<DaemonJsonLocation> {
  if (options.daemonJson) return {path: path.resolve(options.daemonJson), explicit: true, mode: 'rootful'}
  if (options.treeRoot || host.isRoot) return {path: SYSTEM_DAEMON_JSON, explicit: false, mode: 'rootful'}
  const home = host.env.HOME && path.isAbsolute(host.env.HOME) ? host.env.HOME : null
  const config = host.env.XDG_CONFIG_HOME && path.isAbsolute(host.env.XDG_CONFIG_HOME) ? host.env.XDG_CONFIG_HOME : home && path.join(home, '.config')
  if (config) {
    const rootless = path.join(config, 'docker/daemon.json')
    const unit = path.join(config, 'systemd/user/docker.service')
    if ((await host.stat(rootless)) || (await host.stat(unit))) return {path: rootless, explicit: false, mode: 'rootless'}
  }
  return {path: SYSTEM_DAEMON_JSON, explicit: false, mode: 'rootful'}
}

export interface LoadedDaemonJson {
  location: DaemonJsonLocation
  /** null when the file does not exist (dockerd then starts with defaults). */
  text: string | null
  doc: DaemonJsonDoc
  /**
   * Where the first byte that is not UTF-8 sits. Go's encoding/json replaces such bytes in
   * strings with U+FFFD instead of refusing the file, so dockerd starts; `text` then holds
   * the replaced text, which must never be written back.
   */
  invalidUtf8: {line: number; column: number; offset: number} | null
}

export async function loadDaemonJson(host: Host, location: DaemonJsonLocation): Promise<LoadedDaemonJson> {
  let text: string | null
  let invalidUtf8: LoadedDaemonJson['invalidUtf8'] = null
  try {
    text = await host.readFile(location.path)
  } catch (error) {
    if (!(error instanceof InvalidUtf8Error)) throw ioUserError(location.path, error, 'read')
    text = error.lossy
    invalidUtf8 = {line: error.line, column: error.column, offset: error.offset}
  }
  return {location, text, doc: parseDaemonJson(text ?? '', location.path), invalidUtf8}
}

const DOCKER_BINARIES = ['/usr/bin/dockerd', '/usr/local/bin/dockerd', '/usr/sbin/dockerd']
const CONTAINERS_BINARIES = ['/usr/bin/podman', '/usr/bin/skopeo', '/usr/bin/buildah', '/usr/bin/crio', '/usr/local/bin/podman']

export interface DetectedEngines {
  docker: boolean
  podman: boolean
  /** Why each engine was or was not taken, for messages. */
  reasons: string[]
}

/** An engine counts as present when its config file or its binary is there. */
export async function detectEngines(host: Host, daemonJson: string, registriesConfFiles: readonly string[]): Promise<DetectedEngines> {
  const reasons: string[] = []
  const firstPresent = async (paths: readonly string[]) => {
    for (const p of paths) if (await host.stat(p)) return p
    return null
  }
  const dockerBy = await firstPresent([daemonJson, ...DOCKER_BINARIES])
  const podmanBy = registriesConfFiles[0] ?? (await firstPresent(CONTAINERS_BINARIES))
  reasons.push(dockerBy ? `docker: ${dockerBy} exists` : `docker: neither ${daemonJson} nor dockerd found`)
  reasons.push(podmanBy ? `podman: ${podmanBy} exists` : 'podman: no registries.conf and no podman, skopeo, buildah or crio binary found')
  return {docker: dockerBy !== null, podman: podmanBy !== null, reasons}
}

/** "Docker version 28.2.2, build e6534b4" → "28.2.2". */
export function parseDockerVersionOutput(output: string): string | null {
  return /version\s+v?(\d+\.\d+(?:\.\d+)?[^\s,]*)/i.exec(output)?.[1] ?? null
}

/**
 * The Engine version lint rules should assume: --docker-version if given; otherwise what
 * `dockerd --version` says on this machine (not for a --root tree, whose binaries may not
 * run here); null when unknown (rules then assume the newest Engine and say so).
 */
export async function detectDockerVersion(host: Host, options: {flag?: string | undefined; treeRoot: boolean}): Promise<string | null> {
  if (options.flag) return options.flag
  if (options.treeRoot) return null
  try {
    const r = await host.exec('dockerd', ['--version'])
    return r.exitCode === 0 ? parseDockerVersionOutput(r.stdout) : null
  } catch {
    return null
  }
}
