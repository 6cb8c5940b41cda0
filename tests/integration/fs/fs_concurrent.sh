#!/bin/bash
# fs_concurrent.sh: parallel writers and readers through one mount (oracle
# backend, multi-threaded loop): every write lands exactly once, in order
# per file, and a reader only ever sees whole states (a file is always lines
# 1..k); the state file equals the mounted state at the end. Also: usage,
# and the default-backend log line.
. "$(dirname "$0")/lib.sh"
lf_setup

MNT=$T/mnt
S=$T/state.xml

# usage and the default backend
"$LLMFUSE" mount >"$T/usage" 2>&1 && fail "mount without a directory succeeded"
grep -q 'usage: llmfuse mount DIR' "$T/usage" || fail "no usage: $(cat "$T/usage")"
"$LLMFUSE" mount "$T/x" --bogus >"$T/usage" 2>&1
[ $? = 2 ] || fail "unknown option: status"
if [ ! -e "$LF_SOURCE_ROOT/models/llmfuse.gguf" ]; then
    lf_mount "$MNT" || fail "mount without --backend failed"
    grep -q 'no backend given.*using the oracle' "$T/mount.log" || fail "no default-backend line"
    lf_umount "$MNT"
fi

lf_mount "$MNT" --backend oracle --state "$S" || fail "mount failed"
W=4
L=25
for w in $(seq 1 $W); do
    (
        for i in $(seq 1 $L); do
            echo "line $i" >>"$MNT/f$w" || exit 1
        done
    ) &
    eval "writer$w=$!"
done
(
    for i in $(seq 1 $L); do
        mkdir "$MNT/dir$i" && rmdir "$MNT/dir$i" || exit 1
    done
) &
dirs=$!

# readers: a file is always "line 1".."line k" (never a torn state)
check_prefix() {
    local c k
    c=$(cat "$1" 2>/dev/null) || return 0
    k=$(printf '%s' "$c" | grep -c '')
    [ "$c" = "$(seq 1 "$k" | sed 's/^/line /')" ]
}
(
    for r in $(seq 1 60); do
        for w in $(seq 1 $W); do
            check_prefix "$MNT/f$w" || { echo "torn read of f$w" >"$T/torn"; exit 1; }
        done
        # status 1: an entry vanished between readdir and lstat (a concurrent
        # rmdir), as on any filesystem
        ls -la "$MNT" >/dev/null 2>&1
        [ $? -le 1 ] || exit 1
    done
) &
reader=$!

for w in $(seq 1 $W); do
    eval "wait \$writer$w" || fail "writer $w failed"
done
wait "$dirs" || fail "mkdir/rmdir loop failed"
wait "$reader" || fail "reader: $(cat "$T/torn" 2>/dev/null)"
for w in $(seq 1 $W); do
    seq 1 $L | sed 's/^/line /' | cmp - "$MNT/f$w" || fail "f$w is not lines 1..$L"
done
[ "$(ls "$MNT" | grep -c '^dir')" = 0 ] || fail "directories left over"
head -c -1 "$MNT/.llmfuse/state.xml" | cmp - "$S" || fail "state file differs from the mounted state"
grep -q "\"write\":{\"calls\":$((W * L)),\"errors\":0," "$MNT/.llmfuse/stats" ||
    fail "write count: $(cat "$MNT/.llmfuse/stats")"
lf_umount "$MNT"
echo "ok"
