// The backup folder on another mount (a bind mount, as /var/lib/mirrorctl on the harness
// hosts and on hosts with a separate /var): link(2) gives EXDEV, the backup is a private
// copy, and undo copies the old text back from it (no link kept beside the target).
import {chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {requireTools} from '../../harness/require-tools.js'
import {applyFixture, type RunOptions, write} from './apply-harness.js'

const {at, run, busyboxShell} = applyFixture()

const shells: [string, () => RunOptions][] = [
  ['dash', () => ({})],
  ['bash --posix', () => ({shell: ['bash', '--norc', '--posix']})],
  ['busybox ash', () => busyboxShell()],
]

/** The absolute path of a tool (busybox runs get a PATH of applets only). */
const bin = (name: string) => {
  const p = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => path.join(d, name)).find((x) => existsSync(x))
  if (!p) throw new Error(`${name} is needed here`)
  return p
}
/**
 * Runs the script in a mount namespace where at('bk') is a bind mount of at('bk-real') (the
 * same device: link(2) gives EXDEV all the same), or a tmpfs (another device), then `more`.
 */
function crossDevice(more: string[] = [], how: 'bind' | 'tmpfs' = 'bind'): string[] {
  requireTools(['unshare', 'mount'])
  mkdirSync(at('bk'), {recursive: true})
  mkdirSync(at('bk-real'), {recursive: true})
  const mount = how === 'bind' ? '"$0" --bind "$1" "$2"' : '"$0" -t tmpfs mirrorctl-test "$2"'
  return [bin('unshare'), '-m', '--propagation', 'private', bin('sh'), '-c', `${mount} && shift 2 && exec "$@"`, bin('mount'), at('bk-real'), at('bk'), ...more]
}
const slotOf = (file: string) => at('bk-real', encodeURIComponent(file))
const strace = () => bin('strace')
const JSON_OLD = '{\n  "log-driver": "json-file"\n}\n'

describe('APPLY_SCRIPT with the backup folder on another mount', () => {
  /** The fleet benchmark's request (a new drop-in, an edited daemon.json) with backups; the processes it ran. */
  async function benchRun(how: 'bind' | 'tmpfs') {
    mkdirSync(at('etc/containers/registries.conf.d'), {recursive: true})
    mkdirSync(at('etc/docker'))
    mkdirSync(at('run/lock'), {recursive: true})
    writeFileSync(at('etc/docker/daemon.json'), JSON_OLD)
    const trace = at('trace')
    const wrap = crossDevice([strace(), '-f', '-qq', '-e', 'trace=execve', '-o', trace], how)
    const writes = [write(at('etc/containers/registries.conf.d/50-mirrorctl.conf'), null, 'drop-in\n'), write(at('etc/docker/daemon.json'), JSON_OLD, '{}\n')]
    const files = (await run({writes, backupDir: at('bk'), keep: 5}, {wrap})).result().files
    const names = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((l) => l.includes('execve(') && !l.includes('ENOENT'))
      .map((l) => path.basename(/execve\("([^"]*)"/.exec(l)![1]!))
    return {files, names}
  }

  it('runs the fleet benchmark request in 12 processes (the failing ln, then cat), no link beside the target, no rm', async () => {
    const {files, names} = await benchRun('bind')
    expect(files.map((f) => f.status)).toEqual(['written', 'written'])
    // The shell, flock, sha256sum (compare), mkdir (slots), stat, sync, ln (EXDEV), cat (the
    // copy), mv x2, sync (folders), sha256sum (re-read).
    expect(names.slice(1).sort()).toEqual(['cat', 'flock', 'ln', 'mkdir', 'mv', 'mv', 'sha256sum', 'sha256sum', 'stat', 'sync', 'sync'])
    // The backup is a private copy on the other mount, nothing else is left.
    const backup = path.join(slotOf(at('etc/docker/daemon.json')), path.basename(files[1]!.backup!))
    expect(readFileSync(backup, 'utf8')).toBe(JSON_OLD)
    expect(statSync(backup).mode & 0o7777).toBe(0o600)
    expect(readdirSync(at('etc/docker'))).toEqual(['daemon.json'])
  })

  it('tries no ln when the backup folder is on another device (a tmpfs): 11 processes', async () => {
    const {files, names} = await benchRun('tmpfs')
    expect(files.map((f) => f.status)).toEqual(['written', 'written'])
    expect(names.slice(1).sort()).toEqual(['cat', 'flock', 'mkdir', 'mv', 'mv', 'sha256sum', 'sha256sum', 'stat', 'sync', 'sync'])
    expect(readdirSync(at('etc/docker'))).toEqual(['daemon.json'])
  })

  for (const [name, options] of shells) {
    it(`undo copies the old text back from the copy under ${name}: owner, mode, bytes; copy removed, no temp left, written in the target's folder`, async () => {
      const o = options()
      mkdirSync(at('etc'))
      const a = at('etc/a.conf')
      const gone = at('etc/gone.conf')
      const b = at('etc/b.conf')
      writeFileSync(a, 'a-old\0\n')
      chownSync(a, 1234, 5678)
      chmodSync(a, 0o4640)
      writeFileSync(gone, 'gone-old')
      chownSync(gone, 4321, 8765)
      chmodSync(gone, 0o600)
      writeFileSync(b, 'b-old')
      await execa('chattr', ['+i', b])
      const trace = at('trace')
      try {
        // b cannot be renamed over (immutable): a and gone, already renamed or removed, are put back.
        const writes = [write(a, 'a-old\0\n', 'a-new'), {path: gone, expect: 'gone-old', content: null, mode: 0o644}, write(at('etc/new.conf'), null, 'n'), write(b, 'b-old', 'b-new')]
        const r = await run({writes, backupDir: at('bk'), keep: 5}, {...o, wrap: crossDevice([strace(), '-f', '-qq', '-e', 'trace=rename,renameat,renameat2', '-o', trace])})
        const files = r.result().files
        expect(files.map((f) => f.status)).toEqual(['skipped', 'skipped', 'skipped', 'failed'])
        expect(files.map((f) => f.backup)).toEqual([null, null, null, null])
        expect(readFileSync(a, 'utf8')).toBe('a-old\0\n')
        expect(readFileSync(gone, 'utf8')).toBe('gone-old')
        const sa = statSync(a)
        const sg = statSync(gone)
        expect([sa.mode & 0o7777, sa.uid, sa.gid]).toEqual([0o4640, 1234, 5678])
        expect([sg.mode & 0o7777, sg.uid, sg.gid]).toEqual([0o600, 4321, 8765])
        // No temp file, no undo file, no copy left.
        expect(readdirSync(at('etc')).sort()).toEqual(['a.conf', 'b.conf', 'gone.conf'])
        for (const w of writes) expect(existsSync(slotOf(w.path)) ? readdirSync(slotOf(w.path)) : [], w.path).toEqual([])
        // The text put back was renamed from the target's own folder (its SELinux label).
        const renames = readFileSync(trace, 'utf8')
          .split('\n')
          .map((l) => /rename(?:at2?)?\((?:AT_FDCWD, )?"([^"]+)", (?:AT_FDCWD, )?"([^"]+)"/.exec(l))
          .filter((m) => m !== null && m[2] === gone)
        expect(renames).toHaveLength(1)
        expect(path.dirname(renames[0]![1]!)).toBe(at('etc'))
      } finally {
        await execa('chattr', ['-i', b])
      }
    })
  }

})
