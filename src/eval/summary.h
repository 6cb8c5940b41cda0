/* summary.h: the numbers every report shows, computed once from the scored
 * rows and the replayed episodes (internal to src/eval/). */
#ifndef LF_EVAL_SUMMARY_H
#define LF_EVAL_SUMMARY_H

#include "eval/eval.h"

#define LF_EVAL_NERRNO 160
#define LF_EVAL_NBINS 7   /* steps to first divergence: 1, 2-4, 5-9, 10-24, 25-49, 50+, never */

typedef struct lf_eval_tally {
    size_t rows, exact;
    size_t w_rows, parses, state_right, structure_only;
    size_t seed_correct, seed_exact;
    double sim_sum;
    size_t label_fault, sound, sound_exact;   /* rows whose label is / is not faulty */
    size_t why[LF_WHY__COUNT];
} lf_eval_tally;

typedef struct lf_eval_errno_row {
    size_t rows, exact, same_errno, other_errno, success, unparsed;
} lf_eval_errno_row;

typedef struct lf_eval_summary {
    lf_eval_tally all;
    lf_eval_tally ops[LF_OP__COUNT + 1];       /* [LF_OP__COUNT]: prompt did not parse */
    lf_eval_errno_row err[LF_EVAL_NERRNO];     /* by the expected errno */
    size_t backend_failures;
    size_t alternatives, rescued;              /* alternatives asked; rows they rescued */
    double *lat;                               /* sorted row latencies (owned) */
    size_t nlat;
    double lat_median, lat_p90, lat_mean, lat_max;
    long tokens;                               /* completion tokens reported */
    double token_seconds;                      /* time of the rows that reported them */
    /* label faults: category names and counts */
    char *fault_names[32];
    size_t fault_counts[32];
    size_t nfaults;
    /* episodes */
    size_t ep_den[LF_EVAL_HORIZONS], ep_alive[LF_EVAL_HORIZONS], ep_ans_alive[LF_EVAL_HORIZONS];
    size_t ep_bins[LF_EVAL_NBINS];
    size_t ep_gaps, ep_steps_max;
    double *curve;                             /* curve[s-1]: share alive after s steps */
    size_t *curve_den;
    size_t ep_consistent, ep_exact, ep_refused;
    size_t ep_alternatives, ep_rescued;        /* alternatives asked; steps they rescued */
} lf_eval_summary;

extern const char *const lf_eval_bin_names[LF_EVAL_NBINS];

/* Fills s from rows (may be NULL) and eps (may be NULL). Returns 0 or -ENOMEM. */
int lf_eval_summarise(const lf_eval_set *rows, const lf_eval_episodes_result *eps,
                      lf_eval_summary *s);
void lf_eval_summary_free(lf_eval_summary *s);

/* share as a percentage, 0 for an empty denominator */
double lf_eval_pct(size_t num, size_t den);

/* The op column's name for ops[k] ("mkdir", ..., "(prompt)"). */
const char *lf_eval_op_label(int k);

/* The HTML report (report_html.c). */
int lf_eval_write_html(FILE *f, const lf_eval_info *info, const lf_eval_set *rows,
                       const lf_eval_episodes_result *eps, const lf_eval_summary *s);

#endif
