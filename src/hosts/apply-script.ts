import {createHash} from 'node:crypto'
import {backupSlotName} from './backup.js'
import type {ApplyRequest, ApplyResult, FileWriteOutcome, FileWriteStatus} from './write-plan.js'

/**
 * The one program that changes files on a host (this machine, a --root tree, an SSH
 * target). It is fixed text: every path, content, mode and folder arrives on stdin as a
 * manifest of base64 fields (encodeApplyRequest), so no value is ever parsed as shell.
 * Needs sh (dash is enough) and coreutils; util-linux flock when present, else an mkdir lock.
 *
 * Steps: take the host lock; compare EVERY file with the text it was planned from (an
 * absent file expected = must not exist); on any mismatch write nothing. Otherwise per
 * file: follow links to the final target, create a temp file beside it, keep owner, group
 * and mode, fsync, rename, fsync the folder, re-read and check the sha256. The previous
 * version goes to a pending backup first and is kept only when the whole request
 * succeeded; a failure restores the earlier files of the request, so the host ends
 * all-old or all-new. The result is printed as lines of base64 fields (decodeApplyResult).
 */
export const APPLY_SCRIPT = `set -u
umask 022
LC_ALL=C
export LC_ALL
out() { printf '%s' "$1" | base64 -w0; }
die() { printf 'mirrorctl-apply-error %s\\n' "$(out "$1")"; exit 3; }
work=$(mktemp -d "\${TMPDIR:-/tmp}/mirrorctl-apply.XXXXXX") || die 'cannot create a work folder'
lockdir=
cleanup() { rm -rf -- "$work"; if [ -n "$lockdir" ]; then rm -rf -- "$lockdir"; fi; }
trap cleanup EXIT
trap 'exit 130' HUP INT TERM
in=$work/in
err=$work/err
cat > "$in" || die 'cannot read the manifest'
# Every process costs a fork and an exec on the host (a fleet pays it per host): the short
# manifest lines are read once into L_1, L_2 ... by the shell itself; contents come last.
exec 8< "$in"
nl=0
rd() { l=; IFS= read -r l <&8; nl=$((nl + 1)); eval "L_$nl=\\$l"; }
line() { eval "l=\\$L_$1"; }
# A decoded field; the x keeps trailing newlines that command substitution would drop.
field() { line "$1"; v=$(printf '%s' "$l" | base64 -d; printf x) || die "bad manifest field on line $1"; v=\${v%x}; }
reason() { r=$(cat -- "$err" 2>/dev/null; printf x); r=\${r%x}; [ -n "$r" ] || r=$1; }
# s = the sha256 of file $1 (one process); fails when it cannot be read.
sha() { s=$(sha256sum < "$1") || return 1; s=\${s%% *}; }
# The folder of absolute path $1, without a dirname process.
parent() { d=\${1%/*}; [ -n "$d" ] || d=/; }
for x in 1 2 3 4 5 6; do rd; done
[ "$L_1" = 'mirrorctl-apply 1' ] || die 'not a mirrorctl apply manifest (version 1)'
field 2; lockf=$v
field 3; bdir=$v
keep=$L_4
count=$L_5
wait=$L_6
case "$keep$count$wait" in *[!0-9]*|'') die 'bad numbers in the manifest';; esac
x=0
while [ "$x" -lt $((count * 5)) ]; do rd; x=$((x + 1)); done
exec 8<&-

parent "$lockf"
[ -d "$d" ] || mkdir -p -- "$d" 2>"$err" || { reason ''; die "cannot create the folder of the lock $lockf: $r"; }
if command -v flock >/dev/null 2>&1; then
  how=flock
  exec 9>>"$lockf" || die "cannot open the lock $lockf"
  flock -w "$wait" 9 || die "timed out after $wait s waiting for the lock $lockf (another mirrorctl run holds it)"
else
  how=mkdir
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

# Per file i: p_i path, s_i backup slot name, m_i mode, e_i expected sha or -, c_i content sha,
# t_i target, h_i current sha or -, st_i status, b_i backup, why_i reason.
bad=0
i=1
while [ "$i" -le "$count" ]; do
  n=$((6 + (i - 1) * 5))
  field $((n + 1)); p=$v
  eval "p_$i=\\$p; pe_$i=\\$l"
  field $((n + 2)); eval "s_$i=\\$v"
  eval "m_$i=\\$L_$((n + 3)); e_$i=\\$L_$((n + 4)); c_$i=\\$L_$((n + 5))"
  t=$p
  # -f needs every folder on the way; -m also takes a dangling link whose folder is still to be made.
  if [ -L "$p" ] || [ -e "$p" ]; then t=$(readlink -f -- "$p" 2>"$err" || readlink -m -- "$p" 2>"$err") || t=$p; fi
  eval "t_$i=\\$t"
  st=ok why=- h=-
  if [ -L "$t" ] && ! [ -e "$t" ]; then
    reason 'too many levels of symbolic links'; st=failed why="ELOOP: $r"
  elif [ -e "$t" ] && ! [ -f "$t" ]; then
    st=failed why="EISDIR: $t is not a regular file"
  elif [ -e "$t" ]; then
    if sha "$t" 2>"$err"; then h=$s; else reason 'cannot read it'; st=failed why=$r; h=-; fi
  fi
  eval "e=\\$e_$i"
  if [ "$st" = ok ] && [ "$e" != "$h" ]; then
    st=conflict
    if [ "$e" = - ]; then why='the file now exists'; elif [ "$h" = - ]; then why='the file was removed'; else why='the file changed since it was read'; fi
  fi
  [ "$st" = ok ] || bad=1
  eval "h_$i=\\$h; st_$i=\\$st; why_$i=\\$why; b_$i=-; old_$i=; pend_$i="
  i=$((i + 1))
done

# Puts back every file of the request written so far and drops their pending backups.
rollback() {
  j=1
  while [ "$j" -lt "$1" ]; do
    eval "st=\\$st_$j; t=\\$t_$j; old=\\$old_$j; pend=\\$pend_$j"
    if [ "$st" = written ]; then
      if [ -n "$old" ]; then mv -f -T -- "$old" "$t" 2>/dev/null; else rm -f -- "$t"; fi
      parent "$t"; sync -- "$d" 2>/dev/null
      eval "st_$j=skipped; why_$j=\\$2; b_$j=-"
    fi
    [ -z "$pend" ] || rm -f -- "$pend"
    j=$((j + 1))
  done
}

if [ "$bad" = 0 ]; then
  i=1
  while [ "$i" -le "$count" ]; do
    eval "p=\\$p_$i; t=\\$t_$i; h=\\$h_$i; c=\\$c_$i; m=\\$m_$i; slot=\\$s_$i"
    if [ "$h" = "$c" ]; then eval "st_$i=unchanged"; i=$((i + 1)); continue; fi
    parent "$t"; dir=$d
    tmp= old= pend= b=- fail= del=
    # "-" as the planned content: remove the file (its backup and rollback work as for a write).
    [ "$c" != - ] || del=1
    if [ -n "$del" ]; then :
    elif ! [ -d "$dir" ] && ! mkdir -p -- "$dir" 2>"$err"; then reason 'cannot create the folder'; fail=$r
    elif ! tmp=$(mktemp -- "$dir/.\${t##*/}.mirrorctl-XXXXXX" 2>"$err"); then reason 'cannot create a temporary file'; fail=$r; tmp=
    fi
    # The previous version: a pending copy in its backup slot, unless the newest backup already holds it.
    # Created exclusively (noclobber: O_EXCL, a planted link is refused) and private (0600), as mktemp would.
    # A file about to be created gets an empty "<stamp>.absent" marker instead, so that rollback
    # knows to remove it again.
    if [ -z "$fail" ] && [ "$bdir" != - ]; then
      sdir=$bdir/$slot
      last=
      # The newest backup: the last name in byte order (the shell's glob sorts as ls | sort does under LC_ALL=C).
      if [ -d "$sdir" ]; then for x in "$sdir"/*; do [ -e "$x" ] || [ -h "$x" ] && last=\${x##*/}; done; fi
      held=
      case $last in
        '') ;;
        *.absent) [ "$h" != - ] || held=1 ;;
        *) if [ "$h" != - ] && sha "$sdir/$last" 2>/dev/null && [ "$s" = "$h" ]; then held=1; fi ;;
      esac
      if [ -n "$held" ]; then [ "$h" = - ] || b=$sdir/$last
      elif ! { [ -d "$sdir" ] || mkdir -p -- "$sdir" 2>"$err"; } || ! { pend=$sdir/.pending-$$-$i; (set -C; umask 177; if [ "$h" = - ]; then : > "$pend"; else cat -- "$t" > "$pend"; fi) 2>"$err"; }; then
        reason 'cannot save the backup'; fail="backup folder $sdir: $r"
      fi
    fi
    if [ -z "$fail" ] && [ -z "$del" ]; then
      tail -n "+$((6 + count * 5 + i))" -- "$in" | head -n 1 | base64 -d > "$tmp" 2>"$err" || { reason 'cannot write the temporary file'; fail=$r; }
    fi
    if [ -z "$fail" ] && [ -z "$del" ] && { ! sha "$tmp" || [ "$s" != "$c" ]; }; then fail='EIO: the temporary file does not hold the planned text'; fi
    if [ -z "$fail" ] && [ -z "$del" ]; then
      if [ "$h" = - ]; then chmod -- "$m" "$tmp" 2>"$err" || { reason 'cannot set the mode'; fail=$r; }
      else
        chmod --reference="$t" -- "$tmp" 2>"$err" || { reason 'cannot keep the mode'; fail=$r; }
        if [ -z "$fail" ] && ! chown --reference="$t" -- "$tmp" 2>"$err" && [ "$(id -u)" = 0 ]; then reason 'cannot keep the owner'; fail=$r; fi
      fi
    fi
    if [ -z "$fail" ] && [ -z "$del" ]; then sync -- "$tmp" 2>"$err" || { reason 'fsync failed'; fail=$r; }; fi
    # Kept until the whole request succeeded, to put the file back if a later one fails.
    if [ -z "$fail" ] && [ "$h" != - ]; then
      # Beside the temp file mktemp made for us (no other process picks that name); a removal has none.
      if [ -n "$tmp" ]; then old=$tmp.old; else old=$(mktemp -u -- "$dir/.\${t##*/}.mirrorctl-old-XXXXXX"); fi
      ln -- "$t" "$old" 2>/dev/null || cp -p -- "$t" "$old" 2>"$err" || { reason 'cannot keep the previous version'; fail=$r; old=; }
    fi
    moved=
    if [ -z "$fail" ] && [ -n "$del" ]; then rm -f -- "$t" 2>"$err" && moved=1 || { reason 'remove failed'; fail=$r; }
    elif [ -z "$fail" ]; then mv -f -T -- "$tmp" "$t" 2>"$err" && moved=1 || { reason 'rename failed'; fail=$r; }
    fi
    if [ -z "$fail" ]; then
      sync -- "$dir" 2>/dev/null
      if [ -n "$del" ]; then ! [ -e "$t" ] || fail='EIO: the file is still there after removing it'
      else { sha "$t" 2>/dev/null && [ "$s" = "$c" ]; } || fail='EIO: re-reading the file did not give the planned text'
      fi
    fi
    if [ -n "$fail" ]; then
      [ -z "$tmp" ] || rm -f -- "$tmp"
      [ -z "$pend" ] || rm -f -- "$pend"
      if [ -n "$old" ]; then
        if [ -e "$old" ]; then mv -f -T -- "$old" "$t" 2>/dev/null; fi
      elif [ -n "$moved" ]; then rm -f -- "$t"
      fi
      eval "st_$i=failed; why_$i=\\$fail"
      rollback "$i" "not written: $p failed"
      k=$((i + 1))
      while [ "$k" -le "$count" ]; do eval "st_$k=skipped; why_$k=\\"not attempted: \\$p failed\\""; k=$((k + 1)); done
      break
    fi
    eval "st_$i=written; b_$i=\\$b; old_$i=\\$old; pend_$i=\\$pend"
    i=$((i + 1))
  done
else
  i=1
  while [ "$i" -le "$count" ]; do
    eval "st=\\$st_$i"
    [ "$st" != ok ] || eval "st_$i=skipped; why_$i='not attempted: another file of the request did not match or failed'"
    i=$((i + 1))
  done
fi

# Success: keep the pending backups under a time stamp, prune, drop the old copies.
stamp=
i=1
while [ "$i" -le "$count" ]; do
  eval "st=\\$st_$i; old=\\$old_$i; pend=\\$pend_$i; slot=\\$s_$i; h=\\$h_$i"
  if [ "$st" = written ]; then
    [ -z "$old" ] || rm -f -- "$old"
    if [ -n "$pend" ]; then
      sdir=$bdir/$slot
      [ -n "$stamp" ] || stamp=$(date -u +%Y-%m-%dT%H-%M-%S-%3NZ)
      tag=; [ "$h" != - ] || tag=.absent
      name=$stamp$tag
      k=1
      while [ -e "$sdir/$name" ]; do name=$stamp.$k$tag; k=$((k + 1)); done
      if mv -f -T -- "$pend" "$sdir/$name" 2>/dev/null; then
        [ -n "$tag" ] || eval "b_$i=\\$sdir/\\$name"
        # Prune to the newest $keep: the oldest names come first in the glob's byte order.
        total=0
        for x in "$sdir"/*; do [ -e "$x" ] || [ -h "$x" ] && total=$((total + 1)); done
        x=$((total - keep))
        if [ "$x" -gt 0 ]; then
          for y in "$sdir"/*; do [ "$x" -gt 0 ] || break; [ -e "$y" ] || [ -h "$y" ] || continue; rm -f -- "$y"; x=$((x - 1)); done
        fi
      else
        rm -f -- "$pend"
      fi
    fi
  fi
  i=$((i + 1))
done

echo 'mirrorctl-apply-result 1'
echo "lock $how"
i=1
while [ "$i" -le "$count" ]; do
  eval "st=\\$st_$i; p=\\$p_$i; pe=\\$pe_$i; t=\\$t_$i; b=\\$b_$i; why=\\$why_$i"
  # The path travels back as the manifest sent it; the target too when it is the same path.
  if [ "$t" = "$p" ]; then te=$pe; else te=$(out "$t"); fi
  if [ "$b" = - ]; then b=-; else b=$(out "$b"); fi
  if [ "$why" = - ]; then why=-; else why=$(out "$why"); fi
  echo "file $st $pe $te $b $why"
  i=$((i + 1))
done
`

/** How long the script waits for the host lock before giving up (seconds). */
export const LOCK_WAIT_SECONDS = 60

export interface ApplyEncodeOptions {
  /** The lock file as the script sees it (already placed under a --root). */
  lockPath: string
  lockWaitSeconds?: number
  /** Where the script finds each file (a --root host resolves it inside the root); default: its path. */
  place?: (path: string, index: number) => string
  /** The backup folder as the script sees it; default: request.backupDir. */
  backupDir?: string | null
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64')
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

/**
 * The manifest APPLY_SCRIPT reads on stdin: fixed header lines, five lines per file, then
 * each file's content on a line of its own (the script reads the short lines without a
 * process each, and a content only when it writes it).
 * Paths and texts are base64, the expected text travels as its sha256 ("-" = must not exist).
 */
export function encodeApplyRequest(request: ApplyRequest, options: ApplyEncodeOptions): string {
  for (const w of request.writes) {
    if (!w.path.startsWith('/') || w.path.includes('\0')) throw new Error(`apply: host paths must be absolute: ${JSON.stringify(w.path)}`)
    if (!Number.isInteger(w.mode) || w.mode < 0 || w.mode > 0o7777) throw new Error(`apply: bad mode ${w.mode} for ${w.path}`)
  }
  if (!Number.isInteger(request.keep) || request.keep < 1) throw new Error(`apply: keep must be a positive integer, got ${request.keep}`)
  const lines = [
    'mirrorctl-apply 1',
    b64(options.lockPath),
    b64((options.backupDir === undefined ? request.backupDir : options.backupDir) ?? '-'),
    String(request.keep),
    String(request.writes.length),
    String(Math.max(1, Math.round(options.lockWaitSeconds ?? LOCK_WAIT_SECONDS))),
  ]
  for (const [i, w] of request.writes.entries()) {
    lines.push(
      b64(options.place ? options.place(w.path, i) : w.path),
      b64(backupSlotName(w.path)),
      w.mode.toString(8).padStart(4, '0'),
      w.expect === null ? '-' : sha256(w.expect),
      w.content === null ? '-' : sha256(w.content),
    )
  }
  for (const w of request.writes) lines.push(w.content === null ? '-' : b64(w.content))
  return lines.join('\n') + '\n'
}

/** The script ran but refused the whole request (bad manifest, lock timeout, no work folder). */
export class ApplyScriptError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ApplyScriptError'
  }
}

const STATUSES: readonly FileWriteStatus[] = ['written', 'unchanged', 'conflict', 'failed', 'skipped']

const unb64 = (field: string): string => Buffer.from(field, 'base64').toString('utf8')
const optional = (field: string): string | null => (field === '-' ? null : unb64(field))

/** Parses the script's stdout; throws ApplyScriptError for its refusal or for output it did not write. */
export function decodeApplyResult(stdout: string): ApplyResult {
  const lines = stdout.split('\n').filter((l) => l !== '')
  const refusal = lines.find((l) => l.startsWith('mirrorctl-apply-error '))
  if (refusal) throw new ApplyScriptError(unb64(refusal.slice('mirrorctl-apply-error '.length)))
  if (lines[0] !== 'mirrorctl-apply-result 1') throw new ApplyScriptError(`the apply script gave no result (${JSON.stringify(stdout.slice(0, 200))})`)
  const lock = /^lock (flock|mkdir)$/.exec(lines[1] ?? '')?.[1] as ApplyResult['lock'] | undefined
  if (!lock) throw new ApplyScriptError(`the apply script did not say which lock it took: ${JSON.stringify(lines[1] ?? '')}`)
  const files: FileWriteOutcome[] = lines.slice(2).map((l) => {
    const [tag, status, path, target, backup, reason, ...rest] = l.split(' ')
    if (tag !== 'file' || rest.length || reason === undefined || !STATUSES.includes(status as FileWriteStatus))
      throw new ApplyScriptError(`unexpected line from the apply script: ${JSON.stringify(l.slice(0, 200))}`)
    return {path: unb64(path!), target: unb64(target!), status: status as FileWriteStatus, backup: optional(backup!), reason: optional(reason)}
  })
  return {lock, files}
}

/** errno name a failure reason stands for (coreutils prints strerror text, not the name). */
export function reasonCode(reason: string | null): string | null {
  if (!reason) return null
  const named = /^(E[A-Z]+):/.exec(reason)?.[1]
  if (named) return named
  const table: [RegExp, string][] = [
    [/Read-only file system/i, 'EROFS'],
    [/Permission denied|Operation not permitted/i, 'EACCES'],
    [/No space left on device|Disk quota exceeded/i, 'ENOSPC'],
    [/Too many levels of symbolic links/i, 'ELOOP'],
    [/Not a directory/i, 'ENOTDIR'],
    [/Is a directory/i, 'EISDIR'],
  ]
  return table.find(([re]) => re.test(reason))?.[1] ?? null
}
