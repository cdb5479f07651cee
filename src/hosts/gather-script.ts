/**
 * GATHER_SCRIPT: one fixed POSIX sh script that captures, in one round trip, everything the
 * engine modules read on a host. The paths to capture arrive on stdin (one per line, each
 * byte outside a plain set written as a printf %b octal escape), never in the command line.
 *
 * Its process count does not grow with the number of files: a first pass decides every path
 * with shell builtins ([ -h ], [ -e ], [ -f ], [ -r ], globs), then ONE stat takes every path
 * that exists and ONE cat carries every wanted file's bytes (and the environment), raw, which
 * gather-decode.ts splits by the stat sizes. A path that vanishes before the stat makes it
 * fail: that gather then stats each path on its own. A file whose size changed between the stat
 * and the cat makes the lengths disagree: GatherRaceError, and the caller gathers again. A read
 * that fails mid-cat ("readfail") is redone one file at a time, each ended by "." or "!".
 * Needs sh and coreutils (stat -c, cat, base64, readlink, id, env, tr): without them it exits 4
 * and says which one is missing. The facts cost no process but the cat: the uid and the tools
 * are read by the shell, the environment is cat's own (/proc/self/environ, env where there is
 * no /proc); only "facts 2" runs systemctl (a heavy binary), for the runs that plan reloads.
 *
 *   request:  "mirrorctl-gather 1" / "facts 0|1|2" / "<s|r|l> <encoded path>" | "v <command name>" | "*"...
 *             "*": every line of candidateRequests(), which the script holds (cands)
 *             facts 1: uid, tools, environment; facts 2: those and the units' states
 *   answer:   "mirrorctl-gather 2" [uid N] [cmd NAME r:PATH|b:BASE64|-]... [unit NAME STATE]...
 *             per path: "@ INDEX" then an entry | "nohome"; per "v": "@ INDEX" [ver NAME RC, base64, "."]
 *             "stat", then per "T" above in order: "HEXMODE UID GID SIZE WANT" | "err -"
 *             ["content 1|0", raw bytes, "\ncontent-end" ["readfail", per "data": base64, "."|"!"]] "done"
 *   entry:    ["link" NAME] ("missing" | "T" ["nolist" | "list" ("child" NAME entry)... "end"])
 *   WANT:     "-" (no content asked) | "big" | "noread" | "data" (its bytes are in the content)
 *   content:  "content 1": the environment first, NUL-ended NAME=value entries, then "=\n" (an
 *             entry with an empty name, which no shell exports), then the "data" files' bytes,
 *             back to back; "content 0": the files' bytes alone.
 *
 * Names that are not plain travel as base64 ("b:"), versions and redone reads as base64 lines
 * (never "." or "!"); the content raw, framed by the first "content " line and the last
 * "content-end" line, which no other line holds. The last line is "done", so a cut-off
 * answer is detected.
 */
import {posix} from 'node:path'
import {MAX_CONFIG_BYTES} from '../core/limits.js'
import {candidateRequests} from './gather-candidates.js'
import type {GatherRequest} from './snapshot.js'

/** Files in a listed folder larger than this are stat'ed only; a read of one is gathered on its own. */
export const CHILD_CONTENT_BYTES = 256 * 1024

/** Tools whose presence the snapshot records (command -v). */
export const GATHERED_COMMANDS = ['docker', 'dockerd', 'podman', 'skopeo', 'crio', 'containerd', 'systemctl', 'flock', 'curl', 'wget', 'sudo', 'base64', 'sha256sum', 'stat'] as const
/** Command names a "version" request may name (they are never paths: PATH finds them). */
const COMMAND_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
/** systemd units whose `systemctl is-active` the snapshot records. */
export const GATHERED_UNITS = ['docker', 'crio', 'containerd', 'k3s', 'k3s-agent', 'rke2-server', 'rke2-agent'] as const

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

/** One request's line. Paths must be absolute or "~/..."; no NUL. */
function requestLine(r: GatherRequest): string {
  if (r.mode === 'version') {
    if (!COMMAND_NAME.test(r.path)) throw new Error(`gather: a version request names a command, not ${JSON.stringify(r.path)}`)
    return `v ${r.path}`
  }
  if (r.path.includes('\0') || !(posix.isAbsolute(r.path) || r.path.startsWith('~/'))) {
    throw new Error(`gather: paths must be absolute (or ~/...) without NUL: ${JSON.stringify(r.path)}`)
  }
  return `${MODE_LETTER[r.mode]} ${encodePath(r.path)}`
}

/** candidateRequests() as request lines, in the script itself (plain bytes and "\\": no quote). */
const CANDIDATE_LINES = candidateRequests().map(requestLine).join('\n')

export const GATHER_SCRIPT = `set -u
max=${MAX_CONFIG_BYTES}
childmax=${CHILD_CONTENT_BYTES}
# The candidate paths of every first gather, asked for by a "*" line: split by the shell from
# this text, not read from stdin (the shell's read takes a byte per call: ~0.4 ms per KB).
cands='${CANDIDATE_LINES}'
IFS= read -r magic || magic=
if [ "$magic" != "mirrorctl-gather 1" ]; then echo "mirrorctl-gather: unexpected request" >&2; exit 3; fi
IFS= read -r facts || facts=
case $facts in "facts 1") fa=1 ;; "facts 2") fa=2 ;; *) fa=0 ;; esac
for t in base64 stat readlink id tr cat env; do
  command -v "$t" >/dev/null 2>&1 || { echo "mirrorctl-gather: the host lacks $t (coreutils), which mirrorctl needs there" >&2; exit 4; }
done
echo "mirrorctl-gather 2"
# cat reads its own environment last (in the content stream): it gets back the login's PATH and
# LC_ALL changed below.
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
if [ "$fa" != 0 ]; then
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
  if [ "$fa" = 2 ] && command -v systemctl >/dev/null 2>&1; then
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
# One request line: "@ INDEX", then its answer.
req() {
  i=$((i + 1))
  mode=\${1%% *}
  p=\${1#* }
  echo "@ $i"
  if [ "$mode" = v ]; then
    # Only versions asked for are taken: starting a Go binary (containerd, skopeo) costs tens of ms.
    case $p in *[!A-Za-z0-9._-]*|""|[!A-Za-z0-9]*) return ;; esac
    command -v "$p" >/dev/null 2>&1 || return
    if command -v timeout >/dev/null 2>&1; then out=$(timeout 10 "$p" --version 2>&1); rc=$?; else out=$("$p" --version 2>&1); rc=$?; fi
    echo "ver $p $rc"; printf "%s" "$out" | base64; echo .
    return
  fi
  case $p in *\\\\*) p=$(printf "%bx" "$p"); p=\${p%x} ;; esac
  case $p in
    "~/"*) if [ -n "\${HOME:-}" ]; then p="\${HOME%/}/\${p#??}"; else echo nohome; return; fi ;;
  esac
  case $mode in
    s) entry "$p" 0 0 ;;
    r) entry "$p" "$max" 0 ;;
    l) entry "$p" 0 1 ;;
  esac
}
i=0
while IFS= read -r line; do
  if [ "$line" = "*" ]; then
    set -f; IFS=$nl; set -- $cands; unset IFS; set +f
    for line; do req "$line"; done
  else req "$line"; fi
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
# One cat for every "data" file (never without operands: it would read stdin), after the
# environment with the facts. Its bytes go out raw: no base64, no pipeline.
eval "set -- $cl"
if [ $# -gt 0 ] || [ "$fa" != 0 ]; then
  echo "content $((fa > 0))"
  # A read error (cat fails) has each file's bytes redone one by one, below.
  bad=
  if [ "$fa" = 0 ]; then cat -- "$@"
  else
    # Nothing below needs the script's own PATH and LC_ALL any more: the login's are back.
    PATH=\${opath:-$PATH}
    case $olc in x*) LC_ALL=\${olc#x} ;; *) unset LC_ALL ;; esac
    if [ -r /proc/self/environ ]; then
      # cat's own environment is what the shell exports (what env -0 prints); "-" (the
      # here-document) puts the end mark "=\\n" between it and the files.
      cat -- /proc/self/environ - "$@" <<EOF
=
EOF
    else
      # No /proc: env -0, or where it is not supported (busybox) the plain form.
      { env -0 2>/dev/null || env | tr -s "\\n" "\\0"; } && printf "=\\n" && { [ $# -eq 0 ] || cat -- "$@"; }
    fi
  fi 2>/dev/null || bad=1
  printf "\\ncontent-end\\n"
  if [ -n "$bad" ]; then
    echo readfail
    for p; do if base64 < "$p"; then echo .; else echo "!"; fi; done
  fi
fi
echo done
`

/**
 * What a gather asks besides the paths: nothing, or the facts (uid, tools, environment), and
 * with `units` the units' states too (systemctl, a heavy binary: only runs that plan reloads).
 */
export interface GatherFacts {
  facts: boolean
  units?: boolean | undefined
}

/** The request's "facts" level: 0 none, 1 the facts, 2 the facts and the units. */
function factsLevel(options: GatherFacts): 0 | 1 | 2 {
  return !options.facts ? 0 : options.units ? 2 : 1
}

/** stdin for GATHER_SCRIPT. Paths must be absolute or "~/..."; no NUL. */
export function encodeGatherRequest(requests: readonly GatherRequest[], options: GatherFacts): string {
  const head = `mirrorctl-gather 1\nfacts ${factsLevel(options)}\n`
  // The candidate list (the same frozen list for the whole run) is in the script: one line names it.
  if (requests === candidateRequests()) return `${head}*\n`
  return head + requests.map((r) => `${requestLine(r)}\n`).join('')
}
