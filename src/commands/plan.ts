import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {caFlags, specFlags} from '../fleet/flags.js'
import {exitCodeOf, FleetRun, renderReport, reportOf} from '../fleet/command-run.js'

export default class Plan extends BaseCommand {
  static override summary = 'Show what `apply --spec` would change on each host, as unified diffs. Writes nothing.'
  static override description =
    'Gathers each host in one round trip, lints what it found, and plans the spec with the same code as apply. Without --hosts or --inventory it plans for this machine (or the --root tree). --json prints {"hosts":[{"host","status","reason","diff",...}]} with the status names of apply ("changed" = changes pending). --detailed-exitcode: 0 when every host is converged, 2 when changes are pending, 1 when a host failed.'
  static override flags = {
    ...specFlags,
    ...caFlags,
    'detailed-exitcode': Flags.boolean({description: 'exit 0 when converged, 2 when changes are pending, 1 on failures'}),
  }
  static override examples = [
    '<%= config.bin %> plan --spec mirrors.toml',
    '<%= config.bin %> plan --spec mirrors.toml --inventory hosts.ini --limit runners',
    '<%= config.bin %> plan --spec mirrors.toml --hosts web1,web2 --detailed-exitcode --json',
  ]

  async run(): Promise<void> {
    const {flags} = await this.parse(Plan)
    const fleet = await FleetRun.open(flags)
    try {
      for (const w of fleet.warnings) this.note(w)
      const report = reportOf(await fleet.run(false))
      if (flags.json) this.printJson(report)
      else this.print(renderReport(report, 'plan', true))
      this.setExit(exitCodeOf(report, flags['detailed-exitcode']))
    } finally {
      await fleet.close()
    }
  }
}
