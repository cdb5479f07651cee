import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {cli, tempDir} from '../helpers/cli.js'

let root: string
let cleanup: () => void
const conf = () => path.join(root, 'etc/containers/registries.conf')

beforeEach(() => {
  ;({dir: root, cleanup} = tempDir('fidelity'))
  mkdirSync(path.join(root, 'etc/containers/registries.conf.d'), {recursive: true})
})
afterEach(() => cleanup())

const images = (stdout: string) => (JSON.parse(stdout) as {results: {image: string}[]}).results.map((r) => r.image)

describe('resolve', () => {
  it('prints one result per argument in argument order, duplicates included', async () => {
    writeFileSync(conf(), 'unqualified-search-registries = ["docker.io"]\n')
    const r = await cli(['resolve', '--root', root, '--json', 'nginx', 'alpine', 'nginx', 'docker.io/library/nginx', 'alpine'])
    expect(r.exitCode).toBe(0)
    expect(images(r.stdout)).toEqual(['nginx', 'alpine', 'nginx', 'docker.io/library/nginx', 'alpine'])
    // a flag value equal to an image between the arguments is not taken for one
    const own = path.join(root, 'alpine')
    writeFileSync(own, 'unqualified-search-registries = ["docker.io"]\n')
    const f = await cli(['resolve', 'nginx', '--registries-conf', own, 'alpine', '--registries-conf-dir', path.join(root, 'none'), 'nginx', '--json'], {cwd: root})
    expect(images(f.stdout)).toEqual(['nginx', 'alpine', 'nginx'])
  })

  it('exits 1 when an image cannot be resolved; the error stays in its result, naming the empty main file', async () => {
    writeFileSync(conf(), '# unqualified-search-registries = ["example.com"]\n')
    const r = await cli(['resolve', '--root', root, '--json', 'quay.io/podman/hello', 'busybox'])
    expect(r.exitCode).toBe(1)
    expect(JSON.parse(r.stdout).results[1]).toEqual({
      image: 'busybox',
      error: 'short-name "busybox" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"',
    })
  })

  it('reports a rewrite that containers/image refuses for the image, in text too', async () => {
    writeFileSync(conf(), '[[registry]]\nprefix = "localhost"\nlocation = "mirror.example.com/x"\n')
    const r = await cli(['resolve', '--root', root, 'localhost:5000/alpine', 'localhost/alpine'])
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toContain('localhost:5000/alpine\n  error: rewriting reference: invalid reference format')
    expect(r.stdout).toContain('mirror.example.com/x/alpine:latest')
  })
})

describe('mirror add refuses what containers/image cannot use, before writing', () => {
  const original = '[[registry]]\nlocation = "docker.io"\n'
  it.each([
    [['docker.io', '[::ffff:127.0.0.1]:5000'], /invalid mirror/],
    [['docker.io', `m.example.com/${'a'.repeat(250)}`], /255/],
    [['docker.io', '--location', 'https://user:pw@quay.io/x'], /user info is not allowed/],
    [['docker.io', '--location', 'quay.io/a\n"b'], /quotes and control characters/],
    [['localhost', '--location', 'mirror.example.com/x'], /localhost:5000\/alpine/],
  ])('mirror add %j', async (args, message) => {
    writeFileSync(conf(), original)
    const r = await cli(['mirror', 'add', ...args, '--root', root, '--engine', 'podman', '--json'])
    expect(r.exitCode).toBe(2)
    const error = JSON.parse(r.stdout).error
    expect(error.message).toMatch(message)
    expect(error.message).not.toMatch(/mirrorctl bug|unexpected error/)
    expect(readFileSync(conf(), 'utf8')).toBe(original)
  })
})

describe('lint', () => {
  it('reports an unusable mirror as an error and a failing rewrite as a warning', async () => {
    writeFileSync(conf(), '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "[::ffff:127.0.0.1]:5000"\n\n[[registry]]\nprefix = "localhost"\nlocation = "m.example.com/x"\n')
    const r = await cli(['lint', '--root', root, '--json'])
    expect(r.exitCode).toBe(1)
    const findings = JSON.parse(r.stdout).findings.map((f: {rule: string; severity: string; line: number}) => [f.rule, f.severity, f.line])
    expect(findings).toEqual([
      ['registries-conf/location-unusable', 'error', 4],
      ['registries-conf/rewrite-fails', 'warning', 8],
    ])
  })
})
