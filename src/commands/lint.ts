import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {locationFlags} from '../cli/flags.js'
import {ExitCode} from '../core/exit-codes.js'
import {LocalHost} from '../hosts/local-host.js'
import {hasErrors} from '../lint/finding.js'
import {allRules} from '../lint/catalog.js'
import {containerdFlags} from '../cli/containerd-flags.js'
import {detectContainerdVersion} from '../engines/containerd-hosts-dir.js'
import {collectLintTargets, lintTargets, proxyRouteFindings} from '../cli/lint-targets.js'
import {renderFindings, type ReportFormat} from '../lint/reporters/index.js'
import {detectDockerVersion, locateDaemonJson} from '../engines/docker-engine.js'

export default class Lint extends BaseCommand {
  static override summary = 'Lint registries.conf and daemon.json: what the engines reject, and the mistakes they accept silently.'
  static override description =
    'PATH is a file, a drop-in folder (its *.conf files, in the order the engines load them), or - for standard input; a file is linted as daemon.json when its name ends in .json or it holds a JSON object, else as registries.conf. Without PATH, lints the files the engines on this machine read (under --root when given). daemon.json is checked against --docker-version, else the version `dockerd --version` reports here, else the newest Engine. Severity: error = the engine rejects it; warning = accepted but will not work as meant; info = advice. Exit 1 when any finding is an error.'
  static override strict = false
  static override args = {path: Args.string({description: 'file, drop-in folder, or - for stdin'})}
  static override flags = {
    ...locationFlags,
    ...containerdFlags,
    format: Flags.string({char: 'f', options: ['text', 'json', 'sarif', 'github'], default: 'text', description: 'output format (--json is --format json)'}),
    'list-rules': Flags.boolean({description: 'list every rule with its severity and description'}),
    'daemon-json': Flags.string({description: "Docker's daemon.json to lint with the engines' files (default: the one dockerd reads)", helpValue: 'FILE'}),
    'docker-version': Flags.string({description: 'Docker Engine version daemon.json is checked against (default: `dockerd --version` here; else the newest)', helpValue: 'X.Y.Z'}),
  }
  static override examples = [
    '<%= config.bin %> lint',
    '<%= config.bin %> lint /etc/containers/registries.conf /etc/containers/registries.conf.d',
    'cat registries.conf | <%= config.bin %> lint - --format github',
    '<%= config.bin %> lint --root /srv/image-root --format sarif > mirrorctl.sarif',
    '<%= config.bin %> lint /etc/docker/daemon.json --docker-version 24.0.7 --json',
  ]

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Lint)
    const format = (flags.json ? 'json' : flags.format) as ReportFormat
    if (flags['list-rules']) {
      const rules = allRules()
      if (format === 'json') this.printJson({rules})
      else this.print(rules.map((r) => `${r.id.padEnd(48)} ${r.severity.padEnd(8)} ${r.description}`).join('\n'))
      return
    }
    const host = new LocalHost(flags.root)
    const treeRoot = flags.root !== undefined
    const daemonJson = await locateDaemonJson(host, {daemonJson: flags['daemon-json'], treeRoot})
    const targets = await collectLintTargets(host, argv as string[], {
      registriesConf: flags['registries-conf'],
      registriesConfDir: flags['registries-conf-dir'],
      daemonJson,
      stdin: () => readStdin(),
      containerd: {
        hostsDir: flags['containerd-hosts-dir'],
        configToml: flags['containerd-config'],
        version: () => detectContainerdVersion(host, {flag: flags['containerd-version'], treeRoot}),
      },
    })
    const needsDocker = targets.some((t) => t.kind === 'daemon-json')
    const dockerVersion = needsDocker ? await detectDockerVersion(host, {flag: flags['docker-version'], treeRoot}) : null
    // The machine's own daemon.json is also checked against dockerd's flags in its systemd unit.
    const command =
      needsDocker && !(argv as string[]).length
        ? await (await import('../engines/engine-proxy.js')).dockerdCommandLine(host, {daemonJsonPath: daemonJson.path})
        : null
    const {findings, filesChecked} = lintTargets(targets, {
      ...(dockerVersion ? {dockerVersion} : {}),
      ...(command ? {dockerdArgs: command.argv.slice(1), unitPath: command.unitPath} : {}),
    })
    if (!(argv as string[]).length) findings.push(...(await proxyRouteFindings(host, targets, daemonJson)))
    this.print(renderFindings(findings, format, {rules: allRules(), color: this.color, version: this.config.version, baseDir: process.cwd(), filesChecked}))
    if (hasErrors(findings)) this.setExit(ExitCode.Findings)
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
