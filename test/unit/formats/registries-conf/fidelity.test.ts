import {describe, it, expect} from 'vitest'
import {evaluateConfigSet} from '../../../../src/formats/registries-conf/config-set.js'
import {isResolved, resolveImage, type ResolveEntry} from '../../../../src/formats/registries-conf/resolve.js'
import {matchPrefix, rewriteReference} from '../../../../src/core/registry-prefix.js'
import {rulesOf, setOf} from './helpers.js'

// Each expectation below is what containers/image (pkg/sysregistriesv2, docker/reference) does;
// the rewrite messages were also checked against skopeo 1.9.3 (containers/image 5.23) on loopback.
const resolve = (conf: string, image: string, ...dropIns: string[]) => resolveImage(setOf(conf, ...dropIns).merged!, image)
const sources = (e: ResolveEntry) => ('sources' in e ? e.sources.map((s) => s.reference) : e)

describe('rewriteReference: the rewritten source must parse and be canonical (ParseNamed)', () => {
  it('a prefix matches when the next character is "/", ":" or "@", so "localhost" matches localhost:5000/...', () => {
    expect(matchPrefix('localhost:5000/alpine:latest', 'localhost')).toBe(9)
    expect(matchPrefix('localhost/alpine@sha256:' + 'a'.repeat(64), 'localhost')).toBe(9)
    expect(matchPrefix('localhostx/alpine', 'localhost')).toBe(-1)
    expect(() => rewriteReference('localhost:5000/alpine:latest', 'localhost', 'mirror.example.com/x')).toThrow(
      /^rewriting reference: invalid reference format: "mirror\.example\.com\/x:5000\/alpine:latest"/,
    )
  })
  it('a location whose result normalises to another name is not canonical', () => {
    expect(() => rewriteReference('docker.io/library/ubuntu:latest', 'docker.io', 'index.docker.io')).toThrow(
      /^rewriting reference: repository name must be canonical: "index\.docker\.io\/library\/ubuntu:latest" normalises to "docker\.io\/library\/ubuntu:latest"/,
    )
    expect(() => rewriteReference('quay.io/hub/ubuntu:latest', 'quay.io/hub', 'docker.io')).toThrow(/repository name must be canonical/)
    expect(rewriteReference('quay.io/hub/org/ubuntu:latest', 'quay.io/hub', 'docker.io')).toBe('docker.io/org/ubuntu:latest')
  })
  it('fails for IPv4-mapped IPv6 hosts and names longer than 255 characters', () => {
    expect(() => rewriteReference('a.io/x/y:1', 'a.io', '[::ffff:127.0.0.1]:5000')).toThrow(/invalid reference format/)
    expect(rewriteReference('a.io/x/y:1', 'a.io', '[::1]:5000')).toBe('[::1]:5000/x/y:1')
    expect(() => rewriteReference('a.io/abc/ubuntu:1', 'a.io', `m.example.com/${'a'.repeat(240)}`)).toThrow(
      /^rewriting reference: repository name must not be more than 255 characters/,
    )
  })
  it('keeps the reference for an empty location (wildcard prefix)', () => {
    expect(rewriteReference('a.example.com/x:1', '*.example.com', '')).toBe('a.example.com/x:1')
  })
})

describe('resolve reports a failed rewrite for the image, or for the one short-name candidate', () => {
  const localhost = 'unqualified-search-registries = ["localhost", "quay.io"]\n[[registry]]\nprefix = "localhost"\nlocation = "mirror.example.com/x"\n'
  it('a qualified image whose rewrite fails is an error for that image', () => {
    const e = resolve(localhost, 'localhost:5000/alpine')
    expect(e).toEqual({image: 'localhost:5000/alpine', error: expect.stringMatching(/^rewriting reference: invalid reference format/)})
    expect(isResolved(e)).toBe(false)
    expect(sources(resolve(localhost, 'localhost/alpine'))).toEqual(['mirror.example.com/x/alpine:latest'])
  })
  it('one bad mirror fails the whole pull, even when the primary is fine', () => {
    const conf = '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "index.docker.io"\n'
    expect(resolve(conf, 'docker.io/ubuntu')).toEqual({image: 'docker.io/ubuntu', error: expect.stringMatching(/must be canonical/)})
  })
  it('a short name keeps its other candidates', () => {
    const conf = 'unqualified-search-registries = ["docker.io", "quay.io"]\n[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "index.docker.io"\n'
    const e = resolve(conf, 'ubuntu') as {candidates: unknown[]}
    expect(e.candidates).toEqual([
      {image: 'docker.io/library/ubuntu:latest', error: expect.stringMatching(/^rewriting reference: repository name must be canonical/)},
      expect.objectContaining({image: 'quay.io/ubuntu:latest'}),
    ])
    expect(isResolved(e as ResolveEntry)).toBe(true)
  })
  it('a short name whose every candidate fails cannot be resolved', () => {
    const conf = 'unqualified-search-registries = ["docker.io"]\n[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "index.docker.io"\n'
    expect(isResolved(resolve(conf, 'ubuntu'))).toBe(false)
  })
})

describe('short names', () => {
  it('"example.com:5000" has no "/", so it is the short name example.com with tag 5000', () => {
    const e = resolve('unqualified-search-registries = ["quay.io", "docker.io"]\n', 'example.com:5000') as {candidates: {image: string}[]}
    expect(e.candidates.map((c) => c.image)).toEqual(['quay.io/example.com:5000', 'docker.io/library/example.com:5000'])
  })
  it('a main file that sets nothing is named as the origin of the empty search list', () => {
    expect(resolve('# all comments, as Debian ships it\n', 'busybox')).toEqual({
      image: 'busybox',
      error: 'short-name "busybox" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"',
    })
  })
  it('a drop-in that sets the list becomes the origin; one that does not leaves the main file', () => {
    const e = resolve('unqualified-search-registries = ["docker.io"]\n', 'busybox', 'unqualified-search-registries = []\n', '# nothing\n') as {error: string}
    expect(e.error).toMatch(/defined in "\/etc\/containers\/registries\.conf\.d\/10-x\.conf"$/)
  })
  it('without a main file and without the key, no registries.conf was found', () => {
    const set = evaluateConfigSet([{path: '/etc/containers/registries.conf.d/10-x.conf', text: '# nothing\n', dropIn: true}])
    expect(resolveImage(set.merged!, 'busybox')).toEqual({
      image: 'busybox',
      error: 'short-name "busybox" did not resolve to an alias and no containers-registries.conf(5) was found',
    })
  })
})

describe('conflicts within one file (postProcessRegistries)', () => {
  it('two tables of one location that both set a proxy conflict, even with the same URL (pointer comparison)', () => {
    const two = (a: string, b: string) => `[[registry]]\nprefix = "a.io/x"\nlocation = "a.io"\n${a}\n[[registry]]\nprefix = "a.io/y"\nlocation = "a.io"\n${b}\n`
    expect(rulesOf(two('proxy = "http://p:3128"', 'proxy = "http://p:3128"'))).toEqual(['conflicting-proxy'])
    expect(rulesOf(two('proxy = "http://p:3128"', ''))).toEqual(['conflicting-proxy'])
    expect(rulesOf(two('', ''))).toEqual([])
  })
})

describe('V1 tables with empty lists (containers/image 5.23 Nonempty; 5.24+ hasSetField)', () => {
  it('empty V1 lists beside [[registry]] load, with a warning that newer versions refuse them', () => {
    const set = setOf('[registries.search]\nregistries = []\n\n[[registry]]\nlocation = "quay.io"\n')
    expect(set.merged!.registries.map((r) => r.prefix)).toEqual(['quay.io'])
    expect(set.findings.map((f) => [f.rule, f.severity, f.line])).toEqual([['registries-conf/empty-v1-v2-mix', 'warning', 1]])
  })
  it('empty V2 lists beside a non-empty V1 list: V1 wins, with the same warning', () => {
    const set = setOf('unqualified-search-registries = []\n[registries.search]\nregistries = ["quay.io"]\n')
    expect(set.merged!.unqualifiedSearchRegistries).toEqual(['quay.io'])
    expect(rulesOf('unqualified-search-registries = []\n[registries.search]\nregistries = ["quay.io"]\n')).toContain('empty-v1-v2-mix')
  })
  it('an empty V1 table in a drop-in loads with the warning; a non-empty one is refused', () => {
    const set = setOf('', '[registries.block]\nregistries = []\n')
    expect(set.merged).not.toBeNull()
    expect(rulesOf('', '[registries.block]\nregistries = []\n')).toEqual(['empty-v1-v2-mix'])
    expect(rulesOf('', '[registries.block]\nregistries = ["x.io"]\n')).toEqual(['v1-in-drop-in'])
  })
  it('a main file with only empty V1 lists needs no warning', () => {
    expect(rulesOf('[registries.search]\nregistries = []\n')).toEqual([])
  })
})

describe('lint of locations and mirrors containers/image cannot use', () => {
  const table = (location: string, prefix = 'docker.io') => `[[registry]]\nprefix = "${prefix}"\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = ${JSON.stringify(location)}\n`
  it.each([
    ['an IPv4-mapped IPv6 address', '[::ffff:127.0.0.1]:5000'],
    ['longer than 255 characters', `m.example.com/${'a'.repeat(250)}`],
    ['a newline and a quote', 'm.example.com/a\n"b'],
    ['index.docker.io', 'index.docker.io'],
    ['a first component that is no host', 'mirror'],
  ])('%s is an error', (_what, location) => {
    const set = setOf(table(location))
    const f = set.findings.find((x) => x.rule === 'registries-conf/location-unusable')
    expect(f, JSON.stringify(set.findings)).toMatchObject({severity: 'error', line: 5, column: 12})
    expect(set.merged).not.toBeNull() // it loads; the pulls fail
  })
  it('warns when common images under the prefix rewrite to invalid or non-canonical names', () => {
    const localhost = setOf('[[registry]]\nprefix = "localhost"\nlocation = "mirror.example.com/x"\n')
    expect(localhost.findings.map((f) => [f.rule, f.severity])).toEqual([['registries-conf/rewrite-fails', 'warning']])
    expect(localhost.findings[0]!.message).toMatch(/localhost:5000\/alpine:latest/)
    expect(rulesOf('[[registry]]\nprefix = "quay.io/hub"\nlocation = "docker.io"\n')).toEqual(['rewrite-fails'])
    expect(rulesOf('[[registry]]\nprefix = "localhost:5000"\nlocation = "mirror.example.com/x"\n')).toEqual([])
    expect(rulesOf('[[registry]]\nprefix = "quay.io/org"\nlocation = "m.example.com"\n')).toEqual([])
    expect(rulesOf('[[registry]]\nprefix = "docker.io/library"\nlocation = "quay.io/hub-copy"\n')).toEqual([])
    expect(rulesOf('[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "harbor.example.com/dockerhub-proxy"\n')).toEqual([])
  })
  it('warns that older containers/image releases refuse an IPv6 mirror (skopeo 1.9.3 does)', () => {
    expect(rulesOf('[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "[::1]:5000"\n')).toEqual(['ipv6-location'])
  })
  it('a "*" anywhere but a leading "*." never matches: warning', () => {
    expect(rulesOf('[[registry]]\nprefix = "docker.io/*"\nlocation = "docker.io"\n')).toEqual(['prefix-never-matches'])
    expect(rulesOf('[[registry]]\nprefix = "*.*.example.com"\ninsecure = true\n')).toEqual(['prefix-never-matches'])
    expect(rulesOf('[[registry]]\nprefix = "*.example.com"\ninsecure = true\n')).toEqual([])
    expect((resolve('[[registry]]\nprefix = "docker.io/*"\nlocation = "m.example.com"\n', 'docker.io/library/a') as {matchedPrefix: unknown}).matchedPrefix).toBeNull()
  })
})
