import {describe, expect, test} from 'vitest'
import {lintDaemonJson} from '../../../../src/formats/daemon-json/lint.js'
import {lastMember, parseDaemonJson, toValue, topMembers} from '../../../../src/formats/daemon-json/parse.js'
import {readDaemonJson} from '../../../../src/formats/daemon-json/read.js'

const parse = (text: string) => parseDaemonJson(text, '/etc/docker/daemon.json')

/** `{"key": [[…[]…]]}`: the object plus `arrays` nested arrays. */
const nested = (key: string, arrays: number) => `{"${key}": ${'['.repeat(arrays)}${']'.repeat(arrays)}}\n`

// Go's encoding/json scanner (pushParseState) allows 10000 open containers and refuses the
// 10001st with "invalid character '[' exceeded max depth"; dockerd then refuses to start.
describe('nesting depth, as encoding/json counts it', () => {
  test('5,000 nested arrays in registry-mirrors parse, lint and read without throwing', () => {
    const doc = parse(nested('registry-mirrors', 5000))
    expect(doc.syntaxFindings).toEqual([])
    const value = lastMember(topMembers(doc), 'registry-mirrors')!.value
    expect(value.kind).toBe('array')
    let depth = 0
    for (let v: unknown = toValue(value); Array.isArray(v); v = v[0]) depth++
    expect(depth).toBe(5000)
    const findings = lintDaemonJson(doc)
    expect(findings.some((f) => f.severity === 'error' && f.rule === 'daemon-json/wrong-type')).toBe(true)
    expect(() => readDaemonJson(doc)).not.toThrow()
  })

  test('10,000 open containers (the object and 9,999 arrays) are accepted', () => {
    const doc = parse(nested('x-deep', 9999))
    expect(doc.syntaxFindings).toEqual([])
    expect(doc.root?.kind).toBe('object')
  })

  test('the 10,001st container is an error at its own position, with Go\'s message', () => {
    const doc = parse(nested('x-deep', 10000))
    expect(doc.syntaxFindings).toHaveLength(1)
    const f = doc.syntaxFindings[0]!
    expect(f.rule).toBe('daemon-json/json-syntax')
    expect(f.severity).toBe('error')
    expect(`${f.line}:${f.column}`).toBe(`1:${'{"x-deep": '.length + 10000}`)
    expect(f.message).toContain(`dockerd: "invalid character '[' exceeded max depth"`)
  })

  test('100,000 nested objects stop at the limit instead of overflowing the stack', () => {
    const text = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)
    const doc = parse(text)
    expect(doc.syntaxFindings.map((f) => f.rule)).toEqual(['daemon-json/json-syntax'])
    expect(doc.syntaxFindings[0]!.message).toContain("invalid character '{' exceeded max depth")
    expect(() => lintDaemonJson(doc)).not.toThrow()
  })

  test('deep nesting with a duplicate key far down is still found (no recursion)', () => {
    const text = '{"a":'.repeat(6000) + '{"k": 1, "k": 2}' + '}'.repeat(6000)
    const doc = parse(text)
    expect(doc.syntaxFindings.map((f) => f.rule)).toEqual(['daemon-json/duplicate-key'])
  })
})

describe('long values', () => {
  test('a 1 MB string value parses to the same string', () => {
    const long = 'x'.repeat(1_000_000)
    const doc = parse(`{"x-long": "${long}"}`)
    expect(doc.syntaxFindings).toEqual([])
    const v = lastMember(topMembers(doc), 'x-long')!.value
    expect(v.kind === 'string' && v.value.length).toBe(1_000_000)
  })

  test('a 1 MB string of escapes decodes', () => {
    const doc = parse(`{"x-long": "${'\\u0041'.repeat(200_000)}"}`)
    const v = lastMember(topMembers(doc), 'x-long')!.value
    expect(v.kind === 'string' && v.value).toBe('A'.repeat(200_000))
  })

  test('a registry-mirrors list of 20,000 entries parses', () => {
    const list = Array.from({length: 20_000}, (_, i) => `"https://m${i}.example.com"`).join(',')
    const doc = parse(`{"registry-mirrors": [${list}]}`)
    expect(doc.syntaxFindings).toEqual([])
    const v = lastMember(topMembers(doc), 'registry-mirrors')!.value
    expect(v.kind === 'array' && v.items.length).toBe(20_000)
  })

  test('a 200,000-character unknown key lints (the did-you-mean search skips hopeless candidates)', () => {
    const doc = parse(`{"${'k'.repeat(200_000)}": 1, "registy-mirrors": []}`)
    const rules = lintDaemonJson(doc).map((f) => f.rule)
    expect(rules.filter((r) => r === 'daemon-json/unknown-key')).toHaveLength(2)
  })
})
