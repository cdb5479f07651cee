// The write path under hostile conditions, through the built CLI: links under --root,
// FIFOs and devices, oversized and non-UTF-8 files, permission and read-only failures,
// bad --drop-in names, and ten runs editing one file at once.
import {execFileSync} from 'node:child_process'
import {chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {cli, REPO, tempDir} from '../helpers/cli.js'
import {requireRoot, requireTools} from '../harness/require-tools.js'

let dir: string
let cleanup: () => void
let root: string
const conf = () => path.join(root, 'etc/containers/registries.conf')
const BASE = 'unqualified-search-registries = ["docker.io"]\n'

beforeEach(() => {
  ;({dir, cleanup} = tempDir('edit-safety'))
  chmodSync(dir, 0o755)
  root = path.join(dir, 'root')
  mkdirSync(path.join(root, 'etc/containers/registries.conf.d'), {recursive: true})
})
afterEach(() => cleanup())

const json = (stdout: string) => JSON.parse(stdout) as {error?: {file: string | null; message: string; hint?: string; rule?: string}; findings?: {rule: string; severity: string; line: number; column: number}[]}

/** The built CLI wrapped by another program (setpriv, unshare), with a clean environment. */
async function cliWrapped(wrap: string[], args: string[], env: Record<string, string> = {}) {
  const r = await execa(wrap[0]!, [...wrap.slice(1), process.execPath, path.join(REPO, 'bin/run.js'), ...args], {
    reject: false,
    env: {NO_COLOR: '1', HOME: dir, PATH: process.env.PATH ?? '/usr/bin:/bin', ...env},
    extendEnv: false,
  })
  return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
}
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']

describe('symbolic links', () => {
  it('under --root resolve inside the root (absolute and .. targets) and are kept when their target is edited', async () => {
    const outside = path.join(dir, 'outside')
    mkdirSync(path.join(outside, 'containers'), {recursive: true})
    writeFileSync(path.join(outside, 'containers/registries.conf'), '# the host file, never to be touched\n')
    // etc/containers -> /srv/containers: inside the root that is ROOT/srv/containers.
    mkdirSync(path.join(root, 'srv/containers/registries.conf.d'), {recursive: true})
    writeFileSync(path.join(root, 'srv/containers/registries.conf'), BASE)
    execFileSync('rm', ['-rf', path.join(root, 'etc/containers')])
    symlinkSync('/srv/containers', path.join(root, 'etc/containers'))
    // A drop-in folder link climbing far above the root stops at the root.
    symlinkSync('../../../../../../../../outside/containers', path.join(root, 'srv/containers/registries.conf.d/escape.conf'))
    const r = await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--engine', 'podman', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(readFileSync(path.join(root, 'srv/containers/registries.conf'), 'utf8')).toContain('m.example.com')
    expect(lstatSync(path.join(root, 'etc/containers')).isSymbolicLink()).toBe(true)
    expect(readFileSync(path.join(outside, 'containers/registries.conf'), 'utf8')).toBe('# the host file, never to be touched\n')
  })

  it('registries.conf as a link to an absolute path: resolve reads the in-root file, mirror add writes it and keeps the link', async () => {
    mkdirSync(path.join(root, 'usr/share/containers'), {recursive: true})
    writeFileSync(path.join(root, 'usr/share/containers/registries.conf'), BASE)
    symlinkSync('/usr/share/containers/registries.conf', conf())
    const r = await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--engine', 'podman'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(lstatSync(conf()).isSymbolicLink()).toBe(true)
    expect(readlinkSync(conf())).toBe('/usr/share/containers/registries.conf')
    expect(readFileSync(path.join(root, 'usr/share/containers/registries.conf'), 'utf8')).toContain('m.example.com')
    const resolved = await cli(['resolve', 'docker.io/library/alpine', '--root', root, '--json'])
    expect(resolved.stdout).toContain('m.example.com')
  })

  it('without --root an edit through a link writes the target and keeps the link', async () => {
    const target = path.join(dir, 'real.conf')
    writeFileSync(target, BASE)
    const link = path.join(dir, 'link.conf')
    symlinkSync(target, link)
    const r = await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--registries-conf', link, '--registries-conf-dir', path.join(dir, 'none.d'), '--engine', 'podman', '--no-backup'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readFileSync(target, 'utf8')).toContain('m.example.com')
  })

  it('a link loop is a clear exit 2 naming the file', async () => {
    symlinkSync('/etc/containers/loop', conf())
    symlinkSync('/etc/containers/registries.conf', path.join(root, 'etc/containers/loop'))
    for (const args of [['lint', '--root', root, '--json'], ['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--engine', 'podman', '--json']]) {
      const r = await cli(args)
      expect(r.exitCode, r.stdout).toBe(2)
      const e = json(r.stdout).error!
      expect(e.message).toMatch(/ELOOP/)
      expect(e.file).toBe('/etc/containers/registries.conf')
    }
  })
})

describe('files that are not regular or too large', () => {
  it('a FIFO given as a file is refused at once with exit 2 (lint, resolve, mirror list, mirror add)', async () => {
    const fifo = path.join(dir, 'fifo.conf')
    execFileSync('mkfifo', [fifo])
    const runs = [
      ['lint', fifo, '--json'],
      ['resolve', 'alpine', '--registries-conf', fifo, '--json'],
      ['mirror', 'list', '--registries-conf', fifo, '--engine', 'podman', '--json'],
      ['mirror', 'add', 'docker.io', 'm.example.com', '--registries-conf', fifo, '--engine', 'podman', '--json'],
    ]
    for (const args of runs) {
      const r = await cli(args)
      expect(r.exitCode, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2)
      expect(json(r.stdout).error!.message).toMatch(/not a regular file/)
      expect(json(r.stdout).error!.file).toBe(fifo)
    }
  })

  it('a FIFO in a drop-in folder is skipped with a warning', async () => {
    writeFileSync(conf(), BASE)
    execFileSync('mkfifo', [path.join(root, 'etc/containers/registries.conf.d/50-fifo.conf')])
    const r = await cli(['lint', '--root', root])
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toMatch(/warning: .*50-fifo\.conf: not a regular file/)
    const add = await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--engine', 'podman', '--json'])
    expect(add.exitCode, add.stderr).toBe(0)
    expect(JSON.parse(add.stdout).warnings.join('\n')).toMatch(/50-fifo\.conf/)
  })

  it('/dev/urandom and a file above the size limit are refused with exit 2 before being read', async () => {
    const dev = await cli(['lint', '/dev/urandom', '--json'])
    expect(dev.exitCode).toBe(2)
    expect(json(dev.stdout).error!.message).toMatch(/not a regular file \(a device\)/)
    const big = path.join(dir, 'big.conf')
    writeFileSync(big, '')
    truncateSync(big, 64 * 1024 * 1024)
    const r = await cli(['lint', big, '--json'])
    expect(r.exitCode).toBe(2)
    expect(json(r.stdout).error!.message).toMatch(/EFBIG/)
  })
})

describe('bytes that are not UTF-8', () => {
  it('registries.conf: an error finding in lint (never "no findings"), exit 1 and no write for mirror add and resolve', async () => {
    const bytes = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(' latin-1 comment\n' + BASE)])
    writeFileSync(conf(), bytes)
    const lint = await cli(['lint', '--root', root, '--json'])
    expect(lint.exitCode).toBe(1)
    expect(json(lint.stdout).findings![0]).toMatchObject({rule: 'registries-conf/toml-syntax', severity: 'error', line: 1, column: 6})
    const direct = await cli(['lint', conf()])
    expect(direct.exitCode).toBe(1)
    expect(direct.stdout).not.toMatch(/no findings/)
    const add = await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--engine', 'podman', '--json'])
    expect(add.exitCode).toBe(1)
    expect(json(add.stdout).error).toMatchObject({rule: 'registries-conf/toml-syntax', line: 1, column: 6})
    expect(readFileSync(conf()).equals(bytes)).toBe(true)
    expect((await cli(['resolve', 'alpine', '--root', root])).exitCode).toBe(1)
  })

  it('daemon.json: a warning in lint (dockerd replaces the bytes), and mirror add refuses to edit it (exit 1, bytes kept)', async () => {
    mkdirSync(path.join(root, 'etc/docker'))
    const file = path.join(root, 'etc/docker/daemon.json')
    const bytes = Buffer.concat([Buffer.from('{\n  "labels": ["caf'), Buffer.from([0xe9]), Buffer.from('"]\n}\n')])
    writeFileSync(file, bytes)
    const lint = await cli(['lint', file, '--json'])
    expect(lint.exitCode).toBe(0)
    expect(json(lint.stdout).findings).toEqual([expect.objectContaining({rule: 'daemon-json/invalid-utf8', severity: 'warning', line: 2, column: 18})])
    const add = await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--engine', 'docker', '--json'])
    expect(add.exitCode).toBe(1)
    expect(json(add.stdout).error).toMatchObject({rule: 'daemon-json/invalid-utf8', file: '/etc/docker/daemon.json'})
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })
})

describe('write failures are clear exit-2 errors with the file, and write nothing', () => {
  it('EACCES as a user: the message names the file; a backup folder that cannot be made names --no-backup and XDG_STATE_HOME', async () => {
    requireTools(['setpriv'])
    const file = path.join(dir, 'user/registries.conf')
    mkdirSync(path.dirname(file))
    writeFileSync(file, BASE)
    chmodSync(path.dirname(file), 0o555)
    chownSync(file, 65534, 65534)
    const args = ['mirror', 'add', 'docker.io', 'm.example.com', '--registries-conf', file, '--registries-conf-dir', path.join(dir, 'none.d'), '--engine', 'podman', '--json']
    const run = path.join(dir, 'run')
    mkdirSync(run, {mode: 0o777})
    chmodSync(run, 0o777)
    const denied = await cliWrapped(NOBODY, [...args, '--no-backup'], {XDG_RUNTIME_DIR: run})
    expect(denied.exitCode, denied.stderr).toBe(2)
    expect(json(denied.stdout).error!.message).toMatch(/EACCES/)
    expect(json(denied.stdout).error!.file).toBe(file)
    expect(readFileSync(file, 'utf8')).toBe(BASE)
    // Writable file folder, but the state folder for backups is not.
    chmodSync(path.dirname(file), 0o777)
    mkdirSync(path.join(dir, 'state'), {mode: 0o555})
    const noBackup = await cliWrapped(NOBODY, args, {XDG_STATE_HOME: path.join(dir, 'state'), XDG_RUNTIME_DIR: run})
    expect(noBackup.exitCode, noBackup.stderr).toBe(2)
    const e = json(noBackup.stdout).error!
    expect(e.hint).toMatch(/--no-backup/)
    expect(e.hint).toMatch(/XDG_STATE_HOME/)
    expect(e.file).toContain(path.join(dir, 'state'))
    expect(readFileSync(file, 'utf8')).toBe(BASE)
  })

  it('EROFS: a read-only mount is exit 2 with the file; every file stays as it was', async () => {
    requireRoot('a read-only bind mount needs a private mount namespace')
    requireTools(['unshare', 'mount'])
    writeFileSync(conf(), BASE)
    const ro = path.join(root, 'etc/containers')
    const wrap = ['unshare', '-m', 'sh', '-c', 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', ro]
    const r = await cliWrapped(wrap, ['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--engine', 'podman', '--json'])
    expect(r.exitCode, r.stderr).toBe(2)
    expect(json(r.stdout).error!.message).toMatch(/EROFS/)
    expect(json(r.stdout).error!.file).toBe('/etc/containers/registries.conf')
    expect(json(r.stdout).error!.message).not.toMatch(/unexpected/)
    expect(readFileSync(conf(), 'utf8')).toBe(BASE)
    expect(existsSync(path.join(root, 'var/lib/mirrorctl/backups'))
      ? readdirSync(path.join(root, 'var/lib/mirrorctl/backups', encodeURIComponent('/etc/containers/registries.conf'))).length
      : 0).toBe(0)
  })
})

describe('arguments that name nothing usable', () => {
  it('--drop-in must be a NAME.conf inside registries.conf.d', async () => {
    writeFileSync(conf(), BASE)
    for (const [name, pattern] of [['foo', /only read \*\.conf/], ['.', /plain file name/], ['..', /plain file name/], ['x/y.conf', /plain file name/], ['', /empty/]] as const) {
      const r = await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--engine', 'podman', '--drop-in', name, '--json'])
      expect(r.exitCode, name).toBe(2)
      expect(json(r.stdout).error!.message).toMatch(pattern)
    }
    const hint = json((await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--engine', 'podman', '--drop-in', 'foo', '--json'])).stdout).error!.hint
    expect(hint).toMatch(/foo\.conf/)
    expect(readdirSync(path.join(root, 'etc/containers/registries.conf.d'))).toEqual([])
    expect(readFileSync(conf(), 'utf8')).toBe(BASE)
  })

  it('lint --root /nonexistent, an empty folder, an empty root, and a --registries-conf-dir that is a file: exit 2', async () => {
    const missing = await cli(['lint', '--root', path.join(dir, 'nonexistent'), '--json'])
    expect(missing.exitCode).toBe(2)
    expect(json(missing.stdout).error!.file).toBe(path.join(dir, 'nonexistent'))
    const empty = path.join(dir, 'empty.d')
    mkdirSync(empty)
    const emptyDir = await cli(['lint', empty])
    expect(emptyDir.exitCode).toBe(2)
    expect(emptyDir.stderr).toMatch(/no \*\.conf files/)
    const emptyRoot = await cli(['lint', '--root', root])
    expect(emptyRoot.exitCode).toBe(2)
    expect(emptyRoot.stderr).toMatch(/no configuration to lint/)
    writeFileSync(conf(), BASE)
    const notDir = await cli(['lint', '--root', root, '--registries-conf-dir', '/etc/containers/registries.conf', '--json'])
    expect(notDir.exitCode).toBe(2)
    expect(json(notDir.stdout).error!.message).toMatch(/not a folder/)
  })
})

describe('ten mirror add runs at once on one file', () => {
  const mirrors = Array.from({length: 10}, (_, i) => `m${i}.example.com`)

  it('registries.conf keeps all ten mirrors and every run says changed', async () => {
    writeFileSync(conf(), BASE + '\n[[registry]]\nlocation = "docker.io"\n')
    const runs = await Promise.all(mirrors.map((m) => cli(['mirror', 'add', 'docker.io', m, '--root', root, '--engine', 'podman', '--json'])))
    for (const r of runs) {
      expect(r.exitCode, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout).changed).toBe(true)
    }
    const text = readFileSync(conf(), 'utf8')
    for (const m of mirrors) expect(text).toContain(`"${m}"`)
    expect((await cli(['lint', '--root', root])).exitCode).toBe(0)
  })

  it('daemon.json keeps all ten mirrors and every run says changed', async () => {
    mkdirSync(path.join(root, 'etc/docker'))
    const file = path.join(root, 'etc/docker/daemon.json')
    writeFileSync(file, '{\n  "log-driver": "json-file"\n}\n')
    const runs = await Promise.all(mirrors.map((m) => cli(['mirror', 'add', 'docker.io', m, '--root', root, '--engine', 'docker', '--docker-version', '27.0.0', '--json'])))
    for (const r of runs) {
      expect(r.exitCode, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout).changed).toBe(true)
    }
    const mirrorsNow = JSON.parse(readFileSync(file, 'utf8'))['registry-mirrors'] as string[]
    expect(mirrorsNow.sort()).toEqual(mirrors.map((m) => `https://${m}`).sort())
  })
})
