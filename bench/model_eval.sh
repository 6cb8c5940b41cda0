#!/bin/bash
# model_eval.sh: the bundled model's held-out evaluation (docs/MODEL.md):
# kernel-generated test rows and episodes (seeds never used in training),
# scored by `llmfuse eval` with no backend option (the bundled
# models/llmfuse.gguf). The rows are cut into CHUNKS files evaluated in
# parallel (the local engine answers one request at a time per process);
# the answers are then scored together (`--answers`) into one report, and
# the episode chunks' survival counts are summed.
#   bench/model_eval.sh [LLMFUSE] [OUTDIR] [CHUNKS]
# Needs /dev/fuse for `gen` (kernel mode); OUTDIR/data can be generated on
# one machine and evaluated on another (LF_EVAL_ONLY=1 skips gen).
# Environment: LF_MODEL=FILE.gguf evaluates that model instead of the
# bundled one; LF_EVAL_ARGS adds options to each `llmfuse eval` (e.g.
# --free-decoding); TEST_SEED (5150) and EP_SEED (6160) choose the data.
set -eu
LLMFUSE=$(realpath "${1:-build/llmfuse}")
OUT=$(realpath -m "${2:-/tmp/model-eval}")
CHUNKS=${3:-8}
BACKEND=()
[ -n "${LF_MODEL:-}" ] && BACKEND=(--backend local --model "$(realpath "$LF_MODEL")")
read -r -a EXTRA <<< "${LF_EVAL_ARGS:-}"
BACKEND+=("${EXTRA[@]}")
cd "$(dirname "$0")/.."
mkdir -p "$OUT/data" "$OUT/chunks"
if [ "${LF_EVAL_ONLY:-0}" != 1 ]; then
    "$LLMFUSE" gen --seed "${TEST_SEED:-5150}" --episodes 20 --steps 50 --out "$OUT/data/test.jsonl" --no-progress --stats
    "$LLMFUSE" gen --seed "${EP_SEED:-6160}" --episodes 20 --steps 50 --out "$OUT/data/ep.jsonl" --no-progress
fi
rows=$(wc -l < "$OUT/data/test.jsonl")
(cd "$OUT/chunks" && split -d -l $(( (rows + CHUNKS - 1) / CHUNKS )) ../data/test.jsonl t_ --additional-suffix=.jsonl &&
    split -d -l 200 ../data/ep.jsonl e_ --additional-suffix=.jsonl)   # 200 = 4 whole episodes
for f in "$OUT"/chunks/t_*.jsonl "$OUT"/chunks/e_*.jsonl; do
    n=${f%.jsonl}; E=; case $(basename "$n") in e_*) E=--episodes;; esac
    "$LLMFUSE" eval $E "${BACKEND[@]}" --data "$f" --threads 1 --no-progress --out "$n" > "$n.txt" 2>&1 &
done
wait
head -n 2 "$OUT"/chunks/t_00.txt     # "no backend given: the bundled model ..."
python3 - "$OUT" <<'EOF'
import collections, json, sys, glob
out = sys.argv[1]
rows = []
for p in sorted(glob.glob(out + "/chunks/t_*/report.json")):
    rows += json.load(open(p))["rows"]
with open(out + "/answers.jsonl", "w") as f:
    for r in rows:
        f.write(json.dumps({"answer": r["answer"] or ""}) + "\n")
def pct(s, p):
    s = sorted(s); k = (len(s) - 1) * p / 100; i = int(k); j = min(i + 1, len(s) - 1)
    return s[i] + (s[j] - s[i]) * (k - i)
sec = [r["seconds"] for r in rows]
tok = sum(r.get("completion_tokens") or 0 for r in rows)
print(f"test rows: {len(rows)}; latency per row median {1000 * pct(sec, 50):.0f} ms, "
      f"p90 {1000 * pct(sec, 90):.0f} ms; {tok / sum(sec):.0f} tokens/s (one thread per process)")
surv = collections.defaultdict(lambda: [0, 0]); fd = collections.Counter()
for p in sorted(glob.glob(out + "/chunks/e_*/report.json")):
    e = json.load(open(p))["episodes"]
    for s in e["survival"]:
        surv[s["steps"]][0] += s["episodes"]; surv[s["steps"]][1] += s["state_right"]
    for x in e["list"]:
        if x.get("first_divergence") in (None, -1):
            print(f"episode {x['episode']}: exact to the end")
        else:
            print(f"episode {x['episode']}: first divergence at step {x['first_divergence']} "
                  f"({x['divergence_op']}): {(x.get('divergence') or '')[:120]}"
                  + (f" [refused, state kept: {x['refused_because'][:100]}]" if x.get("refused_because") else "")
                  + (f" [the refused answer: {x['refused_answer'][:120]}]" if x.get("refused_answer") else ""))
for k in sorted(surv):
    n, ok = surv[k]
    print(f"state still exact after {k:2d} steps: {ok}/{n} ({100 * ok / n:.0f}%)")
EOF
"$LLMFUSE" eval "${BACKEND[@]}" --data "$OUT/data/test.jsonl" --answers "$OUT/answers.jsonl" --no-progress --out "$OUT/test"
