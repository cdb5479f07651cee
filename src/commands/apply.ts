import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {UserError} from '../core/errors.js'
import {caFlags, reloadFlags, rolloutFlags, specFlags} from '../fleet/flags.js'
import {exitCodeOf, FleetRun, renderReport, reportOf} from '../fleet/command-run.js'
import {attemptedReport, parseMaxFail, renderSkipped, rolloutGate, rolloutReport, skippedHosts} from '../fleet/rollout.js'
import {applyPlanned, runFleet, type FleetRunOptions, type PlannedHost} from '../fleet/run-fleet.js'

export default class Apply extends BaseCommand {
  static override summary = 'Converge each host to the spec: plan, then one safe write per host.'
  static override description =
    'Plans like `plan`, then on each host takes the lock (/run/lock/mirrorctl.lock), refuses files that changed since they were read, keeps a backup (/var/lib/mirrorctl/backups, the last 5 per file), writes atomically keeping owner and mode, and re-reads what it wrote. A host that fails does not stop the others; exit 1 when any host failed. Without --yes it shows the plan and asks in a terminal. Without --hosts or --inventory it acts on this machine (or the --root tree) with the same code.'
  static override flags = {
    ...specFlags,
    ...rolloutFlags,
    ...reloadFlags,
    ...caFlags,
    yes: Flags.boolean({char: 'y', description: 'apply without asking'}),
  }
  static override examples = [
    '<%= config.bin %> apply --spec mirrors.toml --yes',
    '<%= config.bin %> apply --spec mirrors.toml --inventory hosts.yaml --limit "runners:!runner03" --yes',
    '<%= config.bin %> apply --spec mirrors.toml --hosts node1,node2 --user admin --become --yes --json',
    '<%= config.bin %> apply --spec mirrors.toml --hosts node1,node2 --reload --yes',
    '<%= config.bin %> apply --spec mirrors.toml --inventory hosts.ini --canary-host --serial 10 --max-fail 5% --yes',
  ]

  async run(): Promise<void> {
    const {flags} = await this.parse(Apply)
    if (!flags.yes && !(process.stdin.isTTY && process.stderr.isTTY))
      throw new UserError('apply asks before it writes, and there is no terminal to ask in', {hint: 'run it with --yes (see the changes first with mirrorctl plan)'})
    // A bad --max-fail is a usage error before any host is contacted.
    if (flags['max-fail'] !== undefined) parseMaxFail(flags['max-fail'])
    const fleet = await FleetRun.open(flags)
    // Planning alone reads; the rollout's batches and failure limit govern the writes.
    const pass = async (run: (options: FleetRunOptions) => Promise<PlannedHost[]>, rollout: boolean): Promise<PlannedHost[]> => {
      const base = fleet.options()
      const options = flags.reload ? {...base, reload: {allowRestart: flags['allow-restart']}} : base
      const gate = rollout ? rolloutGate(flags, fleet.sessions.length) : undefined
      const out = await run(gate ? {...options, rollout: gate} : options)
      options.progress.end()
      return out
    }
    try {
      for (const w of fleet.warnings) this.note(w)
      let planned = await pass((o) => runFleet(fleet.sessions, fleet.intent, flags.yes, o), flags.yes)
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
      const report = rolloutReport(reportOf(planned), skippedHosts(planned))
      if (flags.json) this.printJson(report)
      else this.print([renderReport(attemptedReport(report), 'apply', flags.yes), renderSkipped(report)].filter(Boolean).join('\n'))
      this.setExit(exitCodeOf(attemptedReport(report), false))
    } finally {
      await fleet.close()
    }
  }
}
