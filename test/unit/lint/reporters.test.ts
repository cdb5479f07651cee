import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Ajv} from 'ajv'
import addFormatsModule from 'ajv-formats'
import {describe, expect, it} from 'vitest'
import type {Finding} from '../../../src/lint/finding.js'
import {defineRules, type RuleMeta} from '../../../src/lint/rule.js'
import {escapeData, escapeProperty, renderGithub} from '../../../src/lint/reporters/github.js'
import {renderFindings, reportFormats} from '../../../src/lint/reporters/index.js'
import {renderJson} from '../../../src/lint/reporters/json.js'
import {artifactUri, displayPath} from '../../../src/lint/reporters/paths.js'
import {renderSarif, SARIF_SCHEMA} from '../../../src/lint/reporters/sarif.js'
import {renderText} from '../../../src/lint/reporters/text.js'
import {shouldColor, styles} from '../../../src/core/color.js'

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as {default?: unknown}).default ?? addFormatsModule) as (ajv: Ajv) => Ajv

const rules = Object.values(
  defineRules('registries-conf', {
    'uri-scheme': {
      severity: 'error',
      description: 'A location starts with http:// or https://.',
      hint: 'write host[:port] without a scheme',
      source: 'https://github.com/containers/container-libs/blob/main/image/docs/containers-registries.conf.5.md',
    },
    'shadowed-mirror': {
      severity: 'warning',
      description: 'A more specific [[registry]] hides the mirrors of a broader prefix.',
      hint: 'repeat the mirrors in the more specific [[registry]]',
    },
    'short-name-mode': {
      severity: 'info',
      description: 'short-name-mode is not set.',
      hint: 'set short-name-mode = "enforcing"',
      source: 'containers-registries.conf(5)', // not a URI: must not become helpUri
    },
  }),
) as RuleMeta[]
const [uriScheme, shadowed, shortName] = rules as [RuleMeta, RuleMeta, RuleMeta]

const at = (rule: RuleMeta, file: string, line: number, column: number, message: string, hint = rule.hint): Finding => ({
  rule: rule.id,
  severity: rule.severity,
  file,
  line,
  column,
  message,
  hint,
})

const base = '/work/repo'

const findings: Finding[] = [
  at(shortName, 'registries.conf', 1, 1, 'short-name-mode is not set'),
  at(uriScheme, 'registries.conf', 7, 13, 'location "https://mirror.example" has a scheme'),
  at(shadowed, 'etc/containers/registries.conf.d/50-mirror.conf', 3, 1, 'hides the docker.io mirrors'),
  at(uriScheme, '<stdin>', 2, 5, 'mirror "http://m" has a scheme'),
  at(uriScheme, '/work/repo/nested/dir/with space/ünïcode:x.conf', 4, 2, 'prefix "https://q" has a scheme'),
  at(shadowed, '/opt/outside/registries.conf', 10, 3, 'hides the quay.io mirrors'),
]

describe('shouldColor', () => {
  it('follows NO_COLOR, then FORCE_COLOR, then the TTY', () => {
    expect(shouldColor({isTTY: true}, {})).toBe(true)
    expect(shouldColor({isTTY: false}, {})).toBe(false)
    expect(shouldColor({}, {})).toBe(false)
    expect(shouldColor({isTTY: true}, {NO_COLOR: '1'})).toBe(false)
    expect(shouldColor({isTTY: true}, {NO_COLOR: ''})).toBe(true) // empty NO_COLOR is ignored
    expect(shouldColor({isTTY: false}, {FORCE_COLOR: '1'})).toBe(true)
    expect(shouldColor({isTTY: false}, {FORCE_COLOR: ''})).toBe(true)
    expect(shouldColor({isTTY: true}, {FORCE_COLOR: '0'})).toBe(false)
    expect(shouldColor({isTTY: false}, {NO_COLOR: '1', FORCE_COLOR: '1'})).toBe(false)
  })

  it('styles are identity functions when disabled', () => {
    const off = styles(false)
    for (const style of Object.values(off)) expect(style('x')).toBe('x')
    expect(styles(true).red('x')).toBe('\x1b[31mx\x1b[39m')
    expect(styles(true).bold(styles(true).dim('x'))).toBe('\x1b[1m\x1b[2mx\x1b[22m\x1b[22m')
  })
})

describe('text reporter', () => {
  it('groups by file, sorted, with hints and a summary', () => {
    const out = renderText(findings.slice(0, 3), {color: false, filesChecked: 3})
    expect(out).toBe(
      [
        'etc/containers/registries.conf.d/50-mirror.conf:3:1  warning  hides the docker.io mirrors  [registries-conf/shadowed-mirror]',
        '  hint: repeat the mirrors in the more specific [[registry]]',
        '',
        'registries.conf:1:1  info  short-name-mode is not set  [registries-conf/short-name-mode]',
        '  hint: set short-name-mode = "enforcing"',
        'registries.conf:7:13  error  location "https://mirror.example" has a scheme  [registries-conf/uri-scheme]',
        '  hint: write host[:port] without a scheme',
        '',
        '1 error, 1 warning, 1 info in 3 files',
        '',
      ].join('\n'),
    )
  })

  it('pluralises and counts files with findings by default', () => {
    const two = [findings[1]!, {...findings[1]!, line: 8}, findings[2]!]
    expect(renderText(two, {color: false}).trimEnd().split('\n').pop()).toBe('2 errors, 1 warning, 0 info in 2 files')
  })

  it('says so when there is nothing to report', () => {
    expect(renderText([], {color: false, filesChecked: 4})).toBe('no findings in 4 files\n')
    expect(renderText([], {color: false, filesChecked: 1})).toBe('no findings in 1 file\n')
  })

  it('leaves out an empty hint', () => {
    expect(renderText([{...findings[0]!, hint: ''}], {color: false})).not.toContain('hint:')
  })

  it('colours only when asked', () => {
    expect(renderText(findings, {color: false})).not.toContain('\x1b[')
    const coloured = renderText(findings, {color: true})
    expect(coloured).toContain('\x1b[31merror\x1b[39m')
    expect(coloured).toContain('\x1b[33mwarning\x1b[39m')
    expect(coloured).toContain('\x1b[36minfo\x1b[39m')
  })
})

describe('json reporter', () => {
  it('writes exactly {"findings":[...]} with the documented keys in order', () => {
    const extra = {...findings[1]!, internal: 'not for output'} as Finding
    const out = renderJson([extra, findings[0]!])
    expect(out.endsWith('}\n')).toBe(true)
    expect(out).toBe(
      `{
  "findings": [
    {
      "rule": "registries-conf/short-name-mode",
      "severity": "info",
      "file": "registries.conf",
      "line": 1,
      "column": 1,
      "message": "short-name-mode is not set",
      "hint": "set short-name-mode = \\"enforcing\\""
    },
    {
      "rule": "registries-conf/uri-scheme",
      "severity": "error",
      "file": "registries.conf",
      "line": 7,
      "column": 13,
      "message": "location \\"https://mirror.example\\" has a scheme",
      "hint": "write host[:port] without a scheme"
    }
  ]
}
`,
    )
    const parsed = JSON.parse(out) as {findings: Record<string, unknown>[]}
    expect(Object.keys(parsed)).toEqual(['findings'])
    expect(Object.keys(parsed.findings[0]!)).toEqual(['rule', 'severity', 'file', 'line', 'column', 'message', 'hint'])
  })

  it('writes an empty list when there are no findings', () => {
    expect(renderJson([])).toBe('{\n  "findings": []\n}\n')
  })
})

describe('github reporter', () => {
  it('escapes data and properties as the Actions runner expects', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext')
    expect(escapeProperty('a:b,c%d\ne')).toBe('a%3Ab%2Cc%25d%0Ae')
    // %0A already in the input must survive as text, not turn into a newline.
    expect(escapeData('literal %0A')).toBe('literal %250A')
  })

  it('writes one workflow command per finding, in finding order', () => {
    const tricky = at(uriScheme, '/work/repo/conf,d/a:b.conf', 2, 9, 'mirror "https://m" 100% wrong\nsecond line', 'drop the scheme: write m, not https://m')
    const out = renderGithub([tricky, findings[0]!, findings[2]!], {baseDir: base})
    expect(out).toBe(
      [
        '::error file=conf%2Cd/a%3Ab.conf,line=2,col=9,title=registries-conf/uri-scheme::mirror "https://m" 100%25 wrong%0Asecond line%0Ahint: drop the scheme: write m, not https://m',
        '::warning file=etc/containers/registries.conf.d/50-mirror.conf,line=3,col=1,title=registries-conf/shadowed-mirror::hides the docker.io mirrors%0Ahint: repeat the mirrors in the more specific [[registry]]',
        '::notice file=registries.conf,line=1,col=1,title=registries-conf/short-name-mode::short-name-mode is not set%0Ahint: set short-name-mode = "enforcing"',
        '',
      ].join('\n'),
    )
    expect(out.split('\n').filter(Boolean)).toHaveLength(3) // no raw newline inside a command
  })

  it('writes nothing for no findings', () => {
    expect(renderGithub([])).toBe('')
  })
})

describe('paths', () => {
  it('makes paths inside the base relative with posix separators', () => {
    expect(displayPath('/work/repo/a/b.conf', base)).toBe('a/b.conf')
    expect(displayPath('a/b.conf', base)).toBe('a/b.conf')
    expect(displayPath('/work/repository/x.conf', base)).toBe('/work/repository/x.conf') // a prefix is not inside
    expect(displayPath('/etc/x.conf', undefined)).toBe('/etc/x.conf')
  })

  it('produces uri-references', () => {
    expect(artifactUri('<stdin>', base)).toBe('%3Cstdin%3E')
    expect(artifactUri('/work/repo/d/with space/é:x.conf', base)).toBe('d/with%20space/%C3%A9%3Ax.conf')
    expect(artifactUri('/etc/containers/registries.conf', base)).toBe('file:///etc/containers/registries.conf')
    expect(artifactUri('../sibling.conf', base)).toBe('file:///work/sibling.conf')
    expect(artifactUri('../sibling.conf', undefined)).toBe('../sibling.conf')
  })
})

describe('sarif reporter', () => {
  const schemaPath = fileURLToPath(new URL('../../../schemas/sarif-schema-2.1.0.json', import.meta.url))
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>

  function validator() {
    // The schema is draft-07, Ajv 8's default dialect; strict mode would reject its extra keywords.
    const ajv = new Ajv({strict: false, allErrors: true})
    addFormats(ajv)
    return ajv.compile(schema)
  }

  it('keeps the official SARIF 2.1.0 schema', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#')
    expect(schema.$id).toBe('https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json')
    expect(schema.title).toBe('Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema')
    expect(Object.keys(schema.definitions as object).length).toBeGreaterThan(40)
  })

  const orphan: Finding = {rule: 'io/unreadable', severity: 'error', file: 'gone.conf', line: 0, column: 0, message: 'cannot read it (ENOENT)', hint: ''}
  const text = renderSarif([...findings, orphan], {rules, version: '1.2.3', baseDir: base})
  const log = JSON.parse(text) as {
    $schema: string
    version: string
    runs: {
      tool: {driver: {name: string; version: string; informationUri: string; rules: Record<string, unknown>[]}}
      results: {
        ruleId: string
        ruleIndex: number
        level: string
        message: {text: string}
        locations: {physicalLocation: {artifactLocation: {uri: string}; region: {startLine: number; startColumn: number}}}[]
      }[]
    }[]
  }

  it('validates against the schema', () => {
    const validate = validator()
    const ok = validate(log)
    expect(validate.errors ?? []).toEqual([])
    expect(ok).toBe(true)
    expect(text.endsWith('\n')).toBe(true)
  })

  it('is a non-trivial log', () => {
    expect(log.$schema).toBe(SARIF_SCHEMA)
    expect(log.version).toBe('2.1.0')
    expect(log.runs).toHaveLength(1)
    const run = log.runs[0]!
    expect(run.tool.driver).toMatchObject({name: 'mirrorctl', version: '1.2.3'})
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual([...rules.map((r) => r.id), 'io/unreadable'])
    expect(run.tool.driver.rules[0]).toMatchObject({
      id: 'registries-conf/uri-scheme',
      shortDescription: {text: uriScheme.description},
      fullDescription: {text: uriScheme.description},
      help: {text: uriScheme.hint},
      helpUri: uriScheme.source,
      defaultConfiguration: {level: 'error'},
    })
    expect(run.tool.driver.rules[2]).not.toHaveProperty('helpUri')
    expect(run.tool.driver.rules[2]).toMatchObject({defaultConfiguration: {level: 'note'}})

    expect(run.results).toHaveLength(findings.length + 1)
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId)
    expect(new Set(run.results.map((r) => r.level))).toEqual(new Set(['error', 'warning', 'note']))

    const byUri = new Map(run.results.map((r) => [r.locations[0]!.physicalLocation.artifactLocation.uri, r]))
    expect([...byUri.keys()].sort()).toEqual(
      [
        '%3Cstdin%3E',
        'etc/containers/registries.conf.d/50-mirror.conf',
        'file:///opt/outside/registries.conf',
        'gone.conf',
        'nested/dir/with%20space/%C3%BCn%C3%AFcode%3Ax.conf',
        'registries.conf',
      ].sort(),
    )
    const stdin = byUri.get('%3Cstdin%3E')!
    expect(stdin.locations[0]!.physicalLocation.region).toEqual({startLine: 2, startColumn: 5})
    expect(stdin.message.text).toBe('mirror "http://m" has a scheme\nhint: write host[:port] without a scheme')
    expect(byUri.get('gone.conf')!.locations[0]!.physicalLocation.region).toEqual({startLine: 1, startColumn: 1})
    expect(byUri.get('gone.conf')!.message.text).toBe('cannot read it (ENOENT)')
  })

  it('the validator is not vacuous', () => {
    const validate = validator()
    const broken = JSON.parse(text) as typeof log
    broken.runs[0]!.results[0]!.level = 'fatal'
    expect(validate(broken)).toBe(false)
    const badUri = JSON.parse(text) as typeof log
    badUri.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri = '<stdin>'
    expect(validate(badUri)).toBe(false)
  })

  it('is valid with no findings', () => {
    const empty = JSON.parse(renderSarif([], {rules, version: '0.0.0'})) as typeof log
    expect(validator()(empty)).toBe(true)
    expect(empty.runs[0]!.results).toEqual([])
  })
})

describe('renderFindings', () => {
  it('dispatches every format', () => {
    const options = {rules, color: false, version: '9.9.9', baseDir: base, filesChecked: 5}
    expect(reportFormats).toEqual(['text', 'json', 'sarif', 'github'])
    expect(renderFindings(findings, 'text', options)).toBe(renderText(findings, {color: false, filesChecked: 5}))
    expect(renderFindings(findings, 'json', options)).toBe(renderJson(findings))
    expect(renderFindings(findings, 'sarif', options)).toBe(renderSarif(findings, {rules, version: '9.9.9', baseDir: base}))
    expect(renderFindings(findings, 'github', options)).toBe(renderGithub(findings, {baseDir: base}))
  })
})
