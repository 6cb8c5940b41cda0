#!/usr/bin/env bash
# train_content.sh: `llmfuse train --content-bytes` (file contents one token
# per byte, lf_tok_encode_content) runs through the CLI: the log says so,
# the rows take more tokens than the plain encoding, the exported model
# carries llmfuse.content_bytes, a run --init from it keeps the encoding
# without being told, a plain model does not carry the key, and the engine
# encodes prompts for such a model that way and answers with it (`llmfuse
# complete`, `llmfuse eval` through the local backend).
. "$(dirname "$0")/lib_train.sh"
T=(--data "$SEED_EVAL" --tokenizer "$tmp/tok.gguf" --steps 2 --batch-tokens 4096 --dtype f32
   --seed 5 --lr 3e-3 --warmup 1 --config layers=1,dim=32,heads=1,kv_heads=1,head_dim=32,ffn=64,ctx=16384)

"$LLMFUSE" train "${T[@]}" --out "$tmp/plain.gguf" >"$tmp/plain.log" 2>&1 ||
    fail "plain: $(tail -n 3 "$tmp/plain.log")"
"$LLMFUSE" train "${T[@]}" --content-bytes --out "$tmp/content.gguf" >"$tmp/content.log" 2>&1 ||
    fail "--content-bytes: $(tail -n 3 "$tmp/content.log")"
grep -q 'one token per byte' "$tmp/content.log" || fail "the log does not name the encoding"
grep -q 'one token per byte' "$tmp/plain.log" && fail "the plain run names the content encoding"
tokens() { sed -n 's/^data: .*(\([0-9]*\) tokens.*/\1/p' "$1"; }
np=$(tokens "$tmp/plain.log") nc=$(tokens "$tmp/content.log")
[ -n "$np" ] && [ -n "$nc" ] || fail "no token counts in the logs"
[ "$nc" -gt "$np" ] || fail "contents one byte per token took $nc tokens, plain $np"
"$LLMFUSE" inspect "$tmp/content.gguf" >"$tmp/ci" 2>&1 || fail "inspect: $(tail -n 3 "$tmp/ci")"
grep -E 'llmfuse.content_bytes +u32 +1' "$tmp/ci" >/dev/null || fail "the model lacks llmfuse.content_bytes"
"$LLMFUSE" inspect "$tmp/plain.gguf" >"$tmp/pi" 2>&1 || fail "inspect plain"
grep 'llmfuse.content_bytes' "$tmp/pi" >/dev/null && fail "the plain model carries llmfuse.content_bytes"
# --init from the marked model: the encoding goes on without the option
"$LLMFUSE" train "${T[@]}" --init "$tmp/content.gguf" --out "$tmp/again.gguf" >"$tmp/again.log" 2>&1 ||
    fail "--init: $(tail -n 3 "$tmp/again.log")"
grep -q 'one token per byte' "$tmp/again.log" || fail "--init from a marked model dropped the encoding"
[ "$(tokens "$tmp/again.log")" = "$nc" ] || fail "--init encoded $(tokens "$tmp/again.log") tokens, not $nc"
# the engine reads such a model: a completion and an eval through the local backend
head -n 3 "$SEED_EVAL" >"$tmp/rows.jsonl"
# (the prompt's contents, one token per byte for the marked model only:
# more prompt tokens than the plain model's encoding of the same text)
printf '<W>\nwrite(%s, data=hello world, data_length=11, offset=0, fh=3)\n---\n<filesystem><directory path="/" name="/" mode="755" owner="root" group="root" mtime="2025-01-01T00:00:00"><file path="a" name="a" mode="644" owner="root" group="root" mtime="2025-01-01T00:00:01" size="11"><body>hello world</body></file></directory></filesystem>' "'/a'" >"$tmp/prompt"
for m in content plain; do
    "$LLMFUSE" complete --model "$tmp/$m.gguf" --max-tokens 8 --stats <"$tmp/prompt" >"$tmp/out" 2>"$tmp/err.$m" ||
        fail "complete ($m): $(tail -n 3 "$tmp/err.$m")"
done
ptok() { sed -n 's/^prefill: \([0-9]*\) tokens.*/\1/p' "$1"; }
pc=$(ptok "$tmp/err.content") pp=$(ptok "$tmp/err.plain")
[ -n "$pc" ] && [ -n "$pp" ] || fail "complete --stats printed no prompt length"
[ "$pc" -gt "$pp" ] || fail "the marked model's prompt took $pc tokens, the plain model's $pp"
"$LLMFUSE" eval --model "$tmp/content.gguf" --data "$tmp/rows.jsonl" --out "$tmp/ev" --no-progress \
    >"$tmp/elog" 2>&1 || fail "eval: $(tail -n 3 "$tmp/elog")"
grep -q 'exact match' "$tmp/elog" || fail "eval printed no result"
echo "ok"
