#!/usr/bin/env bash
# quantize.sh: `llmfuse quantize` rewrites a model's weight matrices and
# nothing else: bf16 -> f32 -> bf16 gives back the same tensor bytes (the
# widening is exact); -> q8_0 gives Q8_0 matrices, F32 norms, the same
# metadata, and a model the engine runs to the same answer on an easy row;
# a damaged input fails cleanly and writes nothing.
. "$(dirname "$0")/lib_model.sh"

"$LLMFUSE" quantize "$M" "$tmp/f32.gguf" --type f32 >/dev/null || fail "to f32"
"$LLMFUSE" quantize "$tmp/f32.gguf" "$tmp/bf16.gguf" --type bf16 >/dev/null || fail "back to bf16"
cmp -s "$M" "$tmp/bf16.gguf" || fail "bf16 -> f32 -> bf16 is not the same file"
"$LLMFUSE" inspect "$tmp/f32.gguf" > "$tmp/f32.txt" || fail "inspect f32"
grep -q 'blk.0.attn_q.weight *F32' "$tmp/f32.txt" || fail "f32 matrices"

"$LLMFUSE" quantize "$M" "$tmp/q8.gguf" >/dev/null || fail "to q8_0"
"$LLMFUSE" inspect "$tmp/q8.gguf" > "$tmp/q8.txt" || fail "inspect q8_0"
grep -q 'blk.0.ffn_down.weight *Q8_0' "$tmp/q8.txt" || fail "q8_0 matrices"
grep -q 'blk.0.attn_norm.weight *F32' "$tmp/q8.txt" || fail "norms stay F32"
"$LLMFUSE" inspect "$M" > "$tmp/m0.txt" || fail "inspect the model"
sed -n '/^metadata/,/^tensors/p' "$tmp/m0.txt" > "$tmp/meta0.txt"
sed -n '/^metadata/,/^tensors/p' "$tmp/q8.txt" > "$tmp/meta1.txt"
cmp -s "$tmp/meta0.txt" "$tmp/meta1.txt" || fail "metadata changed"
[ "$(stat -c %s "$tmp/q8.gguf")" -lt "$(stat -c %s "$M")" ] || fail "q8_0 file is not smaller"

# an easy query: both models read the file's body back from the state
prompt=$'<R>\nread(\'/a.txt\', size=4096, offset=0)\n---\n<filesystem><directory path="/" name="/" mode="755" owner="root" group="root" mtime="2025-01-01T00:00:00"><file path="a.txt" name="a.txt" mode="644" owner="root" group="root" mtime="2025-01-01T00:00:01" size="6"><body>hello\n</body></file></directory></filesystem>'
a=$(printf '%s' "$prompt" | "$LLMFUSE" complete --model "$M" --max-tokens 16 --stop '<END_FS>') || fail "complete bf16"
b=$(printf '%s' "$prompt" | "$LLMFUSE" complete --model "$tmp/q8.gguf" --max-tokens 16 --stop '<END_FS>') || fail "complete q8_0"
[ "$a" = "$b" ] || fail "bf16 and q8_0 answers differ: '$a' vs '$b'"

head -c 100000 "$M" > "$tmp/cut.gguf"
"$LLMFUSE" quantize "$tmp/cut.gguf" "$tmp/out.gguf" 2> "$tmp/err.txt" && fail "a cut file was accepted"
grep -q 'llmfuse quantize: ' "$tmp/err.txt" || fail "no clear error: $(cat "$tmp/err.txt")"
[ ! -e "$tmp/out.gguf" ] || fail "output written for a bad input"
echo "ok"
