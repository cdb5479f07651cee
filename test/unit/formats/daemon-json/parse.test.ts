import {describe, expect, test} from 'vitest'
import {lastMember, parseDaemonJson, toValue, topMembers} from '../../../../src/formats/daemon-json/parse.js'

const parse = (text: string) => parseDaemonJson(text, '/etc/docker/daemon.json')
/** The syntax findings as "line:column rule" plus the message, for compact assertions. */
const errors = (text: string) => parse(text).syntaxFindings.map((f) => ({at: `${f.line}:${f.column}`, rule: f.rule, message: f.message}))

describe('empty files', () => {
  test.each([
    ['empty', ''],
    ['spaces and newlines', '  \n\t\r\n'],
    ['Unicode spaces Go trims (U+00A0, U+2028)', '\u00a0\n\u2028'],
    ['BOM only', '\ufeff\n'],
  ])('%s is an empty configuration', (_name, text) => {
    const doc = parse(text)
    expect(doc.empty).toBe(true)
    expect(doc.root).toBeNull()
    expect(doc.syntaxFindings).toEqual([])
  })

  test('top-level null decodes to nothing, as Go does', () => {
    const doc = parse('null\n')
    expect(doc.syntaxFindings).toEqual([])
    expect(doc.root?.kind).toBe('null')
  })
})

describe('positions', () => {
  test('keeps offsets of keys, values and array elements', () => {
    const text = '{\n  "debug": true,\n  "registry-mirrors": ["https://a.example", "https://b.example"]\n}\n'
    const doc = parse(text)
    const m = lastMember(topMembers(doc), 'registry-mirrors')!
    expect(text.slice(m.keyStart, m.keyEnd)).toBe('"registry-mirrors"')
    expect(m.value.kind).toBe('array')
    if (m.value.kind !== 'array') return
    expect(m.value.items.map((n) => text.slice(n.start, n.end))).toEqual(['"https://a.example"', '"https://b.example"'])
    expect(text.slice(m.value.start, m.value.end)).toBe('["https://a.example", "https://b.example"]')
  })

  test('columns count characters, not UTF-16 units or bytes', () => {
    // "é" is one character and the emoji two UTF-16 units: the comma is character 11 (UTF-16 index 11, byte 14).
    expect(errors('{"k": "é😀", }')[0]!.at).toBe('1:11')
  })

  test('a BOM does not count as a column', () => {
    expect(parse('\ufeff{"a": 1,}').bom).toBe(true)
    expect(errors('\ufeff{"a": 1,}')[0]!.at).toBe('1:8')
    expect(errors('{"a": 1,}')[0]!.at).toBe('1:8')
  })

  test('CRLF files count lines once per CRLF', () => {
    const doc = parse('{\r\n  "a": 1,\r\n}\r\n')
    expect(doc.eol).toBe('\r\n')
    expect(doc.syntaxFindings[0]!.line).toBe(2)
  })
})

describe('what Go rejects, with Go\'s message and the exact position', () => {
  test('line comment', () => {
    expect(errors('{\n  // cache\n  "debug": true\n}')).toEqual([
      {
        at: '2:3',
        rule: 'daemon-json/json-syntax',
        message: 'comments are not allowed in daemon.json — dockerd: "invalid character \'/\' looking for beginning of object key string"',
      },
    ])
  })

  test('block comment after a value', () => {
    expect(errors('{"debug": true /* on */}')[0]).toMatchObject({at: '1:16', message: expect.stringContaining('after object key:value pair')})
  })

  test('every comment is reported, and the rest of the file still parses', () => {
    const doc = parse('{\n  // one\n  "a": 1, // two\n  /* three */ "b": 2\n}')
    expect(doc.syntaxFindings.map((f) => `${f.line}:${f.column}`)).toEqual(['2:3', '3:11', '4:3'])
    expect(toValue(doc.root!)).toEqual({a: 1, b: 2})
  })

  test('trailing comma in an object points at the comma', () => {
    expect(errors('{\n  "a": 1,\n}')).toEqual([
      {at: '2:9', rule: 'daemon-json/json-syntax', message: 'trailing comma before } — dockerd: "invalid character \'}\' looking for beginning of object key string"'},
    ])
  })

  test('trailing comma in an array', () => {
    expect(errors('{"a": [1, 2,]}')).toEqual([
      {at: '1:12', rule: 'daemon-json/json-syntax', message: 'trailing comma before ] — dockerd: "invalid character \']\' looking for beginning of value"'},
    ])
  })

  test('single-quoted string and key', () => {
    expect(errors("{'a': 'b'}").map((e) => [e.at, e.message])).toEqual([
      ['1:2', 'keys must be in double quotes — dockerd: "invalid character \'\\\'\' looking for beginning of object key string"'],
      ['1:7', 'strings must be in double quotes — dockerd: "invalid character \'\\\'\' looking for beginning of value"'],
    ])
    expect(toValue(parse("{'a': 'b'}").root!)).toEqual({a: 'b'})
  })

  test('unquoted key', () => {
    expect(errors('{debug: true}')[0]).toMatchObject({at: '1:2', message: expect.stringContaining("invalid character 'd' looking for beginning of object key string")})
  })

  test.each([
    ['NaN', '1:7', "NaN and Infinity are not JSON numbers — dockerd: \"invalid character 'N' looking for beginning of value\""],
    ['Infinity', '1:7', "NaN and Infinity are not JSON numbers — dockerd: \"invalid character 'I' looking for beginning of value\""],
    ['-Infinity', '1:8', "NaN and Infinity are not JSON numbers — dockerd: \"invalid character 'I' in numeric literal\""],
    ['0x10', '1:8', "hexadecimal numbers are not JSON — dockerd: \"invalid character 'x' after object key:value pair\""],
    ['+1', '1:7', "a number cannot start with + — dockerd: \"invalid character '+' looking for beginning of value\""],
    ['.5', '1:7', "a decimal point needs digits on both sides — dockerd: \"invalid character '.' looking for beginning of value\""],
    ['1.', '1:9', "a decimal point needs digits on both sides — dockerd: \"invalid character '}' in numeric literal\""],
    ['01', '1:8', "a number cannot have leading zeros — dockerd: \"invalid character '1' after object key:value pair\""],
    ['10m', '1:9', "a value with a unit (such as 10m) must be a string in double quotes — dockerd: \"invalid character 'm' after object key:value pair\""],
    ['True', '1:7', "True is not a JSON literal (true, false and null are lower case) — dockerd: \"invalid character 'T' looking for beginning of value\""],
    ['nul', '1:10', 'nul is cut short (true, false or null?) — dockerd: "invalid character \'}\' in literal null (expecting \'l\')"'],
  ])('value %s', (value, at, message) => {
    expect(errors(`{"a": ${value}}`)).toEqual([{at, rule: 'daemon-json/json-syntax', message}])
  })

  test('missing comma between members is reported and skipped', () => {
    const doc = parse('{\n  "a": 1\n  "b": 2\n}')
    expect(doc.syntaxFindings.map((f) => [`${f.line}:${f.column}`, f.message])).toEqual([
      ['3:3', 'missing comma between two entries — dockerd: "invalid character \'"\' after object key:value pair"'],
    ])
    expect(toValue(doc.root!)).toEqual({a: 1, b: 2})
  })

  test('missing colon', () => {
    expect(errors('{"a" 1}')[0]).toMatchObject({at: '1:6', message: expect.stringContaining("invalid character '1' after object key")})
  })

  test('string not closed before the end of the line', () => {
    expect(errors('{"a": "https://m.example,\n "b": 1}')[0]).toMatchObject({
      at: '1:26',
      message: expect.stringContaining("invalid character '\\n' in string literal"),
    })
  })

  test('tab inside a string', () => {
    expect(errors('{"a": "x\ty"}')[0]).toMatchObject({at: '1:9', message: expect.stringContaining("invalid character '\\t' in string literal")})
  })

  test('invalid escape', () => {
    expect(errors('{"a": "C:\\data"}')[0]).toMatchObject({at: '1:11', message: expect.stringContaining("invalid character 'd' in string escape code")})
  })

  test('unicode escapes decode', () => {
    expect(toValue(parse('{"a": "caf\\u00e9 \\"q\\" \\/"}').root!)).toEqual({a: 'café "q" /'})
  })

  test('unexpected end of input stops the parse', () => {
    const doc = parse('{\n  "a": [1, 2\n')
    expect(doc.root).toBeNull()
    expect(doc.syntaxFindings.map((f) => [`${f.line}:${f.column}`, f.message])).toEqual([
      ['2:13', 'the file ends in the middle of a value — dockerd: "unexpected end of JSON input"'],
    ])
  })

  test('text after the closing brace', () => {
    expect(errors('{"a": 1}\n{"b": 2}\n')).toEqual([
      {at: '2:1', rule: 'daemon-json/json-syntax', message: 'unexpected text after the closing } — dockerd: "invalid character \'{\' after top-level value"'},
    ])
  })

  test('a no-break space between values is an error (Go shows its first UTF-8 byte)', () => {
    expect(errors('{"a":\u00a01}')).toEqual([
      {at: '1:6', rule: 'daemon-json/json-syntax', message: 'a U+00A0 space character, which JSON does not allow between values — dockerd: "invalid character \'Â\' looking for beginning of value"'},
    ])
  })

  test('a no-break space at the end is trimmed like dockerd does', () => {
    expect(errors('{"a": 1}\u00a0\n')).toEqual([])
  })

  test('an unrecoverable character stops with one finding', () => {
    const doc = parse('{"a": 1, @}')
    expect(doc.root).toBeNull()
    expect(doc.syntaxFindings).toHaveLength(1)
    expect(doc.syntaxFindings[0]!.message).toContain("invalid character '@' looking for beginning of object key string")
  })
})

describe('structure', () => {
  test.each([
    ['[]', 'array'],
    ['"x"', 'string'],
    ['42', 'number'],
    ['true', 'bool'],
  ])('top level %s is rejected', (text, goType) => {
    expect(errors(text)).toEqual([
      {
        at: '1:1',
        rule: 'daemon-json/top-level-not-object',
        message: `the top level of daemon.json is a ${goType}, not an object — dockerd: "json: cannot unmarshal ${goType} into Go value of type map[string]interface {}"`,
      },
    ])
  })

  test('duplicate keys warn at the ignored one and name the line that wins', () => {
    const doc = parse('{\n  "debug": true,\n  "log-opts": {"max-size": "1m", "max-size": "2m"},\n  "debug": false\n}')
    expect(doc.syntaxFindings.map((f) => [f.rule, `${f.line}:${f.column}`, f.severity, f.message])).toEqual([
      ['daemon-json/duplicate-key', '2:3', 'warning', '"debug" is set again on line 4; dockerd uses that last one and ignores this one'],
      ['daemon-json/duplicate-key', '3:16', 'warning', '"max-size" in "log-opts" is set again on line 3; dockerd uses that last one and ignores this one'],
    ])
    expect(toValue(doc.root!)).toEqual({debug: false, 'log-opts': {'max-size': '2m'}})
    expect(lastMember(topMembers(doc), 'debug')!.value).toMatchObject({kind: 'boolean', value: false})
  })

  test('every finding has a file, a position and a hint', () => {
    for (const f of parse("{'a': NaN, // x\n}").syntaxFindings) {
      expect(f.file).toBe('/etc/docker/daemon.json')
      expect(f.line).toBeGreaterThan(0)
      expect(f.column).toBeGreaterThan(0)
      expect(f.hint).not.toBe('')
    }
  })
})
