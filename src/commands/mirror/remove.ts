import {Args} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {checkRoot} from '../../cli/root-flag.js'
import {locationFlags} from '../../cli/flags.js'
import {renderFileResults, runMirrorChange} from '../../cli/mirror-flow.js'
import {engineFlags, selectEngines, type EngineName, type EngineSelection} from '../../cli/engine-selection.js'
import {UserError} from '../../core/errors.js'
import {ExitCode} from '../../core/exit-codes.js'
import {containerdChangeOptions} from '../../cli/containerd-flags.js'
import {configuredContainerdMirrors} from '../../engines/containerd-change.js'
import {locateK3sRegistries} from '../../engines/k3s-change.js'
import {parseK3sRegistries, readK3sRegistries, sameEndpoint} from '../../formats/k3s-registries/index.js'
import {hostMatchesMirror} from '../../formats/containerd-hosts/plan.js'
import {detectDockerVersion, loadDaemonJson} from '../../engines/docker-engine.js'
import {loadRegistriesConf} from '../../engines/registries-conf-engine.js'
import {writeFlags} from '../../cli/write-flags.js'
import {isDockerHubSource, readDaemonJson} from '../../formats/daemon-json/index.js'
import {removesMirrorUrl} from '../../formats/daemon-json/plan.js'
import {configuredMirrors, removesMirror} from '../../formats/registries-conf/plan.js'
import type {Host} from '../../hosts/host.js'
import {LocalHost} from '../../hosts/local-host.js'
import {targetFlags} from '../../fleet/flags.js'
import {changeIntent, hasTargets, runFleetChange} from '../../fleet/imperative.js'
import {parseMirrorArgument, type MirrorTarget} from '../../policy/mirror-policy.js'

export default class MirrorRemove extends BaseCommand {
  static override summary = 'Remove mirrors of a registry or prefix (all of them when no MIRROR is given).'
  static override description =
    'A MIRROR that no selected engine has for SOURCE is an error (exit 1, nothing changed) that lists the mirrors configured. When the entry was created by mirrorctl and no mirror is left, the entry goes too (and the 50-mirrorctl.conf drop-in when nothing else is in it), so add followed by remove gives back the original files.'
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
      const out = await runFleetChange(flags, changeIntent({action: 'remove', source: args.source, mirrors: targets}, flags.engine, false))
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

/**
 * Every named mirror must be configured for the source in at least one selected engine; otherwise
 * nothing is changed and the message lists what is configured (a typo must not pass as success).
 */
async function assertConfigured(
  host: Host,
  engines: EngineSelection,
  source: string,
  targets: MirrorTarget[],
  options: {registriesConf?: string | undefined; registriesConfDir?: string | undefined; hostsDir?: string | undefined; configToml?: string | undefined; k3sRegistries?: string | undefined},
): Promise<void> {
  const configured: {engine: EngineName; mirrors: string[]; removes: (t: MirrorTarget, entry: string) => boolean}[] = []
  for (const engine of engines.engines) {
    if (engine === 'podman') {
      const loaded = await loadRegistriesConf(host, options)
      // A set the engines reject is reported by the change itself, with its position.
      if (!loaded.set.merged) return
      configured.push({engine, mirrors: configuredMirrors(loaded.set, source), removes: removesMirror})
    } else if (engine === 'containerd') {
      const hosts = await configuredContainerdMirrors(host, source, options)
      configured.push({engine, mirrors: hosts.map((h) => h.name), removes: (t, entry) => hostMatchesMirror(entry, hosts.find((h) => h.name === entry)?.overridePath ?? false, t)})
    } else if (engine === 'k3s') {
      const file = await locateK3sRegistries(host, options.k3sRegistries)
      const text = await host.readFile(file)
      const endpoints = text === null ? [] : (readK3sRegistries(parseK3sRegistries(text, file)).mirrors[source]?.endpoints ?? [])
      configured.push({engine, mirrors: endpoints, removes: (t, entry) => sameEndpoint(entry, `${t.host}${t.path ? `/${t.path}` : ''}`)})
    } else if (engine === 'docker' && isDockerHubSource(source)) {
      const loaded = await loadDaemonJson(host, engines.daemonJson)
      if (loaded.doc.syntaxFindings.some((f) => f.severity === 'error')) return
      configured.push({engine, mirrors: readDaemonJson(loaded.doc).registryMirrors, removes: removesMirrorUrl})
    }
  }
  const missing = targets.filter((t) => !configured.some((c) => c.mirrors.some((m) => c.removes(t, m))))
  if (!missing.length) return
  const list = configured.map((c) => `${c.engine}: ${c.mirrors.length ? c.mirrors.join(', ') : 'none'}`).join('; ')
  throw new UserError(
    `${missing.map((m) => m.given).join(', ')} ${missing.length > 1 ? 'are not mirrors' : 'is not a mirror'} of ${source}; configured mirrors: ${list || 'none'}. Nothing was changed`,
    {exitCode: ExitCode.Findings, hint: `give a configured mirror, or no MIRROR to remove all of ${source}'s mirrors`},
  )
}
