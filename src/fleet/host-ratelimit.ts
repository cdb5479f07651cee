/**
 * `ratelimit --hosts/--inventory`: Docker Hub counts anonymous pulls per address, so each
 * host asks for itself: a token, then a HEAD of ratelimitpreview/test (the Bearer token
 * chained on the host, one round trip), along the route Go would take there.
 */

import {engineProxyConfig, processProxyConfig, type EngineName} from '../engines/engine-network.js'
import type {Host} from '../hosts/host.js'
import type {HttpProbeAnswer, HttpProbeRequest} from '../hosts/probe-script.js'
import {probeRequestProblem} from '../hosts/probe-script.js'
import {decideProxy, maskUrlCredentials, type ProxyConfig} from '../net/proxy.js'
import {formatWindow, parseRateLimitHeaders, parseRetryAfter, PREVIEW_REPOSITORY, type RateLimitInfo} from '../net/ratelimit.js'
import type {Styles} from '../core/color.js'
import type {HostProbePlan, HostProbeResult} from './probe-hosts.js'

export interface HostRateLimitOptions {
  authUrl: URL
  registry: URL
  /** --engine: that engine's proxy settings; otherwise the login environment's. */
  engine: EngineName | null
  overrides: Readonly<Record<string, string>>
  timeoutSeconds: number
}

export interface HostRateLimitValue extends RateLimitInfo {
  /** HTTP status of the manifest HEAD (null when it was not answered). */
  httpStatus: number | null
  retryAfterSeconds: number | null
  /** The route of the HEAD: the proxy (masked) or null for direct. */
  proxy: string | null
}

const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'

function request(url: URL, method: 'GET' | 'HEAD', config: ProxyConfig, timeoutSeconds: number, extra: Partial<HttpProbeRequest> = {}): {req: HttpProbeRequest; shown: string | null} {
  const d = decideProxy(url, config)
  const proxy = d.via === 'proxy' && d.proxyUrl ? d.proxyUrl.href.replace(/\/$/, '') : null
  return {req: {kind: 'http', method, url: url.href, proxy, insecure: false, caFiles: [], timeoutSeconds, ...extra}, shown: proxy ? d.proxy : null}
}

export async function planHostRateLimit(host: Host, o: HostRateLimitOptions): Promise<HostProbePlan<HostRateLimitValue | null>> {
  const config = o.engine ? (await engineProxyConfig(host, o.engine, o.overrides)).config : processProxyConfig(host.env, o.overrides)
  const tokenUrl = new URL(o.authUrl.href)
  tokenUrl.searchParams.set('service', 'registry.docker.io')
  tokenUrl.searchParams.set('scope', `repository:${PREVIEW_REPOSITORY}:pull`)
  const manifest = new URL(`${o.registry.href.replace(/\/+$/, '')}/v2/${PREVIEW_REPOSITORY}/manifests/latest`)
  const token = request(tokenUrl, 'GET', config, o.timeoutSeconds, {accept: 'application/json'})
  const head = request(manifest, 'HEAD', config, o.timeoutSeconds, {bearerFrom: 0, accept: ACCEPT})
  const problem = probeRequestProblem(token.req) ?? probeRequestProblem(head.req)
  if (problem) throw new Error(`cannot ask from the host: ${maskUrlCredentials(problem)}`)
  return {
    requests: [token.req, head.req],
    judge(answers) {
      const [t, h] = answers as HttpProbeAnswer[]
      const fail = (detail: string) => ({ok: false, detail, value: null})
      const err = (a: HttpProbeAnswer | undefined, what: string) =>
        !a || a.state === 'no-answer' ? `${what}: no answer from the host` : a.state === 'no-tool' ? 'neither curl nor GNU wget is installed on the host' : a.status === null ? `${what}: ${a.error ?? `exit ${a.exitCode}`}` : null
      const tokenError = err(t, `getting a token from ${tokenUrl.origin}${tokenUrl.pathname}`)
      if (tokenError) return fail(tokenError)
      if (t!.status !== 200) return fail(`the token service answered ${t!.status}`)
      if (h?.state === 'no-token') return fail('the token service answered 200 without a token')
      const headError = err(h, `HEAD ${manifest.pathname}`)
      if (headError) return fail(headError)
      if (h!.status !== 200 && h!.status !== 429) return fail(`HEAD ${manifest.pathname} answered ${h!.status}`)
      const info = parseRateLimitHeaders(h!.headers)
      const value: HostRateLimitValue = {...info, httpStatus: h!.status, retryAfterSeconds: parseRetryAfter(h!.headers['retry-after']), proxy: head.shown}
      return {ok: h!.status === 200 && info.remaining !== 0, detail: summary(value), value}
    },
  }
}

function summary(v: HostRateLimitValue): string {
  const window = v.windowSeconds !== null ? ` in the ${formatWindow(v.windowSeconds)} window` : ''
  const route = v.proxy ? ` (via ${v.proxy})` : ''
  if (v.httpStatus === 429) return `429 Too Many Requests${v.retryAfterSeconds !== null ? `, retry after ${v.retryAfterSeconds} s` : ''}${route}`
  if (!v.limited) return `not limited${route}`
  return `${v.remaining ?? '?'} of ${v.limit ?? '?'} pulls left${window}${v.source ? ` (counted for ${v.source})` : ''}${route}`
}

export function hostRateLimitJson(results: readonly HostProbeResult<HostRateLimitValue | null>[]): unknown {
  return {
    hosts: results.map((r) => ({
      host: r.host,
      status: r.ok ? 'ok' : 'failed',
      reason: r.ok ? null : r.detail,
      limit: r.value?.limit ?? null,
      remaining: r.value?.remaining ?? null,
      windowSeconds: r.value?.windowSeconds ?? null,
      source: r.value?.source ?? null,
      limited: r.value?.limited ?? null,
      httpStatus: r.value?.httpStatus ?? null,
      retryAfterSeconds: r.value?.retryAfterSeconds ?? null,
    })),
  }
}

export function renderHostRateLimits(results: readonly HostProbeResult<HostRateLimitValue | null>[], s: Styles): string {
  const width = Math.max(4, ...results.map((r) => r.host.length))
  const lines = [s.bold(`${'HOST'.padEnd(width)}  ${'STATUS'.padEnd(7)}  ${'LEFT'.padStart(9)}  DETAIL`)]
  for (const r of results) {
    const left = r.value?.limited ? `${r.value.remaining ?? '?'}/${r.value.limit ?? '?'}` : r.value ? '-' : ''
    lines.push(`${r.host.padEnd(width)}  ${r.ok ? s.green('ok'.padEnd(7)) : s.red('failed'.padEnd(7))}  ${left.padStart(9)}  ${r.detail}`)
  }
  return lines.join('\n')
}
