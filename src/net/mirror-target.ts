/**
 * Which mirrors to probe and what to ask them: mirror arguments, the mirrors of a merged
 * registries.conf, the registry-mirrors of daemon.json, and the manifest path an image takes
 * through a mirror. Pure: no I/O.
 */

import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {parseMirrorArgument as parsePolicyMirror} from '../policy/mirror-policy.js'
import {DOCKER_HUB, parseNormalized, parseReference, withDefaultTag, type ImageReference} from '../core/image-reference.js'
import type {DaemonJsonConfig} from '../formats/daemon-json/read.js'
import type {MergedConfig} from '../formats/registries-conf/model.js'
import {pullSources} from '../formats/registries-conf/resolve.js'
import {decodeHostsToml} from '../formats/containerd-hosts/decode.js'
import type {HostsDirSnapshot} from '../formats/containerd-hosts/resolve.js'
import {parseTomlDoc} from '../formats/containerd-hosts/toml-doc.js'
import type {ContainerdVersion} from '../formats/containerd-hosts/version.js'
import {cidrContains, isLoopback, parseAddr, parseCidr} from '../core/ip.js'
import {maskUrlCredentials} from './proxy.js'

export interface MirrorTarget {
  /** As the user or the config file wrote it. */
  mirror: string
  /** Host name (lower case) or IP literal without brackets. */
  host: string
  /** The port as written, or null for the scheme's default. */
  port: number | null
  /** host[:port] as written: the certs.d folder name and the CONNECT target. */
  hostPort: string
  /** registries.conf namespace: inserted after /v2/ ("" for none). */
  namespace: string
  /** A daemon.json mirror URL's path: put before /v2/ ("" for none). */
  apiRoot: string
  /** Fixed by a URL; null means https, falling back to http when insecure. */
  scheme: 'http' | 'https' | null
  /** Unverified TLS, then plain HTTP, are acceptable. */
  insecure: boolean
  /** registries.conf per-mirror proxy ("" for none): used instead of the environment. */
  proxy: string
  /** How the mirror was named: on the command line, in registries.conf or in daemon.json. */
  kind: 'argument' | 'registries-conf' | 'daemon-json' | 'containerd-hosts'
  /** "argument" or the file that configures it. */
  origin: string
  /** The registries.conf prefixes (or "docker.io" for daemon.json) it serves; [] for arguments. */
  serves: string[]
  /** Set when the location cannot be probed at all. */
  problem?: string
  /** CA files the engine trusts for this mirror alone (hosts.toml `ca`), absolute paths. */
  caFiles?: string[]
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

function usage(message: string, hint?: string): UserError {
  return new UserError(message, {exitCode: ExitCode.Usage, ...(hint ? {hint} : {})})
}

/**
 * A path containerd requests below (ending in /v2, or an override_path such as
 * /v2/<project>) split at its first /v2: the API root before it, the namespace after it.
 * null when there is no /v2 segment (a registry serves nothing there).
 */
export function splitAtV2(path: string): {apiRoot: string; namespace: string} | null {
  const m = /^(.*?)\/v2(?:\/(.*))?$/.exec(path)
  return m ? {apiRoot: m[1]!, namespace: m[2] ?? ''} : null
}

/** host[:port] (IPv6 in brackets) into the host without brackets and the port. */
export function splitHostPort(hostPort: string): {host: string; port: number | null} {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort)
  const rawHost = m?.[1] ?? hostPort
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost.toLowerCase()
  return {host, port: m?.[2] !== undefined ? Number(m[2]) : null}
}

/**
 * A mirror as given on the command line: host[:port][/namespace] (registries.conf style: the
 * namespace goes after /v2/) or an http(s):// URL (daemon.json style: a path goes before /v2/).
 * Throws a usage error for anything else.
 */
export function parseMirrorArgument(arg: string, options: {insecure?: boolean; origin?: string; kind?: MirrorTarget['kind']} = {}): MirrorTarget {
  const input = arg.trim()
  // Messages quote the argument with any password masked.
  const shown = maskUrlCredentials(input)
  const origin = options.origin ?? 'argument'
  const kind = options.kind ?? 'argument'
  if (input === '') throw usage('a mirror argument is empty')
  if (SCHEME.test(input)) {
    let url: URL
    try {
      url = new URL(input)
    } catch {
      throw usage(`mirror "${shown}" is not a valid URL`, 'write host[:port][/namespace] or https://host[:port]')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`mirror "${shown}": unsupported scheme "${url.protocol.slice(0, -1)}"`, 'use http:// or https://')
    if (url.username || url.password) throw usage(`mirror "${shown}": credentials in a mirror URL are not allowed`, 'engines refuse them too; log in with podman login / docker login instead')
    if (url.search || url.hash) throw usage(`mirror "${shown}": a query or fragment is not allowed`)
    const {host, port} = splitHostPort(url.host)
    return {
      mirror: arg,
      host,
      port,
      hostPort: url.host,
      namespace: '',
      apiRoot: url.pathname.replace(/\/+$/, ''),
      scheme: url.protocol === 'http:' ? 'http' : 'https',
      insecure: options.insecure === true,
      proxy: '',
      kind,
      origin,
      serves: [],
    }
  }
  // host[:port][/namespace]: the same reading as mirror add's, so both accept the same arguments.
  const parsed = parsePolicyMirror(input)
  const hostPort = parsed.host
  const namespace = parsed.path
  const {host, port} = splitHostPort(hostPort)
  return {mirror: arg, host, port, hostPort, namespace, apiRoot: '', scheme: null, insecure: options.insecure === true, proxy: '', kind, origin, serves: []}
}

/** Every distinct mirror location of a merged registries.conf, in file order, with what it serves. */
export function mirrorsFromRegistriesConf(config: MergedConfig): MirrorTarget[] {
  const byLocation = new Map<string, MirrorTarget>()
  for (const registry of config.registries) {
    for (const m of registry.mirrors) {
      let target = byLocation.get(m.location)
      if (!target) {
        try {
          target = parseMirrorArgument(m.location, {insecure: m.insecure, origin: registry.file, kind: 'registries-conf'})
        } catch (error) {
          const {host} = splitHostPort(m.location.split('/')[0] ?? '')
          target = {mirror: m.location, host, port: null, hostPort: m.location, namespace: '', apiRoot: '', scheme: null, insecure: m.insecure, proxy: '', kind: 'registries-conf', origin: registry.file, serves: [], problem: (error as Error).message}
        }
        if (target.scheme !== null) target.problem = `registries.conf locations take no scheme (${m.location}); the engines refuse the file`
        target.proxy = m.proxy
        byLocation.set(m.location, target)
      }
      // Tables that share a mirror may disagree; any insecure one lets the engine fall back.
      target.insecure ||= m.insecure
      if (!target.serves.includes(registry.prefix)) target.serves.push(registry.prefix)
    }
  }
  return [...byLocation.values()]
}

/** The registry a hosts folder serves: "host_port_" is host:port, "_default" every registry ("*"). */
function folderRegistry(folder: string): string {
  if (folder === '_default') return '*'
  const m = /^(.*)_(\d+)_$/.exec(folder)
  return m ? `${m[1]}:${m[2]}` : folder
}

/**
 * The [host."…"] entries of every hosts.toml under the config_path roots (the first root with a
 * folder wins, as in the CRI plugin): the mirrors containerd tries before the registry itself.
 * The probe asks for `<apiRoot>/v2/`, so the path containerd requests loses its final /v2; a
 * hosts.toml containerd cannot decode is ignored by containerd, and so here (lint reports it).
 */
export function mirrorsFromContainerd(snapshots: readonly HostsDirSnapshot[], version: ContainerdVersion): MirrorTarget[] {
  const byUrl = new Map<string, MirrorTarget>()
  const seen = new Set<string>()
  for (const snapshot of snapshots) {
    for (const [folder, content] of snapshot.folders) {
      if (seen.has(folder) || content.hostsToml === null) continue
      seen.add(folder)
      const dir = `${snapshot.root.replace(/\/+$/, '')}/${folder}`
      const file = `${dir}/hosts.toml`
      const decoded = decodeHostsToml(parseTomlDoc(content.hostsToml, file), dir, version)
      if (!decoded.ok) continue
      for (const h of decoded.hosts) {
        // The top-level server (table null) is the registry itself, not a mirror.
        if (h.table === null || h.host === '') continue
        const url = `${h.scheme}://${h.host}${h.path}`
        let target = byUrl.get(url)
        if (!target) {
          try {
            target = parseMirrorArgument(`${h.scheme}://${h.host}`, {origin: file, kind: 'containerd-hosts'})
          } catch (error) {
            const {host, port} = splitHostPort(h.host)
            target = {mirror: url, host, port, hostPort: h.host, namespace: '', apiRoot: '', scheme: null, insecure: false, proxy: '', kind: 'containerd-hosts', origin: file, serves: [], problem: (error as Error).message}
          }
          target.mirror = url
          // containerd requests <path>/<repo>/manifests/... (path ends in /v2 unless override_path):
          // what precedes /v2 is the API root, what follows it (a Harbor project) the namespace.
          const split = splitAtV2(h.path.replace(/\/+$/, ''))
          target.apiRoot = split?.apiRoot ?? h.path.replace(/\/+$/, '')
          target.namespace = split?.namespace ?? ''
          byUrl.set(url, target)
        }
        target.insecure ||= h.skipVerify === true
        for (const ca of h.caCerts) if (!(target.caFiles ??= []).includes(ca)) target.caFiles.push(ca)
        const registry = folderRegistry(folder)
        if (!target.serves.includes(registry)) target.serves.push(registry)
      }
    }
  }
  return [...byUrl.values()]
}

/** dockerd's insecure test for a mirror host: listed (host, host:port, CIDR for IP literals) or loopback. */
function dockerInsecure(target: MirrorTarget, insecureRegistries: readonly string[]): boolean {
  const ip = parseAddr(target.host, false)
  if (ip && isLoopback(ip.bytes)) return true
  if (target.host === 'localhost') return true
  return insecureRegistries.some((entry) => {
    const cidr = parseCidr(entry)
    if (cidr) return ip !== null && cidrContains(cidr, ip.bytes)
    return entry.toLowerCase() === target.hostPort.toLowerCase() || entry.toLowerCase() === target.host
  })
}

/** The registry-mirrors of daemon.json (Docker Hub only), insecure as dockerd decides it. */
export function mirrorsFromDaemonJson(config: DaemonJsonConfig, file: string): MirrorTarget[] {
  return config.registryMirrors.map((url) => {
    let target: MirrorTarget
    try {
      target = parseMirrorArgument(url, {origin: file, kind: 'daemon-json'})
    } catch (error) {
      return {mirror: url, host: '', port: null, hostPort: url, namespace: '', apiRoot: '', scheme: null, insecure: false, proxy: '', kind: 'daemon-json', origin: file, serves: [DOCKER_HUB], problem: (error as Error).message}
    }
    if (target.scheme === null) target.problem = `dockerd needs a scheme (https:// or http://) in registry-mirrors: "${url}"`
    target.insecure = dockerInsecure(target, config.insecureRegistries)
    target.serves = [DOCKER_HUB]
    return target
  })
}

/** What to HEAD on a mirror for an image, or why the image does not go through it. */
export type ManifestTarget =
  | {repository: string; reference: string; image: string; path: string}
  | {skip: string}

/** Parse --image: the Docker Hub normalisation (nginx -> docker.io/library/nginx:latest). */
export function parseImage(image: string): ImageReference {
  try {
    return withDefaultTag(parseNormalized(image))
  } catch (error) {
    throw usage(`--image ${image}: ${(error as Error).message}`, 'give an image reference such as nginx, library/alpine:3.20 or quay.io/org/app:tag')
  }
}

function imageString(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}${ref.tag !== null ? `:${ref.tag}` : ''}${ref.digest !== null ? `@${ref.digest}` : ''}`
}

function manifestPath(target: MirrorTarget, repository: string, reference: string): string {
  return `${target.apiRoot}/v2/${repository}/manifests/${reference}`
}

/**
 * The manifest request an engine makes for image through target: registries.conf mirrors
 * rewrite the matched prefix to the mirror location (namespace included); daemon.json mirrors
 * serve Docker Hub only; argument mirrors are taken as mirrors of the image's registry.
 */
export function manifestTarget(target: MirrorTarget, ref: ImageReference, config: MergedConfig | null): ManifestTarget {
  const image = imageString(ref)
  const reference = ref.digest ?? ref.tag ?? 'latest'
  if (target.kind === 'registries-conf' && config) {
    const resolved = pullSources(config, ref)
    const source = resolved.sources.find((s) => s.mirror && (s.reference.startsWith(`${target.mirror}/`) || s.reference.startsWith(`${target.mirror}:`) || s.reference.startsWith(`${target.mirror}@`)))
    if (!source) {
      const why = resolved.blocked ? 'its prefix is blocked' : resolved.matchedPrefix === null ? 'no [[registry]] prefix matches it' : `it matches prefix ${resolved.matchedPrefix}, whose mirror list does not use this mirror for it`
      return {skip: `${image} is not pulled through this mirror (${why})`}
    }
    const rewritten = parseReference(source.reference)
    return {repository: rewritten.path, reference, image, path: manifestPath(target, rewritten.path, reference)}
  }
  if (target.serves.includes(DOCKER_HUB) && ref.domain !== DOCKER_HUB) {
    return {skip: `${image} is not a Docker Hub image; dockerd uses registry-mirrors for Docker Hub only`}
  }
  const repository = target.namespace ? `${target.namespace}/${ref.path}` : ref.path
  return {repository, reference, image, path: manifestPath(target, repository, reference)}
}
