import path from 'node:path'
import type {EngineName} from '../cli/engine-selection.js'
import type {PlannedFile} from '../cli/file-result.js'
import {setHostCa} from '../formats/containerd-hosts/ca-key.js'
import type {Host} from '../hosts/host.js'
import {containerdCaPath, containersCaPath, dockerCaPath, holdsSameCertificates, k3sCaPath, mirrorsWithCa, type CaBundle} from '../policy/ca-files.js'
import type {MirrorChange, MirrorTarget} from '../policy/mirror-policy.js'
import {hostsTomlOf} from './containerd-change.js'
import {locateContainerd} from './containerd-hosts-dir.js'
import {setK3sCa} from './ca-k3s.js'
import {locateK3sRegistries} from './k3s-change.js'

export interface CaPlanOptions {
  /** The engines that took the change on this host (skipped ones left out). */
  engines: readonly EngineName[]
  containerd?: {hostsDir?: string | undefined; configToml?: string | undefined} | undefined
  /** k3s/RKE2 registries.yaml (default: found under /etc/rancher). */
  k3sRegistries?: string | undefined
}

/**
 * Adds to a change's planned files the CA files of its mirrors that carry one (--ca-file,
 * the spec's ca-file), where each engine that took the change looks for them:
 * - docker: /etc/docker/certs.d/<host[:port]>/ca.crt (moby registry: newTLSConfig(mirrorURL.Host));
 * - podman family: /etc/containers/certs.d/<host[:port]>/ca.crt (containers/image dockerCertDir);
 * - containerd: a file beside the registry's hosts.toml, named by the mirror's [host] `ca` key;
 * - k3s/RKE2: a file under <rancher dir>/certs named by registries.yaml configs."<host>".tls.ca_file
 *   (k3s pkg/agent/containerd/config.go: each endpoint takes the config of its URL's host).
 * A CA file already holding the same certificates is left alone, so a second run plans
 * nothing. Removals never touch CA files.
 */
export async function withCaFiles(host: Host, change: MirrorChange, writes: readonly PlannedFile[], options: CaPlanOptions): Promise<{writes: PlannedFile[]; notes: string[]}> {
  if (change.action === 'remove') return {writes: [...writes], notes: []}
  const mirrors = mirrorsWithCa(change.mirrors)
  if (!mirrors.length) return {writes: [...writes], notes: []}
  const configs = [...writes]
  // CA files go first in the request: a config naming a mirror is never written before its CA.
  const cas: PlannedFile[] = []
  const notes: string[] = []
  for (const m of mirrors) {
    if (options.engines.includes('docker')) await addCaFile(host, cas, 'docker', dockerCaPath(m), m)
    if (options.engines.includes('podman')) {
      await addCaFile(host, cas, 'podman', containersCaPath(m), m)
      notes.push(...(await shadowedDockerFolder(host, m.host)))
    }
  }
  if (options.engines.includes('containerd')) await addContainerdCa(host, configs, cas, change.source, mirrors, options.containerd ?? {})
  if (options.engines.includes('k3s')) notes.push(...(await addK3sCa(host, configs, cas, mirrors, options.k3sRegistries)))
  return {writes: [...cas, ...configs], notes}
}

/**
 * containers/image reads only the first certs.d/<host> folder that exists (containers
 * before docker): creating the containers one hides what Docker's folder gave podman
 * until now (client certificates above all). Said, not silently changed.
 */
async function shadowedDockerFolder(host: Host, mirrorHost: string): Promise<string[]> {
  const ours = path.posix.dirname(containersCaPath({host: mirrorHost}))
  if (await host.stat(ours)) return []
  const docker = path.posix.dirname(dockerCaPath({host: mirrorHost}))
  const others = ((await host.listDir(docker)) ?? []).filter((n) => n !== 'ca.crt')
  if (!others.length) return []
  return [`podman: creating ${ours} makes podman, skopeo and CRI-O stop reading ${docker} (they read the first of the two that exists): copy ${others.join(', ')} there if they need it`]
}

async function addCaFile(host: Host, writes: PlannedFile[], engine: PlannedFile['engine'], file: string, m: MirrorTarget & {ca: CaBundle}): Promise<void> {
  // Another change of the same run may have planned it already (two sources, one mirror host).
  if (writes.some((w) => w.path === file)) return
  const before = await host.readFile(file)
  if (holdsSameCertificates(before, m.ca)) return
  writes.push({engine, path: file, before, after: m.ca.pem, actions: [`${before === null ? 'install' : 'replace'} the CA of mirror ${m.host} from ${m.ca.file} (${m.ca.subject})`]})
}

/** The registry's hosts.toml as this plan leaves it, each mirror's [host] table pointed at its CA file. */
async function addContainerdCa(host: Host, writes: PlannedFile[], cas: PlannedFile[], registry: string, mirrors: readonly (MirrorTarget & {ca: CaBundle})[], options: {hostsDir?: string | undefined; configToml?: string | undefined}): Promise<void> {
  const where = await locateContainerd(host, options)
  const {path: file} = await hostsTomlOf(host, where.hostsDir, registry)
  const planned = writes.findIndex((w) => w.path === file)
  const before = planned === -1 ? await host.readFile(file) : writes[planned]!.before
  let text = planned === -1 ? before : writes[planned]!.after
  if (text === null) return
  const actions: string[] = []
  for (const m of mirrors) {
    const caFile = containerdCaPath(path.posix.dirname(file), m)
    const set = setHostCa(text, file, m, caFile)
    text = set.after
    if (set.action) actions.push(set.action)
    await addCaFile(host, cas, 'containerd', caFile, m)
  }
  if (!actions.length) return
  if (planned === -1) writes.push({engine: 'containerd', path: file, before, after: text, actions})
  else writes[planned] = {...writes[planned]!, after: text, actions: [...writes[planned]!.actions, ...actions]}
}

/** registries.yaml as this plan leaves it, with configs."<host>".tls.ca_file for each mirror. */
async function addK3sCa(host: Host, writes: PlannedFile[], cas: PlannedFile[], mirrors: readonly (MirrorTarget & {ca: CaBundle})[], given: string | undefined): Promise<string[]> {
  const file = await locateK3sRegistries(host, given)
  const planned = writes.findIndex((w) => w.path === file)
  const before = planned === -1 ? await host.readFile(file) : writes[planned]!.before
  const text = planned === -1 ? before : writes[planned]!.after
  if (text === null) return []
  const set = setK3sCa(text, mirrors.map((m) => ({host: m.host, caFile: k3sCaPath(file, m)})))
  if (set.error) return [`k3s: the CAs of ${mirrors.map((m) => m.host).join(', ')} are not installed: ${file} ${set.error}`]
  for (const m of mirrors) await addCaFile(host, cas, 'k3s', k3sCaPath(file, m), m)
  if (!set.actions.length) return []
  const actions = [...set.actions, 'restart k3s (or rke2-server / rke2-agent) to apply it: registries.yaml is read at start']
  if (planned === -1) writes.push({engine: 'k3s', path: file, before, after: set.after, actions})
  else writes[planned] = {...writes[planned]!, after: set.after, actions: [...writes[planned]!.actions.filter((a) => !a.startsWith('restart k3s')), ...actions]}
  return []
}
