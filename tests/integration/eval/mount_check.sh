#!/bin/bash
# mount_check.sh: the mount-level check of docs/EVAL.md. Mounts llmfuse with
# any backend and --verify (the oracle answers every operation beside the
# backend), runs a shell workload on the real mount, and reports what the
# mount's /.llmfuse/stats counted (src/fs/mount.c): per-operation calls,
# errors and refusals, answers verified, divergences from the oracle (with
# the first lines of the divergence log), backend errors.
#
#   mount_check.sh [--out DIR] [--quiet] [MOUNT ARGS...]
#   e.g. mount_check.sh --backend generate --url http://127.0.0.1:8000
#        mount_check.sh --model models/llmfuse.gguf
#
# $LLMFUSE names the binary (default: llmfuse on PATH). --out DIR keeps
# stats.json, verify.log, commands.log and mount.log there.
# Exit status: 0 when every command did what it does on a real disk and no
# answer diverged; 1 otherwise; 2 on bad usage or a mount that fails; 77
# where FUSE is missing.
set -u

LLMFUSE=${LLMFUSE:-llmfuse}
OUT=""
QUIET=0
while [ $# -gt 0 ]; do
    case "$1" in
    --out) OUT=$2; shift 2 ;;
    --quiet) QUIET=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) break ;;
    esac
done
if [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
    echo "mount_check: no /dev/fuse or fusermount3" >&2
    exit 77
fi

W=$(mktemp -d /tmp/lf-mount-check.XXXXXX)
MNT=$W/mnt
REF=$W/ref
PID=""
cleanup() {
    if grep -q " $MNT fuse" /proc/mounts; then
        fusermount3 -u -z "$MNT" 2>/dev/null
    fi
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    [ -n "$PID" ] && wait "$PID" 2>/dev/null
    if [ -n "$OUT" ]; then
        mkdir -p "$OUT" && cp -f "$W"/*.log "$W"/*.json "$OUT"/ 2>/dev/null
    fi
    rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$MNT" "$REF"

"$LLMFUSE" mount "$MNT" --verify --verify-log "$W/verify.log" "$@" >"$W/mount.log" 2>&1 &
PID=$!
for i in $(seq 1 400); do
    grep -q " $MNT fuse" /proc/mounts && break
    if ! kill -0 "$PID" 2>/dev/null; then
        echo "mount_check: the mount failed:" >&2
        tail -n 20 "$W/mount.log" >&2
        exit 2
    fi
    sleep 0.05
done
grep -q " $MNT fuse" /proc/mounts || { echo "mount_check: no mount after 20 s" >&2; exit 2; }

# The workload: the original's integration steps (seed-reference §7), then
# more of what a shell does. Each command runs in the mount and, for the
# expected outcome, in a plain directory beside it; a command "works" when
# its exit status and output are the same in both places.
WORKLOAD=(
    'mkdir -p proj/docs'
    'touch proj/README.md'
    "echo 'hello world' > proj/README.md"
    'ls -1 proj'
    "stat -c '%s' proj/README.md"
    'cat proj/README.md'
    'mv proj/README.md proj/README2.md'
    'test -f proj/README2.md && echo yes'
    'rm proj/README2.md'
    'rmdir proj/docs'
    'ls -a proj'
    'mkdir -p a/b/c && printf "line 1\nline 2\n" > a/b/c/f.txt && cat a/b/c/f.txt'
    'echo more >> a/b/c/f.txt && cat a/b/c/f.txt'
    'truncate -s 3 a/b/c/f.txt && od -c a/b/c/f.txt'
    'truncate -s 10 a/b/c/f.txt && od -c a/b/c/f.txt'
    'chmod 600 a/b/c/f.txt && stat -c %a a/b/c/f.txt'
    'cp a/b/c/f.txt a/copy && cmp a/b/c/f.txt a/copy && echo same'
    'ln -s b/c/f.txt a/link && readlink a/link'
    'mv a/b a/moved && ls -R a'
    'rmdir a/moved 2>&1; echo status $?'
    'cat missing 2>&1; echo status $?'
    'mkdir a 2>&1; echo status $?'
    'rm -r a && ls'
)
ok=0
bad=0
: >"$W/commands.log"
for cmd in "${WORKLOAD[@]}"; do
    want=$(cd "$REF" && timeout 20 bash -c "$cmd" 2>&1 | sed "s#$REF#DIR#g"; echo "exit ${PIPESTATUS[0]}")
    got=$(cd "$MNT" && timeout 20 bash -c "$cmd" 2>&1 | sed "s#$MNT#DIR#g"; echo "exit ${PIPESTATUS[0]}")
    if [ "$want" = "$got" ]; then
        ok=$((ok + 1))
        echo "ok    $cmd" >>"$W/commands.log"
    else
        bad=$((bad + 1))
        {
            echo "DIFF  $cmd"
            echo "  on disk:  $(echo "$want" | tr '\n' '|')"
            echo "  in mount: $(echo "$got" | tr '\n' '|')"
        } >>"$W/commands.log"
    fi
done

cat "$MNT/.llmfuse/stats" >"$W/stats.json" 2>/dev/null || echo '{}' >"$W/stats.json"
fusermount3 -u "$MNT" 2>/dev/null
wait "$PID" 2>/dev/null
PID=""

num() { grep -o "\"$1\":[0-9]*" "$W/stats.json" | head -n 1 | cut -d: -f2; }
div=$(num divergences)
div=${div:-unknown}
if [ "$QUIET" = 0 ]; then
    echo "mount check: $("$LLMFUSE" --version 2>/dev/null | head -n 1) $*"
    echo "commands: $ok behave as on disk, $bad differ"
    grep '^DIFF' -A2 "$W/commands.log" | head -n 30
    echo "answers verified against the oracle: $(num verified); divergences: $div"
    echo "backend errors: $(num backend_errors); refused answers: $(num refusals); model errors: $(num model_errors)"
    echo "per operation (calls / errors / refused):"
    grep -o '"[a-z]*":{"calls":[0-9]*,"errors":[0-9]*,"refused":[0-9]*' "$W/stats.json" |
        sed 's/"\([a-z]*\)":{"calls":\([0-9]*\),"errors":\([0-9]*\),"refused":\([0-9]*\)/  \1 \2 \3 \4/' |
        awk '$2 > 0 {printf "  %-9s %4d %4d %4d\n", $1, $2, $3, $4}'
    if [ "$div" != 0 ] && [ -s "$W/verify.log" ]; then
        echo "first divergences:"
        grep 'divergence #' "$W/verify.log" | head -n 10 | cut -c1-300
    fi
fi
[ "$bad" = 0 ] && [ "$div" = 0 ]
