/* gen_internal.h: the state of one lf_generate call, shared by the plain
 * decoding loop (generate.c) and the speculative one (spec.c). */
#ifndef LF_LM_GEN_INTERNAL_H
#define LF_LM_GEN_INTERNAL_H

#include "lm/generate.h"

typedef struct lf_gen_run {
    lf_ctx *c;
    const lf_tok *tok;
    const lf_gen_opts *o;
    lf_ids *ids;          /* may be NULL */
    lf_buf *text;         /* may be NULL */
    lf_gen_stats *st;
    size_t n_emitted;
    size_t scan_from;     /* text offset from which stop strings are searched */
    float *logits;        /* [(spec_max + 1) * vocab] */
    int32_t alt;          /* the last greedy choice's runner-up (o->trace) */
    float margin;         /* and its margin */
} lf_gen_run;

/* Emits token t (appends id and text, checks eos, stop strings and the
 * token cap). Returns 1 when generation is over (st->stop set), 0 to go
 * on, or a negative errno. */
int lf_gen_emit(lf_gen_run *r, int32_t t, lf_err *err);

/* The greedy choice from one row of logits, under the constraint if any
 * (which may overwrite the row); with o->trace, notes the runner-up and
 * margin for lf_gen_emit to record. */
int32_t lf_gen_greedy(lf_gen_run *r, float *logits, int n);

/* Greedy decoding with copy-speculation, starting from the pending token
 * first (already emitted, not yet in the cache). Returns 0 or -errno. */
int lf_spec_decode(lf_gen_run *r, int32_t first, lf_err *err);

double lf_gen_now(void);

#endif
