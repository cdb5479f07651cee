import {describe, it, expect} from 'vitest'
import {formatReference, isShortName, parseNormalized, parseReference, withDefaultTag} from '../../../src/core/image-reference.js'

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
})
