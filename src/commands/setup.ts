import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {UserError} from '../core/errors.js'
import {targetFlags} from '../fleet/flags.js'
import {inquirerPrompter} from '../ui/wizard/prompter.js'
import {runWizard, WizardCancelled, type WizardState} from '../ui/wizard/run-wizard.js'
import {targetFromFlags} from '../ui/wizard/target-step.js'

/** Exit status after Ctrl-C, as a shell reports a process ended by SIGINT. */
export const CANCELLED_EXIT = 130

export default class Setup extends BaseCommand {
  static override summary = 'Set up a mirror interactively: where, which registries, which mirror, checked live, planned, applied.'
  static override description = [
    'Asks where to apply (this machine, a --root tree, or hosts over SSH), shows the engines found there, asks which registries to mirror and what serves them (a mirror, mirror.gcr.io, a Distribution pull-through cache, a Harbor proxy project, or a copy under another namespace), checks each mirror live along the engine\'s proxy route, offers the NO_PROXY fix, says what each engine will do, shows the diff and applies it after a confirmation with the same code as `apply --spec`.',
    'At the end it writes the spec file and prints the non-interactive command that repeats the setup. Ctrl-C before the confirmation writes nothing (exit 130).',
    'It needs a terminal: without one it exits 2 and names the non-interactive commands (mirror add, apply --spec).',
  ].join('\n\n')
  static override flags = {
    ...targetFlags,
    root: Flags.string({description: 'act on the files under DIR instead of this machine\'s / (skips the "where" question)', helpValue: 'DIR'}),
    'check-timeout': Flags.integer({description: 'seconds allowed for each live mirror check', default: 5, min: 1, max: 120}),
  }
  static override examples = ['<%= config.bin %> setup', '<%= config.bin %> setup --root /mnt/image', '<%= config.bin %> setup --inventory hosts.ini --limit runners --become']

  async run(): Promise<void> {
    const {flags} = await this.parse(Setup)
    const terminal = process.stdin.isTTY && process.stdout.isTTY
    if (flags.json || !terminal)
      throw new UserError(terminal ? 'setup is interactive and prints no JSON' : 'setup asks questions, and there is no terminal to ask in', {
        hint: 'use the non-interactive commands: `mirrorctl mirror add SOURCE MIRROR` on one machine, or `mirrorctl apply --spec FILE --yes` (a fleet spec) with --hosts/--inventory',
      })
    const state: WizardState = {phase: 'asking', applied: false, abort: new AbortController()}
    // Outside a prompt Ctrl-C is a signal: before the apply nothing was written, so stop here;
    // during it, cancel the hosts not yet started (each host's write is all-or-nothing).
    const onSigint = () => {
      if (state.phase === 'applying') {
        state.abort.abort()
        return
      }
      process.stdout.write(`\nsetup cancelled: ${state.applied ? 'the hosts listed as changed above were changed; the spec file was not written' : 'nothing was written'}\n`)
      process.exit(CANCELLED_EXIT)
    }
    process.on('SIGINT', onSigint)
    try {
      const exit = await runWizard(
        {prompter: await inquirerPrompter(), say: (t) => this.print(t), progress: process.stderr},
        {preset: targetFromFlags(flags), timeout: flags.timeout, concurrency: flags.concurrency, checkTimeoutMs: flags['check-timeout'] * 1000},
        state,
      )
      this.setExit(exit)
    } catch (error) {
      if (!(error instanceof WizardCancelled)) throw error
      this.print(`setup cancelled: ${error.written ? 'the hosts listed as changed above were changed, the others left as they were; the spec file was not written' : 'nothing was written'}`)
      process.exitCode = CANCELLED_EXIT
    } finally {
      process.removeListener('SIGINT', onSigint)
    }
  }
}
