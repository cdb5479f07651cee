/**
 * A small, explicit HTTP client that takes the route a Go program would take: direct, or
 * through an http(s):// forward proxy (CONNECT tunnel for https targets, absolute-URI
 * requests for http targets). Node's fetch ignores proxy variables, so probes that must
 * agree with dockerd or podman cannot use it.
 *
 * Each phase (name lookup, TCP connect, tunnel, TLS, request) is its own function so the
 * probe can time and explain them one by one; httpRequest() chains them for simple calls.
 * Nothing here ever puts header values (credentials, tokens) into an error message.
 */

import {lookup} from 'node:dns/promises'
import http from 'node:http'
import net from 'node:net'
import tls from 'node:tls'

export type NetPhase = 'dns' | 'tcp' | 'proxy' | 'tls' | 'http'

/** A network failure with a stable code (ENOTFOUND, ECONNREFUSED, ETIMEDOUT, a TLS code, ...). */
export class NetError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly phase: NetPhase,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'NetError'
  }
}

/** A code for any thrown value, for explanations. */
export function errorCode(error: unknown): string {
  const code = (error as {code?: unknown} | undefined)?.code
  return typeof code === 'string' ? code : 'EUNKNOWN'
}

export interface Endpoint {
  /** Host name or IP literal, without IPv6 brackets. */
  host: string
  port: number
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = {'http:': 80, 'https:': 443}

/** host and port of a URL, the default port filled in. */
export function endpointOf(url: URL): Endpoint {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  return {host, port: url.port ? Number(url.port) : (DEFAULT_PORTS[url.protocol] ?? 0)}
}

/** "host:port" with IPv6 brackets, as CONNECT and Host headers want it. */
export function formatEndpoint(ep: Endpoint): string {
  return `${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`
}

/** Races a promise against a timer; onTimeout releases whatever the promise holds. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string, phase: NetPhase, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.()
      reject(new NetError(`${what} timed out after ${ms / 1000} s`, 'ETIMEDOUT', phase))
    }, ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Every address of host from getaddrinfo (/etc/hosts, then DNS), in its order; IP literals
 * pass through. Go's dialer tries them in turn, so "localhost" works with a registry on
 * 127.0.0.1 even when ::1 comes first.
 */
export async function resolveHost(host: string, timeoutMs: number): Promise<string[]> {
  if (net.isIP(host)) return [host]
  try {
    const found = await withTimeout(lookup(host, {all: true}), timeoutMs, `looking up ${host}`, 'dns')
    return [...new Set(found.map((a) => a.address))]
  } catch (error) {
    if (error instanceof NetError) throw error
    const code = errorCode(error)
    throw new NetError(`cannot resolve ${host} (${code})`, code, 'dns')
  }
}

export function connectTcp(address: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const socket = net.connect({host: address, port})
  const connected = new Promise<net.Socket>((resolve, reject) => {
    socket.once('connect', () => {
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (error) => reject(new NetError(`cannot connect to ${formatEndpoint({host: address, port})} (${errorCode(error)})`, errorCode(error), 'tcp')))
  })
  return withTimeout(connected, timeoutMs, `connecting to ${formatEndpoint({host: address, port})}`, 'tcp', () => socket.destroy())
}

/** Connect to the first address that accepts, as Go's dialer walks the list; the last error otherwise. */
export async function connectAny(addresses: readonly string[], port: number, timeoutMs: number): Promise<{socket: net.Socket; address: string; refused: string[]}> {
  const refused: string[] = []
  let last: unknown = new NetError('no address to connect to', 'ENOTFOUND', 'tcp')
  for (const address of addresses) {
    try {
      return {socket: await connectTcp(address, port, timeoutMs), address, refused}
    } catch (error) {
      last = error
      refused.push(`${address}: ${errorCode(error)}`)
    }
  }
  throw last
}

/** "Basic ..." from the user info of a proxy URL, as Go sends it; undefined without user info. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined
  const user = decodeURIComponent(proxy.username)
  const pass = decodeURIComponent(proxy.password)
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
}

const MAX_HEAD = 16 * 1024

/**
 * Ask an HTTP proxy for a tunnel to target (CONNECT host:port). Resolves once the proxy
 * answers 2xx; any other answer is a NetError with the status (403 ACL, 407 auth, 502 the
 * proxy could not reach the target).
 */
export function openTunnel(socket: net.Socket, proxy: URL, target: Endpoint, timeoutMs: number): Promise<void> {
  const authority = formatEndpoint(target)
  const auth = proxyAuthorization(proxy)
  const head = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`, ...(auth ? [`Proxy-Authorization: ${auth}`] : []), '', ''].join('\r\n')
  const answered = new Promise<void>((resolve, reject) => {
    let buffer = Buffer.alloc(0)
    const cleanup = (): void => {
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('end', onEnd)
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(new NetError(`the proxy connection failed during CONNECT ${authority} (${errorCode(error)})`, errorCode(error), 'proxy'))
    }
    const onEnd = (): void => {
      cleanup()
      reject(new NetError(`the proxy closed the connection without answering CONNECT ${authority}`, 'ECONNRESET', 'proxy'))
    }
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk])
      const end = buffer.indexOf('\r\n\r\n')
      if (end < 0) {
        if (buffer.length > MAX_HEAD) onError(Object.assign(new Error('answer too long'), {code: 'EPROTO'}))
        return
      }
      cleanup()
      socket.pause()
      const rest = buffer.subarray(end + 4)
      if (rest.length) socket.unshift(rest)
      const statusLine = buffer.subarray(0, buffer.indexOf('\r\n')).toString('latin1')
      const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\s*(.*)$/.exec(statusLine)
      if (!m) {
        reject(new NetError(`the proxy sent a malformed answer to CONNECT ${authority}`, 'EPROTO', 'proxy'))
        return
      }
      const status = Number(m[1])
      if (status >= 200 && status < 300) resolve()
      else reject(new NetError(`the proxy answered CONNECT ${authority} with ${status}${m[2] ? ` ${m[2]}` : ''}`, `PROXY_${status}`, 'proxy', status))
    }
    socket.on('data', onData)
    socket.on('error', onError)
    socket.on('end', onEnd)
    socket.write(head)
  })
  return withTimeout(answered, timeoutMs, `CONNECT ${authority} through the proxy`, 'proxy', () => socket.destroy())
}

export interface TlsOptions {
  /** Host name or IP the certificate must be for; sent as SNI unless it is an IP literal. */
  host: string
  /** Trusted CAs (PEM); undefined means Node's bundled roots. */
  ca?: string[] | undefined
  timeoutMs: number
}

/**
 * TLS handshake over socket without rejecting bad certificates, so the caller can see what is
 * wrong with them (tlsFacts) and decide, as an insecure registry would, to go on anyway.
 */
export function startTls(socket: net.Socket, options: TlsOptions): Promise<tls.TLSSocket> {
  const secure = tls.connect({
    socket,
    // host is what Node's own identity check compares against (it defaults to "localhost").
    host: options.host,
    ...(net.isIP(options.host) ? {} : {servername: options.host}),
    ...(options.ca ? {ca: options.ca} : {}),
    rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1'],
  })
  const done = new Promise<tls.TLSSocket>((resolve, reject) => {
    secure.once('secureConnect', () => {
      secure.removeAllListeners('error')
      resolve(secure)
    })
    secure.once('error', (error) => {
      const code = errorCode(error)
      // OpenSSL messages carry file names and addresses; its reason phrase is what helps.
      const reason = /SSL routines:[^:]*:([^:]+)/.exec(error.message)?.[1] ?? error.message.split('\n')[0]
      reject(new NetError(`${reason} (${code})`, code, 'tls'))
    })
  })
  return withTimeout(done, options.timeoutMs, `TLS handshake with ${options.host}`, 'tls', () => secure.destroy())
}

export interface TlsFacts {
  protocol: string | null
  /** The chain verifies against the trusted CAs. */
  chainOk: boolean
  /** OpenSSL's verdict on the chain, e.g. CERT_HAS_EXPIRED or UNABLE_TO_VERIFY_LEAF_SIGNATURE. */
  chainError: string | null
  /** Why the certificate is not for host, or null when it is. */
  hostnameError: string | null
  subject: string | null
  issuer: string | null
  /** subjectAltName as Node renders it ("DNS:a, IP Address:127.0.0.1"). */
  altNames: string | null
  validTo: Date | null
  daysLeft: number | null
}

function firstValue(v: string | string[] | undefined): string | null {
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null)
}

/** What a finished handshake says about the server's certificate. */
export function tlsFacts(socket: tls.TLSSocket, host: string, now = Date.now()): TlsFacts {
  const cert = socket.getPeerCertificate()
  const has = cert && Object.keys(cert).length > 0
  const authError = socket.authorizationError as unknown
  let chainError = socket.authorized ? null : authError instanceof Error ? ((authError as NodeJS.ErrnoException).code ?? authError.message) : authError ? String(authError) : 'no certificate'
  // Node checks the name only after the chain verified; the name is judged separately below.
  if (chainError === 'ERR_TLS_CERT_ALTNAME_INVALID') chainError = null
  let hostnameError: string | null = null
  if (has) {
    const mismatch = tls.checkServerIdentity(host, cert)
    if (mismatch) hostnameError = mismatch.message
  }
  const validTo = has && cert.valid_to ? new Date(cert.valid_to) : null
  const daysLeft = validTo && !Number.isNaN(validTo.getTime()) ? Math.floor((validTo.getTime() - now) / 86_400_000) : null
  return {
    protocol: socket.getProtocol(),
    chainOk: chainError === null,
    chainError,
    hostnameError,
    subject: has ? firstValue(cert.subject?.CN) : null,
    issuer: has ? firstValue(cert.issuer?.CN ?? cert.issuer?.O) : null,
    altNames: has ? (cert.subjectaltname ?? null) : null,
    validTo,
    daysLeft,
  }
}

export interface HttpResponse {
  status: number
  statusText: string
  /** Lower-cased names; repeated headers joined with ", " (set-cookie excluded). */
  headers: Record<string, string>
  /** At most maxBodyBytes of the body, as UTF-8. */
  body: string
}

export interface SendOptions {
  method: string
  url: URL
  headers?: Record<string, string>
  /** The socket leads to an HTTP proxy: send the absolute URI and proxy credentials. */
  viaProxy?: URL | null
  timeoutMs: number
  maxBodyBytes?: number
}

/** One request over an already connected socket (plain, TLS or tunnelled); closes it afterwards. */
export function sendRequest(socket: net.Socket, options: SendOptions): Promise<HttpResponse> {
  // A socket paused after a CONNECT tunnel must flow again; the server is silent until we ask.
  if (socket.isPaused()) socket.resume()
  const {url, viaProxy} = options
  const headers: Record<string, string> = {'User-Agent': 'mirrorctl', ...options.headers, Host: url.host, Connection: 'close'}
  const auth = viaProxy ? proxyAuthorization(viaProxy) : undefined
  if (auth) headers['Proxy-Authorization'] = auth
  const max = options.maxBodyBytes ?? 64 * 1024
  let request: http.ClientRequest | undefined
  const done = new Promise<HttpResponse>((resolve, reject) => {
    request = http.request({
      method: options.method,
      path: viaProxy ? url.href : `${url.pathname}${url.search}`,
      headers,
      setHost: false,
      createConnection: () => socket,
    })
    request.once('error', (error) => reject(new NetError(`${options.method} ${url.pathname} failed (${errorCode(error)}: ${error.message})`, errorCode(error), 'http')))
    request.once('response', (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        if (size < max) chunks.push(chunk.subarray(0, max - size))
        size += chunk.length
      })
      const finish = (): void => {
        const out: Record<string, string> = {}
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined || name === 'set-cookie') continue
          out[name] = Array.isArray(value) ? value.join(', ') : value
        }
        resolve({status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: out, body: Buffer.concat(chunks).toString('utf8')})
        socket.destroy()
      }
      res.once('end', finish)
      res.once('aborted', finish)
      res.once('error', (error) => reject(new NetError(`reading the answer to ${options.method} ${url.pathname} failed (${errorCode(error)})`, errorCode(error), 'http')))
    })
    request.end()
  })
  return withTimeout(done, options.timeoutMs, `${options.method} ${url.pathname}`, 'http', () => {
    request?.destroy()
    socket.destroy()
  })
}

export interface Connection {
  socket: net.Socket
  /** The proxy the socket leads to for an http:// target (absolute-URI requests), else null. */
  viaProxy: URL | null
}

export interface ConnectOptions {
  /** The proxy Go would use for this URL, or null for direct. */
  proxy: URL | null
  /** Trusted CAs for the target and an https:// proxy; undefined = Node's bundled roots. */
  ca?: string[] | undefined
  /** Reject certificates that do not verify (everything but insecure registries). */
  verify: boolean
  timeoutMs: number
}

/** Check a handshake's result as Go's default TLS config would. */
function requireValid(socket: tls.TLSSocket, host: string): void {
  const facts = tlsFacts(socket, host)
  const problem = facts.chainError ?? facts.hostnameError
  if (problem) {
    socket.destroy()
    throw new NetError(`certificate of ${host} does not verify (${problem})`, facts.chainError ?? 'ERR_TLS_CERT_ALTNAME_INVALID', 'tls')
  }
}

/** A connection to url's server along the given route, ready for sendRequest. */
export async function connect(url: URL, options: ConnectOptions): Promise<Connection> {
  const {proxy, timeoutMs} = options
  if (proxy && proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new NetError(`${proxy.protocol.replace(/:$/, '')} proxies are not supported by mirrorctl's probe (Go would use it)`, 'EPROXYSCHEME', 'proxy')
  }
  const first = proxy ? endpointOf(proxy) : endpointOf(url)
  let socket: net.Socket = (await connectAny(await resolveHost(first.host, timeoutMs), first.port, timeoutMs)).socket
  try {
    if (proxy?.protocol === 'https:') {
      const secure = await startTls(socket, {host: first.host, ca: options.ca, timeoutMs})
      requireValid(secure, first.host)
      socket = secure
    }
    if (proxy && url.protocol === 'https:') await openTunnel(socket, proxy, endpointOf(url), timeoutMs)
    if (url.protocol === 'https:') {
      const target = endpointOf(url)
      const secure = await startTls(socket, {host: target.host, ca: options.ca, timeoutMs})
      if (options.verify) requireValid(secure, target.host)
      socket = secure
    }
  } catch (error) {
    socket.destroy()
    throw error
  }
  return {socket, viaProxy: proxy && url.protocol === 'http:' ? proxy : null}
}

export interface RequestOptions extends ConnectOptions {
  method?: string
  headers?: Record<string, string>
  maxBodyBytes?: number
}

/** One request along a route: connect, send, read, close. */
export async function httpRequest(url: URL, options: RequestOptions): Promise<HttpResponse> {
  const {socket, viaProxy} = await connect(url, options)
  return sendRequest(socket, {
    method: options.method ?? 'GET',
    url,
    viaProxy,
    timeoutMs: options.timeoutMs,
    ...(options.headers ? {headers: options.headers} : {}),
    ...(options.maxBodyBytes !== undefined ? {maxBodyBytes: options.maxBodyBytes} : {}),
  })
}
