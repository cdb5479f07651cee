// Minimal GET over node:http(s) for readiness checks. fetch() cannot take a custom CA
// without undici internals, and readiness must also work for deliberately broken
// certificates (expired, wrong name), so TLS is checked only when a CA is given.
import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {readFileSync} from 'node:fs'

export interface ProbeResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface ProbeOptions {
  /** PEM file of a CA to verify the server against; without it TLS is not verified. */
  caFile?: string
  timeoutMs?: number
}

export function httpGet(url: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const u = new URL(url)
  const isHttps = u.protocol === 'https:'
  if (!isHttps && u.protocol !== 'http:') throw new Error(`unsupported URL ${url}`)
  const tls = isHttps
    ? opts.caFile
      ? {ca: readFileSync(opts.caFile)}
      : {rejectUnauthorized: false}
    : {}
  const send = isHttps ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(u, {method: 'GET', timeout: opts.timeoutMs ?? 3_000, agent: false, ...tls}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8')}),
      )
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)))
    req.on('error', reject)
    req.end()
  })
}
