import {describe, expect, test} from 'vitest'
import {lint, only} from './lint-helpers.js'

describe('nondistributable-invalid', () => {
  const text = '{"allow-nondistributable-artifacts": ["10.0.0.0/8", "https://r.example.com", "reg-.example.com", "ok.example.com:5000"]}'

  test('each entry dockerd refuses, with a fix where one is obvious', () => {
    expect(only('nondistributable-invalid', text, {dockerVersion: '28.5.1'})).toEqual([
      {
        at: '1:53',
        severity: 'error',
        message: "allow-nondistributable-artifacts registry https://r.example.com should not contain '://'; dockerd refuses to start",
        hint: 'write "r.example.com" (host[:port] or a CIDR, no scheme)',
      },
      expect.objectContaining({at: '1:78', message: expect.stringContaining('is not valid: invalid host "reg-.example.com"')}),
    ])
  })

  test('checked on 20.10 too; from 29.0 the key is ignored (ignored-key), so its entries are not checked', () => {
    expect(only('nondistributable-invalid', text, {dockerVersion: '20.10.24'})).toHaveLength(2)
    expect(only('nondistributable-invalid', text, {dockerVersion: '29.0.0'})).toEqual([])
    expect(lint(text, {dockerVersion: '29.0.0'}).map((f) => f.rule)).toEqual(['daemon-json/ignored-key'])
  })
})

describe('insecure-registries', () => {
  test('a hyphen at the end of a label inside the name is refused', () => {
    expect(only('insecure-registry-invalid', '{"insecure-registries": ["reg-.example.com:5000"]}')).toEqual([
      expect.objectContaining({at: '1:26', message: 'insecure registry reg-.example.com:5000 is not valid: invalid host "reg-.example.com"; dockerd refuses to start'}),
    ])
  })
})

describe('long lists are linear (issue 11: 43k mirrors gave no answer)', () => {
  const many = (n: number, mirror: (i: number) => string) => Array.from({length: n}, (_, i) => mirror(i))

  test('43,000 mirrors on one line: every plain-HTTP mirror is reported at its exact column', () => {
    const mirrors = many(43_000, (i) => `http://m${i}.example.com`)
    const text = JSON.stringify({'registry-mirrors': mirrors})
    const findings = lint(text, {dockerVersion: '28.0.0'})
    expect(findings).toHaveLength(43_000)
    expect(findings.every((f) => f.rule === 'daemon-json/http-mirror' && f.line === 1)).toBe(true)
    const last = findings[findings.length - 1]!
    expect(last.column).toBe(text.lastIndexOf('"http://') + 1)
  })

  test('10,000 duplicated mirrors and labels, 3,000 unknown top-level keys: one finding each, none lost', () => {
    const mirrors = many(10_000, () => 'https://mirror.example.com')
    const labels = many(10_000, (i) => `k=${i % 2}`)
    const keys: Record<string, number> = {}
    for (let i = 0; i < 3_000; i++) keys[`unknown-${i}`] = i
    const text = JSON.stringify({'registry-mirrors': mirrors, labels, ...keys}, null, 1)
    const counts = new Map<string, number>()
    for (const f of lint(text, {dockerVersion: '27.0.0'})) counts.set(f.rule, (counts.get(f.rule) ?? 0) + 1)
    expect(Object.fromEntries(counts)).toEqual({
      'daemon-json/mirror-duplicate': 9_999,
      'daemon-json/label-conflict': 5_000,
      'daemon-json/unknown-key': 3_000,
    })
  })
})
