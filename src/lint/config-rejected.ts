import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import type {Finding} from './finding.js'

/** The configuration the engines would refuse: exit 1, with the loader's first error and its position. */
export function configRejected(first: Finding): UserError {
  return new UserError(first.message, {
    exitCode: ExitCode.Findings,
    position: {file: first.file, line: first.line, column: first.column},
    rule: first.rule,
    hint: first.hint,
  })
}
