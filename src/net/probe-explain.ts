/**
 * What a probe result means and what to do about it: one sentence of detail and, for
 * failures, the likely fix. Pure: every input is a value the probe already collected.
 */

import type {TlsFacts} from './http-client.js'
import type {ProxyDecision} from './proxy.js'
import {suggestNoProxy} from './proxy.js'

export type StepName = 'dns' | 'tcp' | 'tls' | 'api' | 'manifest'
export type StepStatus = 'ok' | 'fail' | 'skip' | 'warn'
export type EngineKind = 'docker' | 'podman'

export interface Verdict {
  status: StepStatus
  detail: string
  fix?: string
}

/** Days before expiry from which the TLS step warns. */
export const EXPIRY_WARN_DAYS = 14

// ---------------------------------------------------------------------------------------
// Route

export interface Route {
  /** The proxy, credentials masked; null for direct. */
  proxy: string | null
  /** The proxy with credentials, for connecting; null for direct or when unusable. */
  proxyUrl: URL | null
  decidedBy: string
  reason: string
  /** Short form for tables: "direct (NO_PROXY entry mirror.test)", "via http://p:3128 (HTTPS_PROXY)". */
  summary: string
  problem?: string
}

/** The route of a Go decision, in report form. */
export function routeFromDecision(d: ProxyDecision): Route {
  let summary: string
  switch (d.via) {
    case 'proxy':
      summary = `via ${d.proxy} (${d.decidedBy})`
      break
    case 'no-proxy':
      summary = `direct (NO_PROXY entry ${d.decidedBy})`
      break
    case 'unset':
      summary = `direct (${d.decidedBy} not set)`
      break
    case 'loopback':
      summary = 'direct (loopback address)'
      break
    case 'localhost':
      summary = 'direct (localhost)'
      break
    case 'ignored':
      summary = `direct (${d.decidedBy} cannot be parsed, ignored)`
      break
    default:
      summary = `direct (${d.via})`
  }
  const route: Route = {proxy: d.proxy, proxyUrl: d.proxyUrl, decidedBy: d.decidedBy, reason: d.reason, summary}
  if (d.problem) route.problem = d.problem
  return route
}

/** A registries.conf mirror with its own proxy key: c/image uses it for every request, NO_PROXY aside. */
export function routeFromEndpointProxy(proxy: string, file: string): Route {
  let url: URL | null = null
  try {
    url = new URL(proxy)
  } catch {
    url = null
  }
  const shown = url ? `${url.protocol}//${url.username ? `${url.username}${url.password ? ':***' : ''}@` : ''}${url.host}` : proxy.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
  const route: Route = {
    proxy: shown,
    proxyUrl: url,
    decidedBy: `${file} proxy`,
    reason: `the mirror's proxy key in ${file} sends every request through ${shown}; proxy variables and NO_PROXY do not apply`,
    summary: `via ${shown} (registries.conf proxy)`,
  }
  if (!url) route.problem = 'the proxy value is not a URL'
  return route
}

// ---------------------------------------------------------------------------------------
// Name resolution and connecting

export interface HopContext {
  /** What is being reached: the mirror or the proxy. */
  role: 'mirror' | 'proxy'
  host: string
  port: number
  /** The mirror host[:port] (for NO_PROXY suggestions and CONNECT messages). */
  mirrorHostPort: string
  /** The variable or file that chose the proxy, when role is proxy. */
  proxySource?: string
  /** Current NO_PROXY value, for suggestions. */
  noProxy?: string | undefined
  timeoutSeconds: number
}

export function explainDnsError(code: string, ctx: HopContext): Verdict {
  const what = ctx.role === 'proxy' ? `the proxy host ${ctx.host} (from ${ctx.proxySource})` : ctx.host
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_NONAME':
      return {
        status: 'fail',
        detail: `${what} does not resolve (ENOTFOUND)`,
        fix: ctx.role === 'proxy' ? `fix the proxy setting in ${ctx.proxySource} or add ${ctx.host} to DNS or /etc/hosts` : `the name does not resolve: add ${ctx.host} to DNS or /etc/hosts (check with: getent hosts ${ctx.host})`,
      }
    case 'ETIMEDOUT':
      return {status: 'fail', detail: `looking up ${what} took longer than ${ctx.timeoutSeconds} s`, fix: 'check that the nameservers in /etc/resolv.conf answer (or raise --timeout), or add the name to /etc/hosts'}
    case 'EAI_AGAIN':
      return {status: 'fail', detail: `looking up ${what} failed temporarily (${code}): no DNS server answered`, fix: 'check /etc/resolv.conf and that its nameservers are reachable from this host, or add the name to /etc/hosts'}
    default:
      return {status: 'fail', detail: `looking up ${what} failed (${code})`, fix: 'check the name, DNS (/etc/resolv.conf) and /etc/hosts'}
  }
}

export function explainConnectError(code: string, ctx: HopContext): Verdict {
  const where = `${ctx.host.includes(':') ? `[${ctx.host}]` : ctx.host}:${ctx.port}`
  const isProxy = ctx.role === 'proxy'
  const label = isProxy ? `proxy ${where}` : where
  switch (code) {
    case 'ECONNREFUSED':
      return {
        status: 'fail',
        detail: `connection to ${label} refused (ECONNREFUSED)`,
        fix: isProxy ? `nothing listens on ${where}: the proxy named by ${ctx.proxySource} is down or the setting is wrong` : `nothing listens on ${where}: start the mirror or correct the host/port (default ports: 443 for https, 80 for http)`,
      }
    case 'ETIMEDOUT':
      return {
        status: 'fail',
        detail: `no answer from ${label} within ${ctx.timeoutSeconds} s`,
        fix: isProxy
          ? `a firewall drops traffic to the proxy ${where}, or it is down`
          : `a firewall drops the packets or the host is down; if this host reaches other networks only through a proxy, set HTTPS_PROXY (and keep internal mirrors in NO_PROXY)`,
      }
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return {status: 'fail', detail: `no route to ${label} (${code})`, fix: 'check the address, routing and firewall of this host'}
    case 'ECONNRESET':
      return {status: 'fail', detail: `${label} reset the connection (ECONNRESET)`, fix: 'a firewall or the service closed the connection; check that the port belongs to the registry'}
    case 'EPROXYSCHEME':
      return {status: 'fail', detail: `the proxy ${where} uses a scheme mirrorctl cannot speak (socks5)`, fix: 'check this route with an http:// proxy, or test with curl --proxy'}
    default:
      return {status: 'fail', detail: `cannot connect to ${label} (${code})`, fix: 'check the address, port and firewall'}
  }
}

/** A proxy's answer to CONNECT (or to an absolute-URI request) other than success. */
export function explainProxyStatus(status: number, ctx: HopContext): Verdict {
  const noProxy = suggestNoProxy(ctx.noProxy, ctx.mirrorHostPort)
  const detail = `the proxy answered ${status} for ${ctx.mirrorHostPort}`
  if (status === 407) return {status: 'fail', detail: `${detail} (proxy authentication required)`, fix: `put the proxy credentials into the proxy URL (${ctx.proxySource}): http://user:password@proxy:port`}
  if (status === 403) {
    return {
      status: 'fail',
      detail: `${detail} (forbidden: the proxy's rules refuse this destination or port)`,
      fix: `allow ${ctx.mirrorHostPort} in the proxy's ACL (e.g. squid SSL_ports, tinyproxy ConnectPort), or if this host can reach the mirror directly set NO_PROXY=${noProxy}`,
    }
  }
  // tinyproxy says 500 where squid says 503: both mean the proxy could not resolve or connect.
  if (status === 500 || status === 502 || status === 503 || status === 504) {
    return {
      status: 'fail',
      detail: `${detail} (the proxy could not reach the mirror)`,
      fix: `an internal mirror is usually unreachable or unresolvable for the proxy: set NO_PROXY=${noProxy} so the engine connects directly`,
    }
  }
  return {status: 'fail', detail, fix: `check the proxy (${ctx.proxySource}), or bypass it for the mirror with NO_PROXY=${noProxy}`}
}

// ---------------------------------------------------------------------------------------
// TLS

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
])

/** Where each engine takes extra CAs for a registry. */
export function caFix(hostPort: string): string {
  return `test with --ca-file CA.pem, then install the CA for the engines: /etc/containers/certs.d/${hostPort}/ca.crt (podman, skopeo, buildah, CRI-O) or /etc/docker/certs.d/${hostPort}/ca.crt (dockerd)`
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10)
}

export interface TlsContext {
  host: string
  hostPort: string
  insecure: boolean
  /** What the chain was checked against, e.g. "system roots + --ca-file ca.pem". */
  trust: string
}

/** Judge a completed handshake: chain, hostname, expiry; insecure mirrors skip verification. */
export function judgeTls(facts: TlsFacts, ctx: TlsContext): Verdict {
  const cert = `${facts.protocol ?? 'TLS'}, certificate for ${facts.subject ?? '?'} issued by ${facts.issuer ?? '?'}`
  const expiry = facts.validTo && facts.daysLeft !== null ? `expires ${day(facts.validTo)} (${facts.daysLeft} days)` : 'expiry unknown'
  const problems: Verdict[] = []
  if (facts.chainError) {
    const code = facts.chainError
    if (code === 'CERT_HAS_EXPIRED') {
      const ago = facts.daysLeft !== null ? ` (${-facts.daysLeft} days ago)` : ''
      problems.push({status: 'fail', detail: `certificate expired on ${facts.validTo ? day(facts.validTo) : '?'}${ago}`, fix: `renew the mirror's certificate for ${ctx.host}`})
    } else if (code === 'CERT_NOT_YET_VALID') {
      problems.push({status: 'fail', detail: 'certificate is not valid yet (CERT_NOT_YET_VALID)', fix: "check the clocks of this host and of the mirror (NTP), or the certificate's start date"})
    } else if (UNKNOWN_CA.has(code)) {
      problems.push({status: 'fail', detail: `certificate signed by unknown authority (${code}; checked against ${ctx.trust})`, fix: caFix(ctx.hostPort)})
    } else {
      problems.push({status: 'fail', detail: `certificate does not verify (${code})`, fix: caFix(ctx.hostPort)})
    }
  }
  if (facts.hostnameError) {
    problems.push({
      status: 'fail',
      detail: `certificate is not valid for ${ctx.host} (it names ${facts.altNames ?? 'no subjectAltName'})`,
      fix: `reissue the certificate with ${ctx.host} in subjectAltName (Go ignores the CN), or address the mirror by a name it covers`,
    })
  }
  if (ctx.insecure) {
    const notes = problems.map((p) => p.detail)
    return {status: 'ok', detail: `${cert}, ${expiry}; not verified (insecure mirror)${notes.length ? `: ${notes.join('; ')}` : ''}`}
  }
  if (problems.length) {
    return {status: 'fail', detail: problems.map((p) => p.detail).join('; '), fix: problems.map((p) => p.fix).filter(Boolean).join('; ')}
  }
  if (facts.daysLeft !== null && facts.daysLeft < EXPIRY_WARN_DAYS) {
    return {status: 'warn', detail: `${cert}, verified with ${ctx.trust}; expires soon: ${expiry}`, fix: `renew the certificate of ${ctx.host} before ${facts.validTo ? day(facts.validTo) : 'it expires'}`}
  }
  return {status: 'ok', detail: `${cert}, verified with ${ctx.trust}, ${expiry}`}
}

/** A handshake that did not complete. plainHttp: the port answered a plain HTTP request. */
export function explainHandshakeError(code: string, message: string, ctx: {hostPort: string; plainHttp: boolean; timeoutSeconds: number}): Verdict {
  if (ctx.plainHttp) {
    return {
      status: 'fail',
      detail: 'server gave HTTP response to HTTPS client',
      fix: `mark the mirror insecure (registries.conf: insecure = true on the [[registry.mirror]]; daemon.json: write it as http://${ctx.hostPort} and list ${ctx.hostPort} in insecure-registries) or serve TLS on it`,
    }
  }
  if (code === 'ETIMEDOUT') {
    return {status: 'fail', detail: `no TLS handshake within ${ctx.timeoutSeconds} s`, fix: `check that ${ctx.hostPort} serves TLS (and not another protocol)`}
  }
  const plainHint = /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE/.test(code) ? '; this error usually means the port speaks plain HTTP: mark the mirror insecure or serve TLS' : ''
  return {status: 'fail', detail: `TLS handshake failed: ${message}`, fix: `check that ${ctx.hostPort} serves TLS for registry clients (TLS 1.2+); a proxy or load balancer in between may break it${plainHint}`}
}

// ---------------------------------------------------------------------------------------
// Registry API

export interface Challenge {
  scheme: string
  params: Record<string, string>
}

const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+"

/** RFC 7235 challenges: `Bearer realm="https://auth",service="x", Basic realm="y"`. */
export function parseWwwAuthenticate(header: string | undefined): Challenge[] {
  if (!header) return []
  const out: Challenge[] = []
  const param = new RegExp(`\\s*,?\\s*(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s,]*))`, 'y')
  const scheme = new RegExp(`\\s*,?\\s*(${TOKEN})`, 'y')
  let current: Challenge | null = null
  let i = 0
  while (i < header.length) {
    if (current) {
      param.lastIndex = i
      const p = param.exec(header)
      if (p) {
        current.params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '')
        i = param.lastIndex
        continue
      }
    }
    scheme.lastIndex = i
    const t = scheme.exec(header)
    if (!t) break
    current = {scheme: t[1]!.toLowerCase(), params: {}}
    out.push(current)
    i = scheme.lastIndex
  }
  return out
}

/** The header the registry API v2 answers /v2/ with. */
export const API_VERSION_HEADER = 'docker-distribution-api-version'

/** The engines' differing reactions to a mirror that wants its own login. */
export function loginRequired(engine: EngineKind, host: string, what: string): Verdict {
  const why =
    "dockerd never uses a mirror's own credentials (with the classic store it sends the Docker Hub login), so it silently falls back to Docker Hub; podman uses auth.json per mirror host"
  if (engine === 'docker') {
    return {status: 'fail', detail: `${what}: the mirror demands its own login. ${why}`, fix: 'allow anonymous pulls on the mirror (give the mirror itself the upstream credentials), or use a mirror that does'}
  }
  return {status: 'warn', detail: `${what}: the mirror demands its own login (not checked with credentials). ${why}`, fix: `podman login ${host} (stored in auth.json for that host); dockerd could not use this mirror`}
}

export function retryAfterText(value: string | undefined): string {
  return value ? `, Retry-After: ${value}` : ''
}

/** Answers to GET /v2/ other than 200/401 with the API header. */
export function explainApiStatus(status: number, headers: Record<string, string>, ctx: {apiRoot: string; viaProxy: boolean; hostPort: string; noProxy?: string | undefined}): Verdict {
  const detail = `GET ${ctx.apiRoot}/v2/ answered ${status}`
  if ((status === 200 || status === 401) && !headers[API_VERSION_HEADER]) {
    return {
      status: 'fail',
      detail: `${detail} without Docker-Distribution-API-Version: registry/2.0, so this is not a registry API (a web page, login portal or proxy error page?)`,
      fix: 'point the mirror at the host and port that serve the registry API (/v2/)',
    }
  }
  if (status === 404) {
    return {
      status: 'fail',
      detail: `${detail}: no registry API here`,
      fix: ctx.apiRoot
        ? `dockerd sends ${ctx.apiRoot}/v2/...; serve the API there or drop the path from the mirror URL`
        : 'wrong port, or the registry lives under a path; for a Harbor-style project use the registries.conf location host/project (the project goes after /v2/)',
    }
  }
  if (status === 407) return {status: 'fail', detail: `${detail} (proxy authentication required)`, fix: 'put the proxy credentials into the proxy URL: http://user:password@proxy:port'}
  if (status === 429) return {status: 'fail', detail: `${detail} (too many requests${retryAfterText(headers['retry-after'])})`, fix: 'the mirror rate-limits this host; wait, or raise its limits'}
  if (ctx.viaProxy && (status === 502 || status === 503 || status === 504)) {
    return {status: 'fail', detail: `${detail}: the proxy could not reach the mirror`, fix: `set NO_PROXY=${suggestNoProxy(ctx.noProxy, ctx.hostPort)} so the engine connects directly`}
  }
  if (status >= 500) return {status: 'fail', detail: `${detail}: the mirror has a server error`, fix: "check the mirror's logs (storage, upstream connection)"}
  if (status === 403) return {status: 'fail', detail: `${detail} (forbidden)`, fix: "the mirror refuses this host: check its access rules (IP allow-lists)"}
  return {status: 'fail', detail: `${detail}; a registry answers 200 or 401`, fix: 'point the mirror at the registry API endpoint'}
}

export function explainManifestStatus(status: number, headers: Record<string, string>, ctx: {image: string; repository: string; reference: string; namespace: string}): Verdict {
  const what = `HEAD .../${ctx.repository}/manifests/${ctx.reference}`
  if (status === 404) {
    return {
      status: 'fail',
      detail: `${what} answered 404: the mirror does not have ${ctx.image} and could not fetch it upstream`,
      fix: `check that the mirror is a pull-through cache of the image's registry (e.g. Distribution proxy.remoteurl) and that the image exists there${ctx.namespace ? `; check the namespace "${ctx.namespace}"` : ''}`,
    }
  }
  if (status === 429) return {status: 'fail', detail: `${what} answered 429${retryAfterText(headers['retry-after'])}: the mirror or its upstream is rate-limited`, fix: 'give the mirror upstream credentials (a paid or dedicated Docker Hub account), or wait'}
  if (status >= 500) return {status: 'fail', detail: `${what} answered ${status}: the mirror failed (often it cannot reach its upstream)`, fix: "check the mirror's logs and its connection to the upstream registry"}
  return {status: 'fail', detail: `${what} answered ${status}`, fix: 'check the image name and the mirror'}
}
