# lib.sh: helpers for the dataset generator's integration tests (sourced).
#   need_fuse    skip (77) without /dev/fuse or a FUSE-enabled llmfuse
#   need_python  skip (77) without python3 (JSON checks)
#   $T           a temp dir, removed on exit (after unmounting anything in it)
#   fail MSG     print MSG, exit 1
set -u

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

T=$(mktemp -d /tmp/lf-data-test.XXXXXX)
cleanup() {
    local m
    for m in $(grep -o " $T[^ ]*" /proc/mounts 2>/dev/null); do
        fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
    [ -n "${REF_PID:-}" ] && kill "$REF_PID" 2>/dev/null
    rm -rf "$T"
    return 0
}
trap cleanup EXIT

need_fuse() {
    if [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
        echo "SKIP: no /dev/fuse or fusermount3"
        exit 77
    fi
    if "$LLMFUSE" ref x y 2>&1 | grep -q 'built without libfuse3'; then
        echo "SKIP: llmfuse built without libfuse3"
        exit 77
    fi
}

need_python() {
    command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
}

# strip_source FILE: the rows without meta.source (kernel/direct vs oracle).
strip_source() {
    sed 's/, "source": "[a-z]*"}}$/}}/' "$1"
}
