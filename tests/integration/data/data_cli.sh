#!/bin/bash
# data_cli.sh: `llmfuse gen` options: bad ones are refused (status 2, or 1
# for a bad --weights/--split combination), --weights and --max-state-bytes
# change the rows, --stats reports the histogram and percentiles.
. "$(dirname "$0")/lib.sh"

g() { "$LLMFUSE" gen --oracle --no-progress "$@"; }
g --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option not refused with 2"
g --steps 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--steps 0 not refused"
g --split train=x >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --split not refused"
g --weights nope=3 --out "$T/x" 2>/dev/null && fail "unknown op in --weights accepted"
g --split train=1 2>/dev/null >/dev/null && fail "--split without --out accepted"
g --help | grep -q -- '--max-state-bytes' || fail "--help lacks --max-state-bytes"

# only mkdir (and the failing commands): no create or write rows that succeed
g --seed 2 --episodes 3 --steps 40 --weights "mkdir=1,touch=0,write=0,read=0,rm=0,rmdir=0,chmod=0,chown=0,ls=0,readlink=0,truncate=0,rename=0,symlink=0,append=0,cp=0,rmr=0" \
    --out "$T/m.jsonl" || fail "gen --weights failed"
grep '"op": "write"' "$T/m.jsonl" | grep -q '"errno": ""' && fail "--weights mkdir=1 made successful writes"
[ "$(grep -c '"op": "mkdir"' "$T/m.jsonl")" -gt 80 ] || fail "--weights mkdir=1 made few mkdir rows"

# a small state cap keeps every state small
g --seed 2 --episodes 3 --steps 200 --max-state-bytes 1500 --out "$T/s.jsonl" || fail "gen failed"
big=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$T/s.jsonl")
[ "$big" -lt 6000 ] || fail "--max-state-bytes 1500: a row of $big bytes"

g --seed 2 --episodes 3 --steps 50 --stats --out /dev/null 2>"$T/stats" || fail "gen --stats failed"
for k in "rows: 150" "errors" "mkdir" "prompt bytes" "completion bytes" "p99"; do
    grep -q "$k" "$T/stats" || fail "--stats lacks '$k'"
done
echo ok
