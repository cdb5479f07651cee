/**
 * Whether the Docker Engine version can change what lint says about a daemon.json. Asking a
 * host costs `dockerd --version` there (a Go binary's start, tens of ms of its CPU), so the
 * fleet asks only when this says yes. When it says no, lintDaemonJson gives the same findings,
 * word for word, for every Engine version and for none (test/unit/formats/daemon-json/
 * version-matters.test.ts checks that over the option table).
 *
 * It is derived from the version data rather than listed: a name matters when the option table
 * (known-keys.ts) classifies it differently in some version, or gives it a version bound; a
 * value matters when one of the checks that take the version (value-checks.ts, mirror-url.ts)
 * answers differently or finds a problem whose message names the version. Unknown names matter
 * too: their did-you-mean hint is picked from the options of that version.
 */
import {FREE_FORM, OPTIONS, classifyName, engineVersion, type EngineVersion, type NameStatus} from './known-keys.js'
import {winners} from './lint-scope.js'
import {checkMirror} from './mirror-url.js'
import {memoByString} from '../../core/memo.js'
import type {DaemonJsonDoc, JsonNode} from './parse.js'
import {BOUNDARIES, LIMIT_KEYS, dnsProblem, labelProblem, limitProblem, type LimitKey} from './value-checks.js'

/** Versions the lint code compares against outside the two tables (BOM: 24.0; mirror URLs: 25.0, 29.0; proxies: 23.0). */
const CHECK_BOUNDARIES = ['23.0', '24.0', '25.0', '29.0']

/**
 * One version from each span in which every check answers alike: every check is
 * atLeast(version, boundary), so behaviour only changes at a boundary. '0.0' stands for
 * everything older than the first one.
 */
export const VERSION_PROBES: readonly string[] = [
  ...new Set([
    '0.0',
    ...OPTIONS.flatMap((o) => [o.since, o.removed, o.ignoredSince]).filter((v): v is string => v !== undefined),
    ...Object.values(BOUNDARIES).map((b) => b.since),
    ...CHECK_BOUNDARIES,
  ]),
].sort((a, b) => engineVersion(a)!.compare(engineVersion(b)!))

/** The probes, plus null: "unknown", which lint reads as the newest Engine and says so. */
const PROBES: readonly EngineVersion[] = [...VERSION_PROBES.map(engineVersion), null]

/** True when lint's findings for this document can depend on the Engine version. */
export function dockerVersionMatters(doc: DaemonJsonDoc): boolean {
  // dockerd before 23.0 refuses an empty file, before 24.0 a byte order mark.
  if (doc.empty || doc.bom) return true
  if (doc.root?.kind !== 'object') return false
  for (const m of winners(doc.root.members).values()) {
    if (!nameIsStable(m.key, '')) return true
    // Flattened as dockerd does (lint.ts flatten): the inner names are checked as option names.
    if (m.value.kind === 'object' && !FREE_FORM.has(m.key)) {
      for (const child of winners(m.value.members).values()) if (!nameIsStable(child.key, m.key)) return true
    }
    if (VALUE_MATTERS[m.key]?.(m.value)) return true
  }
  return false
}

const STABLE = new Map<string, boolean>()

/** Same classification in every version, no version bound on the option, and not unknown. */
function nameIsStable(name: string, parent: string): boolean {
  const key = `${parent}\n${name}`
  let stable = STABLE.get(key)
  if (stable === undefined) STABLE.set(key, (stable = classifiesAlike(name, parent)))
  return stable
}

function classifiesAlike(name: string, parent: string): boolean {
  const first = classifyName(name, parent, null)
  if (first.kind !== 'read' && first.kind !== 'ignored') return false
  if (first.spec.since || first.spec.removed || first.spec.ignoredSince) return false
  return PROBES.every((v) => {
    const s = classifyName(name, parent, v)
    return s.kind === first.kind && s.spec === first.spec && useInstead(s) === useInstead(first)
  })
}

const useInstead = (s: NameStatus): string | null => (s.kind === 'ignored' ? s.useInstead : null)

const strings = (node: JsonNode): string[] => (node.kind === 'array' ? node.items.flatMap((i) => (i.kind === 'string' ? [i.value] : [])) : [])

/** Answers that differ between versions (null: no problem in any). */
const differs = <T>(answers: readonly T[]): boolean => answers.some((a) => a !== answers[0])

/** Keys whose value checks take the version. */
const VALUE_MATTERS: Record<string, (value: JsonNode) => boolean> = {
  // Any refused mirror (the message says whether `dockerd --validate` checks it) and any path (refused before 25.0).
  'registry-mirrors': (value) => strings(value).some(mirrorMatters),
  // A problem in any version: the finding says which version it assumed.
  dns: (value) => strings(value).some((ip) => PROBES.some((v) => dnsProblem(ip, v) !== null)),
  labels: (value) => strings(value).some((label) => differs(PROBES.map((v) => labelProblem(label, v)))),
  ...Object.fromEntries(LIMIT_KEYS.map((key) => [key, (value: JsonNode) => limitMatters(key, value)])),
}

/** A mirror refused in some version, or with a path (refused before 25.0); memoised: one URL, many hosts. */
const mirrorMatters = memoByString((url) =>
  PROBES.some((v) => {
    const check = checkMirror(url, v)
    return !check.ok || check.url.path.replace(/\/+$/, '') !== ''
  }),
)

/** lintLimits' message names the Engine whose minimum the value misses. */
function limitMatters(key: LimitKey, value: JsonNode): boolean {
  if (value.kind !== 'number' || !/^-?\d+$/.test(value.raw)) return false
  const n = BigInt(value.raw)
  return PROBES.some((v) => limitProblem(key, n, v) !== null)
}
