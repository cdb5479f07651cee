/**
 * GATHER_SCRIPT: one fixed POSIX sh script that captures, in one round trip, everything the
 * engine modules read on a host. The paths to capture arrive on stdin (one per line, each
 * byte outside a plain set written as a printf %b octal escape), never in the command line.
 * The answer is line-framed text: names that are not plain are base64, contents are base64
 * blocks ended by "." (a character base64 never produces), and the last line is "done", so a
 * cut-off answer is detected. Needs sh, coreutils (stat -c, base64, readlink, id, env, tr):
 * without them it exits 4 and says which one is missing.
 *
 *   request:  "mirrorctl-gather 1" / "facts 1|0" / "<s|r|l> <encoded path>" | "v <command name>"...
 *   answer:   "mirrorctl-gather 1"
 *             [env0|envnl, base64 lines, "."] [uid N] [cmd NAME r:PATH|-]... [unit NAME STATE]...
 *             per path: "@ INDEX" then an entry; per "v": "@ INDEX" [ver NAME RC, base64, "."]; "done"
 *   entry:    ["link" NAME] ("missing" | "T HEXMODE UID GID SIZE" ["big"|"noread"|"data", base64, "."|"!"]
 *             ["nolist" | "list" ("child" NAME entry)... "end"] | "nohome" | "err stat")
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
for t in base64 stat readlink id tr; do
  command -v "$t" >/dev/null 2>&1 || { echo "mirrorctl-gather: the host lacks $t (coreutils), which mirrorctl needs there" >&2; exit 4; }
done
echo "mirrorctl-gather 1"
if [ "$facts" = "facts 1" ]; then
  # env -0 fails where it is not supported (busybox): nothing comes out, and the plain form is used.
  if e=$(env -0 2>/dev/null | base64) && [ -n "$e" ]; then echo env0; printf '%s\n' "$e"; else echo envnl; env | base64; fi
  echo .
fi
LC_ALL=C
export LC_ALL
enc() {
  case $1 in
    *[!A-Za-z0-9._+@,=:/-]*|"") printf "b:"; printf "%s" "$1" | base64 | tr -d "\\n"; echo ;;
    *) printf "r:%s\\n" "$1" ;;
  esac
}
entry() {
  if [ -h "$1" ]; then printf "link "; enc "$(readlink -- "$1"; echo x)"; fi
  if [ ! -e "$1" ]; then echo missing; return; fi
  st=$(stat -L -c "%f %u %g %s" -- "$1" 2>/dev/null) || { echo "err stat"; return; }
  echo "T $st"
  if [ -f "$1" ] && [ "$2" -gt 0 ]; then
    if [ "\${st##* }" -gt "$2" ]; then echo big
    elif [ ! -r "$1" ]; then echo noread
    else
      echo data
      if base64 < "$1"; then echo .; else echo "!"; fi
    fi
  fi
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
  echo "uid $(id -u)"
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
echo done
`

const HEADER = 'mirrorctl-gather 1\n'

/** Bytes that travel as themselves in a request line; everything else is an octal escape. */
const PLAIN_BYTE = /^[A-Za-z0-9/._+@,=:~-]$/

function encodePath(path: string): string {
  let out = ''
  for (const byte of Buffer.from(path, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += byte < 0x80 && PLAIN_BYTE.test(c) ? c : `\\0${byte.toString(8).padStart(3, '0')}`
  }
  return out
}

const MODE_LETTER = {stat: 's', read: 'r', list: 'l', version: 'v'} as const

/** stdin for GATHER_SCRIPT. Paths must be absolute or "~/..."; no NUL. */
export function encodeGatherRequest(requests: readonly GatherRequest[], options: {facts: boolean}): string {
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
  constructor(message: string) {
    super(`gather answer: ${message}`)
    this.name = 'GatherFormatError'
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
  if (!Number.isFinite(raw) || fields.length !== 4) throw new GatherFormatError(`bad stat line "T ${fields.join(' ')}"`)
  const type = raw & 0o170000
  const kind = type === 0o100000 ? 'file' : type === 0o040000 ? 'directory' : 'other'
  return {kind, info: {kind, mode: raw & 0o7777, uid: Number(uid), gid: Number(gid), size: Number(size)}, ...(kind === 'other' ? {special: SPECIAL[type] ?? 'special file'} : {})}
}

const SPECIAL: Record<number, string> = {0o010000: 'a FIFO', 0o140000: 'a socket', 0o020000: 'a device', 0o060000: 'a device'}

/** Parses GATHER_SCRIPT's answer to `requests`. `home` resolves "~/" paths when no facts were asked. */
export function decodeGatherOutput(stdout: string, requests: readonly GatherRequest[], options: {home?: string | undefined} = {}): Snapshot {
  // A login shell's rc file may print before the script runs (bash sources ~/.bashrc under
  // sshd): the script's header is the last one, as its body never holds that line.
  const start = stdout.lastIndexOf(`\n${HEADER}`) + 1
  const lines = stdout.slice(start).split('\n')
  let at = 0
  const next = (): string => {
    if (at >= lines.length) throw new GatherFormatError('cut off before "done"')
    return lines[at++]!
  }
  const block = (): {bytes: Buffer; ok: boolean} => {
    const parts: string[] = []
    for (;;) {
      const line = next()
      if (line === '.' || line === '!') return {bytes: Buffer.from(parts.join(''), 'base64'), ok: line === '.'}
      parts.push(line)
    }
  }
  if (next() !== HEADER.trimEnd()) throw new GatherFormatError('does not start with the gather header')
  const snapshot = emptySnapshot()

  // An entry: its lines up to the next "@", "child", "end" or "done" (peeked, not consumed).
  const readEntry = (childBudget: boolean): SnapshotEntry => {
    let linkTarget: string | null = null
    let line = next()
    if (line.startsWith('link ')) {
      const target = decodeName(line.slice(5))
      linkTarget = target.endsWith('\nx') ? target.slice(0, -2) : target
      line = next()
    }
    if (line === 'missing' || line === 'err stat') return {kind: 'missing', info: null, linkTarget}
    if (!line.startsWith('T ')) throw new GatherFormatError(`expected a stat line, got ${JSON.stringify(line.slice(0, 40))}`)
    const entry: SnapshotEntry = {...fileInfo(line.slice(2).split(' ')), linkTarget}
    for (;;) {
      const peek = lines[at]
      if (peek === 'big') {
        at++
        entry.contentState = 'too-big'
      } else if (peek === 'noread') {
        at++
        entry.contentState = 'unreadable'
      } else if (peek === 'data') {
        at++
        const {bytes, ok} = block()
        if (!ok) entry.contentState = 'unreadable'
        else if (bytes.length > MAX_CONFIG_BYTES || (childBudget && bytes.length > CHILD_CONTENT_BYTES)) entry.contentState = 'too-big'
        else {
          entry.content = bytes
          entry.contentState = 'ok'
        }
      } else if (peek === 'nolist') {
        at++
        entry.listState = 'unreadable'
      } else if (peek === 'list') {
        at++
        entry.entries = []
        entry.listState = 'ok'
        return entry // children follow; the caller reads them
      } else return entry
    }
  }

  let index = 0
  for (;;) {
    const line = next()
    if (line === 'done') break
    if (line === 'env0' || line === 'envnl') {
      const text = block().bytes.toString('utf8')
      for (const pair of text.split(line === 'env0' ? '\0' : '\n')) {
        const eq = pair.indexOf('=')
        if (eq > 0) snapshot.env[pair.slice(0, eq)] = pair.slice(eq + 1)
      }
    } else if (line.startsWith('uid ')) {
      snapshot.uid = Number(line.slice(4))
    } else if (line.startsWith('cmd ')) {
      const [, name, token] = line.split(' ')
      if (!name || !token) throw new GatherFormatError(`bad cmd line ${JSON.stringify(line)}`)
      snapshot.commands[name] = token === '-' ? null : decodeName(token)
    } else if (line.startsWith('ver ')) {
      const [, name, rc] = line.split(' ')
      snapshot.versions[name!] = {exitCode: Number(rc), output: block().bytes.toString('utf8')}
    } else if (line.startsWith('unit ')) {
      const [, name, state] = line.split(' ')
      snapshot.units[name!] = state ?? 'unknown'
    } else if (line.startsWith('@ ')) {
      index = Number(line.slice(2))
      const request = requests[index - 1]
      if (!request) throw new GatherFormatError(`answer for request ${index} that was not asked`)
      // A version answer ("ver" lines, none when the command is absent) follows as facts do.
      if (request.mode === 'version') continue
      let path = request.path
      if (path.startsWith('~/')) {
        const home = snapshot.env.HOME ?? options.home
        if (lines[at] === 'nohome' || !home || !posix.isAbsolute(home)) {
          if (lines[at] === 'nohome') at++
          continue
        }
        path = posix.join(home, path.slice(2))
      }
      path = posix.normalize(path)
      const entry = readEntry(false)
      if (entry.listState === 'ok') {
        while (lines[at]?.startsWith('child ')) {
          const name = decodeName(next().slice(6))
          entry.entries!.push(name)
          snapshot.entries.set(posix.join(path, name), readEntry(true))
        }
        if (next() !== 'end') throw new GatherFormatError(`listing of ${path} not ended`)
        entry.entries!.sort()
      }
      snapshot.entries.set(path, entry)
    } else if (line !== '') {
      throw new GatherFormatError(`unexpected line ${JSON.stringify(line.slice(0, 60))}`)
    }
  }
  if (index !== requests.length) throw new GatherFormatError(`answered ${index} of ${requests.length} paths`)
  return snapshot
}
