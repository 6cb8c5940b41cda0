/* model.c: the trained model's parameter layout (train.h), its
 * initialisation, the AdamW step and the learning-rate schedule on the CPU,
 * and float conversions. The CUDA trainer mirrors lf_adamw_step in a kernel. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "train/train.h"
#include "util/rng.h"

int lf_tcfg_check(const lf_tcfg *c, lf_err *err)
{
    if (c->n_layer < 1 || c->dim < 1 || c->n_head < 1 || c->n_kv < 1 || c->head_dim < 2 ||
        c->ffn < 1 || c->ctx < 1 || c->vocab < 2)
        return lf_err_set(err, EINVAL, "model config: every size must be positive");
    if (c->n_head % c->n_kv)
        return lf_err_set(err, EINVAL, "model config: heads (%d) not a multiple of kv heads (%d)",
                          c->n_head, c->n_kv);
    if (c->head_dim % 2)
        return lf_err_set(err, EINVAL, "model config: head_dim %d is odd (RoPE rotates halves)",
                          c->head_dim);
    if (c->ctx > 16384)
        return lf_err_set(err, EINVAL, "model config: ctx %d above 16384", c->ctx);
    if (!(c->eps > 0) || !(c->rope_base > 1))
        return lf_err_set(err, EINVAL, "model config: bad eps or rope base");
    return 0;
}

size_t lf_tcfg_tensors(const lf_tcfg *c, lf_tensor_desc *d, size_t max)
{
    lf_toffs o;
    lf_tcfg_offsets(c, &o);
    size_t D = c->dim, V = c->vocab, hd = c->head_dim, F = c->ffn;
    size_t Q = (size_t)c->n_head * hd, K = (size_t)c->n_kv * hd;
    size_t n = 0;
#define ADD(OFF, R, C, L, KIND) do { \
        if (n < max)                                                      \
            d[n] = (lf_tensor_desc){(OFF), (R), (C), (L), (KIND)};         \
        n++;                                                              \
    } while (0)
    ADD(o.emb, V, D, -1, "emb");
    for (int l = 0; l < c->n_layer; l++) {
        size_t b = o.l0 + (size_t)l * o.lstride;
        ADD(b + o.attn_norm, 1, D, l, "attn_norm");
        ADD(b + o.wqkv, Q + 2 * K, D, l, "wqkv");
        ADD(b + o.wo, D, Q, l, "wo");
        ADD(b + o.q_norm, 1, hd, l, "q_norm");
        ADD(b + o.k_norm, 1, hd, l, "k_norm");
        ADD(b + o.ffn_norm, 1, D, l, "ffn_norm");
        ADD(b + o.wgu, 2 * F, D, l, "wgu");
        ADD(b + o.wdown, D, F, l, "wdown");
    }
    ADD(o.out_norm, 1, D, -1, "out_norm");
    if (!c->tied)
        ADD(o.out, V, D, -1, "out");
#undef ADD
    return n;
}

/* A normal deviate (Box-Muller) from splitmix64 (util/rng.h), the same on
 * every machine. */
static double next_gauss(uint64_t *s)
{
    double u1 = ((lf_splitmix64(s) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    double u2 = (lf_splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* The shapes lf_tmodel_grow accepts: `to` is `from` with at least as many
 * layers, FFN units and heads, the heads grown in whole groups (the same
 * q heads per kv head), and nothing else changed but the context length. */
static bool grows(const lf_tcfg *from, const lf_tcfg *to)
{
    lf_tcfg same = *to;
    same.n_layer = from->n_layer;
    same.ffn = from->ffn;
    same.n_head = from->n_head;
    same.n_kv = from->n_kv;
    same.ctx = from->ctx;   /* the context length is not in the weights */
    return !memcmp(&same, from, sizeof same) && to->n_layer >= from->n_layer &&
           to->ffn >= from->ffn && to->n_kv >= from->n_kv &&
           (long)to->n_head * from->n_kv == (long)from->n_head * to->n_kv;
}

/* Copies rows x cols of src (row stride scols) into dst (row stride dcols);
 * dst's other columns of those rows are zero. */
static void copy_rows(float *dst, size_t dcols, const float *src, size_t scols, size_t rows)
{
    for (size_t r = 0; r < rows; r++) {
        memcpy(dst + r * dcols, src + r * scols, scols * sizeof *dst);
        memset(dst + r * dcols + scols, 0, (dcols - scols) * sizeof *dst);
    }
}

static void gauss_fill(float *p, size_t n, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(0.02 * next_gauss(s));
}

/* One layer of `f` (at src) written in `t`'s widths (at dst): old rows and
 * columns in place, the new q/k/v and gate/up rows random, the new columns
 * of wo and wdown zero, so the layer computes what it did. */
static void widen_layer(const lf_tcfg *f, const float *src, const lf_tcfg *t, float *dst,
                        uint64_t *s)
{
    lf_toffs a, b;
    lf_tcfg_offsets(f, &a);
    lf_tcfg_offsets(t, &b);
    size_t D = (size_t)t->dim, hd = (size_t)t->head_dim;
    size_t Qa = (size_t)f->n_head * hd, Ka = (size_t)f->n_kv * hd;
    size_t Qb = (size_t)t->n_head * hd, Kb = (size_t)t->n_kv * hd;
    size_t Fa = (size_t)f->ffn, Fb = (size_t)t->ffn;
    memcpy(dst + b.attn_norm, src + a.attn_norm, D * sizeof *dst);
    /* wqkv: q heads, then k heads, then v heads; old heads first in each */
    const size_t old_rows[3] = {Qa, Ka, Ka}, new_rows[3] = {Qb, Kb, Kb};
    const float *ps = src + a.wqkv;
    float *pd = dst + b.wqkv;
    for (int part = 0; part < 3; part++) {
        memcpy(pd, ps, old_rows[part] * D * sizeof *dst);
        gauss_fill(pd + old_rows[part] * D, (new_rows[part] - old_rows[part]) * D, s);
        ps += old_rows[part] * D;
        pd += new_rows[part] * D;
    }
    copy_rows(dst + b.wo, Qb, src + a.wo, Qa, D);
    memcpy(dst + b.q_norm, src + a.q_norm, 2 * hd * sizeof *dst);   /* q_norm, k_norm */
    memcpy(dst + b.ffn_norm, src + a.ffn_norm, D * sizeof *dst);
    for (int part = 0; part < 2; part++) {   /* gate rows, then up rows */
        memcpy(dst + b.wgu + part * Fb * D, src + a.wgu + part * Fa * D, Fa * D * sizeof *dst);
        gauss_fill(dst + b.wgu + (part * Fb + Fa) * D, (Fb - Fa) * D, s);
    }
    copy_rows(dst + b.wdown, Fb, src + a.wdown, Fa, D);
}

int lf_tmodel_grow(const lf_tcfg *from, const float *p, const lf_tcfg *to, float *q,
                   uint64_t seed, lf_err *err)
{
    if (!grows(from, to) || !memcmp(from, to, offsetof(lf_tcfg, ctx)))
        return lf_err_set(err, EINVAL,
                          "growing a model: only more layers (%d -> %d), FFN units (%d -> %d) "
                          "or heads in whole groups (%d/%d -> %d/%d) may differ",
                          from->n_layer, to->n_layer, from->ffn, to->ffn, from->n_head,
                          from->n_kv, to->n_head, to->n_kv);
    lf_toffs a, b;
    lf_tcfg_offsets(from, &a);
    lf_tcfg_offsets(to, &b);
    memcpy(q, p, a.l0 * sizeof *q);   /* embeddings */
    memcpy(q + b.out_norm, p + a.out_norm, (a.n - a.out_norm) * sizeof *q);
    uint64_t s = seed;
    int src = -1;
    for (int j = 0; j < to->n_layer; j++) {
        /* the old layer placed at j, if any */
        int i = src + 1;
        bool old = i < from->n_layer &&
                   (long)i * to->n_layer / from->n_layer == j;
        if (old)
            src = i;
        float *dst = q + b.l0 + (size_t)j * b.lstride;
        widen_layer(from, p + a.l0 + (size_t)(src < 0 ? 0 : src) * a.lstride, to, dst, &s);
        if (!old) {
            memset(dst + b.wo, 0, (b.q_norm - b.wo) * sizeof *q);
            memset(dst + b.wdown, 0, (b.lstride - b.wdown) * sizeof *q);
        }
    }
    return 0;
}

void lf_tmodel_init(const lf_tcfg *c, uint64_t seed, float *p)
{
    lf_tensor_desc d[4 + 8 * 64];
    size_t nt = lf_tcfg_tensors(c, d, sizeof d / sizeof d[0]);
    uint64_t s = seed;
    double resid_scale = 1.0 / sqrt(2.0 * c->n_layer);
    for (size_t t = 0; t < nt && t < sizeof d / sizeof d[0]; t++) {
        size_t n = d[t].rows * d[t].cols;
        if (d[t].rows == 1) {
            for (size_t i = 0; i < n; i++)
                p[d[t].off + i] = 1.0f;
            continue;
        }
        double sd = 0.02;
        if (!strcmp(d[t].kind, "wo") || !strcmp(d[t].kind, "wdown"))
            sd *= resid_scale;
        for (size_t i = 0; i < n; i++)
            p[d[t].off + i] = (float)(sd * next_gauss(&s));
    }
}

void lf_tmodel_decay_mask(const lf_tcfg *c, uint8_t *mask)
{
    lf_tensor_desc d[4 + 8 * 64];
    size_t nt = lf_tcfg_tensors(c, d, sizeof d / sizeof d[0]);
    for (size_t t = 0; t < nt && t < sizeof d / sizeof d[0]; t++)
        memset(mask + d[t].off, d[t].rows > 1, d[t].rows * d[t].cols);
}

double lf_tmodel_flops_per_token(const lf_tcfg *c, int T)
{
    double D = c->dim, hd = c->head_dim, F = c->ffn, V = c->vocab;
    double Q = c->n_head * hd, K = c->n_kv * hd;
    double per_layer = (Q + 2 * K) * D + D * Q + 3 * F * D;
    double mm = c->n_layer * per_layer + V * D;   /* output head */
    return 6.0 * mm + 6.0 * c->n_layer * (double)T * Q;
}

void lf_topt_default(lf_topt *o)
{
    *o = (lf_topt){.lr = 3e-3f, .min_lr_ratio = 0.1f, .warmup = 100, .total_steps = 1000,
                   .beta1 = 0.9f, .beta2 = 0.95f, .adam_eps = 1e-8f, .weight_decay = 0.1f,
                   .clip = 1.0f};
}

float lf_topt_lr(const lf_topt *o, long step)
{
    if (step < o->warmup)
        return o->lr * (float)(step + 1) / (float)o->warmup;
    long span = o->total_steps - o->warmup;
    double frac = span > 0 ? (double)(step - o->warmup) / (double)span : 1.0;
    if (frac > 1.0)
        frac = 1.0;
    double minlr = (double)o->lr * o->min_lr_ratio;
    return (float)(minlr + 0.5 * (1.0 + cos(3.141592653589793 * frac)) * (o->lr - minlr));
}

float lf_clip_scale(float clip, double norm)
{
    if (clip <= 0 || !(norm > clip))
        return 1.0f;
    return (float)(clip / norm);
}

void lf_adamw_step(const lf_topt *o, long step, float lr, float gscale, size_t n,
                   float *p, const float *g, float *m, float *v, const uint8_t *mask)
{
    float b1 = o->beta1, b2 = o->beta2;
    float c1 = 1.0f - powf(b1, (float)(step + 1)), c2 = 1.0f - powf(b2, (float)(step + 1));
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * gscale;
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        float mh = m[i] / c1, vh = v[i] / c2;
        float wd = mask[i] ? o->weight_decay : 0.0f;
        p[i] -= lr * (mh / (sqrtf(vh) + o->adam_eps) + wd * p[i]);
    }
}

uint16_t lf_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40);   /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

float lf_bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t lf_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u)
        return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
    if (ax >= 0x477ff000u)                         /* overflows to inf */
        return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u) {                        /* subnormal or zero in f16 */
        if (ax < 0x33000000u)
            return (uint16_t)sign;
        uint32_t e = ax >> 23, mant = (ax & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - e;   /* value = mant * 2^(e-150) = r * 2^-24 */
        uint32_t r = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1)))
            r++;
        return (uint16_t)(sign | r);
    }
    uint32_t r = ((ax - 0x38000000u) >> 13);
    uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1)))
        r++;
    return (uint16_t)(sign | r);
}
