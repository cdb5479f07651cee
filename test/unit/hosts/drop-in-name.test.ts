import {describe, expect, it} from 'vitest'
import {checkDropInName} from '../../../src/cli/write-flags.js'

describe('--drop-in names', () => {
  it('takes a plain NAME.conf', () => {
    expect(() => checkDropInName('50-mirrors.conf')).not.toThrow()
    expect(() => checkDropInName('.hidden.conf')).not.toThrow()
  })

  it('refuses names the engines would ignore or that leave the folder, with exit 2', () => {
    for (const [name, message] of [
      ['foo', /only read \*\.conf/],
      ['foo.conf.bak', /only read \*\.conf/],
      ['.conf', /only read \*\.conf/],
      ['', /empty/],
      ['  ', /empty/],
      ['.', /plain file name/],
      ['..', /plain file name/],
      ['x/y.conf', /plain file name/],
      ['../up.conf', /plain file name/],
      ['a\nb.conf', /control characters/],
    ] as const) {
      expect(() => checkDropInName(name), JSON.stringify(name)).toThrow(message)
      try {
        checkDropInName(name)
      } catch (error) {
        expect((error as {exitCode: number}).exitCode).toBe(2)
      }
    }
  })

  it('suggests the .conf name', () => {
    expect(() => checkDropInName('foo')).toThrow(expect.objectContaining({hint: 'use foo.conf'}))
  })
})
