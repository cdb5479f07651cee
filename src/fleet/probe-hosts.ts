import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import type {Host} from '../hosts/host.js'
import type {ProbeAnswer, ProbeRequest} from '../hosts/probe-script.js'
import {eachHost} from './each-host.js'
import type {FleetFlags} from './setup.js'

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
  const {results, warnings} = await eachHost({...flags, timeout: flags['host-timeout']}, async (session, signal, progress) => {
    progress.phase(session.name, 'gathering')
    const planned = await session.plan(plan, signal)
    const prober = session.prober?.() ?? null
    if (!prober) throw new Error('this host cannot run requests')
    progress.phase(session.name, 'verifying')
    const judged = planned.judge(await prober.run(planned.requests))
    progress.finish(session.name, judged.ok ? 'ok' : 'failed', judged.detail)
    return judged
  })
  for (const w of warnings) note(w)
  return results.map((r) => (r.ok ? {host: r.host, ...r.value} : {host: r.host, ok: false, detail: r.reason, value: null}))
}
