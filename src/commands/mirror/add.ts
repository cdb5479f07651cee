import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {locationFlags} from '../../cli/flags.js'
import {renderFileResults, runMirrorChange} from '../../cli/mirror-flow.js'
import {engineFlags, selectEngines} from '../../cli/engine-selection.js'
import {containerdChangeOptions} from '../../cli/containerd-flags.js'
import {detectDockerVersion} from '../../engines/docker-engine.js'
import {UserError} from '../../core/errors.js'
import {LocalHost} from '../../hosts/local-host.js'
import {parseLocationArgument, parseMirrorArgument, type PullFromMirror} from '../../policy/mirror-policy.js'
import {fixNoProxy} from '../../cli/fix-no-proxy.js'
import {caFlags, targetFlags} from '../../fleet/flags.js'
import {withCaFlag} from '../../fleet/ca-files.js'
import {changeIntent, hasTargets, runFleetChange} from '../../fleet/imperative.js'
import {checkRoot} from '../../cli/root-flag.js'
import {checkDropInName, writeFlags} from '../../cli/write-flags.js'

export default class MirrorAdd extends BaseCommand {
  static override summary = 'Add mirrors for a registry or prefix (or redirect it with --location).'
  static override description =
    'Edits the registries.conf entry for SOURCE that the engines use today, in the file that holds it, keeping every comment and unrelated byte. Without an entry, a new one goes into the main file (when it exists and is V2) or into registries.conf.d/50-mirrorctl.conf. New mirrors are tried first unless --position last. Running the same command again changes nothing.'
  static override strict = false
  static override args = {
    source: Args.string({description: 'registry or prefix whose pulls the mirrors serve: docker.io, docker.io/library, quay.io/org', required: true}),
    mirror: Args.string({description: 'mirror host[:port][/namespace], for example 127.0.0.1:5000 or harbor.example.com/dockerhub-proxy'}),
  }
  static override flags = {
    ...locationFlags,
    ...engineFlags,
    ...writeFlags,
    ...targetFlags,
    ...caFlags,
    location: Flags.string({description: 'redirect SOURCE itself to another registry or namespace (docker.io/library -> quay.io/myorg)', helpValue: 'LOC'}),
    insecure: Flags.boolean({description: 'allow plain HTTP and unverified TLS for the new mirrors'}),
    'pull-from-mirror': Flags.string({options: ['all', 'digest-only', 'tag-only'], description: 'which references the new mirrors serve'}),
    position: Flags.string({options: ['first', 'last'], default: 'first', description: 'where new mirrors go in the order the engines try them'}),
    convert: Flags.boolean({description: 'rewrite a V1 main file as V2 instead of adding a drop-in beside it'}),
    'fix-no-proxy': Flags.boolean({
      description: "when an engine would send a new internal mirror through its proxy, add the mirror to NO_PROXY where that engine reads it (and say which restart it needs)",
    }),
  }
  static override examples = [
    '<%= config.bin %> mirror add docker.io mirror.example.com:5000',
    '<%= config.bin %> mirror add docker.io 127.0.0.1:5000 --insecure --dry-run',
    '<%= config.bin %> mirror add docker.io harbor.example.com/dockerhub-proxy --position last',
    '<%= config.bin %> mirror add docker.io/library --location quay.io/myorg',
    '<%= config.bin %> mirror add docker.io registry-cache.corp.internal:5000 --fix-no-proxy',
  ]

  async run(): Promise<void> {
    const {args, argv, flags} = await this.parse(MirrorAdd)
    const given = (argv as string[]).slice(1)
    if (!given.length && !flags.location)
      throw new UserError('give at least one MIRROR or --location', {hint: 'for example: mirrorctl mirror add docker.io mirror.example.com:5000'})
    const pull = (flags['pull-from-mirror'] as PullFromMirror | undefined) ?? null
    const mirrors = await withCaFlag(given.map((m) => parseMirrorArgument(m, {insecure: flags.insecure, pullFromMirror: pull, source: args.source})), flags['ca-file'])
    const location = flags.location === undefined ? null : parseLocationArgument(flags.location, args.source)
    const change = {action: 'add', source: args.source, mirrors, location, position: flags.position as 'first' | 'last'} as const
    if (hasTargets(flags)) {
      const out = await runFleetChange(flags, changeIntent(change, flags.engine, flags['fix-no-proxy']))
      for (const w of out.warnings) this.note(w)
      if (flags.json) this.printJson(out.report)
      else this.print(out.text)
      return this.setExit(out.exitCode)
    }
    if (flags['drop-in'] !== undefined) checkDropInName(flags['drop-in'])
    await checkRoot(flags.root)
    const host = new LocalHost(flags.root)
    const engines = await selectEngines(host, flags)
    const dockerVersion = engines.engines.includes('docker') ? await detectDockerVersion(host, {flag: flags['docker-version'], treeRoot: flags.root !== undefined}) : null
    const results = await runMirrorChange(
      host,
      change,
      {
        registriesConf: flags['registries-conf'],
        registriesConfDir: flags['registries-conf-dir'],
        dryRun: flags['dry-run'],
        backup: !flags['no-backup'],
        dropIn: flags['drop-in'],
        convert: flags.convert,
        systemWideBackups: flags.root !== undefined || host.isRoot,
        engines,
        dockerVersion,
        containerd: await containerdChangeOptions(host, flags, engines.engines),
        k3sRegistries: flags['k3s-registries'],
      },
    )
    // Proxy settings: fixed with --fix-no-proxy, otherwise only a warning of what would be needed.
    const fix = flags['fix-no-proxy']
    const used = engines.engines.filter((e) => !results.skipped.some((x) => x.engine === e))
    const proxyFix = await fixNoProxy(host, used, mirrors, {
      dryRun: flags['dry-run'] || !fix,
      backup: !flags['no-backup'],
      systemWideBackups: flags.root !== undefined || host.isRoot,
      daemonJsonPath: engines.daemonJson.path,
    })
    const warnings = [
      ...results.notes,
      ...(fix ? [] : proxyFix.files.map((f) => `warning: ${f.engine} would reach the new mirror through its proxy; rerun with --fix-no-proxy to ${f.actions[0]} in ${f.path}`)),
      ...proxyFix.manual.map((m) => `warning: ${m}`),
    ]
    const files = [...results.files, ...(fix ? proxyFix.files : [])]
    for (const w of warnings) this.note(w)
    if (flags.json) this.printJson({changed: files.length > 0, dryRun: flags['dry-run'], files, skipped: results.skipped, warnings})
    else this.print(renderFileResults({...results, files}, flags['dry-run']))
  }
}
