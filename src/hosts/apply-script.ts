
/**
 * The one program that changes files on a host (this machine, a --root tree, an SSH
 * target). It is fixed text: every path, content, mode and folder arrives on stdin as a
 * manifest (encodeApplyRequest, apply-manifest.ts) of escaped paths, digests and base64 contents, read into
 * variables by the shell itself, so no value is ever parsed as shell.
 * Needs sh (dash or busybox ash is enough) and coreutils or busybox; util-linux flock when
 * present, else an mkdir lock.
 *
 * Steps: take the host lock; compare EVERY file with the text it was planned from (an
 * absent file expected = must not exist); on any mismatch write nothing. Otherwise follow
 * links to the final targets, make pending backups and temp files beside the targets, keep
 * owner, group and mode, check and fsync the temp files, rename each over its target, fsync
 * the folders, re-read and check the sha256. The previous versions go to pending backups
 * first, kept only when the whole request succeeded; a failure restores the earlier files
 * of the request, so the host ends all-old or all-new. The result is printed as lines of
 * fields (decodeApplyResult).
 *
 * A fleet pays each process per host, so commands run once for all files where they can
 * (one sha256sum per check, one stat, one sync per stage, one mkdir, one rm): the usual
 * two-file request runs under 20 processes. The rare failure paths may take more.
 */
export const APPLY_SCRIPT = `set -u
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

# The manifest (encodeApplyRequest), read by the shell itself: a header, one line per file,
# then each file's content as one base64 line, kept in variables until it is written.
IFS= read -r l || die 'cannot read the manifest'
[ "$l" = 'mirrorctl-apply 2' ] || die 'not a mirrorctl apply manifest (version 2)'
read -r lockf bdir keep count wait x || die 'cannot read the manifest'
case "$keep$count$wait" in *[!0-9]*|'') die 'bad numbers in the manifest' ;; esac
[ -z "$x" ] || die 'bad manifest header'
unesc "$lockf"; lockf=$v
unesc "$bdir"; bdir=$v
# Per file i: P path, SL backup slot, M mode, E expected sha or -, C content sha or - (remove),
# D content base64, T target, H current sha or -, ST status, WHY reason, B backup.
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  read -r pe se m e c x || die "cannot read the manifest (file $i)"
  case $m in [0-7][0-7][0-7][0-7]) ;; *) die "bad mode in the manifest (file $i)" ;; esac
  { digest "$e" && digest "$c" && [ -z "$x" ]; } || die "bad manifest line for file $i"
  unesc "$pe"; eval "P_$i=\\$v"
  unesc "$se"; eval "SL_$i=\\$v"
  eval "M_$i=\\$m E_$i=\\$e C_$i=\\$c WHY_$i=- B_$i=- TMP_$i= OLD_$i= PEND_$i= MOVED_$i="
done
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  IFS= read -r l || die "cannot read the manifest (content $i)"
  # Only base64 letters may reach the here-document that writes it (which expands $ and \`).
  case $l in -) ;; *[!A-Za-z0-9+/=]*) die "bad content in the manifest (file $i)" ;; esac
  eval "D_$i=\\$l"
done

# The host lock: util-linux flock, else an mkdir lock (a live owner's pid inside).
parent "$lockf"
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

# Phase 1, compare: each path's final target (links followed) against the text it was
# planned from, in one sha256sum together with the newest backup of each slot (for the
# dedupe below). Any mismatch: nothing is written.
set --
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  eval "p=\\$P_$i slot=\\$SL_$i"
  t=$p
  # -f needs every folder on the way; -m also takes a dangling link whose folder is still to be made.
  if winding "$p"; then t=$(readlink -f -- "$p" 2>/dev/null) || t=$(readlink -m -- "$p" 2>/dev/null) || t=$p; fi
  st=ok hk=0 bk=0
  if [ -L "$t" ] && ! [ -e "$t" ]; then
    st=failed; eval "WHY_$i='ELOOP: too many levels of symbolic links'"
  elif [ -e "$t" ] && ! [ -f "$t" ]; then
    st=failed; eval "WHY_$i=\\"EISDIR: \\$t is not a regular file\\""
  elif [ -e "$t" ]; then
    set -- "$@" "$t"; hk=$#
    if [ "$bdir" != - ]; then
      newest "$bdir/$slot"
      case $last in ''|*.absent) ;; *) set -- "$@" "$bdir/$slot/$last"; bk=$# ;; esac
    fi
  fi
  eval "T_$i=\\$t ST_$i=\\$st HK_$i=\\$hk BK_$i=\\$bk"
done
[ $# = 0 ] || hashes "$@"
bad=0 todo=
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  eval "st=\\$ST_$i hk=\\$HK_$i bk=\\$BK_$i e=\\$E_$i c=\\$C_$i"
  h=- bh=-
  [ "$hk" = 0 ] || eval "h=\\$HS_$hk"
  [ "$bk" = 0 ] || eval "bh=\\$HS_$bk"
  if [ "$hk" != 0 ] && [ "$h" = - ]; then
    st=failed; eval "r=\\$HE_$hk"; eval "WHY_$i=\\\${r:-cannot read it}"
  elif [ "$st" = ok ] && [ "$e" != "$h" ]; then
    st=conflict
    if [ "$e" = - ]; then why='the file now exists'; elif [ "$h" = - ]; then why='the file was removed'; else why='the file changed since it was read'; fi
    eval "WHY_$i=\\$why"
  elif [ "$st" = ok ] && [ "$h" = "$c" ]; then
    st=unchanged
  elif [ "$st" = ok ]; then
    st=todo todo="$todo $i"
  fi
  [ "$st" != failed ] && [ "$st" != conflict ] || bad=1
  eval "ST_$i=\\$st H_$i=\\$h BH_$i=\\$bh"
done

# Marks file $1 failed for reason $2; the others of the request are skipped (the written
# ones are put back by the caller).
fail() {
  eval "ST_$1=failed WHY_$1=\\$2 B_$1=- fp=\\$P_$1"
  j=0
  while [ "$j" -lt "$count" ]; do
    j=$((j + 1))
    [ "$j" != "$1" ] || continue
    eval "st=\\$ST_$j moved=\\$MOVED_$j"
    if [ -n "$moved" ] || { [ "$st" = todo ] && [ "$j" -lt "$1" ]; }; then eval "ST_$j=skipped WHY_$j=\\"not written: \\$fp failed\\" B_$j=-"
    elif [ "$j" -gt "$1" ]; then eval "ST_$j=skipped WHY_$j=\\"not attempted: \\$fp failed\\" B_$j=-"
    fi
  done
  failed=$1
}
# Puts back every file already renamed or removed, and drops the temp files, the pending
# backups and the copies made for this (clarity first: this path is rare).
undo() {
  for j in $todo; do
    eval "t=\\$T_$j tmp=\\$TMP_$j old=\\$OLD_$j pend=\\$PEND_$j moved=\\$MOVED_$j"
    if [ -n "$moved" ]; then
      if [ -n "$old" ]; then mv -f -T -- "$old" "$t" 2>/dev/null; else rm -f -- "$t"; fi
      parent "$t"; sync -- "$d" 2>/dev/null
    elif [ -n "$old" ]; then rm -f -- "$old"
    fi
    [ -z "$tmp" ] || rm -f -- "$tmp"
    [ -z "$pend" ] || rm -f -- "$pend"
    eval "MOVED_$j="
  done
}
trap 'undo; exit 130' HUP INT TERM

failed=
if [ "$bad" = 1 ]; then
  i=0
  while [ "$i" -lt "$count" ]; do
    i=$((i + 1))
    eval "st=\\$ST_$i"
    if [ "$st" = todo ] || [ "$st" = unchanged ]; then eval "ST_$i=skipped WHY_$i='not attempted: another file of the request did not match or failed'"; fi
  done
  todo=
fi

# Phase 2, folders: one mkdir -p for every missing folder of a target or a backup slot.
# A backup is needed unless the newest one already holds the text (for a file being
# created: an ".absent" marker, so that rollback knows to remove it again).
set --
for i in $todo; do
  eval "t=\\$T_$i h=\\$H_$i c=\\$C_$i bh=\\$BH_$i slot=\\$SL_$i"
  parent "$t"
  [ "$c" = - ] || [ -d "$d" ] || set -- "$@" "$d"
  need=
  if [ "$bdir" != - ]; then
    sdir=$bdir/$slot
    newest "$sdir"
    case $last in
      '') need=1 ;;
      *.absent) [ "$h" = - ] || need=1 ;;
      *) if [ "$h" != - ] && [ "$bh" = "$h" ]; then eval "B_$i=\\$sdir/\\$last"; else need=1; fi ;;
    esac
    [ -z "$need" ] || [ -d "$sdir" ] || set -- "$@" "$sdir"
  fi
  eval "NEED_$i=\\$need"
done
if [ $# -gt 0 ] && ! mkdir -p -- "$@" 2>/dev/null; then
  # Which one, and why: folder by folder.
  for i in $todo; do
    eval "t=\\$T_$i c=\\$C_$i need=\\$NEED_$i slot=\\$SL_$i"
    parent "$t"
    if [ "$c" != - ] && ! [ -d "$d" ] && ! r=$(mkdir -p -- "$d" 2>&1); then fail "$i" "\${r:-cannot create the folder}"; break; fi
    if [ -n "$need" ] && ! [ -d "$bdir/$slot" ] && ! r=$(mkdir -p -- "$bdir/$slot" 2>&1); then fail "$i" "backup folder $bdir/$slot: \${r:-cannot save the backup}"; break; fi
  done
fi

# Phase 3, files beside the targets (nothing visible changes yet): the pending backup
# (exclusive and private, as mktemp makes it; kept only if the whole request succeeds), and
# the temp file, created exclusively with its final mode where umask can give it, then
# filled by one base64 reading a here-document (no pipeline).
[ -n "$failed" ] || for i in $todo; do
  eval "t=\\$T_$i h=\\$H_$i c=\\$C_$i m=\\$M_$i need=\\$NEED_$i slot=\\$SL_$i"
  parent "$t"
  if [ -n "$need" ]; then
    pend=$bdir/$slot/.pending-$$-$i
    umask 177
    set -C
    # true, not ":": a failed redirection of a special builtin would end the script.
    if true 2>/dev/null > "$pend"; then eval "PEND_$i=\\$pend"; r=; else r=$(true 2>&1 > "$pend"); r=\${r:-cannot create $pend}; fi
    set +C
    umask 022
    if [ -z "$r" ] && [ "$h" != - ]; then r=$(cat -- "$t" 2>&1 > "$pend") || r=\${r:-cannot save the backup}; fi
    if [ -n "$r" ]; then fail "$i" "backup folder $bdir/$slot: $r"; break; fi
  fi
  [ "$c" != - ] || continue
  # $$ keeps runs apart; a name left by an earlier run is passed over.
  tmp=$d/.\${t##*/}.mirrorctl-$$-$i
  while [ -e "$tmp" ] || [ -L "$tmp" ]; do tmp=$tmp.x; done
  modemask "$m"
  umask "$um"
  set -C
  if true 2>/dev/null > "$tmp"; then eval "TMP_$i=\\$tmp"; r=; else r=$(true 2>&1 > "$tmp"); r=\${r:-cannot create a temporary file}; fi
  set +C
  umask 022
  if [ -n "$r" ]; then fail "$i" "$r"; break; fi
  eval "x=\\$D_$i"
  if ! r=$(base64 -d 2>&1 > "$tmp" <<END_OF_CONTENT
$x
END_OF_CONTENT
  ); then fail "$i" "\${r:-cannot write the temporary file}"; break; fi
done

# Phase 4, owner and mode: one stat of the existing targets and the temp files; chown and
# chmod only where they differ (chown first: it clears set-user-ID bits).
set --
[ -n "$failed" ] || for i in $todo; do
  eval "h=\\$H_$i c=\\$C_$i t=\\$T_$i tmp=\\$TMP_$i"
  [ "$c" != - ] || continue
  [ "$h" = - ] || set -- "$@" "$t"
  set -- "$@" "$tmp"
done
if [ $# -gt 0 ]; then
  if ! out=$(stat -c '%a %u %g' -- "$@" 2>/dev/null); then out=; fi
  lines "$out"
  [ "$n" = $# ] || n=0
  k=0
  for i in $todo; do
    eval "h=\\$H_$i c=\\$C_$i t=\\$T_$i tmp=\\$TMP_$i m=\\$M_$i"
    [ "$c" != - ] || continue
    want=
    if [ "$h" != - ]; then
      k=$((k + 1))
      if [ "$n" = 0 ]; then want=$(stat -c '%a %u %g' -- "$t" 2>&1) || { fail "$i" "cannot keep the mode: $want"; break; }; else eval "want=\\$L_$k"; fi
    fi
    k=$((k + 1))
    if [ "$n" = 0 ]; then have=$(stat -c '%a %u %g' -- "$tmp" 2>&1) || { fail "$i" "cannot keep the mode: $have"; break; }; else eval "have=\\$L_$k"; fi
    tmode=\${have%% *} town=\${have#* }
    if [ -n "$want" ]; then mode=\${want%% *} owner=\${want#* }; else mode=$m owner=$town; fi
    if [ "$town" != "$owner" ]; then
      # Only root can give a file away (the temp file is ours: uid 0 is root); another
      # login edits its files as itself, as before.
      if r=$(chown -- "\${owner% *}:\${owner#* }" "$tmp" 2>&1); then tmode=-
      elif [ "\${town% *}" = 0 ]; then fail "$i" "\${r:-cannot keep the owner}"; break
      fi
    fi
    # After a chown always: it clears set-user-ID bits.
    if [ "$tmode" = - ] || [ $((0$tmode)) != $((0$mode)) ]; then
      r=$(chmod -- "$mode" "$tmp" 2>&1) || { fail "$i" "\${r:-cannot set the mode}"; break; }
    fi
  done
fi

# Phase 5, check and sync the temp files: one sha256sum (each must hold its planned text)
# and one sync (fsync of each), both before anything is renamed.
set --
[ -n "$failed" ] || for i in $todo; do eval "x=\\$TMP_$i"; [ -z "$x" ] || set -- "$@" "$x"; done
if [ $# -gt 0 ]; then
  hashes "$@"
  k=0
  for i in $todo; do
    eval "x=\\$TMP_$i c=\\$C_$i"
    [ -n "$x" ] || continue
    k=$((k + 1))
    eval "x=\\$HS_$k"
    [ "$x" = "$c" ] || { fail "$i" 'EIO: the temporary file does not hold the planned text'; break; }
  done
  if [ -z "$failed" ] && ! sync -- "$@" 2>/dev/null; then
    for i in $todo; do
      eval "x=\\$TMP_$i"
      if [ -n "$x" ] && ! r=$(sync -- "$x" 2>&1); then fail "$i" "\${r:-fsync failed}"; break; fi
    done
  fi
fi

# Phase 6, commit: a hard link keeps each previous version until the whole request has
# succeeded (to put it back otherwise); then one rename (or removal) per file, one sync of
# their folders, and one sha256sum re-reading every written file.
[ -n "$failed" ] || for i in $todo; do
  eval "h=\\$H_$i t=\\$T_$i tmp=\\$TMP_$i"
  [ "$h" != - ] || continue
  parent "$t"
  old=\${tmp:-$d/.\${t##*/}.mirrorctl-$$-$i}.old
  while [ -e "$old" ] || [ -L "$old" ]; do old=$old.x; done
  if r=$(ln -- "$t" "$old" 2>&1) || r=$(cp -p -- "$t" "$old" 2>&1); then eval "OLD_$i=\\$old"; else fail "$i" "\${r:-cannot keep the previous version}"; break; fi
done
[ -n "$failed" ] || for i in $todo; do
  eval "t=\\$T_$i tmp=\\$TMP_$i c=\\$C_$i"
  if [ "$c" = - ]; then r=$(rm -f -- "$t" 2>&1) || r=\${r:-remove failed}
  else r=$(mv -f -T -- "$tmp" "$t" 2>&1) || r=\${r:-rename failed}
  fi
  # A failed rename is left to undo.
  [ -z "$r" ] || { fail "$i" "$r"; break; }
  eval "MOVED_$i=1 TMP_$i="
done
if [ -z "$failed" ] && [ -n "$todo" ]; then
  set --
  for i in $todo; do
    eval "t=\\$T_$i"
    parent "$t"
    dup=
    for y do [ "$y" != "$d" ] || dup=1; done
    [ -n "$dup" ] || set -- "$@" "$d"
  done
  sync -- "$@" 2>/dev/null
  set --
  for i in $todo; do eval "t=\\$T_$i c=\\$C_$i"; [ "$c" = - ] || set -- "$@" "$t"; done
  [ $# = 0 ] || hashes "$@"
  k=0
  for i in $todo; do
    eval "t=\\$T_$i c=\\$C_$i"
    if [ "$c" = - ]; then
      ! [ -e "$t" ] || { fail "$i" 'EIO: the file is still there after removing it'; break; }
    else
      k=$((k + 1))
      eval "x=\\$HS_$k"
      [ "$x" = "$c" ] || { fail "$i" 'EIO: re-reading the file did not give the planned text'; break; }
    fi
  done
fi
if [ -n "$failed" ]; then undo; todo=; fi
trap - HUP INT TERM
[ "$how" = flock ] || trap 'exit 130' HUP INT TERM

# Phase 7, keep: the pending backups under one time stamp, pruned to the newest $keep; one
# rm for the previous versions' links, the pending markers and the pruned backups.
set --
stamp=
for i in $todo; do
  eval "old=\\$OLD_$i pend=\\$PEND_$i slot=\\$SL_$i h=\\$H_$i"
  eval "ST_$i=written"
  [ -z "$old" ] || set -- "$@" "$old"
  [ -n "$pend" ] || continue
  sdir=$bdir/$slot
  if [ -z "$stamp" ]; then
    stamp=$(date -u +%Y-%m-%dT%H-%M-%S-%3NZ)
    # busybox date has no %3N: whole seconds (the .k suffix below keeps the order within one).
    case $stamp in *%*) stamp=$(date -u +%Y-%m-%dT%H-%M-%S-000Z) ;; esac
  fi
  tag=; [ "$h" != - ] || tag=.absent
  name=$stamp$tag
  k=1
  while [ -e "$sdir/$name" ] || [ -h "$sdir/$name" ]; do name=$stamp.$k$tag; k=$((k + 1)); done
  if [ -n "$tag" ]; then
    # An empty marker: made in place by the shell, the pending one goes with the rm below.
    set -C; umask 177
    true 2>/dev/null > "$sdir/$name" || name=
    set +C; umask 022
    set -- "$@" "$pend"
  elif mv -f -T -- "$pend" "$sdir/$name" 2>/dev/null; then
    eval "B_$i=\\$sdir/\\$name"
  else
    set -- "$@" "$pend"; name=
  fi
  [ -n "$name" ] || continue
  # Prune to the newest $keep: the oldest names come first in the glob's byte order.
  newest "$sdir"
  x=$((n - keep))
  if [ "$x" -gt 0 ]; then
    for y in "$sdir"/*; do
      [ "$x" -gt 0 ] || break
      if [ -e "$y" ] || [ -h "$y" ]; then set -- "$@" "$y"; x=$((x - 1)); fi
    done
  fi
done
[ $# = 0 ] || rm -f -- "$@"

echo 'mirrorctl-apply-result 1'
echo "lock $how"
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  eval "st=\\$ST_$i p=\\$P_$i t=\\$T_$i b=\\$B_$i why=\\$WHY_$i"
  enc "$p"; pe=$e
  enc "$t"; te=$e
  [ "$b" = - ] || { enc "$b"; b=$e; }
  [ "$why" = - ] || { enc "$why"; why=$e; }
  echo "file $st $pe $te $b $why"
done
`
