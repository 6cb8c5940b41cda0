#!/usr/bin/env bash
# average.sh: `llmfuse average` (checkpoint averaging) on the bundled model:
# the mean of a model with itself is the same file, tensor for tensor, in
# bf16 and in its f32 copy; bad arguments and damaged or mismatched inputs fail cleanly and write
# nothing.
. "$(dirname "$0")/lib_model.sh"

"$LLMFUSE" average "$tmp/mm.gguf" "$M" "$M" "$M" >/dev/null || fail "average of three copies"
cmp -s "$M" "$tmp/mm.gguf" || fail "the mean of a model with itself is not the model"

"$LLMFUSE" quantize "$M" "$tmp/f32.gguf" --type f32 >/dev/null || fail "to f32"
"$LLMFUSE" average "$tmp/f32m.gguf" "$tmp/f32.gguf" "$tmp/f32.gguf" >/dev/null || fail "average f32"
cmp -s "$tmp/f32.gguf" "$tmp/f32m.gguf" || fail "f32 mean of a model with itself differs"

# mismatched types (bf16 against q8_0 matrices) and a damaged file: refused
"$LLMFUSE" quantize "$M" "$tmp/q8.gguf" >/dev/null || fail "to q8_0"
"$LLMFUSE" average "$tmp/out.gguf" "$M" "$tmp/q8.gguf" 2> "$tmp/err.txt" && fail "mismatched types accepted"
grep -q 'llmfuse average: .*differs' "$tmp/err.txt" || fail "no clear error: $(cat "$tmp/err.txt")"
head -c 100000 "$M" > "$tmp/cut.gguf"
"$LLMFUSE" average "$tmp/out.gguf" "$M" "$tmp/cut.gguf" 2> "$tmp/err.txt" && fail "a cut file was accepted"
grep -q 'llmfuse average: ' "$tmp/err.txt" || fail "no clear error: $(cat "$tmp/err.txt")"
[ ! -e "$tmp/out.gguf" ] || fail "output written for a bad input"
"$LLMFUSE" average "$tmp/out.gguf" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no inputs: not a usage error"
"$LLMFUSE" average --bogus "$tmp/out.gguf" "$M" >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option: not a usage error"
echo "ok"
