import {chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {APPLY_SCRIPT} from '../../../src/hosts/apply-script.js'
import {ApplyScriptError, decodeApplyResult, encodeApplyRequest, reasonCode} from '../../../src/hosts/apply-manifest.js'
import {LocalHost} from '../../../src/hosts/local-host.js'
import type {ApplyRequest} from '../../../src/hosts/write-plan.js'
import {requireTools} from '../../harness/require-tools.js'
import {applyFixture, write} from './apply-harness.js'

const {at, run, busyboxShell, versions, dir} = applyFixture()

describe('manifest and result encoding', () => {
  it('carries every value escaped or as a digest, never as shell text', async () => {
    const nasty = '/etc/x $(touch /tmp/pwned)`id`\n"\'\\é.conf'
    const text = encodeApplyRequest({writes: [write(nasty, null, 'a\n$(rm -rf /)\n')], backupDir: null, keep: 5}, {lockPath: '/run/lock/mirrorctl.lock'})
    const lines = text.split('\n')
    expect(lines[0]).toBe('mirrorctl-apply 3')
    expect(lines).toHaveLength(2 + 1 + 1 + 1)
    expect(lines[1]).toBe('/run/lock/mirrorctl.lock - 5 1 60')
    // No field holds a space, a quote, a $ or a backquote: the script splits lines with read.
    for (const l of lines.slice(1, 3)) expect(l).toMatch(/^[A-Za-z0-9+/=%~:,@._\\ -]*$/)
    const [place, slot, mode, expected, content, ...rest] = lines[2]!.split(' ')
    expect(rest).toEqual([])
    // The shell's printf builtin gives the bytes back.
    const decode = async (field: string) => (await execa('/bin/sh', ['-c', 'printf "%b" "$1"', 'sh', field])).stdout
    expect(await decode(place!)).toBe(nasty)
    expect(await decode(slot!)).toBe(encodeURIComponent(nasty))
    expect([mode, expected]).toEqual(['0644', '-'])
    expect(content).toMatch(/^[0-9a-f]{64}$/)
    // The content line: printable ASCII and \0NNN escapes only, given back by printf %b.
    expect(lines[3]).toBe('a\\0012$(rm -rf /)\\0012')
    expect(await decode(lines[3]!)).toBe('a\n$(rm -rf /)')
  })

  it('refuses relative paths and bad modes before anything runs', () => {
    expect(() => encodeApplyRequest({writes: [write('etc/x', null, '')], backupDir: null, keep: 5}, {lockPath: '/l'})).toThrow(/absolute/)
    expect(() => encodeApplyRequest({writes: [write('/etc/x', null, '', 0o10000)], backupDir: null, keep: 5}, {lockPath: '/l'})).toThrow(/mode/)
  })

  it('decodes results and turns a refusal or garbage into ApplyScriptError', () => {
    const b = (s: string) => Buffer.from(s).toString('base64')
    const ok = decodeApplyResult(`mirrorctl-apply-result 1\nlock flock\nfile written ${b('/a')} ${b('/b')} ${b('/bk/1')} -\nfile failed ${b('/c')} ${b('/c')} - ${b('EROFS: x')}\n`)
    expect(ok).toEqual({
      lock: 'flock',
      files: [
        {path: '/a', target: '/b', status: 'written', backup: '/bk/1', reason: null},
        {path: '/c', target: '/c', status: 'failed', backup: null, reason: 'EROFS: x'},
      ],
    })
    // Plain text travels raw behind "r:" (no base64 process on the host).
    expect(decodeApplyResult(`mirrorctl-apply-result 1\nlock mkdir\nfile unchanged r:/a%20b r:/a%20b - -\nfile conflict r:/c r:/c - ${b('the file now exists')}\n`)).toEqual({
      lock: 'mkdir',
      files: [
        {path: '/a%20b', target: '/a%20b', status: 'unchanged', backup: null, reason: null},
        {path: '/c', target: '/c', status: 'conflict', backup: null, reason: 'the file now exists'},
      ],
    })
    expect(() => decodeApplyResult(`mirrorctl-apply-error ${b('timed out')}\n`)).toThrow(ApplyScriptError)
    expect(() => decodeApplyResult('hello')).toThrow(/no result/)
    expect(() => decodeApplyResult('mirrorctl-apply-result 1\nlock flock\nfile weird a b - -\n')).toThrow(/unexpected line/)
  })

  it('names the errno of a coreutils message', () => {
    expect(reasonCode("mktemp: failed to create file via template '/x/.a.XXXX': Read-only file system")).toBe('EROFS')
    expect(reasonCode('cp: cannot create regular file: Permission denied')).toBe('EACCES')
    expect(reasonCode('ELOOP: loop')).toBe('ELOOP')
    expect(reasonCode(null)).toBeNull()
  })
})

describe('APPLY_SCRIPT through /bin/sh', () => {
  it('removes a file planned as null, keeps its backup, and puts it back when a later file fails', async () => {
    mkdirSync(at('etc/d'), {recursive: true})
    writeFileSync(at('etc/d/50-mirrorctl.conf'), 'only ours\n')
    const removed = await run({writes: [{path: at('etc/d/50-mirrorctl.conf'), expect: 'only ours\n', content: null, mode: 0o644}], backupDir: at('backups'), keep: 5})
    expect(removed.result().files.map((f) => f.status)).toEqual(['written'])
    expect(existsSync(at('etc/d/50-mirrorctl.conf'))).toBe(false)
    expect(readFileSync(removed.result().files[0]!.backup!, 'utf8')).toBe('only ours\n')
    // Already gone: nothing to do.
    const again = await run({writes: [{path: at('etc/d/50-mirrorctl.conf'), expect: null, content: null, mode: 0o644}], backupDir: null, keep: 5})
    expect(again.result().files.map((f) => f.status)).toEqual(['unchanged'])
    // A removal is rolled back with the rest of its request (the second file sits on a read-only mount).
    writeFileSync(at('etc/d/50-mirrorctl.conf'), 'only ours\n')
    mkdirSync(at('ro'))
    writeFileSync(at('ro/x.conf'), 'x')
    const wrap = ['unshare', '-m', 'sh', '-c', 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', at('ro')]
    const rolled = await run({writes: [{path: at('etc/d/50-mirrorctl.conf'), expect: 'only ours\n', content: null, mode: 0o644}, write(at('ro/x.conf'), 'x', 'y')], backupDir: null, keep: 5}, {wrap})
    expect(rolled.result().files.map((f) => f.status)).toEqual(['skipped', 'failed'])
    expect(readFileSync(at('etc/d/50-mirrorctl.conf'), 'utf8')).toBe('only ours\n')
  })

  it('writes new and changed files atomically, keeps mode and owner, leaves no temp files', async () => {
    mkdirSync(at('etc'))
    writeFileSync(at('etc/a.conf'), 'old\n')
    chmodSync(at('etc/a.conf'), 0o640)
    chownSync(at('etc/a.conf'), 1234, 5678)
    const r = await run({writes: [write(at('etc/a.conf'), 'old\n', 'new\n'), write(at('etc/d/new.conf'), null, 'n', 0o600)], backupDir: null, keep: 5})
    expect(r.exitCode).toBe(0)
    expect(r.result().files.map((f) => f.status)).toEqual(['written', 'written'])
    expect(r.result().lock).toBe('flock')
    expect(readFileSync(at('etc/a.conf'), 'utf8')).toBe('new\n')
    const s = statSync(at('etc/a.conf'))
    expect([s.mode & 0o777, s.uid, s.gid]).toEqual([0o640, 1234, 5678])
    expect(statSync(at('etc/d/new.conf')).mode & 0o777).toBe(0o600)
    expect(readdirSync(at('etc')).sort()).toEqual(['a.conf', 'd'])
  })

  it('keeps bytes exactly: no trailing-newline loss, empty files, odd path characters', async () => {
    const odd = at("we ird $(x) 'q\"\nname.conf")
    const r = await run({writes: [write(odd, null, 'x\n\n\n'), write(at('empty.conf'), null, '')], backupDir: null, keep: 5})
    expect(r.result().files.map((f) => f.status)).toEqual(['written', 'written'])
    expect(readFileSync(odd, 'utf8')).toBe('x\n\n\n')
    expect(readFileSync(at('empty.conf'), 'utf8')).toBe('')
    expect(r.result().files[0]!.path).toBe(odd)
  })

  it('reports unchanged when the file already holds the planned text', async () => {
    writeFileSync(at('a.conf'), 'same')
    const r = await run({writes: [write(at('a.conf'), 'same', 'same')], backupDir: at('backups'), keep: 5})
    expect(r.result().files[0]!.status).toBe('unchanged')
    expect(existsSync(at('backups'))).toBe(false)
  })

  it('writes nothing at all when any file differs from what was planned', async () => {
    writeFileSync(at('a.conf'), 'a')
    writeFileSync(at('b.conf'), 'changed by someone else')
    const r = await run({writes: [write(at('a.conf'), 'a', 'A'), write(at('b.conf'), 'b', 'B'), write(at('c.conf'), null, 'C')], backupDir: at('bk'), keep: 5})
    expect(r.result().files.map((f) => [f.status, f.reason])).toEqual([
      ['skipped', expect.stringMatching(/not attempted/)],
      ['conflict', 'the file changed since it was read'],
      ['skipped', expect.any(String)],
    ])
    expect(readFileSync(at('a.conf'), 'utf8')).toBe('a')
    expect(existsSync(at('c.conf'))).toBe(false)
    expect(existsSync(at('bk'))).toBe(false)
  })

  it('treats an expected-absent file that now exists, and a removed one, as conflicts', async () => {
    writeFileSync(at('new.conf'), 'someone made it')
    const r = await run({writes: [write(at('new.conf'), null, 'mine'), write(at('gone.conf'), 'was here', 'x')], backupDir: null, keep: 5})
    expect(r.result().files.map((f) => [f.status, f.reason])).toEqual([
      ['conflict', 'the file now exists'],
      ['conflict', 'the file was removed'],
    ])
    expect(readFileSync(at('new.conf'), 'utf8')).toBe('someone made it')
  })

  it('follows a symbolic link: writes its final target and keeps the links', async () => {
    mkdirSync(at('real'))
    writeFileSync(at('real/registries.conf'), 'old')
    symlinkSync('real/registries.conf', at('hop'))
    mkdirSync(at('etc'))
    symlinkSync(at('hop'), at('etc/registries.conf'))
    const r = await run({writes: [write(at('etc/registries.conf'), 'old', 'new')], backupDir: null, keep: 5})
    expect(r.result().files[0]).toMatchObject({status: 'written', target: at('real/registries.conf')})
    expect(lstatSync(at('etc/registries.conf')).isSymbolicLink()).toBe(true)
    expect(readlinkSync(at('etc/registries.conf'))).toBe(at('hop'))
    expect(readFileSync(at('real/registries.conf'), 'utf8')).toBe('new')
  })

  it('writes the target of a dangling link, creating its folder, and keeps the link', async () => {
    symlinkSync(at('later/dir/x.conf'), at('x.conf'))
    const r = await run({writes: [write(at('x.conf'), null, 'x')], backupDir: null, keep: 5})
    expect(r.result().files[0]).toMatchObject({status: 'written', target: at('later/dir/x.conf')})
    expect(lstatSync(at('x.conf')).isSymbolicLink()).toBe(true)
    expect(readFileSync(at('later/dir/x.conf'), 'utf8')).toBe('x')
  })

  it('refuses a link loop as failed ELOOP and writes nothing', async () => {
    symlinkSync(at('loop2'), at('loop1'))
    symlinkSync(at('loop1'), at('loop2'))
    const r = await run({writes: [write(at('loop1'), null, 'x')], backupDir: null, keep: 5})
    const f = r.result().files[0]!
    expect(f.status).toBe('failed')
    expect(reasonCode(f.reason)).toBe('ELOOP')
  })

  it('keeps a backup only when the write succeeded, and never stores an identical one twice', async () => {
    const file = at('etc/daemon.json')
    mkdirSync(at('etc'))
    writeFileSync(file, 'v1')
    const req = (from: string, to: string): ApplyRequest => ({writes: [write(file, from, to)], backupDir: at('bk'), keep: 3})
    const first = (await run(req('v1', 'v2'))).result().files[0]!
    expect(first.status).toBe('written')
    const slot = at('bk', encodeURIComponent(file))
    expect(first.backup?.startsWith(slot + '/')).toBe(true)
    expect(readFileSync(first.backup!, 'utf8')).toBe('v1')
    // Someone puts v1 back by hand; backing it up again would store the same text twice.
    writeFileSync(file, 'v1')
    const second = (await run(req('v1', 'v3'))).result().files[0]!
    expect(second.backup).toBe(first.backup)
    expect(readdirSync(slot)).toHaveLength(1)
    for (const [from, to] of [['v3', 'v4'], ['v4', 'v5'], ['v5', 'v6']]) await run(req(from!, to!))
    expect(readdirSync(slot).map((n) => readFileSync(path.join(slot, n), 'utf8')).sort()).toEqual(['v3', 'v4', 'v5'])
  })

  it('a created file leaves an empty ".absent" marker as its version (once), and an empty file is not mistaken for it', async () => {
    const file = at('etc/drop-in.conf')
    const slot = at('bk', encodeURIComponent(file))
    const req = (from: string | null, to: string | null): ApplyRequest => ({writes: [{path: file, expect: from, content: to, mode: 0o644}], backupDir: at('bk'), keep: 5})
    const created = (await run(req(null, 'a'))).result().files[0]!
    expect(created).toMatchObject({status: 'written', backup: null})
    expect(readdirSync(slot)).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d-]+Z\.absent$/)])
    expect(readFileSync(path.join(slot, readdirSync(slot)[0]!), 'utf8')).toBe('')
    // Removed by hand and created again: the newest version already says "absent".
    rmSync(file)
    await run(req(null, 'b'))
    expect(readdirSync(slot).filter((n) => n.endsWith('.absent'))).toHaveLength(1)
    // An existing empty file is a real version, not the marker.
    writeFileSync(file, '')
    const emptied = (await run(req('', 'c'))).result().files[0]!
    expect(emptied.backup).not.toBeNull()
    expect(emptied.backup!.endsWith('.absent')).toBe(false)
    expect(readFileSync(emptied.backup!, 'utf8')).toBe('')
  })

  it('five failed writes (read-only folder, as a user) leave every real backup in place', async () => {
    requireTools(['setpriv'])
    mkdirSync(at('etc'))
    mkdirSync(at('bk'))
    chownSync(at('bk'), 65534, 65534)
    const file = at('etc/daemon.json')
    writeFileSync(file, 'v1')
    chownSync(file, 65534, 65534)
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']
    const lock = at('bk/lock')
    // writable folder first: one real backup.
    chownSync(at('etc'), 65534, 65534)
    expect((await run({writes: [write(file, 'v1', 'v2')], backupDir: at('bk'), keep: 3}, {wrap: asNobody, lock})).result().files[0]!.status).toBe('written')
    chmodSync(at('etc'), 0o555)
    for (let n = 0; n < 5; n++) {
      const f = (await run({writes: [write(file, 'v2', `fail${n}`)], backupDir: at('bk'), keep: 3}, {wrap: asNobody, lock})).result().files[0]!
      expect(f.status).toBe('failed')
      expect(reasonCode(f.reason)).toBe('EACCES')
      expect(f.backup).toBeNull()
    }
    const slot = at('bk', encodeURIComponent(file))
    expect(readdirSync(slot).map((n) => readFileSync(path.join(slot, n), 'utf8'))).toEqual(['v1'])
    expect(readFileSync(file, 'utf8')).toBe('v2')
    expect(readdirSync(at('etc'))).toEqual(['daemon.json'])
  })

  it('restores the earlier files of a request when a later one fails (read-only mount): all old, no backups', async () => {
    requireTools(['unshare', 'mount'])
    mkdirSync(at('rw'))
    mkdirSync(at('ro'))
    writeFileSync(at('rw/a.conf'), 'a-old')
    writeFileSync(at('ro/b.conf'), 'b-old')
    const wrap = ['unshare', '-m', 'sh', '-c', 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', at('ro')]
    const r = await run(
      {writes: [write(at('rw/a.conf'), 'a-old', 'a-new'), write(at('rw/new.conf'), null, 'n'), write(at('ro/b.conf'), 'b-old', 'b-new')], backupDir: at('bk'), keep: 5},
      {wrap},
    )
    const files = r.result().files
    expect(files.map((f) => f.status)).toEqual(['skipped', 'skipped', 'failed'])
    expect(reasonCode(files[2]!.reason)).toBe('EROFS')
    expect(files[0]!.reason).toMatch(/not written: .*b\.conf failed/)
    expect(readFileSync(at('rw/a.conf'), 'utf8')).toBe('a-old')
    expect(existsSync(at('rw/new.conf'))).toBe(false)
    expect(readdirSync(at('rw'))).toEqual(['a.conf'])
    const slot = at('bk', encodeURIComponent(at('rw/a.conf')))
    expect(existsSync(slot) ? readdirSync(slot, {withFileTypes: true}).length : 0).toBe(0)
  })

  it('a full file system (ENOSPC) leaves the file old and no temp file behind', async () => {
    requireTools(['unshare', 'mount'])
    const small = at('small')
    mkdirSync(small)
    // A private 64 KiB tmpfs holding the old file, then filled to the last block.
    const setup = 'mount -t tmpfs -o size=64k tmpfs "$0" && printf old > "$0/a.conf" && (head -c 1048576 /dev/zero > "$0/fill" 2>/dev/null; true) && exec "$@"'
    const wrap = ['unshare', '-m', 'sh', '-c', setup, small]
    const check = '; echo; cat "$0/a.conf"; echo; ls -a "$0"'
    const input = encodeApplyRequest({writes: [write(path.join(small, 'a.conf'), 'old', 'x'.repeat(32768))], backupDir: null, keep: 5}, {lockPath: at('lock')})
    const r = await execa(wrap[0]!, [...wrap.slice(1), 'sh', '-c', `sh -c "$1"${check}`, small, APPLY_SCRIPT], {input, reject: false, env: {PATH: '/usr/sbin:/usr/bin:/sbin:/bin'}, extendEnv: false})
    const [result, rest] = String(r.stdout).split(/\n(?=\n)/)
    const f = decodeApplyResult(result!).files[0]!
    expect(f.status).toBe('failed')
    expect(reasonCode(f.reason)).toBe('ENOSPC')
    const after = rest!.trim().split('\n')
    expect(after[0]).toBe('old')
    expect(after.slice(1).sort()).toEqual(['.', '..', 'a.conf', 'fill'])
  })

  it('falls back to an mkdir lock where flock is missing, and clears a stale one', async () => {
    const bin = at('bin')
    mkdirSync(bin)
    // A PATH with the tools the script needs, but no flock.
    for (const tool of ['base64', 'cat', 'chmod', 'chown', 'cp', 'cut', 'date', 'dirname', 'basename', 'head', 'id', 'ln', 'ls', 'mkdir', 'mktemp', 'mv', 'readlink', 'rm', 'sha256sum', 'sleep', 'sort', 'stat', 'sync', 'tail', 'wc'])
      symlinkSync(`/usr/bin/${tool}`, path.join(bin, tool))
    const lock = at('run/lock/mirrorctl.lock')
    mkdirSync(`${lock}.d`, {recursive: true})
    writeFileSync(`${lock}.d/pid`, '999999999\n') // no such process: stale
    const r = await run({writes: [write(at('x.conf'), null, 'x')], backupDir: null, keep: 5}, {env: {PATH: bin}, lock})
    expect(r.result().lock).toBe('mkdir')
    expect(readFileSync(at('x.conf'), 'utf8')).toBe('x')
    expect(existsSync(`${lock}.d`)).toBe(false)
  })

  it('gives up with a clear refusal when another run holds the lock', async () => {
    const lock = at('held.lock')
    // Holds the lock until its stdin closes.
    const holder = execa('sh', ['-c', 'exec 9>>"$0"; flock 9; echo held; read x', lock], {stdin: 'pipe'})
    try {
      await new Promise<void>((ok) => holder.stdout!.once('data', () => ok()))
      const r = await run({writes: [write(at('x.conf'), null, 'x')], backupDir: null, keep: 5}, {lock, wait: 1})
      expect(r.exitCode).toBe(3)
      expect(() => r.result()).toThrow(/waiting for the lock/)
      expect(existsSync(at('x.conf'))).toBe(false)
    } finally {
      holder.stdin!.end()
      await holder.catch(() => undefined)
    }
  })
})

describe('APPLY_SCRIPT batched steps', () => {
  for (const shell of ['dash', 'busybox']) {
    it(`keeps odd bytes in paths and in the backup folder (spaces, newline, backslash, quotes, non-ASCII) under ${shell}`, async () => {
      const options = shell === 'busybox' ? busyboxShell() : {}
      const folder = at("o dd'q\"\\ é")
      mkdirSync(folder)
      // GNU sha256sum escapes a backslash in a name (a batch still gives one line per file);
      // a newline would span lines, so batches holding one go file by file.
      const edited = path.join(folder, 'back\\slash.conf')
      const created = path.join(folder, '$(touch x) `id` ✓\n.conf')
      writeFileSync(edited, 'v1 é\n')
      const backupDir = at('bk \n\\é')
      const req = (a: string, b: string | null, c: string): ApplyRequest => ({writes: [write(edited, a, c), write(created, b, `${c}\n`)], backupDir, keep: 5})
      const first = (await run(req('v1 é\n', null, 'v2 ✓'), options)).result()
      expect(first.lock).toBe(shell === 'busybox' ? 'mkdir' : 'flock')
      expect(first.files.map((f) => [f.status, f.path, f.target])).toEqual([
        ['written', edited, edited],
        ['written', created, created],
      ])
      expect(readFileSync(edited, 'utf8')).toBe('v2 ✓')
      expect(readFileSync(created, 'utf8')).toBe('v2 ✓\n')
      expect(readFileSync(first.files[0]!.backup!, 'utf8')).toBe('v1 é\n')
      expect(path.dirname(path.dirname(first.files[0]!.backup!))).toBe(backupDir)
      const second = (await run(req('v2 ✓', 'v2 ✓\n', 'v3'), options)).result()
      expect(second.files.map((f) => f.status)).toEqual(['written', 'written'])
      expect(readFileSync(second.files[1]!.backup!, 'utf8')).toBe('v2 ✓\n')
      expect(readdirSync(folder).sort()).toEqual([created, edited].map((f) => path.basename(f)).sort())
    })
  }

  it('gives new files their mode (0600, 0644, 0755, 04755) and keeps mode, owner and group of changed ones', async () => {
    mkdirSync(at('etc'))
    const kept: [string, number, number][] = [['suid', 0o4755, 1234], ['exec', 0o755, 0], ['private', 0o600, 1234]]
    for (const [name, mode, uid] of kept) {
      writeFileSync(at('etc', name), 'old')
      chownSync(at('etc', name), uid, uid + 1) // before chmod: a chown clears set-user-ID bits
      chmodSync(at('etc', name), mode)
    }
    const made: [string, number][] = [['n600', 0o600], ['n644', 0o644], ['n755', 0o755], ['n4755', 0o4755]]
    const r = await run({writes: [...kept.map(([name]) => write(at('etc', name), 'old', 'new')), ...made.map(([name, mode]) => write(at('etc', name), null, 'n', mode))], backupDir: null, keep: 5})
    expect(r.result().files.every((f) => f.status === 'written')).toBe(true)
    const info = (name: string) => {
      const s = statSync(at('etc', name))
      return [s.mode & 0o7777, s.uid, s.gid]
    }
    for (const [name, mode, uid] of kept) expect(info(name), name).toEqual([mode, uid, uid + 1])
    for (const [name, mode] of made) expect(info(name), name).toEqual([mode, 0, 0])
    expect(readFileSync(at('etc/suid'), 'utf8')).toBe('new')
    expect(readdirSync(at('etc')).sort()).toEqual(['exec', 'n4755', 'n600', 'n644', 'n755', 'private', 'suid'])
  })

  it('a rename failing in the middle (an immutable file) puts back the files already renamed, mode and owner too, and keeps no backup', async () => {
    mkdirSync(at('etc'))
    writeFileSync(at('etc/a.conf'), 'a-old')
    chownSync(at('etc/a.conf'), 1234, 5678)
    chmodSync(at('etc/a.conf'), 0o640)
    writeFileSync(at('etc/b.conf'), 'b-old')
    // b's newest backup already holds its text: no new one, and none reported once b fails.
    mkdirSync(at('bk', encodeURIComponent(at('etc/b.conf'))), {recursive: true})
    writeFileSync(at('bk', encodeURIComponent(at('etc/b.conf')), '2026-01-01T00-00-00-000Z'), 'b-old')
    await execa('chattr', ['+i', at('etc/b.conf')])
    try {
      const writes = [write(at('etc/a.conf'), 'a-old', 'a-new'), write(at('etc/new.conf'), null, 'n'), write(at('etc/b.conf'), 'b-old', 'b-new')]
      const files = (await run({writes, backupDir: at('bk'), keep: 5})).result().files
      expect(files.map((f) => f.status)).toEqual(['skipped', 'skipped', 'failed'])
      expect(files[2]!.reason).toMatch(/Operation not permitted/)
      expect(files[0]!.reason).toMatch(/not written: .*b\.conf failed/)
      expect(files.map((f) => f.backup)).toEqual([null, null, null])
      expect(readFileSync(at('etc/a.conf'), 'utf8')).toBe('a-old')
      const s = statSync(at('etc/a.conf'))
      expect([s.mode & 0o7777, s.uid, s.gid]).toEqual([0o640, 1234, 5678])
      expect(readdirSync(at('etc')).sort()).toEqual(['a.conf', 'b.conf'])
      expect(writes.map((w) => versions(w.path))).toEqual([[], [], [['V', 'b-old']]])
    } finally {
      await execa('chattr', ['-i', at('etc/b.conf')])
    }
  })

  it('dedupes backups file by file within one request, and keeps one ".absent" for a file created again', async () => {
    mkdirSync(at('etc'))
    writeFileSync(at('etc/a.conf'), 'a1')
    writeFileSync(at('etc/b.conf'), 'b1')
    const [a, b, c] = ['etc/a.conf', 'etc/b.conf', 'etc/c.conf'].map((p) => at(p)) as [string, string, string]
    const req = (...texts: [string | null, string][]): ApplyRequest => ({writes: texts.map(([from, to], i) => write([a, b, c][i]!, from, to)), backupDir: at('bk'), keep: 5})
    const first = (await run(req(['a1', 'a2'], ['b1', 'b2'], [null, 'c1']))).result()
    expect(first.files.map((f) => f.status)).toEqual(['written', 'written', 'written'])
    // By hand: a gets its backed-up text back, c is removed.
    writeFileSync(a, 'a1')
    rmSync(c)
    const second = (await run(req(['a1', 'a3'], ['b2', 'b3'], [null, 'c2']))).result()
    expect(second.files.map((f) => f.status)).toEqual(['written', 'written', 'written'])
    expect(second.files[0]!.backup).toBe(first.files[0]!.backup)
    expect(versions(a)).toEqual([['V', 'a1']])
    expect(versions(b)).toEqual([['V', 'b1'], ['V', 'b2']])
    expect(versions(c)).toEqual([['V.absent', '']])
    expect(second.files[2]!.backup).toBeNull()
  })

  it('writes through a linked parent folder: the real folder gets the files, the link stays, the targets are reported', async () => {
    mkdirSync(at('real/d'), {recursive: true})
    writeFileSync(at('real/d/old.conf'), 'o')
    symlinkSync(at('real/d'), at('linked'))
    const r = (await run({writes: [write(at('linked/old.conf'), 'o', 'O'), write(at('linked/new.conf'), null, 'N', 0o600)], backupDir: at('bk'), keep: 5})).result()
    expect(r.files.map((f) => [f.status, f.path, f.target])).toEqual([
      ['written', at('linked/old.conf'), at('real/d/old.conf')],
      ['written', at('linked/new.conf'), at('real/d/new.conf')],
    ])
    expect(lstatSync(at('linked')).isSymbolicLink()).toBe(true)
    expect(readdirSync(at('real/d')).sort()).toEqual(['new.conf', 'old.conf'])
    expect(readFileSync(at('real/d/old.conf'), 'utf8')).toBe('O')
    expect(statSync(at('real/d/new.conf')).mode & 0o777).toBe(0o600)
    expect(versions(at('linked/old.conf'))).toEqual([['V', 'o']])
  })

  it('a batched step that fails names the file and its own reason (compare as a user, mkdir under a file)', async () => {
    requireTools(['setpriv'])
    mkdirSync(at('etc'))
    chownSync(at('etc'), 65534, 65534)
    writeFileSync(at('etc/mine.conf'), 'm')
    chownSync(at('etc/mine.conf'), 65534, 65534)
    writeFileSync(at('etc/secret.conf'), 's')
    chmodSync(at('etc/secret.conf'), 0o600)
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']
    const unreadable = (await run({writes: [write(at('etc/mine.conf'), 'm', 'M'), write(at('etc/secret.conf'), 's', 'S')], backupDir: null, keep: 5}, {wrap: asNobody, lock: at('etc/lock')})).result()
    expect(unreadable.files.map((f) => f.status)).toEqual(['skipped', 'failed'])
    expect(reasonCode(unreadable.files[1]!.reason)).toBe('EACCES')
    expect(readFileSync(at('etc/mine.conf'), 'utf8')).toBe('m')
    writeFileSync(at('plain'), 'a file, not a folder')
    const r = (await run({writes: [write(at('etc/new.conf'), null, 'n'), write(at('plain/sub/x.conf'), null, 'x')], backupDir: at('bk'), keep: 5})).result()
    expect(r.files.map((f) => [f.status, reasonCode(f.reason)])).toEqual([
      ['skipped', null],
      ['failed', 'ENOTDIR'],
    ])
    expect(r.files[0]!.reason).toMatch(/not written: .*x\.conf failed/)
    expect(existsSync(at('etc/new.conf'))).toBe(false)
  })

  it('refuses a content line with a control byte or a backslash that does not start \\0NNN, before anything runs', async () => {
    const good = encodeApplyRequest({writes: [write(at('x.conf'), null, 'x')], backupDir: null, keep: 5}, {lockPath: at('lock')})
    for (const line of ['a\\cb', 'a\\\\0101', 'a\tb', 'a\rb', 'ends with \\', 'caf\u00e9']) {
      const r = await execa('/bin/sh', ['-c', APPLY_SCRIPT], {input: good.replace(/[^\n]*\n$/, `${line}\n`), reject: false})
      expect(r.exitCode, line).toBe(3)
      expect(() => decodeApplyResult(String(r.stdout)), line).toThrow(/bad content in the manifest/)
    }
    expect(existsSync(at('x.conf'))).toBe(false)
    expect(existsSync(at('lock'))).toBe(false)
  })

  it('writes shell text in a content line as bytes, never runs it; a content that does not match its digest fails and leaves nothing', async () => {
    const marker = at('pwned')
    const good = encodeApplyRequest({writes: [write(at('x.conf'), null, 'x')], backupDir: null, keep: 5}, {lockPath: at('lock')})
    const r = await execa('/bin/sh', ['-c', APPLY_SCRIPT], {input: good.replace(/[^\n]*\n$/, `$(touch ${marker}) \`touch ${marker}\`\n`), reject: false})
    const f = decodeApplyResult(String(r.stdout)).files[0]!
    expect(f.status).toBe('failed')
    expect(f.reason).toMatch(/EIO: the temporary file does not hold the planned text/)
    expect(existsSync(marker)).toBe(false)
    expect(readdirSync(dir()).sort()).toEqual(['lock'])
  })

  it('runs the fleet benchmark request (a new drop-in, an edited daemon.json, backups) in 11 processes', async () => {
    if (!['/usr/bin/strace', '/bin/strace'].some((p) => existsSync(p))) throw new Error('strace is needed here (Debian package strace) to count processes')
    mkdirSync(at('etc/containers/registries.conf.d'), {recursive: true})
    mkdirSync(at('etc/docker'))
    mkdirSync(at('run/lock'), {recursive: true})
    const json = '{\n  "log-driver": "json-file"\n}\n'
    writeFileSync(at('etc/docker/daemon.json'), json)
    const dropIn = '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "127.0.0.1:5000"\n'
    const edited = '{\n  "log-driver": "json-file",\n  "registry-mirrors": ["http://127.0.0.1:5000"]\n}\n'
    const execs = async (from: [string | null, string]) => {
      const trace = at('trace')
      const writes = [write(at('etc/containers/registries.conf.d/50-mirrorctl.conf'), from[0], dropIn), write(at('etc/docker/daemon.json'), from[1], edited)]
      const r = await run({writes, backupDir: at('bk'), keep: 5}, {wrap: ['strace', '-f', '-qq', '-e', 'trace=execve', '-o', trace]})
      const names = readFileSync(trace, 'utf8')
        .split('\n')
        .filter((l) => l.includes('execve(') && !l.includes('ENOENT'))
        .map((l) => path.basename(/execve\("([^"]*)"/.exec(l)![1]!))
      return {files: r.result().files, count: names.length, names}
    }
    const first = await execs([null, json])
    expect(first.files.map((f) => f.status)).toEqual(['written', 'written'])
    // The shell, flock, sha256sum (compare + temp files), mkdir (backup slots), stat, sync,
    // ln (the backup), mv x2, sync (folders), sha256sum (re-read).
    expect(first.names.slice(1).sort()).toEqual(['flock', 'ln', 'mkdir', 'mv', 'mv', 'sha256sum', 'sha256sum', 'stat', 'sync', 'sync'])
    expect(first.count).toBeLessThanOrEqual(11)
    // Nothing to do: the shell, flock and one sha256sum.
    const again = await execs([dropIn, edited])
    expect(again.files.map((f) => f.status)).toEqual(['unchanged', 'unchanged'])
    expect(again.count).toBeLessThanOrEqual(3)
  })
})

describe('LocalHost.applyWrites under --root', () => {
  it('resolves absolute and .. links inside the root and keeps them; the lock lives under the root', async () => {
    const root = at('root')
    const outside = at('outside')
    mkdirSync(path.join(root, 'etc'), {recursive: true})
    mkdirSync(path.join(root, 'srv/containers'), {recursive: true})
    mkdirSync(path.join(outside, 'srv/containers'), {recursive: true})
    writeFileSync(path.join(outside, 'srv/containers/registries.conf'), 'outside')
    writeFileSync(path.join(root, 'srv/containers/registries.conf'), 'inside')
    // Absolute: /srv/containers means ROOT/srv/containers, never the real /srv.
    symlinkSync('/srv/containers', path.join(root, 'etc/containers'))
    // Relative with more .. than levels: stops at ROOT as chroot would.
    symlinkSync('../../../../../../srv/containers/registries.conf', path.join(root, 'srv/link.conf'))
    const host = new LocalHost(root)
    expect(await host.readFile('/etc/containers/registries.conf')).toBe('inside')
    const r = await host.applyWrites({
      writes: [write('/etc/containers/registries.conf', 'inside', 'edited'), write('/srv/link.conf', 'edited', 'never')],
      backupDir: '/var/lib/mirrorctl/backups',
      keep: 5,
    })
    // Both names reach the same file; the second expectation no longer holds once the first...
    // they are compared before anything is written, so the second is a conflict and nothing changes.
    expect(r.files.map((f) => f.status)).toEqual(['skipped', 'conflict'])
    const ok = await host.applyWrites({writes: [write('/srv/link.conf', 'inside', 'edited')], backupDir: '/var/lib/mirrorctl/backups', keep: 5})
    expect(ok.files[0]).toMatchObject({status: 'written', path: '/srv/link.conf', target: '/srv/containers/registries.conf'})
    expect(ok.files[0]!.backup).toMatch(/^\/var\/lib\/mirrorctl\/backups\//)
    expect(readFileSync(path.join(root, 'srv/containers/registries.conf'), 'utf8')).toBe('edited')
    expect(readFileSync(path.join(outside, 'srv/containers/registries.conf'), 'utf8')).toBe('outside')
    expect(lstatSync(path.join(root, 'etc/containers')).isSymbolicLink()).toBe(true)
    expect(lstatSync(path.join(root, 'srv/link.conf')).isSymbolicLink()).toBe(true)
    expect(existsSync(path.join(root, 'run/lock/mirrorctl.lock'))).toBe(true)
  })

  it('refuses a link loop under the root with ELOOP', async () => {
    const root = at('root')
    mkdirSync(path.join(root, 'etc'), {recursive: true})
    symlinkSync('/etc/b', path.join(root, 'etc/a'))
    symlinkSync('/etc/a', path.join(root, 'etc/b'))
    const host = new LocalHost(root)
    await expect(host.readFile('/etc/a')).rejects.toMatchObject({code: 'ELOOP'})
    await expect(host.applyWrites({writes: [write('/etc/a', null, 'x')], backupDir: null, keep: 5})).rejects.toMatchObject({code: 'ELOOP'})
  })
})
