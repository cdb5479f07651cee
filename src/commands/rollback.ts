import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {exitCodeOf, FleetRun, renderReport, reportOf} from '../fleet/command-run.js'
import {rootFlag, targetFlags} from '../fleet/flags.js'
import {NO_INTENT, planRollback, ROLLBACK_BACKUPS} from '../fleet/rollback.js'
import {runPlanner} from '../fleet/run-fleet.js'

export default class Rollback extends BaseCommand {
  static override summary = 'Restore, on each host, the newest backup of every file mirrorctl changed.'
  static override description = `Reads the backups (/var/lib/mirrorctl/backups, or the login's state folder without root) in the same gather as plan, and writes each file's newest saved version back through the same locked, compared, atomic write as apply. What rollback replaces is saved under backups/${ROLLBACK_BACKUPS}, so running it twice changes nothing the second time. A file that apply created (none existed before) has no backup and stays. --dry-run prints the diffs and writes nothing. Without --hosts or --inventory it acts on this machine (or the --root tree).`
  static override flags = {
    ...targetFlags,
    ...rootFlag,
    'dry-run': Flags.boolean({description: 'show what would be restored, as unified diffs; write nothing'}),
  }
  static override examples = ['<%= config.bin %> rollback --inventory hosts.ini --limit runners --dry-run', '<%= config.bin %> rollback --hosts node1,node2 --become --json']

  async run(): Promise<void> {
    const {flags} = await this.parse(Rollback)
    const fleet = await FleetRun.open(flags, NO_INTENT)
    try {
      for (const w of fleet.warnings) this.note(w)
      const options = {...fleet.options(), backupSubfolder: ROLLBACK_BACKUPS}
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
