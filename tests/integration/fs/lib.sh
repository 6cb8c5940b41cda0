# lib.sh: helpers shared by the mount's integration tests (sourced).
#
#   lf_setup            skip (77) without /dev/fuse or fusermount3; make $T,
#                       a temp dir removed (after unmounting) on exit
#   lf_mount DIR ARGS   start `llmfuse mount DIR ARGS` in the background
#                       (log: $T/mount.log); wait until it is mounted
#   lf_umount DIR       unmount and wait for the daemon to exit
#   fail MSG            print MSG and the mount log, exit 1
set -u

fail() {
    echo "FAIL: $*" >&2
    if [ -n "${T:-}" ] && [ -f "$T/mount.log" ]; then
        echo "--- mount log (last 40 lines) ---" >&2
        tail -n 40 "$T/mount.log" >&2
    fi
    exit 1
}

lf_cleanup() {
    local d
    for d in ${LF_MOUNTS:-}; do
        fusermount3 -u -z "$d" 2>/dev/null
    done
    for p in ${LF_PIDS:-}; do
        kill "$p" 2>/dev/null
    done
    [ -n "${T:-}" ] && rm -rf "$T"
    return 0
}

lf_setup() {
    if [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
        echo "SKIP: no /dev/fuse or fusermount3"
        exit 77
    fi
    if "$LLMFUSE" mount --help 2>&1 | grep -q 'built without libfuse3'; then
        echo "SKIP: llmfuse built without libfuse3"
        exit 77
    fi
    T=$(mktemp -d /tmp/lf-fs-test.XXXXXX)
    LF_MOUNTS=""
    LF_PIDS=""
    trap lf_cleanup EXIT
}

is_mounted() {
    grep -q " $1 fuse" /proc/mounts
}

# lf_mount DIR ARGS...: sets LF_PID.
lf_mount() {
    local dir=$1
    shift
    mkdir -p "$dir"
    "$LLMFUSE" mount "$dir" "$@" >>"$T/mount.log" 2>&1 &
    LF_PID=$!
    LF_PIDS="$LF_PIDS $LF_PID"
    LF_MOUNTS="$LF_MOUNTS $dir"
    local i
    for i in $(seq 1 600); do
        if is_mounted "$dir"; then
            return 0
        fi
        if ! kill -0 "$LF_PID" 2>/dev/null; then
            wait "$LF_PID"
            return 1
        fi
        sleep 0.05
    done
    fail "mount of $dir did not appear"
}

lf_umount() {
    fusermount3 -u "$1" || fail "fusermount3 -u $1"
    wait "$LF_PID" 2>/dev/null
    local rc=$?
    [ "$rc" -eq 0 ] || fail "daemon exited with status $rc after unmount"
    return 0
}
