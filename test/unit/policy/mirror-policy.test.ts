import {describe, it, expect} from 'vitest'
import {UserError} from '../../../src/core/errors.js'
import {parseLocationArgument, parseMirrorArgument} from '../../../src/policy/mirror-policy.js'

/** The UserError a call throws (exit 2, usage), or a failure when it returns. */
function refusal(fn: () => unknown): UserError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).exitCode).toBe(2)
    return error as UserError
  }
  throw new Error('expected a refusal')
}

describe('parseLocationArgument (mirror add --location)', () => {
  it('accepts host[:port][/namespace] and trims trailing slashes', () => {
    expect(parseLocationArgument('quay.io/myorg/', 'docker.io/library')).toBe('quay.io/myorg')
    expect(parseLocationArgument('[::1]:5000', 'docker.io')).toBe('[::1]:5000')
  })
  it('refuses user info as a usage error, not an internal one', () => {
    const e = refusal(() => parseLocationArgument('https://user:pw@quay.io/x', 'docker.io'))
    expect(e.message).toMatch(/user info is not allowed/)
    expect(e.hint).toMatch(/auth file/)
  })
  it('refuses a scheme, naming the value to write instead', () => {
    expect(refusal(() => parseLocationArgument('https://quay.io/x', 'docker.io')).hint).toMatch(/"quay\.io\/x"/)
  })
  it.each([
    ['a newline and a quote', 'quay.io/a\n"b'],
    ['an IPv4-mapped IPv6 address', '[::ffff:127.0.0.1]:5000'],
    ['more than 255 characters', `quay.io/${'a'.repeat(260)}`],
    ['index.docker.io', 'index.docker.io'],
  ])('refuses %s', (_what, location) => {
    refusal(() => parseLocationArgument(location, 'docker.io'))
  })
  it('refuses a location whose rewrite of common images under SOURCE fails', () => {
    // docker.io/library/alpine -> m.example.com/<240 a>/library/alpine: longer than 255
    expect(refusal(() => parseLocationArgument(`m.example.com/${'a'.repeat(235)}`, 'docker.io')).message).toMatch(/docker\.io\/library\/alpine:latest .*255/)
    // prefix localhost also matches localhost:5000/...
    expect(refusal(() => parseLocationArgument('mirror.example.com/x', 'localhost')).hint).toMatch(/localhost:5000/)
    expect(parseLocationArgument('mirror.example.com/x', 'localhost:5000')).toBe('mirror.example.com/x')
  })
})

describe('parseMirrorArgument for mirror add (with SOURCE)', () => {
  it('refuses mirrors containers/image cannot use', () => {
    refusal(() => parseMirrorArgument('[::ffff:127.0.0.1]:5000', {source: 'docker.io'}))
    refusal(() => parseMirrorArgument(`m.example.com/${'a'.repeat(250)}`, {source: 'docker.io'}))
    expect(parseMirrorArgument('[::1]:5000', {source: 'docker.io'}).host).toBe('[::1]:5000')
  })
  it('still reads such a mirror without SOURCE (mirror remove must be able to name it)', () => {
    expect(parseMirrorArgument('[::ffff:127.0.0.1]:5000').host).toBe('[::ffff:127.0.0.1]:5000')
  })
})
