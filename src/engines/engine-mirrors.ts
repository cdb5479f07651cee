/**
 * The mirrors an engine on a host would use, read through any Host (this machine, a --root
 * tree, an SSH snapshot, a plan's overlay): registries.conf for podman and friends, the
 * registry-mirrors of daemon.json for dockerd, the hosts.toml entries for containerd. Plus
 * the CA files each engine trusts for a mirror. Shared by check, check per host and verify.
 */

import {k3sMirrors} from './k3s-check.js'
import {selectEngines} from '../cli/engine-selection.js'
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {readDaemonJson} from '../formats/daemon-json/read.js'
import type {HostsDirSnapshot} from '../formats/containerd-hosts/resolve.js'
import type {MergedConfig} from '../formats/registries-conf/model.js'
import type {Host} from '../hosts/host.js'
import {configRejected} from '../lint/config-rejected.js'
import {mirrorsFromContainerd, mirrorsFromDaemonJson, mirrorsFromRegistriesConf, type MirrorTarget} from '../net/mirror-target.js'
import {detectContainerdVersion, locateContainerd, snapshotHostsDir} from './containerd-hosts-dir.js'
import {loadDaemonJson, locateDaemonJson} from './docker-engine.js'
import {registryCas, type EngineName} from './engine-network.js'
import {loadRegistriesConf} from './registries-conf-engine.js'

export type MirrorEngine = EngineName | 'containerd' | 'k3s'

export interface EngineMirrors {
  targets: MirrorTarget[]
  /** The merged registries.conf (podman), for manifest paths. */
  merged: MergedConfig | null
  /** Why there is no mirror, when targets is empty (a UserError message for check). */
  none: string | null
  hint: string
}

export interface EngineMirrorOptions {
  registriesConf?: string | undefined
  registriesConfDir?: string | undefined
  daemonJson?: string | undefined
  containerdHostsDir?: string | undefined
  treeRoot: boolean
  /** How a path is shown in messages (LocalHost.real under --root). */
  shown?: (path: string) => string
}

/** Throws what check says when there is nothing to probe (exit 1). */
export function noMirrors(found: EngineMirrors): UserError {
  return new UserError(`no mirrors to check: ${found.none}`, {exitCode: ExitCode.Findings, hint: found.hint})
}

/** The engine's mirrors on host; a config the engine rejects throws (configRejected). */
export async function engineMirrors(host: Host, engine: MirrorEngine, options: EngineMirrorOptions): Promise<EngineMirrors> {
  if (engine === 'containerd') return containerdMirrors(host, options)
  // k3sMirrors says itself when registries.yaml is missing or names no endpoint.
  if (engine === 'k3s') return {targets: await k3sMirrors(host), merged: null, none: null, hint: ''}
  if (engine === 'docker') return dockerMirrors(host, options)
  const {set, locations} = await loadRegistriesConf(host, {registriesConf: options.registriesConf, registriesConfDir: options.registriesConfDir})
  if (!set.merged) throw configRejected(set.firstError!)
  const targets = mirrorsFromRegistriesConf(set.merged)
  const shown = options.shown ?? ((p: string) => p)
  const none = set.merged.files.length ? `${set.merged.files.join(', ')} configure no [[registry.mirror]]` : `there is no registries.conf (${shown(locations.main)} does not exist)`
  return {targets, merged: set.merged, none: targets.length ? null : none, hint: 'give mirrors as arguments (mirrorctl check mirror.example.com:5000), or add one with mirrorctl mirror add'}
}

async function containerdMirrors(host: Host, options: EngineMirrorOptions): Promise<EngineMirrors> {
  const location = await locateContainerd(host, {hostsDir: options.containerdHostsDir})
  const version = await detectContainerdVersion(host, {treeRoot: options.treeRoot})
  const snapshots = (await Promise.all(location.hostsDirs.map((r) => snapshotHostsDir(host, r)))).filter((s): s is HostsDirSnapshot => s !== null)
  const targets = mirrorsFromContainerd(snapshots, version)
  const none = `no hosts.toml under ${location.hostsDirs.join(', ')} names a [host] that containerd can use`
  return {targets, merged: null, none: targets.length ? null : none, hint: 'give mirrors as arguments, or add one with mirrorctl mirror add --engine containerd'}
}

async function dockerMirrors(host: Host, options: EngineMirrorOptions): Promise<EngineMirrors> {
  const {doc, text, location} = await loadDaemonJson(host, await locateDaemonJson(host, {daemonJson: options.daemonJson, treeRoot: options.treeRoot}))
  if (text === null) return {targets: [], merged: null, none: `${location.path} does not exist`, hint: 'give mirrors as arguments (mirrorctl check --engine docker https://mirror.example.com)'}
  if (doc.syntaxFindings[0]) throw configRejected(doc.syntaxFindings[0])
  const targets = mirrorsFromDaemonJson(readDaemonJson(doc), location.path)
  return {targets, merged: null, none: targets.length ? null : `${location.path} has no registry-mirrors`, hint: 'give mirrors as arguments, or add one with mirrorctl mirror add'}
}

/** The CA files the engine trusts for this mirror on top of the system roots (certs.d, hosts.toml ca). */
export async function mirrorCaFiles(host: Host, engine: MirrorEngine, target: MirrorTarget): Promise<string[]> {
  if (engine === 'containerd' || engine === 'k3s') return [...(target.caFiles ?? [])]
  return (await registryCas(host, engine, target.hostPort)).files
}

/** podman's view unless Docker is the only engine on the host (or daemonJson names its file). */
export async function defaultEngine(host: Host, flags: {'daemon-json'?: string | undefined; root?: string | undefined}): Promise<EngineName> {
  if (flags['daemon-json']) return 'docker'
  const detected = await selectEngines(host, flags).catch(() => null)
  const engines = detected?.engines.filter((e) => e === 'docker' || e === 'podman') ?? []
  return engines.length === 1 && engines[0] === 'docker' ? 'docker' : 'podman'
}
