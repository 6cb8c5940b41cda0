/* attn.h: causal attention for a group of queries that share one KV head
 * (the heads of a GQA group, for one or several tokens of a batch).
 *
 * Each query i attends positions [0, np[i]) of the cache; its result is
 *   s[p]   = scale * sum_d q[d] * K[p][d]          (one chain over d)
 *   w      = softmax(s[0..np))                     (the table's softmax)
 *   out[j] = sum_p w[p] * V[p][j]                  (one chain over p)
 * computed with exactly the operations, in exactly the order, of the kernel
 * table's attn_scores, softmax and attn_mix run on that query alone: the
 * batched kernels only run the chains of several queries (and several K
 * blocks) side by side, so K and V rows are loaded once per group instead
 * of once per query. A query's bits never depend on the queries beside it,
 * which is what keeps a batched forward equal to one-token steps
 * (kernels.h, the determinism contract). tests/unit/lm/test_attn.c checks
 * every batched kernel bit for bit against the one-query path. */
#ifndef LF_LM_ATTN_H
#define LF_LM_ATTN_H

#include <stdbool.h>
#include <stddef.h>

#include "lm/kernels.h"

/* Queries one call takes at most. */
#define LF_ATTN_MAXQ 16

/* One query: q[hd] in, out[hv] written, np >= 1 positions attended. */
typedef struct lf_attn_q {
    const float *q;
    float *out;
    int np;
} lf_attn_q;

/* k: one KV head's transposed K cache (kernels.h, attn_scores layout),
 * v: its V rows [pos][hv]; f16 when f16. s: scratch of nq rows of lds
 * floats, lds >= every np rounded up to LF_KBLK. nq <= LF_ATTN_MAXQ. */
typedef void (*lf_attn_fn)(const lf_kern *k, const void *kc, const void *vc, bool f16, int hd,
                           int hv, float scale, const lf_attn_q *qs, int nq, float *s, size_t lds);

/* The one-query-at-a-time path over k's attn_scores, softmax, attn_mix:
 * the reference every batched kernel must equal bit for bit. */
void lf_attn_each(const lf_kern *k, const void *kc, const void *vc, bool f16, int hd, int hv,
                  float scale, const lf_attn_q *qs, int nq, float *s, size_t lds);

/* The batched kernel that matches table k (the AVX2 or an AVX-512 table), or
 * lf_attn_each for any other table. Thread-safe. */
lf_attn_fn lf_attn_for(const lf_kern *k);

/* The batched kernels themselves, or NULL where the build or CPU lacks the
 * ISA (tests); they match lf_kern_avx2() and lf_kern_avx512(). */
lf_attn_fn lf_attn_avx2(void);
lf_attn_fn lf_attn_avx512(void);

#endif
