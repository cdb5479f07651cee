import type {Finding} from '../../lint/finding.js'
import {report} from '../../lint/rule.js'
import {positionOf} from './load.js'
import type {RegistriesConfDocument} from './parse.js'
import type {FileConfig, RegistryTable} from './model.js'
import {unusableLocation} from '../../core/image-reference.js'
import {matchPrefix, rewriteReference, sampleReferences} from '../../core/registry-prefix.js'
import {rules} from './rules.js'

/**
 * Mistakes the loader accepts silently, judged over the whole set of files in load order
 * (a clash across files is reported at the later one).
 */
export function lintLoaded(files: readonly {doc: RegistriesConfDocument; config: FileConfig}[]): Finding[] {
  const out: Finding[] = []
  const docs = new Map(files.map((f) => [f.doc.path, f.doc]))
  const at = (r: {file: string; path: readonly (string | number)[]}, key?: string, part: 'key' | 'value' = 'key') =>
    positionOf(docs.get(r.file)!, key ? [...r.path, key] : r.path, part)

  const winners = new Map<string, RegistryTable>()
  for (const {config} of files) {
    const firstInFile = new Map<string, RegistryTable>()
    for (const r of config.registries) {
      const first = firstInFile.get(r.prefix)
      if (first) {
        out.push(
          report(rules['duplicate-prefix'], at(r), `prefix "${r.prefix}" is already defined at line ${at(first).line}; the loader ignores this table`),
        )
        continue
      }
      firstInFile.set(r.prefix, r)
      const earlier = winners.get(r.prefix)
      if (earlier && earlier.file !== r.file) {
        out.push(
          report(
            rules['replaced-by-drop-in'],
            at(r),
            `[[registry]] "${r.prefix}" replaces the one in ${earlier.file}:${at(earlier).line} wholesale` +
              (earlier.mirrors.length ? ` (its ${earlier.mirrors.length} mirror(s) are dropped unless repeated here)` : ''),
          ),
        )
      }
      winners.set(r.prefix, r)
      lintTable(r, at, out)
    }
  }
  lintShadowing([...winners.values()], at, out)
  return out
}

type At = (r: {file: string; path: readonly (string | number)[]}, key?: string, part?: 'key' | 'value') => {file: string; line: number; column: number}

function lintTable(r: RegistryTable, at: At, out: Finding[]): void {
  const seen = new Set<string>()
  for (const m of r.mirrors) {
    if (m.location && m.location === r.location)
      out.push(report(rules['mirror-equals-location'], at({file: r.file, path: m.path}, 'location', 'value'), `mirror "${m.location}" is the registry's own location`))
    if (seen.has(m.location))
      out.push(report(rules['duplicate-mirror'], at({file: r.file, path: m.path}), `mirror "${m.location}" is listed more than once for "${r.prefix}"`))
    seen.add(m.location)
    if (m.insecure) out.push(report(rules['insecure-mirror'], at({file: r.file, path: m.path}, 'insecure'), `mirror "${m.location}" is insecure: plain HTTP and unverified TLS are allowed`))
  }
  if (r.blocked && r.mirrors.length)
    out.push(report(rules['mirrors-of-blocked-registry'], at(r, 'blocked'), `"${r.prefix}" is blocked, so its ${r.mirrors.length} mirror(s) are never used`))
  if (r.mirrors.length && (r.mirrorByDigestOnly || r.mirrors.every((m) => m.pullFromMirror === 'digest-only')))
    out.push(
      report(
        rules['digest-only-mirror-unused'],
        at(r, r.mirrorByDigestOnly ? 'mirror-by-digest-only' : undefined),
        `mirrors of "${r.prefix}" serve digest references only; pulls by tag go to ${r.location || r.prefix} directly`,
      ),
    )
  const never = whyNeverMatches(r.prefix)
  if (never) out.push(report(rules['prefix-never-matches'], at(r, r.prefixWritten ? 'prefix' : 'location', 'value'), never.message, never.hint))
  const samples = never ? [] : sampleReferences(r.prefix)
  for (const ep of [r, ...r.mirrors]) {
    // A scheme is already a load error (uri-scheme).
    if (ep.location === '' || /^https?:\/\//.test(ep.location)) continue
    const where = at({file: r.file, path: ep.path}, 'location', 'value')
    const kind = ep === r ? 'location' : 'mirror'
    const unusable = unusableLocation(ep.location)
    if (unusable) {
      out.push(report(rules['location-unusable'], where, `${kind} ${JSON.stringify(ep.location)} cannot form any image reference (${unusable}); every pull of "${r.prefix}" fails`))
      continue
    }
    if (ep.location.startsWith('['))
      out.push(report(rules['ipv6-location'], where, `${kind} "${ep.location}" is an IPv6 address: containers/image 5.23 and older releases refuse it in image names`))
    for (const sample of samples) {
      try {
        rewriteReference(sample, r.prefix, ep.location)
      } catch (error) {
        out.push(report(rules['rewrite-fails'], where, `pulls of ${sample} through ${kind} "${ep.location}" fail: ${(error as Error).message}`))
        break
      }
    }
  }
}

/** Why `prefix` cannot match what its author most likely meant, or null. */
export function whyNeverMatches(prefix: string): {message: string; hint?: string} | null {
  if (prefix.slice(prefix.startsWith('*.') ? 2 : 0).includes('*'))
    return {message: `prefix "${prefix}" never matches: a "*" is a wildcard only as a leading "*." (image names hold no "*")`, hint: 'use a plain prefix (docker.io/library) or a leading wildcard (*.example.com)'}
  if (prefix.startsWith('*.')) return null
  const slash = prefix.indexOf('/')
  const domain = slash === -1 ? prefix : prefix.slice(0, slash)
  const rest = slash === -1 ? '' : prefix.slice(slash + 1)
  if (/[@]/.test(prefix) || /:[^/]*$/.test(rest))
    return {message: `prefix "${prefix}" carries a tag or digest, but engines match prefixes against the image name without them`, hint: `use prefix = "${prefix.replace(/[:@][^/]*$/, '')}"`}
  if (domain === 'index.docker.io' || domain === 'registry-1.docker.io')
    return {message: `prefix "${prefix}" never matches: image names are normalised to docker.io before matching`, hint: `use prefix = "docker.io${rest ? '/' + rest : ''}"`}
  if (domain === 'docker.io' && rest && rest !== 'library' && !rest.includes('/'))
    return {
      message: `prefix "${prefix}" does not match the official image "${rest}", which is named docker.io/library/${rest}; it matches only the "${rest}" namespace (docker.io/${rest}/...)`,
      hint: `use prefix = "docker.io/library/${rest}" for the official image`,
    }
  if (prefix !== prefix.toLowerCase() && rest !== rest.toLowerCase())
    return {message: `prefix "${prefix}" has upper-case repository letters; repository names are lower case`}
  // A domain without a dot or port that is not localhost can only be reached through a short name: no qualified name starts with it.
  if (!/[.:]/.test(domain) && domain !== 'localhost')
    return {message: `prefix "${prefix}" does not start with a registry host; fully-qualified names always do`, hint: 'start the prefix with the registry, for example docker.io/library/...'}
  return null
}

/** A more specific table without mirrors hides a broader table's mirrors for the names it matches. */
function lintShadowing(tables: RegistryTable[], at: At, out: Finding[]): void {
  const byPrefix = new Map(tables.map((t) => [t.prefix, t]))
  for (const narrow of tables) {
    if (narrow.mirrors.length || whyNeverMatches(narrow.prefix)) continue
    const name = sampleName(narrow.prefix)
    // The longest broader table with mirrors that matches: only the name's own prefixes can.
    let broader: RegistryTable | undefined
    for (const candidate of broaderPrefixes(name)) {
      const b = byPrefix.get(candidate)
      if (!b || b === narrow || !b.mirrors.length || b.prefix.length >= narrow.prefix.length || matchPrefix(name, b.prefix) === -1) continue
      if (!broader || b.prefix.length > broader.prefix.length) broader = b
    }
    if (!broader) continue
    out.push(
      report(
        rules['shadowed-mirrors'],
        at(narrow),
        `[[registry]] "${narrow.prefix}" has no mirrors, so images under it skip the mirrors of "${broader.prefix}" (${broader.mirrors.map((m) => m.location).join(', ')})`,
      ),
    )
  }
}

/** Every prefix string that can match `name`: its cuts before "/", ":" or "@", and the "*." wildcards of its host. */
function broaderPrefixes(name: string): string[] {
  const cuts: number[] = []
  for (let i = 1; i < name.length; i++) if (':/@'.includes(name[i]!)) cuts.push(i)
  cuts.push(name.length)
  const out = cuts.map((i) => name.slice(0, i))
  const hostEnd = name.includes('/') ? name.indexOf('/') : name.length
  for (let j = 0; j < hostEnd; j++) {
    if (name[j] !== '.') continue
    for (const k of cuts) if (k > j && k <= hostEnd) out.push(`*${name.slice(j, k)}`)
  }
  return out
}

/** A name that the prefix itself would match, for testing which broader prefixes also match it. */
function sampleName(prefix: string): string {
  return prefix.startsWith('*.') ? `x${prefix.slice(1)}` : prefix
}
