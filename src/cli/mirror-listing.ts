import type {EngineSelection} from './engine-selection.js'
import type {Host} from '../hosts/host.js'
import {loadRegistriesConf} from '../engines/registries-conf-engine.js'
import {loadDaemonJson} from '../engines/docker-engine.js'
import {readDaemonJson} from '../formats/daemon-json/index.js'
import {configRejected} from '../lint/config-rejected.js'
import {locateContainerd, snapshotHostsDir} from '../engines/containerd-hosts-dir.js'
import {locateK3sRegistries} from '../engines/k3s-change.js'
import {parseTomlDoc} from '../formats/containerd-hosts/index.js'
import {parseK3sRegistries, readK3sRegistries} from '../formats/k3s-registries/index.js'

/** What `mirror list --json` prints for one machine: a key per selected engine, and warnings. */
export interface MirrorListing {
  podman?: unknown
  docker?: unknown
  containerd?: unknown
  k3s?: unknown
  warnings: string[]
}

export interface ListingOptions {
  'registries-conf'?: string | undefined
  'registries-conf-dir'?: string | undefined
  'containerd-hosts-dir'?: string | undefined
  'containerd-config'?: string | undefined
  'k3s-registries'?: string | undefined
}

/** The mirrors every selected engine uses on one host, as JSON and as text lines. Reads only. */
export async function listMirrors(host: Host, selection: EngineSelection, flags: ListingOptions): Promise<{out: MirrorListing; lines: string[]}> {
  const out: MirrorListing = {warnings: []}
  const lines: string[] = []
  if (selection.engines.includes('podman')) {
    const {set, locations, notes} = await loadRegistriesConf(host, {registriesConf: flags['registries-conf'], registriesConfDir: flags['registries-conf-dir']})
    out.warnings.push(...notes)
    if (!set.merged) throw configRejected(set.firstError!)
    const registries = set.merged.registries.map((r) => ({
      prefix: r.prefix,
      location: r.location,
      file: r.file,
      insecure: r.insecure,
      blocked: r.blocked,
      mirrorByDigestOnly: r.mirrorByDigestOnly,
      mirrors: r.mirrors.map((m) => ({location: m.location, insecure: m.insecure, pullFromMirror: m.pullFromMirror || 'all'})),
    }))
    out.podman = {files: set.merged.files, registries}
    lines.push(`podman, buildah, skopeo, CRI-O — registries.conf (${locations.reason}): ${set.merged.files.length ? set.merged.files.join(', ') : 'no files'}`)
    if (!registries.length) lines.push('  no [[registry]] entries')
    for (const r of registries) {
      lines.push(`  ${r.prefix}${r.location !== r.prefix ? ` -> ${r.location}` : ''}${r.blocked ? ' (blocked)' : ''}${r.insecure ? ' (insecure)' : ''}  [${r.file}]`)
      if (!r.mirrors.length) lines.push('    no mirrors')
      r.mirrors.forEach((m, i) => lines.push(`    ${i + 1}. ${m.location}${m.insecure ? ' (insecure)' : ''}${m.pullFromMirror !== 'all' ? ` (${m.pullFromMirror})` : ''}`))
    }
  }
  if (selection.engines.includes('docker')) {
    const loaded = await loadDaemonJson(host, selection.daemonJson)
    const firstError = loaded.doc.syntaxFindings.find((f) => f.severity === 'error')
    if (firstError) throw configRejected(firstError)
    const config = readDaemonJson(loaded.doc)
    out.docker = {file: loaded.location.path, exists: loaded.text !== null, registryMirrors: config.registryMirrors, insecureRegistries: config.insecureRegistries}
    lines.push(`docker — ${loaded.location.path}${loaded.text === null ? ' (does not exist: no mirrors)' : ''}`)
    lines.push(config.registryMirrors.length ? '  Docker Hub mirrors:' : '  no registry-mirrors')
    config.registryMirrors.forEach((m, i) => lines.push(`    ${i + 1}. ${m}`))
    if (config.insecureRegistries.length) lines.push(`  insecure-registries: ${config.insecureRegistries.join(', ')}`)
  }
  if (selection.engines.includes('containerd')) {
    const where = await locateContainerd(host, {hostsDir: flags['containerd-hosts-dir'], configToml: flags['containerd-config']})
    const snapshot = await snapshotHostsDir(host, where.hostsDir)
    const registries = [...(snapshot?.folders ?? new Map<string, {hostsToml: string | null}>())].map(([folder, c]) => ({
      folder,
      hosts: Object.keys(((c.hostsToml === null ? null : parseTomlDoc(c.hostsToml, folder).data?.['host']) as Record<string, unknown> | null | undefined) ?? {}),
    }))
    out.containerd = {hostsDir: where.hostsDir, from: where.from, registries}
    lines.push(`containerd — ${where.hostsDir} (${where.from === 'config_path' ? 'config_path' : where.from === 'flag' ? '--containerd-hosts-dir' : 'default; config_path is not set'})`)
    if (!registries.length) lines.push('  no registry folders')
    for (const r of registries) lines.push(`  ${r.folder}: ${r.hosts.length ? r.hosts.join(', ') : 'no [host] entries'}`)
  }
  if (selection.engines.includes('k3s')) {
    const file = await locateK3sRegistries(host, flags['k3s-registries'])
    const text = await host.readFile(file)
    const mirrors = text === null ? {} : readK3sRegistries(parseK3sRegistries(text, file)).mirrors
    out.k3s = {file, exists: text !== null, mirrors}
    lines.push(`k3s — ${file}${text === null ? ' (does not exist: no mirrors)' : ''}`)
    for (const [name, m] of Object.entries(mirrors)) lines.push(`  ${name}: ${m.endpoints.join(', ') || 'no endpoints'}`)
  }
  return {out, lines}
}
