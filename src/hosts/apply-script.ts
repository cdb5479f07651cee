/**
 * The one program that changes files on a host (this machine, a --root tree, an SSH
 * target). It is fixed text: every path, content, mode and folder arrives on stdin as a
 * manifest (encodeApplyRequest, apply-manifest.ts) of escaped paths, digests and escaped
 * contents, read into variables by the shell itself, so no value is ever parsed as shell.
 * Needs sh (dash or busybox ash is enough) and coreutils or busybox; util-linux flock when
 * present, else an mkdir lock. Its shell functions and the lock are in apply-shell.ts.
 *
 * Steps: take the host lock; follow links to the final targets; make the temp files beside
 * them (exclusive, with the final mode where umask gives it, filled by the printf builtin)
 * and compare EVERY file with the text it was planned from (an absent file expected = must
 * not exist) in the same sha256sum that checks the temp files; on any mismatch remove the
 * temp files: nothing visible is written. Otherwise keep owner, group and mode, fsync the
 * temp files, make the backups, rename each temp file over its target, fsync the folders,
 * re-read and check the sha256. A failure restores the earlier files of the request, so the
 * host ends all-old or all-new. The result is printed as lines of fields (decodeApplyResult).
 *
 * Backups: made under their final names (UTC time stamp YYYY-MM-DDTHH-MM-SS-mmmZ, taken from
 * a temp file's mtime, `date` only when there is none; ".k" and ".absent" suffixes) BEFORE
 * the renames, and removed again when the request fails, so that only a request that
 * succeeded keeps them. A backup is a hard link to the old file when its link count is 1
 * (nothing else can change it) and the link works (same file system): then it keeps the
 * old file's owner and mode (it is that file), and it is also what undo renames back over
 * the target. Otherwise it is a private copy (0600). When the link did not work (the backup
 * folder on another mount: EXDEV; no ln is tried when stat shows another device), undo
 * copies the old text back from that copy (restore); when the old file has other names, a
 * link or copy beside the target is kept for undo, so that undo puts back that very file.
 * A crash (SIGKILL, power loss) between the backups and the renames leaves a backup equal
 * to the current file; the next apply then makes no new one (the newest already holds the
 * text) and rollback to it changes nothing. Temp files of a crashed run stay
 * (.NAME.mirrorctl-PID-N beside the target); a later run passes over them.
 *
 * A fleet pays each process per host, so commands run once for all files where they can
 * (one sha256sum per check, one stat, one sync per stage, one mkdir, one rm): the usual
 * two-file request (one file changed, one created, no backup slots yet) runs 10 processes
 * besides the shell: 9 when the slots exist, 10 again when the newest backup already holds
 * the old text (then a link kept for undo is removed at the end); with the backup folder on
 * another mount, 11 on the same device (a bind mount: the failing ln, then cat) and 10 on
 * another one (cat only). The rare failure paths may take more.
 */
import {APPLY_LOCK, APPLY_SHELL} from './apply-shell.js'

const MANIFEST = `# The manifest (encodeApplyRequest): a header, one line per file, then each file's content
# as one line of printf %b escapes, kept in variables until written. l = its next line: the
# runner's mr_l_K when it runs the script (runner-script.ts: no read(2) per byte, which the
# read builtin does on a pipe: ~1 ms per KB), else read from stdin. Fields are split by the
# shell with globbing off: no value is ever parsed as shell.
mk=0
nextline() {
  if [ -n "\${mr_lines:-}" ]; then
    [ "$mk" -lt "$mr_lines" ] || return 1
    mk=$((mk + 1))
    eval "l=\\$mr_l_$mk"
  else
    IFS= read -r l
  fi
}
nextline || die 'cannot read the manifest'
[ "$l" = 'mirrorctl-apply 3' ] || die 'not a mirrorctl apply manifest (version 3)'
nextline || die 'cannot read the manifest'
set -f; set -- $l; set +f
[ $# = 5 ] || die 'bad manifest header'
lockf=$1 bdir=$2 keep=$3 count=$4 wait=$5
case "$keep$count$wait" in *[!0-9]*|'') die 'bad numbers in the manifest' ;; esac
unesc "$lockf"; lockf=$v
unesc "$bdir"; bdir=$v
# Per file i: P path, SL backup slot, M mode, E expected sha or -, C content sha or - (remove),
# D content, T target, H current sha or -, ST status, WHY reason, B backup reported, TMP temp
# file, TW why it could not be made, OLD what undo puts back, OC set when OLD is a private
# copy (undo copies it back), OM the old file's "MODE UID GID", XD set when its backup slot
# is on another device (no link tried), NEWB backup made by this run.
i=0 all=
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  nextline || die "cannot read the manifest (file $i)"
  set -f; set -- $l; set +f
  [ $# = 5 ] || die "bad manifest line for file $i"
  pe=$1 se=$2 m=$3 e=$4 c=$5
  case $m in [0-7][0-7][0-7][0-7]) ;; *) die "bad mode in the manifest (file $i)" ;; esac
  { digest "$e" && digest "$c"; } || die "bad manifest line for file $i"
  unesc "$pe"; eval "P_$i=\\$v"
  unesc "$se"; eval "SL_$i=\\$v"
  eval "M_$i=\\$m E_$i=\\$e C_$i=\\$c WHY_$i=- B_$i=- T_$i= TMP_$i= TW_$i= TK_$i=0 OLD_$i= OC_$i= OM_$i= XD_$i= NEWB_$i= MOVED_$i= NEED_$i= LK_$i="
  all="$all $i"
done
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  nextline || die "cannot read the manifest (content $i)"
  # Printable ASCII, and a backslash only as the start of a \\0NNN escape: no "\\c" (which
  # would end printf's output early) can reach printf.
  case $l in *[![:print:]]*|*\\\\[!0]*|*\\\\) die "bad content in the manifest (file $i)" ;; esac
  eval "D_$i=\\$l"
done
`

const BODY = `# Puts back every file already renamed or removed, and drops the temp files, the backups
# made by this run and the copies made for undo (clarity first: this path is rare).
undo() {
  for j in $all; do
    eval "t=\\$T_$j tmp=\\$TMP_$j old=\\$OLD_$j oc=\\$OC_$j newb=\\$NEWB_$j moved=\\$MOVED_$j"
    if [ -n "$moved" ]; then
      if [ -n "$oc" ]; then
        # The copy stays a backup when it could not be put back.
        restore "$j" || newb=
      elif [ -n "$old" ]; then mv -f -T -- "$old" "$t" 2>/dev/null
      else rm -f -- "$t"
      fi
      parent "$t"; sync -- "$d" 2>/dev/null
      # A linked backup went back over the target.
      [ -n "$oc" ] || [ "$old" != "$newb" ] || newb=
    elif [ -n "$old" ] && [ "$old" != "$newb" ]; then rm -f -- "$old"
    fi
    [ -z "$newb" ] || rm -f -- "$newb"
    [ -z "$tmp" ] || rm -f -- "$tmp"
    eval "MOVED_$j= OLD_$j= NEWB_$j= TMP_$j="
  done
}
# Puts file $1's old text back from its private copy $old over $t: a new file in the
# target's folder (its default SELinux label, as a temp file gets), with the old owner and
# mode (OM), synced, then renamed over the target. Fails when any step does.
restore() {
  eval "om=\\$OM_$1"
  parent "$t"
  u=$d/.\${t##*/}.mirrorctl-$$-$1.undo
  while [ -e "$u" ] || [ -L "$u" ]; do u=$u.x; done
  umask 077; set -C
  if cat -- "$old" 2>/dev/null > "$u"; then r=; else r=1; fi
  set +C; umask 022
  if [ -z "$r" ] && [ -n "$om" ]; then
    # As another login than root the file stays that login's, as a write leaves it.
    o=\${om#* }
    chown -- "\${o% *}:\${o#* }" "$u" 2>/dev/null
    chmod -- "\${om%% *}" "$u" 2>/dev/null || r=1
  fi
  [ -n "$r" ] || ! sync -- "$u" 2>/dev/null || ! mv -f -T -- "$u" "$t" 2>/dev/null || return 0
  rm -f -- "$u"
  return 1
}
trap 'undo; exit 130' HUP INT TERM

# Phase 1, compare: each path's final target (links followed) against the text it was
# planned from, in one sha256sum together with the newest backup of each slot (for the
# dedupe below) and the temp file of each file to change whose folder exists (made here,
# before the compare, so that one sha256sum checks them too). Any mismatch: the temp files
# go, nothing is written.
set --
for i in $all; do
  eval "p=\\$P_$i slot=\\$SL_$i m=\\$M_$i e=\\$E_$i c=\\$C_$i"
  t=$p
  # -f needs every folder on the way; -m also takes a dangling link whose folder is still to be made.
  if winding "$p"; then t=$(readlink -f -- "$p" 2>/dev/null) || t=$(readlink -m -- "$p" 2>/dev/null) || t=$p; fi
  st=ok hk=0 bk=0 tk=0
  if [ -L "$t" ] && ! [ -e "$t" ]; then
    st=failed; eval "WHY_$i='ELOOP: too many levels of symbolic links'"
  elif [ -e "$t" ] && ! [ -f "$t" ]; then
    st=failed; eval "WHY_$i=\\"EISDIR: \\$t is not a regular file\\""
  else
    if [ -e "$t" ]; then
      set -- "$@" "$t"; hk=$#
      if [ "$bdir" != - ]; then
        newest "$bdir/$slot"
        case $last in ''|*.absent) ;; *) set -- "$@" "$bdir/$slot/$last"; bk=$# ;; esac
      fi
    fi
    # Only a file planned to change needs one (planned text = new text: unchanged or a conflict).
    parent "$t"
    if [ "$c" != - ] && [ "$e" != "$c" ] && [ -d "$d" ]; then
      maketmp "$i"
      if [ -n "$r" ]; then eval "TW_$i=\\$r"; else set -- "$@" "$tmp"; tk=$#; fi
    fi
  fi
  eval "T_$i=\\$t ST_$i=\\$st HK_$i=\\$hk BK_$i=\\$bk TK_$i=\\$tk"
done
[ $# = 0 ] || hashes "$@"
bad=0 todo=
for i in $all; do
  eval "st=\\$ST_$i hk=\\$HK_$i bk=\\$BK_$i tk=\\$TK_$i e=\\$E_$i c=\\$C_$i"
  h=- bh=- th=-
  [ "$hk" = 0 ] || eval "h=\\$HS_$hk"
  [ "$bk" = 0 ] || eval "bh=\\$HS_$bk"
  [ "$tk" = 0 ] || eval "th=\\$HS_$tk"
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
  eval "ST_$i=\\$st H_$i=\\$h BH_$i=\\$bh TH_$i=\\$th"
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

failed=
if [ "$bad" = 1 ]; then
  for i in $all; do
    eval "st=\\$ST_$i"
    if [ "$st" = todo ] || [ "$st" = unchanged ]; then eval "ST_$i=skipped WHY_$i='not attempted: another file of the request did not match or failed'"; fi
  done
  set --
  for i in $all; do eval "x=\\$TMP_$i"; [ -z "$x" ] || set -- "$@" "$x"; eval "TMP_$i="; done
  [ $# = 0 ] || rm -f -- "$@"
  todo=
fi
# A temp file that could not be made, or does not hold the planned text, fails its file.
for i in $todo; do
  eval "tw=\\$TW_$i tk=\\$TK_$i th=\\$TH_$i c=\\$C_$i"
  if [ -n "$tw" ]; then fail "$i" "$tw"; break; fi
  [ "$tk" = 0 ] || [ "$th" = "$c" ] || { fail "$i" 'EIO: the temporary file does not hold the planned text'; break; }
done

# Phase 2, folders: one mkdir -p for every missing folder of a target or a backup slot.
# A backup is needed unless the newest one already holds the text (for a file being
# created: an ".absent" marker, so that rollback knows to remove it again).
set --
[ -n "$failed" ] || for i in $todo; do
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

# The temp files of targets whose folder was just made, with their own check (rare).
set --
[ -n "$failed" ] || for i in $todo; do
  eval "t=\\$T_$i c=\\$C_$i m=\\$M_$i tmp=\\$TMP_$i"
  [ "$c" != - ] && [ -z "$tmp" ] || continue
  parent "$t"
  maketmp "$i"
  if [ -n "$r" ]; then fail "$i" "$r"; break; fi
  set -- "$@" "$tmp"
done
if [ -z "$failed" ] && [ $# -gt 0 ]; then
  hashes "$@"
  k=0
  for i in $todo; do
    eval "tk=\\$TK_$i c=\\$C_$i"
    [ "$c" != - ] && [ "$tk" = 0 ] || continue
    k=$((k + 1))
    eval "x=\\$HS_$k"
    [ "$x" = "$c" ] || { fail "$i" 'EIO: the temporary file does not hold the planned text'; break; }
  done
fi

# Phase 3, owner and mode: one stat of the existing targets and the temp files; chown and
# chmod only where they differ (chown first: it clears set-user-ID bits). It also gives each
# target's link count (LK: a backup may be a hard link only at 1), whether its backup slot
# is on another device (XD), and the time stamp of the backups (a temp file's mtime, in UTC).
set --
stamp=
[ -n "$failed" ] || for i in $todo; do
  eval "h=\\$H_$i c=\\$C_$i t=\\$T_$i tmp=\\$TMP_$i need=\\$NEED_$i slot=\\$SL_$i"
  [ "$h" = - ] || { [ "$c" = - ] && [ -z "$need" ]; } || set -- "$@" "$t"
  [ "$h" = - ] || [ -z "$need" ] || set -- "$@" "$bdir/$slot"
  [ "$c" = - ] || set -- "$@" "$tmp"
done
if [ $# -gt 0 ]; then
  if ! out=$(TZ=UTC0 stat -c "$statf" -- "$@" 2>/dev/null); then out=; fi
  lines "$out"
  [ "$n" = $# ] || n=0
  k=0
  for i in $todo; do
    eval "h=\\$H_$i c=\\$C_$i t=\\$T_$i tmp=\\$TMP_$i m=\\$M_$i need=\\$NEED_$i slot=\\$SL_$i"
    want=
    if [ "$h" != - ] && { [ "$c" != - ] || [ -n "$need" ]; }; then
      k=$((k + 1))
      if [ "$n" = 0 ]; then L_0=$(TZ=UTC0 stat -c "$statf" -- "$t" 2>&1) || { fail "$i" "cannot keep the mode: $L_0"; break; }; fields 0; else fields "$k"; fi
      want="$fm $fo" td=$fd
      eval "LK_$i=\\$fh OM_$i=\\$want"
      if [ -n "$need" ]; then
        k=$((k + 1))
        if [ "$n" = 0 ]; then L_0=$(TZ=UTC0 stat -c "$statf" -- "$bdir/$slot" 2>/dev/null) || L_0=; fields 0; else fields "$k"; fi
        # Another device than the target's: link(2) cannot work (EXDEV), no ln is tried. The
        # same device does not say it will: bind mounts of one file system share it.
        [ -z "$fd" ] || [ "$fd" = "$td" ] || eval "XD_$i=1"
      fi
    fi
    [ "$c" != - ] || continue
    k=$((k + 1))
    if [ "$n" = 0 ]; then L_0=$(TZ=UTC0 stat -c "$statf" -- "$tmp" 2>&1) || { fail "$i" "cannot keep the mode: $L_0"; break; }; fields 0; else fields "$k"; fi
    [ -n "$stamp" ] || stampof "$fy"
    tmode=$fm town=$fo
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

# Phase 4, sync the temp files: one sync (fsync of each) before anything is renamed.
set --
[ -n "$failed" ] || for i in $todo; do eval "x=\\$TMP_$i"; [ -z "$x" ] || set -- "$@" "$x"; done
if [ $# -gt 0 ] && ! sync -- "$@" 2>/dev/null; then
  for i in $todo; do
    eval "x=\\$TMP_$i"
    if [ -n "$x" ] && ! r=$(sync -- "$x" 2>&1); then fail "$i" "\${r:-fsync failed}"; break; fi
  done
fi

# Phase 5, the previous versions: each file's backup under its final name, a hard link to
# the old file where that is safe (it then also serves undo), else a private copy (undo
# copies it back); and a link (or copy) beside the target for undo where neither serves
# (no new backup, or an old file with other names).
[ -n "$failed" ] || for i in $todo; do
  eval "h=\\$H_$i t=\\$T_$i tmp=\\$TMP_$i need=\\$NEED_$i slot=\\$SL_$i lk=\\$LK_$i xd=\\$XD_$i"
  [ "$h" != - ] || continue
  if [ -n "$need" ]; then
    [ -n "$stamp" ] || clockstamp
    sdir=$bdir/$slot
    freename "$sdir" ''
    b=$sdir/$name
    # Link count 1: no other name can change the old file under its backup.
    if [ "$lk" = 1 ] && [ -z "$xd" ] && ln -- "$t" "$b" 2>/dev/null; then eval "B_$i=\\$b NEWB_$i=\\$b OLD_$i=\\$b"; continue; fi
    umask 177
    set -C
    if true 2>/dev/null > "$b"; then eval "NEWB_$i=\\$b"; r=; else r=$(true 2>&1 > "$b"); r=\${r:-cannot create $b}; fi
    set +C
    umask 022
    [ -n "$r" ] || r=$(cat -- "$t" 2>&1 > "$b") || r=\${r:-cannot save the backup}
    if [ -n "$r" ]; then fail "$i" "backup folder $bdir/$slot: $r"; break; fi
    eval "B_$i=\\$b"
    # The link did not work (another file system: EXDEV): undo copies the old text back from
    # this copy, so nothing more is kept beside the target. At a link count above 1 a link
    # beside it is kept instead: undo then puts back the very file the other names share.
    if [ "$lk" = 1 ]; then eval "OLD_$i=\\$b OC_$i=1"; continue; fi
  fi
  parent "$t"
  old=\${tmp:-$d/.\${t##*/}.mirrorctl-$$-$i}.old
  while [ -e "$old" ] || [ -L "$old" ]; do old=$old.x; done
  if r=$(ln -- "$t" "$old" 2>&1) || r=$(cp -p -- "$t" "$old" 2>&1); then eval "OLD_$i=\\$old"; else fail "$i" "\${r:-cannot keep the previous version}"; break; fi
done

# Phase 6, commit: one rename (or removal) per file, one sync of their folders, and one
# sha256sum re-reading every written file.
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

# Phase 7, keep: an ".absent" marker for each created file (made by the shell), the slots
# pruned to the newest $keep, and one rm for those and the links kept for undo.
set --
for i in $todo; do
  eval "old=\\$OLD_$i newb=\\$NEWB_$i need=\\$NEED_$i slot=\\$SL_$i h=\\$H_$i"
  eval "ST_$i=written"
  [ -z "$old" ] || [ "$old" = "$newb" ] || set -- "$@" "$old"
  [ -n "$need" ] || continue
  sdir=$bdir/$slot
  if [ "$h" = - ]; then
    [ -n "$stamp" ] || clockstamp
    freename "$sdir" .absent
    set -C; umask 177
    true 2>/dev/null > "$sdir/$name" || { set +C; umask 022; continue; }
    set +C; umask 022
  fi
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
for i in $all; do
  eval "st=\\$ST_$i p=\\$P_$i t=\\$T_$i b=\\$B_$i why=\\$WHY_$i"
  enc "$p"; pe=$e
  enc "$t"; te=$e
  [ "$b" = - ] || { enc "$b"; b=$e; }
  [ "$why" = - ] || { enc "$why"; why=$e; }
  echo "file $st $pe $te $b $why"
done
`

export const APPLY_SCRIPT = APPLY_SHELL + MANIFEST + APPLY_LOCK + BODY
