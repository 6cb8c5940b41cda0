/* report_html.c: report.html, one self-contained page (no scripts, no
 * external files): headline numbers, inline SVG charts (exact match per
 * operation beside the original's "accuracy", the episode drift curve, the
 * latency distribution) and the tables of report.md. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "eval/summary.h"

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char *css =
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:#1f2933;background:#f7f8fa;margin:0}"
    "main{max-width:1120px;margin:0 auto;padding:28px 32px 60px}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:36px 0 10px;"
    "border-bottom:1px solid #dde1e6;padding-bottom:6px}"
    ".sub{color:#616e7c;margin:0 0 20px}.note{color:#52606d;font-size:13.5px;max-width:860px}"
    ".cards{display:flex;flex-wrap:wrap;gap:14px;margin:18px 0}"
    ".card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:14px 18px;"
    "min-width:170px;flex:1}"
    ".card .v{font-size:28px;font-weight:650;font-variant-numeric:tabular-nums}"
    ".card .l{color:#616e7c;font-size:13px}.card.main{border-color:#2f5aa8;border-width:2px}"
    ".card.main .v{color:#2f5aa8}.card.cmp .v{color:#b1641b}"
    "table{border-collapse:collapse;background:#fff;border:1px solid #dde1e6;margin:8px 0;"
    "font-variant-numeric:tabular-nums;font-size:14px}"
    "th,td{padding:6px 12px;text-align:right;border-bottom:1px solid #edf0f3}"
    "th{background:#eef1f5;font-weight:600;color:#323f4b}"
    "td:first-child,th:first-child{text-align:left}tr:nth-child(even) td{background:#fafbfc}"
    "td.l,th.l{text-align:left}td.ours{font-weight:650;color:#2f5aa8}td.orig{color:#b1641b}"
    "code,.mono{font:12.5px/1.4 ui-monospace,'DejaVu Sans Mono',Menlo,monospace}"
    ".diff{white-space:pre-wrap;word-break:break-all;max-width:560px}"
    ".exp{background:#e3f4e8;color:#14532d}.got{background:#fde8e8;color:#8a1c1c}"
    ".ctx{color:#7b8794}svg{background:#fff;border:1px solid #dde1e6;border-radius:8px}"
    "svg text{font:12px system-ui,'DejaVu Sans',sans-serif;fill:#323f4b}";

/* An SVG that scales to the page width, keeping its aspect ratio. */
static void svg_open(FILE *f, int w, int h)
{
    fprintf(f, "<svg width=\"100%%\" viewBox=\"0 0 %d %d\" role=\"img\" "
               "style=\"max-width:%dpx\">\n", w, h, w);
}

/* Exact (ours) vs the original's "correct", per operation. */
static void chart_ops(FILE *f, const lf_eval_summary *s)
{
    int n = 0;
    for (int k = 0; k <= LF_OP__COUNT; k++)
        n += s->ops[k].rows > 0;
    n++; /* all */
    int rowh = 30, top = 40, left = 110, w = 1040, barw = 760;
    int h = top + n * rowh + 30;
    svg_open(f, w, h);
    fprintf(f, "<rect x=\"%d\" y=\"12\" width=\"12\" height=\"12\" fill=\"#2f5aa8\"/>"
               "<text x=\"%d\" y=\"22\">exact match (raw answers)</text>"
               "<rect x=\"%d\" y=\"12\" width=\"12\" height=\"12\" fill=\"#f0b37e\"/>"
               "<text x=\"%d\" y=\"22\">original's \"accuracy\" (sanitised with the label, "
               "char-set Jaccard &gt; 0.7)</text>\n",
            left, left + 18, left + 220, left + 238);
    for (int t = 0; t <= 100; t += 25) {
        double x = left + barw * t / 100.0;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e4e7eb\"/>"
                   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d%%</text>\n",
                x, top - 4, x, top + n * rowh, x, top + n * rowh + 16, t);
    }
    int i = 0;
    for (int k = 0; k <= LF_OP__COUNT + 1; k++) {
        const lf_eval_tally *t = k <= LF_OP__COUNT ? &s->ops[k] : &s->all;
        if (!t->rows)
            continue;
        int y = top + i * rowh;
        double a = lf_eval_pct(t->exact, t->rows), b = lf_eval_pct(t->seed_correct, t->rows);
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\"%s>%s</text>\n", left - 10,
                y + 19, k > LF_OP__COUNT ? " font-weight=\"700\"" : "",
                k > LF_OP__COUNT ? "all" : lf_eval_op_label(k));
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"11\" fill=\"#2f5aa8\"/>"
                   "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"11\" fill=\"#f0b37e\"/>"
                   "<text x=\"%.1f\" y=\"%d\">%.0f%% / %.0f%%  (n=%zu)</text>\n",
                left, y + 4, barw * a / 100.0, left, y + 16, barw * b / 100.0,
                left + barw * (a > b ? a : b) / 100.0 + 8, y + 19, a, b, t->rows);
        i++;
    }
    fputs("</svg>\n", f);
}

/* Share of episodes whose state is still exact after each step. */
static void chart_drift(FILE *f, const lf_eval_summary *s)
{
    size_t m = s->ep_steps_max;
    if (!m)
        return;
    int w = 1040, h = 320, l = 60, r = 30, t = 20, b = 44;
    double pw = w - l - r, ph = h - t - b;
    svg_open(f, w, h);
    for (int p = 0; p <= 100; p += 20) {
        double y = t + ph * (1 - p / 100.0);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e7eb\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>\n",
                l, y, l + pw, y, l - 8, y + 4, p);
    }
    /* x: step 0 (all right) to m */
    size_t tick = m <= 10 ? 1 : m <= 50 ? 5 : m <= 200 ? 25 : 100;
    for (size_t k = 0; k <= m; k += tick) {
        double x = l + pw * (double)k / (double)m;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%zu</text>\n", x,
                t + ph + 18, k);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">steps replayed (each prompt "
               "carries the model's own state)</text>\n",
            l + pw / 2, h - 6);
    fprintf(f, "<polyline fill=\"none\" stroke=\"#2f5aa8\" stroke-width=\"2.5\" points=\"%d,%.1f",
            l, (double)t);
    for (size_t k = 1; k <= m; k++)
        fprintf(f, " %.1f,%.1f", l + pw * (double)k / (double)m, t + ph * (1 - s->curve[k - 1]));
    fputs("\"/>\n", f);
    for (int hz = 0; hz < LF_EVAL_HORIZONS; hz++) {
        size_t k = (size_t)lf_eval_horizons[hz];
        if (k > m || !s->ep_den[hz])
            continue;
        double x = l + pw * (double)k / (double)m;
        double v = (double)s->ep_alive[hz] / (double)s->ep_den[hz];
        double y = t + ph * (1 - v);
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#2f5aa8\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f%%</text>\n",
                x, y, x, y < t + 20 ? y + 18 : y - 8, 100 * v);
    }
    fputs("</svg>\n", f);
}

static void fmt_dur(char *out, size_t n, double s);

/* Histogram of per-row latency, with the median and p90 marked. */
static void chart_latency(FILE *f, const lf_eval_summary *s)
{
    if (!s->nlat)
        return;
    enum { NB = 30 };
    size_t cnt[NB] = {0}, peak = 1;
    double hi = s->lat_max > 0 ? s->lat_max : 1e-6;
    for (size_t i = 0; i < s->nlat; i++) {
        int k = (int)(s->lat[i] / hi * NB);
        cnt[k >= NB ? NB - 1 : k]++;
    }
    for (int k = 0; k < NB; k++)
        if (cnt[k] > peak)
            peak = cnt[k];
    int w = 1040, h = 260, l = 60, r = 30, t = 20, b = 44;
    double pw = w - l - r, ph = h - t - b, bw = pw / NB;
    svg_open(f, w, h);
    for (int k = 0; k < NB; k++) {
        double bh = ph * (double)cnt[k] / (double)peak;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#7b9acc\">"
                   "<title>%zu rows</title></rect>\n",
                l + k * bw + 1, t + ph - bh, bw - 2, bh, cnt[k]);
    }
    for (int k = 0; k <= 5; k++) {
        char d[32];
        fmt_dur(d, sizeof d, hi * k / 5);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                l + pw * k / 5, t + ph + 18, d);
    }
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%zu</text>"
               "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">0</text>\n",
            l - 8, (double)t + 10, peak, l - 8, t + ph);
    const double q[2] = {s->lat_median, s->lat_p90};
    const char *qn[2] = {"median", "p90"};
    for (int i = 0; i < 2; i++) {
        double x = l + pw * q[i] / hi;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"2\" stroke-dasharray=\"5 3\"/>"
                   "<text x=\"%.1f\" y=\"%d\">%s</text>\n",
                x, t, x, t + ph, i ? "#b1641b" : "#1f2933", x + 4, t + 12 + 14 * i, qn[i]);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">latency per row (%zu rows)"
               "</text></svg>\n",
            l + pw / 2, h - 6, s->nlat);
}

/* A duration with a unit that suits it: "12 µs", "3.4 ms", "1.25 s". */
static void fmt_dur(char *out, size_t n, double s)
{
    if (s < 1e-3)
        snprintf(out, n, "%.0f µs", s * 1e6);
    else if (s < 1)
        snprintf(out, n, "%.1f ms", s * 1e3);
    else
        snprintf(out, n, "%.2f s", s);
}

static void card(FILE *f, const char *cls, const char *value, const char *label)
{
    fprintf(f, "<div class=\"card %s\"><div class=\"v\">%s</div><div class=\"l\">%s</div></div>\n",
            cls, value, label);
}

static void tally_row(FILE *f, const char *name, const lf_eval_tally *t, bool bold)
{
    fprintf(f, "<tr><td>%s%s%s</td><td>%zu</td><td class=\"ours\">%zu (%.1f%%)</td>",
            bold ? "<b>" : "", name, bold ? "</b>" : "", t->rows, t->exact,
            lf_eval_pct(t->exact, t->rows));
    if (t->w_rows)
        fprintf(f, "<td>%zu / %zu</td><td>%zu</td><td>%zu</td>", t->parses, t->w_rows,
                t->state_right, t->structure_only);
    else
        fputs("<td>–</td><td>–</td><td>–</td>", f);
    fprintf(f, "<td>%zu</td><td class=\"orig\">%.1f%%</td><td class=\"orig\">%.1f%%</td>"
               "<td class=\"orig\">%.3f</td></tr>\n",
            t->label_fault, lf_eval_pct(t->seed_correct, t->rows),
            lf_eval_pct(t->seed_exact, t->rows), t->rows ? t->sim_sum / (double)t->rows : 0.0);
}

int lf_eval_write_html(FILE *f, const lf_eval_info *info, const lf_eval_set *rows,
                       const lf_eval_episodes_result *eps, const lf_eval_summary *s)
{
    char v[64], l[256];
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
               "<title>llmfuse eval</title><style>%s</style></head><body><main>\n"
               "<h1>llmfuse eval</h1><p class=\"sub\">backend <b>",
            css);
    esc(f, info->backend);
    fputs("</b> · data <code>", f);
    esc(f, info->data);
    fprintf(f, "</code> · %.1f s</p>\n", info->wall_seconds);
    if (rows && rows->n) {
        const lf_eval_tally *t = &s->all;
        fputs("<div class=\"cards\">\n", f);
        snprintf(v, sizeof v, "%.1f%%", lf_eval_pct(t->exact, t->rows));
        snprintf(l, sizeof l, "exact match, raw answers (%zu of %zu rows)", t->exact, t->rows);
        card(f, "main", v, l);
        if (t->w_rows) {
            snprintf(v, sizeof v, "%.1f%%", lf_eval_pct(t->state_right, t->w_rows));
            snprintf(l, sizeof l, "&lt;W&gt; rows that leave the right state (%zu of %zu)",
                     t->state_right, t->w_rows);
            card(f, "", v, l);
        }
        if (t->label_fault) {
            snprintf(v, sizeof v, "%zu", t->label_fault);
            snprintf(l, sizeof l, "labels that disagree with the oracle (exact on the other "
                                  "%zu: %.1f%%)",
                     t->sound, lf_eval_pct(t->sound_exact, t->sound));
            card(f, "", v, l);
        }
        snprintf(v, sizeof v, "%.1f%%", lf_eval_pct(t->seed_correct, t->rows));
        snprintf(l, sizeof l, "for comparison only: the original's \"accuracy\" "
                              "(its exact_accuracy %.1f%%, avg. similarity %.3f)",
                 lf_eval_pct(t->seed_exact, t->rows), t->rows ? t->sim_sum / (double)t->rows : 0);
        card(f, "cmp", v, l);
        char p90[32];
        fmt_dur(v, sizeof v, s->lat_median);
        fmt_dur(p90, sizeof p90, s->lat_p90);
        if (s->token_seconds > 0)
            snprintf(l, sizeof l, "median latency per row (p90 %s) · %.1f tokens/s", p90,
                     (double)s->tokens / s->token_seconds);
        else
            snprintf(l, sizeof l, "median latency per row (p90 %s)", p90);
        card(f, "", v, l);
        fputs("</div>\n", f);
        fputs("<p class=\"note\"><b>Exact match</b> compares the raw answer with the label byte "
              "for byte; the only transformation is the protocol's cut of the sentinel "
              "<code>\\n&lt;END_FS&gt;</code> (and what follows it) for &lt;W&gt; rows, "
              "applied to both. The <b>original's</b> numbers "
              "reproduce its evaluation exactly (seed-reference §7): the prediction is first "
              "sanitised <i>using the label</i> (clamped to it when it is a prefix or "
              "substring, any permutation of a readdir array accepted, an empty label forces "
              "an empty prediction), then a row is \"correct\" when the Jaccard similarity of "
              "the two texts' <i>character sets</i> exceeds 0.7.</p>\n",
              f);
        fputs("<h2>Per operation</h2>\n", f);
        chart_ops(f, s);
        fputs("<table><tr><th>op</th><th>rows</th><th>exact</th><th>&lt;W&gt; parses</th>"
              "<th>right state</th><th>right structure,<br>wrong bytes</th><th>label "
              "faults</th><th>original:<br>accuracy</th><th>original:<br>exact</th>"
              "<th>original:<br>avg sim</th></tr>\n",
              f);
        for (int k = 0; k <= LF_OP__COUNT; k++)
            if (s->ops[k].rows)
                tally_row(f, lf_eval_op_label(k), &s->ops[k], false);
        tally_row(f, "all", &s->all, true);
        fputs("</table>\n", f);
        bool any = false;
        for (int e = 1; e < LF_EVAL_NERRNO; e++)
            any |= s->err[e].rows > 0;
        if (any) {
            fputs("<h2>Expected errors</h2><table><tr><th>errno</th><th>rows</th><th>exact</th>"
                  "<th>same errno</th><th>other errno</th><th>answered success</th>"
                  "<th>no answer / unparsed</th></tr>\n",
                  f);
            for (int e = 1; e < LF_EVAL_NERRNO; e++) {
                const lf_eval_errno_row *er = &s->err[e];
                if (er->rows)
                    fprintf(f, "<tr><td>%s</td><td>%zu</td><td class=\"ours\">%zu</td><td>%zu"
                               "</td><td>%zu</td><td>%zu</td><td>%zu</td></tr>\n",
                            lf_errno_name(e) ? lf_errno_name(e) : "?", er->rows, er->exact,
                            er->same_errno, er->other_errno, er->success, er->unparsed);
            }
            fputs("</table>\n", f);
        }
        fputs("<h2>Why answers are not exact</h2><table><tr><th>reason</th><th>rows</th></tr>\n",
              f);
        for (int w = 1; w < LF_WHY__COUNT; w++)
            if (s->all.why[w])
                fprintf(f, "<tr><td>%s</td><td>%zu</td></tr>\n", lf_eval_why_name(w),
                        s->all.why[w]);
        fputs("</table>\n", f);
        if (s->nfaults) {
            fputs("<h2>Labels that disagree with the oracle</h2><p class=\"note\">The original's "
                  "known label faults (docs/SEED-EVAL.md), found by the classifier of "
                  "<code>llmfuse oracle --check</code>. An answer that differs from such a "
                  "label may well be right.</p><table><tr><th>category</th><th>rows</th></tr>\n",
                  f);
            for (size_t i = 0; i < s->nfaults; i++) {
                fputs("<tr><td>", f);
                esc(f, s->fault_names[i]);
                fprintf(f, "</td><td>%zu</td></tr>\n", s->fault_counts[i]);
            }
            fputs("</table>\n", f);
        }
        fputs("<h2 id=\"latency\">Latency</h2>\n", f);
        chart_latency(f, s);
        fputs("<h2>Rows that are not exact</h2>", f);
        if (t->exact == t->rows)
            fputs("<p class=\"note\">None: every answer is the label, byte for byte.</p>\n", f);
        else
            fputs("<table><tr><th>row</th><th class=\"l\">op</th><th class=\"l\">reason</th>"
                  "<th class=\"l\">label fault</th><th class=\"l\">first divergence (byte "
                  "offset: context, <span class=\"exp\">expected</span>, <span class=\"got\">"
                  "got</span>)</th></tr>\n",
                  f);
        size_t shown = 0;
        for (size_t i = 0; i < rows->n && shown < 300; i++) {
            const lf_eval_row *r = &rows->rows[i];
            if (r->v.exact)
                continue;
            shown++;
            fprintf(f, "<tr><td>%zu</td><td class=\"l\">%s</td><td class=\"l\">%s</td>"
                       "<td class=\"l\">",
                    r->index, lf_eval_op_label(r->op), lf_eval_why_name(r->v.why));
            esc(f, r->label_fault ? r->label_fault : "");
            fputs("</td><td class=\"l mono diff\">", f);
            if (r->backend_msg)
                esc(f, r->backend_msg);
            else if (r->v.diff_before) {
                fprintf(f, "%zu: <span class=\"ctx\">…", r->v.diff_off);
                esc(f, r->v.diff_before);
                fputs("</span><br><span class=\"exp\">", f);
                esc(f, r->v.diff_expected);
                fputs("</span><br><span class=\"got\">", f);
                esc(f, r->v.diff_got);
                fputs("</span>", f);
            }
            fputs("</td></tr>\n", f);
        }
        if (t->exact != t->rows)
            fputs("</table>\n", f);
        if (shown == 300)
            fputs("<p class=\"note\">The first 300 are shown; report.json has every row.</p>\n",
                  f);
    }
    if (eps && eps->n) {
        char per[32], tps[64] = "";
        fmt_dur(per, sizeof per, eps->steps ? eps->seconds / (double)eps->steps : 0);
        if (eps->token_seconds > 0)
            snprintf(tps, sizeof tps, ", %.1f tokens/s", (double)eps->completion_tokens /
                                                             eps->token_seconds);
        fprintf(f, "<h2>Episodes</h2><p class=\"note\">%zu episodes, %zu steps (%s per step%s"
                   "%s). Each step's prompt carried the state the model produced at the step "
                   "before (as a mount does), not the true one. A step is right when the "
                   "model's state equals the true state after it.</p>\n",
                eps->n, eps->steps, per, tps,
                eps->backend_failures ? ", some backend failures" : "");
        fputs("<div class=\"cards\">\n", f);
        for (int h = 0; h < LF_EVAL_HORIZONS; h++) {
            if (!s->ep_den[h])
                continue;
            snprintf(v, sizeof v, "%.0f%%", lf_eval_pct(s->ep_alive[h], s->ep_den[h]));
            snprintf(l, sizeof l, "state still exact after %d step%s (%zu of %zu)",
                     lf_eval_horizons[h], lf_eval_horizons[h] > 1 ? "s" : "", s->ep_alive[h],
                     s->ep_den[h]);
            card(f, h == 0 ? "main" : "", v, l);
        }
        fputs("</div>\n", f);
        chart_drift(f, s);
        fputs("<table><tr><th>after steps</th><th>episodes</th><th>state exact</th><th>state and "
              "every answer exact</th></tr>\n",
              f);
        for (int h = 0; h < LF_EVAL_HORIZONS; h++)
            fprintf(f, "<tr><td>%d</td><td>%zu</td><td class=\"ours\">%zu (%.1f%%)</td>"
                       "<td>%zu (%.1f%%)</td></tr>\n",
                    lf_eval_horizons[h], s->ep_den[h], s->ep_alive[h],
                    lf_eval_pct(s->ep_alive[h], s->ep_den[h]), s->ep_ans_alive[h],
                    lf_eval_pct(s->ep_ans_alive[h], s->ep_den[h]));
        fputs("</table><table><tr><th>steps to first divergence</th><th>episodes</th></tr>\n", f);
        for (int b = 0; b < LF_EVAL_NBINS; b++)
            fprintf(f, "<tr><td>%s</td><td>%zu</td></tr>\n", lf_eval_bin_names[b], s->ep_bins[b]);
        fprintf(f, "</table><p class=\"note\">Answers equal to the label: %zu of %zu steps. "
                   "Equal to the oracle's answer on the model's own state (a diagnostic): %zu. "
                   "Answers a mount would refuse: %zu.%s</p>\n",
                s->ep_exact, eps->steps, s->ep_consistent, s->ep_refused,
                s->ep_gaps ? " Some episodes stop early where the data has a gap." : "");
        fputs("<table><tr><th>episode</th><th>steps</th><th>first divergence</th><th class=\"l\">"
              "op</th><th class=\"l\">true state vs the model's</th></tr>\n",
              f);
        size_t shown = 0;
        for (size_t i = 0; i < eps->n && shown < 100; i++) {
            const lf_eval_episode *e = &eps->eps[i];
            if (e->first_divergence < 0)
                continue;
            shown++;
            fprintf(f, "<tr><td>%ld</td><td>%zu</td><td>%ld</td><td class=\"l\">%s</td>"
                       "<td class=\"l mono diff\">",
                    e->id, e->replayed, e->first_divergence,
                    e->div_op >= 0 ? lf_eval_op_label(e->div_op) : "");
            esc(f, e->div_diff);
            if (e->div_refusal) {
                fputs(" (the answer was refused, so the state was kept: ", f);
                esc(f, e->div_refusal);
                if (e->div_answer) {
                    fputs("; the refused answer against the label: ", f);
                    esc(f, e->div_answer);
                }
                fputs(")", f);
            }
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    fputs("</main></body></html>\n", f);
    return ferror(f) ? -EIO : 0;
}
