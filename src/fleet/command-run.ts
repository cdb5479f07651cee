import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import type {Spec} from '../policy/spec.js'
import {styles, shouldColor} from '../core/color.js'
import {loadSpec, openSessions, type FleetFlags} from './setup.js'
import type {PostWriteStep} from './post-write.js'
import {Progress} from './progress.js'
import {fleetReport, renderDiffs, renderSummary, type FleetReport} from './report.js'
import {specIntent, type HostIntent} from './plan-host.js'
import {rolloutGate, rolloutReport, skippedHosts, type RolloutReport} from './rollout.js'
import {applyPlanned, runFleet, type FleetRunOptions, type PlannedHost} from './run-fleet.js'
import type {HostSession} from './session.js'

export interface FleetCommandFlags extends FleetFlags {
  concurrency: number
  json?: boolean | undefined
}

/** apply's flags that shape the run: confirmation, rollout, reload. */
export interface ApplyRunFlags {
  yes: boolean
  serial?: number | undefined
  'max-fail'?: string | undefined
  'canary-host'?: boolean | undefined
  reload: boolean
  'allow-restart': boolean
}

/** What plan and apply share: the spec, the sessions, the pool options, Ctrl-C. */
export class FleetRun {
  private readonly controller = new AbortController()
  private readonly onSigint = () => this.controller.abort()

  private constructor(
    /** The spec file's content; null when the run was opened for a given intent. */
    readonly spec: Spec | null,
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
    const spec = intent ? null : await loadSpec(flags.spec!, flags['ca-file'])
    const what = intent ?? specIntent(spec!)
    const {sessions, warnings, close} = await openSessions(flags)
    return new FleetRun(spec, what, wrap ? sessions.map(wrap) : sessions, warnings, flags, close)
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

  /**
   * apply: plan and write in one pass with --yes; otherwise plan, show it on stderr, ask, and
   * write the plans made (only the writing pass is gated by the rollout's batches and
   * failure limit). `checks` run on each written host; a failure rolls it back.
   */
  async apply(flags: ApplyRunFlags, checks: PostWriteStep[] = []): Promise<RolloutReport> {
    const pass = async (run: (options: FleetRunOptions) => Promise<PlannedHost[]>, rollout: boolean): Promise<PlannedHost[]> => {
      const base = this.options()
      const options: FleetRunOptions = {...base, ...(flags.reload ? {reload: {allowRestart: flags['allow-restart']}} : {}), ...(checks.length ? {checks} : {})}
      const gate = rollout ? rolloutGate(flags, this.sessions.length) : undefined
      const out = await run(gate ? {...options, rollout: gate} : options)
      options.progress.end()
      return out
    }
    let planned = await pass((o) => runFleet(this.sessions, this.intent, flags.yes, o), flags.yes)
    if (!flags.yes) {
      const pending = planned.filter((p) => p.result.status === 'changed').length
      process.stderr.write(renderReport(reportOf(planned), 'plan', true) + '\n')
      if (pending) {
        const {confirm} = await import('@inquirer/prompts')
        const ok = await confirm({message: `Apply these changes to ${pending} host${pending === 1 ? '' : 's'}?`, default: false}, {output: process.stderr})
        if (!ok) throw new UserError('nothing was written: not confirmed', {hint: 'run it again with --yes to apply without asking'})
        const plannedOnce = planned
        planned = await pass((o) => applyPlanned(plannedOnce, o), true)
      }
    }
    return rolloutReport(reportOf(planned), skippedHosts(planned))
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
