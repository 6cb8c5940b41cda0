#!/usr/bin/env python3
"""seed_metric_ref.py: the original llmfuse's evaluation metrics as
seed-reference.md §7 describes them, written independently in Python (real
str/re/json semantics), to check src/eval/seed_metric.c row by row.

usage: seed_metric_ref.py REPORT.json
Reads every row's raw answer and expected completion from an `llmfuse eval`
report, scores them here, and compares with the report's "original" block
(predicted text, similarity, correct, exact). Prints the differences; exits
1 if there is any, 0 otherwise.
"""
import json
import re
import sys
from collections import Counter

STOP = "<END_FS>"


def drop_think(text):
    if not text:
        return text
    text = re.sub(r"<think>[\s\S]*?(</think>|$)", "", text, flags=re.IGNORECASE)
    kept = [ln for ln in text.splitlines() if not ln.strip().lower().startswith("<think")]
    return "\n".join(kept).strip()


def cut_chatter(text):
    if not text:
        return text
    m = re.search(r"\[EOF\]|^Answer:|^Explanation:", text, flags=re.IGNORECASE | re.MULTILINE)
    return (text[: m.start()] if m else text).strip()


def looks_like_state(expected):
    if not expected:
        return False
    s = expected.lstrip()
    return s.startswith("<filesystem") or s.startswith("/")


def drop_stop(text):
    if not text:
        return text
    s = text.rstrip()
    if s.endswith(STOP):
        s = s[: -len(STOP)].rstrip()
    return s


def first_state_block(text):
    if not text:
        return text
    t = text.strip()
    a = t.find("<filesystem")
    if a < 0:
        return t
    b = t.find("</filesystem>", a)
    return (t[a:] if b < 0 else t[a : b + len("</filesystem>")]).strip()


def as_list(text):
    try:
        v = json.loads(text)
    except Exception:
        return None
    return v if isinstance(v, list) else None


def multiset(items):
    try:
        return Counter(items)
    except TypeError:  # unhashable elements: the original raised here
        return None


def pick_array(pred, expected):
    if not pred:
        return pred
    t = pred.strip()
    arrays = re.findall(r"\[[\s\S]*?\]", t)
    if expected:
        e = expected.strip()
        if any(a.strip() == e for a in arrays):
            return e
        el = as_list(e)
        if el is not None:
            want = multiset(el)
            for a in arrays:
                cl = as_list(a)
                if cl is not None and want is not None and multiset(cl) == want:
                    return e
    return arrays[0].strip() if arrays else t


def clamp(pred, expected):
    p, e = pred.strip(), expected.strip()
    if e == "":
        return ""
    if p.startswith(e) or e in p:
        return e
    return p


def sanitize(pred, expected):
    pred = cut_chatter(drop_think(pred))
    if expected.strip() == "":
        return ""
    if looks_like_state(expected):
        return clamp(drop_stop(first_state_block(pred)), drop_stop(expected))
    if expected.strip().startswith("["):
        return clamp(pick_array(pred, expected), expected)
    return clamp(pred, expected)


def similarity(a, b):
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    if a.strip() == b.strip():
        return 1.0
    ca, cb = " ".join(a.split()), " ".join(b.split())
    if ca == cb:
        return 1.0
    sa, sb = set(ca.lower()), set(cb.lower())
    if not sa and not sb:
        return 1.0
    u = len(sa | sb)
    return len(sa & sb) / u if u else 0.0


def score(answer, expected):
    pred = sanitize(answer, expected)
    exp = drop_stop(expected) if looks_like_state(expected) else expected
    s = similarity(pred, exp)
    return pred, s, s > 0.7, pred.strip() == exp.strip()


def main():
    rep = json.load(open(sys.argv[1], encoding="utf-8"))
    bad = 0
    for r in rep["rows"]:
        answer = r["answer"] if r["answer"] is not None else ""
        pred, s, ok, ex = score(answer, r["expected"])
        o = r["original"]
        if o["predicted"] != pred or abs(o["similarity"] - s) > 1e-6 or o["correct"] != ok or o["exact"] != ex:
            bad += 1
            print(f"row {r['index']}: C {o['similarity']:.6f} {o['correct']} {o['exact']} "
                  f"{o['predicted'][:60]!r} / Python {s:.6f} {ok} {ex} {pred[:60]!r}")
    print(f"{len(rep['rows'])} rows rescored, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
