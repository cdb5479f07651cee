import {describe, expect, test} from 'vitest'
import {loadFile} from '../../../../src/formats/registries-conf/load.js'
import {parseRegistriesConf, pathKey} from '../../../../src/formats/registries-conf/parse.js'
import {setOf} from './helpers.js'

const FILE = '/etc/containers/registries.conf'
const parse = (text: string) => parseRegistriesConf(text, FILE)
const at = (f: {line: number; column: number}) => `${f.line}:${f.column}`

// BurntSushi/toml (what containers/image decodes registries.conf with) skips a UTF-8 BOM only
// since v1.3.0 (BurntSushi/toml#381); v1.2.1 and older, pinned by containers/image 5.25 and
// earlier, fail with "expected '.' or '=', but got '\ufeff' instead".
describe('UTF-8 byte order mark', () => {
  test('is an error at 1:1 and the rest of the file is still read', () => {
    const doc = parse('\ufeffunqualified-search-registries = ["docker.io"]\n')
    expect(doc.syntaxFindings.map((f) => [f.rule, at(f), f.severity])).toEqual([['registries-conf/bom', '1:1', 'error']])
    expect(doc.syntaxFindings[0]!.message).toContain("got '\\ufeff' instead")
    expect(doc.data).toEqual({'unqualified-search-registries': ['docker.io']})
  })

  test('the engines that refuse it refuse the whole set', () => {
    const set = setOf('\ufeff[[registry]]\nlocation = "docker.io"\n')
    expect(set.findings.filter((f) => f.severity === 'error').map((f) => f.rule)).toEqual(['registries-conf/bom'])
  })

  test('a BOM-free file has no such finding', () => {
    expect(parse('# \ufeff in a comment\nx = 1\n').syntaxFindings).toEqual([])
  })
})

describe('long strings parse (no recursion, no spread of a megabyte of arguments)', () => {
  test('a 1 MB basic string', () => {
    const long = 'x'.repeat(1_000_000)
    const doc = parse(`x-long = "${long}"\nunqualified-search-registries = ["docker.io"]\n`)
    expect(doc.syntaxFindings).toEqual([])
    expect((doc.data!['x-long'] as string).length).toBe(1_000_000)
    expect(doc.data!['unqualified-search-registries']).toEqual(['docker.io'])
    const span = doc.spans.get(pathKey(['x-long']))!
    expect(span.value).toEqual([9, 9 + 1_000_002])
    expect(span.node[1]).toBe(9 + 1_000_002)
  })

  test('300 KB literal, multi-line basic (with line-ending backslashes) and multi-line literal strings', () => {
    const part = 'ab\\"c'.repeat(60_000)
    const text = [
      `a = '${'y'.repeat(300_000)}'`,
      `b = """\n${'line\\\n   '.repeat(30_000)}end"""`,
      `c = '''\n${'q\n'.repeat(150_000)}'''`,
      `d = "${part}"`,
      `[[registry]]`,
      `location = "docker.io"`,
      '',
    ].join('\n')
    const doc = parse(text)
    expect(doc.syntaxFindings).toEqual([])
    expect(doc.data!.a).toBe('y'.repeat(300_000))
    expect(doc.data!.b).toBe('line'.repeat(30_000) + 'end')
    expect(doc.data!.c).toBe('q\n'.repeat(150_000))
    expect(doc.data!.d).toBe('ab"c'.repeat(60_000))
    // Positions after the long strings are still right.
    const loc = doc.spans.get(pathKey(['registry', 0, 'location']))!
    expect(text.slice(loc.node[0], loc.node[1])).toBe('location = "docker.io"')
    expect(doc.lines.position(loc.node[0]).line).toBe(text.split('\n').indexOf('location = "docker.io"') + 1)
  })

  test('a long string as a quoted key and inside an array and an inline table', () => {
    const k = 'k'.repeat(200_000)
    const doc = parse(`"${k}" = 1\nlist = ["${k}", "b"]\nt = {v = "${k}", w = 2}\n`)
    expect(doc.syntaxFindings).toEqual([])
    expect(doc.data![k]).toBe(1)
    expect(doc.data!.list).toEqual([k, 'b'])
    expect(doc.data!.t).toEqual({v: k, w: 2})
  })

  test('two different long keys are not taken for duplicates, two equal ones are', () => {
    const a = 'a'.repeat(100_000)
    const b = 'a'.repeat(99_999) + 'b'
    expect(parse(`"${a}" = 1\n"${b}" = 2\n`).syntaxFindings).toEqual([])
    const dup = parse(`"${a}" = 1\n"${a}" = 2\n`).syntaxFindings
    expect(dup.map((f) => [f.rule, at(f)])).toEqual([['registries-conf/toml-syntax', '2:1']])
  })

  test('a bad escape or a control character inside a long string is a syntax error at its position', () => {
    const bad = parse(`x = "${'a'.repeat(100_000)}\\q"\n`).syntaxFindings
    expect(bad.map((f) => [f.rule, at(f)])).toEqual([['registries-conf/toml-syntax', `1:${6 + 100_000}`]])
    const ctl = parse(`x = "${'a'.repeat(100_000)}\u0001"\n`).syntaxFindings
    expect(ctl.map((f) => [f.rule, at(f)])).toEqual([['registries-conf/toml-syntax', `1:${6 + 100_000}`]])
  })

  test('an unterminated long string is a syntax error, not a crash', () => {
    const doc = parse(`x = "${'a'.repeat(100_000)}\n`)
    expect(doc.syntaxFindings.map((f) => f.rule)).toEqual(['registries-conf/toml-syntax'])
  })

  test('a 200,000-character unknown key is an unknown-key warning, found quickly', () => {
    const set = setOf(`${'k'.repeat(200_000)} = 1\n"${'q'.repeat(200_000)}" = 2\n`)
    expect(set.findings.map((f) => f.rule)).toEqual(['registries-conf/unknown-key', 'registries-conf/unknown-key'])
  })

  test('a 100,000-digit integer is out of int64 range (Go: "out of the range of 64-bit signed integers")', () => {
    const doc = parse(`x = ${'9'.repeat(100_000)}\n`)
    expect(doc.syntaxFindings.map((f) => [f.rule, at(f)])).toEqual([['registries-conf/toml-syntax', '1:5']])
    expect(doc.syntaxFindings[0]!.message).toContain('64-bit')
  })
})

// BurntSushi/toml up to v1.6.0 (containers/image's pin) has no nesting limit: its parser recurses
// on Go's growable stack. Later versions (BurntSushi/toml#514, Decoder.MaxDepth) stop at 128.
describe('deep nesting', () => {
  test('5,000 nested inline tables: a deep-nesting warning at the 129th level, no syntax error', () => {
    const text = 'x-deep = ' + '{a = '.repeat(5000) + '1' + ' }'.repeat(5000) + '\n'
    const doc = parse(text)
    expect(doc.syntaxFindings).toEqual([])
    expect(doc.parseWarnings.map((f) => [f.rule, at(f), f.severity])).toEqual([
      ['registries-conf/deep-nesting', `1:${'x-deep = '.length + 128 * '{a = '.length + 1}`, 'warning'],
    ])
    const result = loadFile(doc, {dropIn: false})
    expect(result.rejected).toBe(false)
    expect(result.warnings.map((f) => f.rule)).toContain('registries-conf/deep-nesting')
  })

  test('20,000 nested arrays in unqualified-search-registries: the decoder\'s type error, plus the warning', () => {
    const text = 'unqualified-search-registries = ' + '['.repeat(20_000) + ']'.repeat(20_000) + '\n'
    const set = setOf(text)
    expect(set.findings.filter((f) => f.severity === 'error').map((f) => f.rule)).toEqual(['registries-conf/wrong-type'])
    expect(set.findings.map((f) => f.rule)).toContain('registries-conf/deep-nesting')
  })

  test('a syntax error deep inside a nested value is still found, at its position', () => {
    const text = 'x = ' + '['.repeat(3000) + '1,,' + ']'.repeat(3000) + '\n'
    const doc = parse(text)
    expect(doc.syntaxFindings.map((f) => [f.rule, at(f)])).toEqual([['registries-conf/toml-syntax', `1:${4 + 3000 + 3}`]])
  })

  test('a duplicate key deep inside nested inline tables is still found', () => {
    const text = 'x = ' + '{a = '.repeat(400) + '{k = 1, k = 2}' + ' }'.repeat(400) + '\n'
    expect(parse(text).syntaxFindings.map((f) => f.rule)).toEqual(['registries-conf/toml-syntax'])
  })

  test('128 levels are fine, without a warning', () => {
    const doc = parse('x = ' + '['.repeat(128) + ']'.repeat(128) + '\n')
    expect(doc.syntaxFindings).toEqual([])
    expect(doc.parseWarnings).toEqual([])
  })

  test('10,000 dotted key parts and a 10,000-part table header parse', () => {
    const doc = parse('a' + '.a'.repeat(9_999) + ' = 1\n[b' + '.b'.repeat(9_999) + ']\nx = 1\n')
    expect(doc.syntaxFindings).toEqual([])
  })
})
