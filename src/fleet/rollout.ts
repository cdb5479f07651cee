import {UserError} from '../core/errors.js'
import type {FleetReport, HostResult, HostStatus} from './report.js'

/** How many failed hosts a rollout tolerates: a count, or a share of all hosts. */
export type MaxFail = {count: number} | {percent: number}

export interface RolloutPolicy {
  /** Hosts per batch; null: one batch of every host (the pool's concurrency still applies). */
  serial: number | null
  /** A first batch of one host. */
  canary: boolean
  /** null: no limit, unless --serial or --canary-host ask for batches (then 0). */
  maxFail: MaxFail | null
}

/** Parses --max-fail: "N" (hosts) or "P%" (of all hosts). */
export function parseMaxFail(text: string): MaxFail {
  const m = /^(\d{1,9})(%?)$/.exec(text.trim())
  if (!m) throw new UserError(`--max-fail ${JSON.stringify(text)} is neither a count nor a percentage`, {hint: 'give a number of hosts (--max-fail 2) or a share of them (--max-fail 10%)'})
  const n = Number(m[1])
  if (!m[2]) return {count: n}
  if (n > 100) throw new UserError(`--max-fail ${text} is more than 100%`, {hint: 'give a percentage from 0% to 100%'})
  return {percent: n}
}

/**
 * Failed hosts tolerated before no new host is started. As Ansible's max_fail_percentage,
 * the rollout stops when failures exceed the share (10% of 25 hosts tolerates 2).
 * Batches without --max-fail tolerate none: the next batch starts only after a clean one.
 */
export function failuresAllowed(policy: RolloutPolicy, total: number): number {
  const m = policy.maxFail
  if (!m) return policy.serial !== null || policy.canary ? 0 : Infinity
  return 'count' in m ? m.count : Math.floor((total * m.percent) / 100)
}

/** The batches' sizes in order: the canary's one host first, then --serial hosts at a time. */
export function batchSizes(total: number, policy: RolloutPolicy): number[] {
  const sizes: number[] = []
  let left = total
  if (policy.canary && left > 0) {
    sizes.push(1)
    left--
  }
  const step = policy.serial ?? left
  while (left > 0) {
    const n = Math.min(step, left)
    sizes.push(n)
    left -= n
  }
  return sizes
}

export function splitBatches<T>(items: readonly T[], policy: RolloutPolicy): T[][] {
  let at = 0
  return batchSizes(items.length, policy).map((n) => items.slice(at, (at += n)))
}

/**
 * Counts failures as hosts finish and answers, before a host starts, whether it may: once
 * failures exceed the allowance, every host not yet started is skipped with the reason.
 */
export class RolloutGate {
  private failed = 0
  private readonly settled = new Set<string>()
  readonly allowed: number

  constructor(
    readonly policy: RolloutPolicy,
    total: number,
  ) {
    this.allowed = failuresAllowed(policy, total)
  }

  /** null when the host may start; otherwise why it is skipped. */
  admit(): string | null {
    if (this.failed <= this.allowed) return null
    return `not attempted: the rollout stopped after ${this.failed} failed host${this.failed === 1 ? '' : 's'} (--max-fail ${this.describeLimit()})`
  }

  /** Records a host's end once (a timeout and the task's own end may both report it). */
  settle(host: string, failed: boolean): void {
    if (this.settled.has(host)) return
    this.settled.add(host)
    if (failed) this.failed++
  }

  private describeLimit(): string {
    const m = this.policy.maxFail
    return !m ? '0, the default with --serial or --canary-host' : 'count' in m ? String(m.count) : `${m.percent}%`
  }
}

export type RolloutStatus = HostStatus | 'skipped'

export type RolloutHostResult = Omit<HostResult, 'status'> & {status: RolloutStatus}

export interface RolloutReport {
  hosts: RolloutHostResult[]
  summary: Record<RolloutStatus, number>
}

/** The fleet report with the hosts a stopped rollout never started named as "skipped". */
export function rolloutReport(report: FleetReport, skipped: ReadonlyMap<string, string>): RolloutReport {
  const summary = {changed: 0, unchanged: 0, failed: 0, 'rolled-back': 0, skipped: 0}
  const hosts = report.hosts.map((h): RolloutHostResult => {
    const why = skipped.get(h.host)
    return why === undefined ? h : {...h, status: 'skipped', reason: why, diff: '', files: []}
  })
  for (const h of hosts) summary[h.status]++
  return {hosts, summary}
}

/** The report's attempted hosts only, as the summary table renders them. */
export function attemptedReport(report: RolloutReport): FleetReport {
  const hosts = report.hosts.filter((h): h is HostResult => h.status !== 'skipped')
  const {skipped: _skipped, ...summary} = report.summary
  return {hosts, summary}
}

/** Lines naming the hosts not attempted, for below the summary table. */
export function renderSkipped(report: RolloutReport): string {
  const skipped = report.hosts.filter((h) => h.status === 'skipped')
  if (!skipped.length) return ''
  return [`${skipped.length} host${skipped.length === 1 ? '' : 's'} skipped, ${skipped[0]!.reason}:`, ...skipped.map((h) => `  ${h.host}`)].join('\n')
}

/** Host name -> why it was not attempted, for the hosts a stopped rollout skipped. */
export function skippedHosts(planned: readonly {session: {name: string}; skipped?: string}[]): Map<string, string> {
  return new Map(planned.flatMap((p) => (p.skipped === undefined ? [] : [[p.session.name, p.skipped] as const])))
}

/** The gate for one apply pass, or none when no rollout flag was given (all hosts, no limit). */
export function rolloutGate(flags: {serial?: number | undefined; 'max-fail'?: string | undefined; 'canary-host'?: boolean | undefined}, total: number): RolloutGate | undefined {
  const policy: RolloutPolicy = {serial: flags.serial ?? null, canary: flags['canary-host'] === true, maxFail: flags['max-fail'] === undefined ? null : parseMaxFail(flags['max-fail'])}
  if (policy.serial === null && !policy.canary && !policy.maxFail) return undefined
  return new RolloutGate(policy, total)
}
