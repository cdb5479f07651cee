import path from 'node:path'
import type {EngineName} from '../cli/engine-selection.js'
import type {PlannedFile} from '../cli/file-result.js'
import {setHostCa} from '../formats/containerd-hosts/ca-key.js'
import type {Host} from '../hosts/host.js'
import {containerdCaPath, containersCaPath, dockerCaPath, holdsSameCertificates, mirrorsWithCa, type CaBundle} from '../policy/ca-files.js'
import type {MirrorChange, MirrorTarget} from '../policy/mirror-policy.js'
import {hostsTomlOf} from './containerd-change.js'
import {locateContainerd} from './containerd-hosts-dir.js'

export interface CaPlanOptions {
  /** The engines that took the change on this host (skipped ones left out). */
  engines: readonly EngineName[]
  containerd?: {hostsDir?: string | undefined; configToml?: string | undefined} | undefined
}

/**
 * Adds to a change's planned files the CA files of its mirrors that carry one (--ca-file,
 * the spec's ca-file), where each engine that took the change looks for them:
 * - docker: /etc/docker/certs.d/<host[:port]>/ca.crt (moby registry: newTLSConfig(mirrorURL.Host));
 * - podman family: /etc/containers/certs.d/<host[:port]>/ca.crt (containers/image dockerCertDir);
 * - containerd: a file beside the registry's hosts.toml, named by the mirror's [host] `ca` key.
 * A CA file already holding the same certificates is left alone, so a second run plans
 * nothing. Removals never touch CA files. k3s is not handled yet: a note says so.
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
    if (options.engines.includes('k3s'))
      notes.push(`k3s: the CA of ${m.host} (${m.ca.file}) is not installed: mirrorctl does not write registries.yaml configs yet; set configs."${m.host}".tls.ca_file by hand`)
  }
  if (options.engines.includes('containerd')) await addContainerdCa(host, configs, cas, change.source, mirrors, options.containerd ?? {})
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
