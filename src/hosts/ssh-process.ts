/**
 * Runs one ssh process with stdin data and collects its output: node's own spawn, not execa.
 * A fleet run starts two or three ssh processes per host, and on a loaded 2-core machine
 * execa's per-call work (option normalisation, stream plumbing, promises) cost about three
 * times the spawn itself: over 50 hosts, half a second of mirrorctl's CPU.
 */
import {spawn} from 'node:child_process'

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

export function runProcess(file: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const result: ProcessResult = {exitCode: null, stdout: '', stderr: '', timedOut: false, cancelled: false, notFound: false}
    if (options.signal?.aborted) {
      resolve({...result, cancelled: true})
      return
    }
    plainEnv ??= {...process.env}
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
    child.on('close', (code) => finish(code))
  })
}
