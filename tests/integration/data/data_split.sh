#!/bin/bash
# data_split.sh: --split writes train/val/test files by episode: no episode
# in two files, and together they hold exactly the unsplit rows.
. "$(dirname "$0")/lib.sh"

args="--oracle --no-progress --seed 9 --episodes 60 --steps 10"
"$LLMFUSE" gen $args --out "$T/all.jsonl" || fail "gen failed"
"$LLMFUSE" gen $args --split train=0.8,val=0.1,test=0.1 --out "$T/ds.jsonl" || fail "gen --split failed"
for p in train val test; do
    [ -s "$T/ds.$p.jsonl" ] || fail "ds.$p.jsonl missing or empty"
    grep -o '"episode": [0-9]*' "$T/ds.$p.jsonl" | sort -u >"$T/ep.$p"
done
dup=$(cat "$T/ep.train" "$T/ep.val" "$T/ep.test" | sort | uniq -d)
[ -z "$dup" ] || fail "episodes in two splits: $dup"
cmp -s <(sort "$T/all.jsonl") <(cat "$T"/ds.*.jsonl | sort) || fail "split rows differ from unsplit rows"
ntrain=$(wc -l <"$T/ds.train.jsonl")
[ "$ntrain" -gt 300 ] || fail "train holds only $ntrain of 600 rows"
echo ok
