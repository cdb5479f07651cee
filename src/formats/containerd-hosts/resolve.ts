import {parseNormalized} from '../../core/image-reference.js'
import {decodeHostsToml, type Capability, type HostConfig} from './decode.js'
import {parseTomlDoc} from './toml-doc.js'
import type {ContainerdVersion} from './version.js'

/**
 * What the resolver needs to know about one hosts folder root (<config_path>), gathered by the
 * engine module: which entries exist and the text of each folder's hosts.toml. Pure from here on.
 */
export interface HostsDirSnapshot {
  root: string
  /** Folder name -> its contents; a name absent here does not exist. */
  folders: ReadonlyMap<string, {hostsToml: string | null; files: readonly string[]}>
}

export interface ContainerdSource {
  url: string
  capabilities: Capability[]
  skipVerify: boolean
}

export interface ContainerdResolved {
  image: string
  /** The registry host the image names (docker.io for Docker Hub names). */
  registry: string
  /** The folder containerd reads for it, or null when none exists. */
  folder: string | null
  /** Set when the folder's hosts.toml is ignored (containerd only logs this). */
  ignored: {file: string; message: string} | null
  sources: ContainerdSource[]
  /** ca and client files containerd must read before pulling (absolute paths). */
  files: {path: string; kind: 'CA cert' | 'CERT file'}[]
}

/** containerd's hostDirectory: the last ":port" becomes "_port_". */
export function portFolderName(host: string): string {
  const i = host.lastIndexOf(':')
  return i > 0 ? `${host.slice(0, i)}_${host.slice(i + 1)}_` : host
}

/** Folder names tried for a registry host, in containerd's order (config_unix.go hostPaths). */
export function folderCandidates(host: string): string[] {
  const ported = portFolderName(host)
  return [...(ported !== host ? [ported] : []), host, '_default']
}

/** containerd's docker.IsLocalhost: "localhost" or a loopback IP, after stripping a port. */
export function isLocalhost(host: string): boolean {
  let h = host
  const m = /^\[([^\]]+)\](?::\d*)?$/.exec(h)
  if (m) h = m[1]!
  else if ((h.match(/:/g) ?? []).length === 1) h = h.slice(0, h.indexOf(':'))
  if (h === 'localhost') return true
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return h.split('.').every((x) => Number(x) <= 255)
  return h === '::1' || /^(?:0{1,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./i.test(h)
}

function portOf(host: string): string {
  const m = /:(\d*)$/.exec(host.startsWith('[') ? host.slice(host.indexOf(']') + 1) : host)
  return m ? m[1]! : ''
}

/** The endpoints containerd tries for an image, in order, as `ctr images pull --hosts-dir ROOT` or the CRI plugin would. */
export function resolveContainerd(image: string, snapshot: HostsDirSnapshot | null, version: ContainerdVersion): ContainerdResolved {
  const registry = parseNormalized(image).domain
  let folder: string | null = null
  let hosts: HostConfig[] | null = null
  let ignored: ContainerdResolved['ignored'] = null
  if (snapshot) {
    folder = folderCandidates(registry).find((n) => snapshot.folders.has(n)) ?? null
    if (folder !== null) {
      const content = snapshot.folders.get(folder)!
      const dir = `${snapshot.root.replace(/\/+$/, '')}/${folder}`
      if (content.hostsToml) {
        const decoded = decodeHostsToml(parseTomlDoc(content.hostsToml, `${dir}/hosts.toml`), dir, version)
        if (decoded.ok) hosts = decoded.hosts
        else ignored = {file: `${dir}/hosts.toml`, message: decoded.message}
      }
      // No (usable) hosts.toml: Docker's certs.d layout in the same folder.
      hosts ??= [certFilesEntry(dir, content.files)]
    }
  }
  hosts ??= [emptyEntry()]
  const last = hosts[hosts.length - 1]
  if (last && last.host === '') fillDefault(last, registry, version)
  const sources = hosts.map((h) => toSource(h, version))
  const files = hosts.flatMap((h) => [
    ...h.caCerts.map((path) => ({path, kind: 'CA cert' as const})),
    ...h.clientPairs.flatMap((p) => p.filter(Boolean).map((path) => ({path, kind: 'CERT file' as const}))),
  ])
  return {image, registry, folder: folder === null ? null : `${snapshot!.root.replace(/\/+$/, '')}/${folder}`, ignored, sources, files}
}

function emptyEntry(): HostConfig {
  return {table: null, scheme: '', host: '', path: '', capabilities: [], skipVerify: null, caCerts: [], clientPairs: [], hasHeader: false}
}

function certFilesEntry(dir: string, files: readonly string[]): HostConfig {
  const e = emptyEntry()
  for (const f of files) {
    if (f.endsWith('.crt')) e.caCerts.push(`${dir}/${f}`)
    if (f.endsWith('.cert')) {
      const key = `${f.slice(0, -5)}.key`
      e.clientPairs.push([`${dir}/${f}`, files.includes(key) ? `${dir}/${key}` : ''])
    }
  }
  return e
}

/** ConfigureHosts: the last entry without a host becomes the registry itself. */
function fillDefault(e: HostConfig, registry: string, version: ContainerdVersion): void {
  e.path = '/v2'
  e.capabilities = ['pull', 'resolve', 'push']
  if (registry === 'docker.io') {
    e.scheme = 'https'
    e.host = 'registry-1.docker.io'
    return
  }
  e.host = registry
  e.scheme = 'https'
  if (version === '1.6' || !isLocalhost(registry)) return
  if (version === '1.7') {
    e.scheme = 'http'
    e.skipVerify = true
    return
  }
  const port = portOf(registry)
  e.scheme = port === '' || port === '443' ? 'https' : 'http'
  if (port !== '80') e.skipVerify = true
}

function toSource(h: HostConfig, version: ContainerdVersion): ContainerdSource {
  let scheme = h.scheme
  // 2.x: an http host with its own TLS settings is tried with https first (then http), unless on port 80.
  const explicitTLS = h.caCerts.length > 0 || h.clientPairs.length > 0 || h.skipVerify !== null
  if (version === '2' && scheme === 'http' && explicitTLS && portOf(h.host) !== '80') scheme = 'https'
  return {url: `${scheme}://${h.host}${h.path}`, capabilities: [...h.capabilities], skipVerify: h.skipVerify ?? false}
}
