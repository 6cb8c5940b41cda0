#!/bin/bash
# train_model.sh: trains the bundled model (models/llmfuse.gguf) in one device
# call: builds with CUDA, regenerates the (seeded, so identical every time)
# oracle dataset (DATA_SEED, default 1001), trains with the committed tokenizer (models/tokenizer.gguf)
# until the time left in the call runs out, and leaves the exported model,
# the checkpoint parts (resume with a second argument) and the log in $OUT.
#
#   bash dev/train_model.sh [STEPS] [RESUME_CKPT]
# Environment: DATA_SEED (1001), EPISODES (4000), CALL_SECONDS (585: the
# call's whole budget, training gets what is left), CKPT_DIR ($OUT; a folder
# outside $OUT keeps the 49 MB checkpoint off the transfer back).
set -u -o pipefail
STEPS=${1:-11000}
RESUME=${2:-}
OUT=${OUT:-/tmp/train_out}
W=/tmp/tm
B=$W/build
CFG=layers=4,dim=256,heads=4,kv_heads=2,head_dim=64,ffn=768,ctx=4096,tied=1
mkdir -p "$OUT" $W
nvidia-smi --query-gpu=name --format=csv,noheader
meson setup $B . -Dcuda=enabled -Dfuse=disabled -Dcurl=disabled -Dmicrohttpd=disabled \
  -Dtests=disabled -Dwerror=false --buildtype=release >$W/setup.log 2>&1 &&
  ninja -C $B >$W/ninja.log 2>&1 || { tail -30 $W/setup.log $W/ninja.log; exit 1; }
echo "built at ${SECONDS}s"
$B/llmfuse gen --oracle --seed "${DATA_SEED:-1001}" --episodes "${EPISODES:-4000}" --steps 64 --out $W/ds \
  --split train=0.98,val=0.02,test=0 --no-progress 2>&1 | tail -1
wc -l $W/ds.train.jsonl $W/ds.val.jsonl
LEFT=$(( ${CALL_SECONDS:-585} - SECONDS - 75 ))
echo "data at ${SECONDS}s; training for at most ${LEFT}s"
R=()
[ -n "$RESUME" ] && R=(--resume "$RESUME")
$B/llmfuse train --data $W/ds.train.jsonl --val $W/ds.val.jsonl --tokenizer models/tokenizer.gguf \
  --config $CFG --steps "$STEPS" --batch-tokens 65536 --lr 3e-3 --warmup 200 \
  --eval-every 1000 --eval-batches 20 --time-limit $LEFT --ckpt "${CKPT_DIR:-$OUT}/ckpt" --dtype bf16 \
  --device cuda --out $OUT/model.gguf "${R[@]}" 2>&1 | tee $OUT/train.txt | grep -E '^(data|model|eval|stopping|exported|checkpoint)|^step +[0-9]*[05]00 '
echo "trained at ${SECONDS}s"
ls -la $OUT
