import {Command, Flags} from '@oclif/core'
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {knownIoError} from '../core/io-errors.js'
import {shouldColor} from '../core/color.js'

/**
 * What every mirrorctl command shares: --json and --debug, one way to print results, and one
 * way to turn failures into a message with position, rule and hint, plus a documented exit
 * code — never a stack trace unless --debug.
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    json: Flags.boolean({description: 'print the result as JSON on stdout', helpGroup: 'GLOBAL'}),
    debug: Flags.boolean({description: 'show stack traces for unexpected errors', helpGroup: 'GLOBAL'}),
  }

  /** Set by subclasses after parsing, so catch() knows how to render. */
  protected jsonOutput = process.argv.includes('--json')
  protected debugOutput = process.argv.includes('--debug')

  protected get color(): boolean {
    return shouldColor(process.stdout, process.env)
  }

  protected print(text: string): void {
    process.stdout.write(text.endsWith('\n') || text === '' ? text : text + '\n')
  }

  protected printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n')
  }

  protected note(text: string): void {
    process.stderr.write(text + '\n')
  }

  protected setExit(code: ExitCode): void {
    if (code > (Number(process.exitCode) || 0)) process.exitCode = code
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    if (error.oclif?.exit === 0) return // help or version
    const expected = error instanceof UserError ? error : knownIoError(error)
    if (expected) {
      this.renderError(expected.message, expected.exitCode, expected)
      return
    }
    // oclif's own parse errors (unknown flag, missing argument) are usage errors.
    if (error.oclif) {
      const message = /See more help with --help\s*$/.test(error.message) ? error.message.trimEnd() : `${error.message}\nSee more help with --help`
      this.renderError(message, ExitCode.Usage)
      return
    }
    const message = this.debugOutput ? (error.stack ?? String(error)) : `unexpected error: ${error.message} (run again with --debug for details)`
    this.renderError(message, ExitCode.Usage)
  }

  private renderError(message: string, code: ExitCode, e?: UserError): void {
    renderError(message, {json: this.jsonOutput, error: e})
    this.setExit(code)
  }
}

/**
 * Prints an error as every command does: under --json `{"error": {...}}` on stdout, else
 * `mirrorctl: error: FILE:LINE:COL: message [rule]` and a hint on stderr. Shared with the
 * oclif hooks (src/hooks/), which run outside any command.
 */
export function renderError(message: string, options: {json: boolean; error?: UserError | undefined}): void {
  const e = options.error
  if (options.json) {
    process.stdout.write(
      JSON.stringify(
        {
          error: {
            file: e?.position?.file ?? null,
            line: e?.position?.line ?? null,
            ...(e?.position?.column ? {column: e.position.column} : {}),
            message,
            ...(e?.rule ? {rule: e.rule} : {}),
            ...(e?.hint ? {hint: e.hint} : {}),
          },
        },
        null,
        2,
      ) + '\n',
    )
  } else {
    const p = e?.position
    const where = p ? `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}: ` : ''
    const rule = e?.rule ? ` [${e.rule}]` : ''
    process.stderr.write(`mirrorctl: error: ${where}${message}${rule}\n${e?.hint ? `  hint: ${e.hint}\n` : ''}`)
  }
}
