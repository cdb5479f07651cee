/**
 * Issue 11: edits that never lose a byte. Each case reproduces a reported failure: comments in
 * a multi-line inline mirror array, add followed by remove, sources that can never match, and
 * --convert's header and comments.
 */
import {readFileSync} from 'node:fs'
import {describe, it, expect} from 'vitest'
import {UserError} from '../../../../src/core/errors.js'
import {evaluateConfigSet} from '../../../../src/formats/registries-conf/config-set.js'
import {DIR, MAIN, add, applyPlan, files, mirrorsOf, plan, remove} from './plan-helpers.js'

const fedora = readFileSync('fixtures/registries-conf/fedora-default.conf', 'utf8')
const inline = readFileSync('fixtures/registries-conf/inline-mirror-comments.conf', 'utf8')

describe('comments inside a multi-line inline mirror array', () => {
  it('mirror remove deletes only the entry and its own comments', () => {
    const [c] = plan(files(inline), remove(['a.example.com']))
    expect(c!.after).toBe(inline.replace('  # primary, in rack A\n  { location = "a.example.com" },  # owned by team A\n', ''))
    expect(mirrorsOf(applyPlan(files(inline), [c!]))).toEqual([['b.example.com', true, '']])
  })

  it('mirror remove of the last entry keeps the others and their comments', () => {
    const [c] = plan(files(inline), remove(['b.example.com']))
    expect(c!.after).toBe(inline.replace('\n  # secondary\n  { location = "b.example.com", insecure = true },  # rack B\n', ''))
  })

  it('mirror add puts a new line in, with the indentation of the others, touching no comment', () => {
    const [first] = plan(files(inline), add(['n.example.com']))
    expect(first!.after).toBe(inline.replace('mirror = [ # tried in this order\n', 'mirror = [ # tried in this order\n  { location = "n.example.com" },\n'))
    const [last] = plan(files(inline), add(['n.example.com'], {position: 'last'}))
    expect(last!.after).toBe(inline.replace('# rack B\n', '# rack B\n  { location = "n.example.com" },\n'))
    expect(mirrorsOf(applyPlan(files(inline), [last!])).map((m) => m[0])).toEqual(['a.example.com', 'b.example.com', 'n.example.com'])
  })

  it('a list without a comma after its last entry gets one only where an entry follows', () => {
    const noComma = '[[registry]]\nlocation = "docker.io"\nmirror = [\n  { location = "a.example.com" }  # A\n]\n'
    const [c] = plan(files(noComma), add(['n.example.com'], {position: 'last'}))
    expect(c!.after).toBe('[[registry]]\nlocation = "docker.io"\nmirror = [\n  { location = "a.example.com" },  # A\n  { location = "n.example.com" }\n]\n')
  })

  it('changing a setting rewrites only that entry', () => {
    const [c] = plan(files(inline), add(['a.example.com'], {insecure: true}))
    expect(c!.after).toBe(inline.replace('{ location = "a.example.com" },', '{ location = "a.example.com", insecure = true },'))
  })

  it('refuses, rather than loses, comments in a list that has several entries on one line', () => {
    const mixed = '[[registry]]\nlocation = "docker.io"\nmirror = [ { location = "a.example.com" }, # A\n  { location = "b.example.com" } ]\n'
    expect(() => plan(files(mixed), remove(['a.example.com']))).toThrow(/one line/)
  })
})

describe('mirror add, then mirror remove, gives back the original bytes', () => {
  const cases: [string, string | null, Record<string, string>][] = [
    ['a commented distribution default', fedora, {}],
    ['a file without a final line break', 'unqualified-search-registries = ["docker.io"]', {}],
    ['an empty main file', '', {}],
    ['a main file with another entry', '[[registry]]\nlocation = "quay.io"\n', {}],
  ]
  it.each(cases)('%s', (_name, main, dropIns) => {
    const start = files(main, dropIns)
    const added = plan(start, add(['m.example.com', 'n.example.com'], {insecure: true}))
    expect(added.map((c) => c.path)).toEqual([MAIN])
    const once = applyPlan(start, added)
    const removed = plan(once, remove(['m.example.com', 'n.example.com']))
    expect(applyPlan(once, removed)).toEqual(start)
    // and by removing everything at once
    expect(applyPlan(once, plan(once, remove(null)))).toEqual(start)
  })

  it('no main file: the drop-in the add created is deleted again', () => {
    const start = files(null)
    const once = applyPlan(start, plan(start, add(['m.example.com'])))
    expect(once.map((f) => f.path)).toEqual([`${DIR}/50-mirrorctl.conf`])
    const removed = plan(once, remove(['m.example.com']))
    expect(removed).toEqual([expect.objectContaining({path: `${DIR}/50-mirrorctl.conf`, after: '', deleteFile: true})])
    expect(applyPlan(once, removed)).toEqual([])
  })

  it('two entries added one after the other come out in either order', () => {
    const start = files(fedora)
    const one = applyPlan(start, plan(start, add(['m.example.com'])))
    const two = applyPlan(one, plan(one, add(['q.example.com'], {source: 'quay.io'})))
    const back = applyPlan(two, plan(two, remove(null)))
    expect(back).toEqual(applyPlan(start, plan(start, add(['q.example.com'], {source: 'quay.io'}))))
    expect(applyPlan(back, plan(back, remove(null, 'quay.io')))).toEqual(start)
  })

  it('a hand-written entry stays when its last mirror goes', () => {
    const hand = '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n\n[[registry.mirror]]\nlocation = "m.example.com"\n'
    const [c] = plan(files(hand), remove(null))
    expect(c!.after).toBe('[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n\n')
  })

  it('an entry mirrorctl created that shadows another file is kept (deleting it would bring the other back)', () => {
    const start = files('[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "old.example.com"\n')
    const once = applyPlan(start, plan(start, remove(null), {dropIn: '90-site.conf'}))
    const merged = evaluateConfigSet(once).merged!
    expect(merged.registries[0]!.mirrors).toEqual([])
    expect(once.map((f) => f.path)).toEqual([MAIN, `${DIR}/90-site.conf`])
  })
})

describe('sources are written the way the engines compare them', () => {
  it('lower-cases the registry domain (a prefix with capitals never matches a pull)', () => {
    const [c] = plan(files(''), add(['m.example.com'], {source: 'DOCKER.IO'}))
    expect(c!.after).toContain('prefix = "docker.io"')
    const [q] = plan(files(''), add(['m.example.com'], {source: 'Quay.IO/org'}))
    expect(q!.after).toContain('prefix = "quay.io/org"')
  })

  it.each([
    ['nginx', 'docker.io/library/nginx'],
    ['library/nginx', 'docker.io/library/nginx'],
    ['myuser/app', 'docker.io/myuser/app'],
  ])('refuses %j, which names no registry, and names the prefix that would match', (source, fix) => {
    try {
      plan(files(''), add(['m.example.com'], {source}))
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(UserError)
      expect((error as UserError).exitCode).toBe(2)
      expect((error as UserError).hint).toContain(fix)
    }
  })

  it('accepts localhost and host:port sources', () => {
    expect(plan(files(''), add(['m.example.com'], {source: 'localhost:5000/x'}))[0]!.after).toContain('prefix = "localhost:5000/x"')
    expect(plan(files(''), add(['m.example.com'], {source: 'localhost'}))[0]!.after).toContain('prefix = "localhost"')
  })
})

describe('--convert', () => {
  const v1 = `# Site registries, managed by hand
# (see the wiki)

# where short names are looked up
[registries.search]
registries = ["docker.io", "quay.io"]  # Hub first

# our lab registry has a self-signed certificate
[registries.insecure]
registries = ["r.example.com:5000"]
`
  it('keeps every comment of the V1 file, beside what its section became', () => {
    const [c] = plan(files(v1), add(['m.example.com']), {convert: true})
    const after = c!.after
    for (const comment of ['# Site registries, managed by hand', '# (see the wiki)', '# where short names are looked up', '# Hub first', '# our lab registry has a self-signed certificate'])
      expect(after).toContain(comment)
    expect(after.indexOf('# Hub first')).toBeLessThan(after.indexOf('unqualified-search-registries'))
    expect(after.indexOf('# our lab registry')).toBeLessThan(after.indexOf('location = "r.example.com:5000"'))
    expect(after.indexOf('# our lab registry')).toBeGreaterThan(after.indexOf('unqualified-search-registries'))
    const merged = evaluateConfigSet(applyPlan(files(v1), [c!])).merged!
    expect(merged.unqualifiedSearchRegistries).toEqual(['docker.io', 'quay.io'])
  })

  it('promises a backup only when one is taken', () => {
    expect(plan(files(v1), add(['m.example.com']), {convert: true})[0]!.after).toContain('backups')
    const [c] = plan(files(v1), add(['m.example.com']), {convert: true, backup: false})
    expect(c!.after).not.toMatch(/backup/i)
    expect(c!.after).toContain('# Converted from the V1 format by mirrorctl.')
  })
})
