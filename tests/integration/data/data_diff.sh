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
# the same with a mix heavy in renames, set-ID chmods before chowns, links
# and small-buffer reads (the kernel-model's corners)
W="rename=30,chown=20,chmod=20,symlink=10,read=20,cp=10,append=10,mkdir=10,touch=10,rmr=5"
"$LLMFUSE" gen --seed "$SEED" --episodes 4 --steps 100 --weights "$W" --no-progress \
    --out "$T/k2.jsonl" || fail "kernel gen (weights) failed"
"$LLMFUSE" oracle <"$T/k2.jsonl" | cmp -s - "$T/k2.jsonl" || fail "oracle disagrees (weights)"
"$LLMFUSE" gen --oracle --seed "$SEED" --episodes 4 --steps 100 --weights "$W" --no-progress \
    --out "$T/m2.jsonl" || fail "oracle-mode gen (weights) failed"
cmp -s <(strip_source "$T/k2.jsonl") <(strip_source "$T/m2.jsonl") ||
    fail "oracle mode's rows differ from kernel mode's (weights)"
echo "ok: $((n + 400)) kernel rows agree with the oracle and with oracle mode"
