#!/bin/bash
# data_diff.sh: the differential test. Rows generated on the real kernel
# mount must (1) agree with the oracle row by row (`llmfuse oracle` rewrites
# each completion; the file must come back byte for byte), and (2) equal the
# rows of oracle mode for the same seed (same commands, modelled requests).
. "$(dirname "$0")/lib.sh"
need_fuse

SEED=${LF_DIFF_SEED:-11}
"$LLMFUSE" gen --seed "$SEED" --episodes 6 --steps 60 --no-progress --verify-oracle \
    --out "$T/kernel.jsonl" 2>"$T/kernel.err" || { cat "$T/kernel.err" >&2; fail "kernel gen failed"; }
n=$(wc -l <"$T/kernel.jsonl")
[ "$n" -eq 360 ] || fail "expected 360 rows, got $n"
grep -q '"source": "kernel"' "$T/kernel.jsonl" || fail "no kernel rows"
grep -q '"source": "direct"' "$T/kernel.jsonl" || fail "no direct (kernel-refused) rows"

"$LLMFUSE" oracle <"$T/kernel.jsonl" >"$T/oracle.jsonl" || fail "llmfuse oracle failed"
if ! cmp -s "$T/kernel.jsonl" "$T/oracle.jsonl"; then
    diff <(tr -d '\r' <"$T/kernel.jsonl") <(tr -d '\r' <"$T/oracle.jsonl") | head -c 3000 >&2
    fail "the oracle disagrees with the kernel on some rows"
fi

"$LLMFUSE" gen --oracle --seed "$SEED" --episodes 6 --steps 60 --no-progress \
    --out "$T/model.jsonl" || fail "oracle-mode gen failed"
if ! cmp -s <(strip_source "$T/kernel.jsonl") <(strip_source "$T/model.jsonl"); then
    diff <(strip_source "$T/kernel.jsonl") <(strip_source "$T/model.jsonl") | head -c 3000 >&2
    fail "oracle mode's rows differ from kernel mode's for the same seed"
fi
echo "ok: $n kernel rows agree with the oracle and with oracle mode"
