import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'
import {certsDirName, containerdCaPath, containersCaPath, dockerCaPath, holdsSameCertificates, mirrorsWithCa, parseCaBundle, refuseCaForInsecure} from '../../../src/policy/ca-files.js'
import {parseMirrorArgument} from '../../../src/policy/mirror-policy.js'
import {thrownUserError} from '../fleet/thrown.js'

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/ca/${name}`, import.meta.url))
const parsed = (name: string) => parseCaBundle(fixture(name), name)

describe('parseCaBundle: PEM certificates only', () => {
  test('a CA certificate: canonical PEM, fingerprint and subject', () => {
    const ca = parsed('corp-ca.pem')
    expect(ca.pem).toBe(fixture('corp-ca.pem').toString('utf8'))
    expect(ca.fingerprints).toHaveLength(1)
    expect(ca.subject).toBe('CN=mirrorctl fixture CA A')
  })

  test('a bundle keeps every certificate in order', () => {
    const b = parsed('bundle.pem')
    expect(b.fingerprints).toEqual([parsed('corp-ca.pem').fingerprints[0], parsed('other-ca.pem').fingerprints[0]])
    expect(b.pem).toBe(fixture('bundle.pem').toString('utf8'))
  })

  test('text around the blocks (openssl x509 -text output) is skipped, as Go skips it; CRLF gives the same PEM', () => {
    expect(parsed('ca-openssl-text.pem').pem).toBe(parsed('corp-ca.pem').pem)
    expect(parsed('corp-ca-crlf.pem').pem).toBe(parsed('corp-ca.pem').pem)
  })

  test.each([
    ['private-key.pem', 'ca-file/private-key', /private key/],
    ['ca-with-key.pem', 'ca-file/private-key', /private key/],
    ['csr.pem', 'ca-file/not-certificate', /CERTIFICATE REQUEST/],
    ['junk.pem', 'ca-file/not-pem', /no PEM certificate/],
    ['corp-ca.der', 'ca-file/not-pem', /no PEM certificate/],
    ['broken.pem', 'ca-file/bad-certificate', /certificate 1 does not parse/],
  ])('%s is refused (%s), exit 2, with a hint and the file named', (name, rule, message) => {
    const e = thrownUserError(() => parsed(name))
    expect(e.rule).toBe(rule)
    expect(e.exitCode).toBe(2)
    expect(e.message).toMatch(message)
    expect(e.hint).toBeTruthy()
    expect(e.position?.file).toBe(name)
  })

  test('an empty file is refused', () => {
    expect(thrownUserError(() => parseCaBundle('', 'empty.pem')).rule).toBe('ca-file/not-pem')
  })
})

describe('idempotence: the same certificates in any PEM formatting count as the same CA', () => {
  const ca = parsed('corp-ca.pem')
  test.each([
    ['corp-ca.pem', true],
    ['corp-ca-crlf.pem', true],
    ['ca-openssl-text.pem', true],
    ['other-ca.pem', false],
    ['bundle.pem', false],
    ['junk.pem', false],
  ])('%s -> %s', (name, same) => expect(holdsSameCertificates(fixture(name).toString('latin1'), ca)).toBe(same))
  test('no file is not the same', () => expect(holdsSameCertificates(null, ca)).toBe(false))
})

describe('where each engine looks for a mirror host', () => {
  const m = (given: string) => parseMirrorArgument(given)
  test.each([
    // A port only when the mirror has one; the default port stays out unless written.
    ['mirror.example.com', 'mirror.example.com'],
    ['mirror.example.com:5000', 'mirror.example.com:5000'],
    ['https://mirror.example.com:443', 'mirror.example.com:443'],
    ['Mirror.Example.com:5000/dockerhub-proxy', 'mirror.example.com:5000'],
    // IPv6: url.Host and reference.Domain keep the brackets.
    ['[::1]:5000', '[::1]:5000'],
    ['https://[fd00::5]', '[fd00::5]'],
  ])('%s -> certs.d/%s', (given, folder) => {
    expect(certsDirName(m(given))).toBe(folder)
    expect(dockerCaPath(m(given))).toBe(`/etc/docker/certs.d/${folder}/ca.crt`)
    expect(containersCaPath(m(given))).toBe(`/etc/containers/certs.d/${folder}/ca.crt`)
  })

  test('containerd: beside hosts.toml, no brackets or colons, and not *.crt (the certs.d fallback would trust it for the upstream)', () => {
    expect(containerdCaPath('/etc/containerd/certs.d/docker.io', m('[::1]:5000'))).toBe('/etc/containerd/certs.d/docker.io/mirrorctl-ca-__1_5000.pem')
    expect(containerdCaPath('/etc/containerd/certs.d/docker.io/', m('mirror.example.com:5000'))).toBe('/etc/containerd/certs.d/docker.io/mirrorctl-ca-mirror.example.com_5000.pem')
  })
})

describe('which mirrors take a CA', () => {
  const ca = parsed('corp-ca.pem')
  const other = parsed('other-ca.pem')
  test('plain HTTP and insecure mirrors are refused', () => {
    expect(thrownUserError(() => refuseCaForInsecure(parseMirrorArgument('http://m:5000'), 'ca.pem')).rule).toBe('ca-file/insecure-mirror')
    expect(thrownUserError(() => refuseCaForInsecure(parseMirrorArgument('m:5000', {insecure: true}), 'ca.pem')).message).toMatch(/insecure/)
    expect(() => refuseCaForInsecure(parseMirrorArgument('https://m:5000'), 'ca.pem')).not.toThrow()
  })
  test('one entry per host; one host with two different CAs is refused', () => {
    const a = {...parseMirrorArgument('m:5000'), ca}
    const b = {...parseMirrorArgument('m:5000/ns'), ca}
    expect(mirrorsWithCa([a, b, parseMirrorArgument('n:5000')]).map((x) => x.host)).toEqual(['m:5000'])
    expect(thrownUserError(() => mirrorsWithCa([a, {...b, ca: other}])).rule).toBe('ca-file/conflict')
  })
})
