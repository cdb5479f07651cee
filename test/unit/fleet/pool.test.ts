import {describe, expect, test} from 'vitest'
import {runPool, TaskCancelled, TaskTimeout} from '../../../src/fleet/pool.js'

const wait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      reject(signal.reason)
    })
  })

describe('runPool', () => {
  test('never runs more than the limit at once, keeps order, one failure does not stop others', async () => {
    let running = 0
    let peak = 0
    const results = await runPool(
      Array.from({length: 12}, (_, i) => i),
      async (i) => {
        running++
        peak = Math.max(peak, running)
        await wait(5)
        running--
        if (i === 3) throw new Error('boom')
        return i * 2
      },
      {concurrency: 4, timeoutMs: null},
    )
    expect(peak).toBe(4)
    expect(results.map((r) => (r.ok ? r.value : (r.error as Error).message))).toEqual([0, 2, 4, 'boom', 8, 10, 12, 14, 16, 18, 20, 22])
  })

  test('a task past its timeout settles as TaskTimeout and its signal aborts', async () => {
    let sawAbort = false
    const results = await runPool(
      ['slow', 'fast'],
      async (x, signal) => {
        if (x === 'fast') return x
        signal.addEventListener('abort', () => (sawAbort = true))
        await new Promise(() => undefined) // never settles on its own
        return x
      },
      {concurrency: 2, timeoutMs: 30},
    )
    expect(results[0]).toEqual({ok: false, error: expect.any(TaskTimeout)})
    expect(((results[0] as {error: Error}).error as Error).message).toBe('timed out after 0.03s')
    expect(results[1]).toEqual({ok: true, value: 'fast'})
    expect(sawAbort).toBe(true)
  })

  test('cancellation aborts running tasks and starts no new ones', async () => {
    const controller = new AbortController()
    const started: number[] = []
    const done = runPool(
      [0, 1, 2, 3],
      async (i, signal) => {
        started.push(i)
        if (i === 0) controller.abort()
        await wait(1000, signal)
        return i
      },
      {concurrency: 1, timeoutMs: null, signal: controller.signal},
    )
    const results = await done
    expect(started).toEqual([0])
    expect(results.every((r) => !r.ok && r.error instanceof TaskCancelled)).toBe(true)
  })
})
