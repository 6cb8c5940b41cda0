/* report.c: report.json (every row, so anyone can rescore), report.md and
 * the terminal summary; report.html is in report_html.c. Our exact match
 * is always the first number; the original's metrics follow, labelled. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eval/summary.h"
#include "util/file.h"
#include "util/json.h"
#include "util/text.h"

/* ---- JSON ------------------------------------------------------------- */

/* "key": string, or, for bytes that are not UTF-8, "key": null and
 * "key_base64": "..." */
static int jbytes(lf_buf *o, const char *key, const char *p, size_t n)
{
    int rc;
    if (!p)
        return lf_buf_printf(o, "\"%s\":null", key);
    if (lf_utf8_valid(p, n)) {
        rc = lf_buf_printf(o, "\"%s\":", key);
        return rc ? rc : lf_json_write_str(o, p, n, false);
    }
    rc = lf_buf_printf(o, "\"%s\":null,\"%s_base64\":\"", key, key);
    if (!rc)
        rc = lf_b64_encode(p, n, o);
    return rc ? rc : lf_buf_putc(o, '"');
}

static int jstr(lf_buf *o, const char *key, const char *s)
{
    return jbytes(o, key, s, s ? strlen(s) : 0);
}

static int json_tally(lf_buf *o, const lf_eval_tally *t)
{
    int rc = lf_buf_printf(o,
                           "{\"rows\":%zu,\"exact\":%zu,\"exact_share\":%.6f,"
                           "\"w_rows\":%zu,\"parses\":%zu,\"state_right\":%zu,"
                           "\"right_structure_wrong_bytes\":%zu,"
                           "\"label_faults\":%zu,\"sound_rows\":%zu,\"sound_exact\":%zu,"
                           "\"original\":{\"accuracy\":%.6f,\"exact_accuracy\":%.6f,"
                           "\"average_similarity\":%.6f},\"why\":{",
                           t->rows, t->exact, t->rows ? (double)t->exact / (double)t->rows : 0.0,
                           t->w_rows, t->parses, t->state_right, t->structure_only,
                           t->label_fault, t->sound, t->sound_exact,
                           t->rows ? (double)t->seed_correct / (double)t->rows : 0.0,
                           t->rows ? (double)t->seed_exact / (double)t->rows : 0.0,
                           t->rows ? t->sim_sum / (double)t->rows : 0.0);
    bool first = true;
    for (int w = 0; w < LF_WHY__COUNT && !rc; w++)
        if (t->why[w]) {
            rc = lf_buf_printf(o, "%s\"%s\":%zu", first ? "" : ",", lf_eval_why_id(w), t->why[w]);
            first = false;
        }
    return rc ? rc : lf_buf_puts(o, "}}");
}

static int json_row(lf_buf *o, const lf_eval_row *r)
{
    int rc = lf_buf_printf(o, "{\"index\":%zu,\"op\":\"%s\",\"tag\":\"%s\",", r->index,
                           lf_eval_op_label(r->op), r->is_write ? "W" : "R");
    if (!rc && r->episode >= 0)
        rc = lf_buf_printf(o, "\"episode\":%ld,\"step\":%ld,", r->episode, r->step);
    if (!rc)
        rc = jbytes(o, "answer", r->answer, r->answer_len);
    if (!rc)
        rc = lf_buf_putc(o, ',');
    if (!rc)
        rc = jbytes(o, "expected", r->expected, r->expected_len);
    if (!rc)
        rc = lf_buf_printf(o, ",\"exact\":%s,\"why\":\"%s\",\"parses\":%s,\"state_right\":%s,"
                              "\"structure\":%s,",
                           r->v.exact ? "true" : "false", lf_eval_why_id(r->v.why),
                           r->v.parses < 0 ? "null" : r->v.parses ? "true" : "false",
                           r->v.state_right < 0 ? "null" : r->v.state_right ? "true" : "false",
                           r->v.structure < 0 ? "null" : r->v.structure ? "true" : "false");
    if (!rc && !r->v.exact && r->v.diff_before) {
        rc = lf_buf_printf(o, "\"diff\":{\"offset\":%zu,", r->v.diff_off);
        if (!rc)
            rc = jstr(o, "before", r->v.diff_before);
        if (!rc)
            rc = lf_buf_putc(o, ',');
        if (!rc)
            rc = jstr(o, "expected", r->v.diff_expected);
        if (!rc)
            rc = lf_buf_putc(o, ',');
        if (!rc)
            rc = jstr(o, "got", r->v.diff_got);
        if (!rc)
            rc = lf_buf_puts(o, "},");
    }
    if (!rc)
        rc = jstr(o, "label_fault", r->label_fault);
    if (!rc && r->backend_msg) {
        rc = lf_buf_putc(o, ',');
        if (!rc)
            rc = jstr(o, "backend_error", r->backend_msg);
    }
    if (!rc)
        rc = lf_buf_printf(o, ",\"seconds\":%.6f,\"completion_tokens\":", r->seconds);
    if (!rc)
        rc = r->completion_tokens >= 0 ? lf_buf_printf(o, "%ld", r->completion_tokens)
                                       : lf_buf_puts(o, "null");
    if (!rc)
        rc = lf_buf_puts(o, ",\"original\":{");
    if (!rc)
        rc = jbytes(o, "predicted", r->seed.predicted, r->seed.predicted_len);
    if (!rc)
        rc = lf_buf_printf(o, ",\"similarity\":%.6f,\"correct\":%s,\"exact\":%s}}",
                           r->seed.similarity, r->seed.correct ? "true" : "false",
                           r->seed.exact ? "true" : "false");
    return rc;
}

static int json_report(lf_buf *o, const lf_eval_info *info, const lf_eval_set *rows,
                       const lf_eval_episodes_result *eps, const lf_eval_summary *s)
{
    int rc = lf_buf_puts(o, "{\"llmfuse_eval\":1,");
    if (!rc)
        rc = jstr(o, "backend", info->backend);
    if (!rc)
        rc = lf_buf_putc(o, ',');
    if (!rc)
        rc = jstr(o, "data", info->data);
    if (!rc)
        rc = lf_buf_printf(o, ",\"metric\":\"%s\",\"wall_seconds\":%.3f", info->metric,
                           info->wall_seconds);
    if (!rc && rows) {
        rc = lf_buf_puts(o, ",\"summary\":");
        if (!rc)
            rc = json_tally(o, &s->all);
        if (!rc)
            rc = lf_buf_printf(o,
                               ",\"backend_failures\":%zu,\"alternatives\":%zu,\"rescued\":%zu,"
                               "\"latency\":{\"median\":%.6f,"
                               "\"p90\":%.6f,\"mean\":%.6f,\"max\":%.6f},\"tokens_per_second\":",
                               s->backend_failures, s->alternatives, s->rescued, s->lat_median, s->lat_p90, s->lat_mean,
                               s->lat_max);
        if (!rc)
            rc = s->token_seconds > 0
                     ? lf_buf_printf(o, "%.3f", (double)s->tokens / s->token_seconds)
                     : lf_buf_puts(o, "null");
        if (!rc)
            rc = lf_buf_puts(o, ",\"per_op\":{");
        bool first = true;
        for (int k = 0; k <= LF_OP__COUNT && !rc; k++) {
            if (!s->ops[k].rows)
                continue;
            rc = lf_buf_printf(o, "%s\"%s\":", first ? "" : ",", lf_eval_op_label(k));
            if (!rc)
                rc = json_tally(o, &s->ops[k]);
            first = false;
        }
        if (!rc)
            rc = lf_buf_puts(o, "},\"per_errno\":{");
        first = true;
        for (int e = 1; e < LF_EVAL_NERRNO && !rc; e++) {
            const lf_eval_errno_row *er = &s->err[e];
            if (!er->rows)
                continue;
            const char *nm = lf_errno_name(e);
            rc = lf_buf_printf(o,
                               "%s\"%s\":{\"rows\":%zu,\"exact\":%zu,\"same_errno\":%zu,"
                               "\"other_errno\":%zu,\"success\":%zu,\"unparsed\":%zu}",
                               first ? "" : ",", nm ? nm : "E?", er->rows, er->exact,
                               er->same_errno, er->other_errno, er->success, er->unparsed);
            first = false;
        }
        if (!rc)
            rc = lf_buf_puts(o, "},\"label_faults\":{");
        for (size_t i = 0; i < s->nfaults && !rc; i++) {
            if (i)
                rc = lf_buf_putc(o, ',');
            if (!rc)
                rc = lf_json_write_str(o, s->fault_names[i], strlen(s->fault_names[i]), false);
            if (!rc)
                rc = lf_buf_printf(o, ":%zu", s->fault_counts[i]);
        }
        if (!rc)
            rc = lf_buf_puts(o, "},\"rows\":[");
        for (size_t i = 0; i < rows->n && !rc; i++) {
            if (i)
                rc = lf_buf_puts(o, ",\n");
            if (!rc)
                rc = json_row(o, &rows->rows[i]);
        }
        if (!rc)
            rc = lf_buf_puts(o, "]");
    }
    if (!rc && eps) {
        rc = lf_buf_printf(o, ",\"episodes\":{\"count\":%zu,\"steps\":%zu,\"gaps\":%zu,"
                              "\"backend_failures\":%zu,\"answers_exact\":%zu,"
                              "\"answers_consistent\":%zu,\"refused\":%zu,\"alternatives\":%zu,"
                              "\"rescued\":%zu,\"survival\":[",
                           eps->n, eps->steps, s->ep_gaps, eps->backend_failures, s->ep_exact,
                           s->ep_consistent, s->ep_refused, s->ep_alternatives, s->ep_rescued);
        for (int h = 0; h < LF_EVAL_HORIZONS && !rc; h++)
            rc = lf_buf_printf(o, "%s{\"steps\":%d,\"episodes\":%zu,\"state_right\":%zu,"
                                  "\"state_and_answers_right\":%zu}",
                               h ? "," : "", lf_eval_horizons[h], s->ep_den[h], s->ep_alive[h],
                               s->ep_ans_alive[h]);
        if (!rc)
            rc = lf_buf_puts(o, "],\"first_divergence\":{");
        for (int b = 0; b < LF_EVAL_NBINS && !rc; b++)
            rc = lf_buf_printf(o, "%s\"%s\":%zu", b ? "," : "", lf_eval_bin_names[b],
                               s->ep_bins[b]);
        if (!rc)
            rc = lf_buf_puts(o, "},\"list\":[");
        for (size_t i = 0; i < eps->n && !rc; i++) {
            const lf_eval_episode *e = &eps->eps[i];
            rc = lf_buf_printf(o,
                               "%s{\"episode\":%ld,\"steps\":%zu,\"replayed\":%zu,"
                               "\"first_divergence\":%ld,\"first_wrong_answer\":%ld,"
                               "\"answers_exact\":%zu,\"answers_consistent\":%zu,\"refused\":%zu,"
                               "\"gap\":%s,\"divergence_op\":\"%s\",",
                               i ? ",\n" : "", e->id, e->steps, e->replayed, e->first_divergence,
                               e->first_wrong_answer, e->answers_exact, e->answers_consistent,
                               e->refused, e->gap ? "true" : "false",
                               e->div_op >= 0 ? lf_eval_op_label(e->div_op) : "");
            if (!rc)
                rc = jstr(o, "divergence", e->div_diff);
            if (!rc)
                rc = lf_buf_puts(o, ",");
            if (!rc)
                rc = jstr(o, "refused_because", e->div_refusal);
            if (!rc)
                rc = lf_buf_puts(o, ",");
            if (!rc)
                rc = jstr(o, "refused_answer", e->div_answer);
            if (!rc)
                rc = lf_buf_printf(o, ",\"seconds\":%.6f}", e->seconds);
        }
        if (!rc)
            rc = lf_buf_puts(o, "]}");
    }
    return rc ? rc : lf_buf_puts(o, "}\n");
}

/* ---- Markdown and text ------------------------------------------------ */

static void md_tally_row(FILE *f, const char *name, const lf_eval_tally *t)
{
    char w[64] = "";
    if (t->w_rows)
        snprintf(w, sizeof w, "%zu / %zu | %zu | %zu", t->parses, t->w_rows, t->state_right,
                 t->structure_only);
    else
        snprintf(w, sizeof w, "– | – | –");
    fprintf(f, "| %s | %zu | **%zu (%.1f%%)** | %s | %zu (%.1f%%) | %zu (%.1f%%) | %.3f |\n", name,
            t->rows, t->exact, lf_eval_pct(t->exact, t->rows), w, t->seed_correct,
            lf_eval_pct(t->seed_correct, t->rows), t->seed_exact,
            lf_eval_pct(t->seed_exact, t->rows), t->rows ? t->sim_sum / (double)t->rows : 0.0);
}

void lf_eval_print_summary(FILE *f, const lf_eval_info *info, const lf_eval_set *rows,
                           const lf_eval_episodes_result *eps)
{
    lf_eval_summary s;
    if (lf_eval_summarise(rows, eps, &s))
        return;
    fprintf(f, "backend: %s\ndata: %s\n", info->backend, info->data);
    if (rows) {
        const lf_eval_tally *t = &s.all;
        bool seed = info->metric && !strcmp(info->metric, "seed");
        if (seed)
            fprintf(f, "original's metric (expectation-aware sanitising, character-set "
                       "Jaccard > 0.7): accuracy %.1f%% (%zu/%zu), exact_accuracy %.1f%%, "
                       "average_similarity %.3f\n",
                    lf_eval_pct(t->seed_correct, t->rows), t->seed_correct, t->rows,
                    lf_eval_pct(t->seed_exact, t->rows),
                    t->rows ? t->sim_sum / (double)t->rows : 0.0);
        fprintf(f, "exact match (%s): %zu/%zu (%.1f%%)\n",
                s.alternatives ? "answers taken after alternatives" : "raw answers", t->exact, t->rows,
                lf_eval_pct(t->exact, t->rows));
        if (t->label_fault)
            fprintf(f, "  rows whose label disagrees with the oracle: %zu; exact on the other "
                       "%zu: %zu (%.1f%%)\n",
                    t->label_fault, t->sound, t->sound_exact,
                    lf_eval_pct(t->sound_exact, t->sound));
        if (t->w_rows)
            fprintf(f, "  <W> rows: %zu parse, %zu leave the right state, %zu right structure "
                       "wrong bytes (of %zu)\n",
                    t->parses, t->state_right, t->structure_only, t->w_rows);
        if (!seed)
            fprintf(f, "for comparison, the original's metric (expectation-aware sanitising, "
                       "character-set Jaccard > 0.7): accuracy %.1f%%, exact_accuracy %.1f%%, "
                       "average_similarity %.3f\n",
                    lf_eval_pct(t->seed_correct, t->rows), lf_eval_pct(t->seed_exact, t->rows),
                    t->rows ? t->sim_sum / (double)t->rows : 0.0);
        fprintf(f, "latency per row: median %.2f ms, p90 %.2f ms", s.lat_median * 1e3,
                s.lat_p90 * 1e3);
        if (s.token_seconds > 0)
            fprintf(f, ", %.1f tokens/s", (double)s.tokens / s.token_seconds);
        if (s.backend_failures)
            fprintf(f, ", %zu backend failures", s.backend_failures);
        fputc('\n', f);
        if (s.alternatives)
            fprintf(f, "alternatives after a refused answer: %zu asked, %zu rows rescued\n",
                    s.alternatives, s.rescued);
    }
    if (eps) {
        fprintf(f, "episodes: %zu (%zu steps replayed%s)\n", eps->n, eps->steps,
                s.ep_gaps ? ", some cut at a data gap" : "");
        for (int h = 0; h < LF_EVAL_HORIZONS; h++)
            if (s.ep_den[h])
                fprintf(f, "  state still exact after %2d steps: %zu/%zu (%.1f%%)\n",
                        lf_eval_horizons[h], s.ep_alive[h], s.ep_den[h],
                        lf_eval_pct(s.ep_alive[h], s.ep_den[h]));
        fprintf(f, "  %.2f ms per step on average", eps->steps ? eps->seconds / (double)eps->steps * 1e3 : 0.0);
        if (eps->token_seconds > 0)
            fprintf(f, ", %.1f tokens/s", (double)eps->completion_tokens / eps->token_seconds);
        if (eps->backend_failures)
            fprintf(f, ", %zu backend failures", eps->backend_failures);
        fputc('\n', f);
        if (s.ep_alternatives)
            fprintf(f, "  alternatives after a refused answer: %zu asked, %zu steps rescued\n",
                    s.ep_alternatives, s.ep_rescued);
        fprintf(f, "  steps to first divergence:");
        for (int b = 0; b < LF_EVAL_NBINS; b++)
            fprintf(f, " %s:%zu", lf_eval_bin_names[b], s.ep_bins[b]);
        fputc('\n', f);
    }
    lf_eval_summary_free(&s);
}

static void md_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|' || *s == '`')
            fputc('\\', f);
        fputc(*s, f);
    }
}

static void write_md(FILE *f, const lf_eval_info *info, const lf_eval_set *rows,
                     const lf_eval_episodes_result *eps, const lf_eval_summary *s)
{
    fprintf(f, "# llmfuse eval\n\n```\n");
    lf_eval_print_summary(f, info, rows, eps);
    fprintf(f, "```\n\n"
               "**Exact** compares the raw answer with the label byte for byte (a `<W>` "
               "answer and its label both lose the sentinel `\\n<END_FS>` and what follows "
               "it; nothing else). The "
               "**original's** columns reproduce its evaluation (seed-reference §7): the "
               "prediction is sanitised *using the label* and a row counts as correct when the "
               "character-set Jaccard similarity exceeds 0.7. They are shown only for "
               "comparison.\n\n");
    if (rows) {
        fprintf(f, "## Per operation\n\n| op | rows | exact | `<W>` parses | right state | "
                   "right structure, wrong bytes | original: correct | original: exact | "
                   "original: avg sim |\n|---|---|---|---|---|---|---|---|---|\n");
        for (int k = 0; k <= LF_OP__COUNT; k++)
            if (s->ops[k].rows)
                md_tally_row(f, lf_eval_op_label(k), &s->ops[k]);
        md_tally_row(f, "**all**", &s->all);
        bool any = false;
        for (int e = 1; e < LF_EVAL_NERRNO; e++)
            any |= s->err[e].rows > 0;
        if (any) {
            fprintf(f, "\n## Expected errors\n\n| errno | rows | exact | same errno | other "
                       "errno | answered success | no answer / unparsed |\n"
                       "|---|---|---|---|---|---|---|\n");
            for (int e = 1; e < LF_EVAL_NERRNO; e++) {
                const lf_eval_errno_row *er = &s->err[e];
                if (er->rows)
                    fprintf(f, "| %s | %zu | %zu | %zu | %zu | %zu | %zu |\n",
                            lf_errno_name(e) ? lf_errno_name(e) : "?", er->rows, er->exact,
                            er->same_errno, er->other_errno, er->success, er->unparsed);
            }
        }
        fprintf(f, "\n## Why answers are not exact\n\n| reason | rows |\n|---|---|\n");
        for (int w = 1; w < LF_WHY__COUNT; w++)
            if (s->all.why[w])
                fprintf(f, "| %s | %zu |\n", lf_eval_why_name(w), s->all.why[w]);
        if (s->nfaults) {
            fprintf(f, "\n## Labels that disagree with the oracle\n\nThe original's known "
                       "label faults (docs/SEED-EVAL.md), found by `llmfuse oracle --check`'s "
                       "classifier:\n\n| category | rows |\n|---|---|\n");
            for (size_t i = 0; i < s->nfaults; i++)
                fprintf(f, "| %s | %zu |\n", s->fault_names[i], s->fault_counts[i]);
        }
        fprintf(f, "\n## Rows that are not exact\n\n| row | op | reason | label fault | "
                   "first divergence |\n|---|---|---|---|---|\n");
        size_t shown = 0;
        for (size_t i = 0; i < rows->n && shown < 500; i++) {
            const lf_eval_row *r = &rows->rows[i];
            if (r->v.exact)
                continue;
            shown++;
            fprintf(f, "| %zu | %s | %s | ", r->index, lf_eval_op_label(r->op),
                    lf_eval_why_name(r->v.why));
            md_escape(f, r->label_fault ? r->label_fault : "");
            fprintf(f, " | ");
            if (r->backend_msg)
                md_escape(f, r->backend_msg);
            else if (r->v.diff_before) {
                fprintf(f, "byte %zu: …", r->v.diff_off);
                md_escape(f, r->v.diff_before);
                fprintf(f, " ⟨expected: ");
                md_escape(f, r->v.diff_expected);
                fprintf(f, "⟩ ⟨got: ");
                md_escape(f, r->v.diff_got);
                fprintf(f, "⟩");
            }
            fprintf(f, " |\n");
        }
        if (shown == 500)
            fprintf(f, "\n(first 500 shown; report.json has every row)\n");
    }
    if (eps) {
        fprintf(f, "\n## Episodes\n\nEach step's prompt carried the state the model produced "
                   "at the step before. A step is right when the model's state equals the true "
                   "state after it.\n\n| after steps | episodes | state exact | state and every "
                   "answer exact |\n|---|---|---|---|\n");
        for (int h = 0; h < LF_EVAL_HORIZONS; h++)
            fprintf(f, "| %d | %zu | %zu (%.1f%%) | %zu (%.1f%%) |\n", lf_eval_horizons[h],
                    s->ep_den[h], s->ep_alive[h], lf_eval_pct(s->ep_alive[h], s->ep_den[h]),
                    s->ep_ans_alive[h], lf_eval_pct(s->ep_ans_alive[h], s->ep_den[h]));
        fprintf(f, "\n| steps to first divergence | episodes |\n|---|---|\n");
        for (int b = 0; b < LF_EVAL_NBINS; b++)
            fprintf(f, "| %s | %zu |\n", lf_eval_bin_names[b], s->ep_bins[b]);
        fprintf(f, "\nAnswers equal to the label: %zu of %zu steps; equal to the oracle's "
                   "answer on the model's own state (diagnostic): %zu; answers a mount would "
                   "refuse: %zu.\n",
                s->ep_exact, eps->steps, s->ep_consistent, s->ep_refused);
        if (s->ep_alternatives)
            fprintf(f, "\nAlternatives asked after a refused answer (`--alternatives`): %zu; "
                       "steps whose answer taken is an alternative: %zu.\n",
                    s->ep_alternatives, s->ep_rescued);
    }
}

int lf_eval_write_reports(const char *dir, const lf_eval_info *info, const lf_eval_set *rows,
                          const lf_eval_episodes_result *eps, lf_err *err)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return lf_err_set(err, errno, "%s: %s", dir, strerror(errno));
    lf_eval_summary s;
    if (lf_eval_summarise(rows, eps, &s))
        return lf_err_set(err, ENOMEM, "out of memory");
    lf_buf j;
    lf_buf_init(&j, 0);
    char path[4096];
    int rc = json_report(&j, info, rows, eps, &s);
    if (rc) {
        lf_err_set(err, -rc, "report.json: cannot render");
        goto out;
    }
    snprintf(path, sizeof path, "%s/report.json", dir);
    rc = lf_file_write_atomic(path, j.data, j.len, err);
    if (rc)
        goto out;
    chmod(path, 0644); /* a report is for sharing, like the .md and .html beside it */
    for (int k = 0; k < 2 && !rc; k++) {
        snprintf(path, sizeof path, "%s/report.%s", dir, k ? "html" : "md");
        FILE *f = fopen(path, "w");
        if (!f) {
            rc = lf_err_set(err, errno, "%s: %s", path, strerror(errno));
            break;
        }
        if (k)
            rc = lf_eval_write_html(f, info, rows, eps, &s);
        else
            write_md(f, info, rows, eps, &s);
        if ((fclose(f) != 0 || rc) && !rc)
            rc = lf_err_set(err, EIO, "%s: write failed", path);
        else if (rc)
            lf_err_set(err, -rc, "%s: cannot render", path);
    }
out:
    lf_buf_free(&j);
    lf_eval_summary_free(&s);
    return rc;
}
