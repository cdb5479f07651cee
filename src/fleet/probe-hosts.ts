import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import type {Host} from '../hosts/host.js'
import type {ProbeAnswer, ProbeRequest} from '../hosts/probe-script.js'
import {runPool} from './pool.js'
import {Progress} from './progress.js'
import {reasonOf} from './run-fleet.js'
import {openSessions, type FleetFlags} from './setup.js'

/** check's and ratelimit's target flags: targetFlags with the per-host limit as --host-timeout (--timeout is per request). */
export interface ProbeTargetFlags extends Omit<FleetFlags, 'timeout'> {
  concurrency: number
  'host-timeout': number
}

/** What a command asks one host: its requests (planned on the host's files) and how to read the answers. */
export interface HostProbePlan<T> {
  requests: ProbeRequest[]
  judge(answers: readonly ProbeAnswer[]): {ok: boolean; detail: string; value: T}
}

export interface HostProbeResult<T> {
  host: string
  ok: boolean
  /** One line: what was found, or why the host failed. */
  detail: string
  /** null when the host failed before its answers were read. */
  value: T | null
}

/** Whether the target flags ask for hosts (otherwise the command acts on this machine). */
export function wantsHosts(flags: {hosts?: string | undefined; inventory?: string | undefined}): boolean {
  return flags.hosts !== undefined || flags.inventory !== undefined
}

/** A flag that only means something on this machine, given with --hosts/--inventory: a usage error. */
export function localOnly(flag: string, why: string): UserError {
  return new UserError(`--${flag} cannot be used with --hosts or --inventory: ${why}`, {exitCode: ExitCode.Usage, hint: `run it without --${flag}, or without the target flags on the host itself`})
}

/**
 * Per host, pooled: gather its files in one round trip and plan the requests on them, then
 * send all requests in one more (PROBE_SCRIPT, the host's own curl). Progress per host on
 * stderr; a host's failure, timeout or Ctrl-C is its own.
 */
export async function probeHosts<T>(flags: ProbeTargetFlags, plan: (host: Host) => Promise<HostProbePlan<T>>, note: (text: string) => void): Promise<HostProbeResult<T>[]> {
  const {sessions, warnings, close} = await openSessions({...flags, timeout: flags['host-timeout']})
  for (const w of warnings) note(w)
  const controller = new AbortController()
  const onSigint = () => controller.abort()
  process.once('SIGINT', onSigint)
  const progress = new Progress(process.stderr, process.env, sessions.length, true)
  try {
    const settled = await runPool(
      sessions,
      async (session, signal) => {
        progress.phase(session.name, 'gathering')
        const planned = await session.plan(plan, signal)
        const prober = session.prober?.() ?? null
        if (!prober) throw new Error('this host cannot run requests')
        progress.phase(session.name, 'verifying')
        const judged = planned.judge(await prober.run(planned.requests))
        progress.finish(session.name, judged.ok ? 'ok' : 'failed', judged.detail)
        return judged
      },
      {concurrency: flags.concurrency, timeoutMs: flags['host-timeout'] * 1000, signal: controller.signal},
    )
    return settled.map((s, i) => {
      const host = sessions[i]!.name
      if (s.ok) return {host, ...s.value}
      const detail = reasonOf(s.error)
      progress.finish(host, 'failed', detail)
      return {host, ok: false, detail, value: null}
    })
  } finally {
    progress.end()
    process.removeListener('SIGINT', onSigint)
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)))
    await close().catch(() => undefined)
  }
}
