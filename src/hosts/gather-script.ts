/**
 * GATHER_SCRIPT: one fixed POSIX sh script that captures, in one round trip, everything the
 * engine modules read on a host. The paths to capture arrive on stdin (one per line, each
 * byte outside a plain set written as a printf %b octal escape), never in the command line.
 *
 * Its process count does not grow with the number of files: a first pass decides every path
 * with shell builtins ([ -h ], [ -e ], [ -f ], [ -r ], globs), then ONE stat takes every path
 * that exists and ONE `cat | base64` carries every wanted file's bytes (and the environment),
 * which the decoder splits by the stat sizes. A path that vanishes before the stat makes it
 * fail: that gather then stats each path on its own. A file whose size changed between the stat
 * and the cat makes the lengths disagree: GatherRaceError, and the caller gathers again. A read
 * that fails mid-cat ("readfail") is redone one file at a time, each ended by "." or "!".
 * Needs sh and coreutils (stat -c, cat, base64, readlink, id, env, tr): without them it exits 4
 * and says which one is missing.
 *
 *   request:  "mirrorctl-gather 1" / "facts 1|0" / "<s|r|l> <encoded path>" | "v <command name>"...
 *   answer:   "mirrorctl-gather 2" [uid N] [cmd NAME r:PATH|b:BASE64|-]... [unit NAME STATE]...
 *             per path: "@ INDEX" then an entry | "nohome"; per "v": "@ INDEX" [ver NAME RC, base64, "."]
 *             "stat", then per "T" above in order: "HEXMODE UID GID SIZE WANT" | "err -"
 *             ["content 1|0", base64, "." ["readfail", per "data": base64, "."|"!"]] "done"
 *   entry:    ["link" NAME] ("missing" | "T" ["nolist" | "list" ("child" NAME entry)... "end"])
 *   WANT:     "-" (no content asked) | "big" | "noread" | "data" (its bytes are in the content)
 *   content:  "content 1": the environment first, NUL-ended NAME=value entries and one more NUL
 *             (a shell passes no empty entry), then the "data" files' bytes, back to back.
 *
 * Names that are not plain travel as base64 ("b:"), contents (arbitrary bytes) as base64 lines,
 * which are never "." or "!"; the last line is "done", so a cut-off answer is detected.
 */
import {posix} from 'node:path'
import {MAX_CONFIG_BYTES} from '../core/limits.js'
import {emptySnapshot, type GatherRequest, type Snapshot, type SnapshotEntry} from './snapshot.js'

/** Files in a listed folder larger than this are stat'ed only; a read of one is gathered on its own. */
export const CHILD_CONTENT_BYTES = 256 * 1024

/** Tools whose presence the snapshot records (command -v). */
export const GATHERED_COMMANDS = ['docker', 'dockerd', 'podman', 'skopeo', 'crio', 'containerd', 'systemctl', 'flock', 'curl', 'wget', 'sudo', 'base64', 'sha256sum', 'stat'] as const
/** Command names a "version" request may name (they are never paths: PATH finds them). */
const COMMAND_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
/** systemd units whose `systemctl is-active` the snapshot records. */
export const GATHERED_UNITS = ['docker', 'crio', 'containerd', 'k3s', 'k3s-agent', 'rke2-server', 'rke2-agent'] as const

export const GATHER_SCRIPT = `set -u
max=${MAX_CONFIG_BYTES}
childmax=${CHILD_CONTENT_BYTES}
IFS= read -r magic || magic=
if [ "$magic" != "mirrorctl-gather 1" ]; then echo "mirrorctl-gather: unexpected request" >&2; exit 3; fi
IFS= read -r facts || facts=
for t in base64 stat readlink id tr cat env; do
  command -v "$t" >/dev/null 2>&1 || { echo "mirrorctl-gather: the host lacks $t (coreutils), which mirrorctl needs there" >&2; exit 4; }
done
echo "mirrorctl-gather 2"
# env runs last (in the content stream): it gets back the login's PATH and LC_ALL changed below.
opath=\${PATH-}
olc=\${LC_ALL+x\$LC_ALL}
LC_ALL=C
export LC_ALL
nl='
'
sq="'"
sl=
fl=
enc() {
  case $1 in
    *[!A-Za-z0-9._+@,=:%/-]*|"") printf "b:"; printf "%s" "$1" | base64 | tr -d "\\n"; echo ;;
    *) printf "r:%s\\n" "$1" ;;
  esac
}
# qv=$1 single-quoted for eval (the path lists below), with builtins only.
quote() {
  qv= s=$1
  while :; do
    case $s in
      *"$sq"*) qv=$qv\${s%%"$sq"*}$sq\\\\$sq$sq; s=\${s#*"$sq"} ;;
      *) qv=$sq$qv$s$sq; return ;;
    esac
  done
}
# entry PATH BUDGET LIST: the structure lines of a path. One that exists prints "T" and joins
# the stat list (sl), with what its content needs in fl: "-", or the budget then r|u ([ -r ]).
entry() {
  if [ -h "$1" ]; then printf "link "; enc "$(readlink -- "$1"; echo x)"; fi
  if [ ! -e "$1" ]; then echo missing; return; fi
  echo T
  quote "$1"; sl="$sl $qv"
  if [ -f "$1" ] && [ "$2" -gt 0 ]; then
    if [ -r "$1" ]; then fl="$fl$2r "; else fl="$fl$2u "; fi
  else fl="$fl- "; fi
  if [ "$3" = 1 ] && [ -d "$1" ]; then
    if [ -r "$1" ] && [ -x "$1" ]; then
      echo list
      for c in "$1"/* "$1"/.[!.]* "$1"/..?*; do
        [ -e "$c" ] || [ -h "$c" ] || continue
        printf "child "; enc "\${c##*/}"
        entry "$c" "$childmax" 0
      done
      echo end
    else echo nolist; fi
  fi
}
# The engines' daemons live in sbin, which a login's PATH may lack (command -v and versions).
PATH="\${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/sbin:/sbin"
if [ "$facts" = "facts 1" ]; then
  # The effective uid from the kernel's own status file, read by the shell (id is a process);
  # id where /proc is not mounted.
  u=
  if [ -r /proc/self/status ]; then
    while IFS=' \t' read -r k ru eu rest; do case $k in Uid:) u=$eu; break ;; esac; done < /proc/self/status
  fi
  case $u in ''|*[!0-9]*) u=$(id -u) ;; esac
  echo "uid $u"
  # command -v's PATH search without its subshell per tool (a fork each): the first executable
  # regular file; an empty entry is the current folder.
  for t in ${GATHERED_COMMANDS.join(' ')}; do
    c=; rest=$PATH:
    while [ -n "$rest" ]; do
      d=\${rest%%:*}; rest=\${rest#*:}; [ -n "$d" ] || d=.
      if [ -f "$d/$t" ] && [ -x "$d/$t" ]; then c=$d/$t; break; fi
    done
    if [ -n "$c" ]; then printf "cmd %s " "$t"; enc "$c"; else echo "cmd $t -"; fi
  done
  if command -v systemctl >/dev/null 2>&1; then
    # One call: systemctl prints one state per unit, in order (nothing without a running systemd).
    set -- $(systemctl is-active ${GATHERED_UNITS.join(' ')} 2>/dev/null)
    for u in ${GATHERED_UNITS.join(' ')}; do
      s=\${1:-unknown}
      [ $# -eq 0 ] || shift
      case $s in *[!a-z-]*) s=unknown ;; esac
      echo "unit $u $s"
    done
  fi
fi
i=0
while IFS= read -r line; do
  i=$((i + 1))
  mode=\${line%% *}
  p=\${line#* }
  echo "@ $i"
  if [ "$mode" = v ]; then
    # Only versions asked for are taken: starting a Go binary (containerd, skopeo) costs tens of ms.
    case $p in *[!A-Za-z0-9._-]*|""|[!A-Za-z0-9]*) continue ;; esac
    command -v "$p" >/dev/null 2>&1 || continue
    if command -v timeout >/dev/null 2>&1; then out=$(timeout 10 "$p" --version 2>&1); rc=$?; else out=$("$p" --version 2>&1); rc=$?; fi
    echo "ver $p $rc"; printf "%s" "$out" | base64; echo .
    continue
  fi
  case $p in *\\\\*) p=$(printf "%bx" "$p"); p=\${p%x} ;; esac
  case $p in
    "~/"*) if [ -n "\${HOME:-}" ]; then p="\${HOME%/}/\${p#??}"; else echo nohome; continue; fi ;;
  esac
  case $mode in
    s) entry "$p" 0 0 ;;
    r) entry "$p" "$max" 0 ;;
    l) entry "$p" 0 1 ;;
  esac
done
# One stat for every "T"; if it fails (a path vanished since the first pass), one per path.
eval "set -- $sl"
one=
if [ $# -gt 0 ]; then st=$(stat -L -c "%f %u %g %s" -- "$@" 2>/dev/null) || one=1; st=$st$nl; fi
echo stat
cl=
for p; do
  if [ -z "$one" ]; then l=\${st%%"$nl"*}; st=\${st#*"$nl"}
  else l=$(stat -L -c "%f %u %g %s" -- "$p" 2>/dev/null) || l=err; fi
  [ -n "$l" ] || l=err
  f=\${fl%% *}; fl=\${fl#* }
  w=-
  if [ "$l" != err ] && [ "$f" != - ]; then
    b=\${f%?}
    if [ "\${l##* }" -gt "$b" ]; then w=big
    elif [ "$f" = "\${b}u" ]; then w=noread
    else w=data; quote "$p"; cl="$cl $qv"; fi
  fi
  echo "$l $w"
done
# One cat for every "data" file (never without operands: it would read stdin), after the env.
eval "set -- $cl"
if [ $# -gt 0 ] || [ "$facts" = "facts 1" ]; then
  echo "content \${facts#facts }"
  exec 4>&1
  # cat's failure (a read error) comes out on fd 3: its bytes are then redone one file each.
  bad=$({ {
    if [ "$facts" = "facts 1" ]; then
      PATH=\${opath:-$PATH}
      case $olc in x*) LC_ALL=\${olc#x} ;; *) unset LC_ALL ;; esac
      # env -0 fails where it is not supported (busybox): nothing comes out, and the plain form is used.
      env -0 2>/dev/null || env | tr -s "\\n" "\\0"
      printf "\\0"
    fi
    [ $# -eq 0 ] || cat -- "$@" 2>/dev/null || echo x >&3
  } | base64 >&4; } 3>&1)
  echo .
  if [ -n "$bad" ]; then
    echo readfail
    for p; do if base64 < "$p"; then echo .; else echo "!"; fi; done
  fi
fi
echo done
`

const HEADER = 'mirrorctl-gather 2\n'

/** Bytes that travel as themselves in a request line; everything else is an octal escape. */
const PLAIN_BYTE = /^[A-Za-z0-9/._+@,=:%~-]$/

function encodePath(path: string): string {
  let out = ''
  for (const byte of Buffer.from(path, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += byte < 0x80 && PLAIN_BYTE.test(c) ? c : `\\0${byte.toString(8).padStart(3, '0')}`
  }
  return out
}

const MODE_LETTER = {stat: 's', read: 'r', list: 'l', version: 'v'} as const

/** Encodings of frozen request lists (candidateRequests(): the same on every host), per facts flag. */
const encodedFrozen = new WeakMap<readonly GatherRequest[], [string | undefined, string | undefined]>()

/** stdin for GATHER_SCRIPT. Paths must be absolute or "~/..."; no NUL. */
export function encodeGatherRequest(requests: readonly GatherRequest[], options: {facts: boolean}): string {
  if (!Object.isFrozen(requests) || !requests.every((r) => Object.isFrozen(r))) return encodeRequestLines(requests, options)
  const kept = encodedFrozen.get(requests) ?? [undefined, undefined]
  const i = options.facts ? 1 : 0
  kept[i] ??= encodeRequestLines(requests, options)
  encodedFrozen.set(requests, kept)
  return kept[i]!
}

function encodeRequestLines(requests: readonly GatherRequest[], options: {facts: boolean}): string {
  const lines = ['mirrorctl-gather 1', `facts ${options.facts ? 1 : 0}`]
  for (const r of requests) {
    if (r.mode === 'version') {
      if (!COMMAND_NAME.test(r.path)) throw new Error(`gather: a version request names a command, not ${JSON.stringify(r.path)}`)
      lines.push(`v ${r.path}`)
      continue
    }
    if (r.path.includes('\0') || !(posix.isAbsolute(r.path) || r.path.startsWith('~/'))) {
      throw new Error(`gather: paths must be absolute (or ~/...) without NUL: ${JSON.stringify(r.path)}`)
    }
    lines.push(`${MODE_LETTER[r.mode]} ${encodePath(r.path)}`)
  }
  return lines.join('\n') + '\n'
}

/** The gather answer could not be understood (cut off, or not the script's output). */
export class GatherFormatError extends Error {
  /** Gathering again may give a good answer (GatherRaceError). */
  readonly retryable: boolean = false

  constructor(message: string) {
    super(`gather answer: ${message}`)
    this.name = 'GatherFormatError'
  }
}

/** A file changed size between the gather's stat and its read: gathering again gives a consistent answer. */
export class GatherRaceError extends GatherFormatError {
  override readonly retryable = true

  constructor(message: string) {
    super(message)
    this.name = 'GatherRaceError'
  }
}

function decodeName(token: string): string {
  if (token.startsWith('r:')) return token.slice(2)
  if (token.startsWith('b:')) return Buffer.from(token.slice(2), 'base64').toString('utf8')
  throw new GatherFormatError(`bad name token ${JSON.stringify(token.slice(0, 40))}`)
}

function fileInfo(fields: string[]): {kind: SnapshotEntry['kind']; info: NonNullable<SnapshotEntry['info']>; special?: string} {
  const [hex, uid, gid, size] = fields
  const raw = Number.parseInt(hex ?? '', 16)
  if (!Number.isFinite(raw) || fields.length !== 4) throw new GatherFormatError(`bad stat line "${fields.join(' ')}"`)
  const type = raw & 0o170000
  const kind = type === 0o100000 ? 'file' : type === 0o040000 ? 'directory' : 'other'
  return {kind, info: {kind, mode: raw & 0o7777, uid: Number(uid), gid: Number(gid), size: Number(size)}, ...(kind === 'other' ? {special: SPECIAL[type] ?? 'special file'} : {})}
}

const SPECIAL: Record<number, string> = {0o010000: 'a FIFO', 0o140000: 'a socket', 0o020000: 'a device', 0o060000: 'a device'}

/** Entry state for a stat line's WANT word (the script decided it from the size and [ -r ]). */
const WANT_STATE = {big: 'too-big', noread: 'unreadable'} as const

/**
 * The environment at the head of the content stream: NUL-ended "NAME=value" entries, then an
 * empty entry. Returns the offset where the files' bytes start.
 */
function readEnv(bytes: Buffer, env: Record<string, string>): number {
  for (let at = 0; ; ) {
    const end = bytes.indexOf(0, at)
    if (end < 0) throw new GatherFormatError('environment not ended')
    if (end === at) return end + 1
    const pair = bytes.subarray(at, end).toString('utf8')
    const eq = pair.indexOf('=')
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1)
    at = end + 1
  }
}

/** The answer's lines, read in order. */
class AnswerLines {
  private at = 0

  constructor(private readonly lines: readonly string[]) {}

  next(): string {
    if (this.at >= this.lines.length) throw new GatherFormatError('cut off before "done"')
    return this.lines[this.at++]!
  }

  /** Consumes the next line when it is `line`. */
  take(line: string): boolean {
    if (this.lines[this.at] !== line) return false
    this.at++
    return true
  }

  peek(): string | undefined {
    return this.lines[this.at]
  }

  /** Base64 lines up to "." (ok) or "!" (the read failed). */
  block(): {bytes: Buffer; ok: boolean} {
    const parts: string[] = []
    for (;;) {
      const line = this.next()
      if (line === '.' || line === '!') return {bytes: Buffer.from(parts.join(''), 'base64'), ok: line === '.'}
      parts.push(line)
    }
  }
}

/** One path's answer; its "~/" resolves once the environment (in the content, at the end) is known. */
interface PathAnswer {
  request: string
  entry: SnapshotEntry
  children: [string, SnapshotEntry][]
}

/** Parses GATHER_SCRIPT's answer to `requests`. `home` resolves "~/" paths when no facts were asked. */
export function decodeGatherOutput(stdout: string, requests: readonly GatherRequest[], options: {home?: string | undefined} = {}): Snapshot {
  // A login shell's rc file may print before the script runs (bash sources ~/.bashrc under
  // sshd): the script's header is the last one, as its body never holds that line.
  const start = stdout.lastIndexOf(`\n${HEADER}`) + 1
  const lines = new AnswerLines(stdout.slice(start).split('\n'))
  if (lines.next() !== HEADER.trimEnd()) throw new GatherFormatError('does not start with the gather header')
  const snapshot = emptySnapshot()
  /** Entries that printed "T": their stat lines follow "stat", in this order. */
  const stated: SnapshotEntry[] = []
  const answers = readFirstPass(lines, requests, snapshot, stated)
  const wanted = readStats(lines, stated)

  let line = lines.next()
  let content: Buffer | null = null
  let envInContent = false
  let perFile: {bytes: Buffer; ok: boolean}[] | null = null
  if (line.startsWith('content ')) {
    envInContent = line === 'content 1'
    content = lines.block().bytes
    if (lines.take('readfail')) perFile = wanted.map(() => lines.block())
    line = lines.next()
  }
  if (line !== 'done') throw new GatherFormatError(`expected "done", got ${JSON.stringify(line.slice(0, 40))}`)
  fillContents(wanted, content, envInContent ? snapshot.env : null, perFile)

  const home = snapshot.env.HOME ?? options.home
  for (const {request, entry, children} of answers) {
    let path = request
    if (path.startsWith('~/')) {
      if (!home || !posix.isAbsolute(home)) continue
      path = posix.join(home, path.slice(2))
    }
    path = posix.normalize(path)
    if (entry.entries) for (const [name, child] of children) snapshot.entries.set(posix.join(path, name), child)
    snapshot.entries.set(path, entry)
  }
  return snapshot
}

/** The lines up to "stat": facts into `snapshot`, path answers returned, "T" entries pushed on `stated`. */
function readFirstPass(lines: AnswerLines, requests: readonly GatherRequest[], snapshot: Snapshot, stated: SnapshotEntry[]): PathAnswer[] {
  // An entry: "link", then "missing" or "T" with its listing state (children follow "list").
  const readEntry = (): SnapshotEntry => {
    let linkTarget: string | null = null
    let line = lines.next()
    if (line.startsWith('link ')) {
      const target = decodeName(line.slice(5))
      linkTarget = target.endsWith('\nx') ? target.slice(0, -2) : target
      line = lines.next()
    }
    if (line === 'missing') return {kind: 'missing', info: null, linkTarget}
    if (line !== 'T') throw new GatherFormatError(`expected an entry, got ${JSON.stringify(line.slice(0, 40))}`)
    const entry: SnapshotEntry = {kind: 'missing', info: null, linkTarget}
    stated.push(entry)
    if (lines.take('nolist')) entry.listState = 'unreadable'
    else if (lines.take('list')) {
      entry.entries = []
      entry.listState = 'ok'
    }
    return entry
  }

  const answers: PathAnswer[] = []
  let index = 0
  for (;;) {
    const line = lines.next()
    if (line === 'stat') break
    if (line.startsWith('uid ')) {
      snapshot.uid = Number(line.slice(4))
    } else if (line.startsWith('cmd ')) {
      const [, name, token] = line.split(' ')
      if (!name || !token) throw new GatherFormatError(`bad cmd line ${JSON.stringify(line)}`)
      snapshot.commands[name] = token === '-' ? null : decodeName(token)
    } else if (line.startsWith('ver ')) {
      const [, name, rc] = line.split(' ')
      snapshot.versions[name!] = {exitCode: Number(rc), output: lines.block().bytes.toString('utf8')}
    } else if (line.startsWith('unit ')) {
      const [, name, state] = line.split(' ')
      snapshot.units[name!] = state ?? 'unknown'
    } else if (line.startsWith('@ ')) {
      index = Number(line.slice(2))
      const request = requests[index - 1]
      if (!request) throw new GatherFormatError(`answer for request ${index} that was not asked`)
      // A version answer ("ver" lines, none when the command is absent) follows as facts do.
      if (request.mode === 'version' || lines.take('nohome')) continue
      const entry = readEntry()
      const children: [string, SnapshotEntry][] = []
      if (entry.listState === 'ok') {
        while (lines.peek()?.startsWith('child ')) children.push([decodeName(lines.next().slice(6)), readEntry()])
        if (lines.next() !== 'end') throw new GatherFormatError(`listing of ${request.path} not ended`)
        entry.entries = children.map(([name]) => name).sort()
      }
      answers.push({request: request.path, entry, children})
    } else if (line !== '') {
      throw new GatherFormatError(`unexpected line ${JSON.stringify(line.slice(0, 60))}`)
    }
  }
  if (index !== requests.length) throw new GatherFormatError(`answered ${index} of ${requests.length} paths`)
  return answers
}

/** One stat line per `stated` entry fills it in; returns the "data" entries, in the content's order. */
function readStats(lines: AnswerLines, stated: readonly SnapshotEntry[]): SnapshotEntry[] {
  const wanted: SnapshotEntry[] = []
  for (const entry of stated) {
    const line = lines.next()
    const fields = line.split(' ')
    const want = fields.pop()
    if (fields[0] === 'err') {
      // Vanished between the first pass and its stat: missing, as stat(2) would say.
      delete entry.entries
      delete entry.listState
      continue
    }
    Object.assign(entry, fileInfo(fields))
    if (want === 'data') wanted.push(entry)
    else if (want === 'big' || want === 'noread') entry.contentState = WANT_STATE[want]
    else if (want !== '-') throw new GatherFormatError(`bad stat line ${JSON.stringify(line.slice(0, 60))}`)
  }
  return wanted
}

/**
 * Splits the content stream: the environment (when `env` is given), then each wanted file's
 * bytes by its stat size. With `perFile` (cat failed on some file) the bytes come from there.
 */
function fillContents(wanted: readonly SnapshotEntry[], content: Buffer | null, env: Record<string, string> | null, perFile: readonly {bytes: Buffer; ok: boolean}[] | null): void {
  let at = content && env ? readEnv(content, env) : 0
  if (perFile) {
    wanted.forEach((entry, i) => {
      const {bytes, ok} = perFile[i]!
      if (ok) Object.assign(entry, {content: bytes, contentState: 'ok'})
      else entry.contentState = 'unreadable'
    })
    return
  }
  const total = wanted.reduce((sum, e) => sum + e.info!.size, 0)
  const got = (content?.length ?? 0) - at
  if (got !== total) throw new GatherRaceError(`files changed while being read (${got} bytes where their stat said ${total})`)
  for (const entry of wanted) {
    entry.content = content!.subarray(at, at + entry.info!.size)
    entry.contentState = 'ok'
    at += entry.info!.size
  }
}
