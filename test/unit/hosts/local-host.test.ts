import {chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {LocalHost} from '../../../src/hosts/local-host.js'
import {BACKUPS_KEPT, backupFolder} from '../../../src/hosts/backup.js'

let root: string
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-host-'))
})
afterEach(() => rmSync(root, {recursive: true, force: true}))

describe('LocalHost with --root', () => {
  it('maps absolute paths under the root and refuses relative ones', async () => {
    const host = new LocalHost(root)
    mkdirSync(path.join(root, 'etc'), {recursive: true})
    writeFileSync(path.join(root, 'etc/x.conf'), 'x')
    expect(await host.readFile('/etc/x.conf')).toBe('x')
    expect(await host.readFile('/etc/missing.conf')).toBeNull()
    expect(await host.listDir('/nope')).toBeNull()
    await expect(host.readFile('etc/x.conf')).rejects.toThrow(/absolute/)
  })

  it('writes through applyWrites: same folder temp file, renamed; mode kept; no leftovers', async () => {
    const host = new LocalHost(root)
    mkdirSync(path.join(root, 'etc/containers'), {recursive: true})
    const file = path.join(root, 'etc/containers/registries.conf')
    writeFileSync(file, 'old')
    chmodSync(file, 0o600)
    const r = await host.applyWrites({
      writes: [
        {path: '/etc/containers/registries.conf', expect: 'old', content: 'new', mode: 0o644},
        {path: '/etc/containers/new.conf', expect: null, content: 'n', mode: 0o640},
      ],
      backupDir: null,
      keep: 5,
    })
    expect(r.files.map((f) => f.status)).toEqual(['written', 'written'])
    expect(readFileSync(file, 'utf8')).toBe('new')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(path.join(root, 'etc/containers/new.conf')).mode & 0o777).toBe(0o640)
    expect(readdirSync(path.dirname(file)).sort()).toEqual(['new.conf', 'registries.conf'])
  })

  it('leaves the old file and no temp file when the write cannot happen', async () => {
    const host = new LocalHost(root)
    // The target is a directory: the file is reported failed, nothing is left behind.
    mkdirSync(path.join(root, 'etc/target.conf'), {recursive: true})
    const r = await host.applyWrites({writes: [{path: '/etc/target.conf', expect: null, content: 'x', mode: 0o644}], backupDir: null, keep: 5})
    expect(r.files[0]!.status).toBe('failed')
    expect(readdirSync(path.join(root, 'etc'))).toEqual(['target.conf'])
  })
})

describe('backups', () => {
  it('keeps the last versions of each file outside the engines\' folders', async () => {
    const host = new LocalHost(root)
    mkdirSync(path.join(root, 'etc/docker'), {recursive: true})
    const folder = backupFolder(host, true)
    expect(folder).toBe('/var/lib/mirrorctl/backups')
    const file = '/etc/docker/daemon.json'
    writeFileSync(path.join(root, file), '{"v": 0}')
    for (let i = 1; i < BACKUPS_KEPT + 3; i++) {
      const r = await host.applyWrites({writes: [{path: file, expect: `{"v": ${i - 1}}`, content: `{"v": ${i}}`, mode: 0o644}], backupDir: folder, keep: BACKUPS_KEPT})
      expect(r.files[0]!.status).toBe('written')
    }
    const slot = path.join(root, folder, encodeURIComponent(file))
    const kept = readdirSync(slot).sort()
    expect(kept).toHaveLength(BACKUPS_KEPT)
    expect(readFileSync(path.join(slot, kept.at(-1)!), 'utf8')).toBe(`{"v": ${BACKUPS_KEPT + 1}}`)
    // A backup is the old file itself (a hard link), so it has that file's mode, never a wider one.
    expect(statSync(path.join(slot, kept[0]!)).mode & 0o777).toBe(0o644)
    expect(statSync(path.join(slot, kept[0]!)).nlink).toBe(1)
  })

  it('uses the XDG state folder when not root', () => {
    const user = {name: 'u', env: {HOME: '/home/u', XDG_STATE_HOME: '/home/u/state'}, isRoot: false} as unknown as LocalHost
    expect(backupFolder(user, false)).toBe('/home/u/state/mirrorctl/backups')
    const noXdg = {env: {HOME: '/home/u'}, isRoot: false} as unknown as LocalHost
    expect(backupFolder(noXdg, false)).toBe('/home/u/.local/state/mirrorctl/backups')
  })
})

describe('LocalHost reads', () => {
  it('refuses a FIFO without blocking, a device, and a file above the size limit', async () => {
    const {execFileSync} = await import('node:child_process')
    const {MAX_CONFIG_BYTES} = await import('../../../src/core/limits.js')
    const host = new LocalHost(root)
    mkdirSync(path.join(root, 'etc'))
    execFileSync('mkfifo', [path.join(root, 'etc/fifo.conf')])
    await expect(host.readFile('/etc/fifo.conf')).rejects.toMatchObject({code: 'ENOTREG', path: '/etc/fifo.conf'})
    await expect(new LocalHost().readFile('/dev/zero')).rejects.toMatchObject({code: 'ENOTREG'})
    writeFileSync(path.join(root, 'etc/big.conf'), Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x61))
    await expect(host.readFile('/etc/big.conf')).rejects.toMatchObject({code: 'EFBIG'})
    writeFileSync(path.join(root, 'etc/max.conf'), Buffer.alloc(MAX_CONFIG_BYTES, 0x61))
    expect((await host.readFile('/etc/max.conf'))!.length).toBe(MAX_CONFIG_BYTES)
  })

  it('refuses bytes that are not UTF-8 instead of replacing them', async () => {
    const host = new LocalHost(root)
    writeFileSync(path.join(root, 'x.conf'), Buffer.from([0x61, 0x0a, 0xff]))
    await expect(host.readFile('/x.conf')).rejects.toMatchObject({name: 'InvalidUtf8Error', line: 2, column: 1})
  })

  it('resolves links inside the root for reads, stats and listings, never leaving it', async () => {
    const {symlinkSync} = await import('node:fs')
    const outside = mkdtempSync(path.join(tmpdir(), 'mirrorctl-outside-'))
    try {
      writeFileSync(path.join(outside, 'secret.conf'), 'outside')
      mkdirSync(path.join(root, 'etc/real.d'), {recursive: true})
      writeFileSync(path.join(root, 'etc/real.d/a.conf'), 'inside')
      symlinkSync('/etc/real.d', path.join(root, 'etc/abs.d'))
      symlinkSync(`../../../../../../..${outside}`, path.join(root, 'etc/up'))
      const host = new LocalHost(root)
      expect(await host.listDir('/etc/abs.d')).toEqual(['a.conf'])
      expect(await host.readFile('/etc/abs.d/a.conf')).toBe('inside')
      expect((await host.stat('/etc/abs.d'))?.kind).toBe('directory')
      // ROOT/<outside path> does not exist: the link does not reach the real folder.
      expect(await host.readFile('/etc/up/secret.conf')).toBeNull()
      expect(await host.resolve('/etc/up/secret.conf')).toBe(path.join(root, outside, 'secret.conf'))
    } finally {
      rmSync(outside, {recursive: true, force: true})
    }
  })
})
