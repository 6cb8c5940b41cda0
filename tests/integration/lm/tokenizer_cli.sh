#!/bin/bash
# tokenizer_cli.sh: `llmfuse tokenizer train|encode|decode|export-json` and
# `llmfuse tokenizer prune` and `llmfuse inspect` end to end: train on the seed set, round-trip text through
# encode/decode, check the written metadata, and that malformed files fail
# with a message (exit 1), never a crash.
set -euo pipefail
: "${LLMFUSE:?}" "${SEED_EVAL:?}"
[ -r "$SEED_EVAL" ] || { echo "no seed set at $SEED_EVAL"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$LLMFUSE" tokenizer train --data "$SEED_EVAL,$SEED_EVAL" --vocab 600 --out "$dir/tok.gguf"
"$LLMFUSE" inspect "$dir/tok.gguf" > "$dir/inspect.txt"
grep -q 'tokenizer.ggml.pre .*"qwen2"' "$dir/inspect.txt"
grep -q 'tokenizer.ggml.tokens .*\[str x 600\]' "$dir/inspect.txt"
grep -q 'tokenizer.ggml.eos_token_id .*596' "$dir/inspect.txt"
grep -q '^total: 0 parameters' "$dir/inspect.txt"

# Round trip: the seed set, and bytes that are not UTF-8.
"$LLMFUSE" tokenizer encode --model "$dir/tok.gguf" < "$SEED_EVAL" > "$dir/ids"
"$LLMFUSE" tokenizer decode --model "$dir/tok.gguf" < "$dir/ids" | cmp - "$SEED_EVAL"
head -c 20000 /dev/urandom > "$dir/rand"
"$LLMFUSE" tokenizer encode --model "$dir/tok.gguf" --no-special < "$dir/rand" > "$dir/rids"
"$LLMFUSE" tokenizer decode --model "$dir/tok.gguf" < "$dir/rids" | cmp - "$dir/rand"

# Special tokens: one id each with parse_special (the default), several without.
[ "$(printf '<W>' | "$LLMFUSE" tokenizer encode --model "$dir/tok.gguf")" = 597 ]
[ "$(printf '<W>' | "$LLMFUSE" tokenizer encode --model "$dir/tok.gguf" --no-special | wc -w)" -gt 1 ]

# Prune with 10 rows of the seed set as the corpus: the merges they never
# make are left out and counted in the metadata; text still round-trips;
# those rows encode as before (a second prune at min 1 finds nothing).
head -n 10 "$SEED_EVAL" > "$dir/few.jsonl"
"$LLMFUSE" tokenizer prune --model "$dir/tok.gguf" --data "$dir/few.jsonl" --min 1 \
    --out "$dir/pruned.gguf" > "$dir/prune.txt"
n=$(sed -nE 's/^.*: ([0-9]+) of ([0-9]+) merges left out \(made fewer than 1 times in 10 rows.*/\1/p' "$dir/prune.txt")
[ -n "$n" ] && [ "$n" -gt 0 ] || { cat "$dir/prune.txt"; exit 1; }
"$LLMFUSE" inspect "$dir/pruned.gguf" | grep -qE "tokenizer.llmfuse.pruned_merges +u32 +$n\$"
"$LLMFUSE" tokenizer encode --model "$dir/pruned.gguf" < "$SEED_EVAL" > "$dir/pids"
"$LLMFUSE" tokenizer decode --model "$dir/pruned.gguf" < "$dir/pids" | cmp - "$SEED_EVAL"
"$LLMFUSE" tokenizer prune --model "$dir/pruned.gguf" --data "$dir/few.jsonl" --min 1 \
    --out "$dir/pruned2.gguf" | grep -q ': 0 of .* merges left out'
rc=0
"$LLMFUSE" tokenizer prune --model "$dir/tok.gguf" --data "$dir/missing.jsonl" --min 1 \
    --out "$dir/x.gguf" 2> "$dir/err" || rc=$?
[ "$rc" = 1 ] && grep -q 'missing.jsonl' "$dir/err" && [ ! -e "$dir/x.gguf" ]
rc=0
"$LLMFUSE" tokenizer prune --model "$dir/tok.gguf" --data "$SEED_EVAL" --out "$dir/x.gguf" \
    2> /dev/null || rc=$?
[ "$rc" = 2 ]

"$LLMFUSE" tokenizer export-json --model "$dir/tok.gguf" --out "$dir/tokenizer.json"
grep -q '"type": "BPE"' "$dir/tokenizer.json"

# Malformed files: every 97th truncation and a bad magic fail cleanly.
size=$(stat -c %s "$dir/tok.gguf")
for n in $(seq 0 97 "$((size - 1))"); do
    head -c "$n" "$dir/tok.gguf" > "$dir/bad.gguf"
    rc=0
    "$LLMFUSE" inspect "$dir/bad.gguf" > /dev/null 2> "$dir/err" || rc=$?
    [ "$rc" = 1 ] || { echo "truncation at $n: exit $rc"; exit 1; }
    grep -q 'gguf' "$dir/err"
done
printf 'GGUX' | dd of="$dir/tok.gguf" conv=notrunc status=none
rc=0
"$LLMFUSE" inspect "$dir/tok.gguf" 2> "$dir/err" || rc=$?
[ "$rc" = 1 ] && grep -q 'bad magic' "$dir/err"
rc=0
"$LLMFUSE" tokenizer encode --model "$dir/tok.gguf" < /dev/null 2> /dev/null || rc=$?
[ "$rc" = 1 ]
echo ok
