import {Args} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {locationFlags} from '../../cli/flags.js'
import {renderFileResults, runMirrorChange} from '../../cli/mirror-flow.js'
import {engineFlags, selectEngines} from '../../cli/engine-selection.js'
import {detectDockerVersion} from '../../engines/docker-engine.js'
import {writeFlags} from '../../cli/write-flags.js'
import {LocalHost} from '../../hosts/local-host.js'
import {parseMirrorArgument} from '../../policy/mirror-policy.js'

export default class MirrorRemove extends BaseCommand {
  static override summary = "Remove mirrors of a registry or prefix (all of them when no MIRROR is given)."
  static override strict = false
  static override args = {
    source: Args.string({description: 'registry or prefix: docker.io, quay.io/org', required: true}),
    mirror: Args.string({description: 'mirror host[:port][/namespace] to remove'}),
  }
  static override flags = {...locationFlags, ...engineFlags, ...writeFlags}
  static override examples = ['<%= config.bin %> mirror remove docker.io mirror.example.com:5000', '<%= config.bin %> mirror remove docker.io --dry-run']

  async run(): Promise<void> {
    const {args, argv, flags} = await this.parse(MirrorRemove)
    const given = (argv as string[]).slice(1)
    const host = new LocalHost(flags.root)
    const engines = await selectEngines(host, flags)
    const dockerVersion = engines.engines.includes('docker') ? await detectDockerVersion(host, {flag: flags['docker-version'], treeRoot: flags.root !== undefined}) : null
    const results = await runMirrorChange(
      host,
      {action: 'remove', source: args.source, mirrors: given.length ? given.map((m) => parseMirrorArgument(m)) : null},
      {
        registriesConf: flags['registries-conf'],
        registriesConfDir: flags['registries-conf-dir'],
        dryRun: flags['dry-run'],
        backup: !flags['no-backup'],
        dropIn: flags['drop-in'],
        systemWideBackups: flags.root !== undefined || host.isRoot,
        engines,
        dockerVersion,
      },
    )
    if (flags.json) this.printJson({changed: results.files.length > 0, dryRun: flags['dry-run'], files: results.files, skipped: results.skipped})
    else this.print(renderFileResults(results, flags['dry-run']))
  }
}
