import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {locationFlags} from '../cli/flags.js'
import {ExitCode} from '../core/exit-codes.js'
import {LocalHost} from '../hosts/local-host.js'
import {hasErrors} from '../lint/finding.js'
import {allRules} from '../lint/catalog.js'
import {collectLintTargets, lintTargets, proxyRouteFindings} from '../cli/lint-targets.js'
import {renderFindings, type ReportFormat} from '../lint/reporters/index.js'
import {detectDockerVersion, locateDaemonJson} from '../engines/docker-engine.js'
import {checkRoot} from '../cli/root-flag.js'
import {UserError} from '../core/errors.js'
import {MAX_CONFIG_BYTES} from '../core/limits.js'
import {decodeUtf8, InvalidUtf8Error} from '../core/text-decode.js'

export default class Lint extends BaseCommand {
  static override summary = 'Lint registries.conf and daemon.json: what the engines reject, and the mistakes they accept silently.'
  static override description =
    'PATH is a file, a drop-in folder (its *.conf files, in the order the engines load them), or - for standard input; a file is linted as daemon.json when its name ends in .json or it holds a JSON object, else as registries.conf. Without PATH, lints the files the engines on this machine read (under --root when given). daemon.json is checked against --docker-version, else the version `dockerd --version` reports here, else the newest Engine. Severity: error = the engine rejects it; warning = accepted but will not work as meant; info = advice. Exit 1 when any finding is an error.'
  static override strict = false
  static override args = {path: Args.string({description: 'file, drop-in folder, or - for stdin'})}
  static override flags = {
    ...locationFlags,
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
    await checkRoot(flags.root)
    const host = new LocalHost(flags.root)
    const treeRoot = flags.root !== undefined
    const daemonJson = await locateDaemonJson(host, {daemonJson: flags['daemon-json'], treeRoot})
    const targets = await collectLintTargets(host, argv as string[], {
      registriesConf: flags['registries-conf'],
      registriesConfDir: flags['registries-conf-dir'],
      daemonJson,
      stdin: () => readStdin(),
      note: (text) => this.note(text),
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

/** Standard input, refused past MAX_CONFIG_BYTES without buffering the rest; bytes that are not UTF-8 come back as the error. */
async function readStdin(): Promise<string | InvalidUtf8Error> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length
    if (size > MAX_CONFIG_BYTES)
      throw new UserError(`standard input is larger than the ${MAX_CONFIG_BYTES / 1024 / 1024} MiB limit for a config file`, {position: {file: '<stdin>', line: null}})
    chunks.push(chunk as Buffer)
  }
  try {
    return decodeUtf8(Buffer.concat(chunks))
  } catch (error) {
    if (error instanceof InvalidUtf8Error) return error
    throw error
  }
}
