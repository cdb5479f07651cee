/**
 * The shell functions APPLY_SCRIPT (apply-script.ts) is built on, and its host lock: POSIX
 * sh that dash, bash --posix and busybox ash all run. They keep values in shell variables
 * and start a process only where no builtin can do the work (sha256sum, readlink, date).
 */
export const APPLY_SHELL = `set -u
umask 022
LC_ALL=C
export LC_ALL
nl='
'
# Every process costs a fork and an exec on the host, and a fleet pays them per host: values
# stay in shell variables, commands run once for all files, and an error message is caught
# with r=$(cmd 2>&1), which costs no more processes than the command itself.

# e = output field for text $1: "r:TEXT" when plain (no process), else base64.
enc() {
  case $1 in
    '') e=r: ;;
    *[!A-Za-z0-9/._+@,=:~%-]*) e=$(printf '%s' "$1" | base64 -w0) ;;
    *) e=r:$1 ;;
  esac
}
die() { enc "$1"; printf 'mirrorctl-apply-error %s\\n' "$e"; exit 3; }
# v = the bytes of manifest field $1: the printf builtin decodes its \\0NNN escapes (a fork, odd bytes only).
unesc() { case $1 in *\\\\*) v=$(printf '%b_' "$1"); v=\${v%_} ;; *) v=$1 ;; esac; }
# Whether $1 is a sha256 in hex, or "-".
digest() { case $1 in -) ;; *[!0-9a-f]*) return 1 ;; *) [ "\${#1}" = 64 ] ;; esac; }
# d = the folder of absolute path $1, without a dirname process.
parent() { d=\${1%/*}; [ -n "$d" ] || d=/; }
# Whether readlink is needed for $1: a link on the way, or "." / ".." / "//" to fold.
winding() {
  case $1 in */./*|*/../*|*//*|*/.|*/..) return 0 ;; esac
  q=$1
  while [ -n "$q" ]; do
    if [ -L "$q" ]; then return 0; fi
    q=\${q%/*}
  done
  return 1
}
# last = the newest entry of backup slot folder $1 ('' for none): the shell's glob sorts
# names in byte order under LC_ALL=C, and names are time stamps. n = how many there are.
newest() {
  last= n=0
  if [ -d "$1" ]; then for x in "$1"/*; do if [ -e "$x" ] || [ -h "$x" ]; then last=\${x##*/} n=$((n + 1)); fi; done; fi
}
# L_1 ... L_n = the lines of $1 (n of them).
lines() {
  n=0 rest=$1
  while [ -n "$rest" ]; do
    n=$((n + 1))
    eval "L_$n=\\\${rest%%\\"\\$nl\\"*}"
    case $rest in *"$nl"*) rest=\${rest#*"$nl"} ;; *) rest= ;; esac
  done
}
# HS_1 ... = the sha256 of each argument, or "-" with the message in HE_k when it cannot be
# read. One sha256sum for all; file by file only when that did not give one digest per file
# (a name with a newline would span lines: those go file by file from the start).
hashes() {
  whole=1
  case $* in *"$nl"*) whole= ;; esac
  if [ -n "$whole" ] && out=$(sha256sum -- "$@" 2>/dev/null); then
    lines "$out"
    [ "$n" = $# ] || whole=
    k=0
    while [ -n "$whole" ] && [ "$k" -lt "$n" ]; do
      k=$((k + 1))
      # GNU sha256sum starts the line with a backslash when it escapes the name.
      eval "x=\\\${L_$k#\\\\\\\\}"
      x=\${x%% *}
      if digest "$x" && [ "$x" != - ]; then eval "HS_$k=\\$x"; else whole=; fi
    done
  else
    whole=
  fi
  [ -z "$whole" ] || return 0
  k=0
  for x do
    k=$((k + 1))
    if r=$(sha256sum 2>&1 < "$x"); then eval "HS_$k=\\\${r%% *}"; else eval "HS_$k=-; HE_$k=\\$r"; fi
  done
}
# The umask that gives a new file mode $1 straight away when it has no x or special bits
# (then no chmod is needed); other modes start private and get a chmod.
modemask() {
  case $1 in
    0[0246][0246][0246]) x=\${1#0}; g=\${x%?}; g=\${g#?}; um=0$((7 - \${x%??}))$((7 - g))$((7 - \${x#??})) ;;
    *) um=077 ;;
  esac
}
# File $1's temp file beside its target $t (folder $d, mode $m): created exclusively, with
# its final mode where umask can give it, and filled by the printf builtin from the
# manifest's \\0NNN escapes (no process). TMP_$1 = its name once created; r = why it could
# not be made or filled ('' when done). The message of a failed write comes from cat: the
# builtin's own (dash: "I/O error", busybox: none) does not name the errno.
maketmp() {
  # $$ keeps runs apart; a name left by an earlier run is passed over.
  tmp=$d/.\${t##*/}.mirrorctl-$$-$1
  while [ -e "$tmp" ] || [ -L "$tmp" ]; do tmp=$tmp.x; done
  modemask "$m"
  umask "$um"
  set -C
  eval "x=\\$D_$1"
  # true, not ":": a failed redirection of a special builtin would end the script.
  if true 2>/dev/null > "$tmp"; then
    eval "TMP_$1=\\$tmp"
    r=
    printf '%b' "$x" 2>/dev/null >> "$tmp" || { set +C; r=$(printf '%b' "$x" | cat 2>&1 > "$tmp") || r=\${r:-cannot write the temporary file}; }
  else
    r=$(true 2>&1 > "$tmp"); r=\${r:-cannot create a temporary file}
  fi
  set +C
  umask 022
}
# The stat format of fields: "MODE UID GID LINKS DEVICE TIME".
statf='%a %u %g %h %d %y'
# L_k's fields (stat -c "$statf"): fm, fo ("UID GID"), fh, fd and fy.
fields() {
  eval "x=\\$L_$1"
  fm=\${x%% *} x=\${x#* }
  fo=\${x%% *} x=\${x#* }
  fo="$fo \${x%% *}" x=\${x#* }
  fh=\${x%% *} x=\${x#* }
  fd=\${x%% *} fy=\${x#* }
}
# stamp = the backup name for time $1, "YYYY-MM-DD HH:MM:SS.NNNNNNNNN +0000" (stat's %y
# under TZ=UTC0, GNU and busybox alike): YYYY-MM-DDTHH-MM-SS-mmmZ, as date made it. Left
# as it is when $1 has another form.
stampof() {
  case $1 in
    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]\\ [0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]*\\ +0000)
      x=\${1#* } y=\${1#*.}
      y=\${y%% *}
      y=\${y%"\${y#???}"}
      x=\${x%%.*}
      stamp=\${1%% *}T\${x%%:*}-\${x#*:}
      stamp=\${stamp%:*}-\${x##*:}-\${y}Z
      ;;
  esac
}
# stamp from the clock, where no temp file gave one.
clockstamp() {
  stamp=$(date -u +%Y-%m-%dT%H-%M-%S-%3NZ)
  # busybox date has no %3N: whole seconds (the .k suffix of freename keeps the order within one).
  case $stamp in *%*) stamp=$(date -u +%Y-%m-%dT%H-%M-%S-000Z) ;; esac
}
# name = a free name in backup slot folder $1 for this run's stamp, with suffix $2.
freename() {
  name=$stamp$2
  k=1
  while [ -e "$1/$name" ] || [ -h "$1/$name" ]; do name=$stamp.$k$2; k=$((k + 1)); done
}
`

/**
 * The host lock, after APPLY_SHELL and the manifest (lockf, wait): util-linux flock, else an
 * mkdir lock (a live owner's pid inside). how = which one.
 */
export const APPLY_LOCK = `parent "$lockf"
[ -d "$d" ] || r=$(mkdir -p -- "$d" 2>&1) || die "cannot create the folder of the lock $lockf: $r"
lockdir=
if command -v flock >/dev/null 2>&1; then
  how=flock
  exec 9>>"$lockf" || die "cannot open the lock $lockf"
  flock -w "$wait" 9 || die "timed out after $wait s waiting for the lock $lockf (another mirrorctl run holds it)"
else
  how=mkdir
  trap 'rm -rf -- "$lockdir"' EXIT
  trap 'exit 130' HUP INT TERM
  tries=0
  until mkdir -- "$lockf.d" 2>/dev/null; do
    owner=$(cat -- "$lockf.d/pid" 2>/dev/null) || owner=
    if [ -n "$owner" ]; then
      if ! [ -d "/proc/$owner" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf -- "$lockf.d"; continue; fi
    else
      # Created but no owner written: stale once older than a few seconds (the owner died in between).
      age=$(( $(date +%s) - $(stat -c %Y -- "$lockf.d" 2>/dev/null || date +%s) ))
      if [ "$age" -gt 5 ]; then rm -rf -- "$lockf.d"; continue; fi
    fi
    tries=$((tries + 1))
    [ "$tries" -le $((wait * 10)) ] || die "timed out after $wait s waiting for the lock $lockf.d (another mirrorctl run holds it)"
    sleep 0.1
  done
  lockdir=$lockf.d
  echo $$ > "$lockdir/pid"
fi
`
