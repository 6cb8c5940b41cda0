#!/usr/bin/env bash
# train_init.sh: `llmfuse train --init` goes on from an exported model, and
# --ctx sets a new context length over the model's (its weights are kept:
# at --lr 0 the export holds the same tensors); --ctx with --resume and
# an --init file that is not a model are refused with a clear error.
# --layers deepens an --init model without changing its answers.
. "$(dirname "$0")/lib_train.sh"
T=(--data "$SEED_EVAL" --tokenizer "$tmp/tok.gguf" --steps 1 --batch-tokens 4096 --dtype f32)

"$LLMFUSE" train "${T[@]}" --out "$tmp/a.gguf" --ckpt "$tmp/ck" \
    --config layers=1,dim=32,heads=1,kv_heads=1,head_dim=32,ffn=64,ctx=512 >"$tmp/log" 2>&1 ||
    fail "train from scratch: $(tail -n 3 "$tmp/log")"
"$LLMFUSE" train "${T[@]}" --out "$tmp/b.gguf" --init "$tmp/a.gguf" --ctx 1024 --lr 0 \
    >"$tmp/log" 2>&1 || fail "train --init --ctx: $(tail -n 3 "$tmp/log")"
"$LLMFUSE" inspect "$tmp/a.gguf" >"$tmp/a.txt" && "$LLMFUSE" inspect "$tmp/b.gguf" >"$tmp/b.txt" ||
    fail "inspect"
grep -Eq 'qwen3.context_length.*\b512\b' "$tmp/a.txt" || fail "first model's ctx: $(grep context "$tmp/a.txt")"
grep -Eq 'qwen3.context_length.*\b1024\b' "$tmp/b.txt" || fail "--ctx 1024 not in the export: $(grep context "$tmp/b.txt")"
# at lr 0 the weights come through unchanged: only the context length differs
diff <(tail -n +2 "$tmp/a.txt" | grep -v context_length) <(tail -n +2 "$tmp/b.txt" | grep -v context_length) >"$tmp/d" ||
    fail "metadata or tensors changed beyond the context: $(head "$tmp/d")"
[ "$(stat -c %s "$tmp/a.gguf")" = "$(stat -c %s "$tmp/b.gguf")" ] || fail "file sizes differ"
# 512 -> 1024 is one byte of the u32: every other byte, weights included, is the same
n=$(cmp -l "$tmp/a.gguf" "$tmp/b.gguf" | wc -l)
[ "$n" = 1 ] || fail "$n bytes differ between the two exports (weights changed at lr 0?)"

# --layers 3 over the 1-layer model: new layers that add nothing yet, so the
# greedy continuation is the same text
"$LLMFUSE" train "${T[@]}" --out "$tmp/g.gguf" --init "$tmp/a.gguf" --layers 3 --lr 0 \
    >"$tmp/log" 2>&1 || fail "train --init --layers: $(tail -n 3 "$tmp/log")"
"$LLMFUSE" inspect "$tmp/g.gguf" >"$tmp/g.txt" || fail "inspect g"
grep -Eq 'qwen3.block_count.*\b3\b' "$tmp/g.txt" || fail "--layers 3 not in the export"
grep -q 'blk.2.ffn_down' "$tmp/g.txt" || fail "no third layer's tensors"
printf '<R>\nread(/a.txt)\n---\n<filesystem>' >"$tmp/prompt"
"$LLMFUSE" complete --model "$tmp/a.gguf" --max-tokens 24 <"$tmp/prompt" >"$tmp/ca" 2>"$tmp/log" ||
    fail "complete a: $(tail -n 3 "$tmp/log")"
"$LLMFUSE" complete --model "$tmp/g.gguf" --max-tokens 24 <"$tmp/prompt" >"$tmp/cg" 2>"$tmp/log" ||
    fail "complete g: $(tail -n 3 "$tmp/log")"
[ -s "$tmp/ca" ] || fail "no continuation from the 1-layer model"
cmp -s "$tmp/ca" "$tmp/cg" || fail "the deepened model answers differently: $(head -c 80 "$tmp/ca") / $(head -c 80 "$tmp/cg")"
"$LLMFUSE" train "${T[@]}" --out "$tmp/c.gguf" --layers 3 >"$tmp/log" 2>&1 &&
    fail "--layers without --init was accepted"
"$LLMFUSE" train "${T[@]}" --out "$tmp/c.gguf" --init "$tmp/g.gguf" --layers 2 >"$tmp/log" 2>&1 &&
    fail "--layers fewer than the model's was accepted"
grep -q 'only more layers' "$tmp/log" || fail "no clear error for a shallower --layers: $(tail -n 3 "$tmp/log")"

"$LLMFUSE" train "${T[@]}" --out "$tmp/c.gguf" --resume "$tmp/ck" --ctx 2048 >"$tmp/log" 2>&1 &&
    fail "--ctx with --resume was accepted"
"$LLMFUSE" train "${T[@]}" --out "$tmp/c.gguf" --init "$tmp/tok.gguf" >"$tmp/log" 2>&1 &&
    fail "a tokenizer was accepted as --init"
grep -q 'init: ' "$tmp/log" || fail "no clear error: $(tail -n 3 "$tmp/log")"
[ ! -e "$tmp/c.gguf" ] || fail "output written for a bad --init"
# several GPUs need the CUDA trainer; zero GPUs is no number
"$LLMFUSE" train "${T[@]}" --out "$tmp/c.gguf" --gpus 2 >"$tmp/log" 2>&1 &&
    fail "--gpus 2 on the CPU was accepted"
"$LLMFUSE" train "${T[@]}" --out "$tmp/c.gguf" --device cuda --gpus 0 >"$tmp/log" 2>&1 &&
    fail "--gpus 0 was accepted"
grep -q -- '--gpus N' "$tmp/log" || fail "no usage for a bad --gpus: $(tail -n 3 "$tmp/log")"
[ ! -e "$tmp/c.gguf" ] || fail "output written for a bad --gpus"
echo "ok"
