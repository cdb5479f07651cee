import path from 'node:path'
import {describe, expect, test} from 'vitest'
import {UserError} from '../../../src/core/errors.js'
import {attachSpecCaFiles, withCaFlag} from '../../../src/fleet/ca-files.js'
import {parseMirrorArgument} from '../../../src/policy/mirror-policy.js'
import {parseSpec} from '../../../src/policy/spec.js'
import {thrownUserError} from '../fleet/thrown.js'

const FIXTURES = path.resolve(import.meta.dirname, '../../../fixtures/ca')
const SPEC_FILE = path.join(FIXTURES, 'spec.toml')

async function rejected(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(() => null, (error: unknown) => error)
  expect(e).toBeInstanceOf(UserError)
  return e as UserError
}

describe('spec ca-file', () => {
  test('resolved against the spec\'s folder', () => {
    const spec = parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["m:5000"]\nca-file = "corp-ca.pem"\n', SPEC_FILE)
    expect(spec.entries[0]!.caFile).toBe(path.join(FIXTURES, 'corp-ca.pem'))
  })

  test('with an insecure or http:// mirror it is refused at its position', () => {
    const e = thrownUserError(() => parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["m:5000"]\ninsecure = true\nca-file = "corp-ca.pem"\n', 'spec.toml'))
    expect([e.rule, e.position?.line, e.position?.column, e.exitCode]).toEqual(['spec/invalid-value', 5, 1, 2])
    expect(thrownUserError(() => parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["http://m:5000"]\nca-file = "x.pem"\n', 'spec.toml')).message).toMatch(/plain HTTP/)
    expect(thrownUserError(() => parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["m:5000"]\nca-file = 1\n', 'spec.toml')).rule).toBe('spec/wrong-type')
  })

  test('a missing file, a private key or junk is exit 2 naming the file, before any host is contacted', async () => {
    const missing = await rejected(attachSpecCaFiles(parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["m:5000"]\nca-file = "nope.pem"\n', SPEC_FILE), undefined))
    expect([missing.exitCode, missing.position?.file]).toEqual([2, path.join(FIXTURES, 'nope.pem')])
    const key = await rejected(attachSpecCaFiles(parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["m:5000"]\nca-file = "private-key.pem"\n', SPEC_FILE), undefined))
    expect([key.exitCode, key.rule]).toEqual([2, 'ca-file/private-key'])
  })

  test('--ca-file with no verified TLS mirror in the spec, or two CAs for one host, is refused', async () => {
    const plain = parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["m:5000"]\ninsecure = true\n', SPEC_FILE)
    expect((await rejected(attachSpecCaFiles(plain, path.join(FIXTURES, 'corp-ca.pem')))).message).toMatch(/no verified TLS mirror/)
    const two = parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["m:5000"]\nca-file = "corp-ca.pem"\n[[mirror]]\nsource = "quay.io"\nmirrors = ["m:5000"]\nca-file = "other-ca.pem"\n', SPEC_FILE)
    expect((await rejected(attachSpecCaFiles(two, undefined))).rule).toBe('ca-file/conflict')
  })
})

describe('mirror add --ca-file', () => {
  test('every new mirror carries the CA; an insecure one or no mirror is refused', async () => {
    const ca = path.join(FIXTURES, 'corp-ca.pem')
    const [m] = await withCaFlag([parseMirrorArgument('m:5000')], ca)
    expect(m!.ca?.subject).toBe('CN=mirrorctl fixture CA A')
    expect((await rejected(withCaFlag([parseMirrorArgument('m:5000', {insecure: true})], ca))).rule).toBe('ca-file/insecure-mirror')
    expect((await rejected(withCaFlag([], ca))).message).toMatch(/needs a MIRROR/)
  })
})
