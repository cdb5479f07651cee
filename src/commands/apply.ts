import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {UserError} from '../core/errors.js'
import {caFlags, canaryFlags, reloadFlags, rolloutFlags, specFlags, verifyFlags} from '../fleet/flags.js'
import {canaryMirrors, canaryStep, parseCanaryImage} from '../fleet/canary.js'
import {exitCodeOf, FleetRun, renderReport} from '../fleet/command-run.js'
import {attemptedReport, parseMaxFail, renderSkipped} from '../fleet/rollout.js'
import {verifyChecks} from '../fleet/verify.js'

export default class Apply extends BaseCommand {
  static override summary = 'Converge each host to the spec: plan, then one safe write per host.'
  static override description =
    'Plans like `plan`, then on each host takes the lock (/run/lock/mirrorctl.lock), refuses files that changed since they were read, keeps a backup (/var/lib/mirrorctl/backups, the last 5 per file), writes atomically keeping owner and mode, and re-reads what it wrote. A host that fails does not stop the others; exit 1 when any host failed. Without --yes it shows the plan and asks in a terminal. Without --hosts or --inventory it acts on this machine (or the --root tree) with the same code.'
  static override flags = {
    ...specFlags,
    ...rolloutFlags,
    ...reloadFlags,
    ...verifyFlags,
    ...canaryFlags,
    ...caFlags,
    yes: Flags.boolean({char: 'y', description: 'apply without asking'}),
  }
  static override examples = [
    '<%= config.bin %> apply --spec mirrors.toml --yes',
    '<%= config.bin %> apply --spec mirrors.toml --inventory hosts.yaml --limit "runners:!runner03" --yes',
    '<%= config.bin %> apply --spec mirrors.toml --hosts node1,node2 --user admin --become --yes --json',
    '<%= config.bin %> apply --spec mirrors.toml --hosts node1,node2 --reload --yes',
    '<%= config.bin %> apply --spec mirrors.toml --inventory hosts.ini --reload --verify --yes',
    '<%= config.bin %> apply --spec mirrors.toml --inventory hosts.ini --canary-host --serial 10 --max-fail 5% --yes',
    '<%= config.bin %> apply --spec mirrors.toml --inventory hosts.ini --canary docker.io/library/busybox:latest --serial 5 --max-fail 0 --yes',
  ]

  async run(): Promise<void> {
    const {flags} = await this.parse(Apply)
    if (!flags.yes && !(process.stdin.isTTY && process.stderr.isTTY))
      throw new UserError('apply asks before it writes, and there is no terminal to ask in', {hint: 'run it with --yes (see the changes first with mirrorctl plan)'})
    // A bad --max-fail is a usage error before any host is contacted.
    if (flags['max-fail'] !== undefined) parseMaxFail(flags['max-fail'])
    const canaryImage = flags.canary === undefined ? null : parseCanaryImage(flags.canary)
    const fleet = await FleetRun.open(flags)
    try {
      for (const w of fleet.warnings) this.note(w)
      // Verification first: a canary pull means little from a host whose mirror does not answer.
      const checks = [...verifyChecks(flags), ...(canaryImage ? [canaryStep(canaryImage, canaryMirrors(fleet.spec!))] : [])]
      const report = await fleet.apply(flags, checks)
      if (flags.json) this.printJson(report)
      else this.print([renderReport(attemptedReport(report), 'apply', flags.yes), renderSkipped(report)].filter(Boolean).join('\n'))
      this.setExit(exitCodeOf(attemptedReport(report), false))
    } finally {
      await fleet.close()
    }
  }
}
