import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {cli, REPO, tempDir} from '../helpers/cli.js'

const fedora = readFileSync(path.join(REPO, 'fixtures/registries-conf/fedora-default.conf'), 'utf8')
let root: string
let cleanup: () => void
const conf = () => path.join(root, 'etc/containers/registries.conf')
const dropIn = () => path.join(root, 'etc/containers/registries.conf.d/50-mirrorctl.conf')
const podman = (...args: string[]) => cli([...args, '--root', root, '--engine', 'podman', '--no-backup'])

beforeEach(() => {
  ;({dir: root, cleanup} = tempDir('edits'))
  mkdirSync(path.dirname(dropIn()), {recursive: true})
})
afterEach(() => cleanup())

describe('mirror add, then mirror remove', () => {
  it('gives back the original bytes of a commented distribution default', async () => {
    writeFileSync(conf(), fedora)
    const added = await podman('mirror', 'add', 'docker.io', 'm.example.com:5000', 'n.example.com', '--insecure')
    expect(added.exitCode, added.stderr).toBe(0)
    expect(readFileSync(conf(), 'utf8')).toContain('# Managed by mirrorctl')
    const removed = await podman('mirror', 'remove', 'docker.io', 'm.example.com:5000', 'n.example.com')
    expect(removed.exitCode, removed.stderr).toBe(0)
    expect(readFileSync(conf(), 'utf8')).toBe(fedora)
    expect(existsSync(dropIn())).toBe(false)
  })

  it('without a main file writes the drop-in, and the remove takes the drop-in away again', async () => {
    const added = await podman('mirror', 'add', 'docker.io', 'm.example.com')
    expect(added.exitCode, added.stderr).toBe(0)
    expect(existsSync(conf())).toBe(false)
    expect(readFileSync(dropIn(), 'utf8')).toContain('location = "m.example.com"')
    const removed = await podman('mirror', 'remove', 'docker.io')
    expect(removed.exitCode, removed.stderr).toBe(0)
    expect(existsSync(dropIn())).toBe(false)
    expect(existsSync(conf())).toBe(false)
  })
})

describe('mirror remove of a mirror that is not configured', () => {
  it('exits 1, names the configured mirrors and changes nothing', async () => {
    const text = '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n\n[[registry.mirror]]\nlocation = "cache-a.example.com"\n\n[[registry.mirror]]\nlocation = "cache-b.example.com"\n'
    writeFileSync(conf(), text)
    const r = await podman('mirror', 'remove', 'docker.io', 'cache-a.example.com', 'not-there.example.com')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('not-there.example.com is not a mirror of docker.io')
    expect(r.stderr).toContain('cache-a.example.com, cache-b.example.com')
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/)
    expect(readFileSync(conf(), 'utf8')).toBe(text)
  })

  it('looks in daemon.json too: a mirror only Docker has is found there', async () => {
    mkdirSync(path.join(root, 'etc/docker'), {recursive: true})
    writeFileSync(path.join(root, 'etc/docker/daemon.json'), '{\n  "registry-mirrors": ["https://hub-cache.example.com"]\n}\n')
    writeFileSync(conf(), fedora)
    const missing = await cli(['mirror', 'remove', 'docker.io', 'nope.example.com', '--root', root, '--engine', 'all', '--no-backup', '--docker-version', '27.0'])
    expect(missing.exitCode).toBe(1)
    expect(missing.stderr).toContain('podman: none; docker: https://hub-cache.example.com/')
    const found = await cli(['mirror', 'remove', 'docker.io', 'hub-cache.example.com', '--root', root, '--engine', 'all', '--no-backup', '--docker-version', '27.0'])
    expect(found.exitCode, found.stderr).toBe(0)
    expect(JSON.parse(readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8'))).toEqual({'registry-mirrors': []})
    expect(readFileSync(conf(), 'utf8')).toBe(fedora)
  })
})

describe('comments inside a multi-line inline mirror array', () => {
  const inline = readFileSync(path.join(REPO, 'fixtures/registries-conf/inline-mirror-comments.conf'), 'utf8')
  it('survive mirror remove and mirror add', async () => {
    writeFileSync(conf(), inline)
    const removed = await podman('mirror', 'remove', 'docker.io', 'a.example.com')
    expect(removed.exitCode, removed.stderr).toBe(0)
    const afterRemove = inline.replace('  # primary, in rack A\n  { location = "a.example.com" },  # owned by team A\n', '')
    expect(readFileSync(conf(), 'utf8')).toBe(afterRemove)
    const added = await podman('mirror', 'add', 'docker.io', 'c.example.com', '--position', 'last')
    expect(added.exitCode, added.stderr).toBe(0)
    expect(readFileSync(conf(), 'utf8')).toBe(afterRemove.replace('# rack B\n', '# rack B\n  { location = "c.example.com" },\n'))
    const listed = await cli(['resolve', 'docker.io/library/nginx:latest', '--root', root, '--json'])
    expect(listed.stdout).toContain('c.example.com')
  })
})

describe('sources', () => {
  it('DOCKER.IO is written as docker.io; nginx is refused with exit 2 and the prefix that would match', async () => {
    writeFileSync(conf(), fedora)
    const upper = await podman('mirror', 'add', 'DOCKER.IO', 'm.example.com')
    expect(upper.exitCode, upper.stderr).toBe(0)
    expect(readFileSync(conf(), 'utf8')).toContain('prefix = "docker.io"')
    const before = readFileSync(conf(), 'utf8')
    const short = await podman('mirror', 'add', 'nginx', 'm.example.com')
    expect(short.exitCode).toBe(2)
    expect(short.stderr).toContain('docker.io/library/nginx')
    expect(readFileSync(conf(), 'utf8')).toBe(before)
  })
})
