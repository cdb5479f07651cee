// mirror list, mirror remove and resolve on this machine: a FIFO in registries.conf.d is
// skipped with a warning (as lint and mirror add say), and a missing --root is exit 2.
import {execFileSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {cli, tempDir} from '../helpers/cli.js'

let dir: string
let cleanup: () => void
let root: string

beforeEach(() => {
  ;({dir, cleanup} = tempDir('lrr-edges'))
  root = path.join(dir, 'root')
  mkdirSync(path.join(root, 'etc/containers/registries.conf.d'), {recursive: true})
})
afterEach(() => cleanup())

describe('mirror list, mirror remove, resolve', () => {
  it('warn about a FIFO skipped in registries.conf.d (text and --json)', () => {
    writeFileSync(path.join(root, 'etc/containers/registries.conf'), '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m.example.com"\n')
    execFileSync('mkfifo', [path.join(root, 'etc/containers/registries.conf.d/50-fifo.conf')])
    return Promise.all([
      cli(['mirror', 'list', '--root', root, '--engine', 'podman']).then((r) => {
        expect(r.exitCode, r.stderr).toBe(0)
        expect(r.stderr).toMatch(/warning: .*50-fifo\.conf: not a regular file/)
      }),
      cli(['mirror', 'list', '--root', root, '--engine', 'podman', '--json']).then((r) => {
        expect(r.exitCode, r.stderr).toBe(0)
        expect(JSON.parse(r.stdout).warnings.join('\n')).toMatch(/50-fifo\.conf/)
      }),
      cli(['resolve', 'docker.io/library/alpine', '--root', root, '--json']).then((r) => {
        expect(r.exitCode, r.stderr).toBe(0)
        expect(r.stderr).toMatch(/warning: .*50-fifo\.conf: not a regular file/)
        expect(JSON.parse(r.stdout).warnings.join('\n')).toMatch(/50-fifo\.conf/)
      }),
      cli(['mirror', 'remove', 'docker.io', 'm.example.com', '--root', root, '--engine', 'podman', '--json']).then((r) => {
        expect(r.exitCode, r.stderr).toBe(0)
        expect(r.stderr).toMatch(/warning: .*50-fifo\.conf: not a regular file/)
        expect(JSON.parse(r.stdout).warnings.join('\n')).toMatch(/50-fifo\.conf/)
      }),
    ])
  })

  it('refuse a --root that does not exist with exit 2 naming it', async () => {
    const missing = path.join(dir, 'nonexistent')
    for (const args of [
      ['mirror', 'list', '--engine', 'podman'],
      ['mirror', 'remove', 'docker.io', '--engine', 'podman'],
      ['resolve', 'alpine'],
    ]) {
      const r = await cli([...args, '--root', missing, '--json'])
      expect(r.exitCode, args.join(' ')).toBe(2)
      expect(JSON.parse(r.stdout).error.file).toBe(missing)
    }
  })
})
