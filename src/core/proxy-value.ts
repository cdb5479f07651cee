/**
 * How a Go program reads one HTTP_PROXY / HTTPS_PROXY value (httpproxy's parseProxy), and why
 * a value cannot work as its author meant. Pure, no I/O.
 */

import {goHostname, goPort, parseGoUrl, type GoUrl} from './go-url.js'
import {displayHost} from './go-net.js'
import {maskUrlCredentials} from './mask-credentials.js'

/** Ports Go's transport dials when the proxy URL has none. */
const PROXY_DEFAULT_PORTS: Readonly<Record<string, string>> = {http: '80', https: '443', socks5: '1080', socks5h: '1080'}
const SUPPORTED_PROXY_SCHEMES = new Set(['http', 'https', 'socks5', 'socks5h'])

export interface ParsedProxy {
  /** The URL Go uses (password included: never print it), or null when Go ignores the value. */
  url: GoUrl | null
  /** scheme://[user:***@]host:port with the default port filled in; null when ignored. */
  display: string | null
  /** The same as a WHATWG URL with credentials, for probes; null when not representable. */
  webUrl: URL | null
  /** Why this value cannot work as meant (credentials masked). */
  problem?: string
}

function displayProxy(url: GoUrl): string {
  const port = goPort(url) || PROXY_DEFAULT_PORTS[url.scheme] || ''
  const user = url.user ? `${url.user.rawUsername}${url.user.password === undefined ? '' : ':***'}@` : ''
  return `${url.scheme}://${user}${displayHost(goHostname(url))}${port ? `:${port}` : ''}`
}

function toWebUrl(url: GoUrl): URL | null {
  const hostname = goHostname(url)
  if (!hostname || !url.scheme) return null
  const port = goPort(url) || PROXY_DEFAULT_PORTS[url.scheme] || ''
  try {
    const web = new URL(`${url.scheme}://${displayHost(hostname)}${port ? `:${port}` : ''}`)
    if (url.user) {
      web.username = url.user.username
      if (url.user.password !== undefined) web.password = url.user.password
    }
    return web
  } catch {
    return null
  }
}

/**
 * Read a proxy value as Go's parseProxy does: parse it as a URL; if that fails or yields no
 * scheme or no host, retry with "http://" prepended and use that if it parses; otherwise a
 * value that did not parse is ignored (direct). Any scheme is kept as written.
 */
export function parseProxyValue(value: string): ParsedProxy {
  const first = parseGoUrl(value)
  let url: GoUrl | null = null
  let retried = false
  if (!first.ok || first.url.scheme === '' || first.url.host === '') {
    const second = parseGoUrl(`http://${value}`)
    if (second.ok) {
      url = second.url
      retried = true
    }
  }
  if (!url) {
    if (!first.ok) {
      const spaces = /\s/.test(value) ? ' (the value contains whitespace)' : ''
      return {
        url: null,
        display: null,
        webUrl: null,
        problem: maskUrlCredentials(`Go cannot parse this proxy value${spaces}: ${first.error}; Go silently ignores it, so requests go direct`),
      }
    }
    url = first.url
  }
  const parsed: ParsedProxy = {url, display: displayProxy(url), webUrl: toWebUrl(url)}
  const problem = proxyUrlProblem(value, url, retried, first.ok ? null : first.error)
  if (problem) parsed.problem = maskUrlCredentials(problem)
  return parsed
}

function proxyUrlProblem(value: string, url: GoUrl, retried: boolean, firstError: string | null): string | undefined {
  const hostname = goHostname(url)
  const port = goPort(url)
  if (retried && /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) {
    const why = firstError ?? 'it has no host'
    return `Go could not read this proxy URL (${why}), so it retried it as "http://" + value, which makes the proxy host "${hostname}"; requests fail instead of going direct`
  }
  if (!SUPPORTED_PROXY_SCHEMES.has(url.scheme) && hostname === '') {
    return `Go reads "${url.scheme}:" as the URL scheme and finds no host (write scheme://host:port), so requests fail instead of going direct`
  }
  if (!SUPPORTED_PROXY_SCHEMES.has(url.scheme)) {
    const how = port
      ? `it connects to ${displayHost(hostname)}:${port} and speaks plain HTTP proxy protocol, as for http://`
      : 'with no port written and no default port for this scheme, the connection fails'
    return `Go keeps the proxy scheme "${url.scheme}", which its transport does not know (it supports http, https, socks5, socks5h); it does not go direct: ${how}`
  }
  if (hostname === '') {
    const dialPort = port || PROXY_DEFAULT_PORTS[url.scheme] || ''
    return `the proxy URL has no host name, so Go connects to port ${dialPort} on the local machine`
  }
  if (port !== '' && (Number(port) === 0 || Number(port) > 65535)) {
    return `proxy port ${port} is out of range, so every request through it fails`
  }
  return undefined
}
