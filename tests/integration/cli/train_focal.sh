#!/usr/bin/env bash
# train_focal.sh: `llmfuse train --focal G` (hard-token weighting, train.h
# lf_topt.focal) runs through the CLI: it says so in the log, it changes
# the trained weights against the plain loss from the same start and data
# (same seed, same steps), --focal 0 is the plain loss bit for bit, and
# values outside 0..8 are refused.
. "$(dirname "$0")/lib_train.sh"
T=(--data "$SEED_EVAL" --tokenizer "$tmp/tok.gguf" --steps 3 --batch-tokens 4096 --dtype f32
   --seed 5 --lr 3e-3 --warmup 1 --config layers=1,dim=32,heads=1,kv_heads=1,head_dim=32,ffn=64,ctx=512)

"$LLMFUSE" train "${T[@]}" --out "$tmp/plain.gguf" >"$tmp/plain.log" 2>&1 ||
    fail "plain: $(tail -n 3 "$tmp/plain.log")"
"$LLMFUSE" train "${T[@]}" --focal 0 --out "$tmp/zero.gguf" >"$tmp/log" 2>&1 ||
    fail "--focal 0: $(tail -n 3 "$tmp/log")"
"$LLMFUSE" train "${T[@]}" --focal 1 --out "$tmp/focal.gguf" >"$tmp/focal.log" 2>&1 ||
    fail "--focal 1: $(tail -n 3 "$tmp/focal.log")"
grep -q 'focal-weighted' "$tmp/focal.log" || fail "the log does not say the loss is weighted"
grep -q 'focal-weighted' "$tmp/plain.log" && fail "the plain run says it is weighted"
cmp -s "$tmp/plain.gguf" "$tmp/zero.gguf" || fail "--focal 0 differs from the plain loss"
cmp -s "$tmp/plain.gguf" "$tmp/focal.gguf" && fail "--focal 1 trained the same weights as the plain loss"
for g in -1 9 nan; do
    "$LLMFUSE" train "${T[@]}" --focal "$g" --out "$tmp/bad.gguf" >"$tmp/log" 2>&1 &&
        fail "--focal $g was accepted"
    [ ! -e "$tmp/bad.gguf" ] || fail "output written for --focal $g"
done
echo "ok"
