/**
 * Starts processes from a small helper process instead of from mirrorctl itself.
 *
 * Node's spawn forks the whole process (libuv uses fork(), not vfork), and fork's cost grows
 * with the parent's memory: measured here, about 2 ms at 46 MB and 10 ms at 190 MB, all of it
 * on the main thread. A fleet run holds every host's snapshot and plan and starts one ssh
 * process per host; once mirrorctl is big (ssh-process.ts: DIRECT_SPAWN_MAX_RSS), those spawns
 * go here. The helper is a bare node (no bundle loaded, ~45 MB) that starts a long-lived
 * process on request (open(): an ssh channel), passes mirrorctl's writes to its stdin and
 * streams its stdout/stderr chunks back as JSON lines, then its exit; it ends with mirrorctl
 * (its stdin closes) and ends the processes it still runs then.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import type {Socket} from 'node:net'

/** The helper's program: requests and answers are JSON lines; bytes travel as base64. */
const HELPER_SOURCE = `
const {spawn} = require('node:child_process')
const running = new Map()
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n')
// Each process streams: chunks as they come ({id, out} / {id, err}), then {id, code, signal}.
// Long arguments (the runner's text) come once as {def, text}; later ones name them {ref}.
const texts = new Map()
const argsOf = (m) => m.args.map((a) => (typeof a === 'string' ? a : texts.get(a.ref)))
function open(m) {
  let child
  try {
    child = spawn(m.file, argsOf(m), {stdio: ['pipe', 'pipe', 'pipe']})
  } catch (e) {
    send({id: m.id, error: e.code || 'ESPAWN', message: String(e.message)})
    return
  }
  running.set(m.id, child)
  let ended = false
  const done = (answer) => { if (!ended) { ended = true; running.delete(m.id); send({id: m.id, ...answer}) } }
  child.stdout.on('data', (d) => send({id: m.id, out: d.toString('base64')}))
  child.stderr.on('data', (d) => send({id: m.id, err: d.toString('base64')}))
  child.stdin.on('error', () => {})
  child.on('error', (e) => done({error: e.code || 'ESPAWN', message: String(e.message)}))
  child.on('exit', () => { if (child.killed_) { child.stdout.destroy(); child.stderr.destroy() } })
  child.on('close', (code, signal) => done({code, signal}))
}
let buffered = ''
process.stdin.on('data', (chunk) => {
  buffered += chunk
  let nl
  while ((nl = buffered.indexOf('\\n')) >= 0) {
    const line = buffered.slice(0, nl)
    buffered = buffered.slice(nl + 1)
    const m = JSON.parse(line)
    if (m.kill !== undefined) {
      const c = running.get(m.kill)
      if (c) { c.killed_ = true; c.kill(m.signal) }
    }
    else if (m.def !== undefined) texts.set(m.def, m.text)
    else if (m.write !== undefined) running.get(m.write)?.stdin?.write(m.text)
    else if (m.end !== undefined) running.get(m.end)?.stdin?.end()
    else open(m)
  }
})
process.stdin.on('end', () => { for (const c of running.values()) c.kill('SIGTERM'); process.exit(0) })
`

export interface HelperAnswer {
  code?: number | null
  signal?: string | null
  /** Set when the process could not be started (an errno code such as ENOENT). */
  error?: string
  message?: string
}

/** What a streaming process reports (open()); onExit comes once, after the last chunk. */
export interface StreamHandlers {
  onStdout(chunk: Buffer): void
  onStderr(chunk: Buffer): void
  onExit(answer: HelperAnswer): void
}

/** One helper per mirrorctl process, started on first use; null once it could not start. */
class SpawnHelper {
  private nextId = 1
  private readonly streams = new Map<number, StreamHandlers>()
  /** Streams that must keep mirrorctl running (a request is waiting on them). */
  private readonly held = new Set<number>()
  private buffered = ''
  private broken = false
  /** Long arguments already sent to the helper, and their references. */
  private readonly texts = new Map<string, number>()

  constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (chunk: string) => this.receive(chunk))
    const fail = () => this.fail()
    child.on('error', fail)
    child.on('exit', fail)
    child.stdin!.on('error', fail)
    this.idle()
  }

  get usable(): boolean {
    return !this.broken
  }

  /** Starts a long-lived process; write(), end() and kill() address it by the id returned. */
  open(file: string, args: readonly string[], handlers: StreamHandlers): number {
    const id = this.nextId++
    this.streams.set(id, handlers)
    this.send({id, file, args: this.argsOf(args)})
    return id
  }

  /** Arguments as sent: a long one (the runner, ~28 KB on every ssh) travels once, then by reference. */
  private argsOf(args: readonly string[]): (string | {ref: number})[] {
    return args.map((a) => {
      if (a.length < LONG_ARG) return a
      let ref = this.texts.get(a)
      if (ref === undefined) {
        ref = this.texts.size + 1
        this.texts.set(a, ref)
        this.send({def: ref, text: a})
      }
      return {ref}
    })
  }

  write(id: number, data: string): void {
    if (this.streams.has(id) && !this.broken) this.send({write: id, text: data})
  }

  end(id: number): void {
    if (this.streams.has(id) && !this.broken) this.send({end: id})
  }

  /** Whether a stream keeps mirrorctl running (true while something waits on its answer). */
  hold(id: number, busy: boolean): void {
    if (busy && this.streams.has(id)) this.held.add(id)
    else this.held.delete(id)
    this.refresh()
  }

  kill(id: number, signal: NodeJS.Signals): void {
    if (this.streams.has(id) && !this.broken) this.send({kill: id, signal})
  }

  private send(message: object): void {
    this.child.stdin!.write(JSON.stringify(message) + '\n')
  }

  private receive(chunk: string): void {
    this.buffered += chunk
    let nl: number
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl)
      this.buffered = this.buffered.slice(nl + 1)
      const answer = JSON.parse(line) as HelperAnswer & {id: number; out?: string; err?: string}
      const stream = this.streams.get(answer.id)
      if (!stream) continue
      if (answer.out !== undefined) stream.onStdout(Buffer.from(answer.out, 'base64'))
      else if (answer.err !== undefined) stream.onStderr(Buffer.from(answer.err, 'base64'))
      else this.closeStream(answer.id, answer)
    }
  }

  private closeStream(id: number, answer: HelperAnswer): void {
    const stream = this.streams.get(id)
    this.streams.delete(id)
    this.held.delete(id)
    this.refresh()
    stream?.onExit(answer)
  }

  /** The helper died: every open request fails as "not started", and later ones spawn directly. */
  private fail(): void {
    if (this.broken) return
    this.broken = true
    const ended = {error: 'EHELPER', message: 'the spawn helper ended'}
    for (const id of [...this.streams.keys()]) this.closeStream(id, ended)
  }

  // An idle helper must not keep mirrorctl running; a busy one must.
  private refresh(): void {
    if (this.held.size > 0) this.busy()
    else this.idle()
  }

  private idle(): void {
    this.child.unref()
    ;(this.child.stdout as Socket).unref()
    ;(this.child.stdin as unknown as Socket).unref()
  }

  private busy(): void {
    this.child.ref()
    ;(this.child.stdout as Socket).ref()
    ;(this.child.stdin as unknown as Socket).ref()
  }
}

/** Arguments at least this long are sent to the helper once and then named. */
const LONG_ARG = 1024

let helper: SpawnHelper | null | undefined

/** The process-wide helper, started on first use; null when it cannot run (then spawn directly). */
export function spawnHelper(env: NodeJS.ProcessEnv): SpawnHelper | null {
  if (helper === undefined) {
    try {
      const child = spawn(process.execPath, ['-e', HELPER_SOURCE], {env: {...env, NODE_OPTIONS: ''}, stdio: ['pipe', 'pipe', 'ignore']})
      helper = new SpawnHelper(child)
    } catch {
      helper = null
    }
  }
  return helper?.usable ? helper : null
}
