import {describe, expect, it} from 'vitest'
import {
  configFromEnv,
  configFromSourcedEnv,
  decideProxy,
  labelEnv,
  looksInternal,
  maskProxyValue,
  maskUrlCredentials,
  parseNoProxy,
  parseProxyValue,
  suggestNoProxy,
  type ProxyConfig,
  type ProxyDecision,
} from '../../../src/net/proxy.js'

const cfg = (env: Record<string, string>): ProxyConfig => configFromEnv(env)

/** Where a request goes: the masked proxy, or 'direct'. */
function route(target: string | URL, env: Record<string, string>): string {
  return decideProxy(target, cfg(env)).proxy ?? 'direct'
}

/** Every field a user may see, i.e. all but the unmasked proxyUrl. */
function visible(d: ProxyDecision): string {
  const {proxyUrl: _unmasked, ...rest} = d
  return JSON.stringify(rest)
}

describe('configFromEnv (which variable Go reads)', () => {
  it('prefers the upper-case variable when both are set (curl does the opposite)', () => {
    const c = cfg({HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2'})
    expect(c.httpsProxy).toEqual({value: 'http://upper:1', source: 'HTTPS_PROXY'})
  })

  it('falls through to lower case when the upper-case variable is set but empty', () => {
    const c = cfg({HTTP_PROXY: '', http_proxy: 'http://lower:3128', NO_PROXY: '', no_proxy: 'corp'})
    expect(c.httpProxy).toEqual({value: 'http://lower:3128', source: 'http_proxy'})
    expect(c.noProxy).toEqual({value: 'corp', source: 'no_proxy'})
  })

  it('reads lower case alone, and leaves unset or empty variables out', () => {
    expect(cfg({https_proxy: 'p:1'})).toEqual({httpsProxy: {value: 'p:1', source: 'https_proxy'}})
    expect(configFromEnv({HTTPS_PROXY: undefined, https_proxy: ''})).toEqual({})
  })

  it('labels sources', () => {
    const c = configFromEnv({NO_PROXY: 'a'}, name => `/etc/environment: ${name}`)
    expect(c.noProxy?.source).toBe('/etc/environment: NO_PROXY')
    expect(labelEnv({A: 'x', B: undefined})).toEqual({A: {value: 'x', source: 'A'}})
    expect(configFromSourcedEnv({HTTPS_PROXY: {value: 'p', source: 'file:3: HTTPS_PROXY'}}).httpsProxy?.source).toBe('file:3: HTTPS_PROXY')
  })

  it('ignores REQUEST_METHOD: daemons are never CGI handlers', () => {
    expect(route('http://example.com/', {HTTP_PROXY: 'proxy:3128', REQUEST_METHOD: 'GET'})).toBe('http://proxy:3128')
  })
})

describe('decideProxy: the target scheme picks the variable', () => {
  it('never falls back from HTTPS_PROXY to HTTP_PROXY', () => {
    const d = decideProxy('https://registry-1.docker.io/v2/', cfg({HTTP_PROXY: 'http://proxy:3128'}))
    expect(d).toMatchObject({proxy: null, via: 'unset', decidedBy: 'HTTPS_PROXY'})
    expect(d.reason).toMatch(/HTTP_PROXY is set, but Go never uses the HTTP proxy for https:\/\/ URLs/)
  })

  it('uses only HTTP_PROXY for http:// targets', () => {
    expect(route('http://mirror.example.com/', {HTTPS_PROXY: 'http://secure:1'})).toBe('direct')
    expect(route('http://insecure.example/', {HTTP_PROXY: 'http.proxy.example', HTTPS_PROXY: 'secure.proxy.example'})).toBe('http://http.proxy.example:80')
  })

  it('uses HTTPS_PROXY for https:// targets, scheme-less value read as http://', () => {
    expect(route('https://secure.example/', {HTTP_PROXY: 'http.proxy.example', HTTPS_PROXY: 'secure.proxy.example'})).toBe('http://secure.proxy.example:80')
    expect(route('https://secure.example/', {HTTPS_PROXY: 'https://secure.proxy.example'})).toBe('https://secure.proxy.example:443')
  })

  it('never proxies other schemes', () => {
    const d = decideProxy('ftp://files.example/', cfg({HTTP_PROXY: 'proxy', HTTPS_PROXY: 'proxy'}))
    expect(d).toMatchObject({proxy: null, via: 'scheme', decidedBy: 'ftp'})
  })

  it('takes a target without scheme as https', () => {
    const d = decideProxy('mirror.example.com:5000', cfg({HTTPS_PROXY: 'proxy:3128'}))
    expect(d).toMatchObject({url: 'https://mirror.example.com:5000', proxy: 'http://proxy:3128', via: 'proxy', decidedBy: 'HTTPS_PROXY'})
  })

  it('accepts URL objects', () => {
    expect(route(new URL('https://Mirror.Example.com:443/v2/'), {HTTPS_PROXY: 'p:1', NO_PROXY: 'mirror.example.com:443'})).toBe('direct')
  })

  it('reports the source of the deciding setting', () => {
    const d = decideProxy('https://quay.io/', configFromEnv({HTTPS_PROXY: 'proxy:3128'}, n => `daemon.json proxies.${n}`))
    expect(d.decidedBy).toBe('daemon.json proxies.HTTPS_PROXY')
    expect(d.reason).toContain('daemon.json proxies.HTTPS_PROXY is set')
  })
})

describe('proxy values as Go reads them', () => {
  it.each([
    ['127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['cache.corp.example.com:1234', 'http://cache.corp.example.com:1234'],
    ['cache.corp.example.com', 'http://cache.corp.example.com:80'],
    ['localhost', 'http://localhost:80'],
    ['https://cache.corp.example.com', 'https://cache.corp.example.com:443'],
    ['https://127.0.0.1:8080', 'https://127.0.0.1:8080'],
    ['socks5://127.0.0.1', 'socks5://127.0.0.1:1080'],
    ['socks5h://proxy.example', 'socks5h://proxy.example:1080'],
    ['HTTP://Proxy.Example:3128/ignored/path', 'http://Proxy.Example:3128'],
    ['http://[fd00::3]:3128', 'http://[fd00::3]:3128'],
  ])('%s -> %s', (value, display) => {
    const p = parseProxyValue(value)
    expect(p.display).toBe(display)
    expect(p.problem).toBeUndefined()
  })

  it('keeps an unknown scheme (Go does not go direct) and explains it', () => {
    const noPort = parseProxyValue('foo://host')
    expect(noPort.display).toBe('foo://host')
    expect(noPort.problem).toMatch(/scheme "foo".*does not go direct.*connection fails/)
    const withPort = parseProxyValue('ftp://proxy.example:21')
    expect(withPort.display).toBe('ftp://proxy.example:21')
    expect(withPort.problem).toMatch(/connects to proxy\.example:21 and speaks plain HTTP proxy protocol/)
    expect(route('https://x.example/', {HTTPS_PROXY: 'foo://host'})).toBe('foo://host')
  })

  it('ignores a value Go cannot parse at all: direct, with a problem', () => {
    for (const value of ['proxy :3128', '%zz', 'http://proxy.example:3128/%zz']) {
      const d = decideProxy('https://mirror.example/', cfg({HTTPS_PROXY: value}))
      expect(d).toMatchObject({proxy: null, proxyUrl: null, via: 'ignored', decidedBy: 'HTTPS_PROXY'})
      expect(d.problem).toMatch(/Go cannot parse this proxy value.*requests go direct/)
    }
    expect(parseProxyValue('proxy :3128').problem).toContain('whitespace')
  })

  it('reads "name:junk" as scheme "name" when the "http://" retry fails too', () => {
    // "proxy.example" is a valid scheme; "http://proxy.example:31 28" has a bad port.
    const d = decideProxy('https://mirror.example/', cfg({HTTPS_PROXY: 'proxy.example:31 28'}))
    expect(d.via).toBe('proxy')
    expect(d.problem).toMatch(/reads "proxy\.example:" as the URL scheme and finds no host/)
  })

  it('shows what the "http://" retry does to a broken URL that has a scheme', () => {
    // Go's fallback parses "http://http://proxy :3128": the host becomes "http".
    const d = decideProxy('https://mirror.example/', cfg({HTTPS_PROXY: 'http://proxy :3128'}))
    expect(d.via).toBe('proxy')
    expect(d.proxy).toBe('http://http:80')
    expect(d.problem).toMatch(/invalid character " " in host name.*proxy host "http".*fail instead of going direct/)
  })

  it('flags a value without host and an out-of-range port', () => {
    expect(parseProxyValue(':3128').problem).toMatch(/no host name, so Go connects to port 3128 on the local machine/)
    expect(parseProxyValue('http://proxy:99999').problem).toMatch(/port 99999 is out of range/)
  })

  it('gives probes the unmasked URL', () => {
    const p = parseProxyValue('http://user:p%40ss@proxy.example:3128')
    expect(p.display).toBe('http://user:***@proxy.example:3128')
    expect(p.webUrl?.username).toBe('user')
    expect(decodeURIComponent(p.webUrl?.password ?? '')).toBe('p@ss')
    expect(p.webUrl?.host).toBe('proxy.example:3128')
  })
})

describe('credentials never leak', () => {
  const secret = 's3cr3t'
  it.each([
    `http://alice:${secret}@proxy.example:3128`,
    `alice:${secret}@proxy.example:3128`,
    `http://alice:${secret}@pro xy.example:3128`,
    `alice:${secret} x@proxy.example:3128`,
    `socks5://alice:${secret}@[fd00::1]`,
    `foo://alice:${secret}@proxy.example`,
    `http://alice:${secret}@proxy.example:99999`,
  ])('%s', value => {
    for (const target of ['https://mirror.example/', `https://bob:${secret}@mirror.example/`]) {
      const d = decideProxy(target, cfg({HTTPS_PROXY: value, NO_PROXY: 'other.example'}))
      expect(visible(d)).not.toContain(secret)
    }
    const p = parseProxyValue(value)
    expect(`${p.display} ${p.problem}`).not.toContain(secret)
  })

  it('maskUrlCredentials masks passwords in free text', () => {
    expect(maskUrlCredentials('HTTPS_PROXY=http://u:pw@proxy:3128 and http://v:x@y/z')).toBe('HTTPS_PROXY=http://u:***@proxy:3128 and http://v:***@y/z')
    expect(maskUrlCredentials('user:pass@proxy:3128')).toBe('user:***@proxy:3128')
    expect(maskUrlCredentials('http://u:p@ss@proxy:3128')).toBe('http://u:***@proxy:3128')
    expect(maskUrlCredentials('http://token@proxy:3128 http://proxy:3128')).toBe('http://token@proxy:3128 http://proxy:3128')
    expect(maskUrlCredentials('"http://u:pw@h"')).toBe('"http://u:***@h"')
  })

  it('maskProxyValue masks a whole value, spaces included', () => {
    expect(maskProxyValue('http://u:p w@d@proxy:3128')).toBe('http://u:***@proxy:3128')
    expect(maskProxyValue('u:pw@proxy')).toBe('u:***@proxy')
    expect(maskProxyValue('http://proxy:3128')).toBe('http://proxy:3128')
    expect(maskProxyValue('http://token@proxy')).toBe('http://token@proxy')
  })
})

describe('localhost and loopback', () => {
  const env = {HTTPS_PROXY: 'proxy:3128', HTTP_PROXY: 'proxy:3128'}
  it('never proxies the host "localhost" or loopback literals', () => {
    expect(decideProxy('https://localhost:5000/', cfg(env))).toMatchObject({proxy: null, via: 'localhost', decidedBy: 'localhost'})
    for (const t of ['https://127.0.0.1/', 'https://127.0.0.2:5000/', 'http://[::1]:5000/', 'https://[::ffff:127.0.0.1]/', 'https://[::1%25lo]/']) {
      expect(decideProxy(t, cfg(env))).toMatchObject({proxy: null, via: 'loopback', decidedBy: 'loopback'})
    }
  })

  it('does no DNS: names under localhost and other addresses are proxied', () => {
    expect(route('https://foo.localhost/', env)).toBe('http://proxy:3128')
    expect(route('https://localhost.localdomain/', env)).toBe('http://proxy:3128')
    expect(route('https://[::2]/', env)).toBe('http://proxy:3128')
  })

  it('compares "localhost" case-sensitively (before lower-casing, as Go does)', () => {
    expect(route('https://LOCALHOST/', env)).toBe('http://proxy:3128')
  })
})

describe('NO_PROXY entries', () => {
  const noProxy = 'registry.corp, .mirror.net, *.cache.io, 10.20.30.40, 10.20.30.41:81, 10.20.30.42:443, 172.16.0.0/30, fd00::10, [fd00::11]:5000, [fd00::12]:443, 2001:db8:a::/64'
  const env = {HTTPS_PROXY: 'proxy:3128', NO_PROXY: noProxy}
  it.each([
    ['https://registry.corp/', 'registry.corp'],
    ['https://sub.registry.corp/', 'registry.corp'],
    ['https://a.b.registry.corp:5000/', 'registry.corp'],
    ['https://xregistry.corp/', null],
    ['https://mirror.net/', null],
    ['https://a.mirror.net/', '.mirror.net'],
    ['https://cache.io/', null],
    ['https://a.cache.io/', '*.cache.io'],
    ['https://acache.io/', null],
    ['https://10.20.30.40/', '10.20.30.40'],
    ['https://10.20.30.40:5000/', '10.20.30.40'],
    ['https://10.20.30.41/', null],
    ['https://10.20.30.41:81/', '10.20.30.41:81'],
    ['https://10.20.30.42/', '10.20.30.42:443'],
    ['https://10.20.30.43/', null],
    ['https://172.16.0.2/', '172.16.0.0/30'],
    ['https://172.16.0.4/', null],
    ['https://[fd00::10]/', 'fd00::10'],
    ['https://[fd00:0::10]:8443/', 'fd00::10'],
    ['https://[fd00::11]/', null],
    ['https://[fd00::11]:5000/', '[fd00::11]:5000'],
    ['https://[fd00::12]/', '[fd00::12]:443'],
    ['https://[2001:db8:a::123]/', '2001:db8:a::/64'],
    ['https://[2001:db8:b::1]/', null],
    ['https://[fe80::424b:c8be:1643:a1b6]/', null],
  ])('%s -> %s', (target, entry) => {
    const d = decideProxy(target, cfg(env))
    if (entry === null) {
      expect(d).toMatchObject({proxy: 'http://proxy:3128', via: 'proxy'})
    } else {
      expect(d).toMatchObject({proxy: null, via: 'no-proxy', decidedBy: entry})
      expect(d.reason).toContain(`NO_PROXY entry "${entry}"`)
    }
  })

  it('"*" anywhere in the list matches everything', () => {
    for (const t of ['https://a.example/', 'https://10.1.1.1/', 'https://[fd00::1]:5000/']) {
      expect(decideProxy(t, cfg({HTTPS_PROXY: 'p:1', NO_PROXY: 'foo.example, *, bar.example'}))).toMatchObject({proxy: null, decidedBy: '*'})
    }
  })

  it('"example.com" matches the domain and subdomains; ".example.com" subdomains only', () => {
    expect(route('https://example.com/', {HTTPS_PROXY: 'p:1', NO_PROXY: 'example.com'})).toBe('direct')
    expect(route('https://www.example.com/', {HTTPS_PROXY: 'p:1', NO_PROXY: 'example.com'})).toBe('direct')
    expect(route('https://example.com/', {HTTPS_PROXY: 'p:1', NO_PROXY: '.example.com'})).toBe('http://p:1')
    expect(route('https://example.com/', {HTTPS_PROXY: 'p:1', NO_PROXY: '*.example.com'})).toBe('http://p:1')
    expect(route('https://example.com/', {HTTPS_PROXY: 'p:1', NO_PROXY: 'ample.com'})).toBe('http://p:1')
    expect(route('https://example.com/', {HTTPS_PROXY: 'p:1', NO_PROXY: '.foo.com'})).toBe('http://p:1')
  })

  it('a port-specific entry does not match the default port 443', () => {
    const env5000 = {HTTPS_PROXY: 'p:1', NO_PROXY: 'mirror.example.com:5000'}
    expect(route('https://mirror.example.com/', env5000)).toBe('http://p:1')
    expect(route('https://mirror.example.com:5000/', env5000)).toBe('direct')
    expect(route('https://mirror.example.com/', {HTTPS_PROXY: 'p:1', NO_PROXY: 'mirror.example.com:443'})).toBe('direct')
    expect(route('http://mirror.example.com/', {HTTP_PROXY: 'p:1', NO_PROXY: 'mirror.example.com:443'})).toBe('http://p:1')
  })

  it('IP entries never match host names, domain entries never match IP literals', () => {
    expect(route('https://mirror.internal/', {HTTPS_PROXY: 'p:1', NO_PROXY: '10.0.0.5,10.0.0.0/8'})).toBe('http://p:1')
    expect(route('https://10.0.0.5/', {HTTPS_PROXY: 'p:1', NO_PROXY: '.0.5, 0.0.5'})).toBe('http://p:1')
  })

  it('IPv4 CIDRs also match IPv4-mapped IPv6 literals; IPv6 CIDRs match IPv6', () => {
    expect(route('https://[::ffff:10.1.2.3]/', {HTTPS_PROXY: 'p:1', NO_PROXY: '10.0.0.0/8'})).toBe('direct')
    expect(route('https://[fd12::1]/', {HTTPS_PROXY: 'p:1', NO_PROXY: 'fd00::/8'})).toBe('direct')
    expect(route('https://10.1.2.3/', {HTTPS_PROXY: 'p:1', NO_PROXY: '::/0'})).toBe('http://p:1')
  })

  it('"[fd00::1]" without port is useless; "[fd00::1]:5000" needs port 5000', () => {
    expect(route('https://[fd00::1]/', {HTTPS_PROXY: 'p:1', NO_PROXY: '[fd00::1]'})).toBe('http://p:1')
    expect(route('https://[fd00::1]:5000/', {HTTPS_PROXY: 'p:1', NO_PROXY: '[fd00::1]'})).toBe('http://p:1')
    expect(route('https://[fd00::1]:5000/', {HTTPS_PROXY: 'p:1', NO_PROXY: '[fd00::1]:5000'})).toBe('direct')
    expect(route('https://[fd00::1]/', {HTTPS_PROXY: 'p:1', NO_PROXY: '[fd00::1]:5000'})).toBe('http://p:1')
  })

  it('"fd00::1:5000" is the address fd00::1:5000, not port 5000', () => {
    expect(route('https://[fd00::1]:5000/', {HTTPS_PROXY: 'p:1', NO_PROXY: 'fd00::1:5000'})).toBe('http://p:1')
    expect(route('https://[fd00::1:5000]/', {HTTPS_PROXY: 'p:1', NO_PROXY: 'fd00::1:5000'})).toBe('direct')
  })

  it('compares trailing dots literally', () => {
    expect(route('https://example.com/', {HTTPS_PROXY: 'p:1', NO_PROXY: 'example.com.'})).toBe('http://p:1')
    expect(route('https://example.com./', {HTTPS_PROXY: 'p:1', NO_PROXY: 'example.com.'})).toBe('direct')
    expect(route('https://example.com./', {HTTPS_PROXY: 'p:1', NO_PROXY: 'example.com'})).toBe('http://p:1')
  })

  it('treats wildcards in the middle literally', () => {
    expect(route('https://a.b.com/', {HTTPS_PROXY: 'p:1', NO_PROXY: 'a.*.com'})).toBe('http://p:1')
    expect(route('https://example.com/', {HTTPS_PROXY: 'p:1', NO_PROXY: '*example.com'})).toBe('http://p:1')
  })

  it('is case-insensitive and trims entries', () => {
    expect(route('https://MIRROR.Example.COM/', {HTTPS_PROXY: 'p:1', NO_PROXY: ' Example.com , other'})).toBe('direct')
  })

  it('converts IDNA names to punycode on both sides', () => {
    const http = {HTTP_PROXY: 'proxy'}
    expect(route('http://www.示例.com', {...http, NO_PROXY: '.示例.com'})).toBe('direct')
    expect(route('http://www.示例.com', {...http, NO_PROXY: 'xn--fsq092h.com'})).toBe('direct')
    expect(route('http://www.xn--fsq092h.com', {...http, NO_PROXY: '示例.com'})).toBe('direct')
    expect(route('http://www.示例.org', {...http, NO_PROXY: '示例.com'})).toBe('http://proxy:80')
  })

  it('does not treat an IPv6 zone as a domain suffix (CVE-2025-22870)', () => {
    expect(route('http://[1000::%25.example.com]:123', {HTTP_PROXY: 'proxy', NO_PROXY: 'example.com'})).toBe('http://proxy:80')
  })

  it('skips malformed entries without failing', () => {
    expect(route('http://example.com', {HTTP_PROXY: 'proxy', NO_PROXY: ':1'})).toBe('http://proxy:80')
    expect(route('http://example.com', {HTTP_PROXY: 'proxy', NO_PROXY: ',,  ,'})).toBe('http://proxy:80')
  })

  it('reads leading zeros as a name, not an address', () => {
    expect(route('https://10.0.0.1/', {HTTPS_PROXY: 'p:1', NO_PROXY: '010.0.0.1'})).toBe('http://p:1')
  })

  it('parseNoProxy classifies entries and explains useless ones', () => {
    const entries = parseNoProxy('*, 10.0.0.0/8, 10.0.0.1:5000, example.com:5000, [fd00::1], fd00::1:5000, a.*.com, x.com., :1, 010.0.0.1')
    expect(entries.map(e => e.kind)).toEqual(['all', 'cidr', 'ip', 'domain', 'domain', 'ip', 'domain', 'domain', 'skipped', 'domain'])
    const notes = entries.map(e => e.note ?? '')
    expect(notes[4]).toMatch(/brackets without a port/)
    expect(notes[5]).toMatch(/IPv6 address fd00::1:5000, not as port 5000/)
    expect(notes[6]).toMatch(/literal character/)
    expect(notes[7]).toMatch(/trailing dot/)
    expect(notes[9]).toMatch(/not an IPv4 address for Go/)
  })
})

describe('Go proxy_test.go facts (cross-check)', () => {
  // Expectations restated from golang.org/x/net/http/httpproxy tests; Go prints the proxy
  // URL without a default port, mirrorctl shows the port Go dials.
  it.each([
    [{HTTP_PROXY: 'http.proxy.tld'}, 'https://secure.tld/', 'direct'],
    [{HTTP_PROXY: 'http.proxy.tld'}, 'ftp://insecure.tld/', 'direct'],
    [{HTTPS_PROXY: 'https://secure.proxy.tld'}, 'https://secure.tld/', 'https://secure.proxy.tld:443'],
    [{}, 'http://example.com', 'direct'],
    [{NO_PROXY: 'example.com', HTTP_PROXY: 'proxy'}, 'http://example.com/', 'direct'],
    [{NO_PROXY: '.example.com', HTTP_PROXY: 'proxy'}, 'http://example.com/', 'http://proxy:80'],
    [{NO_PROXY: 'example.com', HTTP_PROXY: 'proxy'}, 'http://foo.example.com/', 'direct'],
    [{HTTP_PROXY: 'foo://host'}, 'http://example.com', 'foo://host'],
  ] as const)('%o %s', (env, target, expected) => {
    expect(route(target, env)).toBe(expected)
  })

  it('useProxy table: never localhost/loopback, exact IPs, ports, CIDRs, domains', () => {
    const env = {HTTP_PROXY: 'proxy', NO_PROXY: 'foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64'}
    const direct = ['localhost', '127.0.0.1', '127.0.0.2', '[::1]', '192.168.1.1', '192.168.1.3', '10.0.0.2', '[2001:db8::52:0:1]', '[2001:db8::52:0:3]', '[2002:db8:a::123]', 'www.barbaz.net', 'foobar.com', 'www.foobar.com', 'nested.wildcard.io']
    const proxied = ['[::2]', '192.168.1.2', '192.168.1.4', '[2001:db8::52:0:2]', '[fe80::424b:c8be:1643:a1b6]', 'barbaz.net', 'foofoobar.com', 'baz.com', 'localhost.net', 'local.localhost', 'barbarbaz.net', 'wildcard.io', 'awildcard.io']
    for (const h of direct) expect(route(`http://${h}:80`, env), h).toBe('direct')
    for (const h of proxied) expect(route(`http://${h}:80`, env), h).toBe('http://proxy:80')
  })
})

describe('suggestNoProxy', () => {
  it('starts a list with the bare host and the loopback names curl needs', () => {
    expect(suggestNoProxy(undefined, 'mirror.example.com:5000')).toBe('mirror.example.com,localhost,127.0.0.1,::1')
    expect(suggestNoProxy('', 'https://user:pw@Mirror.Example.com:5000/v2/')).toBe('mirror.example.com,localhost,127.0.0.1,::1')
  })

  it('keeps existing entries as written and appends what is missing', () => {
    expect(suggestNoProxy('corp.example, .svc,localhost', '10.1.2.3:5000')).toBe('corp.example, .svc,localhost,10.1.2.3,127.0.0.1,::1')
    expect(suggestNoProxy('a.example,', '[fd00::1]:5000')).toBe('a.example,fd00::1,localhost,127.0.0.1,::1')
  })

  it('is idempotent and returns the input unchanged when nothing is missing', () => {
    const once = suggestNoProxy('foo.example', 'mirror.example.com')
    expect(suggestNoProxy(once, 'mirror.example.com')).toBe(once)
    const complete = ' localhost, 127.0.0.1 ,::1, mirror.example.com '
    expect(suggestNoProxy(complete, 'mirror.example.com:443')).toBe(complete)
  })

  it('counts a parent domain as covering (Go and curl agree), not "*." or port entries', () => {
    expect(suggestNoProxy('example.com,localhost,127.0.0.1,::1', 'mirror.example.com')).toBe('example.com,localhost,127.0.0.1,::1')
    expect(suggestNoProxy('.example.com,localhost,127.0.0.1,::1', 'mirror.example.com')).toBe('.example.com,localhost,127.0.0.1,::1')
    expect(suggestNoProxy('*.example.com,localhost,127.0.0.1,::1', 'mirror.example.com')).toBe('*.example.com,localhost,127.0.0.1,::1,mirror.example.com')
    expect(suggestNoProxy('fd00:0::1,localhost,127.0.0.1,::1', 'fd00::1')).toBe('fd00:0::1,localhost,127.0.0.1,::1')
  })

  it('leaves "*" alone and makes the mirror go direct for Go', () => {
    expect(suggestNoProxy('*', 'mirror.example.com')).toBe('*')
    const value = suggestNoProxy('x.example', 'mirror.example.com:5000')
    expect(route('https://mirror.example.com:5000/v2/', {HTTPS_PROXY: 'p:1', NO_PROXY: value})).toBe('direct')
  })
})

describe('looksInternal', () => {
  it.each([
    ['10.1.2.3', /10\.0\.0\.0\/8/],
    ['172.20.0.1:5000', /172\.16\.0\.0\/12/],
    ['192.168.1.10', /192\.168\.0\.0\/16/],
    ['100.64.0.1', /100\.64\.0\.0\/10/],
    ['[fd00::1]:5000', /fc00::\/7/],
    ['fe80::1', /fe80::\/10/],
    ['mirror', /single-label/],
    ['mirror:5000', /single-label/],
    ['registry.default.svc', /\.svc/],
    ['registry.kube-system.svc.cluster.local', /cluster\.local/],
    ['nexus.local', /\.local/],
    ['nexus.internal', /\.internal/],
    ['nexus.lan', /\.lan/],
    ['nexus.corp', /\.corp/],
    ['nexus.home.arpa', /home\.arpa/],
  ])('%s', (host, why) => {
    expect(looksInternal(host)).toMatch(why)
  })

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:db8::1', 'registry-1.docker.io', 'mirror.gcr.io:443', ''])('%s is not internal', host => {
    expect(looksInternal(host)).toBeNull()
  })
})
