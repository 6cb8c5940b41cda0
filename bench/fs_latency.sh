#!/bin/bash
# fs_latency.sh: per-operation latency through llmfuse mounted with the
# oracle backend, without and with --state (every accepted state fsynced
# before the op is acknowledged), beside the same calls on a real directory.
#   bench/fs_latency.sh [LLMFUSE] [N]
set -eu
LLMFUSE=${1:-build/llmfuse}
N=${2:-200}
T=$(mktemp -d /tmp/lf-bench.XXXXXX)
trap 'fusermount3 -u -z "$T/m" 2>/dev/null; rm -rf "$T"' EXIT
cc -O2 -o "$T/fs_latency" "$(dirname "$0")/fs_latency.c"
mkdir -p "$T/real" "$T/m"
echo "== real directory ($(df --output=fstype "$T" | tail -n 1))"
"$T/fs_latency" "$T/real" "$N"
for args in "" "--state $T/state.xml"; do
    "$LLMFUSE" mount "$T/m" --backend oracle $args 2>>"$T/log" &
    pid=$!
    for i in $(seq 1 100); do grep -q " $T/m fuse" /proc/mounts && break; sleep 0.05; done
    echo "== llmfuse, oracle backend ${args:-(no state file)}"
    "$T/fs_latency" "$T/m" "$N"
    fusermount3 -u "$T/m"
    wait "$pid"
done
