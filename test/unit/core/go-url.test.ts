import {describe, expect, it, test} from 'vitest'
import {goHostname, goPort, parseGoUrl, type GoUrl} from '../../../src/core/go-url.js'

function ok(raw: string): GoUrl {
  const r = parseGoUrl(raw)
  if (!r.ok) throw new Error(`${raw}: ${r.error}`)
  return r.url
}

const err = (raw: string): string => {
  const r = parseGoUrl(raw)
  return r.ok ? 'parsed' : r.error
}

describe('parseGoUrl (Go net/url.Parse rules that matter for proxies)', () => {
  it('reads "host:port" as scheme "host" with an opaque part', () => {
    expect(ok('proxy:3128')).toMatchObject({scheme: 'proxy', opaque: '3128', host: ''})
    expect(ok('proxy.example:31 28')).toMatchObject({scheme: 'proxy.example', opaque: '31 28'})
  })

  it('has no scheme when the first character is a digit, and then refuses a colon', () => {
    expect(err('10.0.0.1:3128')).toBe('first path segment in URL cannot contain colon')
    expect(err(':3128')).toBe('missing protocol scheme')
  })

  it('splits user info at the last "@" and unescapes it', () => {
    const u = ok('http://us%20er:p@ss@proxy:3128')
    expect(u.user).toMatchObject({username: 'us er', password: 'p@ss', rawUsername: 'us%20er'})
    expect(u.host).toBe('proxy:3128')
    expect(ok('http://token@proxy').user?.password).toBeUndefined()
  })

  it('rejects bad hosts, ports and escapes', () => {
    expect(err('http://pro xy:3128')).toBe('invalid character " " in host name')
    expect(err('http://proxy:31a')).toBe('invalid port ":31a" after host')
    expect(err('http://[::1')).toBe("missing ']' in host")
    expect(err('http://[1.2.3.4]/')).toBe('invalid IP-literal in brackets')
    expect(err('http://%41b/')).toBe('invalid URL escape "%41"')
    expect(err('http://u:p w@h')).toBe('invalid character in the user info')
    expect(err('http://u:%zz@h')).toBe('invalid %-escape in the user info')
    expect(err('http://h/\x01')).toBe('invalid control character in URL')
    expect(err('http://h/%zz')).toBe('invalid URL escape "%zz"')
  })

  it('accepts what Go accepts', () => {
    expect(ok('http://http://proxy :3128')).toMatchObject({host: 'http:', path: '//proxy :3128'})
    expect(ok('http://proxy:')).toMatchObject({host: 'proxy:'})
    expect(ok('http://[fe80::1%25eth0]:80/x?q#f')).toMatchObject({host: '[fe80::1%eth0]:80', path: '/x', rawQuery: 'q', fragment: 'f'})
    expect(ok('HTTP://h')).toMatchObject({scheme: 'http'})
  })

  it('Hostname and Port', () => {
    expect([goHostname(ok('http://[::1]:5000')), goPort(ok('http://[::1]:5000'))]).toEqual(['::1', '5000'])
    expect([goHostname(ok('http://proxy:')), goPort(ok('http://proxy:'))]).toEqual(['proxy', ''])
    expect([goHostname(ok('http://fd00::1:3128')), goPort(ok('http://fd00::1:3128'))]).toEqual(['fd00::1', '3128'])
  })
})

describe('parseGoUrl: cases dockerd mirror validation depends on', () => {
  test('a full URL', () => {
    const r = parseGoUrl('HTTPS://user:pw@Mirror.example.com:5000/a/b?x=1#f')
    expect(r.ok && r.url).toMatchObject({
      scheme: 'https',
      opaque: '',
      user: {username: 'user', password: 'pw'},
      host: 'Mirror.example.com:5000',
      path: '/a/b',
      rawQuery: 'x=1',
      fragment: 'f',
    })
  })

  test.each([
    ['mirror.example.com:5000', {scheme: 'mirror.example.com', opaque: '5000'}],
    ['mirror.example.com', {scheme: '', path: 'mirror.example.com'}],
    ['https:mirror', {scheme: 'https', opaque: 'mirror'}],
    ['https://', {scheme: 'https', host: ''}],
    ['https://[::1]:5000', {host: '[::1]:5000'}],
  ])('%s', (raw, parts) => {
    const r = parseGoUrl(raw)
    expect(r.ok && r.url).toMatchObject(parts)
  })

  test.each([
    ['10.0.0.1:5000', 'first path segment in URL cannot contain colon'],
    [':5000', 'missing protocol scheme'],
    ['https://m:abc', 'invalid port ":abc" after host'],
    ['https://m.example.com /', 'invalid character " " in host name'],
    ['https://[::1', "missing ']' in host"],
    ['https://m/%zz', 'invalid URL escape "%zz"'],
    ['https://m\n', 'invalid control character in URL'],
    // the wording never quotes user info, which may hold a password
    ['https://us er@m', 'invalid character in the user info'],
  ])('%s is rejected', (raw, error) => {
    expect(parseGoUrl(raw)).toEqual({ok: false, error})
  })
})
