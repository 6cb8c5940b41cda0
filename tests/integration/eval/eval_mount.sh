#!/bin/bash
# eval_mount.sh: the mount-level check (mount_check.sh) on a real mount:
# with the oracle every command behaves as on disk and nothing diverges;
# through a server whose <W> answers keep the old state (fault_server
# /stale) the divergences are counted and reported, and the check fails.
set -u
. "$(dirname "$0")/lib.sh"
if [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
    skip "no /dev/fuse or fusermount3"
fi
"$LLMFUSE" mount --help 2>&1 | grep -q 'built without libfuse3' && skip "built without libfuse3"
ev_setup
CHECK=$(dirname "$0")/mount_check.sh

bash "$CHECK" --out "$T/o" --backend oracle >"$T/o.txt" 2>&1 ||
    fail "oracle: $(cat "$T/o.txt")"
grep -q '^commands: 23 behave as on disk, 0 differ$' "$T/o.txt" || fail "oracle: $(cat "$T/o.txt")"
grep -q 'divergences: 0$' "$T/o.txt" || fail "oracle: $(cat "$T/o.txt")"
v=$(grep -o 'verified against the oracle: [0-9]*' "$T/o.txt" | grep -o '[0-9]*$')
[ "${v:-0}" -ge 40 ] || fail "too few answers verified: $(cat "$T/o.txt")"
[ -s "$T/o/stats.json" ] && [ -s "$T/o/commands.log" ] || fail "--out kept nothing"

ev_fault_server
port=$FAULT_PORT
bash "$CHECK" --backend generate --url "http://127.0.0.1:$port/stale" --retries 0 \
    >"$T/s.txt" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "stale server: exit status $rc: $(cat "$T/s.txt")"
d=$(grep -o 'divergences: [0-9]*' "$T/s.txt" | grep -o '[0-9]*$')
[ "${d:-0}" -gt 0 ] || fail "stale server: no divergence counted: $(cat "$T/s.txt")"
grep -q '^first divergences:$' "$T/s.txt" && grep -q 'divergence #1: ' "$T/s.txt" ||
    fail "stale server: divergences not shown: $(cat "$T/s.txt")"
echo "ok: mount check (oracle clean, stale server: $d divergences)"
