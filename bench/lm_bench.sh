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
# - runs `llmfuse complete` on real <W> rows with and without
#   copy-speculation (same model, same run, alternating, best of
#   SPEC_REPEAT per row) and prints decode tok/s, the ratio, acceptance and
#   whether the outputs are identical. Rows: the first SPEC_ROWS <W> prompts
#   of the seed eval set, plus SPEC_GEN_ROWS mutation rows (completion
#   starting with a state) of `llmfuse gen --oracle --seed 4343 --episodes 5
#   --steps 50` (SPEC_GEN="seed episodes steps"). Each thread count runs in
#   both activation modes (SPEC_ACT="off on": --act fp32 and --act
#   bf16), all four runs of a row alternating, and reports per mode,
#   plus how many rows' answers differ between the two modes; then the
#   plain prefill/decode speed of the model (bench/lm_bench) in both modes.
# Environment: THREADS="1 2" MODELS="10m-f16 10m-q8_0 0.6b-f16 0.6b-q8_0"
# SPEC_MODEL=path (any GGUF; default models/llmfuse.gguf), SPEC_ROWS=20,
# SPEC_GEN_ROWS=20, SPEC_GEN="4343 5 50", SPEC_MAX_TOKENS=1024,
# SPEC_THREADS="1 2", SPEC_REPEAT=3, SPEC_ACT="off on", SKIP_PEER=1 (only the speculation part,
# no llama.cpp), LF_BUILD=dir (a configured release build to use instead of
# build-lmrel). Output is also kept in WORKDIR/results.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-/tmp/lf-lm-bench}
THREADS=${THREADS:-"1 2"}
MODELS=${MODELS:-"10m-f16 10m-q8_0 0.6b-f16 0.6b-q8_0"}
SPEC_ROWS=${SPEC_ROWS:-20}
mkdir -p "$W"
exec > >(tee "$W/results.txt") 2>&1   # keep a copy of everything printed
B=${LF_BUILD:-$ROOT/build-lmrel}
if [ ! -d "$B" ]; then
    meson setup "$B" "$ROOT" --buildtype=release -Dwerror=false >/dev/null
fi
ninja -C "$B" bench/make_random_gguf bench/lm_bench llmfuse >/dev/null

# llama.cpp from node-llama-cpp (scratch folder only)
if [ -z "${SKIP_PEER:-}" ] && [ ! -x "$W/llama_peer" ]; then
    (cd "$W" && [ -d node_modules/node-llama-cpp ] || npm i -E node-llama-cpp@3.21.1 >/dev/null 2>&1)
    [ -d "$W/src/llama.cpp" ] || git clone -q "$W/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$W/src/llama.cpp"
    L=$W/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
    gcc -O2 -o "$W/llama_peer" "$ROOT/bench/llama_peer.c" -I"$W/src/llama.cpp/include" \
        -I"$W/src/llama.cpp/ggml/include" "$L/libllama.v0.4.0.so" "$L/libggml.v0.4.0.so" \
        "$L/libggml-base.so" -Wl,-rpath,"$L"
fi
L=$W/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64

for m in $MODELS; do
    [ -n "${SKIP_PEER:-}" ] && break
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
[ -d "$SEED" ] && SEED=$SEED/fuse_100.jsonl
SM=${SPEC_MODEL:-$ROOT/models/llmfuse.gguf}
SPEC_GEN_ROWS=${SPEC_GEN_ROWS:-20}
SPEC_MAX_TOKENS=${SPEC_MAX_TOKENS:-1024}
SPEC_REPEAT=${SPEC_REPEAT:-3}
read -r GSEED GEPI GSTEPS <<< "${SPEC_GEN:-4343 5 50}"
if [ -f "$SM" ]; then
    rm -rf "$W/rows" && mkdir -p "$W/rows"
    : > "$W/gen.jsonl"
    if [ "$SPEC_GEN_ROWS" -gt 0 ]; then
        "$B/llmfuse" gen --oracle --seed "$GSEED" --episodes "$GEPI" --steps "$GSTEPS" \
            --no-progress --out "$W/gen.jsonl" >/dev/null 2>&1
    fi
    python3 - "$SEED" "$SPEC_ROWS" "$W/gen.jsonl" "$SPEC_GEN_ROWS" "$W/rows" <<'EOF'
import json, os, sys
seed, n, gen, ng, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
def take(path, n, prefix, need_state):
    k = 0
    if not os.path.isfile(path):
        return
    for line in open(path):
        r = json.loads(line)
        if k >= n or not r["prompt"].startswith("<W>\n"):
            continue
        if need_state and not r.get("completion", "").startswith("<filesystem>"):
            continue
        open(os.path.join(out, "%s%03d.txt" % (prefix, k)), "w").write(r["prompt"])
        k += 1
take(seed, n, "seed", False)
take(gen, ng, "gen", True)
EOF
    nrows=$(ls "$W"/rows/*.txt 2>/dev/null | wc -l)
    echo
    echo "copy-speculation: $SM; $nrows <W> rows ($(ls "$W"/rows/seed*.txt 2>/dev/null | wc -l)" \
         "from $(basename "$SEED"), $(ls "$W"/rows/gen*.txt 2>/dev/null | wc -l) mutations from" \
         "gen --oracle --seed $GSEED); --max-tokens $SPEC_MAX_TOKENS --stop '<END_FS>';" \
         "best of $SPEC_REPEAT alternating runs per row"
    echo
    echo "| threads | bf16 act | plain tok/s | speculative tok/s | speedup | tokens | identical | drafted | accepted | tokens/forward |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    ACTS=${SPEC_ACT:-off on}
    for t in ${SPEC_THREADS:-1 2}; do
        declare -A tp ts
        for a in $ACTS; do tp[$a]=0 ts[$a]=0; done
        for r in "$W"/rows/*.txt; do
            declare -A bp bs
            for a in $ACTS; do bp[$a]=1e9 bs[$a]=1e9; done
            for rep in $(seq "$SPEC_REPEAT"); do
                for a in $ACTS; do
                    aflag="--act fp32"; [ "$a" = on ] && aflag="--act bf16"
                    for mode in no-spec spec; do
                        flag=; [ $mode = no-spec ] && flag=--no-spec
                        "$B/llmfuse" complete --model "$SM" --max-tokens "$SPEC_MAX_TOKENS" \
                            --stop '<END_FS>' --threads "$t" --stats $flag $aflag < "$r" \
                            > "$r.$a.$mode" 2> "$W/stats.$a.$mode.$(basename "$r")"
                        s=$(sed -n 's/^decode: [0-9]* tokens in \([0-9.]*\) s.*/\1/p' \
                            "$W/stats.$a.$mode.$(basename "$r")")
                        if [ $mode = no-spec ]; then
                            bp[$a]=$(echo "${bp[$a]} $s" | awk '{print ($2<$1)?$2:$1}')
                        else
                            bs[$a]=$(echo "${bs[$a]} $s" | awk '{print ($2<$1)?$2:$1}')
                        fi
                    done
                done
            done
            for a in $ACTS; do
                tp[$a]=$(echo "${tp[$a]} ${bp[$a]}" | awk '{print $1+$2}')
                ts[$a]=$(echo "${ts[$a]} ${bs[$a]}" | awk '{print $1+$2}')
            done
        done
        for a in $ACTS; do
            tot_tok=0 same=0 drafted=0 accepted=0 fw=0
            for r in "$W"/rows/*.txt; do
                st=$W/stats.$a.spec.$(basename "$r")
                tok=$(sed -n 's/^decode: \([0-9]*\) tokens.*/\1/p' "$st")
                f=$(sed -n 's/^decode: .* \([0-9]*\) forward calls.*/\1/p' "$st")
                read -r d ac < <(sed -n 's/^speculation: on, \([0-9]*\) drafted, \([0-9]*\) accepted.*/\1 \2/p' "$st")
                cmp -s "$r.$a.no-spec" "$r.$a.spec" && same=$((same + 1))
                tot_tok=$((tot_tok + tok)) drafted=$((drafted + d)) accepted=$((accepted + ac)) fw=$((fw + f))
            done
            echo "$t $a ${tp[$a]} ${ts[$a]} $tot_tok $same $nrows $drafted $accepted $fw" | awk '{
                printf "| %d | %s | %.0f | %.0f | %.2fx | %d | %d / %d | %d | %d (%.1f%%) | %.2f |\n",
                    $1, $2, $5/$3, $5/$4, $3/$4, $5, $6, $7, $8, $9, $8?100*$9/$8:0, $10?$5/$10:0}'
        done
        unset tp ts
    done
    if [ "$ACTS" = "off on" ]; then
        diff_rows=0
        for r in "$W"/rows/*.txt; do
            cmp -s "$r.off.no-spec" "$r.on.no-spec" || diff_rows=$((diff_rows + 1))
        done
        echo
        echo "greedy answers that differ between fp32 and bf16 activations: $diff_rows / $nrows rows"
    fi
    echo
    echo "plain speed of $SM (bench/lm_bench: prefill 512 random tokens, decode 128; best of 3):"
    for t in ${SPEC_THREADS:-1 2}; do
        for a in $ACTS; do
            arg=; [ "$a" = on ] && arg=bf16
            echo "  threads $t, bf16 act $a: $("$B/bench/lm_bench" "$SM" "$t" 512 128 3 $arg)"
        done
    done
fi
