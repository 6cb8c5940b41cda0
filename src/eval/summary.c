/* summary.c: per-op, per-errno, latency, label-fault and episode tallies
 * for the reports (summary.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eval/summary.h"

const char *const lf_eval_bin_names[LF_EVAL_NBINS] = {"1", "2-4", "5-9", "10-24", "25-49",
                                                      "50+", "never"};

double lf_eval_pct(size_t num, size_t den)
{
    return den ? 100.0 * (double)num / (double)den : 0.0;
}

const char *lf_eval_op_label(int k)
{
    return k >= 0 && k < LF_OP__COUNT ? lf_op_name((lf_op_kind)k) : "(prompt)";
}

static void tally(lf_eval_tally *t, const lf_eval_row *r)
{
    t->rows++;
    t->exact += r->v.exact;
    if (r->is_write) {
        t->w_rows++;
        t->parses += r->v.parses == 1;
        t->state_right += r->v.state_right == 1;
        t->structure_only += r->v.why == LF_WHY_STRUCTURE;
    }
    t->seed_correct += r->seed.correct;
    t->seed_exact += r->seed.exact;
    t->sim_sum += r->seed.similarity;
    if (r->label_fault) {
        t->label_fault++;
    } else {
        t->sound++;
        t->sound_exact += r->v.exact;
    }
    t->why[r->v.why < LF_WHY__COUNT ? r->v.why : 0]++;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear-interpolated quantile of sorted v (numpy's default). */
static double quantile(const double *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (v[i + 1] - v[i]) * (pos - (double)i);
}

static int bin_of(long d)
{
    if (d < 0)
        return 6;
    return d <= 1 ? 0 : d <= 4 ? 1 : d <= 9 ? 2 : d <= 24 ? 3 : d <= 49 ? 4 : 5;
}

void lf_eval_summary_free(lf_eval_summary *s)
{
    if (!s)
        return;
    free(s->lat);
    free(s->curve);
    free(s->curve_den);
    for (size_t i = 0; i < s->nfaults; i++)
        free(s->fault_names[i]);
    memset(s, 0, sizeof *s);
}

static int add_fault(lf_eval_summary *s, const char *name)
{
    for (size_t i = 0; i < s->nfaults; i++)
        if (!strcmp(s->fault_names[i], name)) {
            s->fault_counts[i]++;
            return 0;
        }
    size_t i = s->nfaults < 32 ? s->nfaults++ : 31; /* the 32nd bucket gathers the rest */
    if (i == 31 && s->fault_names[31]) {
        s->fault_counts[31]++;
        return 0;
    }
    s->fault_names[i] = strdup(i == 31 ? "(other)" : name);
    s->fault_counts[i] = 1;
    return s->fault_names[i] ? 0 : -ENOMEM;
}

int lf_eval_summarise(const lf_eval_set *rows, const lf_eval_episodes_result *eps,
                      lf_eval_summary *s)
{
    memset(s, 0, sizeof *s);
    if (rows && rows->n) {
        s->lat = malloc(rows->n * sizeof *s->lat);
        if (!s->lat)
            return -ENOMEM;
        for (size_t i = 0; i < rows->n; i++) {
            const lf_eval_row *r = &rows->rows[i];
            tally(&s->all, r);
            tally(&s->ops[r->op >= 0 && r->op < LF_OP__COUNT ? r->op : LF_OP__COUNT], r);
            s->alternatives += (size_t)r->alternatives;
            s->rescued += r->rescued;
            if (r->backend_rc < 0) {
                s->backend_failures++;
            } else {
                s->lat[s->nlat++] = r->seconds;
                s->lat_mean += r->seconds;
                if (r->completion_tokens >= 0) {
                    s->tokens += r->completion_tokens;
                    s->token_seconds += r->seconds;
                }
            }
            int e = r->expected_errno;
            if (e > 0 && e < LF_EVAL_NERRNO) {
                lf_eval_errno_row *er = &s->err[e];
                er->rows++;
                er->exact += r->v.exact;
                if (r->v.why == LF_WHY_EXACT || r->v.why == LF_WHY_BYTES)
                    er->same_errno += r->answer && !strncmp(r->answer, "ERROR: ", 7);
                er->other_errno += r->v.why == LF_WHY_ERRNO;
                er->success += r->v.why == LF_WHY_OK_FOR_ERR;
                er->unparsed += r->v.why == LF_WHY_UNPARSED || r->v.why == LF_WHY_BACKEND;
            }
            if (r->label_fault && add_fault(s, r->label_fault))
                return -ENOMEM;
        }
        qsort(s->lat, s->nlat, sizeof *s->lat, cmp_d);
        if (s->nlat) {
            s->lat_mean /= (double)s->nlat;
            s->lat_median = quantile(s->lat, s->nlat, 0.5);
            s->lat_p90 = quantile(s->lat, s->nlat, 0.9);
            s->lat_max = s->lat[s->nlat - 1];
        }
    }
    if (eps && eps->n) {
        for (size_t i = 0; i < eps->n; i++)
            if (eps->eps[i].replayed > s->ep_steps_max)
                s->ep_steps_max = eps->eps[i].replayed;
        size_t m = s->ep_steps_max ? s->ep_steps_max : 1;
        s->curve = calloc(m, sizeof *s->curve);
        s->curve_den = calloc(m, sizeof *s->curve_den);
        if (!s->curve || !s->curve_den)
            return -ENOMEM;
        for (size_t i = 0; i < eps->n; i++) {
            const lf_eval_episode *e = &eps->eps[i];
            s->ep_gaps += e->gap;
            s->ep_consistent += e->answers_consistent;
            s->ep_exact += e->answers_exact;
            s->ep_refused += e->refused;
            s->ep_alternatives += e->alternatives;
            s->ep_rescued += e->rescued;
            s->ep_bins[bin_of(e->first_divergence)]++;
            for (int h = 0; h < LF_EVAL_HORIZONS; h++) {
                size_t k = (size_t)lf_eval_horizons[h];
                if (e->replayed < k)
                    continue;
                s->ep_den[h]++;
                s->ep_alive[h] += e->first_divergence < 0 || e->first_divergence > (long)k;
                s->ep_ans_alive[h] += (e->first_divergence < 0 || e->first_divergence > (long)k) &&
                                      (e->first_wrong_answer < 0 || e->first_wrong_answer > (long)k);
            }
            for (size_t k = 1; k <= e->replayed; k++) {
                s->curve_den[k - 1]++;
                s->curve[k - 1] += e->first_divergence < 0 || e->first_divergence > (long)k;
            }
        }
        for (size_t k = 0; k < s->ep_steps_max; k++)
            s->curve[k] = s->curve_den[k] ? s->curve[k] / (double)s->curve_den[k] : 0;
    }
    return 0;
}
