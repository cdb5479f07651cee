import {describe, expect, it} from 'vitest'
import {runProcess} from '../../../src/hosts/ssh-process.js'
import {spawnHelper} from '../../../src/hosts/spawn-helper.js'

// runProcess starts processes through the spawn helper (a small node process): the same
// answers as a direct spawn, for output, stdin, exit codes, a missing program, time-outs and cancellation.
describe('runProcess (through the spawn helper)', () => {
  it('passes stdin and returns stdout, stderr and the exit code, bytes intact', async () => {
    const input = 'line 1\n$(not run) ü \u0000?\n'.replace('\u0000', '')
    const r = await runProcess('/bin/sh', ['-c', 'cat; echo "err $1" >&2; exit 7', 'sh', 'arg with space'], {input})
    expect(r).toEqual({exitCode: 7, stdout: input, stderr: 'err arg with space\n', timedOut: false, cancelled: false, notFound: false})
  })

  it('passes long arguments intact, each sent to the helper once and then named (one-shot and streaming)', async () => {
    const long = (c: string) => `${c}${'x'.repeat(5000)}\n'"$\\${c}`
    const answers = await Promise.all(['a', 'b', 'a', 'b'].map((c) => runProcess('/bin/sh', ['-c', 'printf %s "$1"', 'sh', long(c)])))
    expect(answers.map((a) => a.stdout)).toEqual(['a', 'b', 'a', 'b'].map(long))
    const helper = spawnHelper({...process.env})!
    const out: Buffer[] = []
    const exit = new Promise((resolve) => {
      const id = helper.open('/bin/sh', ['-c', 'cat; printf %s "$1"', 'sh', long('a')], {onStdout: (d) => out.push(d), onStderr: () => undefined, onExit: resolve})
      helper.write(id, 'from stdin\n')
      helper.end(id)
    })
    expect(await exit).toMatchObject({code: 0})
    expect(Buffer.concat(out).toString()).toBe(`from stdin\n${long('a')}`)
  })

  it('runs many at once and keeps each answer with its request', async () => {
    const rs = await Promise.all(Array.from({length: 20}, (_, i) => runProcess('/bin/sh', ['-c', 'sleep 0.0$1; echo $1', 'sh', String(i % 10)])))
    expect(rs.map((r) => r.stdout)).toEqual(Array.from({length: 20}, (_, i) => `${i % 10}\n`))
  })

  it('says when the program does not exist', async () => {
    const r = await runProcess('/nonexistent/mirrorctl-ssh', [])
    expect(r.notFound).toBe(true)
    expect(r.exitCode).toBeNull()
  })

  it('ends a process past its time-out, and one whose signal aborts', async () => {
    const slow = await runProcess('/bin/sh', ['-c', 'sleep 30'], {timeoutMs: 200})
    expect(slow).toMatchObject({timedOut: true, exitCode: null})
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 200)
    const cancelled = await runProcess('/bin/sh', ['-c', 'sleep 30'], {signal: controller.signal})
    expect(cancelled).toMatchObject({cancelled: true, exitCode: null})
  })

  it('ends a process whose output passes maxBuffer', async () => {
    const r = await runProcess('/bin/sh', ['-c', 'head -c 200000 /dev/zero; sleep 30'], {maxBuffer: 1000})
    expect(r.exitCode).toBeNull()
    expect(r.stderr).toMatch(/passed 1000 bytes/)
  })
})
