import {describe, expect, test} from 'vitest'
import {FILE, lint, only, ruleIds as ids} from './lint-helpers.js'

const at = (version: string) => ({dockerVersion: version})

describe('empty-file', () => {
  test.each(['', '   \n\t\r\n', '\n'])('%j: Engine 20.10 stops with EOF', (text) => {
    expect(only('empty-file', text, at('20.10.24'))).toEqual([
      {
        at: '1:1',
        severity: 'error',
        message: `the file is empty or holds only white space, which Docker Engine 20.10.24 does not accept: dockerd refuses to start: "unable to configure the Docker daemon with file ${FILE}: EOF" (Engine 23.0 and newer read it as an empty configuration)`,
        hint: expect.stringContaining('write {}'),
      },
    ])
  })

  test('a no-break space is not JSON white space: 20.10 reports a syntax error instead of EOF', () => {
    expect(only('empty-file', '\u00a0\n', at('20.10.24'))[0]?.message).toContain(`with file ${FILE}: invalid character 'Â' looking for beginning of value"`)
  })

  test('23.0 and newer (and no version) read it as an empty configuration', () => {
    for (const ctx of [at('23.0.0'), at('29.1.0'), {}]) expect(lint('  \n', ctx)).toEqual([])
  })

  test('a file with content is not empty; a BOM-only file is the BOM rule\'s finding', () => {
    expect(only('empty-file', '{}', at('20.10.0'))).toEqual([])
    expect(ids('\ufeff', at('20.10.0'))).toEqual(['bom-before-24'])
  })
})

describe('dns-invalid', () => {
  test('each entry that is not an IP address, at its position, worded as that version words it', () => {
    const text = '{\n  "dns": ["10.0.0.2", "dns.example.com", "8.8.8.8:53"]\n}'
    expect(only('dns-invalid', text, at('24.0.9'))).toEqual([
      expect.objectContaining({at: '2:23', severity: 'error', message: '"dns" entry "dns.example.com" is not an IP address; dockerd refuses to start: "dns.example.com is not an ip address"'}),
      expect.objectContaining({at: '2:42', message: expect.stringContaining('"8.8.8.8:53 is not an ip address"')}),
    ])
    expect(only('dns-invalid', text, at('25.0.0'))[0]?.message).toContain('"invalid IP address: dns.example.com"')
  })

  test('spaces around an address: accepted before 25.0, refused from 25.0 with a hint to remove them', () => {
    const text = '{"dns": [" 10.0.0.2"]}'
    expect(only('dns-invalid', text, at('24.0.9'))).toEqual([])
    expect(only('dns-invalid', text, at('27.0.0'))).toEqual([expect.objectContaining({hint: 'remove the spaces: "10.0.0.2"'})])
  })

  test('an IPv6 zone is accepted only from 29.0; without a version the newest is assumed and said', () => {
    const text = '{"dns": ["fe80::1%eth0"]}'
    expect(only('dns-invalid', text, at('28.5.1'))).toHaveLength(1)
    expect(only('dns-invalid', text, at('29.0.0'))).toEqual([])
    expect(only('dns-invalid', '{"dns": ["x"]}')[0]?.message).toContain('assuming the newest Docker Engine')
  })

  test('a non-string entry is wrong-type only; a duplicated "dns" key is checked in its last occurrence', () => {
    expect(ids('{"dns": [53]}', at('24.0.0'))).toEqual(['wrong-type'])
    expect(only('dns-invalid', '{"dns": ["x"], "dns": ["10.0.0.2"]}', at('24.0.0'))).toEqual([])
  })
})

describe('dns-search-invalid', () => {
  test('each entry that is not a domain, in every version', () => {
    for (const ctx of [at('20.10.24'), {}]) {
      expect(only('dns-search-invalid', '{"dns-search": ["example.com", "-bad.example.com", "."]}', ctx)).toEqual([
        {
          at: '1:32',
          severity: 'error',
          message: '"dns-search" entry "-bad.example.com" is not a domain; dockerd refuses to start: "-bad.example.com is not a valid domain"',
          hint: expect.stringContaining('search domains'),
        },
      ])
    }
  })
})

describe('label-invalid and label-conflict', () => {
  test('a label without "=" and a label in a reserved namespace', () => {
    const text = '{"labels": ["role=builder", "gpu", "com.docker.x=1"]}'
    expect(only('label-invalid', text, at('20.10.24'))).toEqual([
      {at: '1:29', severity: 'error', message: 'label "gpu" is not in key=value form; dockerd refuses to start: "bad attribute format: gpu"', hint: 'write it as key=value, e.g. "gpu=true"'},
      expect.objectContaining({at: '1:36', message: expect.stringContaining('uses a namespace Docker reserves'), hint: expect.stringContaining('reverse-DNS')}),
    ])
  })

  test('the same key with two values is reported at the second; the same pair twice is fine', () => {
    expect(only('label-conflict', '{"labels": ["foo=bar", "foo=baz", "x=1", "x=1"]}', at('28.0.0'))).toEqual([
      {at: '1:24', severity: 'error', message: 'the same label key is given two values; dockerd refuses to start: "conflict labels for foo=baz and foo=bar"', hint: 'keep one value per label key'},
    ])
  })

  test('"labels" as a string is wrong-type only', () => {
    expect(ids('{"labels": "a=b"}')).toEqual(['wrong-type'])
  })
})

describe('limit-out-of-range', () => {
  test('negative limits, with the smallest accepted value', () => {
    const text = '{"max-concurrent-downloads": -1, "max-concurrent-uploads": 0, "max-download-attempts": -3}'
    expect(only('limit-out-of-range', text, at('27.0.0'))).toEqual([
      expect.objectContaining({at: '1:30', message: '"max-concurrent-downloads" is -1, below 0, the smallest value Docker Engine 27.0.0 accepts; dockerd refuses to start: "invalid max concurrent downloads: -1"'}),
      expect.objectContaining({at: '1:88', message: expect.stringContaining('"invalid max download attempts: -3"')}),
    ])
  })

  test('max-download-attempts 0: an error on 20.10 only', () => {
    const text = '{"max-download-attempts": 0}'
    expect(only('limit-out-of-range', text, at('20.10.24'))).toEqual([
      expect.objectContaining({message: expect.stringContaining('below 1'), hint: expect.stringContaining('at least 1')}),
    ])
    expect(only('limit-out-of-range', text, at('23.0.0'))).toEqual([])
    expect(only('limit-out-of-range', text)).toEqual([])
  })

  test('a value the decoder refuses is wrong-type, not out of range; a huge one is still compared exactly', () => {
    expect(ids('{"max-concurrent-downloads": -1.5}')).toEqual(['wrong-type'])
    expect(only('limit-out-of-range', '{"max-concurrent-uploads": -9223372036854775808}')[0]?.message).toContain('-9223372036854775808')
  })
})

describe('graph', () => {
  const both = '{"graph": "/srv/docker", "data-root": "/var/lib/docker"}'
  test('graph with data-root: an error before 23.0', () => {
    expect(only('graph-and-data-root', both, at('20.10.24'))).toEqual([
      {
        at: '1:2',
        severity: 'error',
        message: '"graph" and "data-root" are both set; dockerd refuses to start: "cannot specify both \\"graph\\" and \\"data-root\\" config file options"',
        hint: expect.stringContaining('remove "graph"'),
      },
    ])
  })

  test('graph alone works on 20.10; an empty data-root does not count', () => {
    expect(lint('{"graph": "/srv/docker"}', at('20.10.24'))).toEqual([])
    expect(only('graph-and-data-root', '{"graph": "/srv/docker", "data-root": ""}', at('20.10.24'))).toEqual([])
  })

  test('from 23.0 graph is gone: key-removed, whether or not data-root is set', () => {
    expect(ids(both, at('23.0.0'))).toEqual(['key-removed'])
    expect(ids('{"graph": "/srv/docker"}', at('24.0.0'))).toEqual(['key-removed'])
  })
})
