#!/bin/bash
# fs_verify.sh: --verify counters in the hidden, read-only /.llmfuse
# directory; df shows the room; a context too small for an operation gives
# ENOSPC ("No space left on device") and leaves the state alone.
. "$(dirname "$0")/lib.sh"
lf_setup

MNT=$T/mnt
S=$T/state.xml

# num KEY FILE: the first integer value of "KEY": in a JSON file
num() { grep -o "\"$1\":[0-9]*" "$2" | head -n 1 | cut -d: -f2; }

# 1. --verify with the oracle: every answer checked, no divergence
lf_mount "$MNT" --backend oracle --state "$S" --verify --verify-log "$T/verify.log" ||
    fail "mount failed"
mkdir -p "$MNT/a/b" && echo x >"$MNT/a/f" && cat "$MNT/a/f" >/dev/null && ls "$MNT/a" >/dev/null &&
    mv "$MNT/a/f" "$MNT/a/g" && rm "$MNT/a/g" || fail "operations"
mkdir "$MNT/a" 2>/dev/null && fail "mkdir of an existing dir succeeded"
cat "$MNT/.llmfuse/stats" >"$T/stats.json" || fail "cannot read /.llmfuse/stats"
[ "$(num verified "$T/stats.json")" -ge 8 ] || fail "verified count: $(cat "$T/stats.json")"
[ "$(num divergences "$T/stats.json")" = 0 ] || fail "divergences with the oracle: $(cat "$T/verify.log")"
grep -q '"mkdir":{"calls":2,' "$T/stats.json" || fail "mkdir count: $(cat "$T/stats.json")"
grep -q '"verify":true' "$T/stats.json" || fail "verify flag"
[ ! -s "$T/verify.log" ] || fail "verify log not empty: $(cat "$T/verify.log")"

# the control directory: hidden, readable, not writable, not in the state
ls -a "$MNT" | grep -q llmfuse && fail "/.llmfuse is listed"
[ "$(ls "$MNT/.llmfuse" | tr '\n' ' ')" = "state.xml stats " ] || fail "ls /.llmfuse: $(ls "$MNT/.llmfuse")"
(echo x >"$MNT/.llmfuse/stats") 2>/dev/null && fail "wrote /.llmfuse/stats"
(echo x >"$MNT/.llmfuse/new") 2>/dev/null && fail "created a file in /.llmfuse"
mkdir "$MNT/.llmfuse/d" 2>/dev/null && fail "mkdir in /.llmfuse"
rm -f "$MNT/.llmfuse/stats" 2>/dev/null && fail "removed /.llmfuse/stats"
mv "$MNT/a" "$MNT/.llmfuse/a" 2>/dev/null && fail "renamed into /.llmfuse"
rmdir "$MNT/.llmfuse" 2>/dev/null && fail "removed /.llmfuse"
grep -q llmfuse "$S" && fail "the control directory reached the state"
head -c -1 "$MNT/.llmfuse/state.xml" | cmp - "$S" || fail "/.llmfuse/state.xml is not the state"

# df: room derived from the context (the oracle: a fixed 64 MiB)
df -B1 "$MNT" >"$T/df" || fail "df"
total=$(df -B1 --output=size "$MNT" | tail -n 1 | tr -d ' ')
avail=$(df -B1 --output=avail "$MNT" | tail -n 1 | tr -d ' ')
[ "$total" -gt 0 ] && [ "$avail" -gt 0 ] && [ "$avail" -le "$total" ] || fail "df: $(cat "$T/df")"
head -c 100000 /dev/zero | tr '\0' 'z' >"$MNT/big"
avail2=$(df -B1 --output=avail "$MNT" | tail -n 1 | tr -d ' ')
[ "$avail2" -lt "$avail" ] || fail "df: free room did not shrink ($avail -> $avail2)"
lf_umount "$MNT"

# 2. a backend with a small context: ENOSPC, state untouched, df shows it
"$LLMFUSE" serve --backend oracle --port 0 >"$T/serve.out" 2>"$T/serve.err" &
SERVE=$!
LF_PIDS="$LF_PIDS $SERVE"
for i in $(seq 1 600); do
    grep -q listening "$T/serve.out" && break
    sleep 0.05
done
url=$(grep -o 'http://[^ ]*' "$T/serve.out" | head -n 1)
[ -n "$url" ] || fail "llmfuse serve did not start: $(cat "$T/serve.err")"
rm -f "$S"
lf_mount "$MNT" --backend generate --url "$url" --context 2000 --state "$S" ||
    fail "mount with generate failed"
mkdir "$MNT/d" && echo small >"$MNT/d/f" || fail "small ops over generate"
[ "$(cat "$MNT/d/f")" = small ] || fail "read over generate"
total=$(df -B1 --output=size "$MNT" | tail -n 1 | tr -d ' ')
avail=$(df -B1 --output=avail "$MNT" | tail -n 1 | tr -d ' ')
[ "$total" -gt 1000 ] && [ "$total" -lt 10000 ] || fail "df total for a 2000-token context: $total"
[ "$avail" -lt "$total" ] || fail "df avail $avail total $total"
cp "$S" "$T/before.xml"
head -c 20000 /dev/zero | tr '\0' 'q' >"$MNT/d/huge" 2>"$T/err" && fail "a write past the context succeeded"
grep -q 'No space left on device' "$T/err" || fail "expected ENOSPC: $(cat "$T/err")"
# the create before the failing write was acknowledged; nothing else changed
grep -q 'name="huge"' "$S" || fail "the create of huge is missing"
grep -q 'q' "$T/before.xml" && fail "setup"
grep -q 'qqqq' "$S" && fail "the refused write reached the state"
cat "$MNT/.llmfuse/stats" >"$T/stats2.json"
[ "$(num enospc "$T/stats2.json")" -ge 1 ] || fail "enospc not counted: $(cat "$T/stats2.json")"
grep -q 'refused with ENOSPC' "$T/mount.log" || fail "no ENOSPC log line"
lf_umount "$MNT"

# 3. the openai backend over the same server (/v1/completions)
lf_mount "$MNT" --backend openai --url "$url" --state "$S" || fail "mount with openai failed"
echo over-openai >"$MNT/d/o" || fail "write over openai"
[ "$(cat "$MNT/d/o")" = over-openai ] || fail "read over openai"
[ "$(ls "$MNT/d" | tr '\n' ' ')" = "f huge o " ] || fail "ls over openai: $(ls "$MNT/d")"
lf_umount "$MNT"
echo "ok"
