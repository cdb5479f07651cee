/**
 * One ssh process per host for a whole run, running the runner (runner-script.ts) as root
 * with become: every call is a request on it, answered in order. Requests are written as
 * soon as they are made (the runner reads them one after the other); a request's timeout
 * runs from when it is the oldest one waiting.
 *
 * A channel that ends (or is killed on a timeout or abort) fails its waiting requests and
 * every later one with the same SshError, classified from ssh's exit and stderr as a
 * one-shot ssh call was (ssh-errors.ts). One idle for IDLE_CLOSE_MS is retired (ended on
 * purpose, as ControlPersist ended an idle master): the next call opens a new one.
 */
import {randomBytes} from 'node:crypto'
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {encodeEmbeddedRun, encodeRequest, RunnerProtocolError, StreamCutter, type RunnerMark} from './runner-script.js'
import {classifySshFailure, SshError} from './ssh-errors.js'
import {openProcess, type OpenProcess, type ProcessExit} from './ssh-process.js'

export interface ChannelResult {
  exitCode: number
  /** Empty with `bytes`: the output is then in stdoutBytes only. */
  stdout: string
  stderr: string
  /** With `bytes`: stdout as it came (the gather's raw file content, not UTF-8 text). */
  stdoutBytes?: Buffer
}

export interface ChannelCallOptions {
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
  /** Give stdout back as bytes (stdoutBytes), not as text. */
  bytes?: boolean | undefined
}

/** SIGTERM, then SIGKILL when the process is still there after this long. */
const KILL_GRACE_MS = 5_000
/** An idle channel ends after this long: a long run does not keep every host's session open. */
export const IDLE_CLOSE_MS = 60_000
/** One answer's output per stream; past it the host is failed (a host cannot fill our memory). */
export const MAX_ANSWER_BYTES = 256 * 1024 * 1024

interface Waiting {
  resolve: (result: ChannelResult) => void
  reject: (error: Error) => void
  options: ChannelCallOptions
  onAbort: () => void
}

export class SshChannel {
  private readonly nonce = randomBytes(16).toString('hex')
  private readonly cutters = [new StreamCutter(this.nonce), new StreamCutter(this.nonce)] as const
  private readonly ready = [false, false]
  /** Answered sections per stream (stdout with the exit status), not yet matched with a request. */
  private readonly outs: {text: Buffer; status: number}[] = []
  private readonly errs: Buffer[] = []
  private readonly waiting: Waiting[] = []
  /** Scripts sent with "def" on this channel, by text. */
  private readonly defined = new Map<string, string>()
  private readonly process: OpenProcess
  private failure: Error | null = null
  /** Why mirrorctl itself ends the process (timeout, abort, a garbled answer). */
  private stopping: {kind: 'timeout' | 'cancelled' | 'protocol'; message?: string} | null = null
  private timer: NodeJS.Timeout | undefined
  private killer: NodeJS.Timeout | undefined
  private exited = false
  /** Ended on purpose (close()): callers open a new channel instead of failing. */
  private retiring = false
  private idleTimer: NodeJS.Timeout | undefined
  private readonly idleMs: number
  private readonly inputs: ReadonlyMap<string, string>
  /** When the last answer came (or the channel started): the least recently used is retired first. */
  lastUsed = Date.now()
  private readonly done: Promise<void>
  private markDone!: () => void

  /**
   * `embedded`: script text -> id of the scripts already on the runner's command line;
   * `options.inputs`: input text -> id of the inputs there too.
   * `program` and `args`: the ssh command (a local sh in tests); `options.open` starts it.
   */
  constructor(
    readonly host: string,
    readonly program: string,
    args: readonly string[],
    private readonly embedded: ReadonlyMap<string, string>,
    options: {open?: typeof openProcess; idleMs?: number; inputs?: ReadonlyMap<string, string>} = {},
  ) {
    this.idleMs = options.idleMs ?? IDLE_CLOSE_MS
    this.inputs = options.inputs ?? new Map()
    this.done = new Promise((resolve) => (this.markDone = resolve))
    this.process = (options.open ?? openProcess)(program, args, {
      onStdout: (chunk) => this.receive(0, chunk),
      onStderr: (chunk) => this.receive(1, chunk),
      onExit: (answer) => this.ended(answer),
    })
    this.process.write(`${this.nonce}\n`)
  }

  /** Whether the channel can take no more requests (it ended or failed). */
  get closed(): boolean {
    return this.exited || this.failure !== null
  }

  /** Ended or ending on purpose: not a failure of the host. */
  get retired(): boolean {
    return this.retiring
  }

  get idle(): boolean {
    return this.waiting.length === 0 && !this.closed && !this.retiring
  }

  /** Runs `script` on the host with `input` (empty or ending in a newline) on its stdin. */
  request(script: string, input: string, options: ChannelCallOptions = {}): Promise<ChannelResult> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.retiring) return Promise.reject(new Error(`${this.host}: a request on a channel being closed (a bug)`))
    if (options.signal?.aborted) return Promise.reject(new SshError(this.host, 'timeout', 'cancelled'))
    // A script the command line lacks is sent once ("def") ahead of its first run.
    const known = this.embedded.get(script) ?? this.defined.get(script)
    const id = known ?? String(this.defined.size + 1)
    const inputId = known === undefined ? undefined : this.inputs.get(input)
    let text: string
    try {
      if (inputId !== undefined && /^[A-Z]$/.test(id)) text = encodeEmbeddedRun(id, inputId, this.nonce)
      else text = (known === undefined ? encodeRequest('def', id, script, this.nonce) : '') + encodeRequest('run', id, input, this.nonce)
    } catch (error) {
      return Promise.reject(error as Error)
    }
    if (known === undefined) this.defined.set(script, id)
    return new Promise<ChannelResult>((resolve, reject) => {
      const entry: Waiting = {resolve, reject, options, onAbort: () => this.stop('cancelled')}
      options.signal?.addEventListener('abort', entry.onAbort, {once: true})
      clearTimeout(this.idleTimer)
      this.waiting.push(entry)
      this.process.write(text)
      if (this.waiting.length === 1) this.startTimer()
      this.process.hold(true)
    })
  }

  /** Closes the runner's stdin: it answers what it has, exits, and so does ssh. Killed after `graceMs`. */
  async close(graceMs = KILL_GRACE_MS): Promise<void> {
    this.retiring = true
    clearTimeout(this.idleTimer)
    if (!this.exited) {
      this.process.end()
      const grace = setTimeout(() => this.stop('cancelled'), graceMs)
      grace.unref()
      this.process.hold(true)
      await this.done
      clearTimeout(grace)
    }
  }

  private startTimer(): void {
    clearTimeout(this.timer)
    const ms = this.waiting[0]?.options.timeoutMs
    if (ms) this.timer = setTimeout(() => this.stop('timeout'), ms)
  }

  private stop(kind: 'timeout' | 'cancelled' | 'protocol', message?: string): void {
    if (this.exited || this.stopping) return
    this.stopping = message === undefined ? {kind} : {kind, message}
    this.process.kill('SIGTERM')
    this.killer = setTimeout(() => this.process.kill('SIGKILL'), KILL_GRACE_MS)
    this.killer.unref()
  }

  private receive(stream: 0 | 1, chunk: Buffer): void {
    if (this.stopping) return
    let sections: {text: Buffer; mark: RunnerMark}[]
    try {
      sections = this.cutters[stream].push(chunk)
    } catch (error) {
      if (!(error instanceof RunnerProtocolError)) throw error
      this.stop('protocol', error.message)
      return
    }
    if (this.cutters[stream].size > MAX_ANSWER_BYTES) {
      this.stop('protocol', `the host's answer passed ${MAX_ANSWER_BYTES} bytes`)
      return
    }
    for (const {text, mark} of sections) {
      if (!this.ready[stream]) {
        // What came before the runner (a login shell's rc files, ssh's own warnings) is no answer.
        if (mark.kind === 'ready') this.ready[stream] = true
        else this.stop('protocol', 'mirrorctl-runner: an answer before the runner was ready')
      } else if (mark.kind === 'done') {
        if (stream === 0) this.outs.push({text, status: mark.status})
        else this.errs.push(text)
      } else {
        this.stop('protocol', 'mirrorctl-runner: started twice')
      }
    }
    this.settle()
  }

  /** Answers the oldest requests whose stdout and stderr have both ended. */
  private settle(): void {
    while (this.waiting.length && this.outs.length && this.errs.length) {
      const w = this.waiting.shift()!
      const out = this.outs.shift()!
      const err = this.errs.shift()!
      w.options.signal?.removeEventListener('abort', w.onAbort)
      const stderr = err.toString('utf8')
      w.resolve(w.options.bytes ? {exitCode: out.status, stdout: '', stderr, stdoutBytes: out.text} : {exitCode: out.status, stdout: out.text.toString('utf8'), stderr})
      this.startTimer()
    }
    if (!this.waiting.length) {
      clearTimeout(this.timer)
      this.process.hold(false)
      this.lastUsed = Date.now()
      clearTimeout(this.idleTimer)
      if (!this.closed && !this.retiring) {
        this.idleTimer = setTimeout(() => void this.close(), this.idleMs)
        this.idleTimer.unref()
      }
    }
  }

  private ended(answer: ProcessExit): void {
    this.exited = true
    clearTimeout(this.timer)
    clearTimeout(this.idleTimer)
    clearTimeout(this.killer)
    this.failure = this.failureOf(answer)
    for (const w of this.waiting.splice(0)) {
      w.options.signal?.removeEventListener('abort', w.onAbort)
      w.reject(this.failure)
    }
    this.process.hold(false)
    this.markDone()
  }

  private failureOf(answer: ProcessExit): Error {
    const stderr = this.cutters[1].pending.toString('utf8')
    if (answer.error === 'ENOENT') {
      return new UserError(`cannot run ${this.program}: OpenSSH's client is not installed`, {exitCode: ExitCode.Usage, hint: 'install openssh-client (Debian/Ubuntu) or openssh-clients (Fedora/RHEL)'})
    }
    if (answer.error) return new SshError(this.host, 'connection-lost', `cannot start ${this.program}: ${answer.message ?? answer.error}`, stderr)
    if (this.stopping?.kind === 'cancelled') return new SshError(this.host, 'timeout', 'cancelled', stderr)
    if (this.stopping?.kind === 'protocol') return new SshError(this.host, 'remote-failed', this.stopping.message ?? 'garbled answer', stderr)
    const code = answer.code ?? null
    const failure = classifySshFailure(code, stderr, this.stopping?.kind === 'timeout')
    if (failure) return new SshError(this.host, failure.kind, failure.reason, stderr)
    const last = stderr.trim().split('\n').at(-1)?.trim()
    const how = code === null ? `signal ${answer.signal ?? '?'}` : `exit ${code}`
    return new SshError(this.host, 'connection-lost', `the connection ended before the host answered (${how}${last ? `: ${last.slice(0, 300)}` : ''})`, stderr)
  }
}
