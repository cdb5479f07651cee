// APPLY_SCRIPT under the runner takes its manifest from the runner's variables (mr_l_K),
// not from the here-document a byte per read(2); run with `sh -c` it reads stdin as before.
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {applyFixture, type RunOptions, write} from './apply-harness.js'

const {at, run, busyboxShell} = applyFixture()

const shells: [string, () => RunOptions][] = [
  ['dash', () => ({})],
  ['bash --posix', () => ({shell: ['bash', '--norc', '--posix']})],
  ['busybox ash', () => busyboxShell()],
]

const JSON_OLD = '{\n  "log-driver": "json-file"\n}\n'
const JSON_NEW = '{\n  "log-driver": "json-file",\n  "registry-mirrors": ["http://127.0.0.1:5000"]\n}\n'

/** The benchmark's request (an edited daemon.json, a new drop-in) with backups, plus `extra` files. */
function benchRequest(extra: {path: string; expect: string | null; content: string; mode: number}[] = []) {
  mkdirSync(at('etc/docker'), {recursive: true})
  mkdirSync(at('etc/containers/registries.conf.d'), {recursive: true})
  writeFileSync(at('etc/docker/daemon.json'), JSON_OLD)
  const writes = [write(at('etc/containers/registries.conf.d/50-mirrorctl.conf'), null, '[[registry]]\nlocation = "docker.io"\n'), write(at('etc/docker/daemon.json'), JSON_OLD, JSON_NEW), ...extra]
  return {writes, backupDir: at('bk'), keep: 5}
}

/** One-byte read(2) calls in an strace -f log, by pid; the first pid is the shell strace started. */
function oneByteReads(trace: string): {first: number; byPid: Map<number, number>} {
  const lines = readFileSync(trace, 'utf8').split('\n').filter(Boolean)
  const byPid = new Map<number, number>()
  for (const l of lines) {
    if (!/^\d+ +(?:read\(\d+, |<\.\.\. read resumed>).*, 1\) += 1$/.test(l)) continue
    const pid = Number(l.split(' ')[0])
    byPid.set(pid, (byPid.get(pid) ?? 0) + 1)
  }
  return {first: Number(lines[0]!.split(' ')[0]), byPid}
}

describe('APPLY_SCRIPT input under the runner', () => {
  for (const [name, options] of shells) {
    it(`takes the manifest from the runner's variables under ${name}: the same files, bytes exact with a 1 MiB line`, async () => {
      const big = 'x\\y %s\n'.repeat(1048576 / 8) + '\0tail'
      const request = benchRequest([write(at('etc/big.conf'), null, big), write(at('etc/empty.conf'), null, '')])
      const r = await run(request, {...options(), runner: true})
      expect(r.exitCode).toBe(0)
      expect(r.result().files.map((f) => f.status)).toEqual(['written', 'written', 'written', 'written'])
      for (const w of request.writes) expect(readFileSync(w.path, 'utf8') === w.content, w.path).toBe(true)
    })

    it(`does no one-byte read(2) in the script under the runner (${name})`, async () => {
      const strace = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p))
      if (!strace) throw new Error('strace is needed here (Debian package strace) to count reads')
      // 20 KiB: the runner's own byte-by-byte reads are slow under strace.
      const request = benchRequest([write(at('etc/big.conf'), null, 'line\n'.repeat(4096))])
      const trace = at('trace')
      const r = await run(request, {...options(), runner: true, wrap: [strace, '-f', '-qq', '-e', 'trace=read', '-o', trace]})
      expect(r.result().files.map((f) => f.status)).toEqual(['written', 'written', 'written'])
      // The runner (the first pid) reads the channel a byte at a time; the script in its
      // subshell, and every process it starts, never do.
      const {first, byPid} = oneByteReads(trace)
      expect(byPid.get(first)).toBeGreaterThan(20480)
      expect([...byPid].filter(([pid]) => pid !== first)).toEqual([])
    })
  }

  it('reads the manifest from stdin when run with sh -c (LocalHost), a byte per read(2) as the shell does', async () => {
    const request = benchRequest()
    const trace = at('trace')
    const r = await run(request, {wrap: ['strace', '-f', '-qq', '-e', 'trace=read', '-o', trace]})
    expect(r.result().files.map((f) => f.status)).toEqual(['written', 'written'])
    expect(readFileSync(at('etc/docker/daemon.json'), 'utf8')).toBe(JSON_NEW)
    // What the runner's variables spare: the shell itself reads its stdin byte by byte.
    const {first, byPid} = oneByteReads(trace)
    expect(byPid.get(first)).toBeGreaterThan(300)
  })

  it('under the runner, refuses a manifest cut short or with a bad line, as from stdin', async () => {
    for (const runner of [false, true]) {
      const cut = await run(benchRequest(), {runner, edit: (m) => m.split('\n').slice(0, 4).join('\n') + '\n'})
      expect(cut.exitCode, `runner ${runner}`).toBe(3)
      expect(() => cut.result()).toThrow(/cannot read the manifest \(content 1\)/)
      const extra = await run(benchRequest(), {runner, edit: (m) => m.replace(/^(\/\S+ \S+ 0644 \S+ \S+)$/m, '$1 x')})
      expect(() => extra.result()).toThrow(/bad manifest line for file 1/)
      const glob = await run(benchRequest(), {runner, edit: (m) => m.replace(/^(\S+ \S+ 5 )2( \d+)$/m, '$1*$2')})
      expect(() => glob.result()).toThrow(/bad numbers in the manifest/)
    }
    expect(readFileSync(at('etc/docker/daemon.json'), 'utf8')).toBe(JSON_OLD)
  })

})
