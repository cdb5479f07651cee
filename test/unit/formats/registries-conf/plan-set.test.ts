import {describe, it, expect} from 'vitest'
import {evaluateConfigSet} from '../../../../src/formats/registries-conf/config-set.js'
import {MANAGED_COMMENT} from '../../../../src/formats/registries-conf/table-state.js'
import {DIR, MAIN, applyPlan, files, hub as baseHub, mirrorsOf, plan, set} from './plan-helpers.js'

const hub = baseHub.replace(
  '\n[[registry.mirror]]\nlocation = "cache-b.example.com"\n',
  '\n# secondary cache\n[[registry.mirror]]\nlocation = "cache-b.example.com"\ninsecure = true\n',
)

/** Plans, applies, and checks the second run is a no-op (converged = no edit). */
function converge(fs: ReturnType<typeof files>, change: ReturnType<typeof set>) {
  const changes = plan(fs, change)
  const next = applyPlan(fs, changes)
  expect(plan(next, change)).toEqual([])
  return {changes, next}
}

describe("mirror 'set' on registries.conf", () => {
  it('is converged when the mirrors already are exactly these, in order, with these settings: no edit', () => {
    expect(plan(files(hub), set(['cache-a.example.com', ['cache-b.example.com', {insecure: true}]]))).toEqual([])
  })

  it('reorders the mirrors, each keeping the comments beside it', () => {
    const {changes, next} = converge(files(hub), set([['cache-b.example.com', {insecure: true}], 'cache-a.example.com']))
    expect(mirrorsOf(next)).toEqual([
      ['cache-b.example.com', true, ''],
      ['cache-a.example.com', false, ''],
    ])
    expect(changes[0]!.after).toBe(`# Docker Hub through our caches
[[registry]]
prefix = "docker.io"   # all of Docker Hub
location = "docker.io"

# secondary cache
[[registry.mirror]]
location = "cache-b.example.com"
insecure = true

# primary cache
[[registry.mirror]]
location = "cache-a.example.com"  # rack A

# trailing comment stays
`)
  })

  it('removes stale mirrors, adds new ones in place and updates settings that differ', () => {
    const {changes, next} = converge(files(hub), set(['new.example.com', 'cache-b.example.com']))
    expect(mirrorsOf(next)).toEqual([
      ['new.example.com', false, ''],
      ['cache-b.example.com', false, ''],
    ])
    const after = changes[0]!.after
    expect(after).not.toContain('cache-a')
    expect(after).not.toContain('# primary cache')
    expect(after).toContain('# secondary cache\n[[registry.mirror]]\nlocation = "cache-b.example.com"\ninsecure = false\n')
    expect(after).toContain('# trailing comment stays')
    expect(changes[0]!.actions).toEqual(
      expect.arrayContaining(['add mirror "new.example.com" to "docker.io"', 'remove mirror "cache-a.example.com" from "docker.io"', 'update mirror "cache-b.example.com" of "docker.io"']),
    )
  })

  it('puts a new mirror between two kept ones when the order says so', () => {
    const {next} = converge(files(hub), set(['cache-a.example.com', 'mid.example.com', ['cache-b.example.com', {insecure: true}]]))
    expect(mirrorsOf(next).map((m) => m[0])).toEqual(['cache-a.example.com', 'mid.example.com', 'cache-b.example.com'])
  })

  it('sets and removes pull-from-mirror', () => {
    const {next} = converge(files(hub), set([['cache-a.example.com', {pull: 'digest-only'}], ['cache-b.example.com', {insecure: true}]]))
    expect(mirrorsOf(next)[0]).toEqual(['cache-a.example.com', false, 'digest-only'])
    const back = plan(next, set(['cache-a.example.com', ['cache-b.example.com', {insecure: true}]]))
    expect(applyPlan(next, back)[0]!.text).toBe(hub)
  })

  it('[] clears the mirrors of a hand-written entry and keeps the entry and its comments', () => {
    const {changes, next} = converge(files(hub), set([]))
    expect(mirrorsOf(next)).toEqual([])
    expect(changes[0]!.after).toContain('prefix = "docker.io"   # all of Docker Hub')
    expect(changes[0]!.after).toContain('# trailing comment stays')
  })

  it('[] on a source with no entry changes nothing', () => {
    expect(plan(files(hub), set([], {source: 'quay.io'}))).toEqual([])
    expect(plan(files(null), set([]))).toEqual([])
  })

  it('a new entry carries the managed comment, and [] afterwards takes it away again', () => {
    const start = files(hub)
    const {changes, next} = converge(start, set(['q.example.com'], {source: 'quay.io'}))
    expect(changes[0]!.after).toBe(`${hub}\n${MANAGED_COMMENT}\n[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\n\n[[registry.mirror]]\nlocation = "q.example.com"\n`)
    const cleared = plan(next, set([], {source: 'quay.io'}))
    expect(cleared[0]!.after).toBe(hub)
  })

  it('location: undefined keeps it, a string sets it, null removes the redirect', () => {
    const redirected = hub.replace('location = "docker.io"\n', 'location = "hub.example.com"\n')
    expect(plan(files(redirected), set(['cache-a.example.com', ['cache-b.example.com', {insecure: true}]]))).toEqual([])
    const {next} = converge(files(hub), set(['cache-a.example.com', ['cache-b.example.com', {insecure: true}]], {location: 'hub.example.com'}))
    expect(evaluateConfigSet(next).merged!.registries[0]!.location).toBe('hub.example.com')
    const back = converge(next, set(['cache-a.example.com', ['cache-b.example.com', {insecure: true}]], {location: null}))
    expect(back.next[0]!.text).toBe(hub)
  })

  it('a V1 main file is never mixed: the entry goes to the drop-in, keeping what V1 said of the registry', () => {
    const v1 = '# site registries\n[registries.search]\nregistries = ["docker.io"]\n[registries.insecure]\nregistries = ["docker.io"]\n'
    const {changes, next} = converge(files(v1), set(['m.example.com']))
    expect(changes.map((c) => c.path)).toEqual([`${DIR}/50-mirrorctl.conf`])
    expect(next[0]!.text).toBe(v1)
    const merged = evaluateConfigSet(next).merged!
    expect(merged.registries[0]!.insecure).toBe(true)
    expect(mirrorsOf(next)).toEqual([['m.example.com', false, '']])
  })

  it('edits the drop-in that wins, not the main file', () => {
    const {changes} = converge(files(hub, {'50-hub.conf': hub}), set(['x.example.com']))
    expect(changes.map((c) => c.path)).toEqual([`${DIR}/50-hub.conf`])
  })

  it('no main file: a drop-in is created; a main file that exists and is V2 gets the entry', () => {
    expect(plan(files(null), set(['m.example.com']))[0]!.path).toBe(`${DIR}/50-mirrorctl.conf`)
    expect(plan(files('unqualified-search-registries = ["docker.io"]\n'), set(['m.example.com']))[0]!.path).toBe(MAIN)
  })

  it('refuses pull-from-mirror under a registry with mirror-by-digest-only, which the engines reject (exit 2, nothing planned)', () => {
    const digestOnly = hub.replace('location = "docker.io"\n', 'location = "docker.io"\nmirror-by-digest-only = true\n')
    expect(() => plan(files(digestOnly), set([['cache-a.example.com', {pull: 'tag-only'}]]))).toThrow(expect.objectContaining({exitCode: 2, rule: 'registries-conf/digest-only-conflict'}))
  })

  it('keeps CRLF line endings when reordering', () => {
    const crlf = hub.replace(/\n/g, '\r\n')
    const {changes} = converge(files(crlf), set([['cache-b.example.com', {insecure: true}], 'new.example.com', 'cache-a.example.com']))
    expect(changes[0]!.after.replace(/\r\n/g, '')).not.toContain('\n')
  })
})

describe("mirror 'set' on an inline mirror array", () => {
  const inline = `[[registry]]
location = "docker.io"
mirror = [ # tried in this order
  # primary
  { location = "a.example.com" },  # rack A
  { location = "b.example.com", insecure = true },  # rack B
]
`
  it('reorders element by element, keeping each comment beside its entry', () => {
    const {changes} = converge(files(inline), set([['b.example.com', {insecure: true}], 'a.example.com']))
    expect(changes[0]!.after).toBe(`[[registry]]
location = "docker.io"
mirror = [ # tried in this order
  { location = "b.example.com", insecure = true },  # rack B
  # primary
  { location = "a.example.com" },  # rack A
]
`)
  })

  it('clears it to an empty list that keeps the comment after the bracket', () => {
    const {next} = converge(files(inline), set([]))
    expect(next[0]!.text).toBe('[[registry]]\nlocation = "docker.io"\nmirror = [ # tried in this order\n]\n')
  })
})
