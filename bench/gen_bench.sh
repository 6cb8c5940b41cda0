#!/bin/bash
# gen_bench.sh: rows per second of `llmfuse gen` in kernel mode (the
# reference filesystem on a real FUSE mount; needs /dev/fuse and root or
# fusermount3) and oracle mode (no mount), same seed and workload, plus a
# check that both modes produced the same rows.
#   usage: bench/gen_bench.sh [LLMFUSE] [EPISODES] [STEPS]
set -eu
LLMFUSE=${1:-build/llmfuse}
EP=${2:-200}
ST=${3:-100}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rows=$((EP * ST))
now() { date +%s.%N; }
rate() { awk -v n="$rows" -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", n / (b - a) }'; }
for mode in kernel oracle; do
    flag=""
    [ "$mode" = oracle ] && flag=--oracle
    best=0
    for run in 1 2 3; do
        a=$(now)
        "$LLMFUSE" gen $flag --seed 2026 --episodes "$EP" --steps "$ST" --no-progress \
            --out "$T/$mode.jsonl"
        b=$(now)
        r=$(rate "$a" "$b")
        [ "$r" -gt "$best" ] && best=$r
    done
    echo "$mode: $rows rows, best of 3: $best rows/s"
done
strip() { sed 's/, "source": "[a-z]*"}}$/}}/' "$1"; }
if cmp -s <(strip "$T/kernel.jsonl") <(strip "$T/oracle.jsonl"); then
    echo "kernel and oracle rows identical"
else
    echo "kernel and oracle rows DIFFER"
    exit 1
fi
