/**
 * apply --verify (and rollback --verify): after a host's write and reload, prove from the
 * host's point of view that the change is in effect. Three parts, all asked in one round
 * trip (PROBE_SCRIPT):
 *   - files: the apply script re-read every written file and compared its sha256;
 *   - docker-info: where dockerd runs, `docker info` lists daemon.json's registry-mirrors;
 *   - mirrors: every mirror the written engines' configs now name answers GET /v2/ as a
 *     registry, along the route that engine takes on that host (its proxy settings decided
 *     by Go's rules, handed to the host's curl explicitly).
 */

import {engineMirrors, mirrorCaFiles, type MirrorEngine} from '../engines/engine-mirrors.js'
import {engineProxyConfig} from '../engines/engine-network.js'
import type {Host} from '../hosts/host.js'
import type {DockerMirrorsAnswer, ProbeRequest} from '../hosts/probe-script.js'
import type {MirrorTarget} from '../net/mirror-target.js'
import {judgeProbes, planMirrorProbe, probeRequests, type MirrorProbe, type MirrorResult} from './mirror-probe.js'
import {OverlayHost} from './overlay-host.js'
import type {PostWriteContext, PostWriteStep, StepOutcome} from './post-write.js'
import type {ReloadOutcome} from './reload.js'
import type {HostFile} from './report.js'

export type PartStatus = 'passed' | 'failed' | 'skipped'

export interface VerifyPart {
  part: 'files' | 'docker-info' | 'mirrors'
  status: PartStatus
  detail: string
}

export interface VerifyDetails {
  parts: VerifyPart[]
  mirrors: (MirrorResult & {engine: MirrorEngine})[]
  /** What `docker info` listed (null when not asked or not answered). */
  dockerMirrors: string[] | null
}

export interface VerifyOptions {
  /** Seconds for each request made on the host. */
  timeoutSeconds: number
  /** Step name in reports ("verify", or "re-verify" after a rollback). */
  step?: string
}

/** The engines whose mirrors a written file changes (k3s: registries.yaml is not probed). */
const PROBED: Record<HostFile['engine'], MirrorEngine | null> = {podman: 'podman', docker: 'docker', containerd: 'containerd', k3s: null}

/**
 * `docker info --format '{{json .RegistryConfig.Mirrors}}'`: a JSON array of URLs (dockerd
 * keeps each as written plus one trailing "/", moby's ValidateMirror), or null. Anything
 * else is not docker's answer: null.
 */
export function parseDockerMirrors(output: string): string[] | null {
  // stderr is mixed in: WARNING lines may come before or after the JSON line.
  for (const line of output.split('\n').map((l) => l.trim())) {
    if (line !== 'null' && !line.startsWith('[')) continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      continue
    }
    if (value === null) return []
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value
  }
  return null
}

const sameMirror = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '')

/** The docker-info part: which configured mirrors the running dockerd lists, and what that means. */
export function judgeDockerInfo(answer: DockerMirrorsAnswer | undefined, configured: readonly string[], reload: ReloadOutcome | undefined): {part: VerifyPart; listed: string[] | null} {
  const skipped = (detail: string) => ({part: {part: 'docker-info' as const, status: 'skipped' as const, detail}, listed: null})
  if (!answer || answer.state === 'no-answer') return {part: {part: 'docker-info', status: 'failed', detail: 'docker info: no answer from the host'}, listed: null}
  if (answer.state === 'absent') return skipped('docker info: no docker CLI on the host')
  if (answer.exitCode !== 0) {
    const why = answer.output.trim().split('\n').at(-1)?.slice(0, 200) || `exit ${answer.exitCode}`
    return skipped(`docker info: dockerd is not installed or not running (${why})`)
  }
  const listed = parseDockerMirrors(answer.output)
  if (listed === null) return {part: {part: 'docker-info', status: 'failed', detail: `docker info printed no mirror list: ${answer.output.trim().slice(0, 200)}`}, listed: null}
  const missing = configured.filter((m) => !listed.some((l) => sameMirror(l, m)))
  const extra = listed.filter((l) => !configured.some((m) => sameMirror(l, m)))
  if (!missing.length && !extra.length) return {part: {part: 'docker-info', status: 'passed', detail: `docker info lists the ${configured.length} configured mirror${configured.length === 1 ? '' : 's'}`}, listed}
  const diff = [missing.length ? `lacks ${missing.join(', ')}` : '', extra.length ? `still lists ${extra.join(', ')}` : ''].filter(Boolean).join(' and ')
  if (reload?.status === 'done' && reload.action !== 'none') return {part: {part: 'docker-info', status: 'failed', detail: `dockerd was ${reload.action === 'restart' ? 'restarted' : 'reloaded'} but docker info ${diff}`}, listed}
  const why = reload ? `its ${reload.action} is ${reload.status}` : 'it was not reloaded (use --reload)'
  return {part: {part: 'docker-info', status: 'skipped', detail: `docker info ${diff}: ${why}, so dockerd still runs with its previous mirrors`}, listed}
}

/** passed: something was proven and nothing failed; failed: any part failed; skipped: nothing could be proven. */
export function verifyOutcome(step: string, parts: readonly VerifyPart[], details: VerifyDetails): StepOutcome {
  const failed = parts.filter((p) => p.status === 'failed')
  if (failed.length) return {step, status: 'failed', reason: failed.map((p) => p.detail).join('; '), details}
  const passed = parts.filter((p) => p.status === 'passed')
  if (passed.length) {
    const skipped = parts.filter((p) => p.status === 'skipped')
    return {step, status: 'passed', reason: [...passed.map((p) => p.detail), ...skipped.map((p) => `skipped: ${p.detail}`)].join('; '), details}
  }
  return {step, status: 'skipped', reason: parts.map((p) => p.detail).join('; ') || 'nothing to verify', details}
}

/** Summary of the mirrors part: the first failures by name, or how many answered. */
function mirrorsPart(results: readonly MirrorResult[]): VerifyPart | null {
  if (!results.length) return null
  const failed = results.filter((r) => r.status === 'failed')
  if (failed.length) return {part: 'mirrors', status: 'failed', detail: failed.map((r) => `mirror ${r.mirror}: ${r.detail}`).join('; ')}
  const ok = results.filter((r) => r.status === 'ok')
  if (!ok.length) return {part: 'mirrors', status: 'skipped', detail: results[0]!.detail}
  const routes = [...new Set(ok.map((r) => (r.route.proxy ? `via ${r.route.proxy}` : 'direct')))].join(', ')
  return {part: 'mirrors', status: 'passed', detail: `${ok.length} mirror${ok.length === 1 ? '' : 's'} answer${ok.length === 1 ? 's' : ''} GET /v2/ as a registry from the host (${routes})`}
}

interface EngineProbes {
  engine: MirrorEngine
  probes: MirrorProbe[]
  /** daemon.json's registry-mirrors (docker only). */
  configured: string[]
  /** A config the engine rejects, or no mirror at all. */
  note: VerifyPart | null
}

/** Per written engine: its mirrors on the host as the plan left it, and the route to each. */
async function engineProbes(host: Host, engine: MirrorEngine, timeoutSeconds: number): Promise<EngineProbes> {
  let targets: MirrorTarget[]
  try {
    const found = await engineMirrors(host, engine, {treeRoot: false})
    targets = found.targets
    if (!targets.length) return {engine, probes: [], configured: [], note: {part: 'mirrors', status: 'skipped', detail: `${engine}: no mirror configured (${found.none})`}}
  } catch (error) {
    return {engine, probes: [], configured: [], note: {part: 'mirrors', status: 'failed', detail: `${engine}: ${error instanceof Error ? error.message : String(error)}`}}
  }
  const {config} = await engineProxyConfig(host, engine)
  const probes: MirrorProbe[] = []
  for (const t of targets) probes.push(planMirrorProbe(t, config, await mirrorCaFiles(host, engine, t), timeoutSeconds))
  return {engine, probes, configured: engine === 'docker' ? targets.map((t) => t.mirror) : [], note: null}
}

/** The files part: hostResultOf only says "changed" when every written file was re-read and matched. */
function filesPart(ctx: PostWriteContext): VerifyPart {
  const n = ctx.written.files.length
  if (!n) return {part: 'files', status: 'passed', detail: 'every file already as planned (nothing written)'}
  return {part: 'files', status: 'passed', detail: `${n} written file${n === 1 ? '' : 's'} re-read with the expected sha256`}
}

/** The verification step for FleetRunOptions.checks. */
export function verifyStep(options: VerifyOptions): PostWriteStep {
  const step = options.step ?? 'verify'
  return async (ctx) => {
    const parts: VerifyPart[] = [filesPart(ctx)]
    const details: VerifyDetails = {parts, mirrors: [], dockerMirrors: null}
    const prober = ctx.session.prober?.() ?? null
    if (!prober) {
      parts.push({part: 'mirrors', status: 'skipped', detail: 'a --root tree is not a running host: nothing to ask'})
      return verifyOutcome(step, parts, details)
    }
    // The host as the plan left it: the written files' new text over what was gathered.
    const host = new OverlayHost(prober.host)
    for (const f of ctx.written.files) {
      const w = ctx.plan.writes.find((x) => x.path === f.path)
      if (w) host.put(w.path, w.content, w.mode)
    }
    const engines = [...new Set(ctx.engines.map((e) => PROBED[e]).filter((e): e is MirrorEngine => e !== null))]
    if (ctx.engines.includes('k3s')) parts.push({part: 'mirrors', status: 'skipped', detail: 'k3s: registries.yaml mirrors are not probed'})
    const planned = await Promise.all(engines.map((e) => engineProbes(host, e, options.timeoutSeconds)))
    const docker = planned.find((p) => p.engine === 'docker' && p.configured.length)
    const requests: ProbeRequest[] = planned.flatMap((p) => probeRequests(p.probes))
    if (docker) requests.push({kind: 'docker-mirrors', timeoutSeconds: Math.max(options.timeoutSeconds, 10)})
    const answers = await prober.run(requests)
    let at = 0
    for (const p of planned) {
      if (p.note) parts.push(p.note)
      const n = probeRequests(p.probes).length
      details.mirrors.push(...judgeProbes(p.probes, answers.slice(at, at + n)).map((r) => ({...r, engine: p.engine})))
      at += n
    }
    const mp = mirrorsPart(details.mirrors)
    if (mp) parts.push(mp)
    if (docker) {
      const answer = answers[at]
      const judged = judgeDockerInfo(answer?.kind === 'docker-mirrors' ? answer : undefined, docker.configured, ctx.written.reload?.find((r) => r.engine === 'docker'))
      parts.push(judged.part)
      details.dockerMirrors = judged.listed
    }
    return verifyOutcome(step, parts, details)
  }
}

/** The checks --verify adds to FleetRunOptions.checks (none without it). */
export function verifyChecks(flags: {verify?: boolean; 'verify-timeout'?: number}, step?: string): PostWriteStep[] {
  return flags.verify ? [verifyStep({timeoutSeconds: flags['verify-timeout'] ?? 10, ...(step ? {step} : {})})] : []
}
