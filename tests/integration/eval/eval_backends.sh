#!/bin/bash
# eval_backends.sh: `llmfuse eval` over the oracle and the generate HTTP
# backend (`llmfuse serve --backend oracle` on an ephemeral loopback port)
# on a `llmfuse gen --oracle` dataset: every row exact, the same answers
# both ways; episodes replay to 100%; a server that answers every <W> with
# the prompt's own state (tests/backend/fault_server.c, /stale) is caught
# at the first step that should have changed the state.
set -u
. "$(dirname "$0")/lib.sh"
ev_setup
command -v python3 >/dev/null || skip "python3 is needed to read the reports"

"$LLMFUSE" gen --oracle --episodes 4 --steps 40 --seed 11 --out "$T/g.jsonl" --no-progress \
    2>"$T/gen.err" || fail "gen: $(cat "$T/gen.err")"
N=$(wc -l <"$T/g.jsonl")
[ "$N" -eq 160 ] || fail "gen wrote $N rows"
NERR=$(grep -c '"completion": "ERROR: ' "$T/g.jsonl")

# usage errors
"$LLMFUSE" eval --backend oracle >/dev/null 2>&1
[ $? -eq 2 ] || fail "no --data: exit status not 2"
"$LLMFUSE" eval --backend oracle --data "$T/g.jsonl" --metric jaccard >/dev/null 2>&1
[ $? -eq 2 ] || fail "bad --metric: exit status not 2"
"$LLMFUSE" eval --backend oracle --data "$T/nope.jsonl" >/dev/null 2>&1
[ $? -eq 1 ] || fail "missing data file: exit status not 1"

# 1. the oracle
"$LLMFUSE" eval --backend oracle --data "$T/g.jsonl" --out "$T/o" >"$T/o.txt" 2>&1 ||
    fail "eval oracle: $(cat "$T/o.txt")"
grep -q "^exact match (raw answers): $N/$N (100.0%)$" "$T/o.txt" || fail "oracle: $(cat "$T/o.txt")"
[ "$(ev_json "$T/o/report.json" 'sum(v["rows"] for v in r["per_errno"].values())')" = "$NERR" ] ||
    fail "per-errno table does not hold the $NERR ERROR rows"
[ "$(ev_json "$T/o/report.json" 'sum(v["exact"] for v in r["per_errno"].values())')" = "$NERR" ] ||
    fail "oracle: ERROR rows not exact"
"$LLMFUSE" eval --backend oracle --data "$T/g.jsonl" --limit 10 >"$T/l.txt" 2>&1 &&
    grep -q "^exact match (raw answers): 10/10 " "$T/l.txt" || fail "--limit: $(cat "$T/l.txt")"

# 2. the generate backend against llmfuse serve --backend oracle, 4 at a time
ev_serve --backend oracle
"$LLMFUSE" eval --backend generate --url "$SERVE_URL" --jobs 4 --data "$T/g.jsonl" \
    --out "$T/h" >"$T/h.txt" 2>&1 || fail "eval generate: $(cat "$T/h.txt")"
grep -q "^exact match (raw answers): $N/$N (100.0%)$" "$T/h.txt" || fail "generate: $(cat "$T/h.txt")"
python3 - "$T/o/report.json" "$T/h/report.json" <<'EOF' || fail "oracle and generate differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def cut(t):  # the sentinel "\n<END_FS>": a /generate server may keep its line break or not
    t = t.split("<END_FS>", 1)[0]
    return t[:-1] if t.endswith("\n") else t
assert [cut(x["answer"]) for x in a["rows"]] == [cut(x["answer"]) for x in b["rows"]]
assert all(x["exact"] for x in b["rows"])
assert b["latency"]["median"] > 0 and b["latency"]["p90"] >= b["latency"]["median"]
assert b["backend"].startswith("generate http://127.0.0.1:")
EOF

# 3. episodes: the oracle, directly and over HTTP, never drifts
for how in "--backend oracle" "--backend generate --url $SERVE_URL --jobs 3"; do
    # shellcheck disable=SC2086
    "$LLMFUSE" eval --episodes $how --data "$T/g.jsonl" --out "$T/e" >"$T/e.txt" 2>&1 ||
        fail "eval --episodes $how: $(cat "$T/e.txt")"
    for k in " 1" " 5" "10" "25"; do
        grep -q "^  state still exact after $k steps: 4/4 (100.0%)$" "$T/e.txt" ||
            fail "episodes ($how) after $k steps: $(cat "$T/e.txt")"
    done
    grep -q "never:4$" "$T/e.txt" || fail "episodes ($how): $(cat "$T/e.txt")"
done
[ "$(ev_json "$T/e/report.json" 'r["episodes"]["answers_exact"]')" = "$N" ] ||
    fail "episodes: not every answer exact"

# 4. a server whose <W> answers keep the prompt's state: caught at the first
#    step whose label changes the state
ev_fault_server
port=$FAULT_PORT
"$LLMFUSE" eval --episodes --backend generate --url "http://127.0.0.1:$port/stale" \
    --data "$T/g.jsonl" --out "$T/f" >"$T/f.txt" 2>&1 || fail "eval stale: $(cat "$T/f.txt")"
python3 - "$T/f/report.json" "$T/g.jsonl" <<'EOF' || fail "drift not detected where it should be: $(cat "$T/f.txt")"
import json, sys
r = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2])]
first = {}
for x in rows:  # the first state-changing step of each episode
    m = x["meta"]
    if m["episode"] not in first and x["prompt"].startswith("<W>") and not x["completion"].startswith("ERROR:"):
        first[m["episode"]] = m["step"] + 1
eps = r["episodes"]["list"]
assert len(eps) == 4
for e in eps:
    assert e["first_divergence"] == first[e["episode"]], (e, first)
    assert e["divergence"] and e["divergence_op"]
assert r["episodes"]["survival"][3]["state_right"] == 0
EOF
grep -q "never:0$" "$T/f.txt" || fail "stale server: $(cat "$T/f.txt")"
echo "ok: oracle, generate (jobs 4), episodes, drift caught"
