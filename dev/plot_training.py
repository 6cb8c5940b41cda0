#!/usr/bin/env python3
"""plot_training.py: draws the bundled model's training curve as a
self-contained SVG (no libraries): train loss (every logged step, thin) and
its 100-step mean, val loss (eval lines) on a log scale, over the steps of
the logs given in order (each later log continues the step axis); a dashed
line marks where each later log starts, labelled by its first line if that
starts with "# " ("run N" otherwise). A line "# device call ..." starts a
new val segment: each device call draws its own val rows.

    python3 dev/plot_training.py docs/model/train-run4a.txt docs/model/train-run4b.txt \
        > docs/model/training-curve.svg
"""
import math
import re
import sys

W, H = 900, 480
L, R, T, B = 70, 20, 40, 60


def read(path):
    train, val, label = [], [[]], None
    for k, line in enumerate(open(path, encoding="utf-8")):
        if k == 0 and line.startswith("# ") and not line.startswith("# device call"):
            label = line[2:].strip()
        if line.startswith("# device call") and val[-1]:
            val.append([])
        m = re.match(r"step\s+(\d+)\s+loss\s+([0-9.eE+-]+)", line)
        if m:
            train.append((int(m.group(1)), float(m.group(2))))
        m = re.match(r"eval\s+(\d+)\s+val_loss\s+([0-9.eE+-]+)", line)
        if m:
            val[-1].append((int(m.group(1)), float(m.group(2))))
    return train, val, label


def main(paths):
    runs = [read(p) for p in paths]
    train = [p for r in runs for p in r[0]]
    vsegs = [seg for r in runs for seg in r[1] if seg]
    val = [p for seg in vsegs for p in seg]
    starts = [(r[0][0][0], r[2] or f"run {i + 2}") for i, r in enumerate(runs[1:]) if r[0]]
    xmax = max(s for s, _ in train + val)
    ymin = 10 ** math.floor(math.log10(min(v for _, v in train + val if v > 0)))
    ymax = 10 ** math.ceil(math.log10(max(v for _, v in train)))

    def px(step):
        return L + (W - L - R) * step / xmax

    def py(v):
        v = max(v, ymin)
        return T + (H - T - B) * (math.log10(ymax) - math.log10(v)) / (
            math.log10(ymax) - math.log10(ymin))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">'
           'llmfuse bundled model: loss per completion token (log scale)</text>']
    e = ymin
    while e <= ymax * 1.0001:
        y = py(e)
        out.append(f'<line x1="{L}" x2="{W - R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{e:g}</text>')
        e *= 10
    step = next(t for t in (1000, 2000, 5000, 10000, 20000, 50000, 10 ** 9) if xmax / t <= 12)
    for s in range(0, xmax + 1, step):
        x = px(s)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{T}" y2="{H - B}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle">{s}</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 20}" text-anchor="middle">'
               'step (65,536 tokens each)</text>')
    out.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" '
               'fill="none" stroke="#888"/>')
    for s, label in starts:
        x = px(s)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{T}" y2="{H - B}" '
                   'stroke="#555" stroke-dasharray="5,4"/>')
        anchor = "end" if x > (L + W - R) / 2 else "start"
        out.append(f'<text x="{x - 5 if anchor == "end" else x + 5:.1f}" y="{T + 14}" '
                   f'text-anchor="{anchor}">{label[:70]}</text>')

    def path(points, color, width, opacity=1.0):
        d = " ".join(f"{'M' if k == 0 else 'L'}{px(s):.1f},{py(v):.1f}"
                     for k, (s, v) in enumerate(points))
        return (f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{width}" '
                f'stroke-opacity="{opacity}"/>')

    for r in runs:
        out.append(path(r[0], "#1f77b4", 0.7, 0.35))
        pts = r[0]
        mean = []
        for k in range(0, len(pts), 10):
            chunk = pts[k:k + 10]
            mean.append((sum(s for s, _ in chunk) / len(chunk),
                         math.exp(sum(math.log(max(v, 1e-9)) for _, v in chunk) / len(chunk))))
        out.append(path(mean, "#1f77b4", 2))
    for seg in vsegs:
        out.append(path(seg, "#d62728", 2))
    for s, v in val:
        out.append(f'<circle cx="{px(s):.1f}" cy="{py(v):.1f}" r="3" fill="#d62728"/>')
    lx, ly = W - R - 300, T + 40
    out.append(f'<rect x="{lx - 10}" y="{ly - 16}" width="300" height="64" fill="white" stroke="#ccc"/>')
    out.append(f'<line x1="{lx}" x2="{lx + 30}" y1="{ly}" y2="{ly}" stroke="#1f77b4" stroke-opacity="0.35"/>')
    out.append(f'<text x="{lx + 38}" y="{ly + 4}">train loss (every 10 steps)</text>')
    out.append(f'<line x1="{lx}" x2="{lx + 30}" y1="{ly + 18}" y2="{ly + 18}" stroke="#1f77b4" stroke-width="2"/>')
    out.append(f'<text x="{lx + 38}" y="{ly + 22}">train loss, 100-step geometric mean</text>')
    out.append(f'<line x1="{lx}" x2="{lx + 30}" y1="{ly + 36}" y2="{ly + 36}" stroke="#d62728" stroke-width="2"/>')
    out.append(f'<text x="{lx + 38}" y="{ly + 40}">val loss (every 1000 steps; own rows per call)</text>')
    out.append("</svg>")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
