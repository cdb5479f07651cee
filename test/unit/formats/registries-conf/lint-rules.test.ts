import {describe, it, expect} from 'vitest'
import {setOf} from './helpers.js'

/** Accepted by the loader, but not what the author meant: [rule, severity, text, line, column]. */
const accepted: [string, string, string, number, number][] = [
  ['unknown-key', 'warning', '[[registry]]\nlocation = "quay.io"\nmirrors = ["m.io"]\n', 3, 1],
  ['unknown-key', 'warning', 'unqualified_search_registries = ["docker.io"]\n', 1, 1],
  ['key-in-mirror-scope', 'warning', '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m.io"\nblocked = true\n', 5, 1],
  ['key-case', 'warning', '[[registry]]\nLocation = "docker.io"\n', 2, 1],
  ['mirror-equals-location', 'warning', '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "docker.io"\n', 4, 12],
  ['duplicate-mirror', 'warning', '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m.io"\n[[registry.mirror]]\nlocation = "m.io"\n', 5, 1],
  ['duplicate-prefix', 'warning', '[[registry]]\nlocation = "a.io"\n\n[[registry]]\nlocation = "a.io"\n', 4, 1],
  ['prefix-never-matches', 'warning', '[[registry]]\nprefix = "docker.io/alpine"\nlocation = "m.io/alpine"\n', 2, 10],
  ['prefix-never-matches', 'warning', '[[registry]]\nprefix = "index.docker.io"\nlocation = "m.io"\n', 2, 10],
  ['prefix-never-matches', 'warning', '[[registry]]\nprefix = "docker.io/library/nginx:1.25"\nlocation = "m.io/nginx"\n', 2, 10],
  ['shadowed-mirrors', 'warning', '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m.io"\n\n[[registry]]\nlocation = "docker.io/library"\n', 6, 1],
  ['mirrors-of-blocked-registry', 'warning', '[[registry]]\nlocation = "docker.io"\nblocked = true\n[[registry.mirror]]\nlocation = "m.io"\n', 3, 1],
  ['digest-only-mirror-unused', 'info', '[[registry]]\nlocation = "docker.io"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.io"\n', 3, 1],
  ['v1-format', 'info', '[registries.search]\nregistries = ["docker.io"]\n', 1, 1],
  ['insecure-mirror', 'info', '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m.io"\ninsecure = true\n', 5, 1],
]

describe('mistakes the loader accepts', () => {
  it.each(accepted)('%s (%s)', (rule, severity, text, line, column) => {
    const set = setOf(text)
    expect(set.merged, JSON.stringify(set.findings)).not.toBeNull()
    const f = set.findings.find((x) => x.rule === `registries-conf/${rule}`)
    expect(f, JSON.stringify(set.findings)).toBeDefined()
    expect(f!.severity).toBe(severity)
    expect([f!.line, f!.column]).toEqual([line, column])
  })

  it('suggests the right key for a typo', () => {
    const f = setOf('[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m.io"\npull_from_mirror = "all"\n').findings[0]!
    expect(f.hint).toContain('pull-from-mirror')
  })

  it('reports a clash across drop-ins at the later file', () => {
    const set = setOf('', '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m.io"\n', '[[registry]]\nlocation = "docker.io"\n')
    const f = set.findings.find((x) => x.rule === 'registries-conf/replaced-by-drop-in')!
    expect(f.file).toMatch(/11-x\.conf$/)
    expect(f.message).toMatch(/10-x\.conf:1/)
  })

  it('a clean mirror config has no findings', () => {
    expect(setOf('unqualified-search-registries = ["docker.io"]\n\n[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n\n[[registry.mirror]]\nlocation = "mirror.example.com"\n').findings).toEqual([])
  })
})
