import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {exitCodeOf, FleetRun, renderReport, reportOf} from '../fleet/command-run.js'
import {reloadFlags, rootFlag, targetFlags, verifyFlags} from '../fleet/flags.js'
import {NO_INTENT, planRollback, ROLLBACK_BACKUPS} from '../fleet/rollback.js'
import {runPlanner, type FleetRunOptions} from '../fleet/run-fleet.js'
import {verifyChecks} from '../fleet/verify.js'

export default class Rollback extends BaseCommand {
  static override summary = 'Restore, on each host, the newest backup of every file mirrorctl changed.'
  static override description = `Reads the backups (/var/lib/mirrorctl/backups, or the login's state folder without root) in the same gather as plan, and writes each file's newest saved version back through the same locked, compared, atomic write as apply. What rollback replaces is saved under backups/${ROLLBACK_BACKUPS}, so running it twice changes nothing the second time. A file that apply created (none existed before) has no backup and stays. --reload reloads (with --allow-restart restarts) the engines whose files it restored; --verify then re-verifies from each host as apply --verify does, and a failure is reported as failed (the restored files stay). --dry-run prints the diffs and writes nothing. Without --hosts or --inventory it acts on this machine (or the --root tree).`
  static override flags = {
    ...targetFlags,
    ...rootFlag,
    ...reloadFlags,
    ...verifyFlags,
    'dry-run': Flags.boolean({description: 'show what would be restored, as unified diffs; write nothing'}),
  }
  static override examples = ['<%= config.bin %> rollback --inventory hosts.ini --limit runners --dry-run', '<%= config.bin %> rollback --hosts node1,node2 --become --json', '<%= config.bin %> rollback --inventory hosts.ini --reload --verify']

  async run(): Promise<void> {
    const {flags} = await this.parse(Rollback)
    const fleet = await FleetRun.open(flags, NO_INTENT)
    try {
      for (const w of fleet.warnings) this.note(w)
      const options: FleetRunOptions = {...fleet.options(), backupSubfolder: ROLLBACK_BACKUPS, checks: verifyChecks(flags, 're-verify'), keepOnFailedCheck: true}
      if (flags.reload) options.reload = {allowRestart: flags['allow-restart']}
      const planned = await runPlanner(fleet.sessions, (host, session) => planRollback(host, session.treeRoot), !flags['dry-run'], options)
      options.progress.end()
      const report = reportOf(planned)
      if (flags.json) this.printJson(report)
      else this.print(renderReport(report, flags['dry-run'] ? 'plan' : 'apply', true))
      this.setExit(exitCodeOf(report, false))
    } finally {
      await fleet.close()
    }
  }
}
