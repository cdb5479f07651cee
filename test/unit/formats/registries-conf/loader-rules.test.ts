import {describe, it, expect} from 'vitest'
import {setOf, rulesOf} from './helpers.js'

/** Each case: text the real loader rejects → the rule, and where it points. */
const rejected: [rule: string, text: string, line: number, column: number][] = [
  ['toml-syntax', 'a = [1,\n', 2, 1],
  ['toml-syntax', '[[registry]]\nlocation = "a.io"\nlocation = "b.io"\n', 3, 1],
  ['wrong-type', '[[registry]]\nlocation = "a.io"\ninsecure = "true"\n', 3, 12],
  ['wrong-type', '[registry]\nlocation = "a.io"\n', 1, 1],
  ['wrong-type', 'unqualified-search-registries = "docker.io"\n', 1, 33],
  ['mixed-v1-v2', 'unqualified-search-registries = ["docker.io"]\n\n[registries.search]\nregistries = ["quay.io"]\n', 3, 1],
  ['uri-scheme', '[[registry]]\nlocation = "https://quay.io"\n', 2, 12],
  ['uri-scheme', '[[registry]]\nlocation = "quay.io"\n[[registry.mirror]]\nlocation = "http://m.example.com"\n', 4, 12],
  ['uri-scheme', 'unqualified-search-registries = ["https://docker.io"]\n', 1, 34],
  ['prefix-location-unset', '[[registry]]\ninsecure = true\n', 1, 1],
  ['location-unset', '[[registry]]\nprefix = "example.com/foo"\n', 2, 1],
  ['pull-from-mirror-on-registry', '[[registry]]\nlocation = "a.io"\npull-from-mirror = "all"\n', 3, 1],
  ['mirror-location-unset', '[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\ninsecure = true\n', 3, 1],
  ['digest-only-conflict', '[[registry]]\nlocation = "a.io"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "all"\n', 6, 1],
  ['invalid-pull-from-mirror', '[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "digests"\n', 5, 20],
  ['conflicting-insecure', '[[registry]]\nprefix = "a.io/x"\nlocation = "a.io"\n\n[[registry]]\nprefix = "a.io/y"\nlocation = "a.io"\ninsecure = true\n', 5, 1],
  ['conflicting-blocked', '[[registry]]\nprefix = "a.io/x"\nlocation = "a.io"\nblocked = true\n\n[[registry]]\nprefix = "a.io/y"\nlocation = "a.io"\n', 6, 1],
  ['invalid-proxy', '[[registry]]\nlocation = "a.io"\nproxy = "ftp://p:21"\n', 3, 9],
  ['invalid-search-registry', 'unqualified-search-registries = ["docker.io/library"]\n', 1, 34],
  ['invalid-short-name-mode', 'short-name-mode = "prompt"\n', 1, 19],
  ['invalid-wildcard-prefix', '[[registry]]\nprefix = "*.example.com:5000"\n', 2, 10],
  ['invalid-alias', '[aliases]\n"quay.io/x" = "quay.io/x"\n', 2, 1],
  ['invalid-alias', '[aliases]\n"x" = "x"\n', 2, 7],
  ['invalid-alias', '[aliases]\n"x" = "quay.io/x:1"\n', 2, 7],
]

describe('what the loader rejects', () => {
  it.each(rejected)('%s', (rule, text, line, column) => {
    const set = setOf(text)
    expect(set.merged).toBeNull()
    const f = set.findings.find((x) => x.rule === `registries-conf/${rule}`)
    expect(f, JSON.stringify(set.findings)).toBeDefined()
    expect(f!.severity).toBe('error')
    expect([f!.line, f!.column]).toEqual([line, column])
    expect(f!.hint.length).toBeGreaterThan(10)
  })

  it('rejects V1 tables in a drop-in but accepts a V1 main file with V2 drop-ins', () => {
    expect(rulesOf('', '[registries.search]\nregistries = ["docker.io"]\n')).toContain('v1-in-drop-in')
    const ok = setOf('[registries.insecure]\nregistries = ["r.example.com:5000"]\n', '[[registry]]\nlocation = "quay.io"\n')
    expect(ok.merged).not.toBeNull()
    expect(ok.merged!.registries.map((r) => [r.prefix, r.insecure])).toEqual([
      ['quay.io', false],
      ['r.example.com:5000', true],
    ])
  })

  it('accepts a file that is only comments, and empty V1 tables without keys', () => {
    expect(setOf('# nothing\n').findings).toEqual([])
    expect(setOf('[registries.search]\n\n[[registry]]\nlocation = "a.io"\n').merged).not.toBeNull()
  })

  it('only checks conflicts within one file: a drop-in may change insecure', () => {
    const set = setOf('[[registry]]\nlocation = "a.io"\n', '[[registry]]\nlocation = "a.io"\ninsecure = true\n')
    expect(set.merged!.registries[0]!.insecure).toBe(true)
  })

  it('counts columns in characters, not bytes', () => {
    const f = setOf('# ü€😀\n[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\nlocation = "https://ü.example"\n').findings[0]!
    expect([f.line, f.column]).toEqual([5, 12])
    const g = setOf('x = "😀"; y\n').findings[0]!
    expect(g.line).toBe(1)
  })
})

describe('merge across drop-ins', () => {
  it('a later table with the same prefix replaces the earlier one wholesale', () => {
    const set = setOf('[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m.io"\n', '[[registry]]\nlocation = "docker.io"\ninsecure = true\n')
    expect(set.merged!.registries).toHaveLength(1)
    expect(set.merged!.registries[0]!.mirrors).toEqual([])
    expect(set.findings.map((f) => f.rule)).toContain('registries-conf/replaced-by-drop-in')
  })
  it('top-level lists are replaced when present, even empty', () => {
    const set = setOf('unqualified-search-registries = ["docker.io"]\ncredential-helpers = ["pass"]\n', 'unqualified-search-registries = []\n')
    expect(set.merged!.unqualifiedSearchRegistries).toEqual([])
    expect(set.merged!.credentialHelpers).toEqual(['pass'])
    expect(setOf('').merged!.credentialHelpers).toEqual(['containers-auth.json'])
    expect(setOf('').merged!.shortNameMode).toBe('permissive')
  })
  it('within one file the first table with a prefix wins', () => {
    const set = setOf('[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\nlocation = "m1.io"\n\n[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\nlocation = "m2.io"\n')
    expect(set.merged!.registries[0]!.mirrors.map((m) => m.location)).toEqual(['m1.io'])
    expect(set.findings.map((f) => f.rule)).toContain('registries-conf/duplicate-prefix')
  })
})
