/**
 * Registry v2 reachability of one mirror, step by step and timed, along the route the engine
 * itself would take (direct or through its proxy): name resolution, TCP (and the proxy's
 * CONNECT), TLS, GET /v2/, and optionally a manifest HEAD for an image. Insecure mirrors get
 * the engines' treatment: HTTPS without verification first, then plain HTTP.
 */

import net from 'node:net'
import {performance} from 'node:perf_hooks'
import type {Socket} from 'node:net'
import {
  connect,
  connectAny,
  endpointOf,
  errorCode,
  formatEndpoint,
  NetError,
  openTunnel,
  resolveHost,
  sendRequest,
  startTls,
  tlsFacts,
  type Endpoint,
  type HttpResponse,
} from './http-client.js'
import type {ManifestTarget, MirrorTarget} from './mirror-target.js'
import {
  API_VERSION_HEADER,
  explainApiStatus,
  explainConnectError,
  explainDnsError,
  explainHandshakeError,
  explainManifestStatus,
  explainProxyStatus,
  judgeTls,
  loginRequired,
  parseWwwAuthenticate,
  routeFromDecision,
  routeFromEndpointProxy,
  type EngineKind,
  type HopContext,
  type Route,
  type StepName,
  type StepStatus,
  type Verdict,
} from './probe-explain.js'
import {decideProxy, type ProxyConfig} from './proxy.js'

export type {Route, StepName, StepStatus} from './probe-explain.js'

export interface Step {
  name: StepName
  status: StepStatus
  ms: number
  detail: string
  fix?: string
  /** The manifest step's Docker-Content-Digest. */
  digest?: string
}

export interface MirrorReport {
  mirror: string
  /** Where the probe ended up talking to: "https://host:port" (plus a dockerd mirror path). */
  url: string
  route: Route
  ok: boolean
  steps: Step[]
}

export interface Trust {
  pems: string[]
  /** What the chain is checked against, for messages. */
  label: string
}

export interface ProbeContext {
  engine: EngineKind
  proxyConfig: ProxyConfig
  timeoutMs: number
  /** Trusted CAs for this mirror (system roots, --ca-file, the engine's certs.d). */
  trust: (target: MirrorTarget) => Promise<Trust>
  /** The manifest to HEAD, when --image was given. */
  manifest?: ((target: MirrorTarget) => ManifestTarget) | undefined
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

const MAX_REDIRECTS = 5

function elapsed(start: number): number {
  return Math.round(performance.now() - start)
}

function step(name: StepName, verdict: Verdict, ms: number): Step {
  const s: Step = {name, status: verdict.status, ms, detail: verdict.detail}
  if (verdict.fix) s.fix = verdict.fix
  return s
}

interface Attempt {
  scheme: 'http' | 'https'
  url: string
  route: Route
  steps: Step[]
}

/** The first failed step that decides a ping (the manifest step does not: engines ping first). */
function pingFailure(a: Attempt): Step | undefined {
  return a.steps.find((s) => s.status === 'fail' && s.name !== 'manifest')
}

class Prober {
  private readonly timeoutSeconds: number

  constructor(
    private readonly target: MirrorTarget,
    private readonly ctx: ProbeContext,
    private readonly trust: Trust,
  ) {
    this.timeoutSeconds = ctx.timeoutMs / 1000
  }

  routeFor(url: URL): Route {
    if (this.target.proxy) return routeFromEndpointProxy(this.target.proxy, this.target.origin)
    return routeFromDecision(decideProxy(url, this.ctx.proxyConfig))
  }

  private targetEndpoint(scheme: 'http' | 'https'): Endpoint {
    return {host: this.target.host, port: this.target.port ?? (scheme === 'https' ? 443 : 80)}
  }

  /** One request along the route Go would take for url (token service, redirects, manifests). */
  private request(url: URL, method: string, headers: Record<string, string>): Promise<HttpResponse> {
    const route = this.routeFor(url)
    const proxy = route.proxy !== null ? route.proxyUrl : null
    return connect(url, {proxy, ca: this.trust.pems, verify: url.protocol === 'https:' && !this.target.insecure, timeoutMs: this.ctx.timeoutMs}).then(({socket, viaProxy}) =>
      sendRequest(socket, {method, url, headers, viaProxy, timeoutMs: this.ctx.timeoutMs}),
    )
  }

  /** An anonymous token from a Bearer challenge's realm; never shown anywhere. */
  private async fetchToken(params: Record<string, string>, scope: string | undefined): Promise<{token: string} | {status: number} | {error: string}> {
    let realm: URL
    try {
      realm = new URL(params.realm ?? '')
    } catch {
      return {error: `the Bearer realm "${params.realm}" is not a URL`}
    }
    if (params.service) realm.searchParams.set('service', params.service)
    if (scope) realm.searchParams.set('scope', scope)
    try {
      const res = await this.request(realm, 'GET', {Accept: 'application/json'})
      if (res.status !== 200) return {status: res.status}
      const body = JSON.parse(res.body) as {token?: unknown; access_token?: unknown}
      const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : ''
      return token ? {token} : {error: 'the token service answered without a token'}
    } catch (error) {
      return {error: error instanceof SyntaxError ? 'the token service did not answer JSON' : (error as Error).message}
    }
  }

  /** Sends a request; a Bearer challenge is answered with an anonymous token once, as engines do. */
  private async authorized(url: URL, method: string, headers: Record<string, string>, scope: string): Promise<{res: HttpResponse; tokenRefused?: number; tokenError?: string}> {
    const res = await this.request(url, method, headers)
    if (res.status !== 401) return {res}
    const bearer = parseWwwAuthenticate(res.headers['www-authenticate']).find((c) => c.scheme === 'bearer' && c.params.realm)
    if (!bearer) return {res}
    const token = await this.fetchToken(bearer.params, bearer.params.scope ?? scope)
    if ('status' in token) return {res, tokenRefused: token.status}
    if ('error' in token) return {res, tokenError: token.error}
    return {res: await this.request(url, method, {...headers, Authorization: `Bearer ${token.token}`})}
  }

  /** Whether host:port answers a plain HTTP request (the "HTTP response to HTTPS client" case). */
  private async speaksPlainHttp(route: Route, scheme: 'https'): Promise<boolean> {
    const target = this.targetEndpoint(scheme)
    let socket: Socket | undefined
    try {
      const proxy = route.proxy !== null ? route.proxyUrl : null
      const hop = proxy ? endpointOf(proxy) : target
      socket = (await connectAny(await resolveHost(hop.host, this.ctx.timeoutMs), hop.port, this.ctx.timeoutMs)).socket
      if (proxy?.protocol === 'https:') socket = await startTls(socket, {host: hop.host, ca: this.trust.pems, timeoutMs: this.ctx.timeoutMs})
      if (proxy) await openTunnel(socket, proxy, target, this.ctx.timeoutMs)
      const res = await sendRequest(socket, {method: 'GET', url: new URL(`http://${formatEndpoint(target)}/v2/`), timeoutMs: this.ctx.timeoutMs})
      return res.status > 0
    } catch {
      socket?.destroy()
      return false
    }
  }

  async attempt(scheme: 'http' | 'https'): Promise<Attempt> {
    const {target, ctx} = this
    const base = `${scheme}://${target.hostPort}${target.apiRoot}`
    const pingUrl = new URL(`${base}/v2/`)
    const route = this.routeFor(pingUrl)
    const steps: Step[] = []
    const result: Attempt = {scheme, url: base, route, steps}
    const names: StepName[] = ['dns', 'tcp', 'tls', 'api', ...(ctx.manifest ? (['manifest'] as const) : [])]
    const skipRest = (why: string): Attempt => {
      for (const name of names.slice(steps.length)) steps.push({name, status: 'skip', ms: 0, detail: why})
      return result
    }

    const mirrorEp = this.targetEndpoint(scheme)
    const proxy = route.proxy !== null ? route.proxyUrl : null
    if (route.proxy !== null && !proxy) {
      steps.push({name: 'dns', status: 'skip', ms: 0, detail: 'no lookup: the proxy cannot be used'})
      steps.push({name: 'tcp', status: 'fail', ms: 0, detail: `the proxy ${route.proxy} (${route.decidedBy}) cannot be used: ${route.problem ?? 'invalid value'}`, fix: `fix ${route.decidedBy}`})
      return skipRest('not reached')
    }
    const hop = proxy ? endpointOf(proxy) : mirrorEp
    const hopCtx: HopContext = {
      role: proxy ? 'proxy' : 'mirror',
      host: hop.host,
      port: hop.port,
      mirrorHostPort: formatEndpoint(mirrorEp),
      proxySource: route.decidedBy,
      noProxy: ctx.proxyConfig.noProxy?.value,
      timeoutSeconds: this.timeoutSeconds,
    }

    // a. name resolution (of the proxy when there is one: the proxy resolves the mirror)
    let addresses: string[]
    let t = performance.now()
    if (net.isIP(hop.host)) {
      addresses = [hop.host]
      steps.push({name: 'dns', status: 'skip', ms: 0, detail: `${hop.host} is an IP address${proxy ? ' (the proxy)' : ''}, no lookup`})
    } else {
      try {
        addresses = await resolveHost(hop.host, ctx.timeoutMs)
        const list = addresses.join(', ')
        const detail = proxy ? `proxy ${hop.host} -> ${list}; the proxy resolves ${target.host} itself` : `${hop.host} -> ${list}`
        steps.push({name: 'dns', status: 'ok', ms: elapsed(t), detail})
      } catch (error) {
        steps.push(step('dns', explainDnsError(errorCode(error), hopCtx), elapsed(t)))
        return skipRest('not reached: name resolution failed')
      }
    }

    // b. TCP, plus the proxy's TLS and CONNECT tunnel
    t = performance.now()
    let socket: Socket
    let tcpDetail: string
    try {
      const connected = await connectAny(addresses, hop.port, ctx.timeoutMs)
      socket = connected.socket
      const where = formatEndpoint({host: connected.address, port: hop.port})
      tcpDetail = `connected to ${proxy ? 'proxy ' : ''}${where}${connected.refused.length ? ` (after ${connected.refused.join(', ')})` : ''}`
    } catch (error) {
      steps.push(step('tcp', explainConnectError(errorCode(error), hopCtx), elapsed(t)))
      return skipRest('not reached: no TCP connection')
    }
    try {
      if (proxy && proxy.protocol !== 'http:' && proxy.protocol !== 'https:') throw new NetError('unsupported proxy scheme', 'EPROXYSCHEME', 'proxy')
      if (proxy?.protocol === 'https:') {
        const secure = await startTls(socket, {host: hop.host, ca: this.trust.pems, timeoutMs: ctx.timeoutMs})
        const facts = tlsFacts(secure, hop.host)
        if (facts.chainError || facts.hostnameError) {
          secure.destroy()
          steps.push({name: 'tcp', status: 'fail', ms: elapsed(t), detail: `TLS to the proxy ${hop.host} does not verify (${facts.chainError ?? facts.hostnameError})`, fix: 'install the proxy\'s CA in the system trust store'})
          return skipRest('not reached: proxy TLS failed')
        }
        socket = secure
      }
      if (proxy && scheme === 'https') {
        await openTunnel(socket, proxy, mirrorEp, ctx.timeoutMs)
        tcpDetail += `; CONNECT ${formatEndpoint(mirrorEp)} -> 200`
      } else if (proxy) {
        tcpDetail += '; plain HTTP requests go to the proxy as absolute URIs'
      }
    } catch (error) {
      socket.destroy()
      const verdict = error instanceof NetError && error.status !== undefined ? explainProxyStatus(error.status, hopCtx) : explainConnectError(errorCode(error), hopCtx)
      steps.push(step('tcp', verdict, elapsed(t)))
      return skipRest('not reached: the proxy did not connect')
    }
    steps.push({name: 'tcp', status: 'ok', ms: elapsed(t), detail: tcpDetail})

    // c. TLS
    t = performance.now()
    if (scheme === 'https') {
      try {
        const secure = await startTls(socket, {host: target.host, ca: this.trust.pems, timeoutMs: ctx.timeoutMs})
        const verdict = judgeTls(tlsFacts(secure, target.host), {host: target.host, hostPort: target.hostPort, insecure: target.insecure, trust: this.trust.label})
        steps.push(step('tls', verdict, elapsed(t)))
        if (verdict.status === 'fail') {
          secure.destroy()
          return skipRest('not reached: TLS failed')
        }
        socket = secure
      } catch (error) {
        const ms = elapsed(t)
        socket.destroy()
        const plainHttp = await this.speaksPlainHttp(route, 'https')
        steps.push(step('tls', explainHandshakeError(errorCode(error), (error as Error).message, {hostPort: target.hostPort, plainHttp, timeoutSeconds: this.timeoutSeconds}), ms))
        return skipRest('not reached: TLS failed')
      }
    } else {
      steps.push({name: 'tls', status: 'skip', ms: 0, detail: target.scheme === 'http' ? 'plain HTTP (http:// mirror)' : 'plain HTTP'})
    }

    // d. GET /v2/
    t = performance.now()
    let res: HttpResponse
    let finalUrl = pingUrl
    try {
      res = await sendRequest(socket, {method: 'GET', url: pingUrl, viaProxy: scheme === 'http' ? proxy : null, timeoutMs: ctx.timeoutMs})
      for (let n = 0; n < MAX_REDIRECTS && res.status >= 300 && res.status < 400 && res.headers.location; n++) {
        finalUrl = new URL(res.headers.location, finalUrl)
        res = await this.request(finalUrl, 'GET', {})
      }
    } catch (error) {
      steps.push({name: 'api', status: 'fail', ms: elapsed(t), detail: `GET ${finalUrl.pathname} failed: ${(error as Error).message}`, fix: 'the server accepted the connection but did not answer like an HTTP registry: check the port'})
      return skipRest('not reached: the API check failed')
    }
    const redirected = finalUrl.href !== pingUrl.href ? ` (redirected to ${finalUrl.origin}${finalUrl.pathname}; Go clients follow that)` : ''
    const api = await this.judgeApi(res, scheme, proxy !== null)
    api.detail += redirected
    steps.push(step('api', api, elapsed(t)))

    // e. manifest HEAD
    if (ctx.manifest) {
      if (api.status === 'fail') return skipRest('not checked: the API check failed')
      steps.push(await this.manifestStep(ctx.manifest(target), scheme))
    }
    return result
  }

  private async judgeApi(res: HttpResponse, scheme: 'http' | 'https', viaProxy: boolean): Promise<Verdict> {
    const version = res.headers[API_VERSION_HEADER]
    const prefix = `GET ${this.target.apiRoot}/v2/`
    if (res.status === 200 && version) return {status: 'ok', detail: `${prefix} -> 200, ${version}`}
    if (res.status === 401 && version) {
      const challenges = parseWwwAuthenticate(res.headers['www-authenticate'])
      const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm)
      if (bearer) {
        const token = await this.fetchToken(bearer.params, undefined)
        if ('token' in token) return {status: 'ok', detail: `${prefix} -> 401, ${version}, token auth: anonymous token from ${bearer.params.realm}`}
        if ('status' in token) return loginRequired(this.ctx.engine, this.target.hostPort, `${prefix} -> 401 and ${bearer.params.realm} refused an anonymous token (${token.status})`)
        return {status: 'fail', detail: `${prefix} -> 401, but the token service ${bearer.params.realm} failed: ${token.error}`, fix: 'the token service must be reachable from this host along the same route as the mirror'}
      }
      if (challenges.some((c) => c.scheme === 'basic')) return loginRequired(this.ctx.engine, this.target.hostPort, `${prefix} -> 401 with Basic auth`)
      return {status: 'fail', detail: `${prefix} -> 401 without a usable WWW-Authenticate challenge`, fix: 'the registry must name its token service (Bearer realm) or ask for Basic auth'}
    }
    return explainApiStatus(res.status, res.headers, {apiRoot: this.target.apiRoot, viaProxy: viaProxy && scheme === 'http', hostPort: formatEndpoint(this.targetEndpoint(scheme)), noProxy: this.ctx.proxyConfig.noProxy?.value})
  }

  private async manifestStep(manifest: ManifestTarget, scheme: 'http' | 'https'): Promise<Step> {
    if ('skip' in manifest) return {name: 'manifest', status: 'skip', ms: 0, detail: manifest.skip}
    const t = performance.now()
    const url = new URL(`${scheme}://${this.target.hostPort}${manifest.path}`)
    try {
      const {res, tokenRefused, tokenError} = await this.authorized(url, 'HEAD', {Accept: MANIFEST_ACCEPT}, `repository:${manifest.repository}:pull`)
      const what = `HEAD ${url.pathname}`
      if (tokenError) return {name: 'manifest', status: 'fail', ms: elapsed(t), detail: `${what}: the token service failed: ${tokenError}`, fix: 'check the token service named by the Bearer realm'}
      if (res.status === 401 || tokenRefused !== undefined) return step('manifest', loginRequired(this.ctx.engine, this.target.hostPort, `${what} -> 401${tokenRefused ? ` (anonymous token refused: ${tokenRefused})` : ''}`), elapsed(t))
      if (res.status !== 200) return step('manifest', explainManifestStatus(res.status, res.headers, {image: manifest.image, repository: manifest.repository, reference: manifest.reference, namespace: this.target.namespace}), elapsed(t))
      const digest = res.headers['docker-content-digest']
      const type = res.headers['content-type'] ?? 'no Content-Type'
      if (!digest) return {name: 'manifest', status: 'warn', ms: elapsed(t), detail: `${manifest.image}: ${what} -> 200 (${type}) but without Docker-Content-Digest`, fix: 'the mirror does not report digests; pulls by digest may fail'}
      return {name: 'manifest', status: 'ok', ms: elapsed(t), detail: `${manifest.image} served as ${url.pathname}: ${digest} (${type})`, digest}
    } catch (error) {
      return {name: 'manifest', status: 'fail', ms: elapsed(t), detail: `HEAD ${url.pathname} failed: ${(error as Error).message}`, fix: 'the mirror answered /v2/ but not this request; check its logs'}
    }
  }
}

function withoutFails(steps: readonly Step[]): boolean {
  return steps.every((s) => s.status !== 'fail')
}

/**
 * Probe one mirror. Never throws for network problems: every failure is a failed step with
 * its explanation.
 */
export async function probeMirror(target: MirrorTarget, ctx: ProbeContext): Promise<MirrorReport> {
  if (target.problem) {
    const url = `${target.scheme ?? 'https'}://${target.hostPort}`
    return {
      mirror: target.mirror,
      url,
      route: {proxy: null, proxyUrl: null, decidedBy: 'none', reason: 'not probed', summary: 'not probed'},
      ok: false,
      steps: [{name: 'dns', status: 'fail', ms: 0, detail: `cannot probe this mirror: ${target.problem}`, fix: `correct the mirror in ${target.origin}`}],
    }
  }
  const prober = new Prober(target, ctx, await ctx.trust(target))
  const first = await prober.attempt(target.scheme ?? 'https')
  const failure = pingFailure(first)
  const dnsFailed = failure?.name === 'dns'
  let chosen = first
  if (target.scheme === null && target.insecure && failure && !dnsFailed) {
    // c/image and dockerd: an insecure registry that fails over HTTPS is tried over plain HTTP.
    const second = await prober.attempt('http')
    const secondFailure = pingFailure(second)
    if (!secondFailure) {
      const tls = second.steps.find((s) => s.name === 'tls')!
      const firstTls = first.steps.find((s) => s.name === 'tls')!
      tls.ms = firstTls.ms
      tls.detail = `HTTPS did not work (${failure.detail}); insecure mirror, so plain HTTP is used, as podman and dockerd do`
      delete tls.fix
      chosen = second
    } else {
      failure.detail += secondFailure.detail === failure.detail ? '; the plain HTTP fallback failed the same way' : `; the plain HTTP fallback failed too: ${secondFailure.detail}`
    }
  }
  return {mirror: target.mirror, url: chosen.url, route: chosen.route, ok: withoutFails(chosen.steps), steps: chosen.steps}
}
