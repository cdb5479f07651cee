/**
 * Runs one process with stdin data and collects its output (runProcess), or keeps one open
 * and streams (openProcess, an ssh channel). runProcess goes through the spawn helper
 * (spawn-helper.ts: a fork of mirrorctl itself costs ~10 ms at fleet size); openProcess
 * spawns directly while mirrorctl is small (a fleet's ssh channels), and through the helper
 * once it is big.
 * Not execa: its per-call work (option normalisation, stream plumbing, promises) cost about
 * three times the spawn itself on a loaded 2-core machine, half a second over 50 hosts.
 */
import {spawn} from 'node:child_process'
import type {Socket} from 'node:net'
import {spawnHelper, type HelperAnswer, type StreamHandlers} from './spawn-helper.js'

export interface ProcessResult {
  /** null when the process ended by a signal (or never started). */
  exitCode: number | null
  stdout: string
  stderr: string
  timedOut: boolean
  cancelled: boolean
  /** The program was not found (ENOENT). */
  notFound: boolean
}

export interface ProcessOptions {
  input?: string
  timeoutMs?: number
  signal?: AbortSignal
  /** Output kept per stream; past it the process is ended and the run counts as failed. */
  maxBuffer?: number
}

/**
 * The environment as a plain object, copied once: spawn copies `env` key by key for every
 * process, and process.env's keys are slow to read (a native lookup each).
 */
let plainEnv: NodeJS.ProcessEnv | undefined

/** SIGTERM, then SIGKILL when the process is still there after this long. */
const KILL_GRACE_MS = 5_000

export async function runProcess(file: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  plainEnv ??= {...process.env}
  const helper = spawnHelper(plainEnv)
  if (!helper) return runDirect(file, args, options)
  const result: ProcessResult = {exitCode: null, stdout: '', stderr: '', timedOut: false, cancelled: false, notFound: false}
  if (options.signal?.aborted) return {...result, cancelled: true}
  const max = options.maxBuffer ?? 64 * 1024 * 1024
  const {id, answer} = helper.run({file, args, input: options.input ?? null, maxBuffer: max})
  let killer: NodeJS.Timeout | undefined
  const stop = () => {
    helper.kill(id, 'SIGTERM')
    killer = setTimeout(() => helper.kill(id, 'SIGKILL'), KILL_GRACE_MS)
    killer.unref()
  }
  const timer = options.timeoutMs
    ? setTimeout(() => {
        result.timedOut = true
        stop()
      }, options.timeoutMs)
    : undefined
  const onAbort = () => {
    result.cancelled = true
    stop()
  }
  options.signal?.addEventListener('abort', onAbort, {once: true})
  const a = await answer
  clearTimeout(timer)
  clearTimeout(killer)
  options.signal?.removeEventListener('abort', onAbort)
  if (a.error) {
    // Not started (or the helper ended before answering: then it is not run again here).
    result.notFound = a.error === 'ENOENT'
    result.stderr = `${a.message ?? a.error}\n`
    return result
  }
  result.exitCode = a.code ?? null
  result.stdout = Buffer.from(a.stdout ?? '', 'base64').toString('utf8')
  result.stderr = Buffer.from(a.stderr ?? '', 'base64').toString('utf8')
  if (a.overflow) {
    result.exitCode = null
    result.stderr += `\nmirrorctl: the output passed ${max} bytes; the process was ended`
  }
  return result
}

/** The same, spawned from this process (where the helper cannot run). */
function runDirect(file: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const result: ProcessResult = {exitCode: null, stdout: '', stderr: '', timedOut: false, cancelled: false, notFound: false}
    if (options.signal?.aborted) {
      resolve({...result, cancelled: true})
      return
    }
    const child = spawn(file, args, {env: plainEnv, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    const sizes: [number, number] = [0, 0]
    const max = options.maxBuffer ?? 64 * 1024 * 1024
    let timer: NodeJS.Timeout | undefined
    let killer: NodeJS.Timeout | undefined
    const stop = () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS)
      killer.unref()
    }
    const collect = (into: Buffer[], i: 0 | 1) => (chunk: Buffer) => {
      sizes[i] += chunk.length
      if (sizes[i]! > max) stop()
      else into.push(chunk)
    }
    child.stdout!.on('data', collect(out, 0))
    child.stderr!.on('data', collect(err, 1))
    const onAbort = () => {
      result.cancelled = true
      stop()
    }
    options.signal?.addEventListener('abort', onAbort, {once: true})
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        result.timedOut = true
        stop()
      }, options.timeoutMs)
    }
    if (child.stdin) {
      // The remote side may exit before reading all of its input (a refused login): not an error here.
      child.stdin.on('error', () => undefined)
      child.stdin.end(options.input)
    }
    let settled = false
    const finish = (exitCode: number | null) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(killer)
      options.signal?.removeEventListener('abort', onAbort)
      result.exitCode = exitCode
      result.stdout = Buffer.concat(out).toString('utf8')
      result.stderr = Buffer.concat(err).toString('utf8')
      if (sizes[0]! > max || sizes[1]! > max) {
        result.exitCode = null
        result.stderr += `\nmirrorctl: the output passed ${max} bytes; the process was ended`
      }
      resolve(result)
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') result.notFound = true
      err.push(Buffer.from(`${error.message}\n`))
      finish(null)
    })
    // A killed process's own children may hold its output open: stop reading once it is gone.
    child.on('exit', () => {
      if (result.timedOut || result.cancelled || sizes[0] > max || sizes[1] > max) {
        child.stdout!.destroy()
        child.stderr!.destroy()
      }
    })
    child.on('close', (code) => finish(code))
  })
}

/** A long-lived process (openProcess): its handlers get the output and then, once, the exit. */
export interface OpenProcess {
  write(data: string): void
  /** Closes its stdin. */
  end(): void
  kill(signal: NodeJS.Signals): void
  /** true while something waits on the process: it then keeps mirrorctl running. */
  hold(busy: boolean): void
}

export type {HelperAnswer as ProcessExit, StreamHandlers}

/**
 * Below this resident size a fork of mirrorctl itself costs less than the helper does
 * (measured: 1.7 ms of CPU at 47 MB, 2.4 ms at 120 MB, 5 ms at 240 MB; the helper costs its
 * own start, ~0.1 s of CPU, plus relaying every chunk as JSON: on 50 hosts ~0.25 s of CPU
 * more than spawning directly).
 */
const DIRECT_SPAWN_MAX_RSS = 128 * 1024 * 1024

let rssCheckedAt = 0
let small = true
/** Whether this process is still below DIRECT_SPAWN_MAX_RSS (read at most every 100 ms: the read is a file read). */
function smallProcess(): boolean {
  const now = Date.now()
  if (now - rssCheckedAt > 100) {
    rssCheckedAt = now
    small = process.memoryUsage.rss() < DIRECT_SPAWN_MAX_RSS
  }
  return small
}

/** Starts `file` with pipes on all three streams: directly while this process is small, else through the helper. */
export function openProcess(file: string, args: readonly string[], handlers: StreamHandlers): OpenProcess {
  plainEnv ??= {...process.env}
  const helper = smallProcess() ? null : spawnHelper(plainEnv)
  if (!helper) return openDirect(file, args, handlers)
  const id = helper.open(file, args, handlers)
  return {
    write: (data) => helper.write(id, data),
    end: () => helper.end(id),
    kill: (signal) => helper.kill(id, signal),
    hold: (busy) => helper.hold(id, busy),
  }
}

/** The same, spawned from this process (where the helper cannot run). */
export function openDirect(file: string, args: readonly string[], handlers: StreamHandlers): OpenProcess {
  let exited = false
  const child = spawn(file, args, {env: plainEnv, stdio: ['pipe', 'pipe', 'pipe']})
  const pipes = [child.stdin, child.stdout, child.stderr] as unknown as Socket[]
  child.stdout.on('data', (chunk: Buffer) => handlers.onStdout(chunk))
  child.stderr.on('data', (chunk: Buffer) => handlers.onStderr(chunk))
  child.stdin.on('error', () => undefined)
  const finish = (answer: HelperAnswer) => {
    if (exited) return
    exited = true
    handlers.onExit(answer)
  }
  child.on('error', (error: NodeJS.ErrnoException) => finish({error: error.code ?? 'ESPAWN', message: error.message}))
  // A killed process's own children may hold its output open: stop reading once it is gone.
  let killed = false
  child.on('exit', () => {
    if (killed) for (const p of pipes.slice(1)) p.destroy()
  })
  child.on('close', (code, signal) => finish({code, signal}))
  const hold = (busy: boolean) => {
    for (const target of [child, ...pipes]) {
      if (busy) target.ref()
      else target.unref()
    }
  }
  hold(false)
  return {
    write: (data) => {
      if (!exited && child.stdin.writable) child.stdin.write(data)
    },
    end: () => child.stdin.end(),
    kill: (signal) => {
      if (exited || child.exitCode !== null || child.signalCode !== null) return
      killed = true
      child.kill(signal)
    },
    hold,
  }
}
