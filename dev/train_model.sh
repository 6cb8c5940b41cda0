#!/bin/bash
# train_model.sh: trains the bundled model (models/llmfuse.gguf) in device
# calls of at most 10 minutes: builds with CUDA (kept between calls on a
# warm machine), generates fresh oracle data for this call (GEN_PROCS
# processes at once, seeds from DATA_SEED; half of them with the weak ops
# weighted up), trains until the call's time runs out, exports bf16 to
# $OUT/model.gguf. Meanwhile the CPU cores evaluate EVAL_MODEL (the previous
# call's export, or any GGUF) on the held-out kernel rows in .evaldata/
# (bench/model_eval.sh), so each call also measures the last one's model.
#
#   bash dev/train_model.sh
# Environment:
#   STEPS (60000)        the cosine schedule's length (over all calls)
#   CKPT (.ckpt/ckpt)    checkpoint; resumed from when it exists (a warm
#                        machine keeps it between calls: it is never sent back)
#   INIT (none)          start from this GGUF's weights instead (fresh AdamW)
#   CTX (none)           with INIT: train at this context length (--ctx)
#   LAYERS, FFN, HEADS   with INIT: grow the model to this many layers, FFN
#                        units a layer or query heads (--layers, --ffn,
#                        --heads: the new parts start as no-ops)
#   CFG, LR (2e-3), WARMUP (300), TOKENIZER (models/tokenizer.gguf)
#   DATA_SEED (1), EPISODES (6000), GEN_PROCS (8), CALL_SECONDS (590)
#   HEAVY (odd)          which generator processes weight write, truncate,
#                        rename, append and cp up: odd, all or none
#   WEIGHTS (see below)  the heavy processes' --weights
#   NONEMPTY (0)         the heavy processes' --nonempty: the share (%) of
#                        writes, appends and truncates on files with content
#   EVAL_MODEL (none)    a GGUF to evaluate on the CPU during training;
#                        "last" = the previous call's export on this machine
#   EVAL_CHUNKS (6)      processes for that evaluation
#   FOCAL (0)            --focal: hard-token weighting of the loss (not kept in
#                        the checkpoint: give it to every call of a run)
#   CONTENT_BYTES (0)    1: --content-bytes, file contents one token per byte
#                        (give it to every call; an INIT model marked so keeps it)
#   BATCH_TOKENS (65536) tokens a GPU reads per step (a wider model with
#                        cuBLAS attention needs fewer: its score buffers
#                        grow with heads x tokens x context)
#   CUDA_TEST (0)        1: run the CPU/CUDA agreement test (tests/cuda) first
#   EVAL_AFTER (0)       1: also evaluate this call's export after training
#                        (all cores), into $OUT/eval_after.txt
#   BENCH_GPUS (0)       N > 1: before training, time bench/train_bench on
#                        one GPU then N in one process (the model's shape,
#                        32 x 2048-token rows a GPU) into $OUT/train_bench.txt
#   GPUS (1)             data parallel over this many GPUs (--gpus; NCCL from
#                        $LF_NCCL_LIB, else the loader's path, else PyTorch's
#                        nvidia-nccl package); give EPISODES and GEN_PROCS
#                        in proportion, since each step reads GPUS batches
set -u -o pipefail
OUT=${OUT:-/tmp/train_out}
W=/tmp/tm
B=$W/build
CFG=${CFG:-layers=8,dim=256,heads=4,kv_heads=2,head_dim=64,ffn=768,ctx=4096,tied=1}
CKPT=${CKPT:-.ckpt/ckpt}
STEPS=${STEPS:-60000}
DATA_SEED=${DATA_SEED:-1}
EPISODES=${EPISODES:-6000}
GEN_PROCS=${GEN_PROCS:-8}
mkdir -p "$OUT" $W "$(dirname "$CKPT")"
nvidia-smi --query-gpu=name --format=csv,noheader
# Built once per machine: later calls on a warm machine keep the first
# call's binaries, so the whole run uses one trainer and engine.
if [ ! -x $B/llmfuse ]; then
    meson setup $B . -Dcuda=enabled -Dfuse=disabled -Dcurl=disabled -Dmicrohttpd=disabled \
        -Dtests=disabled -Dwerror=false --buildtype=release >$W/setup.log 2>&1 &&
        ninja -C $B >$W/ninja.log 2>&1 || { tail -30 $W/setup.log $W/ninja.log; exit 1; }
fi
echo "built at ${SECONDS}s"
# NCCL, for several GPUs (GPUS > 1, and the CUDA test's two-GPU part)
if [ -z "${LF_NCCL_LIB:-}" ] && ! ldconfig -p | grep -F -e libnccl.so.2 >/dev/null; then
    NC=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib", "libnccl.so.2"))' 2>/dev/null)
    [ -f "$NC" ] && export LF_NCCL_LIB=$NC
fi
if [ "${CUDA_TEST:-0}" = 1 ]; then
    timeout 180 $B/tests/cuda/test_train_cuda > $OUT/cuda_test.txt 2>&1 ||
        { tail -40 $OUT/cuda_test.txt; echo "CUDA/CPU agreement test failed"; exit 1; }
    tail -3 $OUT/cuda_test.txt; echo "tested at ${SECONDS}s"
fi
if [ "${BENCH_GPUS:-0}" -gt 1 ]; then
    timeout 120 $B/bench/train_bench --config "$CFG,vocab=4096" --B 32 --T 2048 --steps 20 \
        --warmup 5 --gpus "$BENCH_GPUS" > $OUT/train_bench.txt 2>&1
    tail -8 $OUT/train_bench.txt; echo "benchmarked at ${SECONDS}s"
fi

# Evaluation of the previous model on the spare cores, in the background.
# evaluate MODEL NAME CHUNKS: bench/model_eval.sh on the held-out rows, a
# summary into $OUT/NAME.txt
evaluate() {
    local E=$W/$2; rm -rf $E; mkdir -p $E/data; cp .evaldata/test.jsonl .evaldata/ep.jsonl $E/data/
    LF_EVAL_ONLY=1 LF_MODEL=$1 nice -n 5 bash bench/model_eval.sh $B/llmfuse $E $3 > $W/$2.txt 2>&1
    grep -E "^(test rows|state still|episode )" $W/$2.txt > $OUT/$2.txt
    sed -n '/^## /,$p' $E/test/report.md | head -60 >> $OUT/$2.txt
}
EVAL_PID=
[ "${EVAL_MODEL:-}" = last ] && EVAL_MODEL=$W/last.gguf
if [ -n "${EVAL_MODEL:-}" ]; then
    evaluate "$EVAL_MODEL" eval "${EVAL_CHUNKS:-6}" &
    EVAL_PID=$!
fi

# Fresh data for this call.
rm -f $W/ds_*.jsonl
EP=$(( EPISODES / GEN_PROCS ))
for i in $(seq 0 $(( GEN_PROCS - 1 ))); do
    WT=(); { [ "${HEAVY:-odd}" = all ] || { [ "${HEAVY:-odd}" = odd ] && [ $(( i % 2 )) = 1 ]; }; } &&
        WT=(--weights "${WEIGHTS:-mkdir=14,touch=12,write=20,read=10,rm=10,rmdir=10,chmod=8,chown=8,ls=8,readlink=6,truncate=14,rename=12,symlink=6,append=10,cp=6,rmr=3}"
            --nonempty "${NONEMPTY:-0}")
    $B/llmfuse gen --oracle --seed $(( DATA_SEED * 1000 + i )) --episodes $EP --steps 64 \
        "${WT[@]}" --out $W/ds_$i --split train=0.98,val=0.02,test=0 --no-progress >/dev/null 2>&1 &
done
wait $(jobs -p | grep -v "^${EVAL_PID:-x}$") 2>/dev/null
TRAIN=$(ls $W/ds_*.train.jsonl | paste -sd,)
cat $W/ds_*.train.jsonl | wc -l
LEFT=$(( ${CALL_SECONDS:-590} - SECONDS - 60 ))
echo "data at ${SECONDS}s; training for at most ${LEFT}s"
R=()
if [ -f "$CKPT" ]; then R=(--resume "$CKPT")
elif [ -n "${INIT:-}" ]; then
    R=(--init "$INIT"); [ -n "${CTX:-}" ] && R+=(--ctx "$CTX"); [ -n "${LAYERS:-}" ] && R+=(--layers "$LAYERS")
    [ -n "${FFN:-}" ] && R+=(--ffn "$FFN"); [ -n "${HEADS:-}" ] && R+=(--heads "$HEADS")
fi
CB=(); [ "${CONTENT_BYTES:-0}" = 1 ] && CB=(--content-bytes)
GPUS=${GPUS:-1}
echo "start: ${R[*]:-from scratch}; $GPUS GPU(s)"
$B/llmfuse train --data "$TRAIN" --val $W/ds_0.val.jsonl --tokenizer "${TOKENIZER:-models/tokenizer.gguf}" \
  --config $CFG --steps "$STEPS" --batch-tokens "${BATCH_TOKENS:-65536}" --lr "${LR:-2e-3}" --warmup "${WARMUP:-300}" \
  --eval-every 1000 --eval-batches 20 --time-limit $LEFT --ckpt "$CKPT" --dtype bf16 \
  --device cuda --gpus "$GPUS" --focal "${FOCAL:-0}" --out $OUT/model.gguf "${R[@]}" "${CB[@]}" 2>&1 | tee $OUT/train.txt |
  grep -E '^(data|model|loss|encoding|eval|stopping|exported|checkpoint)|^step +[0-9]*000 '
echo "trained at ${SECONDS}s"
[ -f $OUT/model.gguf ] && cp $OUT/model.gguf $W/last.gguf
if [ -n "$EVAL_PID" ]; then wait $EVAL_PID; cat $OUT/eval.txt | head -40; fi
if [ "${EVAL_AFTER:-0}" = 1 ] && [ -f $OUT/model.gguf ]; then
    evaluate $OUT/model.gguf eval_after 14; echo "evaluated at ${SECONDS}s"; head -40 $OUT/eval_after.txt
fi
ls -la $OUT
