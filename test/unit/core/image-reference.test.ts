import {describe, it, expect} from 'vitest'
import {formatReference, isShortName, parseNamed, parseNormalized, parseReference, unusableLocation, withDefaultTag} from '../../../src/core/image-reference.js'

describe('image references', () => {
  it('normalises Docker Hub names the way the Go consumers do', () => {
    expect(formatReference(parseNormalized('nginx'))).toBe('docker.io/library/nginx')
    expect(formatReference(parseNormalized('library/nginx:1.27'))).toBe('docker.io/library/nginx:1.27')
    expect(formatReference(parseNormalized('index.docker.io/bitnami/redis'))).toBe('docker.io/bitnami/redis')
    expect(formatReference(parseNormalized('docker.io/alpine'))).toBe('docker.io/library/alpine')
    expect(formatReference(parseNormalized('quay.io/podman/hello'))).toBe('quay.io/podman/hello')
    expect(formatReference(parseNormalized('localhost/app'))).toBe('localhost/app')
    expect(formatReference(parseNormalized('registry.example.com:5000/a/b/c:v1'))).toBe('registry.example.com:5000/a/b/c:v1')
  })

  it('adds :latest only when neither tag nor digest is given', () => {
    const digest = 'sha256:' + 'a'.repeat(64)
    expect(formatReference(withDefaultTag(parseNormalized('alpine')))).toBe('docker.io/library/alpine:latest')
    expect(formatReference(withDefaultTag(parseNormalized(`alpine@${digest}`)))).toBe(`docker.io/library/alpine@${digest}`)
    expect(formatReference(withDefaultTag(parseNormalized(`alpine:3@${digest}`)))).toBe(`docker.io/library/alpine:3@${digest}`)
  })

  it('tells short names from qualified ones by the first component', () => {
    expect(isShortName('nginx')).toBe(true)
    expect(isShortName('library/nginx:1')).toBe(true)
    expect(isShortName('quay.io/x')).toBe(false)
    expect(isShortName('localhost/x')).toBe(false)
    expect(isShortName('host:5000/x')).toBe(false)
  })

  it('rejects what the grammar rejects', () => {
    expect(() => parseReference('Nginx')).toThrow(/lowercase/)
    expect(() => parseReference('nginx:')).toThrow(/invalid tag/)
    expect(() => parseReference('nginx@sha256:abc')).toThrow(/digest/)
    expect(() => parseReference('')).toThrow()
    expect(() => parseReference('a//b')).toThrow(/invalid reference/)
    expect(() => parseReference('x'.repeat(256))).toThrow(/255/)
  })

  it('takes IPv6 hosts in brackets without dots, as the distribution domain grammar does', () => {
    expect(parseReference('[::1]:5000/a/b').domain).toBe('[::1]:5000')
    expect(() => parseReference('[::ffff:127.0.0.1]:5000/a/b')).toThrow(/invalid reference format/)
  })

  it('limits the whole name (domain included) to 255 characters', () => {
    expect(parseReference(`a.io/${'x'.repeat(250)}`).path).toHaveLength(250)
    expect(() => parseReference(`a.io/${'x'.repeat(251)}`)).toThrow(/^repository name must not be more than 255 characters/)
  })

  it('ParseNormalizedNamed refuses a 64-hex identifier', () => {
    expect(() => parseNormalized('a'.repeat(64))).toThrow(/cannot specify 64-byte hexadecimal strings/)
  })

  it('parseNamed (ParseNamed) wants the canonical form', () => {
    expect(formatReference(parseNamed('docker.io/library/ubuntu:1'))).toBe('docker.io/library/ubuntu:1')
    expect(() => parseNamed('docker.io/ubuntu:1')).toThrow(/^repository name must be canonical/)
    expect(() => parseNamed('index.docker.io/library/ubuntu')).toThrow(/^repository name must be canonical/)
    expect(() => parseNamed('ubuntu')).toThrow(/^repository name must be canonical/)
    expect(() => parseNamed('mirror/x/y')).toThrow(/^repository name must be canonical/)
  })

  it('tells locations no reference can be built from', () => {
    for (const ok of ['docker.io', 'docker.io/library', 'localhost', 'm.example.com:5000/hub', '[::1]:5000', 'Mirror.Example.com']) expect(unusableLocation(ok), ok).toBeNull()
    expect(unusableLocation('[::ffff:127.0.0.1]:5000')).toMatch(/invalid reference format/)
    expect(unusableLocation('index.docker.io')).toMatch(/canonical/)
    expect(unusableLocation('mirror')).toMatch(/canonical/)
    expect(unusableLocation('m.example.com/a\n"b')).toMatch(/invalid reference format/)
    expect(unusableLocation(`m.example.com/${'a'.repeat(250)}`)).toMatch(/255/)
  })
})
