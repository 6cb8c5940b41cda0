/* rows.h: the dataset writer: one JSONL row per kernel call (PROTOCOL.md §8):
 * {"prompt": base prompt, "completion": ..., "meta": {"op", "errno",
 * "episode", "step", "source"}}, written in Python json.dumps's default style
 * (", " and ": " separators, ASCII with \u escapes) like the original's rows.
 *
 * It also numbers steps, caps the rows of an episode, routes episodes to
 * train/val/test files, keeps statistics, and optionally checks each row
 * against the oracle (lf_oracle_answer). lf_rows_emit may be called from the
 * reference filesystem's thread while another thread reads the counters:
 * all entry points take the writer's lock.
 */
#ifndef LF_DATA_ROWS_H
#define LF_DATA_ROWS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/proto.h"
#include "state/state.h"
#include "util/err.h"

typedef struct lf_rows lf_rows;

typedef struct lf_rows_opts {
    const char *out;        /* output file; NULL or "-" = stdout */
    bool split;             /* write OUT.train.jsonl, OUT.val.jsonl, OUT.test.jsonl */
    double frac[3];         /* train, val, test shares (split) */
    uint64_t seed;          /* keys the split of each episode */
    unsigned steps;         /* rows per episode (0 = no cap) */
    bool verify;            /* compare each completion with the oracle's */
    bool stats;             /* keep length statistics */
    const char *model;      /* GGUF with a tokenizer for token statistics, or NULL */
    bool flush_each;        /* flush after each row (the `ref` log) */
} lf_rows_opts;

/* Opens the output(s). Returns 0 or a negative errno (err says which file). */
int lf_rows_open(const lf_rows_opts *o, lf_rows **out, lf_err *err);

/* Starts episode e: step numbers restart at 0. */
void lf_rows_episode(lf_rows *r, unsigned e);

/* Writes one row: op, the state before it, its answer (LF_ANS_ERROR for a
 * failure), source "kernel", "direct" or "oracle". A LF_ANS_LIST's names
 * are sorted here. Rows past the episode's cap are counted as dropped.
 * Returns 0 or a negative errno (write or render failure). */
int lf_rows_emit(lf_rows *r, const lf_op *op, const lf_state *before, const lf_answer *ans,
                 const char *source);

/* Rows written (dropped ones excluded) in this episode / failing ones. */
void lf_rows_counts(lf_rows *r, uint64_t *episode_rows, uint64_t *episode_err);
/* Oracle disagreements so far (with verify). */
uint64_t lf_rows_mismatches(lf_rows *r);
uint64_t lf_rows_total(lf_rows *r);
/* Calls of lf_rows_emit so far, dropped rows included. */
uint64_t lf_rows_emitted(lf_rows *r);

/* Prints statistics (op histogram, error share, length percentiles) to f. */
void lf_rows_print_stats(lf_rows *r, FILE *f);

/* Flushes and closes the outputs and frees r; NULL is fine. Returns 0 or
 * the first write error. */
int lf_rows_close(lf_rows *r, lf_err *err);

#endif
