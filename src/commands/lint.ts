import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {locationFlags} from '../cli/flags.js'
import {ExitCode} from '../core/exit-codes.js'
import {LocalHost} from '../hosts/local-host.js'
import {hasErrors} from '../lint/finding.js'
import {allRules} from '../lint/catalog.js'
import {collectLintTargets, lintTargets} from '../cli/lint-targets.js'
import {renderFindings, type ReportFormat} from '../lint/reporters/index.js'

export default class Lint extends BaseCommand {
  static override summary = 'Lint registries.conf files: what the engines reject, and the mistakes they accept silently.'
  static override description =
    'PATH is a file, a drop-in folder (its *.conf files, in the order the engines load them), or - for standard input. Without PATH, lints the files the engines on this machine read (under --root when given). Severity: error = the engine rejects it; warning = accepted but will not work as meant; info = advice. Exit 1 when any finding is an error.'
  static override strict = false
  static override args = {path: Args.string({description: 'file, drop-in folder, or - for stdin'})}
  static override flags = {
    ...locationFlags,
    format: Flags.string({char: 'f', options: ['text', 'json', 'sarif', 'github'], default: 'text', description: 'output format (--json is --format json)'}),
    'list-rules': Flags.boolean({description: 'list every rule with its severity and description'}),
  }
  static override examples = [
    '<%= config.bin %> lint',
    '<%= config.bin %> lint /etc/containers/registries.conf /etc/containers/registries.conf.d',
    'cat registries.conf | <%= config.bin %> lint - --format github',
    '<%= config.bin %> lint --root /srv/image-root --format sarif > mirrorctl.sarif',
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
    const targets = await collectLintTargets(host, argv as string[], {
      registriesConf: flags['registries-conf'],
      registriesConfDir: flags['registries-conf-dir'],
      stdin: () => readStdin(),
    })
    const {findings, filesChecked} = lintTargets(targets)
    this.print(renderFindings(findings, format, {rules: allRules(), color: this.color, version: this.config.version, baseDir: process.cwd(), filesChecked}))
    if (hasErrors(findings)) this.setExit(ExitCode.Findings)
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
