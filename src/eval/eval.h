/* eval.h: `llmfuse eval`: run a dataset's prompts through a backend and
 * score the raw answers (docs/EVAL.md).
 *
 * Rows are read from JSONL ({prompt, completion, meta?}); each prompt is
 * parsed leniently (the original's data) and sent as it is through
 * lf_backend_complete, which wraps it with the backend's contract. Every
 * answer is judged twice: by our exact match (score.h) and, labelled as
 * such, by the original's expectation-aware metrics (seed_metric.h). Rows
 * whose label disagrees with the oracle are classified by the original's
 * known label faults (proto/seed.h), so a report can say which "wrong"
 * answers are wrong because the label is.
 *
 * --episodes replays multi-step episodes as a mount lives them: each step's
 * prompt carries the state the model produced at the step before.
 *
 * Threads: lf_eval_run and lf_eval_episodes use `jobs` workers over one
 * backend (which must be thread-safe for jobs > 1); everything else is
 * single-threaded on data the caller owns. */
#ifndef LF_EVAL_EVAL_H
#define LF_EVAL_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "backend/backend.h"
#include "eval/score.h"
#include "eval/seed_metric.h"
#include "util/err.h"

typedef struct lf_eval_row {
    size_t index;             /* 0-based row number in the file */
    char *prompt;             /* the row's prompt (owned) */
    size_t prompt_len;
    char *expected;           /* the row's completion (owned) */
    size_t expected_len;
    long episode, step;       /* meta.episode / meta.step, -1 when absent */
    int op;                   /* lf_op_kind, or -1 when the prompt does not parse */
    bool is_write;            /* <W> prompt */
    int expected_errno;       /* positive errno when the label is ERROR: ENAME, else 0 */
    bool given;               /* answer came from lf_eval_load_answers */
    /* filled by lf_eval_run (once per set) */
    char *answer;             /* raw answer (owned; NULL when the backend failed) */
    size_t answer_len;
    int backend_rc;           /* 0 or the backend's negative errno */
    char *backend_msg;        /* its message (owned) or NULL */
    double seconds;           /* wall time of the backend call(s) */
    int alternatives;         /* alternatives asked for (lf_eval_run_opts.alternatives) */
    bool rescued;             /* the answer is an alternative, taken after the
                                 backend's own was refused */
    long completion_tokens;   /* -1 when the backend does not say */
    lf_eval_verdict v;        /* our verdict */
    lf_seedm_result seed;     /* the original's metrics on the same answer */
    char *label_fault;        /* the label differs from the oracle: the seed fault
                                 category ("mkdir-p", "unexplained: ..."); NULL else */
} lf_eval_row;

typedef struct lf_eval_set {
    lf_eval_row *rows;
    size_t n;
    char *path;               /* the dataset file */
} lf_eval_set;

/* Reads up to limit rows (0: all) of a JSONL dataset. Returns 0, or a
 * negative errno with err naming the file and line. Caller frees. */
int lf_eval_load(const char *path, size_t limit, lf_eval_set *set, lf_err *err);
void lf_eval_set_free(lf_eval_set *set);

/* Reads answers given elsewhere (one JSONL object a line with a string
 * "answer", in the order of the rows; e.g. another tool's outputs, or a
 * model's answers to rescore): lf_eval_run then scores them instead of
 * asking a backend. Fewer lines than rows is an error. Returns 0 or a
 * negative errno with err. */
int lf_eval_load_answers(lf_eval_set *set, const char *path, lf_err *err);

/* Progress: called from worker threads under a lock, done of total. */
typedef void (*lf_eval_progress)(void *ctx, size_t done, size_t total);

typedef struct lf_eval_run_opts {
    int jobs;                 /* workers (>= 1) */
    bool label_check;         /* classify rows whose label disagrees with the oracle */
    lf_eval_progress progress;
    void *progress_ctx;
    int alternatives;         /* as the mount's --alternatives: a refused answer
                                 is followed by up to this many alternatives
                                 (fs/ask.h); 0: the backend's answer only */
} lf_eval_run_opts;

/* Sends every row through b (NULL: only rows with answers loaded by
 * lf_eval_load_answers) and scores it. A backend failure is a row
 * verdict, not an error. Returns 0 or -ENOMEM. */
int lf_eval_run(lf_eval_set *set, lf_backend *b, const lf_eval_run_opts *o, lf_err *err);

/* ---- episodes --------------------------------------------------------- */

#define LF_EVAL_HORIZONS 5
extern const int lf_eval_horizons[LF_EVAL_HORIZONS]; /* 1, 5, 10, 25, 50 */

typedef struct lf_eval_episode {
    long id;                  /* meta.episode */
    size_t steps;             /* rows of the episode */
    size_t replayed;          /* steps replayed (fewer when the data has a gap) */
    long first_divergence;    /* 1-based step after which the model's state first
                                 differed from the true one; -1 never */
    long first_wrong_answer;  /* 1-based step of the first non-exact answer; -1 never */
    size_t answers_exact;     /* answers equal to the row's completion */
    size_t answers_consistent;/* answers equal to the oracle's on the model's own state */
    size_t refused;           /* answers the mount would refuse (no parse, bad shape) */
    size_t alternatives;      /* alternatives asked for (lf_eval_run_opts.alternatives) */
    size_t rescued;           /* steps whose answer taken was an alternative */
    bool gap;                 /* the data's next prompt disagrees with its label */
    int div_op;               /* op of the first divergence, -1 none */
    char *div_diff;           /* "at byte N: ..." between the two states (owned) */
    char *div_refusal;        /* why the mount refused the answer at the first
                                 divergence (owned; NULL: it was accepted), in
                                 which case div_diff shows the state kept */
    char *div_answer;         /* with div_refusal: "at byte N: ..." between the
                                 row's label and the refused answer itself,
                                 the model's mistake (owned; NULL otherwise) */
    double seconds;
} lf_eval_episode;

typedef struct lf_eval_episodes_result {
    lf_eval_episode *eps;
    size_t n;
    size_t steps;             /* steps replayed, all episodes */
    size_t backend_failures;
    double seconds;
    long completion_tokens;   /* sum over steps that reported tokens */
    double token_seconds;     /* seconds of those steps */
} lf_eval_episodes_result;

/* Replays the set's episodes (rows grouped by meta.episode, ordered by
 * meta.step) through b. Returns 0, -EINVAL with err when no row carries
 * meta.episode, or -ENOMEM. */
int lf_eval_episodes(const lf_eval_set *set, lf_backend *b, const lf_eval_run_opts *o,
                     lf_eval_episodes_result *out, lf_err *err);
void lf_eval_episodes_free(lf_eval_episodes_result *r);

/* ---- summary and reports --------------------------------------------- */

typedef struct lf_eval_info {
    const char *backend;      /* backend name (and model/url) for the header */
    const char *data;         /* dataset path */
    const char *metric;       /* "exact" or "seed": the headline metric */
    double wall_seconds;
} lf_eval_info;

/* Writes report.json, report.md and report.html into dir (created if
 * missing). rows may be NULL (episodes only), eps may be NULL. Returns 0 or
 * a negative errno with err. */
int lf_eval_write_reports(const char *dir, const lf_eval_info *info, const lf_eval_set *rows,
                          const lf_eval_episodes_result *eps, lf_err *err);

/* Prints the short text summary (what report.md starts with) to f. */
void lf_eval_print_summary(FILE *f, const lf_eval_info *info, const lf_eval_set *rows,
                           const lf_eval_episodes_result *eps);

#endif
