/** Why a task ended without a value. */
export class TaskTimeout extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms / 1000}s`)
    this.name = 'TaskTimeout'
  }
}

export class TaskCancelled extends Error {
  constructor() {
    super('cancelled')
    this.name = 'TaskCancelled'
  }
}

export type Settled<T> = {ok: true; value: T} | {ok: false; error: unknown}

export interface PoolOptions {
  /** Tasks running at once (at least 1). */
  concurrency: number
  /** Per-task limit in milliseconds; the task's signal aborts when it passes. null: none. */
  timeoutMs: number | null
  /** Stops starting new tasks and aborts running ones (Ctrl-C). */
  signal?: AbortSignal
}

/**
 * Runs `task` for every item with at most `concurrency` at once. A task that throws, times
 * out or is cancelled settles as an error for its own item and never stops the others.
 * Results keep the items' order. Each task gets a signal that aborts on its timeout or on
 * cancellation, so it can end the processes it started.
 */
export async function runPool<I, T>(items: readonly I[], task: (item: I, signal: AbortSignal, index: number) => Promise<T>, options: PoolOptions): Promise<Settled<T>[]> {
  const results: Settled<T>[] = new Array(items.length)
  let next = 0
  const runOne = async (index: number): Promise<void> => {
    if (options.signal?.aborted) {
      results[index] = {ok: false, error: new TaskCancelled()}
      return
    }
    const controller = new AbortController()
    const onCancel = () => controller.abort(new TaskCancelled())
    options.signal?.addEventListener('abort', onCancel, {once: true})
    let timer: NodeJS.Timeout | undefined
    const limit = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {once: true})
      if (options.timeoutMs !== null) timer = setTimeout(() => controller.abort(new TaskTimeout(options.timeoutMs!)), options.timeoutMs)
    })
    limit.catch(() => undefined)
    try {
      results[index] = {ok: true, value: await Promise.race([task(items[index]!, controller.signal, index), limit])}
    } catch (error) {
      results[index] = {ok: false, error}
    } finally {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onCancel)
    }
  }
  const worker = async () => {
    while (next < items.length) await runOne(next++)
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(options.concurrency, items.length))}, worker))
  return results
}
