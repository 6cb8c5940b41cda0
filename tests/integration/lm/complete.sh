#!/usr/bin/env bash
# complete.sh: `llmfuse complete` end to end on the HF golden model: greedy
# output is the same with and without copy-speculation and across thread
# counts, --max-tokens caps it, --stats reports speeds, --stop cuts the text
# right after the stop string, and a bad model file fails cleanly.
set -euo pipefail
M=$LF_SOURCE_ROOT/tests/golden/qwen3/untied.gguf
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf '<W>\nmkdir(%s, 0o755)\n---\n<filesystem><directory path="/" name="/" mode="755" owner="root" group="root" mtime="2025-01-01T00:00:00" /></filesystem>' "'/a'" > "$T/p"
"$LLMFUSE" complete --model "$M" --max-tokens 60 --threads 1 --stats < "$T/p" > "$T/spec" 2> "$T/stats"
"$LLMFUSE" complete --model "$M" --max-tokens 60 --threads 2 --no-spec < "$T/p" > "$T/plain"
cmp "$T/spec" "$T/plain"
# any draft cap gives plain greedy's text; a cap out of 1..256 is refused
for d in 1 5 256; do
    "$LLMFUSE" complete --model "$M" --max-tokens 60 --threads 1 --draft-max $d < "$T/p" > "$T/d$d"
    cmp "$T/d$d" "$T/plain"
done
if "$LLMFUSE" complete --model "$M" --draft-max 0 < "$T/p" 2>/dev/null; then exit 1; fi
if "$LLMFUSE" complete --model "$M" --draft-max 257 < "$T/p" 2>/dev/null; then exit 1; fi
grep -q '^prefill: [0-9]* tokens' "$T/stats"
grep -q '^decode: ' "$T/stats"
grep -q '^speculation: on' "$T/stats"
[ -s "$T/spec" ]
# a stop string taken from the output: the text ends right after it
stop=$(head -c 6 "$T/plain" | tail -c 3)
"$LLMFUSE" complete --model "$M" --max-tokens 60 --stop "$stop" < "$T/p" > "$T/cut"
want=$(python3 -c 'import os, sys; d=open(sys.argv[1],"rb").read(); s=os.fsencode(sys.argv[2]); print(d.index(s)+len(s))' "$T/plain" "$stop")
[ "$(stat -c %s "$T/cut")" -eq "$want" ]
cmp -n "$want" "$T/cut" "$T/plain"
# errors: missing model, not a model
if "$LLMFUSE" complete --model /nonexistent.gguf < "$T/p" 2>/dev/null; then exit 1; fi
if "$LLMFUSE" complete --model "$T/p" < "$T/p" 2>/dev/null; then exit 1; fi
if "$LLMFUSE" complete < "$T/p" 2>/dev/null; then exit 1; fi
echo ok
