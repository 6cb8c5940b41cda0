#!/bin/bash
# fs_fault.sh: the mount over the `generate` backend pointed at a
# misbehaving server (tests/backend/fault_server.c): garbage, truncated,
# wrong trees, HTTP errors, timeouts and oversized bodies are refused with
# EIO and a clear log line, and never change the state (file or mount).
. "$(dirname "$0")/lib.sh"
lf_setup

FAULT=${LF_FAULT_SERVER:-}
if [ -z "$FAULT" ]; then
    FAULT=$(find "$LF_BUILD_ROOT" -name fault_server -type f -perm -u+x 2>/dev/null | head -n 1)
fi
if [ -z "$FAULT" ]; then
    echo "SKIP: fault_server not built (tests/backend)"
    exit 77
fi
"$LLMFUSE" mount --help | grep -q -- '--url' || fail "mount --help"

"$FAULT" >"$T/fault.out" 2>"$T/fault.err" &
LF_PIDS="$LF_PIDS $!"
for i in $(seq 1 600); do
    grep -q '^port ' "$T/fault.out" && break
    sleep 0.05
done
PORT=$(awk '/^port /{print $2}' "$T/fault.out")
[ -n "$PORT" ] && [ "$PORT" != 0 ] || fail "fault_server did not start: $(cat "$T/fault.err")"
BASE=http://127.0.0.1:$PORT
MNT=$T/mnt
S=$T/state.xml

# a short timeout only where the server sleeps (3 s); a generous one where
# answers must arrive on a loaded machine
mnt() {
    local to=10
    [ "$1" = sleep ] && to=1
    lf_mount "$MNT" --backend generate --url "$BASE/$1" --timeout $to --retries 0 --state "$S" "${@:2}"
}

# a base state through a well-behaved server
mnt ok || fail "mount over /ok failed"
mkdir -p "$MNT/d/e" && echo base >"$MNT/d/f" || fail "building over /ok"
[ "$(cat "$MNT/d/f")" = base ] || fail "read over /ok"
lf_umount "$MNT"
cp "$S" "$T/orig.xml"

for mode in garbage notext junk truncated badtree stale always500 e400 sleep big; do
    : >"$T/mount.log"
    mnt "$mode" || fail "mount over /$mode failed"
    for cmd in 'mkdir "$MNT/new"' 'echo more >>"$MNT/d/f"' 'rm "$MNT/d/f"' 'mv "$MNT/d" "$MNT/x"' \
        'rmdir "$MNT/d/e"' 'chmod 600 "$MNT/d/f"' 'ln -s f "$MNT/d/l"' 'truncate -s 1 "$MNT/d/f"'; do
        if (eval "$cmd") 2>"$T/err"; then
            fail "/$mode: '$cmd' succeeded"
        fi
        grep -q 'Input/output error' "$T/err" || fail "/$mode: '$cmd': $(cat "$T/err")"
    done
    # the mount still shows the old state
    [ "$(stat -c %s "$MNT/d/f")" = 5 ] || fail "/$mode: size of d/f changed"
    [ -d "$MNT/d/e" ] || fail "/$mode: d/e vanished"
    [ ! -e "$MNT/new" ] || fail "/$mode: new appeared"
    head -c -1 "$MNT/.llmfuse/state.xml" | cmp -s - "$T/orig.xml" || fail "/$mode: the mounted state changed"
    cat "$MNT/.llmfuse/stats" >"$T/stats.json"
    lf_umount "$MNT"
    cmp "$S" "$T/orig.xml" || fail "/$mode: the state file changed"
    # a clear line naming the operation and the reason
    grep -q "mkdir('/new'.*\(refused\|failed\)" "$T/mount.log" ||
        fail "/$mode: no clear log line: $(cat "$T/mount.log")"
    grep -q '"refusals":0,' "$T/stats.json" && grep -q '"backend_errors":0,' "$T/stats.json" &&
        fail "/$mode: nothing counted: $(cat "$T/stats.json")"
    echo "/$mode: $(grep -m1 "mkdir('/new'" "$T/mount.log")"
done

# --verify counts the wrong answers of /stale as divergences
mnt stale --verify-log "$T/verify.log" || fail "mount --verify over /stale"
mkdir "$MNT/v" 2>/dev/null && fail "mkdir over /stale succeeded"
cat "$MNT/.llmfuse/stats" >"$T/stats.json"
grep -q '"divergences":[1-9]' "$T/stats.json" || fail "no divergence counted: $(cat "$T/stats.json")"
grep -q "divergence #1: mkdir('/v'.*states differ at byte" "$T/verify.log" ||
    fail "verify log: $(cat "$T/verify.log")"
lf_umount "$MNT"

# /flaky fails every other request: what was acknowledged is exactly what
# the state holds
mnt flaky || fail "mount over /flaky"
: >"$T/acked"
for i in $(seq 1 12); do
    mkdir "$MNT/m$i" 2>/dev/null && echo "m$i" >>"$T/acked"
done
lf_umount "$MNT"
[ -s "$T/acked" ] || fail "/flaky: nothing succeeded"
[ "$(wc -l <"$T/acked")" -lt 12 ] || fail "/flaky: nothing failed"
mnt ok || fail "remount over /ok"
ls "$MNT" | grep '^m' | sort >"$T/have"
sort "$T/acked" | cmp - "$T/have" || fail "/flaky: acknowledged $(cat "$T/acked" | tr '\n' ' ') but the state has $(cat "$T/have" | tr '\n' ' ')"
lf_umount "$MNT"
echo "ok"
