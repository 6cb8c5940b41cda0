#!/usr/bin/env python3
"""plot_training.py: draws the bundled model's training curve as a
self-contained SVG (no libraries): train loss (every logged step, thin) and
its 100-step mean, val loss (eval lines) on a log scale, over the steps of
the runs given in order (run 2 resumed at run 1's last step, so its log
already continues the step axis); a dashed line marks where each later run
starts.

    python3 dev/plot_training.py docs/model/train-run1.txt docs/model/train-run2.txt \
        > docs/model/training-curve.svg
"""
import math
import re
import sys

W, H = 900, 480
L, R, T, B = 70, 20, 40, 60


def read(path):
    train, val = [], []
    for line in open(path, encoding="utf-8"):
        m = re.match(r"step\s+(\d+)\s+loss\s+([0-9.eE+-]+)", line)
        if m:
            train.append((int(m.group(1)), float(m.group(2))))
        m = re.match(r"eval\s+(\d+)\s+val_loss\s+([0-9.eE+-]+)", line)
        if m:
            val.append((int(m.group(1)), float(m.group(2))))
    return train, val


def main(paths):
    runs = [read(p) for p in paths]
    train = [p for r in runs for p in r[0]]
    val = [p for r in runs for p in r[1]]
    starts = [r[0][0][0] for r in runs[1:] if r[0]]
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
    step = 2000 if xmax > 10000 else 1000
    for s in range(0, xmax + 1, step):
        x = px(s)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{T}" y2="{H - B}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle">{s}</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 20}" text-anchor="middle">'
               'step (65,536 tokens each)</text>')
    out.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" '
               'fill="none" stroke="#888"/>')
    for i, s in enumerate(starts):
        x = px(s)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{T}" y2="{H - B}" '
                   'stroke="#555" stroke-dasharray="5,4"/>')
        out.append(f'<text x="{x + 5:.1f}" y="{T + 14}">run {i + 2}: resumed, '
                   'new data seed, schedule to 24000</text>')

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
    out.append(path(val, "#d62728", 2))
    for s, v in val:
        out.append(f'<circle cx="{px(s):.1f}" cy="{py(v):.1f}" r="3" fill="#d62728"/>')
    lx, ly = W - R - 250, T + 40
    out.append(f'<rect x="{lx - 10}" y="{ly - 16}" width="250" height="64" fill="white" stroke="#ccc"/>')
    out.append(f'<line x1="{lx}" x2="{lx + 30}" y1="{ly}" y2="{ly}" stroke="#1f77b4" stroke-opacity="0.35"/>')
    out.append(f'<text x="{lx + 38}" y="{ly + 4}">train loss (every 10 steps)</text>')
    out.append(f'<line x1="{lx}" x2="{lx + 30}" y1="{ly + 18}" y2="{ly + 18}" stroke="#1f77b4" stroke-width="2"/>')
    out.append(f'<text x="{lx + 38}" y="{ly + 22}">train loss, 100-step geometric mean</text>')
    out.append(f'<line x1="{lx}" x2="{lx + 30}" y1="{ly + 36}" y2="{ly + 36}" stroke="#d62728" stroke-width="2"/>')
    out.append(f'<text x="{lx + 38}" y="{ly + 40}">val loss (every 1000 steps)</text>')
    out.append("</svg>")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
