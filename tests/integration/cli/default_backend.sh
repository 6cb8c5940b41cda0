#!/usr/bin/env bash
# default_backend.sh: with no backend option, `llmfuse eval` and `llmfuse
# mount` use the bundled model models/llmfuse.gguf (the local engine) and say
# so; an explicit --backend oracle overrides it. Only the choice of backend is
# checked, not the model's answers (docs/MODEL.md measures those).
set -uo pipefail
[ -r "$LF_SOURCE_ROOT/models/llmfuse.gguf" ] || { echo "SKIP: no bundled model"; exit 77; }
tmp=$(mktemp -d)
mnt=$tmp/m
cleanup() {
    fusermount3 -u -z "$mnt" 2>/dev/null
    [ -n "${pid:-}" ] && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
    return 0
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$LLMFUSE" gen --oracle --seed 5 --episodes 1 --steps 3 --out "$tmp/rows.jsonl" --no-progress \
    || fail "gen"
"$LLMFUSE" eval --data "$tmp/rows.jsonl" --no-progress > "$tmp/eval.txt" 2>&1 || fail "eval exit $?"
grep -q '^llmfuse eval: no backend given: the bundled model .*/models/llmfuse.gguf$' "$tmp/eval.txt" \
    || { cat "$tmp/eval.txt"; fail "eval did not announce the bundled model"; }
grep -q '^backend: local .*/models/llmfuse.gguf' "$tmp/eval.txt" \
    || { cat "$tmp/eval.txt"; fail "eval did not use the local engine"; }
grep -q '^exact match (raw answers): [0-3]/3 ' "$tmp/eval.txt" \
    || { cat "$tmp/eval.txt"; fail "eval did not score 3 rows"; }

"$LLMFUSE" eval --data "$tmp/rows.jsonl" --backend oracle --no-progress > "$tmp/oracle.txt" 2>&1 \
    || fail "eval --backend oracle exit $?"
grep -q '^backend: oracle' "$tmp/oracle.txt" || { cat "$tmp/oracle.txt"; fail "--backend oracle ignored"; }
grep -q 'bundled' "$tmp/oracle.txt" && { cat "$tmp/oracle.txt"; fail "--backend oracle still announced the bundled model"; }

# the mount, where FUSE is available
if [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null \
    || "$LLMFUSE" mount --help 2>&1 | grep -q 'built without libfuse3'; then
    echo "ok (eval only: no FUSE)"; exit 0
fi
for args in "" "--backend oracle"; do
    mkdir -p "$mnt"
    "$LLMFUSE" mount "$mnt" $args 2> "$tmp/mount.log" &
    pid=$!
    for _ in $(seq 200); do mountpoint -q "$mnt" && break; sleep 0.05; done
    mountpoint -q "$mnt" || { cat "$tmp/mount.log"; fail "mount $args"; }
    [ -r "$mnt/.llmfuse/state.xml" ] || fail "no /.llmfuse/state.xml ($args)"
    fusermount3 -u "$mnt" || fail "unmount ($args)"
    wait "$pid"; pid=
    if [ -z "$args" ]; then
        grep -q 'no backend given: using the bundled model .*/models/llmfuse.gguf' "$tmp/mount.log" \
            || { cat "$tmp/mount.log"; fail "mount did not announce the bundled model"; }
        grep -q 'backend local .*/models/llmfuse.gguf' "$tmp/mount.log" \
            || { cat "$tmp/mount.log"; fail "mount did not use the local engine"; }
    else
        grep -q 'bundled' "$tmp/mount.log" && { cat "$tmp/mount.log"; fail "--backend oracle mount used the bundled model"; }
    fi
done
echo ok
