#!/bin/bash
# fs_local.sh: the mount over the embedded engine (--model FILE.gguf implies
# --backend local) with a tiny, barely trained model: its answers are
# nonsense, so every model-bound operation fails (EIO, or ENOSPC where the
# 512-token context cannot hold it), the state file never changes, --verify
# counts the divergences, each refused answer is followed by the default three
# alternatives (refused too), and df shows the tiny context's room.
. "$(dirname "$0")/lib.sh"
lf_setup

"$LLMFUSE" tokenizer train --data "$SEED_EVAL" --vocab 600 --out "$T/tok.gguf" >"$T/train.log" 2>&1 ||
    { echo "SKIP: llmfuse tokenizer train failed: $(tail -n 3 "$T/train.log")"; exit 77; }
"$LLMFUSE" train --data "$SEED_EVAL" --tokenizer "$T/tok.gguf" --out "$T/m.gguf" \
    --config layers=1,dim=32,heads=1,kv_heads=1,head_dim=32,ffn=64,ctx=512 \
    --steps 1 --batch-tokens 512 >>"$T/train.log" 2>&1 ||
    { echo "SKIP: llmfuse train failed: $(tail -n 3 "$T/train.log")"; exit 77; }

MNT=$T/mnt
S=$T/state.xml
lf_mount "$MNT" --model "$T/m.gguf" --state "$S" --verify-log "$T/verify.log" ||
    fail "mount with --model failed"
grep -q 'backend local .*m.gguf, context 512 tokens' "$T/mount.log" || fail "no backend line"
cp "$S" "$T/orig.xml"

ops=0
succeeded=0
for cmd in 'mkdir "$MNT/a"' 'touch "$MNT/f"' 'ls "$MNT"' 'ln -s x "$MNT/l"'; do
    ops=$((ops + 1))
    if (eval "$cmd") >/dev/null 2>"$T/err"; then
        # a random model could in principle answer right; then it must be
        # an accepted, consistent state
        echo "note: '$cmd' succeeded"
        succeeded=$((succeeded + 1))
        continue
    fi
    grep -q 'Input/output error\|No space left on device' "$T/err" || fail "'$cmd': $(cat "$T/err")"
done
if [ "$succeeded" = 0 ]; then
    cmp "$S" "$T/orig.xml" || fail "the state file changed although every op failed"
fi
cat "$MNT/.llmfuse/stats" >"$T/stats.json"
grep -q '"backend":"local"' "$T/stats.json" || fail "stats backend"
grep -q '"divergences":0,' "$T/stats.json" && fail "no divergence counted: $(cat "$T/stats.json")"
# every refused answer was followed by up to the default 3 alternatives
# (fewer where the answer has fewer choices to branch at), each refused too
# and logged: the count is the alternatives decoded
ref=$(sed -n 's/.*"refusals":\([0-9]*\),.*/\1/p' "$T/stats.json")
alt=$(sed -n 's/.*"alternatives":\([0-9]*\),.*/\1/p' "$T/stats.json")
res=$(sed -n 's/.*"rescued":\([0-9]*\),.*/\1/p' "$T/stats.json")
logged=$(grep -c 'refused (EIO), alternative [0-9]: ' "$T/mount.log")
[ -n "$ref" ] && [ "$ref" -gt 0 ] || fail "no refusal counted: $(cat "$T/stats.json")"
[ "$alt" -eq $((logged + res)) ] && [ "$alt" -ge $((2 * ref)) ] && [ "$alt" -le $((3 * (ref + res))) ] ||
    fail "alternatives $alt ($logged logged) for $ref refusals: $(cat "$T/stats.json")"
grep -q 'refused (EIO), alternative 3: ' "$T/mount.log" || fail "no alternative 3 in the log"
total=$(df -B1 --output=size "$MNT" | tail -n 1 | tr -d ' ')
[ "$total" -gt 0 ] && [ "$total" -lt 2048 ] || fail "df total for a 512-token context: $total"
head -c -1 "$MNT/.llmfuse/state.xml" | cmp -s - "$S" || fail "mounted state and state file differ"
lf_umount "$MNT"
[ -s "$T/verify.log" ] || fail "empty verify log"
grep -q 'verify: [0-9]* answers checked, [1-9][0-9]* divergences' "$T/verify.log" ||
    fail "no verify summary: $(tail -n 2 "$T/verify.log")"
echo "ok: $(grep -c '^llmfuse: divergence' "$T/verify.log") divergences over $ops commands"
