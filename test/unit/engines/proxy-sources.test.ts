import {describe, expect, it} from 'vitest'
import {containersConfEngineEnv, daemonJsonProxies, dockerProxyConfig, podmanProxyConfig} from '../../../src/engines/proxy/engine-env.js'
import {parseEnvironmentFile, serviceEnvironment} from '../../../src/engines/proxy/environment-file.js'
import {mergeUnitEnvironment, parseSystemdUnit, systemdDropInOrder, type ParsedUnit, type UnitDirective} from '../../../src/engines/proxy/systemd-unit.js'
import {decideProxy, labelEnv} from '../../../src/net/proxy.js'

const DROP_IN = '/etc/systemd/system/docker.service.d/http-proxy.conf'

/** name -> value of the Environment= assignments in force after these units. */
function envOf(...units: ParsedUnit[]): Record<string, string> {
  return Object.fromEntries(Object.entries(mergeUnitEnvironment(units).env).map(([k, v]) => [k, v.value]))
}

const sets = (unit: ParsedUnit): Array<[string, string]> =>
  unit.directives.filter((d): d is Extract<UnitDirective, {kind: 'set'}> => d.kind === 'set').map(d => [d.name, d.value])

describe('parseSystemdUnit: Environment=', () => {
  it('reads the documented docker drop-in', () => {
    const unit = parseSystemdUnit(
      [
        '[Service]',
        'Environment="HTTP_PROXY=http://proxy.example.com:3128"',
        'Environment="HTTPS_PROXY=https://proxy.example.com:3129"',
        'Environment="NO_PROXY=localhost,127.0.0.1,docker-registry.example.com,.corp"',
        '',
      ].join('\n'),
      DROP_IN,
    )
    expect(unit.warnings).toEqual([])
    expect(sets(unit)).toEqual([
      ['HTTP_PROXY', 'http://proxy.example.com:3128'],
      ['HTTPS_PROXY', 'https://proxy.example.com:3129'],
      ['NO_PROXY', 'localhost,127.0.0.1,docker-registry.example.com,.corp'],
    ])
    expect(mergeUnitEnvironment([unit]).env.HTTPS_PROXY).toEqual({value: 'https://proxy.example.com:3129', source: `${DROP_IN}:3: HTTPS_PROXY`})
  })

  it('splits several assignments on one line; quotes may start mid-word', () => {
    const unit = parseSystemdUnit(`[Service]\nEnvironment=A=1 "B=two words" 'C=3' D="four five"`, 'u')
    expect(sets(unit)).toEqual([['A', '1'], ['B', 'two words'], ['C', '3'], ['D', 'four five']])
  })

  it('unescapes C escapes inside and outside quotes', () => {
    const unit = parseSystemdUnit(`[Service]\nEnvironment="X=a\\"b" Y=c\\\\d Z=\\x41\\s'\\t'`, 'u')
    expect(sets(unit)).toEqual([['X', 'a"b'], ['Y', 'c\\d'], ['Z', 'A \t']])
  })

  it('keeps words before a syntax error and ignores the rest of the line', () => {
    const badEscape = parseSystemdUnit('[Service]\nEnvironment=A=1 B=\\q C=3', 'u')
    expect(sets(badEscape)).toEqual([['A', '1']])
    expect(badEscape.warnings[0]?.message).toMatch(/unknown backslash escape.*ignores the rest/)
    const unterminated = parseSystemdUnit('[Service]\nEnvironment=A=1 "B=2', 'u')
    expect(sets(unterminated)).toEqual([['A', '1']])
    expect(unterminated.warnings[0]?.message).toMatch(/unterminated " quote/)
  })

  it('turns %% into % and keeps known specifiers (with a warning)', () => {
    const unit = parseSystemdUnit('[Service]\nEnvironment="HTTPS_PROXY=http://u:p%%40ss@proxy:3128" "H=%H" "P=100%-" "T=end%"', 'u')
    expect(sets(unit)).toEqual([['HTTPS_PROXY', 'http://u:p%40ss@proxy:3128'], ['H', '%H'], ['P', '100%-'], ['T', 'end%']])
    expect(unit.warnings.map(w => w.message)).toEqual([expect.stringMatching(/H contains %H/)])
  })

  it('drops an assignment with an unknown specifier such as an unescaped %40, without echoing it', () => {
    const unit = parseSystemdUnit('[Service]\nEnvironment="HTTPS_PROXY=http://alice:s3cr3t%40x@proxy:3128" OK=1', 'u')
    expect(sets(unit)).toEqual([['OK', '1']])
    expect(unit.warnings).toHaveLength(1)
    expect(unit.warnings[0]?.message).toMatch(/assignment of HTTPS_PROXY contains a "%" that is not a systemd specifier.*%%40/)
    expect(JSON.stringify(unit.warnings)).not.toContain('s3cr3t')
  })

  it('ignores invalid assignments and words without "="', () => {
    const unit = parseSystemdUnit('[Service]\nEnvironment=1A=x GOOD=y loneword', 'u')
    expect(sets(unit)).toEqual([['GOOD', 'y']])
    expect(unit.warnings).toHaveLength(2)
  })

  it('does not echo the pieces of a badly split proxy URL', () => {
    const unit = parseSystemdUnit('[Service]\nEnvironment=HTTPS_PROXY=http://alice:pass word@proxy:3128', 'u')
    expect(sets(unit)).toEqual([['HTTPS_PROXY', 'http://alice:pass']])
    expect(JSON.stringify(unit.warnings)).not.toContain('word@')
  })

  it('resets the list with an empty Environment=, also across drop-ins', () => {
    const main = parseSystemdUnit('[Service]\nEnvironment=A=1 B=2\n', '/usr/lib/systemd/system/docker.service')
    const drop = parseSystemdUnit('[Service]\nEnvironment=\nEnvironment=C=3\n', DROP_IN)
    expect(envOf(main, drop)).toEqual({C: '3'})
    const inOne = parseSystemdUnit('[Service]\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2', 'u')
    expect(envOf(inOne)).toEqual({B: '2'})
  })

  it('lets later assignments and later drop-ins win, with file:line sources', () => {
    const main = parseSystemdUnit('[Service]\nEnvironment=HTTPS_PROXY=http://old:1 NO_PROXY=a\n', '/lib/docker.service')
    const drop = parseSystemdUnit('[Service]\n\nEnvironment=HTTPS_PROXY=http://new:2\n', DROP_IN)
    const merged = mergeUnitEnvironment([main, drop])
    expect(merged.env.HTTPS_PROXY).toEqual({value: 'http://new:2', source: `${DROP_IN}:3: HTTPS_PROXY`})
    expect(merged.env.NO_PROXY).toEqual({value: 'a', source: '/lib/docker.service:2: NO_PROXY'})
  })

  it('joins continuation lines, skipping comment lines inside them', () => {
    const unit = parseSystemdUnit('[Service]\nEnvironment=A=1 \\\n# a comment\n  B=2 \\\n; another\n  C=3\nEnvironment=D=4', 'u')
    expect(sets(unit)).toEqual([['A', '1'], ['B', '2'], ['C', '3'], ['D', '4']])
    expect(unit.directives[0]?.line).toBe(2)
    expect(unit.directives[3]?.line).toBe(7)
  })

  it('reads only [Service], ignores comments, allows spaces around "=", CRLF and a BOM', () => {
    const unit = parseSystemdUnit('\uFEFF[Unit]\r\nEnvironment=NOPE=1\r\n# Environment=NOPE=2\r\n[Service]\r\n  ; Environment=NOPE=3\r\nEnvironment = A=1\r\n[Install]\r\nEnvironment=NOPE=4\r\n', 'u')
    expect(sets(unit)).toEqual([['A', '1']])
  })

  it('warns about a line without "="', () => {
    const unit = parseSystemdUnit('[Service]\nEnvironment\n', 'u')
    expect(unit.warnings[0]).toMatchObject({file: 'u', line: 2})
  })
})

describe('parseSystemdUnit: EnvironmentFile= and UnsetEnvironment=', () => {
  it('returns paths, "-" meaning optional, and resets on empty', () => {
    const unit = parseSystemdUnit('[Service]\nEnvironmentFile=-/etc/default/docker\nEnvironmentFile=/etc/sysconfig/docker\nEnvironmentFile=relative/path\n', 'u')
    expect(unit.directives).toEqual([
      {kind: 'environment-file', path: '/etc/default/docker', optional: true, file: 'u', line: 2},
      {kind: 'environment-file', path: '/etc/sysconfig/docker', optional: false, file: 'u', line: 3},
    ])
    expect(unit.warnings[0]?.message).toMatch(/not absolute/)
    const reset = parseSystemdUnit('[Service]\nEnvironmentFile=/a\nEnvironmentFile=\nEnvironmentFile=/b\n', 'u')
    expect(mergeUnitEnvironment([reset]).environmentFiles.map(f => f.path)).toEqual(['/b'])
  })

  it('collects UnsetEnvironment= entries', () => {
    const unit = parseSystemdUnit('[Service]\nUnsetEnvironment=http_proxy "NO_PROXY=x"\n', 'u')
    expect(mergeUnitEnvironment([unit]).unset.map(u => u.entry)).toEqual(['http_proxy', 'NO_PROXY=x'])
  })
})

describe('systemdDropInOrder', () => {
  it('sorts by file name across folders; the first folder wins a name; only *.conf', () => {
    const order = systemdDropInOrder([
      '/etc/systemd/system/docker.service.d/http-proxy.conf',
      '/etc/systemd/system/docker.service.d/10-a.conf',
      '/etc/systemd/system/docker.service.d/README',
      '/run/systemd/system/docker.service.d/http-proxy.conf',
      '/usr/lib/systemd/system/docker.service.d/05-x.conf',
      '/usr/lib/systemd/system/docker.service.d/Z.conf',
    ])
    expect(order).toEqual([
      '/usr/lib/systemd/system/docker.service.d/05-x.conf',
      '/etc/systemd/system/docker.service.d/10-a.conf',
      '/usr/lib/systemd/system/docker.service.d/Z.conf',
      '/etc/systemd/system/docker.service.d/http-proxy.conf',
    ])
  })
})

describe('parseEnvironmentFile', () => {
  it('reads KEY=VALUE lines as systemd does', () => {
    const text = [
      '# proxy settings',
      'HTTP_PROXY=http://proxy:3128',
      ' HTTPS_PROXY = "http://proxy:3128"',
      "NO_PROXY='a,b'  ",
      'export FOO=bar',
      'EMPTY=',
      'TRAIL=value   ',
      'ESC="a\\"b\\n"',
      'CONT=abc\\',
      'def',
      'INLINE=a # not a comment',
      'NOEQUALS',
      '; also a comment',
      'LAST=x',
    ].join('\n')
    const {assignments, warnings} = parseEnvironmentFile(text, '/etc/default/docker')
    expect(assignments.map(a => [a.name, a.value, a.line])).toEqual([
      ['HTTP_PROXY', 'http://proxy:3128', 2],
      ['HTTPS_PROXY', 'http://proxy:3128', 3],
      ['NO_PROXY', 'a,b', 4],
      ['EMPTY', '', 6],
      ['TRAIL', 'value', 7],
      ['ESC', 'a"b\\n', 8],
      ['CONT', 'abcdef', 9],
      ['INLINE', 'a # not a comment', 11],
      ['LAST', 'x', 14],
    ])
    expect(warnings).toEqual([{file: '/etc/default/docker', line: 5, message: expect.stringMatching(/"export FOO".*does not understand "export"/)}])
  })
})

describe('serviceEnvironment', () => {
  const unit = mergeUnitEnvironment([
    parseSystemdUnit('[Service]\nEnvironmentFile=-/etc/default/docker\nEnvironment=HTTPS_PROXY=http://unit:1 NO_PROXY=keep\nEnvironmentFile=/etc/missing\nUnsetEnvironment=http_proxy NO_PROXY=other\n', 'u'),
  ])

  it('lets EnvironmentFile= values win over Environment= whatever the order, then unsets', () => {
    const {env, warnings} = serviceEnvironment(unit, [
      {path: '/etc/default/docker', optional: true, text: 'HTTPS_PROXY=http://file:2\nhttp_proxy=http://gone:3\n'},
      {path: '/etc/missing', optional: false, text: null},
    ])
    expect(env.HTTPS_PROXY).toEqual({value: 'http://file:2', source: '/etc/default/docker:1: HTTPS_PROXY'})
    expect(env.http_proxy).toBeUndefined()
    expect(env.NO_PROXY?.value).toBe('keep')
    expect(warnings.map(w => w.message)).toEqual([expect.stringMatching(/missing file: systemd refuses to start/)])
  })

  it('accepts a missing optional file silently', () => {
    expect(serviceEnvironment(unit, [{path: '/etc/default/docker', optional: true, text: null}]).warnings).toEqual([])
  })
})

describe('daemon.json proxies', () => {
  it('extracts the three settings with sources; "" and null are not set', () => {
    const {proxies, warnings} = daemonJsonProxies(
      {'registry-mirrors': [], proxies: {'http-proxy': 'http://p:1', 'https-proxy': 'http://p:2', 'no-proxy': ''}},
      '/etc/docker/daemon.json',
    )
    expect(proxies).toEqual({
      httpProxy: {value: 'http://p:1', source: '/etc/docker/daemon.json proxies.http-proxy'},
      httpsProxy: {value: 'http://p:2', source: '/etc/docker/daemon.json proxies.https-proxy'},
    })
    expect(warnings).toEqual([])
    expect(daemonJsonProxies({}).proxies).toEqual({})
    expect(daemonJsonProxies({proxies: {'https-proxy': null}}).proxies).toEqual({})
  })

  it('warns about values dockerd rejects', () => {
    const {warnings} = daemonJsonProxies({proxies: {'https-proxy': 3128, 'ftp-proxy': 'x'}})
    expect(warnings.map(w => w.message)).toEqual([expect.stringMatching(/proxies\.ftp-proxy is not a dockerd option/), expect.stringMatching(/proxies\.https-proxy must be a string/)])
    expect(daemonJsonProxies({proxies: 'x'}).warnings[0]?.message).toMatch(/must be an object/)
  })

  it('dockerProxyConfig: daemon.json overrides both cases of the unit environment', () => {
    const unitEnv = {
      HTTPS_PROXY: {value: 'http://unit:1', source: `${DROP_IN}:2: HTTPS_PROXY`},
      no_proxy: {value: 'unit.example', source: `${DROP_IN}:3: no_proxy`},
      HTTP_PROXY: {value: 'http://unit-http:1', source: `${DROP_IN}:4: HTTP_PROXY`},
    }
    const {proxies} = daemonJsonProxies({proxies: {'https-proxy': 'http://json:2', 'no-proxy': 'json.example', 'http-proxy': ''}})
    const config = dockerProxyConfig({unitEnv, daemonJsonProxies: proxies})
    expect(config.httpsProxy).toEqual({value: 'http://json:2', source: 'daemon.json proxies.https-proxy'})
    expect(config.noProxy).toEqual({value: 'json.example', source: 'daemon.json proxies.no-proxy'})
    // An empty daemon.json value leaves the environment alone.
    expect(config.httpProxy?.value).toBe('http://unit-http:1')
    const decision = decideProxy('https://mirror.json.example/v2/', config)
    expect(decision).toMatchObject({proxy: null, decidedBy: 'json.example'})
    expect(decision.reason).toContain('daemon.json proxies.no-proxy entry')
  })

  it('dockerProxyConfig without daemon.json is the unit environment under Go rules', () => {
    const config = dockerProxyConfig({unitEnv: {HTTPS_PROXY: {value: '', source: 's1'}, https_proxy: {value: 'http://lower:1', source: 's2'}}})
    expect(config.httpsProxy).toEqual({value: 'http://lower:1', source: 's2'})
  })
})

describe('containers.conf [engine] env and podman', () => {
  it('a later file replaces the list unless it ends with {append = true}', () => {
    const replaced = containersConfEngineEnv([
      {file: '/usr/share/containers/containers.conf', config: {engine: {env: ['HTTP_PROXY=http://a:1', 'FOO=1']}}},
      {file: '/etc/containers/containers.conf', config: {engine: {env: ['HTTPS_PROXY=http://b:2']}}},
    ])
    expect(replaced.entries).toEqual([{name: 'HTTPS_PROXY', value: 'http://b:2', source: '/etc/containers/containers.conf [engine] env: HTTPS_PROXY'}])
    const appended = containersConfEngineEnv([
      {file: 'one', config: {engine: {env: ['HTTP_PROXY=http://a:1']}}},
      {file: 'two', config: {engine: {}}},
      {file: 'three', config: {engine: {env: ['NO_PROXY=x=y', {append: true}]}}},
    ])
    expect(appended.entries.map(e => [e.name, e.value])).toEqual([['HTTP_PROXY', 'http://a:1'], ['NO_PROXY', 'x=y']])
  })

  it('skips entries that are not KEY=value, with a masked warning', () => {
    const {entries, warnings} = containersConfEngineEnv([{file: 'c', config: {engine: {env: ['http://u:secret@proxy:3128', 7, 'A=1']}}}])
    expect(entries.map(e => e.name)).toEqual(['A'])
    expect(warnings).toHaveLength(2)
    expect(JSON.stringify(warnings)).not.toContain('secret')
    expect(containersConfEngineEnv([{file: 'c', config: {engine: {env: 'A=1'}}}]).warnings[0]?.message).toMatch(/must be an array/)
  })

  it('the process environment wins; containers.conf fills in what is undefined', () => {
    const processEnv = labelEnv({HTTP_PROXY: 'http://shell:1'}, n => `shell: ${n}`)
    const {entries} = containersConfEngineEnv([{file: 'cc', config: {engine: {env: ['HTTP_PROXY=http://conf:1', 'HTTPS_PROXY=http://conf:2']}}}])
    const config = podmanProxyConfig({processEnv, containersConfEnv: entries})
    expect(config.httpProxy).toEqual({value: 'http://shell:1', source: 'shell: HTTP_PROXY'})
    expect(config.httpsProxy).toEqual({value: 'http://conf:2', source: 'cc [engine] env: HTTPS_PROXY'})
  })

  it('a variable defined as "" in the process blocks containers.conf (os.LookupEnv)', () => {
    const processEnv = labelEnv({HTTPS_PROXY: ''})
    const {entries} = containersConfEngineEnv([{file: 'cc', config: {engine: {env: ['HTTPS_PROXY=http://conf:2']}}}])
    expect(podmanProxyConfig({processEnv, containersConfEnv: entries}).httpsProxy).toBeUndefined()
  })

  it('within the list the first entry for a name wins', () => {
    const {entries} = containersConfEngineEnv([{file: 'cc', config: {engine: {env: ['HTTPS_PROXY=http://first:1', 'HTTPS_PROXY=http://second:2']}}}])
    expect(podmanProxyConfig({processEnv: {}, containersConfEnv: entries}).httpsProxy?.value).toBe('http://first:1')
  })
})

describe('containers.conf on hostile input', () => {
  it('parses deep nesting and megabyte strings without overflowing the stack', async () => {
    const {parseContainersConf} = await import('../../../src/engines/proxy/engine-env.js')
    const {setContainersConfNoProxy} = await import('../../../src/engines/proxy/no-proxy-edits.js')
    const deep = `x = ${'['.repeat(5000)}${']'.repeat(5000)}\n[engine]\nenv = ["A=1"]\n`
    expect(parseContainersConf(deep)).toHaveProperty('value.engine.env', ['A=1'])
    const long = `x = "${'a'.repeat(1_000_000)}"\n[engine]\nenv = []\n`
    expect(parseContainersConf(long)).toHaveProperty('value.engine.env', [])
    expect(setContainersConfNoProxy(long, 'mirror.local')).toContain('"NO_PROXY=mirror.local"')
    expect(parseContainersConf('[engine\n')).toMatchObject({error: expect.stringMatching(/Unterminated/), line: expect.any(Number)})
  })
})
