/* forward.c: the Qwen3 forward pass over a batch of tokens, in the order the
 * data flows (HF modeling_qwen3.py / llama.cpp's qwen3 graph):
 *
 *   x = token_embd[tok]                                  [T, dim]
 *   per layer:
 *     h = rmsnorm(x) * attn_norm
 *     q = h Wq  [T, n_head, hd]   k = h Wk  [T, n_kv, hd]   v = h Wv  [T, n_kv, hv]
 *     q, k = rmsnorm per head (q_norm, k_norm), then RoPE (NEOX, rotate half)
 *     K/V cache <- k, v at positions pos..pos+T-1
 *     a = softmax(q K^T / sqrt(hd), causal) V  (GQA: head h reads kv head h / (n_head/n_kv))
 *     x += a Wo
 *     h = rmsnorm(x) * ffn_norm
 *     x += (silu(h Wgate) * (h Wup)) Wdown
 *   logits = (rmsnorm(x) * output_norm) Woutput          [T or 1, vocab]
 *
 * Matrix products and attention run on the context's pool, split by output
 * rows (or by (token, head) pairs), so each value is computed by one worker
 * in a fixed order: batched and one-token runs, and any thread count, give
 * identical bits (kernels.h). With bf16_act, the input of each product with
 * BF16 weights is rounded to bf16 once (round_bf16) and the product runs
 * on bf16 pairs (matmul_bf16); the same holds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#include "lm/attn.h"
#include "lm/model.h"
#include "lm/pool.h"

struct lf_ctx {
    const lf_model *m;
    const lf_kern *k;
    lf_pool *pool;
    bool own_pool;
    int n_ctx, max_batch, pos;
    int n_kpos;           /* n_ctx rounded up to whole K blocks */
    bool kv_f16;
    bool bf16_act;        /* BF16 weights take bf16 activations (lf_ctx_opts.act) */
    int32_t *tokens;      /* [n_ctx] the tokens in the cache */
    void *kc;             /* [n_layer][n_kv][n_kpos / LF_KBLK][hd][LF_KBLK] (f32 or f16) */
    void *vc;             /* [n_layer][n_kv][n_ctx][hv] */
    /* scratch for max_batch tokens */
    float *x;             /* [B, dim] residual stream */
    float *h;             /* [B, max(dim, n_head*hv)] normed input / attention output */
    float *q;             /* [B, n_head*hd] */
    float *kk;            /* [B, n_kv*hd] */
    float *vv;            /* [B, n_kv*hv] */
    float *o;             /* [B, dim] matmul output added to x */
    float *f1, *f2;       /* [B, n_ff] gate and up */
    float *rope;          /* [B, hd] cos (first half) and sin (second half) per token */
    float *inv_freq;      /* [hd/2] RoPE frequencies */
    lf_attn_fn attn;      /* the batched attention matching k (attn.h) */
    int att_nq;           /* queries per attention work item (a multiple of the group) */
    float *scores;        /* [nth, att_nq, n_kpos] attention weights per worker */
    uint8_t *xc;          /* [3][B, xc_ld bytes] the converted inputs of one dispatch
                             (convert_inputs) */
    size_t xc_ld;         /* bytes of the widest matrix input, converted either way
                             (a slot holds max_batch rows of it) */
};

/* Below this many tokens the per-token steps (norms, RoPE, cache stores,
 * residual adds, SwiGLU) run on the calling thread: a pool dispatch costs
 * more than they do. Either way every value is computed the same way. */
#define PAR_MIN_T 8

static void run_rows(lf_ctx *c, int T, lf_pool_fn fn, void *arg)
{
    if (T >= PAR_MIN_T)
        lf_pool_run(c->pool, fn, arg);
    else
        fn(arg, 0, 1);
}

/* --- matrix products on the pool: up to 3 independent ones per dispatch. */

typedef struct mm_spec {
    const lf_wmat *w;
    const float *x;
    size_t ldx;
    float *y;
    size_t ldy;
} mm_spec;

typedef struct mm_job {
    const lf_kern *k;
    int T, n;
    mm_spec s[3];
    const uint8_t *xc[3]; /* x converted (convert_inputs), or NULL: fp32 products */
    size_t ldc[3];        /* bytes per converted row */
} mm_job;

static void mm_worker(void *arg, int ith, int nth)
{
    mm_job *j = arg;
    for (int i = 0; i < j->n; i++) {
        int64_t a, b;
        lf_pool_split(j->s[i].w->n_out, ith, nth, 16, &a, &b);
        if (a >= b)
            continue;
        if (j->xc[i] && j->s[i].w->type == LF_GGML_Q8_0)
            j->k->matmul_q8(j->s[i].w, j->xc[i], j->ldc[i], j->s[i].y, j->s[i].ldy, j->T, a, b);
        else if (j->xc[i])
            j->k->matmul_bf16(j->s[i].w, (const uint16_t *)(const void *)j->xc[i],
                              j->ldc[i] / sizeof(uint16_t), j->s[i].y, j->s[i].ldy, j->T, a, b);
        else
            j->k->matmul(j->s[i].w, j->s[i].x, j->s[i].ldx, j->s[i].y, j->s[i].ldy, j->T, a, b);
    }
}

/* Products that take their input converted: Q8_0 weights int8 activations
 * (quant.h's Q8X), BF16 weights with bf16_act bf16 ones. */
static bool converts(const lf_ctx *c, const lf_wmat *w)
{
    return w->type == LF_GGML_Q8_0 || (c->bf16_act && w->type == LF_GGML_BF16);
}

/* Converting the inputs of one dispatch: token rows split among workers. */
typedef struct cv_job {
    const lf_kern *k;
    int T, n;
    bool q8[3];           /* quantise (Q8_0), else round to bf16 */
    const float *x[3];
    size_t ldx[3];
    int64_t n_in[3];
    uint8_t *dst[3];
    size_t ldd[3];        /* bytes per converted row */
} cv_job;

static void cv_worker(void *arg, int ith, int nth)
{
    cv_job *q = arg;
    int64_t a, b;
    lf_pool_split(q->T, ith, nth, 1, &a, &b);
    for (int i = 0; i < q->n; i++)
        for (int64_t t = a; t < b; t++) {
            const float *x = q->x[i] + (size_t)t * q->ldx[i];
            uint8_t *d = q->dst[i] + (size_t)t * q->ldd[i];
            if (q->q8[i])
                q->k->quantize_q8x(x, q->n_in[i], d);
            else
                q->k->round_bf16(x, q->n_in[i], (uint16_t *)(void *)d);
        }
}

/* Each distinct input that products of the dispatch take converted (the
 * same x, stride, width and conversion) is converted once, into c->xc,
 * before the products start (on the pool when the batch is large). */
static void convert_inputs(lf_ctx *c, int T, int n, const mm_spec *s, mm_job *j)
{
    cv_job q = {.k = c->k, .T = T};
    size_t bytes = 0;
    for (int i = 0; i < n; i++) {
        if (!converts(c, s[i].w))
            continue;
        bool q8 = s[i].w->type == LF_GGML_Q8_0;
        int64_t n_in = s[i].w->n_in;
        /* rows packed tight: fewer cache lines for the tiles to stream */
        j->ldc[i] = q8 ? lf_q8x_row_bytes(n_in) : LF_BF16X_LEN(n_in) * sizeof(uint16_t);
        for (int p = 0; p < i && !j->xc[i]; p++)
            if (j->xc[p] && (s[p].w->type == LF_GGML_Q8_0) == q8 && s[p].x == s[i].x &&
                s[p].ldx == s[i].ldx && s[p].w->n_in == s[i].w->n_in)
                j->xc[i] = j->xc[p];
        if (j->xc[i])
            continue;
        uint8_t *dst = c->xc + (size_t)q.n * c->max_batch * c->xc_ld;
        j->xc[i] = dst;
        q.q8[q.n] = q8;
        q.x[q.n] = s[i].x;
        q.ldx[q.n] = s[i].ldx;
        q.n_in[q.n] = n_in;
        q.ldd[q.n] = j->ldc[i];
        q.dst[q.n++] = dst;
        bytes += (size_t)T * j->ldc[i];
    }
    if (!q.n)
        return;
    if (bytes >= 64 * 1024 && lf_pool_size(c->pool) > 1)
        lf_pool_run(c->pool, cv_worker, &q);
    else
        cv_worker(&q, 0, 1);
}

static void matmul(lf_ctx *c, int T, int n, const mm_spec *s)
{
    mm_job j = {.k = c->k, .T = T, .n = n};
    memcpy(j.s, s, (size_t)n * sizeof *s);
    convert_inputs(c, T, n, s, &j);
    lf_pool_run(c->pool, mm_worker, &j);
}

/* --- per-token steps, split by tokens when the batch is large enough. */

/* NEOX RoPE on one head vector v[hd] with cs = {cos[hd/2], sin[hd/2]}. */
static void rope_apply(float *v, const float *cs, int hd)
{
    int half = hd / 2;
    const float *cosv = cs, *sinv = cs + half;
    for (int i = 0; i < half; i++) {
        float x0 = v[i], x1 = v[i + half];
        v[i] = x0 * cosv[i] - x1 * sinv[i];
        v[i + half] = x0 * sinv[i] + x1 * cosv[i];
    }
}

/* cos/sin table for positions pos0..pos0+T-1, as HF computes it in fp32:
 * inv_freq[i] = 1 / theta^(2i/hd) (c->inv_freq), angle = pos * inv_freq[i]. */
static void rope_table(lf_ctx *c, int pos0, int T)
{
    int hd = c->m->cfg.head_dim, half = hd / 2;
    for (int t = 0; t < T; t++) {
        float *cs = c->rope + (size_t)t * hd;
        for (int i = 0; i < half; i++) {
            float ang = (float)(pos0 + t) * c->inv_freq[i];
            cs[i] = cosf(ang);
            cs[half + i] = sinf(ang);
        }
    }
}

/* K of token t goes to its transposed block (kernels.h, attn_scores), V to
 * its row. */
static void kv_store(lf_ctx *c, int layer, int pos0, int t)
{
    const lf_model_cfg *cf = &c->m->cfg;
    int hd = cf->head_dim, hv = cf->v_head_dim, nkv = cf->n_kv_head;
    size_t kstride = (size_t)c->n_kpos * hd, vstride = (size_t)c->n_ctx * hv;
    for (int h = 0; h < nkv; h++) {
        int p = pos0 + t;
        const float *ks = c->kk + (size_t)t * nkv * hd + (size_t)h * hd;
        const float *vs = c->vv + (size_t)t * nkv * hv + (size_t)h * hv;
        size_t ko = ((size_t)layer * nkv + h) * kstride + (size_t)(p / LF_KBLK) * hd * LF_KBLK +
                    (size_t)(p % LF_KBLK);
        size_t vo = ((size_t)layer * nkv + h) * vstride + (size_t)p * hv;
        if (c->kv_f16) {
            uint16_t *kd = (uint16_t *)c->kc + ko, *vd = (uint16_t *)c->vc + vo;
            for (int i = 0; i < hd; i++)
                kd[(size_t)i * LF_KBLK] = lf_f32_to_f16(ks[i]);
            for (int i = 0; i < hv; i++)
                vd[i] = lf_f32_to_f16(vs[i]);
        } else {
            float *kd = (float *)c->kc + ko;
            for (int i = 0; i < hd; i++)
                kd[(size_t)i * LF_KBLK] = ks[i];
            memcpy((float *)c->vc + vo, vs, (size_t)hv * sizeof(float));
        }
    }
}

/* Per token: q and k heads normed (q_norm, k_norm) and rotated, K/V stored. */
typedef struct qk_job {
    lf_ctx *c;
    const lf_layer *L;
    int layer, T, pos0;
} qk_job;

static void qk_worker(void *arg, int ith, int nth)
{
    qk_job *j = arg;
    lf_ctx *c = j->c;
    const lf_model_cfg *cf = &c->m->cfg;
    int hd = cf->head_dim, nh = cf->n_head, nkv = cf->n_kv_head;
    int64_t a, b;
    lf_pool_split(j->T, ith, nth, 1, &a, &b);
    for (int t = (int)a; t < (int)b; t++) {
        const float *cs = c->rope + (size_t)t * hd;
        for (int h = 0; h < nh; h++) {
            float *v = c->q + ((size_t)t * nh + h) * hd;
            c->k->rmsnorm(v, v, j->L->q_norm, hd, cf->eps);
            rope_apply(v, cs, hd);
        }
        for (int h = 0; h < nkv; h++) {
            float *v = c->kk + ((size_t)t * nkv + h) * hd;
            c->k->rmsnorm(v, v, j->L->k_norm, hd, cf->eps);
            rope_apply(v, cs, hd);
        }
        kv_store(c, j->layer, j->pos0, t);
    }
}

/* Per token: x += o (when add), then h = rmsnorm(x) * norm (when norm). */
typedef struct rows_job {
    lf_ctx *c;
    int T;
    bool add;
    const float *norm;
} rows_job;

static void rows_worker(void *arg, int ith, int nth)
{
    rows_job *j = arg;
    lf_ctx *c = j->c;
    int dim = c->m->cfg.dim;
    int64_t a, b;
    lf_pool_split(j->T, ith, nth, 1, &a, &b);
    for (int64_t t = a; t < b; t++) {
        float *x = c->x + (size_t)t * dim;
        if (j->add) {
            const float *o = c->o + (size_t)t * dim;
            for (int i = 0; i < dim; i++)
                x[i] += o[i];
        }
        if (j->norm)
            c->k->rmsnorm(c->h + (size_t)t * dim, x, j->norm, dim, c->m->cfg.eps);
    }
}

static void rows(lf_ctx *c, int T, bool add, const float *norm)
{
    rows_job j = {.c = c, .T = T, .add = add, .norm = norm};
    run_rows(c, T, rows_worker, &j);
}

/* Per token: f1 = silu(f1) * f2, one kernel call per row (so an element's
 * vector lane or scalar tail depends only on its column). */
static void swiglu_worker(void *arg, int ith, int nth)
{
    rows_job *j = arg;
    lf_ctx *c = j->c;
    size_t nff = (size_t)c->m->cfg.n_ff;
    int64_t a, b;
    lf_pool_split(j->T, ith, nth, 1, &a, &b);
    for (int64_t t = a; t < b; t++)
        c->k->swiglu(c->f1 + (size_t)t * nff, c->f2 + (size_t)t * nff, (int)nff);
}

/* --- attention on the pool (attn.h). Work item: one KV head and att_nq
 * consecutive queries of its group, (token, head) in token-major order;
 * items are taken from a shared counter, latest tokens (longest rows)
 * first. Each query's result is one fixed computation wherever it runs. */

typedef struct att_job {
    lf_ctx *c;
    int layer, T, pos0, per_head;
    atomic_int next;
} att_job;

static void att_worker(void *arg, int ith, int nth)
{
    (void)nth;
    att_job *j = arg;
    lf_ctx *c = j->c;
    const lf_model_cfg *cf = &c->m->cfg;
    int hd = cf->head_dim, hv = cf->v_head_dim, nh = cf->n_head, nkv = cf->n_kv_head;
    int grp = nh / nkv, nq_all = j->T * grp;
    float scale = 1.0f / sqrtf((float)hd);
    float *s = c->scores + (size_t)ith * c->att_nq * c->n_kpos;
    size_t kstride = (size_t)c->n_kpos * hd, vstride = (size_t)c->n_ctx * hv;
    size_t esz = c->kv_f16 ? 2 : 4;
    const uint8_t *kl = (const uint8_t *)c->kc + (size_t)j->layer * nkv * kstride * esz;
    const uint8_t *vl = (const uint8_t *)c->vc + (size_t)j->layer * nkv * vstride * esz;
    lf_attn_q qs[LF_ATTN_MAXQ];
    for (;;) {
        int i = atomic_fetch_add(&j->next, 1);
        if (i >= j->per_head * nkv)
            break;
        int g = i % nkv, chunk = j->per_head - 1 - i / nkv;
        int u0 = chunk * c->att_nq, n = nq_all - u0 < c->att_nq ? nq_all - u0 : c->att_nq;
        for (int u = 0; u < n; u++) {
            int t = (u0 + u) / grp, h = g * grp + (u0 + u) % grp;
            qs[u].q = c->q + ((size_t)t * nh + h) * hd;
            qs[u].out = c->h + ((size_t)t * nh + h) * hv;
            qs[u].np = j->pos0 + t + 1; /* causal: keys 0..pos */
        }
        c->attn(c->k, kl + (size_t)g * kstride * esz, vl + (size_t)g * vstride * esz, c->kv_f16,
                hd, hv, scale, qs, n, s, (size_t)c->n_kpos);
    }
}

/* One chunk of T <= max_batch tokens at c->pos. */
static void forward_chunk(lf_ctx *c, const int32_t *tok, int T, bool all_logits, float *logits)
{
    const lf_model *m = c->m;
    const lf_model_cfg *cf = &m->cfg;
    int dim = cf->dim, nh = cf->n_head, nkv = cf->n_kv_head, nff = cf->n_ff;
    size_t qd = (size_t)nh * cf->head_dim, kd = (size_t)nkv * cf->head_dim,
           vd = (size_t)nkv * cf->v_head_dim, ad = (size_t)nh * cf->v_head_dim;
    int pos0 = c->pos;

    for (int t = 0; t < T; t++) {
        const uint8_t *row = (const uint8_t *)m->tok_embd.data + (size_t)tok[t] * m->tok_embd.row_bytes;
        lf_row_to_f32(m->tok_embd.type, row, c->x + (size_t)t * dim, dim);
    }
    rope_table(c, pos0, T);
    rows(c, T, false, m->layers[0].attn_norm); /* h = rmsnorm(x) * attn_norm */

    for (int l = 0; l < cf->n_layer; l++) {
        const lf_layer *L = &m->layers[l];
        mm_spec qkv[3] = {
            {&L->wq, c->h, (size_t)dim, c->q, qd},
            {&L->wk, c->h, (size_t)dim, c->kk, kd},
            {&L->wv, c->h, (size_t)dim, c->vv, vd},
        };
        matmul(c, T, 3, qkv);
        qk_job qj = {.c = c, .L = L, .layer = l, .T = T, .pos0 = pos0};
        run_rows(c, T, qk_worker, &qj);
        att_job aj = {.c = c, .layer = l, .T = T, .pos0 = pos0,
                      .per_head = (T * (nh / nkv) + c->att_nq - 1) / c->att_nq};
        atomic_init(&aj.next, 0);
        lf_pool_run(c->pool, att_worker, &aj);  /* -> c->h [T, nh*hv] */
        mm_spec wo = {&L->wo, c->h, ad, c->o, (size_t)dim};
        matmul(c, T, 1, &wo);
        rows(c, T, true, L->ffn_norm); /* x += o; h = rmsnorm(x) * ffn_norm */
        mm_spec gu[2] = {
            {&L->gate, c->h, (size_t)dim, c->f1, (size_t)nff},
            {&L->up, c->h, (size_t)dim, c->f2, (size_t)nff},
        };
        matmul(c, T, 2, gu);
        rows_job sj = {.c = c, .T = T};
        run_rows(c, T, swiglu_worker, &sj);
        mm_spec dn = {&L->down, c->f1, (size_t)nff, c->o, (size_t)dim};
        matmul(c, T, 1, &dn);
        /* x += o, then the next layer's input norm (or, after the last
         * layer, the output norm of every row when all rows want logits) */
        const float *next = l + 1 < cf->n_layer ? m->layers[l + 1].attn_norm
                            : logits && all_logits ? m->out_norm
                                                   : NULL;
        rows(c, T, true, next);
    }

    memcpy(c->tokens + pos0, tok, (size_t)T * sizeof *tok);
    c->pos = pos0 + T;
    if (!logits)
        return;
    int n = T;
    if (!all_logits) { /* the last row only */
        c->k->rmsnorm(c->h, c->x + (size_t)(T - 1) * dim, m->out_norm, dim, cf->eps);
        n = 1;
    }
    mm_spec out = {&m->output, c->h, (size_t)dim, logits, (size_t)cf->vocab};
    matmul(c, n, 1, &out);
}

int lf_forward(lf_ctx *c, const int32_t *tokens, int n, bool all_logits, float *logits,
               lf_err *err)
{
    int vocab = c->m->cfg.vocab;
    if (n <= 0)
        return lf_err_set(err, EINVAL, "forward: no tokens");
    if (n > c->n_ctx - c->pos)
        return lf_err_set(err, ENOSPC, "forward: %d tokens at position %d exceed the context of %d",
                          n, c->pos, c->n_ctx);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= vocab)
            return lf_err_set(err, EINVAL, "forward: token id %d outside the vocabulary (%d)",
                              (int)tokens[i], vocab);
    for (int i = 0; i < n; i += c->max_batch) {
        int T = n - i < c->max_batch ? n - i : c->max_batch;
        bool last = i + T == n;
        float *lg = NULL;
        if (logits && all_logits)
            lg = logits + (size_t)i * vocab;
        else if (logits && last)
            lg = logits;
        forward_chunk(c, tokens + i, T, all_logits, lg);
    }
    return 0;
}

int lf_ctx_new(const lf_model *m, const lf_ctx_opts *o, lf_ctx **out, lf_err *err)
{
    lf_ctx_opts def = {0};
    if (!o)
        o = &def;
    const lf_model_cfg *cf = &m->cfg;
    lf_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return lf_err_set(err, ENOMEM, "ctx: out of memory");
    c->m = m;
    c->k = o->kern ? o->kern : lf_kern_best();
    c->n_ctx = o->n_ctx > 0 ? o->n_ctx : (cf->n_ctx < 8192 ? cf->n_ctx : 8192);
    c->max_batch = o->max_batch > 0 ? o->max_batch : 256;
    c->kv_f16 = o->kv_f16;
    c->bf16_act = o->act == LF_ACT_BF16 || (o->act == LF_ACT_AUTO && c->k->bf16_native);
    int rc = 0;
    if (o->pool) {
        c->pool = o->pool;
    } else {
        if ((rc = lf_pool_new(o->threads, &c->pool, err)))
            goto fail;
        c->own_pool = true;
    }
    size_t B = (size_t)c->max_batch, esz = c->kv_f16 ? 2 : 4;
    size_t hdim = (size_t)cf->n_head * cf->v_head_dim;
    if (hdim < (size_t)cf->dim)
        hdim = (size_t)cf->dim;
    c->tokens = malloc((size_t)c->n_ctx * sizeof *c->tokens);
    c->n_kpos = (c->n_ctx + LF_KBLK - 1) / LF_KBLK * LF_KBLK;
    /* zeroed: a partial K block is read whole (its unused lanes ignored) */
    c->kc = calloc((size_t)cf->n_layer * cf->n_kv_head * c->n_kpos * cf->head_dim, esz);
    c->vc = malloc((size_t)cf->n_layer * cf->n_kv_head * c->n_ctx * cf->v_head_dim * esz);
    c->x = malloc(B * cf->dim * sizeof(float));
    c->h = malloc(B * hdim * sizeof(float));
    c->q = malloc(B * cf->n_head * cf->head_dim * sizeof(float));
    c->kk = malloc(B * cf->n_kv_head * cf->head_dim * sizeof(float));
    c->vv = malloc(B * cf->n_kv_head * cf->v_head_dim * sizeof(float));
    c->o = malloc(B * cf->dim * sizeof(float));
    c->f1 = malloc(B * cf->n_ff * sizeof(float));
    c->f2 = malloc(B * cf->n_ff * sizeof(float));
    c->rope = malloc(B * cf->head_dim * sizeof(float));
    c->attn = lf_attn_for(c->k);
    int grp = cf->n_head / cf->n_kv_head;
    /* about 8 queries per attention item, whole groups where they fit */
    c->att_nq = grp >= 8 ? (grp < LF_ATTN_MAXQ ? grp : LF_ATTN_MAXQ) : 8 / grp * grp;
    c->scores = malloc((size_t)lf_pool_size(c->pool) * c->att_nq * c->n_kpos * sizeof(float));
    c->inv_freq = malloc((size_t)(cf->head_dim / 2 + 1) * sizeof(float));
    { /* the widest product input (dim, n_head * hv or n_ff), as int8 or bf16 */
        size_t win = hdim > (size_t)cf->n_ff ? hdim : (size_t)cf->n_ff;
        size_t q8 = lf_q8x_row_bytes((int64_t)(win + 31) / 32 * 32);
        size_t bf = LF_BF16X_LEN(win) * sizeof(uint16_t);
        c->xc_ld = ((q8 > bf ? q8 : bf) + 63) / 64 * 64;
        c->xc = malloc(3 * B * c->xc_ld);   /* pages touched only when used */
    }
    for (int i = 0; c->inv_freq && i < cf->head_dim / 2; i++)
        c->inv_freq[i] = 1.0f / powf(cf->rope_theta, (float)(2 * i) / (float)cf->head_dim);
    if (!c->tokens || !c->kc || !c->vc || !c->x || !c->h || !c->q || !c->kk || !c->vv || !c->o ||
        !c->f1 || !c->f2 || !c->rope || !c->scores || !c->inv_freq || !c->xc) {
        rc = lf_err_set(err, ENOMEM, "ctx: out of memory for a context of %d positions", c->n_ctx);
        goto fail;
    }
    *out = c;
    return 0;
fail:
    lf_ctx_free(c);
    return rc;
}

void lf_ctx_free(lf_ctx *c)
{
    if (!c)
        return;
    if (c->own_pool)
        lf_pool_free(c->pool);
    free(c->tokens);
    free(c->kc);
    free(c->vc);
    free(c->x);
    free(c->h);
    free(c->q);
    free(c->kk);
    free(c->vv);
    free(c->o);
    free(c->f1);
    free(c->f2);
    free(c->rope);
    free(c->scores);
    free(c->inv_freq);
    free(c->xc);
    free(c);
}

int lf_ctx_pos(const lf_ctx *c)
{
    return c->pos;
}

int lf_ctx_capacity(const lf_ctx *c)
{
    return c->n_ctx;
}

const int32_t *lf_ctx_tokens(const lf_ctx *c)
{
    return c->tokens;
}

const lf_model *lf_ctx_model(const lf_ctx *c)
{
    return c->m;
}

void lf_ctx_truncate(lf_ctx *c, int pos)
{
    if (pos < 0)
        pos = 0;
    if (pos < c->pos)
        c->pos = pos;
}

bool lf_ctx_bf16_act(const lf_ctx *c)
{
    return c->bf16_act;
}

int lf_act_parse(const char *s)
{
    return !strcmp(s, "auto") ? LF_ACT_AUTO : !strcmp(s, "bf16") ? LF_ACT_BF16
         : !strcmp(s, "fp32") ? LF_ACT_FP32 : -1;
}
