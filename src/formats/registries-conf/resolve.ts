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
import {matchPrefix, rewriteReference} from '../../core/registry-prefix.js'

export {matchPrefix} from '../../core/registry-prefix.js'

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

/** A short-name candidate whose pull fails before any registry is contacted (the next candidate is tried). */
export interface CandidateError {
  image: string
  error: string
}

export type ResolveEntry =
  | ResolvedImage
  | {image: string; candidates: (ResolvedImage | CandidateError)[]}
  | {image: string; error: string}

/** Whether an engine could try at least one source for the entry: false for an error, or when every candidate fails. */
export function isResolved(entry: ResolveEntry): boolean {
  if ('error' in entry) return false
  if ('candidates' in entry) return entry.candidates.some((c) => !('error' in c))
  return true
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
  // Every endpoint is rewritten before any is tried: one bad mirror fails the whole pull.
  const sources = endpoints.map((ep) => ({
    reference: rewriteReference(fullString, registry.prefix, ep.location),
    insecure: ep.insecure,
    mirror: ep.mirror,
  }))
  return {image: fullString, matchedPrefix: registry.prefix, blocked: registry.blocked, sources}
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
      return {image: input, candidates: [candidate(config, aliased)]}
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
    const candidates = registries.map((reg) => candidate(config, parseNormalized(`${reg}/${input}`)))
    if (candidates.length > 1 && config.shortNameMode === 'enforcing') {
      return {image: input, error: 'short-name resolution enforced but cannot prompt without a TTY'}
    }
    return {image: input, candidates}
  } catch (error) {
    return {image: input, error: (error as Error).message}
  }
}

/** One short-name candidate; a failed rewrite is that candidate's error, not the short name's. */
function candidate(config: MergedConfig, ref: ImageReference): ResolvedImage | CandidateError {
  try {
    return pullSources(config, ref)
  } catch (error) {
    return {image: formatReference(withDefaultTag(ref)), error: (error as Error).message}
  }
}
