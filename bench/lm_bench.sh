#!/usr/bin/env bash
# lm_bench.sh: the engine against llama.cpp on the same GGUF files, on this
# machine, and the copy-speculation speedup on real <W> rows.
#
#   bench/lm_bench.sh [WORKDIR]
#
# - builds the release tree (build-lmrel) and bench/make_random_gguf,
#   bench/lm_bench;
# - installs node-llama-cpp@3.21.1 into WORKDIR (a scratch folder, never the
#   repository; PEERS.md) and builds bench/llama_peer.c against its prebuilt
#   llama.cpp;
# - writes random-weight models into WORKDIR: "10m" (8 layers, dim 256, ffn
#   1024, vocab 8192) and "0.6b" (Qwen3-0.6B's shape), F16 and Q8_0;
# - per model and thread count, runs ours and llama.cpp alternately (the
#   machine is noisy), prefill 512 tokens and decode 128, best of 3 runs
#   each, and prints tok/s, the ratio ours/llama.cpp and peak RSS;
# - runs `llmfuse complete` on the <W> rows of the seed eval set with and
#   without copy-speculation (same model, same run) and prints decode tok/s.
# Environment: THREADS="1 2" MODELS="10m-f16 10m-q8_0 0.6b-f16 0.6b-q8_0"
# SPEC_ROWS=20 SPEC_MODEL=path (default: the 10m F16 model), SKIP_PEER=1
# (only the speculation part). Output is also kept in WORKDIR/results.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-/tmp/lf-lm-bench}
THREADS=${THREADS:-"1 2"}
MODELS=${MODELS:-"10m-f16 10m-q8_0 0.6b-f16 0.6b-q8_0"}
SPEC_ROWS=${SPEC_ROWS:-20}
mkdir -p "$W"
exec > >(tee "$W/results.txt") 2>&1   # keep a copy of everything printed
B=$ROOT/build-lmrel
if [ ! -d "$B" ]; then
    meson setup "$B" "$ROOT" --buildtype=release -Dwerror=false >/dev/null
fi
ninja -C "$B" bench/make_random_gguf bench/lm_bench llmfuse >/dev/null

# llama.cpp from node-llama-cpp (scratch folder only)
if [ ! -x "$W/llama_peer" ]; then
    (cd "$W" && [ -d node_modules/node-llama-cpp ] || npm i -E node-llama-cpp@3.21.1 >/dev/null 2>&1)
    [ -d "$W/src/llama.cpp" ] || git clone -q "$W/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$W/src/llama.cpp"
    L=$W/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
    gcc -O2 -o "$W/llama_peer" "$ROOT/bench/llama_peer.c" -I"$W/src/llama.cpp/include" \
        -I"$W/src/llama.cpp/ggml/include" "$L/libllama.v0.4.0.so" "$L/libggml.v0.4.0.so" \
        "$L/libggml-base.so" -Wl,-rpath,"$L"
fi
L=$W/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64

for m in $MODELS; do
    f=$W/$m.gguf
    [ -f "$f" ] || "$B/bench/make_random_gguf" "${m%-*}" "${m##*-}" "$f"
done

rss() { grep -o 'Maximum resident set size (kbytes): [0-9]*' "$1" | awk '{printf "%.0f", $NF/1024}'; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%FT%TZ)"
echo
echo "| model | threads | ours prefill | llama.cpp prefill | ratio | ours decode | llama.cpp decode | ratio | RSS ours / llama.cpp (MiB) |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in $MODELS; do
    [ -n "${SKIP_PEER:-}" ] && break
    f=$W/$m.gguf
    for t in $THREADS; do
        bo=0 go=0 bp=0 gp=0
        for round in 1 2; do
            o=$(/usr/bin/time -v -o "$W/rss_ours" "$B/bench/lm_bench" "$f" "$t" 512 128 3)
            p=$(/usr/bin/time -v -o "$W/rss_peer" "$W/llama_peer" "$L" "$f" "$t" 512 128 3)
            read -r a b < <(echo "$o" | awk '{print $3, $6}')
            read -r c d < <(echo "$p" | awk '{print $3, $6}')
            bo=$(echo "$a $bo" | awk '{print ($1>$2)?$1:$2}')
            go=$(echo "$b $go" | awk '{print ($1>$2)?$1:$2}')
            bp=$(echo "$c $bp" | awk '{print ($1>$2)?$1:$2}')
            gp=$(echo "$d $gp" | awk '{print ($1>$2)?$1:$2}')
        done
        echo "| $m | $t | $bo | $bp | $(echo "$bo $bp" | awk '{printf "%.2f", $1/$2}') | $go | $gp | $(echo "$go $gp" | awk '{printf "%.2f", $1/$2}') | $(rss "$W/rss_ours") / $(rss "$W/rss_peer") |"
    done
done

# copy-speculation on real <W> rows
SEED=${SEED_EVAL:-$ROOT/../shared/data/seed-eval/fuse_100.jsonl}
SM=${SPEC_MODEL:-$W/10m-f16.gguf}
if [ -f "$SEED" ] && [ -f "$SM" ]; then
    echo
    echo "copy-speculation: $SM, first $SPEC_ROWS <W> rows of $(basename "$SEED"), max 256 tokens each"
    python3 - "$SEED" "$SPEC_ROWS" "$W/rows" <<'EOF'
import json, os, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
k = 0
for line in open(src):
    p = json.loads(line)["prompt"]
    if p.startswith("<W>\n") and k < n:
        open(os.path.join(out, "%03d.txt" % k), "w").write(p)
        k += 1
EOF
    for mode in --no-spec ""; do
        tot_tok=0 tot_s=0 same=0
        for r in "$W"/rows/*.txt; do
            "$B/llmfuse" complete --model "$SM" --max-tokens 256 --stop '<END_FS>' --threads 1 \
                --stats $mode < "$r" > "$r.out${mode:-spec}" 2> "$W/stats"
            tok=$(sed -n 's/^decode: \([0-9]*\) tokens in \([0-9.]*\) s.*/\1/p' "$W/stats")
            s=$(sed -n 's/^decode: \([0-9]*\) tokens in \([0-9.]*\) s.*/\2/p' "$W/stats")
            tot_tok=$((tot_tok + tok))
            tot_s=$(echo "$tot_s $s" | awk '{print $1+$2}')
            [ -z "$mode" ] && cmp -s "$r.out--no-spec" "$r.outspec" && same=$((same + 1))
            [ -z "$mode" ] && grep -h '^speculation' "$W/stats" >> "$W/spec_lines"
        done
        echo "${mode:---spec}: $tot_tok tokens in $tot_s s: $(echo "$tot_tok $tot_s" | awk '{printf "%.1f", $1/$2}') tok/s"
    done
    echo "identical outputs with and without speculation: $same / $(ls "$W"/rows/*.txt | wc -l)"
    awk '{d+=$3; a+=$5} END {printf "drafted %d, accepted %d (%.1f%%)\n", d, a, d?100*a/d:0}' \
        < <(sed 's/,//g' "$W/spec_lines")
    rm -f "$W/spec_lines"
fi
