import {isLocalhost} from '../containerd-hosts/resolve.js'

/**
 * How k3s turns a registries.yaml endpoint (or registry name) into the URL it writes to
 * hosts.toml: k3s pkg/agent/containerd/config.go, normalizeEndpointAddress. Restated here:
 * - without "://" the text is read as "//<text>" (host[:port][/path]); the scheme is then
 *   https, or http for localhost / a loopback IP on a port other than 443;
 * - docker.io becomes registry-1.docker.io;
 * - a path of "", "/" or "/v2" becomes /v2; any other path is kept as written and the
 *   endpoint gets override_path = true (containerd then adds no /v2).
 */
export interface K3sEndpoint {
  /** The endpoint's own registry name (host[:port]; registry-1.docker.io reads as docker.io): the configs key k3s looks up. */
  registry: string
  scheme: string
  /** host[:port] as containerd will contact it. */
  host: string
  path: string
  overridePath: boolean
  /** scheme://host/path, the [host."…"] name k3s writes. */
  url: string
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//

/** The port after the last colon, as Go's url.URL.Port() gives it ("" when there is none). */
function portOf(host: string): string {
  const m = /:(\d*)$/.exec(host)
  if (!m) return ''
  return host.startsWith('[') && !/\]:\d*$/.test(host) ? '' : m[1]!
}

/** containerd's docker.DefaultHost: Docker Hub's API host for docker.io. */
export function defaultHost(host: string): string {
  return host === 'docker.io' ? 'registry-1.docker.io' : host
}

/** The endpoint as k3s writes it, or why k3s ignores it (it logs "Ignoring invalid endpoint URL" and drops it). */
export function normalizeK3sEndpoint(endpoint: string): K3sEndpoint | {error: string} {
  if (/[\x00-\x1f\x7f]/.test(endpoint)) return {error: 'a control character in the URL'}
  let scheme = ''
  let rest: string
  if (endpoint.includes('://')) {
    const m = SCHEME.exec(endpoint)
    if (!m) return {error: 'the text before "://" is not a URL scheme'}
    scheme = m[1]!.toLowerCase()
    rest = endpoint.slice(m[0].length)
  } else rest = endpoint
  rest = rest.replace(/[?#].*$/s, '')
  const slash = rest.indexOf('/')
  let authority = slash === -1 ? rest : rest.slice(0, slash)
  const path = slash === -1 ? '' : rest.slice(slash)
  authority = authority.slice(authority.lastIndexOf('@') + 1)
  if (authority === '') return {error: 'no host'}
  if (/[\s"<>\\^`{|}]/.test(authority)) return {error: `invalid character in host "${authority}"`}
  // Go's url.Parse: what follows the last ":" (after "]" for an IPv6 literal) must be digits.
  const v6 = authority.startsWith('[')
  const afterHost = v6 ? authority.slice(authority.lastIndexOf(']') + 1) : authority.includes(':') ? authority.slice(authority.lastIndexOf(':')) : ''
  if ((v6 && !authority.includes(']')) || (afterHost !== '' && !/^:\d*$/.test(afterHost))) return {error: `invalid port in "${authority}"`}
  const port = portOf(authority)
  if (!scheme) scheme = isLocalhost(authority) && port !== '' && port !== '443' ? 'http' : 'https'
  const host = defaultHost(authority)
  const registry = host === 'registry-1.docker.io' ? 'docker.io' : authority
  const plain = path === '' || path === '/' || path === '/v2'
  const finalPath = plain ? '/v2' : path
  return {registry, scheme, host, path: finalPath, overridePath: !plain, url: `${scheme}://${host}${finalPath}`}
}

/** Which mirror an endpoint is, as k3s reads it: host[:port] and path, scheme ignored (the text itself when k3s cannot read it). */
export function endpointIdentity(endpoint: string): string {
  const n = normalizeK3sEndpoint(endpoint)
  return 'error' in n ? endpoint : `${n.host.toLowerCase()}${n.path}`
}

/**
 * The endpoint path for a MIRROR's namespace: below /v2 (k3s keeps any other path as the API
 * root), unless the path already starts with v2, which a URL such as https://harbor/v2/proxy
 * gives as the API root itself.
 */
export function namespacePath(namespace: string): string {
  if (!namespace) return ''
  return namespace === 'v2' || namespace.startsWith('v2/') ? `/${namespace}` : `/v2/${namespace}`
}

/**
 * Whether a registries.yaml endpoint is the mirror a MIRROR argument names (host[:port][/namespace]).
 * A namespace is written as /v2/<namespace> (see plan.ts); a bare /<namespace> also matches, so
 * that an endpoint written that way can still be removed.
 */
export function endpointIsMirror(endpoint: string, host: string, namespace: string): boolean {
  const id = endpointIdentity(endpoint)
  if (!namespace) return id === endpointIdentity(host)
  return id === endpointIdentity(`${host}${namespacePath(namespace)}`) || id === endpointIdentity(`${host}/${namespace}`)
}
