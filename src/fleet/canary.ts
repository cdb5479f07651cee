import {UserError} from '../core/errors.js'
import {formatReference, parseNormalized, withDefaultTag} from '../core/image-reference.js'
import {CANARY_SCRIPT, canaryRequest, CanaryFormatError, parseCanaryOutput, type CanaryAnswer, type CanaryFamily} from '../hosts/canary-script.js'
import {mirrorLocation, type MirrorTarget} from '../policy/mirror-policy.js'
import type {Spec} from '../policy/spec.js'
import type {PostWriteStep, StepOutcome} from './post-write.js'

/** The spec's mirrors per engine family: what may serve the canary for it to pass. */
export interface CanaryMirrors {
  podman: MirrorTarget[]
  docker: MirrorTarget[]
}

/** One pull source a client tried, in order, and why it failed (null for the one that served). */
export interface CanaryAttempt {
  source: string
  error: string | null
}

/** What one client's pull proved. */
export interface CanaryClientResult {
  engine: CanaryFamily
  client: string
  status: StepOutcome['status']
  /** The pull source that served the image ("127.0.0.1:5000/library/tiny:latest", a docker endpoint URL); null when none did. */
  source: string | null
  /** A mirror of the spec served it. */
  viaMirror: boolean
  attempts: CanaryAttempt[]
  reason: string
}

export interface CanaryDetails {
  image: string
  /** When mirrorctl sent the pull and got its answer (ISO times): the window its requests to the mirror fall in. */
  startedAt: string
  finishedAt: string
  /** The source that served the image, when exactly one client ran. */
  source: string | null
  clients: CanaryClientResult[]
}

/** --canary IMAGE: a reference by the grammar the engines use, completed as they complete it (docker.io, library/, :latest). */
export function parseCanaryImage(input: string): string {
  try {
    return formatReference(withDefaultTag(parseNormalized(input.trim())))
  } catch (error) {
    throw new UserError(`--canary ${JSON.stringify(input)} is not an image reference: ${(error as Error).message}`, {
      rule: 'canary-image',
      hint: 'give a small image the mirror serves, e.g. --canary docker.io/library/busybox:latest',
    })
  }
}

/** Every mirror the spec gives an engine family (entries without engines apply to all). */
export function canaryMirrors(spec: Spec): CanaryMirrors {
  const of = (engine: CanaryFamily) => spec.entries.filter((e) => !e.engines || e.engines.includes(engine)).flatMap((e) => e.mirrors)
  return {podman: of('podman'), docker: of('docker')}
}

/** Unquotes a logrus msg value's inner quoting: `\"x\"` -> `"x"`. */
function unescape(line: string): string {
  return line.replace(/\\"/g, '"').replace(/\\\\/g, '\\')
}

/**
 * containers/image's newImageSource (docker transport) logs `Trying to access "REF"` per pull
 * source in order (mirrors first, the primary last) and `Accessing "REF" failed: ERR` when one
 * fails; versions before 5.5 logged `Trying to pull "REF"` and no failure line. The source that
 * served is the last one tried without a failure line, when the pull succeeded.
 */
export function containersImageAttempts(log: readonly string[]): CanaryAttempt[] {
  const attempts: CanaryAttempt[] = []
  for (const raw of log) {
    const line = unescape(raw)
    const tried = /Trying to (?:access|pull) "([^"]+)"/.exec(line)
    if (tried) {
      attempts.push({source: tried[1]!, error: null})
      continue
    }
    const failed = /Accessing "([^"]+)" failed: (.*?)"?$/.exec(line)
    if (failed) {
      const a = attempts.findLast((x) => x.source === failed[1] && x.error === null)
      if (a) a.error = failed[2]!.trim()
    }
  }
  // Old versions log no failure line: every attempt before the last one failed.
  for (const a of attempts.slice(0, -1)) a.error ??= 'failed (no reason logged)'
  return attempts
}

/**
 * moby's pull loop (distribution/pull.go) logs at debug `Trying to pull NAME from URL [v2]` per
 * endpoint (mirrors in daemon.json order, then the registry) and at info `Attempting next
 * endpoint for pull after error: ERR` when it falls back. With dockerd's debug log the served
 * endpoint is read directly; without it, the n-th endpoint served after n fallbacks, the
 * endpoints being `docker info`'s mirrors and then Docker Hub (mirrors apply to Docker Hub images only).
 */
export function dockerAttempts(log: readonly string[], mirrors: readonly string[], image: string): {attempts: CanaryAttempt[]; evidence: 'debug-log' | 'fallback-count'} {
  const lines = log.map(unescape)
  const errors = lines.flatMap((l) => {
    const m = /Attempting next endpoint for pull after error: (.*?)"?$/.exec(l)
    return m ? [m[1]!.trim()] : []
  })
  const tried = lines.flatMap((l) => {
    const m = /Trying to pull \S+ from (\S+)/.exec(l)
    return m ? [m[1]!] : []
  })
  // A failed pull logs a fallback line for its last endpoint too (moby 20.10, recorded): that is its error.
  if (tried.length) return {attempts: tried.map((source, i) => ({source, error: errors[i] ?? (i < tried.length - 1 ? 'failed' : null)})), evidence: 'debug-log'}
  const endpoints = image.startsWith('docker.io/') ? [...mirrors, 'https://registry-1.docker.io'] : [`https://${image.split('/')[0]}`]
  const attempts = endpoints.slice(0, errors.length + 1).map((source, i) => ({source, error: errors[i] ?? null}))
  return {attempts, evidence: 'fallback-count'}
}

/** True when `source` (a reference or an endpoint URL) lies on one of the mirrors. */
export function onMirror(source: string, mirrors: readonly MirrorTarget[]): boolean {
  const bare = source.replace(/^https?:\/\//, '').replace(/\/+$/, '')
  return mirrors.some((m) => {
    const loc = mirrorLocation(m)
    return bare === loc || bare.startsWith(`${loc}/`)
  })
}

function mirrorsOf(answer: Extract<CanaryAnswer, {ran: true}>): string[] {
  try {
    const v: unknown = JSON.parse(answer.mirrors ?? 'null')
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
  } catch {
    return []
  }
}

/** Judges one client's answer: passed only when the pull succeeded and a spec mirror served it. */
export function judgeAnswer(answer: CanaryAnswer, image: string, mirrors: CanaryMirrors): CanaryClientResult {
  const engine = answer.family as CanaryFamily
  if (!answer.ran) return {engine, client: '', status: 'skipped', source: null, viaMirror: false, attempts: [], reason: `${answer.family}: ${answer.reason}`}
  const docker = engine === 'docker' ? dockerAttempts(answer.log, mirrorsOf(answer), image) : null
  const attempts = docker?.attempts ?? containersImageAttempts(answer.log)
  const base = {engine, client: answer.client, attempts}
  // Counting fallbacks proves nothing where dockerd pulls through containerd: that path logs no endpoint at all.
  if (docker?.evidence === 'fallback-count' && answer.containerdStore)
    return {...base, attempts: [], status: 'skipped', source: null, viaMirror: false, reason: `docker: dockerd uses the containerd image store, whose pulls name no source in its log; start dockerd with debug logging for a proof`}
  const last = attempts.at(-1)
  if (answer.exitCode !== 0) {
    const why = last?.error ?? answer.log.at(-1) ?? `exit ${answer.exitCode}`
    return {...base, status: 'failed', source: null, viaMirror: false, reason: `${answer.client} could not pull ${image}: ${why}`}
  }
  if (!last) return {...base, status: 'failed', source: null, viaMirror: false, reason: `${answer.client} pulled ${image} but its debug output names no pull source`}
  const viaMirror = onMirror(last.source, mirrors[engine])
  const fellBack = attempts.filter((a) => a.error !== null)
  if (viaMirror) return {...base, status: 'passed', source: last.source, viaMirror, reason: `${answer.client} pulled ${image} from the mirror ${last.source}`}
  const after = fellBack.length ? ` after ${fellBack.map((a) => `${a.source} failed (${a.error})`).join('; ')}` : ''
  return {...base, status: 'failed', source: last.source, viaMirror, reason: `${answer.client} pulled ${image} from ${last.source}, not a mirror${after}`}
}

/** All clients' results in one outcome: any failure fails; else any pass passes; else skipped. */
export function canaryOutcome(results: readonly CanaryClientResult[], details: CanaryDetails): StepOutcome {
  const failed = results.filter((r) => r.status === 'failed')
  const passed = results.filter((r) => r.status === 'passed')
  const status = failed.length ? 'failed' : passed.length ? 'passed' : 'skipped'
  const shown = failed.length ? failed : passed.length ? passed : results
  const reason = shown.map((r) => r.reason).join('; ') || 'no engine whose file changed has a canary'
  return {step: 'canary', status, reason, details}
}

/**
 * The --canary step: after a host's write (and reload), pulls IMAGE with the client of each
 * engine family whose file this apply changed, and passes only when a mirror of the spec
 * served it. Skipped where no client or daemon is there, or on a --root tree.
 */
export function canaryStep(image: string, mirrors: CanaryMirrors): PostWriteStep {
  return async ({session, engines}) => {
    const startedAt = new Date().toISOString()
    const families = (['podman', 'docker'] as const).filter((f) => engines.includes(f))
    const details = (clients: CanaryClientResult[]): CanaryDetails => ({image, startedAt, finishedAt: new Date().toISOString(), source: clients.filter((c) => c.source).length === 1 ? clients.find((c) => c.source)!.source : null, clients})
    const runner = session.reloader?.() ?? null
    if (!runner) return {step: 'canary', status: 'skipped', reason: 'a --root tree runs no engine to pull with', details: details([])}
    if (!families.length) {
      const others = engines.join(', ')
      return {step: 'canary', status: 'skipped', reason: `neither podman nor docker is configured on this host${others ? ` (no canary pull for ${others} yet)` : ''}`, details: details([])}
    }
    const r = await runner.run(CANARY_SCRIPT, canaryRequest(families, image))
    let answers: CanaryAnswer[]
    try {
      if (r.exitCode !== 0) throw new CanaryFormatError(r.stderr.trim().split('\n').at(-1) || `exit ${r.exitCode}`)
      answers = parseCanaryOutput(r.stdout)
    } catch (error) {
      if (!(error instanceof CanaryFormatError)) throw error
      return {step: 'canary', status: 'failed', reason: `the canary script failed: ${error.message}`, details: details([])}
    }
    const results = answers.map((a) => judgeAnswer(a, image, mirrors))
    return canaryOutcome(results, details(results))
  }
}
