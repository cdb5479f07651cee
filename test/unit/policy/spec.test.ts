import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'
import {thrownUserError} from '../fleet/thrown.js'
import {changesForHost} from '../../../src/policy/spec-changes.js'
import {parseSpec} from '../../../src/policy/spec.js'

const specText = readFileSync(new URL('../../../fixtures/fleet/spec.toml', import.meta.url), 'utf8')

const thrown = (text: string) => thrownUserError(() => parseSpec(text, 'spec.toml'))

describe('parseSpec', () => {
  test('the documented form', () => {
    const spec = parseSpec(specText, 'spec.toml')
    expect(spec.fixNoProxy).toBe(false)
    expect(spec.entries.map((e) => ({...e, mirrors: e.mirrors.map((m) => [m.host, m.path, m.scheme, m.insecure, m.pullFromMirror])}))).toEqual([
      {
        source: 'docker.io',
        mirrors: [
          ['127.0.0.1:5000', '', null, true, null],
          ['mirror.example.com', 'dockerhub', 'https', true, null],
        ],
        engines: null,
        location: undefined,
        pullFromMirror: null,
        line: 4,
      },
      {source: 'quay.io', mirrors: [['quay-cache.example.com', '', null, false, 'digest-only']], engines: ['podman'], location: undefined, pullFromMirror: 'digest-only', line: 9},
    ])
  })

  test('mirrors = [] is allowed (it clears); location and source are normalised', () => {
    const spec = parseSpec('[[mirror]]\nsource = "index.docker.io"\nmirrors = []\n[[mirror]]\nsource = "docker.io/library"\nmirrors = []\nlocation = "quay.io/org/"\n', 's')
    expect(spec.entries.map((e) => [e.source, e.mirrors.length, e.location])).toEqual([
      ['docker.io', 0, undefined],
      ['docker.io/library', 0, 'quay.io/org'],
    ])
  })

  // Each mistake: line:column of the offending key or value, a rule id, a hint, exit 2.
  test.each([
    ['[[mirror]]\nsource = "docker.io"\nmirror = ["a"]\n', 3, 1, 'spec/unknown-key', 'unknown key "mirror" in [[mirror]]', 'did you mean "mirrors"'],
    ['fix_no_proxy = true\n', 1, 1, 'spec/unknown-key', 'unknown key "fix_no_proxy"', 'did you mean "fix-no-proxy"'],
    ['fix-no-proxy = "yes"\n', 1, 16, 'spec/wrong-type', 'fix-no-proxy must be true or false', 'no quotes'],
    ['[mirror]\nsource = "docker.io"\n', 1, 1, 'spec/wrong-type', 'must be written [[mirror]]', 'double brackets'],
    ['[[mirror]]\nmirrors = []\n', 1, 1, 'spec/missing-key', 'has no source', 'source ='],
    ['[[mirror]]\nsource = "docker.io"\n', 1, 1, 'spec/missing-key', 'has no mirrors', 'mirrors = []'],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = "a"\n', 3, 11, 'spec/wrong-type', 'mirrors must be an array', '["a", "b"]'],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = [1]\n', 3, 12, 'spec/wrong-type', 'mirrors must be a string', ''],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = ["ok.example.com", "a b"]\n', 3, 30, 'spec/invalid-value', 'invalid mirror "a b"', 'without quotes, spaces or shell'],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = ["$(touch /tmp/x)"]\n', 3, 12, 'spec/invalid-value', 'invalid mirror', 'shell'],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = ["m;id"]\n', 3, 12, 'spec/invalid-value', 'is not a host[:port]', ''],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = ["\'m\'"]\n', 3, 12, 'spec/invalid-value', 'is not a host[:port]', ''],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = ["ftp://m"]\n', 3, 12, 'spec/invalid-value', 'unsupported scheme', ''],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = ["a", "a/"]\n', 3, 17, 'spec/invalid-value', 'listed twice', ''],
    ['[[mirror]]\nsource = "nginx"\nmirrors = []\n', 2, 10, 'spec/invalid-value', 'source "nginx" names no registry', ''],
    ['[[mirror]]\nsource = "docker.io`id`"\nmirrors = []\n', 2, 10, 'spec/invalid-value', 'invalid source', ''],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = []\nengines = ["dockr"]\n', 4, 12, 'spec/invalid-value', 'engines "dockr"', 'did you mean "docker"'],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = []\nengines = []\n', 4, 11, 'spec/invalid-value', 'selects no engine', ''],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = []\npull-from-mirror = "digest"\n', 4, 20, 'spec/invalid-value', 'pull-from-mirror "digest"', 'digest-only'],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = []\n[[mirror]]\nsource = "index.docker.io"\nmirrors = []\n', 4, 1, 'spec/duplicate-source', 'already given at line 1', ''],
    ['[[mirror]]\nsource = "*.example.com"\nmirrors = []\nlocation = "x.io"\n', 4, 1, 'spec/invalid-value', 'wildcard source cannot have a location', ''],
    ['[[mirror]]\nsource = "docker.io"\nmirrors = ["a",\n', 4, 1, 'spec/syntax', 'TOML syntax error', 'double quotes'],
    ['mirror.source = "x"\n', 1, 1, 'spec/unknown-key', 'dotted key', ''],
  ])('%j', (text, line, column, rule, message, hint) => {
    const e = thrown(text)
    expect(e.exitCode).toBe(2)
    expect(e.position).toEqual({file: 'spec.toml', line, column})
    expect(e.rule).toBe(rule)
    expect(e.message).toContain(message)
    expect(e.hint).toContain(hint)
  })
})

describe('changesForHost', () => {
  const spec = (text: string) => parseSpec(text, 'spec.toml')

  test('default engines are the ones found; Docker gets docker.io with http:// for insecure host:port', () => {
    const c = changesForHost(parseSpec(specText, 'spec.toml'), ['docker', 'podman'], '27.5.1')
    expect(c.podman.map((x) => x.source)).toEqual(['docker.io', 'quay.io'])
    expect(c.docker).toHaveLength(1)
    expect(c.docker[0]!.mirrors.map((m) => [m.host, m.scheme, m.insecure])).toEqual([
      ['127.0.0.1:5000', null, true],
      ['mirror.example.com', 'https', true],
    ])
    expect(c.warnings).toEqual([])
  })

  test('a podman-only host gets no Docker change', () => {
    expect(changesForHost(parseSpec(specText, 'spec.toml'), ['podman'], null).docker).toEqual([])
  })

  test('engines = ["docker"] on another source is left out for Docker with a warning', () => {
    const c = changesForHost(spec('[[mirror]]\nsource = "quay.io"\nmirrors = ["m.example.com"]\nengines = ["docker", "podman"]\n'), [], null)
    expect(c.docker).toEqual([])
    expect(c.podman).toHaveLength(1)
    expect(c.warnings).toEqual(['docker: spec.toml:1: source quay.io left out: Docker\'s registry-mirrors serve docker.io only'])
  })

  test('a path mirror is left out for Docker before 25.0, kept from 25.0', () => {
    const s = spec('[[mirror]]\nsource = "docker.io"\nmirrors = ["m.example.com/hub", "n.example.com"]\n')
    const old = changesForHost(s, ['docker'], '24.0.7')
    expect(old.docker[0]!.mirrors.map((m) => m.host)).toEqual(['n.example.com'])
    expect(old.warnings[0]).toContain('left out: Docker 24.0.7 refuses a mirror URL with a path')
    expect(changesForHost(s, ['docker'], '25.0.0').docker[0]!.mirrors).toHaveLength(2)
    const only = changesForHost(spec('[[mirror]]\nsource = "docker.io"\nmirrors = ["m.example.com/hub"]\n'), ['docker'], '20.10.0')
    expect(only.docker).toEqual([])
    expect(only.warnings.at(-1)).toContain('daemon.json left as it is')
  })

  test('mirrors = [] clears Docker too; location and pull-from-mirror are warned about', () => {
    const c = changesForHost(spec('[[mirror]]\nsource = "docker.io"\nmirrors = []\nlocation = "quay.io/x"\npull-from-mirror = "tag-only"\n'), ['docker', 'podman'], null)
    expect(c.docker).toEqual([{action: 'set', source: 'docker.io', mirrors: []}])
    expect(c.podman).toEqual([{action: 'set', source: 'docker.io', mirrors: [], location: 'quay.io/x'}])
    expect(c.warnings).toHaveLength(2)
  })
})

describe('changesForHost: containerd and k3s', () => {
  const spec = (text: string) => parseSpec(text, 'spec.toml')

  test('engines accepts "containerd" and "k3s"; they get whole-registry "set" changes', () => {
    const s = spec('[[mirror]]\nsource = "docker.io"\nmirrors = ["m.example.com:5000", "n.example.com"]\nengines = ["containerd", "k3s"]\n')
    expect(s.entries[0]!.engines).toEqual(['containerd', 'k3s'])
    const c = changesForHost(s, ['docker', 'podman'], null)
    expect(c.podman).toEqual([])
    expect(c.docker).toEqual([])
    for (const engine of ['containerd', 'k3s'] as const) {
      expect(c[engine].map((x) => [x.action, x.source, x.mirrors.map((m) => m.host)])).toEqual([['set', 'docker.io', ['m.example.com:5000', 'n.example.com']]])
    }
    expect(c.warnings).toEqual([])
  })

  test('entries without engines go to containerd and k3s when found; prefixes and wildcards only warn when named', () => {
    const text = '[[mirror]]\nsource = "quay.io/org"\nmirrors = ["m.example.com/quay"]\n\n[[mirror]]\nsource = "ghcr.io"\nmirrors = ["m.example.com"]\npull-from-mirror = "digest-only"\n'
    const c = changesForHost(spec(text), ['containerd'], null)
    expect(c.containerd.map((x) => x.source)).toEqual(['ghcr.io'])
    expect(c.k3s).toEqual([])
    expect(c.warnings).toEqual(['containerd: spec.toml:5: pull-from-mirror digest-only not applied: containerd has no per-mirror pull-from-mirror'])
    const named = changesForHost(spec('[[mirror]]\nsource = "*.example.com"\nmirrors = ["m.example.com"]\nengines = ["k3s"]\n'), [], null)
    expect(named.k3s).toEqual([])
    expect(named.warnings).toEqual(['k3s: spec.toml:1: source *.example.com left out: k3s mirrors whole registries (a host such as docker.io)'])
  })

  test('an unknown engine names the four', () => {
    expect(thrown('[[mirror]]\nsource = "docker.io"\nmirrors = ["m.example.com"]\nengines = ["cri-o"]\n').message).toMatch(/containerd/)
  })
})
