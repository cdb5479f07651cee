// Long-running daemons (registry, proxy, sshd) for the e2e suite. Each runs in its own
// process group so stop() takes down anything it forked, and gets a parent-death
// signal (setpriv --pdeathsig) so a test worker that dies cannot leave a daemon
// behind: vitest ends its workers with SIGTERM, which skips 'exit' hooks. The exit
// hook below only covers plain node scripts that end normally.
import {spawn} from 'node:child_process'
import {closeSync, openSync, readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import {requireTool} from './require-tools.js'

export interface DaemonOptions {
  /** Short label used in error messages. */
  name: string
  file: string
  args: readonly string[]
  /** The complete environment: nothing is inherited from the test process. */
  env: Record<string, string>
  /** stdout and stderr are appended here. */
  logFile: string
  cwd?: string
}

export interface DaemonExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Daemon {
  readonly name: string
  readonly pid: number
  readonly logFile: string
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<DaemonExit>
  isRunning(): boolean
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>
}

const running = new Set<number>()
let exitHooked = false

function hookExit(): void {
  if (exitHooked) return
  exitHooked = true
  process.once('exit', () => {
    for (const pgid of running) killGroup(pgid, 'SIGKILL')
  })
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // already gone
  }
}

/** Starts `file args` detached in a new process group with its output going to logFile. */
export function startDaemon(opts: DaemonOptions): Daemon {
  const setpriv = requireTool('setpriv')
  const fd = openSync(opts.logFile, 'a')
  let child
  try {
    child = spawn(setpriv, ['--pdeathsig', 'KILL', '--', opts.file, ...opts.args], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    })
  } finally {
    closeSync(fd) // the child holds its own copy
  }
  const pid = child.pid
  if (pid === undefined) throw new Error(`${opts.name}: could not spawn ${opts.file}`)
  running.add(pid)
  hookExit()
  child.unref()

  let alive = true
  const exited = new Promise<DaemonExit>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false
      running.delete(pid)
      resolve({code, signal})
    })
    child.once('error', () => {
      alive = false
      running.delete(pid)
      resolve({code: null, signal: null})
    })
  })

  return {
    name: opts.name,
    pid,
    logFile: opts.logFile,
    exited,
    isRunning: () => alive,
    async stop(graceMs = 5_000) {
      if (!alive) return
      killGroup(pid, 'SIGTERM')
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])
      if (!done) {
        killGroup(pid, 'SIGKILL')
        await exited
      }
    },
  }
}

/** Last `lines` lines of a log file, for error messages ('' when unreadable). */
export function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

export interface WaitOptions {
  what: string
  timeoutMs?: number
  intervalMs?: number
  /** Give up early, with its log, when this daemon exits while we wait. */
  daemon?: Daemon
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000)
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      lastError = err
    }
    if (opts.daemon && !opts.daemon.isRunning()) {
      throw new Error(
        `${opts.daemon.name} exited while waiting for ${opts.what}; log tail:\n${logTail(opts.daemon.logFile)}`,
      )
    }
    if (Date.now() > deadline) {
      const tail = opts.daemon ? `\nlog tail:\n${logTail(opts.daemon.logFile)}` : ''
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(`timed out waiting for ${opts.what}${cause}${tail}`)
    }
    await sleep(opts.intervalMs ?? 100)
  }
}
