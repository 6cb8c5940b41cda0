#!/usr/bin/env bash
# oracle.sh: `llmfuse oracle` on the seed-eval set. --check reports the exact
# count and every differing row's category (docs/SEED-EVAL.md); the rows it
# writes carry the oracle's completions, so checking them again is 100/100,
# and the rows that already matched come out byte-identical.
set -euo pipefail
[ -r "${SEED_EVAL:-}" ] || { echo "no SEED_EVAL"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$LLMFUSE" oracle --check < "$SEED_EVAL" > "$tmp/check"
grep -qx 'exact: 65/100' "$tmp/check" || { cat "$tmp/check"; echo "FAIL: exact count"; exit 1; }
grep -qx 'unexplained: 0' "$tmp/check" || { cat "$tmp/check"; echo "FAIL: unexplained rows"; exit 1; }
[ "$(grep -c '^row ' "$tmp/check")" = 35 ] || { echo "FAIL: differing rows"; exit 1; }

"$LLMFUSE" oracle < "$SEED_EVAL" > "$tmp/out.jsonl"
[ "$(wc -l < "$tmp/out.jsonl")" = 100 ] || { echo "FAIL: row count"; exit 1; }
"$LLMFUSE" oracle --check < "$tmp/out.jsonl" > "$tmp/recheck"
grep -qx 'exact: 100/100' "$tmp/recheck" || { cat "$tmp/recheck"; echo "FAIL: recheck"; exit 1; }
same=$(paste -d '\n' "$SEED_EVAL" "$tmp/out.jsonl" | awk 'NR % 2 { a = $0; next } $0 == a { n++ } END { print n + 0 }')
[ "$same" = 65 ] || { echo "FAIL: $same rows byte-identical, want 65"; exit 1; }

# a row without a prompt is reported and fails the run; usage errors are 2
if printf '{"completion": "x"}\n' | "$LLMFUSE" oracle > /dev/null 2>&1; then
    echo "FAIL: a row without a prompt was accepted"; exit 1
fi
rc=0; "$LLMFUSE" oracle --bogus < /dev/null > /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || { echo "FAIL: usage exit $rc"; exit 1; }
echo ok
