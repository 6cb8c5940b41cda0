#!/bin/bash
# data_format.sh: rows are JSON objects with string prompt and completion;
# <W> prompts get "\n<END_FS>"-terminated states or "ERROR: E..." answers,
# <R> completions have no terminator; meta has op, errno, episode, step, source.
. "$(dirname "$0")/lib.sh"
need_python

"$LLMFUSE" gen --oracle --no-progress --seed 3 --episodes 8 --steps 80 --out "$T/rows.jsonl" ||
    fail "gen failed"
python3 - "$T/rows.jsonl" <<'PY' || fail "format check failed"
import json, sys
n = w = r = e = 0
for i, line in enumerate(open(sys.argv[1], encoding="ascii")):
    row = json.loads(line)
    p, c, m = row["prompt"], row["completion"], row["meta"]
    assert isinstance(p, str) and isinstance(c, str), i
    assert set(m) == {"op", "errno", "episode", "step", "source"}, m
    tag, opline, sep, state = p.split("\n", 3) if p.count("\n") >= 3 and "\n---\n" in p else (None,) * 4
    assert p.startswith(("<W>\n", "<R>\n")), i
    assert "\n---\n<filesystem>" in p and p.endswith("</filesystem>"), i
    assert opline is None or opline.startswith(m["op"] + "("), (i, opline)
    if c.startswith("ERROR: E"):
        assert m["errno"] == c[len("ERROR: "):], (i, c, m)
        e += 1
    elif p.startswith("<W>"):
        assert c.startswith("<filesystem>") and c.endswith("</filesystem>\n<END_FS>"), (i, c[-40:])
        assert c.count("<END_FS>") == 1, i
        w += 1
    else:
        assert "<END_FS>" not in c, i
        r += 1
    n += 1
assert n == 640 and w and r and e, (n, w, r, e)
print("rows", n, "W", w, "R", r, "errors", e)
PY
echo ok
