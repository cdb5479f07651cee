import {expect} from 'vitest'
import {UserError} from '../../../src/core/errors.js'

/** The UserError a call throws (the test fails when it throws nothing or something else). */
export function thrownUserError(fn: () => unknown): UserError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(UserError)
    return e as UserError
  }
  throw new Error('expected a UserError')
}
