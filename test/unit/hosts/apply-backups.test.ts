import {createHash} from 'node:crypto'
import {chmodSync, chownSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {decodeApplyResult, escapeContent} from '../../../src/hosts/apply-manifest.js'
import {requireTools} from '../../harness/require-tools.js'
import {applyFixture, type RunOptions, write} from './apply-harness.js'

const {at, run, busyboxShell, versions} = applyFixture()

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex')
/** The backup name APPLY_SCRIPT gives a time: YYYY-MM-DDTHH-MM-SS-mmmZ. */
const stampOf = (ms: number) => new Date(ms).toISOString().replace(/[:.]/g, '-')
const STAMP = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/
const inode = (p: string) => statSync(p).ino
const shells: [string, () => RunOptions][] = [
  ['dash', () => ({})],
  // --norc: bash reads ~/.bashrc when its stdin is a socket (node's pipes are), as under rshd.
  ['bash --posix', () => ({shell: ['bash', '--norc', '--posix']})],
  ['busybox ash', () => busyboxShell()],
]

describe('APPLY_SCRIPT contents through the printf builtin', () => {
  for (const [name, options] of shells) {
    it(`writes every byte exactly under ${name}: NUL, backslashes, %, CR, trailing newlines or none, invalid UTF-8, 1 MiB`, async () => {
      const all = Array.from({length: 128}, (_, i) => String.fromCharCode(i)).join('') + 'é✓'
      const texts: Record<string, string> = {
        nul: 'a\0b\0\0c\0',
        backslash: '\\c \\0101 \\\\ \\n \\x41 end\\',
        percent: '%s %b %% %d %\n',
        newlines: 'x\n\n\n',
        bare: 'no newline at the end',
        cr: 'a\r\nb\r',
        empty: '',
        big: all.repeat(Math.ceil(1048576 / Buffer.byteLength(all))),
      }
      // Not UTF-8 at all: the manifest carries bytes, whatever the text.
      const raw = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80, 0x00, 0x5c, 0x63, 0x0a, 0xe2, 0x82])
      const edit = (m: string) => m.replace(sha256('RAW'), sha256(raw)).replace(/^RAW$/m, escapeContent(raw))
      const writes = [...Object.entries(texts).map(([n, text]) => write(at(n), null, text)), write(at('raw'), null, 'RAW')]
      const r = await run({writes, backupDir: null, keep: 5}, {...options(), edit})
      expect(r.result().files.map((f) => f.status)).toEqual(writes.map(() => 'written'))
      for (const [n, text] of Object.entries(texts)) expect(readFileSync(at(n)).equals(Buffer.from(text)), n).toBe(true)
      expect(readFileSync(at('raw')).equals(raw)).toBe(true)
    })
  }
})

describe('APPLY_SCRIPT backups', () => {
  for (const [name, options] of shells) {
    it(`names the backups after the temp file's mtime (UTC, milliseconds) under ${name}, and keeps the old file itself as the backup`, async () => {
      mkdirSync(at('etc'))
      const file = at('etc/daemon.json')
      writeFileSync(file, 'old\n')
      chownSync(file, 1234, 5678)
      chmodSync(file, 0o640)
      const before = inode(file)
      const r = (await run({writes: [write(file, 'old\n', 'new\n'), write(at('etc/new.conf'), null, 'n')], backupDir: at('bk'), keep: 5}, options())).result()
      expect(r.files.map((f) => f.status)).toEqual(['written', 'written'])
      // The renamed temp file keeps its mtime: the one the stamp was taken from.
      const stamp = stampOf(Number(statSync(file, {bigint: true}).mtimeNs / 1000000n))
      expect(path.basename(r.files[0]!.backup!)).toBe(stamp)
      expect(readdirSync(at('bk', encodeURIComponent(at('etc/new.conf'))))).toEqual([`${stamp}.absent`])
      // A hard link: the very file that was replaced, owner and mode included.
      const b = statSync(r.files[0]!.backup!)
      expect([b.ino, b.nlink, b.mode & 0o7777, b.uid, b.gid]).toEqual([before, 1, 0o640, 1234, 5678])
      expect(readFileSync(r.files[0]!.backup!, 'utf8')).toBe('old\n')
      expect(readdirSync(at('etc')).sort()).toEqual(['daemon.json', 'new.conf'])
    })
  }

  it('takes the time stamp from date when no temp file gives one (a removal) or stat does not give UTC', async () => {
    mkdirSync(at('etc'))
    writeFileSync(at('etc/gone.conf'), 'g')
    const t0 = Date.now()
    const removed = (await run({writes: [{path: at('etc/gone.conf'), expect: 'g', content: null, mode: 0o644}], backupDir: at('bk'), keep: 5})).result().files[0]!
    const inWindow = (b: string) => {
      const name = path.basename(b)
      expect(name).toMatch(STAMP)
      expect(name >= stampOf(t0 - 1000) && name <= stampOf(Date.now() + 1000), name).toBe(true)
    }
    expect(removed.status).toBe('written')
    inWindow(removed.backup!)
    expect(readFileSync(removed.backup!, 'utf8')).toBe('g')
    // A stat whose %y is not in UTC (a TZ it ignores): the name comes from date, not from a shifted reading.
    const bin = at('bin')
    mkdirSync(bin)
    writeFileSync(path.join(bin, 'stat'), '#!/bin/sh\nTZ=EST5 exec /usr/bin/stat "$@"\n', {mode: 0o755})
    writeFileSync(at('etc/a.conf'), 'a')
    const shifted = (await run({writes: [write(at('etc/a.conf'), 'a', 'A')], backupDir: at('bk'), keep: 5}, {env: {PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`}})).result().files[0]!
    expect(shifted.status).toBe('written')
    inWindow(shifted.backup!)
    expect(readFileSync(shifted.backup!, 'utf8')).toBe('a')
  })

  it('copies instead of linking a file with other hard links (they could change it), private (0600)', async () => {
    mkdirSync(at('etc'))
    const file = at('etc/daemon.json')
    writeFileSync(file, 'old')
    linkSync(file, at('other-name'))
    const r = (await run({writes: [write(file, 'old', 'new')], backupDir: at('bk'), keep: 5})).result().files[0]!
    expect(r.status).toBe('written')
    const b = statSync(r.backup!)
    expect(b.ino).not.toBe(inode(at('other-name')))
    expect([b.nlink, b.mode & 0o777, readFileSync(r.backup!, 'utf8')]).toEqual([1, 0o600, 'old'])
    expect(readFileSync(at('other-name'), 'utf8')).toBe('old')
    expect(readFileSync(file, 'utf8')).toBe('new')
    expect(readdirSync(at('etc'))).toEqual(['daemon.json'])
  })

  it('copies when the backup folder is on another file system (no link there), and leaves nothing beside the target', async () => {
    requireTools(['unshare', 'mount'])
    mkdirSync(at('etc'))
    mkdirSync(at('bk'))
    writeFileSync(at('etc/a.conf'), 'old')
    // A private tmpfs on the backup folder; the script, then a look at the backups (gone with the namespace).
    const wrap = ['unshare', '-m', 'sh', '-c', 'mount -t tmpfs tmpfs "$0" && exec "$@"', at('bk')]
    const look = 'sh -c "$2"; echo; for f in "$0"/*/*; do stat -c "%h %a" "$f"; cat "$f"; echo; done'
    const r = await run({writes: [write(at('etc/a.conf'), 'old', 'new')], backupDir: at('bk'), keep: 5}, {wrap, shell: ['sh', '-c', look, at('bk')]})
    const [result, backups] = String(r.stdout).split('\n\n')
    expect(decodeApplyResult(result!).files[0]!.status).toBe('written')
    expect(backups!.trim()).toBe('1 600\nold')
    expect(readFileSync(at('etc/a.conf'), 'utf8')).toBe('new')
    expect(readdirSync(at('etc'))).toEqual(['a.conf'])
  })

  it('a mismatch found with the temp files already made leaves nothing behind: no temp file, no folder, no backup', async () => {
    mkdirSync(at('etc'))
    writeFileSync(at('etc/a.conf'), 'a')
    writeFileSync(at('etc/b.conf'), 'changed by someone else')
    const writes = [write(at('etc/a.conf'), 'a', 'A'), write(at('etc/new.conf'), null, 'N'), write(at('etc/sub/later.conf'), null, 'L'), write(at('etc/b.conf'), 'b', 'B')]
    const files = (await run({writes, backupDir: at('bk'), keep: 5})).result().files
    expect(files.map((f) => f.status)).toEqual(['skipped', 'skipped', 'skipped', 'conflict'])
    expect(readdirSync(at('etc')).sort()).toEqual(['a.conf', 'b.conf'])
    expect(readFileSync(at('etc/a.conf'), 'utf8')).toBe('a')
    expect(existsSync(at('bk'))).toBe(false)
  })

  it('a failure after the backups were made puts every file back (same inode, bytes, owner, mode) and removes the new backups', async () => {
    mkdirSync(at('etc'))
    const [linked, copied, created, stuck] = ['linked.conf', 'copied.conf', 'new.conf', 'stuck.conf'].map((n) => at('etc', n)) as [string, string, string, string]
    writeFileSync(linked, Buffer.from([0, 1, 2, 0xff, 0x0a]))
    chownSync(linked, 1234, 5678)
    chmodSync(linked, 0o640)
    writeFileSync(copied, 'copied old\n')
    chmodSync(copied, 0o600)
    linkSync(copied, at('second-name'))
    writeFileSync(stuck, 'stuck old')
    const before = [linked, copied].map((p) => {
      const s = statSync(p)
      return [s.ino, s.mode & 0o7777, s.uid, s.gid, readFileSync(p).toString('hex')]
    })
    // The last rename fails (immutable file): the first ones were renamed, with their backups made.
    await execa('chattr', ['+i', stuck])
    try {
      const writes = [write(linked, '\0\x01\x02\ufffd\n', 'x'), write(copied, 'copied old\n', 'copied new'), write(created, null, 'n'), write(stuck, 'stuck old', 'stuck new')]
      // The content of "linked" is not UTF-8: its planned-from digest is given by hand.
      const edit = (m: string) => m.replace(sha256('\0\x01\x02\ufffd\n'), sha256(Buffer.from([0, 1, 2, 0xff, 0x0a])))
      const files = (await run({writes, backupDir: at('bk'), keep: 5}, {edit})).result().files
      expect(files.map((f) => f.status)).toEqual(['skipped', 'skipped', 'skipped', 'failed'])
      expect(files.map((f) => f.backup)).toEqual([null, null, null, null])
      const after = [linked, copied].map((p) => {
        const s = statSync(p)
        return [s.ino, s.mode & 0o7777, s.uid, s.gid, readFileSync(p).toString('hex')]
      })
      expect(after).toEqual(before)
      expect(statSync(copied).nlink).toBe(2)
      expect(existsSync(created)).toBe(false)
      expect(readdirSync(at('etc')).sort()).toEqual(['copied.conf', 'linked.conf', 'stuck.conf'])
      expect(writes.map((w) => versions(w.path))).toEqual([[], [], [], []])
    } finally {
      await execa('chattr', ['-i', stuck])
    }
  })
})
