#!/bin/bash
# fs_persist.sh: --state FILE: the state survives unmount/remount; a corrupt
# file is refused (and left alone); the root's owner comes from the file;
# a kill -9 in the middle of a write loop leaves a file that loads and
# equals a state the filesystem had acknowledged (or the one being written).
. "$(dirname "$0")/lib.sh"
lf_setup

MNT=$T/mnt
S=$T/state.xml

# 1. remount resumes
lf_mount "$MNT" --backend oracle --state "$S" || fail "mount failed"
mkdir -p "$MNT/d/e" && echo one >"$MNT/d/f" && ln -s f "$MNT/d/l" && chmod 700 "$MNT/d/e" ||
    fail "building the tree"
lf_umount "$MNT"
lf_mount "$MNT" --backend oracle --state "$S" || fail "remount failed"
[ "$(cat "$MNT/d/f")" = one ] || fail "content lost across remount"
[ "$(readlink "$MNT/d/l")" = f ] || fail "symlink lost across remount"
[ "$(stat -c %a "$MNT/d/e")" = 700 ] || fail "mode lost across remount"
echo two >>"$MNT/d/f"
lf_umount "$MNT"
grep -q '<body>one
two
</body>' "$S" || fail "the state file lacks the last write"

# a second mount of the same state file is refused while the first runs
lf_mount "$MNT" --backend oracle --state "$S" || fail "mount failed"
"$LLMFUSE" mount "$T/mnt2" --backend oracle --state "$S" >"$T/second.log" 2>&1 &&
    fail "a second mount shared the state file"
grep -q 'in use by another llmfuse mount (pid [0-9]*)' "$T/second.log" ||
    fail "second mount: $(cat "$T/second.log")"
is_mounted "$T/mnt2" && fail "second mount appeared"
lf_umount "$MNT"

# 2. a corrupt state file is refused and not overwritten
for bad in 'not xml at all' '<filesystem><directory path="/" name="/" mode="755" owner="a" group="b" mtime="2025-01-01T00:00:00"><file path="x" name="x" mode="644" owner="a" group="b" mtime="2025-01-01T00:00:01" size="9"><body>short</body></file></directory></filesystem>' ''; do
    printf '%s' "$bad" >"$T/bad.xml"
    cp "$T/bad.xml" "$T/bad.orig"
    if "$LLMFUSE" mount "$T/mnt2" --backend oracle --state "$T/bad.xml" >"$T/bad.log" 2>&1; then
        fusermount3 -u "$T/mnt2" 2>/dev/null
        fail "mounted a corrupt state: '$bad'"
    fi
    is_mounted "$T/mnt2" && fail "corrupt state left a mount"
    grep -q 'refusing to mount' "$T/bad.log" || fail "no clear message: $(cat "$T/bad.log")"
    cmp "$T/bad.xml" "$T/bad.orig" || fail "the corrupt state file was changed"
done

# 3. the root's owner and group come from the state file when it has them
printf '%s' '<filesystem><directory path="/" name="/" mode="750" owner="4321" group="8765" mtime="2025-01-01T00:00:00" /></filesystem>' >"$T/owned.xml"
lf_mount "$MNT" --backend oracle --state "$T/owned.xml" || fail "mount of owned.xml failed"
[ "$(stat -c '%u %g %a' "$MNT")" = "4321 8765 750" ] || fail "root attributes: $(stat -c '%u %g %a' "$MNT")"
touch "$MNT/new" || fail "touch"
[ "$(stat -c '%u %g' "$MNT/new")" = "4321 8765" ] || fail "new entries take the root's owner"
lf_umount "$MNT"

# SIGTERM unmounts cleanly; --background detaches and serves
lf_mount "$MNT" --backend oracle --state "$S" || fail "mount failed"
echo term >"$MNT/t" || fail "write before SIGTERM"
kill -TERM "$LF_PID"
wait "$LF_PID" || fail "daemon exited non-zero on SIGTERM"
is_mounted "$MNT" && fail "still mounted after SIGTERM"
grep -q '<body>term' "$S" || fail "write before SIGTERM lost"
"$LLMFUSE" mount "$MNT" --backend oracle --state "$S" --background >"$T/bg.log" 2>&1 ||
    fail "--background: $(cat "$T/bg.log")"
is_mounted "$MNT" || fail "--background: not mounted"
[ "$(cat "$MNT/t")" = term ] || fail "--background: read"
echo bg >>"$MNT/t" || fail "--background: write"
fusermount3 -u "$MNT" || fail "--background: unmount"
for i in $(seq 1 600); do
    flock -n "$S.lock" true && break
    sleep 0.05
done
flock -n "$S.lock" true || fail "--background daemon did not exit after unmount"
grep -q '<body>term
bg' "$S" || fail "--background: write lost"

# 4. kill -9 in the middle of a write loop
rm -f "$S"
lf_mount "$MNT" --backend oracle --state "$S" || fail "mount failed"
PID=$LF_PID
(
    for i in $(seq 1 100000); do
        echo "line $i" >>"$MNT/log" || exit 0
        echo "$i" >"$T/acked"
    done
) &
LOOP=$!
for i in $(seq 1 1200); do
    a=$(cat "$T/acked" 2>/dev/null)
    [ "${a:-0}" -ge 30 ] && break
    sleep 0.05
done
kill -9 "$PID"
wait "$LOOP"
wait "$PID" 2>/dev/null
LF_PIDS=""
fusermount3 -u -z "$MNT" 2>/dev/null
acked=$(cat "$T/acked")
[ "$acked" -ge 30 ] || fail "the loop made no progress ($acked)"
printf 'half a state' >"$S.tmp.AbC123" # as an interrupted save leaves
lf_mount "$MNT" --backend oracle --state "$S" || fail "the state left by kill -9 does not load"
[ ! -e "$S.tmp.AbC123" ] || fail "the interrupted save's temp file was not removed"
lines=$(wc -l <"$MNT/log")
# acknowledged lines are all there; at most the one in flight is extra
[ "$lines" -eq "$acked" ] || [ "$lines" -eq $((acked + 1)) ] ||
    fail "state has $lines lines, the loop had $acked acknowledged"
seq 1 "$lines" | sed 's/^/line /' | cmp - "$MNT/log" || fail "the log is not lines 1..$lines"
lf_umount "$MNT"
echo "ok: killed after $acked acknowledged writes; state holds $lines"
