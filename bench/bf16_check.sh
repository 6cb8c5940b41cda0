#!/usr/bin/env bash
# bf16_check.sh: does this CPU run bf16 activations natively, and do its
# answers equal the emulation's, bit for bit? (docs/ENGINE.md: the engine
# uses vdpbf16ps only after a self-test; every table must give the same
# bits.) Prints the CPU, the kernel table `llmfuse complete` picks (the
# native one is "avx512-bf16"), then the greedy answers of N <W> rows of the
# seed eval set under --act bf16, once with that table and once with
# LF_KERNELS=avx512-emu (the AVX-512F emulation; skipped without
# AVX-512F), and how many differ. Exit status 1 if any does.
#
#   bench/bf16_check.sh [BUILD_DIR] [N]     (default build, 12 rows)
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$ROOT/build}
N=${2:-12}
SEED=${SEED_EVAL:-$ROOT/../shared/data/seed-eval/fuse_100.jsonl}
MODEL=${LF_MODEL:-$ROOT/models/llmfuse.gguf}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'); avx512_bf16 flag: $(grep -qw avx512_bf16 /proc/cpuinfo && echo yes || echo no)"
printf '<R>\nread(/a)\n---\n<filesystem>' | "$B/llmfuse" complete --model "$MODEL" --max-tokens 4 \
    --act bf16 --stats 2>"$W/stats" >/dev/null || { cat "$W/stats"; exit 1; }
echo "table: $(sed -n 's/^kernels: \([^,]*\),.*/\1/p' "$W/stats")"
python3 - "$SEED" "$N" "$W" <<'EOF'
import json, sys
seed, n, w = sys.argv[1], int(sys.argv[2]), sys.argv[3]
k = 0
for line in open(seed):
    r = json.loads(line)
    if k < n and r["prompt"].startswith("<W>\n"):
        open("%s/row%03d.txt" % (w, k), "w").write(r["prompt"])
        k += 1
EOF
if ! grep -qw avx512f /proc/cpuinfo; then
    echo "no AVX-512F: no emulation table to compare with"
    exit 0
fi
differ=0 rows=0
for r in "$W"/row*.txt; do
    "$B/llmfuse" complete --model "$MODEL" --act bf16 --stop '<END_FS>' <"$r" >"$r.native" || exit 1
    LF_KERNELS=avx512-emu "$B/llmfuse" complete --model "$MODEL" --act bf16 --stop '<END_FS>' \
        <"$r" >"$r.emu" || exit 1
    cmp -s "$r.native" "$r.emu" || differ=$((differ + 1))
    rows=$((rows + 1))
done
echo "answers that differ between this table and the emulation: $differ / $rows"
[ "$differ" = 0 ]
