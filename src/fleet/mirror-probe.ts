/**
 * "Does this mirror answer as a registry from that host?" as probe-script requests, and the
 * verdict from the answers. Pure: the route is decided here by Go's rules (src/net/proxy.ts)
 * and handed to the host's curl explicitly; judging reads the answers only.
 */

import type {HttpProbeAnswer, HttpProbeRequest, ProbeAnswer} from '../hosts/probe-script.js'
import {probeRequestProblem} from '../hosts/probe-script.js'
import type {MirrorTarget} from '../net/mirror-target.js'
import {API_VERSION_HEADER} from '../net/probe-explain.js'
import {decideProxy, maskUrlCredentials, parseProxyValue, type ProxyConfig} from '../net/proxy.js'

/** One way to ask a mirror for /v2/ (https, then plain http for an insecure one). */
export interface MirrorAttempt {
  url: string
  /** The proxy as shown (credentials masked), null for direct. */
  proxy: string | null
  /** What decided the route: the variable's source, a NO_PROXY entry, "loopback", the per-mirror proxy. */
  decidedBy: string
  /** The request to send; null when the route cannot be used (problem says why). */
  request: HttpProbeRequest | null
  problem?: string
}

export interface MirrorProbe {
  target: MirrorTarget
  attempts: MirrorAttempt[]
}

export type MirrorStatus = 'ok' | 'failed' | 'skipped'

/** A mirror's verdict as reported per host (text and --json). */
export interface MirrorResult {
  mirror: string
  /** The file that names it ("argument" for a MIRROR argument). */
  origin: string
  serves: string[]
  /** The /v2/ URL of the attempt reported. */
  url: string
  route: {proxy: string | null; decidedBy: string}
  status: MirrorStatus
  /** One line: the answer, or why it failed or could not be asked. */
  detail: string
}

/** The attempts for a mirror from a host whose engine decides routes with config. */
export function planMirrorProbe(target: MirrorTarget, config: ProxyConfig, caFiles: readonly string[], timeoutSeconds: number): MirrorProbe {
  if (target.problem) return {target, attempts: [{url: target.mirror, proxy: null, decidedBy: 'none', request: null, problem: `cannot probe this mirror: ${target.problem}`}]}
  const schemes: ('http' | 'https')[] = target.scheme ? [target.scheme] : target.insecure ? ['https', 'http'] : ['https']
  return {target, attempts: schemes.map((scheme) => attempt(target, scheme, config, caFiles, timeoutSeconds))}
}

function attempt(target: MirrorTarget, scheme: 'http' | 'https', config: ProxyConfig, caFiles: readonly string[], timeoutSeconds: number): MirrorAttempt {
  const url = `${scheme}://${target.hostPort}${target.apiRoot}/v2/`
  const route = routeOf(target, url, config)
  const base = {url, proxy: route.shown, decidedBy: route.decidedBy}
  if (route.problem) return {...base, request: null, problem: route.problem}
  const request: HttpProbeRequest = {kind: 'http', method: 'GET', url, proxy: route.proxy, insecure: target.insecure && scheme === 'https', caFiles: scheme === 'https' ? caFiles : [], timeoutSeconds}
  const problem = probeRequestProblem(request)
  return problem ? {...base, request: null, problem: `cannot be asked from the host: ${maskUrlCredentials(problem)}`} : {...base, request}
}

/** Go's route: a registries.conf per-mirror proxy wins over the environment. */
function routeOf(target: MirrorTarget, url: string, config: ProxyConfig): {proxy: string | null; shown: string | null; decidedBy: string; problem?: string} {
  if (target.proxy) {
    const parsed = parseProxyValue(target.proxy)
    const decidedBy = `${target.origin} proxy`
    if (!parsed.webUrl) return {proxy: null, shown: parsed.display, decidedBy, problem: `the proxy of this mirror (${decidedBy}) cannot be used: ${parsed.problem ?? 'invalid value'}`}
    return {proxy: parsed.webUrl.href.replace(/\/$/, ''), shown: parsed.display, decidedBy}
  }
  const d = decideProxy(url, config)
  if (d.via === 'bad-target') return {proxy: null, shown: null, decidedBy: d.decidedBy, problem: d.reason}
  if (d.via !== 'proxy') return {proxy: null, shown: null, decidedBy: d.decidedBy}
  if (!d.proxyUrl) return {proxy: null, shown: d.proxy, decidedBy: d.decidedBy, problem: `the proxy ${d.proxy} (${d.decidedBy}) cannot be used: ${d.problem ?? 'invalid value'}`}
  return {proxy: d.proxyUrl.href.replace(/\/$/, ''), shown: d.proxy, decidedBy: d.decidedBy}
}

/** The requests of some probes, in order, and where each probe's answers start. */
export function probeRequests(probes: readonly MirrorProbe[]): HttpProbeRequest[] {
  return probes.flatMap((p) => p.attempts.flatMap((a) => (a.request ? [a.request] : [])))
}

/** Splits the answers to probeRequests(probes) back per probe and judges each. */
export function judgeProbes(probes: readonly MirrorProbe[], answers: readonly ProbeAnswer[]): MirrorResult[] {
  let i = 0
  return probes.map((p) => {
    const verdicts = p.attempts.map((a) => {
      if (!a.request) return {a, status: 'failed' as const, detail: a.problem ?? 'cannot be asked'}
      const answer = answers[i++]
      return {a, ...judgeAnswer(a, answer?.kind === 'http' ? answer : undefined)}
    })
    const ok = verdicts.find((v) => v.status === 'ok')
    const chosen = ok ?? verdicts.find((v) => v.status === 'failed') ?? verdicts[0]!
    let detail = chosen.detail
    if (ok && verdicts.length > 1 && ok !== verdicts[0]) detail = `HTTPS did not answer (${verdicts[0]!.detail}); insecure mirror, so plain HTTP: ${ok.detail}`
    else if (!ok && verdicts.length > 1 && verdicts[1]!.status === 'failed') detail += `; the plain HTTP fallback failed too: ${verdicts[1]!.detail}`
    const status: MirrorStatus = ok ? 'ok' : verdicts.every((v) => v.status === 'skipped') ? 'skipped' : 'failed'
    return {mirror: p.target.mirror, origin: p.target.origin, serves: p.target.serves, url: chosen.a.url, route: {proxy: chosen.a.proxy, decidedBy: chosen.a.decidedBy}, status, detail}
  })
}

/** 200, or 401 with Docker-Distribution-API-Version: a registry (the token dance is the engine's business). */
export function judgeAnswer(a: Pick<MirrorAttempt, 'url' | 'proxy'>, answer: HttpProbeAnswer | undefined): {status: MirrorStatus; detail: string} {
  const via = a.proxy ? `via ${a.proxy}` : 'direct'
  const what = `GET ${a.url} (${via})`
  if (!answer || answer.state === 'no-answer') return {status: 'failed', detail: `${what}: no answer from the host`}
  if (answer.state === 'no-tool') return {status: 'skipped', detail: 'neither curl nor GNU wget is installed on the host'}
  if (answer.state !== 'ran') return {status: 'failed', detail: `${what}: the host refused the request (${answer.state})`}
  const version = answer.headers[API_VERSION_HEADER]
  if (answer.status === null) return {status: 'failed', detail: `${what}: ${answer.error ?? `${answer.tool} exit ${answer.exitCode}`}`}
  if (version && (answer.status === 200 || answer.status === 401)) return {status: 'ok', detail: `${what} -> ${answer.status}, ${version}${answer.status === 401 ? ' (login or token required)' : ''}`}
  return {status: 'failed', detail: `${what} -> ${answer.status}${version ? `, ${version}` : ' without Docker-Distribution-API-Version'}: not a registry v2 API`}
}
