#!/bin/bash
# serve_mount.sh: the whole HTTP path end to end. `llmfuse serve --backend
# oracle` (with a token) answers a mount through the generate backend, then
# through the openai backend, then through a second server that proxies to
# the first; shell commands must give the same results as on a real
# directory. Finally SIGINT must stop each server with status 0.
# Skips (77) without /dev/fuse, fusermount3, libfuse3 or libmicrohttpd.
set -u
export LC_ALL=C

fail() {
    echo "FAIL: $*" >&2
    for f in "$T"/*.log; do
        [ -f "$f" ] && { echo "--- $f (last 20 lines) ---" >&2; tail -n 20 "$f" >&2; }
    done
    exit 1
}

if [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
    echo "SKIP: no /dev/fuse or fusermount3"; exit 77
fi
if "$LLMFUSE" mount --help 2>&1 | grep -q 'built without'; then
    echo "SKIP: built without libfuse3"; exit 77
fi
T=$(mktemp -d /tmp/lf-serve-test.XXXXXX)
PIDS=""
MNT=$T/mnt
cleanup() {
    fusermount3 -u -z "$MNT" 2>/dev/null
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

# serve NAME ARGS...: starts a server, sets PORT and SPID.
serve() {
    local name=$1
    shift
    "$LLMFUSE" serve --port 0 "$@" >"$T/$name.out" 2>"$T/$name.log" &
    SPID=$!
    PIDS="$PIDS $SPID"
    local i
    for i in $(seq 1 100); do
        if grep -q '^listening on ' "$T/$name.out"; then
            PORT=$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$T/$name.out")
            return 0
        fi
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.05
    done
    if grep -q 'without libmicrohttpd' "$T/$name.log"; then
        echo "SKIP: built without libmicrohttpd"; exit 77
    fi
    fail "server $name did not start"
}

# stop PID: SIGINT, then the exit status must be 0.
stop() {
    kill -INT "$1"
    wait "$1"
    local rc=$?
    [ "$rc" -eq 0 ] || fail "server $1 exited with status $rc after SIGINT"
}

mount_with() {
    mkdir -p "$MNT"
    "$LLMFUSE" mount "$MNT" "$@" >>"$T/mount.log" 2>&1 &
    MPID=$!
    local i
    for i in $(seq 1 200); do
        grep -q " $MNT fuse" /proc/mounts && return 0
        kill -0 "$MPID" 2>/dev/null || fail "mount $* exited"
        sleep 0.05
    done
    fail "mount $* did not appear"
}

umount_it() {
    fusermount3 -u "$MNT" || fail "fusermount3 -u"
    wait "$MPID"
    [ $? -eq 0 ] || fail "mount daemon exited non-zero"
}

# The same script in a real directory and in the mount; outputs must agree.
script='
mkdir -p docs/sub && echo "hello & <world>" > docs/a.txt && printf "x\0y" > docs/bin &&
echo more >> docs/a.txt && cat docs/a.txt && od -c docs/bin | head -2 &&
printf "a <END_FS> b\n</filesystem>\n" > docs/end && cat docs/end && rm docs/end &&
ln -s a.txt docs/link && readlink docs/link && mv docs/sub docs/sub2 && ls -a docs &&
truncate -s 3 docs/a.txt && cat docs/a.txt && echo && rm docs/bin && ls docs &&
rmdir docs 2>&1; echo "rmdir: $?"; cat nope 2>&1; echo "cat: $?"'
mkdir -p "$T/ref"
want=$(cd "$T/ref" && eval "$script" 2>&1)

check_mount() {
    local got
    got=$(cd "$MNT" && eval "$script" 2>&1)
    [ "$got" = "$want" ] || fail "through $1: got
$got
--- want
$want"
}

serve oracle --backend oracle --token s3cret
P1=$PORT
S1=$SPID

mount_with --backend generate --url "http://127.0.0.1:$P1" --token s3cret
check_mount generate
umount_it

mount_with --backend openai --url "http://127.0.0.1:$P1/v1" --token s3cret
check_mount openai
umount_it

# a proxy: serve --backend generate in front of the first server
serve proxy --backend generate --url "http://127.0.0.1:$P1" --backend-token s3cret
P2=$PORT
S2=$SPID
mount_with --backend generate --url "http://127.0.0.1:$P2"
check_mount proxy
umount_it

# without the token the first server refuses: the mount reports an I/O error
mount_with --backend generate --url "http://127.0.0.1:$P1" --retries 0
if mkdir "$MNT/x" 2>/dev/null; then fail "mkdir without a token succeeded"; fi
umount_it
grep -q "401" "$T/mount.log" || fail "the mount log does not name the 401"

stop "$S2"
stop "$S1"
PIDS=""
echo "ok"
