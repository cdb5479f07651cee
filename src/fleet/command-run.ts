import {ExitCode} from '../core/exit-codes.js'
import {styles, shouldColor} from '../ui/color.js'
import {loadSpec, openSessions, type FleetFlags} from './setup.js'
import {Progress} from './progress.js'
import {fleetReport, renderDiffs, renderSummary, type FleetReport} from './report.js'
import {specIntent, type HostIntent} from './plan-host.js'
import {applyPlanned, runFleet, type FleetRunOptions, type PlannedHost} from './run-fleet.js'
import type {HostSession} from './session.js'

export interface FleetCommandFlags extends FleetFlags {
  concurrency: number
  json?: boolean | undefined
}

/** What plan and apply share: the spec, the sessions, the pool options, Ctrl-C. */
export class FleetRun {
  private readonly controller = new AbortController()
  private readonly onSigint = () => this.controller.abort()

  private constructor(
    readonly intent: HostIntent,
    readonly sessions: HostSession[],
    readonly warnings: string[],
    private readonly flags: FleetCommandFlags,
    private readonly closeSessions: () => Promise<void>,
  ) {
    process.once('SIGINT', this.onSigint)
  }

  /** Opens the run for a spec file (validated before any host is contacted) or a given intent. */
  static async open(flags: FleetCommandFlags & {spec?: string; 'ca-file'?: string | undefined}, intent?: HostIntent, wrap?: (session: HostSession) => HostSession): Promise<FleetRun> {
    const what = intent ?? specIntent(await loadSpec(flags.spec!, flags['ca-file']))
    const {sessions, warnings, close} = await openSessions(flags)
    return new FleetRun(what, wrap ? sessions.map(wrap) : sessions, warnings, flags, close)
  }

  /** Progress lines only over SSH; the local run prints its result alone. */
  options(): FleetRunOptions {
    const remote = this.flags.hosts !== undefined || this.flags.inventory !== undefined
    return {
      concurrency: this.flags.concurrency,
      timeoutMs: remote ? this.flags.timeout * 1000 : null,
      progress: new Progress(process.stderr, process.env, this.sessions.length, remote),
      signal: this.controller.signal,
    }
  }

  async run(apply: boolean): Promise<PlannedHost[]> {
    const options = this.options()
    const out = await runFleet(this.sessions, this.intent, apply, options)
    options.progress.end()
    return out
  }

  async applyPlanned(planned: PlannedHost[]): Promise<PlannedHost[]> {
    const options = this.options()
    const out = await applyPlanned(planned, options)
    options.progress.end()
    return out
  }

  async close(): Promise<void> {
    process.removeListener('SIGINT', this.onSigint)
    await Promise.all(this.sessions.map((s) => s.close().catch(() => undefined)))
    await this.closeSessions().catch(() => undefined)
  }
}

export function reportOf(planned: readonly PlannedHost[]): FleetReport {
  return fleetReport(planned.map((p) => p.result))
}

export function renderReport(report: FleetReport, mode: 'plan' | 'apply', diffs: boolean): string {
  const s = styles(shouldColor(process.stdout, process.env))
  const parts = [diffs ? renderDiffs(report, s) : '', renderSummary(report, s, mode)].filter(Boolean)
  return parts.join('\n\n')
}

export function exitCodeOf(report: FleetReport, detailed: boolean): ExitCode {
  if (report.summary.failed || report.summary['rolled-back']) return ExitCode.Findings
  return detailed && report.summary.changed ? ExitCode.Usage : ExitCode.Ok
}
