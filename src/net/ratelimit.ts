/**
 * Docker Hub's remaining pulls for this host (or account), measured the documented way: a
 * pull token for ratelimitpreview/test, then a HEAD of its manifest (HEAD does not count as a
 * pull) and the ratelimit-* headers of the answer. See shared/reference/docker-hub-limits.md.
 *
 * The parsers are pure; queryRateLimit does the two requests along the proxy route given.
 * Neither the password nor the token ever appears in a result or an error.
 */

import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {httpRequest, type HttpResponse} from './http-client.js'

export const DEFAULT_AUTH_URL = 'https://auth.docker.io/token'
export const DEFAULT_REGISTRY = 'https://registry-1.docker.io'
export const PREVIEW_REPOSITORY = 'ratelimitpreview/test'

export interface RateLimitValue {
  count: number
  /** The window from ";w=<seconds>", or null when the header has none. */
  windowSeconds: number | null
}

/** "100;w=21600" -> {count: 100, windowSeconds: 21600}; null for anything else. */
export function parseRateLimitValue(value: string | undefined): RateLimitValue | null {
  if (value === undefined) return null
  // A repeated header arrives joined with ", "; the first value counts.
  const first = value.split(',')[0]!.trim()
  const m = /^(\d+)\s*(?:;(.*))?$/.exec(first)
  if (!m) return null
  let windowSeconds: number | null = null
  for (const param of (m[2] ?? '').split(';')) {
    const w = /^\s*w\s*=\s*(\d+)\s*$/i.exec(param)
    if (w) windowSeconds = Number(w[1])
  }
  return {count: Number(m[1]), windowSeconds}
}

export interface RateLimitInfo {
  limit: number | null
  remaining: number | null
  windowSeconds: number | null
  /** docker-ratelimit-source: the IP or account the pulls are counted for. */
  source: string | null
  /** False when Docker Hub sent no ratelimit headers (paid account or exempt source). */
  limited: boolean
}

/** Read the ratelimit headers of an answer; names are case-insensitive. */
export function parseRateLimitHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): RateLimitInfo {
  const get = (name: string): string | undefined => {
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(', ') : v
    return undefined
  }
  const limit = parseRateLimitValue(get('ratelimit-limit'))
  const remaining = parseRateLimitValue(get('ratelimit-remaining'))
  const source = get('docker-ratelimit-source')?.trim() || null
  return {
    limit: limit?.count ?? null,
    remaining: remaining?.count ?? null,
    windowSeconds: limit?.windowSeconds ?? remaining?.windowSeconds ?? null,
    source,
    limited: limit !== null || remaining !== null,
  }
}

/** Retry-After as seconds from now: delta-seconds or an HTTP date (RFC 9110); null when absent or invalid. */
export function parseRetryAfter(value: string | undefined, now: Date = new Date()): number | null {
  if (value === undefined) return null
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v)
  // Only the HTTP-date forms, not whatever Date.parse happens to accept.
  if (!/^[A-Za-z]{3},? \d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$|^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/.test(v)) return null
  const at = Date.parse(v)
  if (Number.isNaN(at)) return null
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000))
}

/** 21600 -> "6 h", 3600 -> "1 h", 90 -> "90 s". */
export function formatWindow(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`
  if (seconds % 3600 === 0) return `${seconds / 3600} h`
  if (seconds % 60 === 0) return `${seconds / 60} min`
  return `${seconds} s`
}

export interface RateLimitResult extends RateLimitInfo {
  /** HTTP status of the manifest HEAD. */
  status: number
  retryAfterSeconds: number | null
}

export interface QueryOptions {
  authUrl: string
  registry: string
  credentials?: {username: string; password: string} | undefined
  /** The proxy Go would use for a URL, or null. */
  proxyFor: (url: URL) => URL | null
  ca?: string[] | undefined
  timeoutMs: number
  now?: Date
}

/** Replace every secret in a text (a body quoted in an error must not leak them). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***')
  return out
}

function problem(message: string, hint?: string): UserError {
  return new UserError(message, {exitCode: ExitCode.Findings, ...(hint ? {hint} : {})})
}

function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as {details?: unknown; errors?: Array<{message?: unknown}>}
    if (typeof parsed.details === 'string') return parsed.details
    const message = parsed.errors?.[0]?.message
    if (typeof message === 'string') return message
  } catch {
    // not JSON
  }
  return body.trim().slice(0, 200)
}

async function send(url: URL, options: QueryOptions, method: string, headers: Record<string, string>, secrets: readonly string[], what: string): Promise<HttpResponse> {
  try {
    return await httpRequest(url, {method, headers, proxy: options.proxyFor(url), ca: options.ca, verify: true, timeoutMs: options.timeoutMs})
  } catch (error) {
    const route = options.proxyFor(url)
    throw problem(redact(`${what} failed: ${(error as Error).message}`, secrets), route ? `the request went through the proxy ${route.host}; check it and NO_PROXY` : 'check DNS, the firewall and whether this host needs a proxy (HTTPS_PROXY)')
  }
}

/** The two requests; a refused token or an unexpected answer is a UserError (exit 1). */
export async function queryRateLimit(options: QueryOptions): Promise<RateLimitResult> {
  const secrets = options.credentials ? [options.credentials.password] : []
  let tokenUrl: URL
  let registry: URL
  try {
    tokenUrl = new URL(options.authUrl)
    registry = new URL(options.registry)
  } catch {
    throw new UserError('--auth-url and --registry must be absolute http(s) URLs', {exitCode: ExitCode.Usage})
  }
  for (const u of [tokenUrl, registry]) {
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UserError(`${u.protocol.slice(0, -1)}: is not supported; --auth-url and --registry must be http(s) URLs`, {exitCode: ExitCode.Usage})
  }
  tokenUrl.searchParams.set('service', 'registry.docker.io')
  tokenUrl.searchParams.set('scope', `repository:${PREVIEW_REPOSITORY}:pull`)
  const tokenHeaders: Record<string, string> = {Accept: 'application/json'}
  if (options.credentials) {
    tokenHeaders.Authorization = `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`
  }
  const tokenRes = await send(tokenUrl, options, 'GET', tokenHeaders, secrets, `getting a token from ${tokenUrl.origin}${tokenUrl.pathname}`)
  if (tokenRes.status === 401 || tokenRes.status === 403) {
    const detail = redact(errorDetail(tokenRes.body), secrets)
    throw problem(
      `the token service refused ${options.credentials ? `the credentials of ${options.credentials.username}` : 'an anonymous token'} (${tokenRes.status}${detail ? `: ${detail}` : ''})`,
      options.credentials ? 'check --username and the password or personal access token given on stdin' : 'anonymous tokens should always be granted; check --auth-url',
    )
  }
  if (tokenRes.status === 429) {
    const after = parseRetryAfter(tokenRes.headers['retry-after'], options.now)
    throw problem(`the token service answered 429 Too Many Requests${after !== null ? ` (retry after ${after} s)` : ''}: the abuse rate limit, not the pull limit`)
  }
  if (tokenRes.status !== 200) throw problem(`the token service answered ${tokenRes.status} ${tokenRes.statusText}`.trim(), 'check --auth-url')
  let token = ''
  try {
    const body = JSON.parse(tokenRes.body) as {token?: unknown; access_token?: unknown}
    token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : ''
  } catch {
    token = ''
  }
  if (!token) throw problem('the token service answered 200 without a token', 'check --auth-url')
  const allSecrets = [...secrets, token]

  const manifest = new URL(`${registry.href.replace(/\/+$/, '')}/v2/${PREVIEW_REPOSITORY}/manifests/latest`)
  const res = await send(
    manifest,
    options,
    'HEAD',
    {
      Authorization: `Bearer ${token}`,
      Accept: [
        'application/vnd.oci.image.index.v1+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
      ].join(', '),
    },
    allSecrets,
    `HEAD ${manifest.pathname}`,
  )
  const info = parseRateLimitHeaders(res.headers)
  const result: RateLimitResult = {...info, status: res.status, retryAfterSeconds: parseRetryAfter(res.headers['retry-after'], options.now)}
  if (res.status === 200 || res.status === 429) return result
  if (res.status === 401) {
    throw problem(
      `the registry refused the token (401 on HEAD ${manifest.pathname})`,
      'the token request did not grant pull access to ratelimitpreview/test: check --auth-url (service registry.docker.io) and that it belongs to --registry',
    )
  }
  throw problem(`HEAD ${manifest.pathname} answered ${res.status} ${res.statusText}`.trim(), 'check --registry')
}
