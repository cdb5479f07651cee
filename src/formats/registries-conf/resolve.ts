import {
  formatReference,
  isShortName,
  parseNormalized,
  parseReference,
  repositoryName,
  withDefaultTag,
  type ImageReference,
} from '../../core/image-reference.js'
import type {MergedConfig, RegistryTable} from './model.js'

export interface PullSource {
  reference: string
  insecure: boolean
  mirror: boolean
}

export interface ResolvedImage {
  image: string
  matchedPrefix: string | null
  blocked: boolean
  sources: PullSource[]
}

export type ResolveEntry =
  | ResolvedImage
  | {image: string; candidates: ResolvedImage[]}
  | {image: string; error: string}

/**
 * Whether `ref` (a name, with or without tag/digest) matches `prefix`, and how long the match is;
 * -1 when not. Mirrors the loader's matching, including its quirk that "example.com" also
 * matches "example.com:5000/...".
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

/** The table with the longest matching prefix for a repository name (no tag or digest), as FindRegistry picks it. */
export function findRegistry(config: MergedConfig, name: string): RegistryTable | null {
  let best: RegistryTable | null = null
  for (const r of config.registries) {
    if (matchPrefix(name, r.prefix) !== -1 && r.prefix.length > (best?.prefix.length ?? 0)) best = r
  }
  return best
}

/** Pull sources of a fully-qualified, normalised reference: each mirror that applies, then the primary. */
export function pullSources(config: MergedConfig, ref: ImageReference): ResolvedImage {
  const full = withDefaultTag(ref)
  const fullString = formatReference(full)
  const registry = findRegistry(config, repositoryName(full))
  if (!registry) {
    return {image: fullString, matchedPrefix: null, blocked: false, sources: [{reference: fullString, insecure: false, mirror: false}]}
  }
  const digested = full.digest !== null
  const endpoints = [
    ...registry.mirrors
      .filter((m) => {
        if (registry.mirrorByDigestOnly) return digested
        if (m.pullFromMirror === 'digest-only') return digested
        if (m.pullFromMirror === 'tag-only') return !digested
        return true
      })
      .map((m) => ({...m, mirror: true})),
    {...registry, mirror: false},
  ]
  const sources = endpoints.map((ep) => ({
    reference: rewrite(fullString, registry.prefix, ep.location),
    insecure: ep.insecure,
    mirror: ep.mirror,
  }))
  return {image: fullString, matchedPrefix: registry.prefix, blocked: registry.blocked, sources}
}

/** Replaces the matched prefix with an endpoint's location; an empty location (wildcard) keeps the reference. */
function rewrite(ref: string, prefix: string, location: string): string {
  if (location === '') return ref
  const n = matchPrefix(ref, prefix)
  const rewritten = location + ref.slice(n)
  // The loader re-parses the rewritten name; an invalid result fails at pull time.
  parseReference(rewritten)
  return rewritten
}

/**
 * Resolves what an engine would try for `input`, as podman does without a terminal:
 * fully-qualified names directly; short names through an alias, else each unqualified-search
 * registry, with short-name-mode deciding when more than one candidate is an error.
 */
export function resolveImage(config: MergedConfig, input: string): ResolveEntry {
  try {
    if (!isShortName(input)) {
      const r = pullSources(config, parseNormalized(input))
      return {...r, image: input}
    }
    const ref = parseReference(input)
    const name = ref.path
    const alias = config.aliases[name]
    if (alias) {
      const aliased = {...parseNormalized(alias.value), tag: ref.tag, digest: ref.digest}
      return {image: input, candidates: [pullSources(config, aliased)]}
    }
    const registries = config.unqualifiedSearchRegistries
    if (registries.length === 0) {
      return {
        image: input,
        error: config.unqualifiedSearchOrigin
          ? `short-name "${input}" did not resolve to an alias and no unqualified-search registries are defined in "${config.unqualifiedSearchOrigin}"`
          : `short-name "${input}" did not resolve to an alias and no containers-registries.conf(5) was found`,
      }
    }
    const candidates = registries.map((reg) => pullSources(config, parseNormalized(`${reg}/${input}`)))
    if (candidates.length > 1 && config.shortNameMode === 'enforcing') {
      return {image: input, error: 'short-name resolution enforced but cannot prompt without a TTY'}
    }
    return {image: input, candidates}
  } catch (error) {
    return {image: input, error: (error as Error).message}
  }
}
