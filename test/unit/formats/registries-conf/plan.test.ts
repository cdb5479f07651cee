import {readFileSync} from 'node:fs'
import {describe, it, expect} from 'vitest'
import {evaluateConfigSet} from '../../../../src/formats/registries-conf/config-set.js'
import {MANAGED_COMMENT} from '../../../../src/formats/registries-conf/table-state.js'
import {UserError} from '../../../../src/core/errors.js'
import {DIR, MAIN, add, applyPlan, files, hub, plan, remove} from './plan-helpers.js'

const fedora = readFileSync('fixtures/registries-conf/fedora-default.conf', 'utf8')

describe('mirror add', () => {
  it('appends a new table to a commented distribution default, keeping every byte', () => {
    const [c] = plan(files(fedora), add(['127.0.0.1:5000'], {insecure: true}))
    expect(c!.path).toBe(MAIN)
    expect(c!.after.startsWith(fedora)).toBe(true)
    expect(c!.after.slice(fedora.length)).toBe(
      `\n${MANAGED_COMMENT}\n[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n\n[[registry.mirror]]\nlocation = "127.0.0.1:5000"\ninsecure = true\n`,
    )
    const again = plan(applyPlan(files(fedora), [c!]), add(['127.0.0.1:5000'], {insecure: true}))
    expect(again).toEqual([])
  })

  it('puts a new mirror first by default, above the existing ones, comments untouched', () => {
    const [c] = plan(files(hub), add(['new.example.com']))
    // above the comment that describes the first existing mirror, which stays with it
    expect(c!.after).toBe(hub.replace('# primary cache\n', '[[registry.mirror]]\nlocation = "new.example.com"\n\n# primary cache\n'))
  })

  it('--position last goes after the last mirror, before trailing comments', () => {
    const [c] = plan(files(hub), add(['new.example.com'], {position: 'last'}))
    expect(c!.after).toBe(hub.replace('location = "cache-b.example.com"\n', 'location = "cache-b.example.com"\n\n[[registry.mirror]]\nlocation = "new.example.com"\n'))
  })

  it('changes only the setting of a mirror that exists, keeping its place and inline comment', () => {
    const [c] = plan(files(hub), add(['cache-a.example.com'], {insecure: true}))
    expect(c!.after).toBe(hub.replace('location = "cache-a.example.com"  # rack A\n', 'location = "cache-a.example.com"  # rack A\ninsecure = true\n'))
    expect(plan(files(hub), add(['cache-a.example.com']))).toEqual([])
  })

  it('edits the drop-in whose entry wins the merge', () => {
    const [c] = plan(files(fedora, {'50-hub.conf': hub}), add(['new.example.com'], {position: 'last'}))
    expect(c!.path).toBe(`${DIR}/50-hub.conf`)
  })

  it('never mixes V2 into a V1 main file: a new entry goes into 50-mirrorctl.conf', () => {
    const v1 = '[registries.search]\nregistries = ["docker.io"]\n'
    const [c] = plan(files(v1), add(['m.example.com']))
    expect(c!.path).toBe(`${DIR}/50-mirrorctl.conf`)
    expect(c!.before).toBeNull()
    expect(evaluateConfigSet(applyPlan(files(v1), [c!])).merged!.registries[0]!.mirrors[0]!.location).toBe('m.example.com')
  })

  it('--convert rewrites a V1 main file as V2 with the same meaning', () => {
    const v1 = '[registries.search]\nregistries = ["docker.io", "quay.io"]\n[registries.insecure]\nregistries = ["r.example.com:5000"]\n'
    const [c] = plan(files(v1), add(['m.example.com']), {convert: true})
    expect(c!.path).toBe(MAIN)
    const merged = evaluateConfigSet(applyPlan(files(v1), [c!])).merged!
    expect(merged.unqualifiedSearchRegistries).toEqual(['docker.io', 'quay.io'])
    expect(merged.registries.map((r) => [r.prefix, r.insecure, r.mirrors.length])).toEqual([
      ['docker.io', false, 1],
      ['r.example.com:5000', true, 0],
    ])
  })

  it('--drop-in NAME always writes that drop-in', () => {
    const [c] = plan(files(fedora), add(['m.example.com']), {dropIn: '90-site.conf'})
    expect(c!.path).toBe(`${DIR}/90-site.conf`)
  })

  it('writes the drop-in, not a new main file, when no main file exists (a distribution can still install its own)', () => {
    const [c] = plan(files(null), add(['m.example.com/dockerhub-proxy']))
    expect(c!.path).toBe(`${DIR}/50-mirrorctl.conf`)
    expect(c!.before).toBeNull()
    expect(c!.after).toContain('location = "m.example.com/dockerhub-proxy"')
  })

  it('--location redirects a prefix, and is idempotent', () => {
    const change = add([], {source: 'docker.io/library', location: 'quay.io/myorg'})
    const [c] = plan(files(hub), change)
    const merged = evaluateConfigSet(applyPlan(files(hub), [c!])).merged!
    expect(merged.registries.find((r) => r.prefix === 'docker.io/library')!.location).toBe('quay.io/myorg')
    expect(plan(applyPlan(files(hub), [c!]), change)).toEqual([])
    const [d] = plan(files(hub), add([], {location: 'hub-copy.example.com'}))
    expect(d!.after).toContain('location = "hub-copy.example.com"\n')
    expect(d!.after).toContain('prefix = "docker.io"   # all of Docker Hub')
  })

  it('keeps CRLF line endings', () => {
    const crlf = hub.replace(/\n/g, '\r\n')
    const [c] = plan(files(crlf), add(['new.example.com'], {position: 'last'}))
    expect(c!.after.replace(/\r\n/g, '')).not.toContain('\n')
  })

  it('edits an inline mirror array in place', () => {
    const inline = '[[registry]]\nlocation = "docker.io"\nmirror = [ { location = "a.example.com" } ]\n'
    const [c] = plan(files(inline), add(['b.example.com'], {position: 'last'}))
    expect(c!.after).toBe('[[registry]]\nlocation = "docker.io"\nmirror = [ { location = "a.example.com" }, { location = "b.example.com" } ]\n')
  })

  it('refuses to edit a configuration the engines reject, and says where', () => {
    try {
      plan(files('[[registry]]\nlocation = "https://quay.io"\n'), add(['m.example.com']))
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(UserError)
      expect((error as UserError).exitCode).toBe(1)
      expect((error as UserError).position).toEqual({file: MAIN, line: 2, column: 12})
    }
  })

  it('normalises Docker Hub aliases of the source', () => {
    const [c] = plan(files(''), add(['m.example.com'], {source: 'index.docker.io'}))
    expect(c!.after).toContain('prefix = "docker.io"')
  })
})

describe('sources', () => {
  it('writes a wildcard source without a location, and the mirror serves its hosts', () => {
    const [c] = plan(files(''), add(['m.example.com'], {source: '*.corp.example'}))
    expect(c!.after).toContain('prefix = "*.corp.example"\n\n[[registry.mirror]]')
    const merged = evaluateConfigSet(applyPlan(files(''), [c!])).merged!
    expect(merged.registries[0]!.location).toBe('')
  })
  it.each(['not a host', 'quay.io/Org', '*.example.com/x', '*.example.com:5000', 'quay.io//x'])('rejects the source %j', (source) => {
    expect(() => plan(files(''), add(['m.example.com'], {source}))).toThrow(UserError)
  })
})

describe('mirror remove', () => {
  it('removes one mirror block', () => {
    const [c] = plan(files(hub), remove(['cache-a.example.com']))
    expect(c!.after).toBe(hub.replace('# primary cache\n[[registry.mirror]]\nlocation = "cache-a.example.com"  # rack A\n\n', ''))
    expect(plan(applyPlan(files(hub), [c!]), remove(['cache-a.example.com']))).toEqual([])
  })
  it('removes all mirrors when none is named', () => {
    const [c] = plan(files(hub), remove(null))
    const merged = evaluateConfigSet(applyPlan(files(hub), [c!])).merged!
    expect(merged.registries[0]!.mirrors).toEqual([])
    expect(c!.after).toContain('# trailing comment stays')
    expect(c!.after).toContain('prefix = "docker.io"   # all of Docker Hub')
  })
  it('does nothing when there is nothing to remove', () => {
    expect(plan(files(fedora), remove(null))).toEqual([])
    expect(plan(files(hub), remove(['other.example.com']))).toEqual([])
  })
})
