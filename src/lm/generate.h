/* generate.h: sampling and text generation over an inference context:
 * greedy, temperature and top-p sampling with a seeded RNG, stop strings
 * (e.g. "<END_FS>") and end-of-text, and copy-speculative greedy decoding
 * (spec.c) whose output is identical to plain greedy decoding. Used by the
 * local backend and `llmfuse complete`. */
#ifndef LF_LM_GENERATE_H
#define LF_LM_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lm/model.h"
#include "lm/tok.h"
#include "util/buf.h"
#include "util/err.h"

/* Index of the largest logit (the first one on ties). */
int32_t lf_argmax(const float *logits, int n);

/* A sampler: temperature <= 0 means greedy; top_p in (0, 1] keeps the
 * smallest set of most likely tokens whose mass reaches top_p. */
typedef struct lf_sampler {
    float temperature;
    float top_p;
    uint64_t rng;       /* state; seed it with the wanted seed */
} lf_sampler;
/* Draws one token from logits[n] (which it may overwrite). Not thread-safe
 * for one sampler. */
int32_t lf_sample(lf_sampler *s, float *logits, int n);

/* A constraint on what may come next (e.g. a grammar). Before each token is
 * chosen, mask sets the logits of the tokens that may not follow to
 * -INFINITY (leaving at least one); feed is told each token emitted. The
 * calls are the same with and without speculation, so speculative output
 * stays plain greedy's. */
typedef struct lf_gen_constraint {
    void *ctx;
    void (*mask)(void *ctx, float *logits, int n);
    void (*feed)(void *ctx, int32_t tok);
} lf_gen_constraint;

/* The greedy decoder's choices, one per emitted token: the token, the
 * runner-up the constraint allowed (-1 when none), and the margin between
 * their logits (INFINITY when none). The smallest margins are where the
 * model was least sure: what an alternative answer changes (local.c). */
typedef struct lf_gen_choice {
    int32_t tok, alt;
    float margin;
} lf_gen_choice;
typedef struct lf_gen_trace {
    lf_gen_choice *v;
    size_t n, cap;
} lf_gen_trace;
void lf_gen_trace_free(lf_gen_trace *t);

typedef struct lf_gen_opts {
    size_t max_tokens;          /* cap on generated tokens (0: until the context is full) */
    const char *const *stops;   /* stop strings; the output ends with the one found */
    size_t n_stops;
    int32_t eos;                /* end-of-text id (not emitted), or -1 */
    float temperature;          /* 0: greedy */
    float top_p;                /* 0 or 1: off */
    uint64_t seed;
    bool spec;                  /* copy-speculation (used only when greedy) */
    int spec_max;               /* largest draft (default 32) */
    int spec_min_match;         /* shortest n-gram match that drafts (default 2; a
                                 * shorter one drafts a single token) */
    const lf_gen_constraint *constraint;  /* NULL: none */
    lf_gen_trace *trace;        /* non-NULL and greedy: each emitted token's
                                 * choice is appended (the caller frees) */
} lf_gen_opts;

typedef enum {
    LF_STOP_MAX = 0, LF_STOP_EOS, LF_STOP_STRING, LF_STOP_CONTEXT,
} lf_stop_reason;

typedef struct lf_gen_stats {
    long prompt_tokens;    /* prompt length */
    long reused_tokens;    /* prompt tokens already in the cache (not recomputed) */
    long gen_tokens;       /* tokens emitted */
    double prefill_s, decode_s;
    long forwards;         /* decode-phase forward calls */
    long drafted, accepted;  /* speculation: draft tokens proposed / accepted */
    lf_stop_reason stop;
} lf_gen_stats;

/* Continues prompt[0..n_prompt) in c. The cache's longest common prefix
 * with the prompt is kept and the rest recomputed. Generated ids go to ids
 * (if non-NULL) and their text to text (if non-NULL; needs tok, which stop
 * strings also need). Returns 0 (also when the context fills up: stats say
 * so), or a negative errno with err set. */
int lf_generate(lf_ctx *c, const lf_tok *tok, const int32_t *prompt, size_t n_prompt,
                const lf_gen_opts *o, lf_ids *ids, lf_buf *text, lf_gen_stats *stats,
                lf_err *err);

/* spec.c: the draft for copy-speculation. hist[0..n) is the sequence so
 * far (prompt, generated, and the pending token last). Finds the earlier
 * occurrence with the longest match (>= min_match, most recent on ties) of
 * hist's suffix and writes the max tokens that followed it to draft (past
 * hist's end the copy repeats the matched period). Returns the draft length
 * (0 when nothing matches). Pure. */
int lf_spec_draft(const int32_t *hist, int n, int min_match, int max, int32_t *draft);

#endif
