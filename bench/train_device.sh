#!/bin/bash
# train_device.sh: everything the trainer needs the GPU machine for, in one
# device call (each call starts a bare machine): build with CUDA, the
# CPU/CUDA agreement test, throughput beside the PyTorch peer, data and
# tokenizer, a time-limited training run, a checkpoint/resume check, and the
# engine's view of the exported model. Logs and results go under $OUT.
#
#   bash bench/train_device.sh [SRC] [TRAIN_SECONDS] [all|bench|quick]
# SRC: the source tree to build (default .); stages run on even if one
# fails, and the summary at the end says which did. "bench" stops after the
# test and the throughput runs (torch.compile at both shapes); "quick" runs
# the test, our default attention and PyTorch eager only.
set -u -o pipefail
SRC=${1:-.}
TRAIN_S=${2:-150}
MODE=${3:-all}
OUT=${OUT:-/tmp/train_out}
mkdir -p "$OUT"
W=/tmp/trainwork
mkdir -p $W
B=$W/build
declare -a SUMMARY
stage() { SUMMARY+=("$1: $2"); echo "=== $1: $2"; }

nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,power.limit --format=csv,noheader
CFG=layers=4,dim=256,heads=4,kv_heads=2,head_dim=64,ffn=768,tied=1

# 1. build (release: -O3, asserts off)
if meson setup $B "$SRC" -Dcuda=enabled -Dfuse=disabled -Dcurl=disabled -Dmicrohttpd=disabled \
      -Dtests=disabled -Dwerror=false --buildtype=release >$W/setup.log 2>&1 &&
   ninja -C $B >$W/ninja.log 2>&1; then
  stage build ok
else
  tail -30 $W/setup.log $W/ninja.log; stage build FAILED; exit 1
fi

# 2. CPU/CUDA one-step agreement
timeout 300 $B/tests/cuda/test_train_cuda 2>&1 | tee $OUT/cuda_test.txt
TEST_RC=$?
stage cuda_test "rc=$TEST_RC"
[ $TEST_RC -ne 0 ] && TRAIN_S=60   # keep the call short; the numbers above tell what to fix

# 3. throughput: ours and PyTorch's on the same shapes
ATTNS="flash cublas"; [ "$MODE" = quick ] && ATTNS=cublas
for attn in $ATTNS; do
  for shape in "32 512" "16 2048"; do
    set -- $shape
    LF_TRAIN_ATTN=$attn timeout 120 $B/bench/train_bench --config $CFG,vocab=4096,ctx=2048 --B $1 --T $2 --steps 30 2>&1 | tee -a $OUT/bench.txt
  done
done
M1=eager,compile; [ "$MODE" = quick ] && M1=eager
PYTHONUNBUFFERED=1 timeout 170 python3 "$SRC"/bench/train_peer.py --config $CFG,vocab=4096 --B 32 --T 512 --steps 30 --modes $M1 2>&1 | tee -a $OUT/bench.txt
M2=eager; [ "$MODE" = bench ] && M2=eager,compile
PYTHONUNBUFFERED=1 timeout 100 python3 "$SRC"/bench/train_peer.py --config $CFG,vocab=4096 --B 16 --T 2048 --steps 30 --modes $M2 2>&1 | tee -a $OUT/bench.txt
stage bench done
if [ "$MODE" != all ]; then
  echo; echo "=== summary"; printf '%s\n' "${SUMMARY[@]}"
  grep -hE "^(llmfuse-cuda|pytorch)" $OUT/bench.txt
  grep -E "^(all checks|FAIL)|steps:" $OUT/cuda_test.txt
  exit 0
fi

# 4. data (oracle episodes, split by episode) and tokenizer
cd $W
timeout 120 $B/llmfuse gen --oracle --seed 7 --episodes 800 --steps 64 --max-state-bytes 2500 \
  --out ds --split train=0.95,val=0.05,test=0 --no-progress 2>&1 | tail -2
wc -l ds.train.jsonl ds.val.jsonl
head -n 20000 ds.train.jsonl > tok_in.jsonl
timeout 120 $B/llmfuse tokenizer train --data tok_in.jsonl --vocab 4096 --out tok.gguf 2>&1 | tail -1
[ -s tok.gguf ] && stage data ok || stage data FAILED

# 5. checkpoint/resume on the GPU: 20 steps straight vs 10 + resume 10
R="--data ds.val.jsonl --tokenizer tok.gguf --config $CFG,ctx=2048 --steps 20 --batch-tokens 16384 --warmup 5 --device cuda"
timeout 120 $B/llmfuse train $R --out r1.gguf | grep "^step" > r1.txt
timeout 120 $B/llmfuse train $R --out r2.gguf --ckpt r2.ck --stop-at 10 | tail -1
timeout 120 $B/llmfuse train $R --out r2.gguf --resume r2.ck | grep "^step" > r2.txt
cat r1.txt r2.txt
python3 - <<'PY' && stage resume ok || stage resume FAILED
a = {l.split()[1]: float(l.split()[3]) for l in open("r1.txt")}
b = {l.split()[1]: float(l.split()[3]) for l in open("r2.txt")}
common = [k for k in b if k in a and int(k) >= 10]
assert common, "no common steps"
worst = max(abs(a[k] - b[k]) / a[k] for k in common)
print(f"resume: steps {common}, worst rel loss diff {worst:.2e}")
assert worst < 1e-3
PY

# 6. training run, time-limited (and fitted to what is left of a 10-minute
# call: ~70 s go to tokenizing, export and the engine check); steps sized
# from the measured throughput
LEFT=$(( 560 - SECONDS - 70 ))
[ $TRAIN_S -gt $LEFT ] && TRAIN_S=$LEFT
[ $TRAIN_S -lt 20 ] && TRAIN_S=20
TPS=$(grep -m1 "llmfuse-cuda.*T=512" $OUT/bench.txt | sed -E 's/.* ([0-9]+) tok\/s.*/\1/')
STEPS=$(( ${TPS:-300000} * (TRAIN_S - 20) / 32768 ))
[ $STEPS -gt 6000 ] && STEPS=6000
[ $STEPS -lt 100 ] && STEPS=100
echo "training $STEPS steps (${TPS:-?} tok/s measured)"
timeout $((TRAIN_S + 120)) $B/llmfuse train --data ds.train.jsonl --val ds.val.jsonl --tokenizer tok.gguf \
  --config $CFG,ctx=2048 --steps $STEPS --batch-tokens 32768 --lr 3e-3 --warmup 100 \
  --eval-every $(( STEPS / 6 > 0 ? STEPS / 6 : 1 )) --eval-batches 40 --time-limit $TRAIN_S \
  --ckpt $W/run.ck --device cuda --out $OUT/model.gguf 2>&1 | tee $OUT/train.txt
stage train "rc=$?"

# 7. the engine's loss on validation rows from the exported (bf16) model
timeout 120 $B/bench/train_engine_eval $OUT/model.gguf ds.val.jsonl 150 2>&1 | tee -a $OUT/train.txt
stage engine_eval "rc=$?"
cp tok.gguf $OUT/tok.gguf 2>/dev/null

echo; echo "=== summary"; printf '%s\n' "${SUMMARY[@]}"
grep -hE "^(llmfuse-cuda|pytorch)" $OUT/bench.txt
grep -E "^(all checks|FAIL)" $OUT/cuda_test.txt
grep -E "^eval|^exported|^engine" $OUT/train.txt
