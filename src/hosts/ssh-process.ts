/**
 * Starts a long-lived process with pipes on all three streams (openProcess: an ssh channel):
 * directly while mirrorctl is small, through the spawn helper once it is big (spawn-helper.ts:
 * a fork of mirrorctl itself costs more the more memory it holds).
 * Not execa: its per-call work (option normalisation, stream plumbing, promises) cost about
 * three times the spawn itself on a loaded 2-core machine, half a second over 50 hosts.
 */
import {spawn} from 'node:child_process'
import type {Socket} from 'node:net'
import {spawnHelper, type HelperAnswer, type StreamHandlers} from './spawn-helper.js'

/**
 * The environment as a plain object, copied once: spawn copies `env` key by key for every
 * process, and process.env's keys are slow to read (a native lookup each).
 */
let plainEnv: NodeJS.ProcessEnv | undefined

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
