/**
 * Registry prefixes as containers/image (pkg/sysregistriesv2) reads them: how a source the
 * user gives becomes the prefix the engines compare, how a prefix matches an image name, and
 * how a location rewrites it. Shared by the policy (which refuses unusable input early) and the
 * registries.conf format. Pure, no I/O.
 */
import {UserError} from './errors.js'
import {isDomain, parseNamed, ReferenceError} from './image-reference.js'
import {memoByString} from './memo.js'

/**
 * Length of the match of `prefix` in `ref` (a name, with or without tag/digest), or -1 — as
 * refMatchingPrefix does, including its quirk that "example.com" also matches
 * "example.com:5000/...". A "*" anywhere but a leading "*." never matches: names hold no "*".
 */
export function matchPrefix(ref: string, prefix: string): number {
  if (prefix.startsWith('*.')) {
    const suffix = prefix.slice(1)
    const index = ref.indexOf(suffix)
    if (index === -1 || ref.slice(0, index).includes('/')) return -1
    const end = index + suffix.length
    return end === ref.length || ':/@'.includes(ref[end]!) ? end : -1
  }
  if (ref.length < prefix.length || !ref.startsWith(prefix)) return -1
  if (ref.length === prefix.length) return prefix.length
  return ':/@'.includes(ref[prefix.length]!) ? prefix.length : -1
}

/**
 * The pull source an endpoint makes of `ref`, as rewriteReference does: the matched prefix
 * replaced by the location, and the result parsed with ParseNamed, so it must be a valid and
 * canonical reference; otherwise the whole pull fails. An empty location (wildcard) keeps `ref`.
 * Throws a ReferenceError with the consumer's message.
 */
export function rewriteReference(ref: string, prefix: string, location: string): string {
  const n = matchPrefix(ref, prefix)
  if (n === -1) throw new ReferenceError(`invalid prefix '${prefix}' for reference '${ref}'`)
  if (location === '') return ref
  const rewritten = location + ref.slice(n)
  try {
    parseNamed(rewritten)
  } catch (error) {
    throw new ReferenceError(`rewriting reference: ${(error as Error).message}${/"/.test((error as Error).message) ? '' : ` ("${rewritten}")`}`)
  }
  return rewritten
}

/** Docker Hub and a few other images under `prefix` that a location must be able to serve. */
export function sampleReferences(prefix: string): string[] {
  const joined = joinedSamples(prefix)
  return joined === '' ? [] : joined.split('\n')
}

/** The samples joined by newlines (a valid reference holds none), memoised: each costs a few parses and a thrown error. */
const joinedSamples = memoByString((prefix) => findSamples(prefix).join('\n'))

function findSamples(prefix: string): string[] {
  if (prefix.startsWith('*.')) return [`registry${prefix.slice(1)}/team/app:latest`]
  // Images below the prefix only: a name equal to a namespace prefix (quay.io/org:latest) is rare.
  const candidates = [`${prefix}/library/alpine:latest`, `${prefix}/alpine:latest`, `${prefix}/team/app:latest`]
  // Local registries usually listen on a port, which the host-only prefix "localhost" also matches.
  if (prefix === 'localhost') candidates.push('localhost:5000/alpine:latest')
  return candidates.filter((c) => {
    try {
      parseNamed(c)
      return matchPrefix(c, prefix) !== -1
    } catch {
      return false
    }
  })
}

const HUB_ALIASES = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']

/**
 * The prefix as the engines compare it. containers/image matches a prefix as a plain string
 * against the fully-qualified, normalised reference name (pkg/sysregistriesv2 refMatchingPrefix
 * on reference.Named.Name()): that name always starts with a registry domain, Docker Hub's is
 * docker.io, and people write domains in lower case. So Hub aliases become docker.io, the domain
 * is lower-cased, and a source without a domain (`nginx`, `library/nginx`), which could never
 * match, is refused with the prefix that would.
 */
export function normalizeSource(source: string): string {
  const s = source.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, '')
  const slash = s.indexOf('/')
  const domain = (slash === -1 ? s : s.slice(0, slash)).toLowerCase()
  const rest = slash === -1 ? '' : s.slice(slash)
  const hint = 'give a registry or prefix such as docker.io, docker.io/library, quay.io/org or *.example.com'
  if (HUB_ALIASES.includes(domain)) {
    if (rest && !validPath(rest)) throw new UserError(`invalid source "${source}": "${rest.slice(1)}" is not a repository path`, {hint: 'repository paths are lower-case, for example docker.io/library'})
    return `docker.io${rest}`
  }
  if (domain.startsWith('*.')) {
    if (rest || !isDomain(domain.slice(2)) || domain.includes(':')) throw new UserError(`invalid source "${source}": a wildcard is *.example.com, without port or path`, {hint})
    return domain
  }
  const looksLikeRegistry = /[.:]/.test(domain) || domain === 'localhost' || domain.startsWith('[')
  if (isDomain(domain) && !looksLikeRegistry && validPath(`/${s}`)) {
    const name = slash === -1 ? `docker.io/library/${s}` : `docker.io/${s}`
    throw new UserError(`source "${source}" names no registry, so it can never match: the engines compare prefixes with the full name, such as ${name}`, {
      hint: `give the registry too: ${name} (or docker.io for all of Docker Hub)`,
    })
  }
  if (!isDomain(domain) || !looksLikeRegistry || (rest && !validPath(rest))) throw new UserError(`invalid source "${source}"`, {hint})
  return `${domain}${rest}`
}

const validPath = (rest: string) => /^(\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$/.test(rest)
