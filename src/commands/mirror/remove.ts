import {Args} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {checkRoot} from '../../cli/root-flag.js'
import {locationFlags} from '../../cli/flags.js'
import {renderFileResults, runMirrorChange} from '../../cli/mirror-flow.js'
import {engineFlags, selectEngines, type EngineSelection} from '../../cli/engine-selection.js'
import {assertConfigured} from '../../cli/assert-configured.js'
import {containerdChangeOptions} from '../../cli/containerd-flags.js'
import {detectDockerVersion} from '../../engines/docker-engine.js'
import {writeFlags} from '../../cli/write-flags.js'
import type {Host} from '../../hosts/host.js'
import {LocalHost} from '../../hosts/local-host.js'
import {targetFlags} from '../../fleet/flags.js'
import {changeIntent, hasTargets, runFleetChange} from '../../fleet/imperative.js'
import {parseMirrorArgument} from '../../policy/mirror-policy.js'

export default class MirrorRemove extends BaseCommand {
  static override summary = 'Remove mirrors of a registry or prefix (all of them when no MIRROR is given).'
  static override description =
    'A MIRROR that no selected engine has for SOURCE is an error (exit 1, nothing changed) that lists the mirrors configured. When the entry was created by mirrorctl and no mirror is left, the entry goes too (and the 50-mirrorctl.conf drop-in when nothing else is in it), so add followed by remove gives back the original files. CA files installed with --ca-file (certs.d ca.crt, containerd CA files) are left alone: other configs may trust them; remove them by hand.'
  static override strict = false
  static override args = {
    source: Args.string({description: 'registry or prefix: docker.io, quay.io/org', required: true}),
    mirror: Args.string({description: 'mirror host[:port][/namespace] to remove'}),
  }
  static override flags = {...locationFlags, ...engineFlags, ...writeFlags, ...targetFlags}
  static override examples = ['<%= config.bin %> mirror remove docker.io mirror.example.com:5000', '<%= config.bin %> mirror remove docker.io --dry-run']

  async run(): Promise<void> {
    const {args, argv, flags} = await this.parse(MirrorRemove)
    const given = (argv as string[]).slice(1)
    const targets = given.length ? given.map((m) => parseMirrorArgument(m)) : null
    if (hasTargets(flags)) {
      // A named mirror that a host does not have fails that host, as the local command fails.
      const check = targets ? async (host: Host, engines: EngineSelection) => assertConfigured(host, engines, args.source, targets, {}) : undefined
      const out = await runFleetChange(flags, changeIntent({action: 'remove', source: args.source, mirrors: targets}, flags.engine, false), check)
      for (const w of out.warnings) this.note(w)
      if (flags.json) this.printJson(out.report)
      else this.print(out.text)
      return this.setExit(out.exitCode)
    }
    await checkRoot(flags.root)
    const host = new LocalHost(flags.root)
    const engines = await selectEngines(host, flags)
    const confOptions = {registriesConf: flags['registries-conf'], registriesConfDir: flags['registries-conf-dir']}
    if (targets) await assertConfigured(host, engines, args.source, targets, {...confOptions, hostsDir: flags['containerd-hosts-dir'], configToml: flags['containerd-config'], k3sRegistries: flags['k3s-registries']})
    const dockerVersion = engines.engines.includes('docker') ? await detectDockerVersion(host, {flag: flags['docker-version'], treeRoot: flags.root !== undefined}) : null
    const results = await runMirrorChange(
      host,
      {action: 'remove', source: args.source, mirrors: targets},
      {
        ...confOptions,
        dryRun: flags['dry-run'],
        backup: !flags['no-backup'],
        dropIn: flags['drop-in'],
        systemWideBackups: flags.root !== undefined || host.isRoot,
        engines,
        dockerVersion,
        containerd: await containerdChangeOptions(host, flags, engines.engines),
        k3sRegistries: flags['k3s-registries'],
      },
    )
    for (const w of results.notes) this.note(w)
    if (flags.json) this.printJson({changed: results.files.length > 0, dryRun: flags['dry-run'], files: results.files, skipped: results.skipped, warnings: results.notes})
    else this.print(renderFileResults(results, flags['dry-run']))
  }
}
