// The registry's own request log with Distribution's nanosecond timestamps ("response
// completed" lines), so a test can place each request inside the time window of the
// client that made it.
import type {Registry} from './registry.js'

export interface TimedRequest {
  /** Milliseconds since the epoch (Distribution logs nanoseconds; ms is what JS dates hold). */
  at: number
  method: string
  uri: string
  status: number
  userAgent: string
}

const FIELD = (name: string) => new RegExp(`${name.replace(/\./g, '\\.')}=("(?:[^"\\\\]|\\\\.)*"|\\S+)`)

function field(line: string, name: string): string | null {
  const m = FIELD(name).exec(line)
  if (!m) return null
  const v = m[1]!
  return v.startsWith('"') ? (JSON.parse(v) as string) : v
}

/** Every request the registry answered, in log order. */
export function timedRequests(reg: Pick<Registry, 'readLog'>): TimedRequest[] {
  const out: TimedRequest[] = []
  for (const line of reg.readLog().split('\n')) {
    if (!/msg="response completed/.test(line)) continue
    const time = field(line, 'time')
    const method = field(line, 'http.request.method')
    const uri = field(line, 'http.request.uri')
    const status = field(line, 'http.response.status')
    if (!time || !method || !uri || !status) continue
    out.push({at: Date.parse(time), method, uri, status: Number(status), userAgent: field(line, 'http.request.useragent') ?? ''})
  }
  return out
}
