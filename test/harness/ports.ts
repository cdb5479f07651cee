// Free TCP ports on loopback. The OS picks one for a throw-away listener; the caller
// then hands the number to a daemon. Another process can grab it in between, so
// callers that start daemons retry on "address already in use".
import {createServer} from 'node:net'

/** Ports this process has handed out: the kernel may offer a just-closed port again. */
const handedOut = new Set<number>()

/**
 * A currently unused TCP port on `host` (a loopback address), never one this process handed
 * out before: two daemons started one after the other must not be given the same number.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = await unusedPort(host)
    if (!handedOut.has(port)) {
      handedOut.add(port)
      return port
    }
  }
  throw new Error('freePort: the kernel kept offering ports this process already uses')
}

async function unusedPort(host: string): Promise<number> {
  assertLoopback(host)
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen({host, port: 0, exclusive: true}, () => {
      const addr = server.address()
      if (addr === null || typeof addr === 'string') {
        server.close()
        reject(new Error('listener has no TCP address'))
        return
      }
      server.close(() => resolve(addr.port))
    })
  })
}

/** Daemons in the e2e suite may only ever listen on (and talk to) this machine. */
export function assertLoopback(host: string): void {
  if (host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return
  throw new Error(`e2e harness refuses non-loopback address ${JSON.stringify(host)}`)
}

/** "host:port" as registries.conf and URLs want it (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
