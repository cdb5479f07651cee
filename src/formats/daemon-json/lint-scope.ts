/**
 * What every daemon.json check shares: the document, the caller's context, the Engine version in
 * force and the findings collected so far.
 */
import type {Finding} from '../../lint/finding.js'
import type {FindingAt} from '../../lint/rule.js'
import type {EngineVersion} from './known-keys.js'
import {positionAt, type DaemonJsonDoc, type JsonMember} from './parse.js'

export interface DaemonJsonLintContext {
  /** `docker version` of the daemon (semver); absent = assume the newest Engine. */
  dockerVersion?: string
  /** dockerd's command line from the systemd unit's ExecStart (see dockerd-flags.ts). */
  dockerdArgs?: readonly string[]
  /** Where dockerdArgs came from, for messages. */
  unitPath?: string
  /** What mirrorctl knows a mirror is meant for: mirror URL or host[:port] → source registry. */
  mirrorSources?: Readonly<Record<string, string>>
}

export interface LintScope {
  readonly doc: DaemonJsonDoc
  readonly ctx: DaemonJsonLintContext
  readonly version: EngineVersion
  readonly out: Finding[]
  /** Position of an offset; compute it only when reporting (it is not free on a long line). */
  at(offset: number): FindingAt
  /** "Docker Engine 24.0.9", or "the newest Docker Engine" when no version was given. */
  readonly engine: string
}

export function lintScope(doc: DaemonJsonDoc, ctx: DaemonJsonLintContext, version: EngineVersion, out: Finding[]): LintScope {
  return {
    doc,
    ctx,
    version,
    out,
    at: (offset) => positionAt(doc, offset),
    engine: version ? `Docker Engine ${ctx.dockerVersion}` : 'the newest Docker Engine',
  }
}

/** Said when no version was given and a check depends on it. */
export const ASSUMED = ' (assuming the newest Docker Engine; give the Engine version to check an older one)'

/**
 * The member Go's decoder keeps for each key (the last one), in one pass: calling lastMember per
 * member is quadratic on an object with many keys.
 */
export function winners(members: readonly JsonMember[]): Map<string, JsonMember> {
  const last = new Map<string, JsonMember>()
  for (const m of members) last.set(m.key, m)
  return last
}
