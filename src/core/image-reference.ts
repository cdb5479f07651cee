/**
 * Image references as the distribution reference grammar defines them (the grammar every
 * Go consumer uses): [domain/]path[:tag][@digest], normalised the Docker Hub way.
 */
import {memoByString} from './memo.js'

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]'
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`
const TAG = '[\\w][\\w.-]{0,127}'
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}'

const anchoredDomain = new RegExp(`^${DOMAIN}$`)
const anchoredPath = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`)
const anchoredTag = new RegExp(`^${TAG}$`)
const anchoredDigest = new RegExp(`^${DIGEST}$`)

export const DOCKER_HUB = 'docker.io'
const LEGACY_HUB = 'index.docker.io'
const NAME_TOTAL_MAX = 255

export interface ImageReference {
  /** Registry host[:port] as written, or "" when the input named none. */
  domain: string
  /** Repository path (after the domain). */
  path: string
  tag: string | null
  digest: string | null
}

export class ReferenceError extends Error {
  override name = 'ReferenceError'
}

/** True when `s` is a valid registry host[:port] (what unqualified-search-registries holds). */
export function isDomain(s: string): boolean {
  return anchoredDomain.test(s)
}

/** The domain split as the grammar does it: the first component is a registry only if it looks like a host. */
function splitDomain(name: string): {domain: string; path: string} {
  const slash = name.indexOf('/')
  if (slash === -1) return {domain: '', path: name}
  const first = name.slice(0, slash)
  if (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) {
    return {domain: first, path: name.slice(slash + 1)}
  }
  return {domain: '', path: name}
}

/** Parses without normalising: the domain is "" when the input has none (a short name). */
export function parseReference(input: string): ImageReference {
  if (input === '') throw new ReferenceError('repository name must have at least one component')
  let rest = input
  let digest: string | null = null
  const at = rest.indexOf('@')
  if (at !== -1) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!anchoredDigest.test(digest)) throw new ReferenceError(`invalid digest "${digest}"`)
    const [algo, hex] = digest.split(':') as [string, string]
    if (algo === 'sha256' && hex.length !== 64) throw new ReferenceError(`invalid checksum digest length in "${digest}"`)
  }
  let tag: string | null = null
  const colon = rest.lastIndexOf(':')
  if (colon !== -1 && !rest.slice(colon + 1).includes('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!anchoredTag.test(tag)) throw new ReferenceError(`invalid tag "${tag}" in "${input}"`)
  }
  const {domain, path} = splitDomain(rest)
  if (domain && !anchoredDomain.test(domain)) throw new ReferenceError(`invalid reference format: "${input}"`)
  if (!anchoredPath.test(path)) {
    if (anchoredPath.test(path.toLowerCase())) throw new ReferenceError(`repository name must be lowercase: "${input}"`)
    throw new ReferenceError(`invalid reference format: "${input}"`)
  }
  if ((domain ? domain.length + 1 : 0) + path.length > NAME_TOTAL_MAX)
    throw new ReferenceError(`repository name must not be more than ${NAME_TOTAL_MAX} characters`)
  return {domain, path, tag, digest}
}

/**
 * Normalises as the Go consumers do: no domain → docker.io, index.docker.io → docker.io,
 * and an official Docker Hub image gets "library/".
 */
export function normalize(ref: ImageReference): ImageReference {
  let domain = ref.domain || DOCKER_HUB
  if (domain === LEGACY_HUB) domain = DOCKER_HUB
  const path = domain === DOCKER_HUB && !ref.path.includes('/') ? `library/${ref.path}` : ref.path
  return {...ref, domain, path}
}

/** Parse then normalise (ParseNormalizedNamed); also rejects upper case in a name that normalisation would place on Docker Hub. */
export function parseNormalized(input: string): ImageReference {
  if (/^[a-f0-9]{64}$/.test(input)) throw new ReferenceError(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`)
  return normalize(parseReference(input))
}

/**
 * ParseNamed: the reference must already be in its normalised (canonical) form, as
 * containers/image requires of every rewritten pull source ("docker.io/ubuntu" is not:
 * it normalises to docker.io/library/ubuntu).
 */
export function parseNamed(input: string): ImageReference {
  const ref = parseNormalized(input)
  const canonical = formatReference(ref)
  if (canonical !== input) throw new ReferenceError(`repository name must be canonical: "${input}" normalises to "${canonical}"`)
  return ref
}

/**
 * Why containers/image can build no image reference at all from a registries.conf location
 * (host[:port][/namespace]): every rewrite of a pull through it fails. null when some name works.
 */
export const unusableLocation: (location: string) => string | null = memoByString(findUnusable)

function findUnusable(location: string): string | null {
  let first: string | null = null
  // The shortest names a rewrite can produce: the location alone, or with one or two path components.
  for (const rest of [':latest', '/x:latest', '/x/x:latest']) {
    try {
      parseNamed(location + rest)
      return null
    } catch (error) {
      first ??= (error as Error).message
    }
  }
  return first
}

/** host/path, without tag or digest. */
export function repositoryName(ref: ImageReference): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path
}

/** The full reference string: name[:tag][@digest]. */
export function formatReference(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag !== null ? `:${ref.tag}` : '') + (ref.digest !== null ? `@${ref.digest}` : '')
}

/** Adds ":latest" when the reference names neither tag nor digest, as pulls do. */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === null && ref.digest === null ? {...ref, tag: 'latest'} : ref
}

/** A short name has no registry part as written ("nginx", "library/nginx:1.27"). */
export function isShortName(input: string): boolean {
  parseReference(input) // throws on an invalid reference
  const slash = input.indexOf('/')
  const first = slash === -1 ? '' : input.slice(0, slash)
  // c/image asks only whether the first component looks like a host (".", ":" or localhost).
  return !(/[.:]/.test(first) || first === 'localhost')
}
