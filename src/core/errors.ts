import {ExitCode} from './exit-codes.js'

/** Where in which file a problem sits (1-based, columns counted in characters). */
export interface Position {
  file: string
  line: number | null
  column?: number | null
}

/**
 * An error that mirrorctl explains to the user: a message, an optional position, rule and
 * hint, and the exit code it maps to. Commands render it without a stack trace.
 */
export class UserError extends Error {
  readonly exitCode: ExitCode
  readonly position?: Position
  readonly rule?: string
  readonly hint?: string

  constructor(
    message: string,
    options: {exitCode?: ExitCode; position?: Position; rule?: string; hint?: string; cause?: unknown} = {},
  ) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'UserError'
    this.exitCode = options.exitCode ?? ExitCode.Usage
    if (options.position) this.position = options.position
    if (options.rule) this.rule = options.rule
    if (options.hint) this.hint = options.hint
  }
}

/** Input the program cannot read at all (missing file, permission denied, not UTF-8). */
export function unreadable(file: string, cause: unknown): UserError {
  const reason = cause instanceof Error ? (cause as NodeJS.ErrnoException).code ?? cause.message : String(cause)
  return new UserError(`cannot read it (${reason})`, {exitCode: ExitCode.Usage, position: {file, line: null}, cause})
}
