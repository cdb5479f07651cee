import {describe, expect, it} from 'vitest'
// @ts-expect-error: bin/ is plain JavaScript without types
import {nodeTooOld} from '../../../bin/node-version.js'

describe('the start-up Node version check (bin/node-version.js)', () => {
  it('compares a ">=X.Y[.Z]" range part by part, as numbers', () => {
    expect(nodeTooOld('>=20.19', '20.20.2')).toBe(false)
    expect(nodeTooOld('>=20.19', '20.19.0')).toBe(false)
    expect(nodeTooOld('>=20.19', '20.18.9')).toBe(true)
    expect(nodeTooOld('>=20.19', '19.99.0')).toBe(true)
    expect(nodeTooOld('>=20.19', '22.1.0')).toBe(false)
    expect(nodeTooOld('>= 20.9.3', '20.10.0')).toBe(false)
    expect(nodeTooOld('>=20.9.3', '20.9.2')).toBe(true)
  })

  it('leaves any other form of range to oclif (null)', () => {
    for (const range of ['^20', '>=20', '20.x', '>=20.19 <23', '', undefined]) expect(nodeTooOld(range, '20.20.2')).toBeNull()
  })
})
