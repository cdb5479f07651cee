/**
 * Which proxy a Go program (dockerd, containerd, CRI-O, podman/buildah/skopeo via
 * containers/image) uses for one request, decided exactly as golang.org/x/net/http/httpproxy
 * decides it (the code behind net/http.ProxyFromEnvironment). See
 * shared/reference/no-proxy.md. Pure: no I/O, no DNS.
 *
 * Modelled on the current httpproxy (2025+, after the CVE-2025-22870 fix): domain entries
 * never match IP literals, IPv6 zones are part of the address, proxy URLs with any scheme
 * are kept as written.
 */

import {goHostname, goPort, parseGoUrl} from './go-url.js'
import {displayHost, goJoinHostPort, goSplitHostPort, goTrimSpace, idnaASCII} from './go-net.js'
import {isLoopback, parseAddr} from './ip.js'
import {maskProxyValue, maskUrlCredentials} from './mask-credentials.js'
import {matchNoProxy, parseNoProxy} from './no-proxy.js'
import {PROXY_VARIABLES, type ProxyConfig, type Setting} from './proxy-env.js'
import {parseProxyValue} from './proxy-value.js'

/** Ports httpproxy assumes for request URLs without one. */
const TARGET_DEFAULT_PORTS: Readonly<Record<string, string>> = {http: '80', https: '443', socks5: '1080'}

export type DecisionKind =
  /** Sent through the proxy. */
  | 'proxy'
  /** A NO_PROXY entry matched: direct. */
  | 'no-proxy'
  /** Host "localhost": never proxied. */
  | 'localhost'
  /** Loopback IP literal: never proxied. */
  | 'loopback'
  /** No proxy variable for this scheme: direct. */
  | 'unset'
  /** The proxy value does not parse; Go ignores it: direct. */
  | 'ignored'
  /** Neither http:// nor https://: Go never proxies it. */
  | 'scheme'
  /** Go cannot parse the target URL (or split its address): the request never happens as meant. */
  | 'bad-target'

export interface ProxyDecision {
  /** The target as evaluated (credentials masked). */
  url: string
  /** scheme://[user:***@]host:port of the proxy, default port filled; null for direct. */
  proxy: string | null
  /** The proxy, unmasked, for probes; null for direct or when not representable. */
  proxyUrl: URL | null
  /** The variable's source, the NO_PROXY entry, or "localhost" / "loopback" / the scheme. */
  decidedBy: string
  via: DecisionKind
  /** One sentence for humans (credentials masked). */
  reason: string
  /** Set when the configured proxy value cannot work as meant for this request. */
  problem?: string
}

const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

/**
 * Decide like Go whether a request to target goes through a proxy. A target string without
 * "scheme://" is taken as https:// (registries default to TLS). URL objects are read through
 * their href, so WHATWG normalisation (lower-cased host, default port dropped) applies first.
 */
export function decideProxy(target: string | URL, config: ProxyConfig): ProxyDecision {
  const text = target instanceof URL ? target.href : hasScheme.test(target) ? target : `https://${target}`
  const shown = maskProxyValue(text)
  const base = {url: shown, proxy: null, proxyUrl: null}
  const parsedTarget = parseGoUrl(text)
  if (!parsedTarget.ok) {
    return {...base, decidedBy: 'target', via: 'bad-target', reason: maskUrlCredentials(`Go cannot parse the URL ${shown}: ${parsedTarget.error}`), problem: 'the target URL is invalid for Go'}
  }
  const u = parsedTarget.url
  let setting: Setting | undefined
  let names: readonly string[]
  if (u.scheme === 'https') {
    setting = config.httpsProxy
    names = PROXY_VARIABLES.httpsProxy
  } else if (u.scheme === 'http') {
    setting = config.httpProxy
    names = PROXY_VARIABLES.httpProxy
  } else {
    return {...base, decidedBy: u.scheme || 'scheme', via: 'scheme', reason: `Go only proxies http:// and https:// requests, so ${shown} goes direct`}
  }

  if (!setting) {
    let reason = `neither ${names[0]} nor ${names[1]} is set, so Go connects to ${shown} directly`
    if (u.scheme === 'https' && config.httpProxy) {
      reason += ` (${config.httpProxy.source} is set, but Go never uses the HTTP proxy for https:// URLs)`
    }
    return {...base, decidedBy: names[0]!, via: 'unset', reason}
  }

  const proxy = parseProxyValue(setting.value)
  if (!proxy.url) {
    return {
      ...base,
      decidedBy: setting.source,
      via: 'ignored',
      reason: `Go ignores ${setting.source} because it cannot parse the value, so it connects to ${shown} directly`,
      problem: proxy.problem ?? 'the proxy value cannot be parsed',
    }
  }

  // canonicalAddr + useProxy
  let hostname = goHostname(u)
  hostname = idnaASCII(hostname) ?? hostname
  const port = goPort(u) || TARGET_DEFAULT_PORTS[u.scheme] || ''
  const split = goSplitHostPort(goJoinHostPort(hostname, port))
  if (!split) {
    return {...base, decidedBy: 'target', via: 'bad-target', reason: `Go cannot split host and port of ${shown}, so it does not use a proxy for it`, problem: 'the target host is malformed'}
  }
  const address = `${displayHost(split.host)}:${split.port}`
  if (split.host === 'localhost') {
    return {...base, decidedBy: 'localhost', via: 'localhost', reason: `Go never uses a proxy for "localhost", so it connects to ${address} directly`}
  }
  const ip = parseAddr(split.host)
  if (ip && isLoopback(ip.bytes)) {
    return {...base, decidedBy: 'loopback', via: 'loopback', reason: `Go never uses a proxy for loopback addresses (127.0.0.0/8, ::1), so it connects to ${address} directly`}
  }
  const host = goTrimSpace(split.host).toLowerCase()
  if (config.noProxy) {
    const entry = matchNoProxy(parseNoProxy(config.noProxy.value), host, split.port, ip ? ip.bytes : null)
    if (entry) {
      const what = entry.kind === 'all' ? 'matches every host' : `matches ${address}`
      return {...base, decidedBy: entry.raw, via: 'no-proxy', reason: `${config.noProxy.source} entry "${entry.raw}" ${what}, so Go connects directly`}
    }
  }
  const decision: ProxyDecision = {
    url: shown,
    proxy: proxy.display,
    proxyUrl: proxy.webUrl,
    decidedBy: setting.source,
    via: 'proxy',
    reason: config.noProxy
      ? `${setting.source} is set and no ${config.noProxy.source} entry matches ${address}, so Go sends the request through ${proxy.display}`
      : `${setting.source} is set and no NO_PROXY/no_proxy is set, so Go sends the request to ${address} through ${proxy.display}`,
  }
  if (proxy.problem) decision.problem = proxy.problem
  return decision
}
