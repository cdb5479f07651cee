import {UserError} from '../core/errors.js'
import {unusableLocation} from '../core/image-reference.js'
import {rewriteReference, sampleReferences} from '../core/registry-prefix.js'
import type {CaBundle} from './ca-files.js'

export type PullFromMirror = 'all' | 'digest-only' | 'tag-only'
export type Position = 'first' | 'last'

/**
 * One mirror as the user means it, independent of any engine's file syntax. registries.conf
 * writes `host[:port][/namespace]` with `insecure`; daemon.json writes a URL.
 */
export interface MirrorTarget {
  /** host[:port] (IPv6 in brackets), lower-cased. */
  host: string
  /** Namespace path without leading or trailing slash ("dockerhub-proxy"), or "". */
  path: string
  /** Scheme if the user gave one; http implies plain HTTP. */
  scheme: 'http' | 'https' | null
  /** Plain HTTP or unverified TLS allowed. */
  insecure: boolean
  pullFromMirror: PullFromMirror | null
  /** The argument as typed, for messages. */
  given: string
  /** A private CA to install where each engine looks for this mirror (--ca-file, spec ca-file). */
  ca?: CaBundle
}

export type MirrorChange =
  | {
      action: 'add'
      /** Registry or prefix whose pulls the mirrors serve: docker.io, docker.io/library, quay.io/org. */
      source: string
      mirrors: MirrorTarget[]
      /** Redirect the prefix itself to another registry or namespace (registries.conf `location`). */
      location: string | null
      position: Position
    }
  | {
      action: 'remove'
      source: string
      /** Mirrors to remove, matched by location; null removes all of the source's mirrors. */
      mirrors: MirrorTarget[] | null
    }
  | {
      /** Declarative (fleet spec): afterwards the source's mirrors are exactly `mirrors`, in order; [] clears them. */
      action: 'set'
      source: string
      mirrors: MirrorTarget[]
      /** undefined leaves the redirect as it is, a string sets it, null removes it (location = the prefix). */
      location?: string | null
    }

const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?$/

/**
 * Reads a MIRROR argument: `host[:port][/ns]` or `http(s)://host[:port][/ns]`. Rejects what
 * no engine could use, with a hint, before anything is planned.
 */
export function parseMirrorArgument(
  given: string,
  options: {insecure?: boolean; pullFromMirror?: PullFromMirror | null; source?: string} = {},
): MirrorTarget {
  const trimmed = given.trim()
  let scheme: MirrorTarget['scheme'] = null
  let rest = trimmed
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(trimmed)
  if (m) {
    const s = m[1]!.toLowerCase()
    if (s !== 'http' && s !== 'https')
      throw new UserError(`invalid mirror "${given}": unsupported scheme "${s}"`, {hint: 'use http:// or https://, or give host[:port] alone'})
    scheme = s
    rest = trimmed.slice(m[0].length)
  }
  if (/[?#@\s]/.test(rest))
    throw new UserError(`invalid mirror "${given}": user info, query, fragment or spaces are not allowed`, {
      hint: 'give host[:port][/namespace]; credentials belong in the engine\'s auth file, not in the mirror address',
    })
  rest = rest.replace(/\/+$/, '')
  const slash = rest.indexOf('/')
  const host = (slash === -1 ? rest : rest.slice(0, slash)).toLowerCase()
  const path = slash === -1 ? '' : rest.slice(slash + 1)
  if (!host || !HOST_PORT.test(host))
    throw new UserError(`invalid mirror "${given}": "${host}" is not a host[:port]`, {hint: 'for example mirror.example.com:5000 or 127.0.0.1:5000'})
  const port = /:(\d+)$/.exec(host)?.[1]
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
    throw new UserError(`invalid mirror "${given}": port ${port} is out of range`, {hint: 'ports are 1-65535'})
  if (path && !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(path))
    throw new UserError(`invalid mirror "${given}": namespace "${path}" is not a valid repository path`, {
      hint: 'namespaces are lower-case path components such as dockerhub-proxy',
    })
  // A mirror being added (not one being removed) must work for containers/image.
  if (options.source !== undefined) refuseUnusable(`mirror "${given}"`, options.source, mirrorLocation({host, path}))
  return {
    host,
    path,
    scheme,
    insecure: Boolean(options.insecure) || scheme === 'http',
    pullFromMirror: options.pullFromMirror ?? null,
    given,
  }
}

/**
 * Reads a --location argument (registries.conf `location`: host[:port][/namespace]) and refuses,
 * before anything is planned, every value containers/image could build no image reference from.
 */
export function parseLocationArgument(given: string, source: string): string {
  const shown = JSON.stringify(given)
  // Control characters, spaces and quotes: TOML would escape them, but no image name holds one.
  if (/[\s"'\\\u0000-\u001f\u007f]/.test(given))
    throw new UserError(`invalid --location ${shown}: spaces, quotes and control characters cannot appear in an image name`, {
      hint: 'give host[:port][/namespace], for example quay.io/myorg',
    })
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(given)
  const afterScheme = scheme ? given.slice(scheme[0].length) : given
  if (/@/.test(afterScheme.split('/')[0]!))
    throw new UserError(`invalid --location ${shown}: user info is not allowed`, {
      hint: "credentials belong in the engine's auth file (podman login), not in the location",
    })
  if (scheme)
    throw new UserError(`invalid --location ${shown}: registries.conf locations take no scheme`, {
      hint: `write ${JSON.stringify(afterScheme.replace(/\/+$/, ''))}; use --insecure for a registry served over plain HTTP`,
    })
  const location = given.replace(/\/+$/, '')
  if (location === '') throw new UserError('invalid --location "": give host[:port][/namespace]', {hint: 'for example quay.io/myorg'})
  refuseUnusable(`--location ${shown}`, source, location)
  return location
}

/**
 * Refuses a registries.conf location or mirror that containers/image cannot use: one it can
 * build no image reference from, or one whose rewrite of a common image under `source` fails
 * ("rewriting reference": invalid, not canonical, or longer than 255 characters).
 */
function refuseUnusable(what: string, source: string, location: string): void {
  const hint = 'give host[:port][/namespace] in lower case, short enough for image names of at most 255 characters; docker.io, not index.docker.io'
  const unusable = unusableLocation(location)
  if (unusable) throw new UserError(`invalid ${what}: podman, skopeo and CRI-O could pull nothing through it (${unusable})`, {hint})
  const prefix = source.replace(/\/+$/, '')
  for (const sample of sampleReferences(prefix)) {
    try {
      rewriteReference(sample, prefix, location)
    } catch (error) {
      throw new UserError(`invalid ${what}: pulls of ${sample} through it would fail (${(error as Error).message})`, {
        hint: prefix === 'localhost' ? 'give the prefix its port (localhost:5000), so that it matches one registry' : hint,
      })
    }
  }
}

/** registries.conf form of a mirror: host[:port][/namespace]. */
export function mirrorLocation(m: Pick<MirrorTarget, 'host' | 'path'>): string {
  return m.path ? `${m.host}/${m.path}` : m.host
}

/** daemon.json form of a mirror: a URL; without a scheme, http when insecure, else https. */
export function mirrorUrl(m: MirrorTarget): string {
  const scheme = m.scheme ?? (m.insecure ? 'http' : 'https')
  return `${scheme}://${m.host}${m.path ? `/${m.path}` : ''}`
}
