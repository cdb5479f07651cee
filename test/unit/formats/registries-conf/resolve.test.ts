import {describe, it, expect} from 'vitest'
import {matchPrefix, resolveImage} from '../../../../src/formats/registries-conf/resolve.js'
import {setOf} from './helpers.js'

const hub = `
[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "m1.example.com"
[[registry.mirror]]
location = "m2.example.com:5000/hub"
insecure = true
`
const resolve = (conf: string, image: string, ...dropIns: string[]) => resolveImage(setOf(conf, ...dropIns).merged!, image)

describe('prefix matching (FindRegistry)', () => {
  it('matches the whole name or up to / : @', () => {
    expect(matchPrefix('docker.io/library/nginx', 'docker.io')).toBe(9)
    expect(matchPrefix('docker.io/library/nginx', 'docker.io/library')).toBe(17)
    expect(matchPrefix('docker.io/libraryx/nginx', 'docker.io/library')).toBe(-1)
    expect(matchPrefix('docker.io', 'docker.io')).toBe(9)
    // the documented quirk: example.com also matches example.com:5000/...
    expect(matchPrefix('example.com:5000/a', 'example.com')).toBe(11)
  })
  it('matches wildcards on any number of subdomain levels, never the bare domain', () => {
    expect(matchPrefix('a.example.com/x', '*.example.com')).toBeGreaterThan(0)
    expect(matchPrefix('a.b.example.com/x', '*.example.com')).toBeGreaterThan(0)
    expect(matchPrefix('example.com/x', '*.example.com')).toBe(-1)
    expect(matchPrefix('evil.com/a.example.com/x', '*.example.com')).toBe(-1)
  })
})

describe('resolve', () => {
  it('lists every mirror, then the primary, with :latest added', () => {
    expect(resolve('unqualified-search-registries = ["docker.io"]\n' + hub, 'nginx')).toEqual({
      image: 'nginx',
      candidates: [
        {
          image: 'docker.io/library/nginx:latest',
          matchedPrefix: 'docker.io',
          blocked: false,
          sources: [
            {reference: 'm1.example.com/library/nginx:latest', insecure: false, mirror: true},
            {reference: 'm2.example.com:5000/hub/library/nginx:latest', insecure: true, mirror: true},
            {reference: 'docker.io/library/nginx:latest', insecure: false, mirror: false},
          ],
        },
      ],
    })
    const direct = resolve(hub, 'docker.io/library/nginx:1.27')
    expect(direct).toEqual({
      image: 'docker.io/library/nginx:1.27',
      matchedPrefix: 'docker.io',
      blocked: false,
      sources: [
        {reference: 'm1.example.com/library/nginx:1.27', insecure: false, mirror: true},
        {reference: 'm2.example.com:5000/hub/library/nginx:1.27', insecure: true, mirror: true},
        {reference: 'docker.io/library/nginx:1.27', insecure: false, mirror: false},
      ],
    })
  })

  it('uses the image itself when nothing matches', () => {
    expect(resolve(hub, 'quay.io/podman/hello')).toEqual({
      image: 'quay.io/podman/hello',
      matchedPrefix: null,
      blocked: false,
      sources: [{reference: 'quay.io/podman/hello:latest', insecure: false, mirror: false}],
    })
  })

  it('picks the longest prefix, and a narrower table without mirrors hides the broader mirrors', () => {
    const conf = hub + '\n[[registry]]\nprefix = "docker.io/library"\nlocation = "quay.io/hub-copy"\n'
    const r = resolve(conf, 'docker.io/library/alpine') as {matchedPrefix: string; sources: {reference: string}[]}
    expect(r.matchedPrefix).toBe('docker.io/library')
    expect(r.sources.map((s) => s.reference)).toEqual(['quay.io/hub-copy/alpine:latest'])
  })

  it('lists sources of a blocked image and marks it blocked', () => {
    const r = resolve('[[registry]]\nlocation = "evil.example.com"\nblocked = true\n', 'evil.example.com/x') as {blocked: boolean; sources: unknown[]}
    expect(r.blocked).toBe(true)
    expect(r.sources).toHaveLength(1)
  })

  it('applies mirror-by-digest-only and pull-from-mirror', () => {
    const digest = 'sha256:' + 'b'.repeat(64)
    const byDigest = '[[registry]]\nlocation = "docker.io"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.example.com"\n'
    expect((resolve(byDigest, 'docker.io/library/a:1') as {sources: unknown[]}).sources).toHaveLength(1)
    expect((resolve(byDigest, `docker.io/library/a@${digest}`) as {sources: unknown[]}).sources).toHaveLength(2)
    const perMirror =
      '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "d.example.com"\npull-from-mirror = "digest-only"\n[[registry.mirror]]\nlocation = "t.example.com"\npull-from-mirror = "tag-only"\n'
    const tagged = resolve(perMirror, 'docker.io/library/a:1') as {sources: {reference: string}[]}
    expect(tagged.sources.map((s) => s.reference)).toEqual(['t.example.com/library/a:1', 'docker.io/library/a:1'])
    const digested = resolve(perMirror, `docker.io/library/a@${digest}`) as {sources: {reference: string}[]}
    expect(digested.sources.map((s) => s.reference)).toEqual([`d.example.com/library/a@${digest}`, `docker.io/library/a@${digest}`])
  })

  it('keeps the reference for a wildcard table without location', () => {
    const r = resolve('[[registry]]\nprefix = "*.example.com"\ninsecure = true\n', 'a.b.example.com/x:1') as {sources: {reference: string; insecure: boolean}[]}
    expect(r.sources).toEqual([{reference: 'a.b.example.com/x:1', insecure: true, mirror: false}])
  })

  it('never matches a prefix carrying a tag, because matching uses the name only', () => {
    const r = resolve('[[registry]]\nprefix = "docker.io/library/nginx:1.25"\nlocation = "m.example.com/nginx"\n', 'docker.io/library/nginx:1.25') as {matchedPrefix: unknown}
    expect(r.matchedPrefix).toBeNull()
  })

  describe('short names (no terminal)', () => {
    it('an alias wins, keeping the tag', () => {
      const conf = 'unqualified-search-registries = ["quay.io", "docker.io"]\n[aliases]\n"app" = "registry.example.com/team/app"\n'
      expect(resolve(conf, 'app:2')).toEqual({
        image: 'app:2',
        candidates: [{image: 'registry.example.com/team/app:2', matchedPrefix: null, blocked: false, sources: [{reference: 'registry.example.com/team/app:2', insecure: false, mirror: false}]}],
      })
    })
    it('permissive: every search registry in order', () => {
      const r = resolve('unqualified-search-registries = ["quay.io", "docker.io"]\nshort-name-mode = "permissive"\n', 'busybox') as {candidates: {image: string}[]}
      expect(r.candidates.map((c) => c.image)).toEqual(['quay.io/busybox:latest', 'docker.io/library/busybox:latest'])
    })
    it('enforcing with several registries is an error without a terminal, but one registry is fine', () => {
      expect(resolve('unqualified-search-registries = ["quay.io", "docker.io"]\nshort-name-mode = "enforcing"\n', 'busybox')).toEqual({
        image: 'busybox',
        error: 'short-name resolution enforced but cannot prompt without a TTY',
      })
      const one = resolve('unqualified-search-registries = ["docker.io"]\nshort-name-mode = "enforcing"\n', 'busybox') as {candidates: unknown[]}
      expect(one.candidates).toHaveLength(1)
    })
    it('disabled: every registry, even when enforcing would refuse', () => {
      const r = resolve('unqualified-search-registries = ["quay.io", "docker.io"]\nshort-name-mode = "disabled"\n', 'busybox') as {candidates: unknown[]}
      expect(r.candidates).toHaveLength(2)
    })
    it('no alias and no search registries is an error naming the file', () => {
      const r = resolve('', 'busybox') as {error: string}
      expect(r.error).toMatch(/did not resolve to an alias/)
    })
    it('a drop-in alias of "" erases an earlier one', () => {
      const r = resolve('unqualified-search-registries = ["docker.io"]\n[aliases]\n"x" = "quay.io/x"\n', 'x', '[aliases]\n"x" = ""\n') as {candidates: {image: string}[]}
      expect(r.candidates[0]!.image).toBe('docker.io/library/x:latest')
    })
  })

  it('reports an unparsable image in its entry', () => {
    expect(resolve(hub, 'docker.io/library/nginx:')).toEqual({image: 'docker.io/library/nginx:', error: expect.stringMatching(/invalid tag/)})
    expect(resolve(hub, 'docker.io/Library/nginx')).toEqual({image: 'docker.io/Library/nginx', error: expect.stringMatching(/lowercase/)})
  })
})
