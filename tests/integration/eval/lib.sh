# lib.sh: helpers for the evaluator's integration tests (sourced).
#
#   ev_setup            make $T, a temp dir removed on exit (with the
#                       servers started by ev_serve)
#   ev_serve ARGS       start `llmfuse serve ARGS --port 0` in the
#                       background; sets SERVE_URL
#   ev_fault_server     start tests/unit/backend/fault_server in the
#                       background (skip without it); sets FAULT_PORT
#   skip MSG            exit 77
#   fail MSG            print MSG, exit 1
set -u

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

skip() {
    echo "SKIP: $*"
    exit 77
}

ev_cleanup() {
    local p
    for p in ${EV_PIDS:-}; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    [ -n "${T:-}" ] && rm -rf "$T"
    return 0
}

ev_setup() {
    T=$(mktemp -d /tmp/lf-eval-test.XXXXXX)
    EV_PIDS=""
    trap ev_cleanup EXIT
}

# ev_serve ARGS...: `llmfuse serve` on an ephemeral loopback port.
ev_serve() {
    local log=$T/serve.$RANDOM
    "$LLMFUSE" serve "$@" --port 0 >"$log.out" 2>"$log.err" &
    EV_PIDS="$EV_PIDS $!"
    local i
    for i in $(seq 1 200); do
        grep -q listening "$log.out" && break
        sleep 0.05
    done
    SERVE_URL=$(grep -o 'http://[^ ]*' "$log.out" | head -n 1)
    [ -n "$SERVE_URL" ] || fail "llmfuse serve did not start: $(cat "$log.err")"
}

# ev_fault_server: the scripted fault server (backend tests) on an ephemeral
# port; skips the test when the build has none (no libmicrohttpd).
ev_fault_server() {
    local fs=${LF_BUILD_ROOT:-}/tests/unit/backend/fault_server
    [ -x "$fs" ] || skip "no fault_server (built without libmicrohttpd)"
    "$fs" >"$T/fs.out" 2>"$T/fs.err" &
    EV_PIDS="$EV_PIDS $!"
    local i
    for i in $(seq 1 100); do
        grep -q '^port ' "$T/fs.out" && break
        sleep 0.05
    done
    FAULT_PORT=$(sed -n 's/^port //p' "$T/fs.out")
    [ -n "$FAULT_PORT" ] || fail "fault_server did not start"
}

# ev_json FILE EXPR: evaluates a Python expression on the parsed JSON `r`.
ev_json() {
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"
}
