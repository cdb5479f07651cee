import {describe, expect, it} from 'vitest'
import {openDirect, type ProcessExit} from '../../../src/hosts/ssh-process.js'
import {spawnHelper} from '../../../src/hosts/spawn-helper.js'

interface Started {
  write(data: string): void
  end(): void
  kill(signal: NodeJS.Signals): void
}
type Opener = (file: string, args: readonly string[], handlers: {onStdout(d: Buffer): void; onStderr(d: Buffer): void; onExit(a: ProcessExit): void}) => Started

/** Node's own spawn (a small mirrorctl) and the spawn helper (a big one) must give the same answers. */
const openers: [string, () => Opener][] = [
  ['directly', () => openDirect],
  [
    'through the spawn helper',
    () => {
      const helper = spawnHelper({...process.env})!
      return (file, args, handlers) => {
        const id = helper.open(file, args, handlers)
        return {write: (d) => helper.write(id, d), end: () => helper.end(id), kill: (s) => helper.kill(id, s)}
      }
    },
  ],
]

/** Runs `file args` with `input` on stdin; resolves with its output and exit. */
function run(open: Opener, file: string, args: readonly string[], input?: string, after?: (p: Started) => void) {
  const out: Buffer[] = []
  const err: Buffer[] = []
  return new Promise<{stdout: string; stderr: string; exit: ProcessExit}>((resolve) => {
    const p = open(file, args, {
      onStdout: (d) => out.push(d),
      onStderr: (d) => err.push(d),
      onExit: (exit) => resolve({stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exit}),
    })
    if (input !== undefined) p.write(input)
    if (after) after(p)
    else p.end()
  })
}

describe.each(openers)('a long-lived process started %s', (_, make) => {
  it('passes stdin and returns stdout, stderr and the exit code, bytes intact', async () => {
    const input = 'line 1\n$(not run) ü ?\n'
    const r = await run(make(), '/bin/sh', ['-c', 'cat; echo "err $1" >&2; exit 7', 'sh', 'arg with space'], input)
    expect(r).toMatchObject({stdout: input, stderr: 'err arg with space\n', exit: {code: 7, signal: null}})
  })

  it('passes long arguments intact (the helper gets each once, then by reference)', async () => {
    const long = (c: string) => `${c}${'x'.repeat(5000)}\n'"$\\${c}`
    const open = make()
    const answers = await Promise.all(['a', 'b', 'a', 'b'].map((c) => run(open, '/bin/sh', ['-c', 'cat; printf %s "$1"', 'sh', long(c)], 'in\n')))
    expect(answers.map((a) => a.stdout)).toEqual(['a', 'b', 'a', 'b'].map((c) => `in\n${long(c)}`))
  })

  it('runs many at once and keeps each output with its process', async () => {
    const open = make()
    const rs = await Promise.all(Array.from({length: 20}, (_, i) => run(open, '/bin/sh', ['-c', 'sleep 0.0$1; echo $1', 'sh', String(i % 10)])))
    expect(rs.map((r) => r.stdout)).toEqual(Array.from({length: 20}, (_, i) => `${i % 10}\n`))
  })

  it('says when the program does not exist', async () => {
    const r = await run(make(), '/nonexistent/mirrorctl-ssh', [])
    expect(r.exit.error).toBe('ENOENT')
  })

  it('ends a process on kill, even one whose child holds its output open', async () => {
    const r = await run(make(), '/bin/sh', ['-c', 'sleep 30 & echo started; wait'], undefined, (p) => setTimeout(() => p.kill('SIGTERM'), 300))
    expect(r.stdout).toBe('started\n')
    expect(r.exit).toMatchObject({code: null, signal: 'SIGTERM'})
  })
})
