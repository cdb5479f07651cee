/**
 * The runner: one POSIX sh per host that lives for a whole run and executes our fixed
 * scripts on request (pure: its text, the request framing, and the cutting of its output).
 *
 * It replaces one SSH session + login shell + sudo + sh per call with one of each per host.
 * Its command line is fixed text: the runner itself and the scripts a run uses most
 * (embedded, shell-quoted); scripts used more rarely are sent once per channel ("def").
 *
 * stdin, from mirrorctl:
 *   NONCE                         first line; random per channel
 *   def ID | run ID               a header line, then the payload lines, then ".NONCE"
 *                                 (a line no payload contains: mirrorctl checks)
 *   run ID PID                    no payload lines, then ".NONCE": runs script ID on the
 *                                 input embedded as PID (the first gather's fixed request:
 *                                 the shell reads stdin a byte per call, ~1 ms per KB)
 * `def ID` keeps the payload as script ID. `run ID` runs script ID in a subshell with the
 * payload as a here-document on its stdin: the script and its children never read the
 * channel, and the payload reaches the script byte for byte (expansion results in a
 * here-document are not expanded again). A payload is empty or ends with a newline.
 * `run ID` also hands the script the payload's lines the runner already read, as shell
 * variables: mr_lines = how many, mr_l_1 ... their text without the newline (empty for an
 * embedded input). A script that takes them spares the here-document, which the shell's
 * read builtin takes a byte per read(2); parameter expansions cannot cut lines from one
 * long variable instead: removing a prefix is quadratic in its length (1 MiB: hours).
 *
 * stdout and stderr, each: "\nmirrorctl-runner NONCE ready\n" once the runner runs (what a
 * login shell's rc files printed before it is skipped), then per run the script's output and
 * "\nmirrorctl-runner NONCE done STATUS\n". The leading newline keeps the marker on its own
 * line after output without a trailing newline; it is not part of that output.
 */
import {APPLY_SCRIPT} from './apply-script.js'
import {candidateRequests} from './gather-candidates.js'
import {encodeGatherRequest, GATHER_SCRIPT} from './gather-script.js'
import {shellQuote} from './ssh-target.js'

/** Ids of the scripts on the runner's command line (runnerScript's `embedded`). */
const EMBEDDED_ID = /^[A-Z]$/
/** Ids of scripts sent later by "def". */
const DEFINED_ID = /^[0-9]+$/

const RUNNER_BODY = `mr_n=
IFS= read -r mr_n || exit 0
mr_e=.$mr_n
mr_say() { printf '\\nmirrorctl-runner %s %s\\n' "$mr_n" "$1"; printf '\\nmirrorctl-runner %s %s\\n' "$mr_n" "$1" >&2; }
mr_say ready
while IFS= read -r mr_h; do
  mr_p=; mr_q=; mr_c=0; mr_t=0
  case $mr_h in "run "*) mr_v=1 ;; *) mr_v= ;; esac
  # Lines gather in mr_q and join mr_p 64 at a time: copying all of mr_p for every line
  # would be quadratic in the number of lines.
  while IFS= read -r mr_l; do
    case $mr_l in "$mr_e") mr_t=1; break ;; esac
    mr_c=$((mr_c + 1))
    if [ $mr_c = 1 ]; then mr_q=$mr_l; else mr_q="$mr_q
$mr_l"; fi
    [ $((mr_c % 64)) != 0 ] || { mr_p=$mr_p$mr_q; mr_q=; }
    [ -z "$mr_v" ] || eval "mr_l_$mr_c=\\$mr_l"
  done
  mr_p=$mr_p$mr_q; mr_q=
  [ $mr_t = 1 ] || exit 0
  mr_lines=$mr_c
  [ -n "$mr_v" ] || mr_lines=
  mr_i=\${mr_h#* }
  case $mr_h in "run "*" "*)
    mr_k=\${mr_i#* }; mr_i=\${mr_i%% *}; mr_lines=
    case $mr_k in [A-Z]) eval "mr_p=\\\${mr_d_$mr_k-}"; mr_c=1 ;; *) mr_i=- ;; esac ;;
  esac
  case $mr_i in ''|*[!A-Za-z0-9]*) echo "mirrorctl-runner: bad request" >&2; exit 2 ;; esac
  case $mr_h in
  "def "*) eval "mr_s_$mr_i=\\$mr_p" ;;
  "run "*)
    eval "mr_s=\\\${mr_s_$mr_i-}"
    [ -n "$mr_s" ] || { echo "mirrorctl-runner: no script $mr_i" >&2; exit 2; }
    if [ $mr_c = 0 ]; then ( eval "$mr_s" ) </dev/null
    else ( eval "$mr_s" ) <<mr_EOF
$mr_p
mr_EOF
    fi
    mr_say "done $?"
    # The payload's lines are not kept past their run (a 1 MiB content line among them).
    while [ "\${mr_lines:-0}" -gt 0 ]; do unset "mr_l_$mr_lines"; mr_lines=$((mr_lines - 1)); done ;;
  *) echo "mirrorctl-runner: bad request" >&2; exit 2 ;;
  esac
done
`

/**
 * The runner's text with `embedded` scripts and `inputs` (id -> text) as variable values
 * ahead of it. Only our fixed constants go in: the command line never carries data.
 */
export function runnerScript(embedded: ReadonlyMap<string, string>, inputs: ReadonlyMap<string, string> = new Map()): string {
  let head = ''
  for (const [id, script] of embedded) {
    if (!EMBEDDED_ID.test(id)) throw new Error(`runner: embedded script ids are one capital letter, not ${JSON.stringify(id)}`)
    head += `mr_s_${id}=${shellQuote(script)}\n`
  }
  for (const [id, input] of inputs) {
    if (!EMBEDDED_ID.test(id)) throw new Error(`runner: embedded input ids are one capital letter, not ${JSON.stringify(id)}`)
    if (input === '' || !input.endsWith('\n') || input.includes('\0')) throw new Error('runner: an embedded input is not empty and ends with a newline')
    // Kept without its last newline, as the runner keeps a payload it read (the here-document adds it).
    head += `mr_d_${id}=${shellQuote(input.slice(0, -1))}\n`
  }
  return head + RUNNER_BODY
}

/** The scripts every fleet run sends (text -> id): on the runner's command line, never as requests. */
export const HOST_RUNNER_SCRIPTS: ReadonlyMap<string, string> = new Map([
  [GATHER_SCRIPT, 'G'],
  [APPLY_SCRIPT, 'A'],
])

/** Per `units` (index 1: a run that plans reloads asks for the units' states too). */
const hostInputs: (ReadonlyMap<string, string> | undefined)[] = []

/** The inputs every fleet run sends (text -> id): the first gather's request, the same on every host. */
export function hostRunnerInputs(units = false): ReadonlyMap<string, string> {
  return (hostInputs[Number(units)] ??= new Map([[encodeGatherRequest(candidateRequests(), {facts: true, units}), 'D']]))
}

const hostRunnerText: (string | undefined)[] = []

/** The runner of every ssh channel, with HOST_RUNNER_SCRIPTS and hostRunnerInputs(units) (built once each). */
export function hostRunner(units = false): string {
  const flip = (m: ReadonlyMap<string, string>) => new Map([...m].map(([text, id]) => [id, text]))
  return (hostRunnerText[Number(units)] ??= runnerScript(flip(HOST_RUNNER_SCRIPTS), flip(hostRunnerInputs(units))))
}

/** The line that ends every payload on a channel. */
export function terminatorOf(nonce: string): string {
  return `.${nonce}`
}

/** The stdin text of one request; throws when the payload cannot be framed (a bug of ours). */
export function encodeRequest(op: 'def' | 'run', id: string, payload: string, nonce: string): string {
  if (!(op === 'def' ? DEFINED_ID : /^(?:[A-Z]|[0-9]+)$/).test(id)) throw new Error(`runner: bad script id ${JSON.stringify(id)}`)
  const body = op === 'def' && payload !== '' && !payload.endsWith('\n') ? `${payload}\n` : payload
  if (body !== '' && !body.endsWith('\n')) throw new Error('runner: a script input must be empty or end with a newline')
  if (body.includes('\0')) throw new Error('runner: a script input cannot hold NUL bytes')
  const end = terminatorOf(nonce)
  if (body.split('\n').includes(end)) throw new Error('runner: the payload holds the channel terminator')
  return `${op} ${id}\n${body}${end}\n`
}

/** The stdin text that runs embedded script `id` on embedded input `inputId`. */
export function encodeEmbeddedRun(id: string, inputId: string, nonce: string): string {
  if (!EMBEDDED_ID.test(id) || !EMBEDDED_ID.test(inputId)) throw new Error(`runner: bad embedded ids ${JSON.stringify([id, inputId])}`)
  return `run ${id} ${inputId}\n${terminatorOf(nonce)}\n`
}

/** What one marker said: the runner is ready, or a run ended with an exit status. */
export type RunnerMark = {kind: 'ready'} | {kind: 'done'; status: number}

/** A marker line longer than this after its prefix is not ours: the channel is broken. */
const MAX_MARK_TAIL = 32

/**
 * Cuts one of the runner's streams (stdout or stderr) at its markers. push() returns the
 * sections that ended with a marker, in order; bytes are kept as Buffers, so a character
 * split across chunks decodes whole. Data before the first marker is a section too (the
 * caller drops or keeps it). Each byte is scanned about once: only a short tail that could
 * start a marker is carried to the next chunk.
 */
export class StreamCutter {
  private readonly prefix: Buffer
  private body: Buffer[] = []
  private bodySize = 0
  private carry: Buffer = Buffer.alloc(0)

  constructor(nonce: string) {
    this.prefix = Buffer.from(`\nmirrorctl-runner ${nonce} `)
  }

  /** How many bytes since the last marker (the carry at most a marker's length more). */
  get size(): number {
    return this.bodySize + this.carry.length
  }

  /** Bytes since the last marker (for the reason of a channel that ended). */
  get pending(): Buffer {
    return Buffer.concat([...this.body, this.carry])
  }

  push(chunk: Buffer): {text: Buffer; mark: RunnerMark}[] {
    const out: {text: Buffer; mark: RunnerMark}[] = []
    let data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk
    for (;;) {
      const at = data.indexOf(this.prefix)
      if (at < 0) {
        // Any marker starting before the last prefix-1 bytes would have been found whole.
        const keep = Math.min(data.length, this.prefix.length - 1)
        if (data.length > keep) this.keep(data.subarray(0, data.length - keep))
        this.carry = Buffer.from(data.subarray(data.length - keep))
        return out
      }
      const tailStart = at + this.prefix.length
      const nl = data.indexOf(0x0a, tailStart)
      if (nl < 0) {
        if (data.length - tailStart > MAX_MARK_TAIL) throw new RunnerProtocolError('a runner marker without its end')
        if (at > 0) this.keep(data.subarray(0, at))
        this.carry = Buffer.from(data.subarray(at))
        return out
      }
      out.push({text: Buffer.concat([...this.body, data.subarray(0, at)]), mark: parseMark(data.subarray(tailStart, nl).toString('latin1'))})
      this.body = []
      this.bodySize = 0
      data = data.subarray(nl + 1)
    }
  }

  private keep(bytes: Buffer): void {
    this.body.push(bytes)
    this.bodySize += bytes.length
  }
}

/** The runner said something mirrorctl does not understand (never expected). */
export class RunnerProtocolError extends Error {
  constructor(message: string) {
    super(`mirrorctl-runner: ${message}`)
    this.name = 'RunnerProtocolError'
  }
}

function parseMark(tail: string): RunnerMark {
  if (tail === 'ready') return {kind: 'ready'}
  const m = /^done (\d{1,3})$/.exec(tail)
  if (!m) throw new RunnerProtocolError(`an unknown marker ${JSON.stringify(tail)}`)
  return {kind: 'done', status: Number(m[1])}
}
