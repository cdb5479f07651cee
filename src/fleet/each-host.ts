import {Progress} from './progress.js'
import {runPool} from './pool.js'
import {reasonOf} from './run-fleet.js'
import {openSessions, type FleetFlags} from './setup.js'
import type {HostSession} from './session.js'

export type EachHostResult<T> = {host: string; ok: true; value: T} | {host: string; ok: false; reason: string}

/**
 * The read-only per-host commands' loop (lint, check, ratelimit with target flags): open the
 * sessions, run `task` on each in the pool with per-host progress on stderr, and end every
 * session however the run ends. A host's failure, timeout or Ctrl-C is its own; the task
 * reports its host's finish line, a failure is reported here.
 */
export async function eachHost<T>(
  flags: FleetFlags & {concurrency: number},
  task: (session: HostSession, signal: AbortSignal, progress: Progress) => Promise<T>,
): Promise<{results: EachHostResult<T>[]; warnings: string[]}> {
  const {sessions, warnings, close} = await openSessions(flags)
  const controller = new AbortController()
  const onSigint = () => controller.abort()
  process.once('SIGINT', onSigint)
  const progress = new Progress(process.stderr, process.env, sessions.length, true)
  try {
    const settled = await runPool(sessions, (session, signal) => task(session, signal, progress), {concurrency: flags.concurrency, timeoutMs: flags.timeout * 1000, signal: controller.signal})
    const results = settled.map((s, i): EachHostResult<T> => {
      const host = sessions[i]!.name
      if (s.ok) return {host, ok: true, value: s.value}
      const reason = reasonOf(s.error)
      progress.finish(host, 'failed', reason)
      return {host, ok: false, reason}
    })
    return {results, warnings}
  } finally {
    progress.end()
    process.removeListener('SIGINT', onSigint)
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)))
    await close().catch(() => undefined)
  }
}
