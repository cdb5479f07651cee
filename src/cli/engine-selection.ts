import {Flags} from '@oclif/core'
import {containerdFlags} from './containerd-flags.js'
import {containerdInUse} from '../engines/containerd-hosts-dir.js'
import {criDisabled, DEFAULT_CONFIG_TOML, parseContainerdConfig} from '../formats/containerd-hosts/index.js'
import {k3sInUse} from '../engines/k3s-change.js'
import {UserError} from '../core/errors.js'
import {detectEngines, locateDaemonJson, type DaemonJsonLocation} from '../engines/docker-engine.js'
import {listDropIns, locateRegistriesConf} from '../engines/registries-conf-files.js'
import type {Host} from '../hosts/host.js'

export type EngineName = 'docker' | 'podman' | 'containerd' | 'k3s'

export const engineFlags = {
  engine: Flags.string({
    options: ['docker', 'podman', 'containerd', 'k3s', 'all'],
    description:
      'which engine config to edit: docker (daemon.json), podman (registries.conf: podman, buildah, skopeo, CRI-O), containerd (hosts.toml), k3s (registries.yaml, k3s and RKE2), or all (podman and docker, plus containerd where /etc/containerd/config.toml or a containerd binary is present and its CRI plugin is not disabled, plus k3s where /etc/rancher/k3s, /etc/rancher/rke2 or a k3s binary is present). Default: every engine detected',
  }),
  ...containerdFlags,
  'k3s-registries': Flags.string({description: 'k3s/RKE2 registries.yaml (default /etc/rancher/k3s/registries.yaml, or rke2 when only it exists)', helpValue: 'FILE'}),
  'daemon-json': Flags.string({description: "Docker's daemon.json to use (selects the docker engine)", helpValue: 'FILE'}),
  'docker-version': Flags.string({description: 'Docker Engine version to check daemon.json against (default: `dockerd --version` on this machine)', helpValue: 'X.Y.Z'}),
}

export interface EngineSelection {
  engines: EngineName[]
  /** Whether the user asked for these engines (true) or they were detected (false). */
  explicit: boolean
  daemonJson: DaemonJsonLocation
}

/**
 * --engine wins; an explicit --registries-conf / --daemon-json selects its engine; otherwise
 * every engine whose config file or binary is present. None detected: --engine is required.
 */
export async function selectEngines(
  host: Host,
  flags: {engine?: string | undefined; 'daemon-json'?: string | undefined; 'registries-conf'?: string | undefined; 'registries-conf-dir'?: string | undefined; root?: string | undefined},
): Promise<EngineSelection> {
  const daemonJson = await locateDaemonJson(host, {daemonJson: flags['daemon-json'], treeRoot: flags.root !== undefined})
  if (flags.engine === 'all') return {engines: await allEngines(host), explicit: true, daemonJson}
  if (flags.engine) return {engines: [flags.engine as EngineName], explicit: true, daemonJson}
  const named: EngineName[] = []
  if (flags['registries-conf'] || flags['registries-conf-dir']) named.push('podman')
  if (flags['daemon-json']) named.push('docker')
  if (named.length) return {engines: named, explicit: true, daemonJson}
  // Presence is enough to detect podman: list the files, without reading or parsing them.
  const locations = await locateRegistriesConf(host, {})
  const present = [...((await host.stat(locations.main)) ? [locations.main] : [])]
  for (const dir of locations.dropInDirs) present.push(...(await listDropIns(host, dir)))
  const detected = await detectEngines(host, daemonJson.path, present)
  const engines: EngineName[] = [...(detected.podman ? (['podman'] as const) : []), ...(detected.docker ? (['docker'] as const) : [])]
  if (await containerdInUse(host)) engines.push('containerd')
  if (await k3sInUse(host)) engines.push('k3s')
  if (!engines.length)
    throw new UserError(`no container engine detected on ${host.name} (${detected.reasons.join('; ')})`, {
      hint: 'say which one with --engine docker|podman|containerd|k3s|all',
    })
  return {engines, explicit: false, daemonJson}
}

const CONTAINERD_BINARIES = ['/usr/bin/containerd', '/usr/local/bin/containerd', '/usr/sbin/containerd']
const K3S_PRESENCE = ['/etc/rancher/k3s', '/etc/rancher/rke2', '/usr/local/bin/k3s', '/usr/bin/k3s', '/usr/local/bin/rke2', '/usr/bin/rke2']

/**
 * --engine all: podman and docker always (as before containerd and k3s existed), plus
 * containerd and k3s where installed. A containerd whose config.toml disables the CRI plugin
 * is Docker's own (docker-ce's containerd.io): Docker's daemon.json governs its pulls.
 */
export async function allEngines(host: Host): Promise<EngineName[]> {
  const engines: EngineName[] = ['podman', 'docker']
  const any = async (paths: readonly string[]) => (await Promise.all(paths.map((p) => host.stat(p)))).some((st) => st !== null)
  const configText = await host.readFile(DEFAULT_CONFIG_TOML)
  const config = configText === null ? null : parseContainerdConfig(configText, DEFAULT_CONFIG_TOML)
  if ((config !== null || (await any(CONTAINERD_BINARIES))) && !(config?.data && criDisabled(config))) engines.push('containerd')
  if (await any(K3S_PRESENCE)) engines.push('k3s')
  return engines
}
