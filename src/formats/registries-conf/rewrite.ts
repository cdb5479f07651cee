import {parseNamed, ReferenceError} from '../../core/image-reference.js'

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
