/* train.h: the model the trainer trains (Qwen3 architecture, as src/lm runs
 * it), its parameter layout, initialisation, optimiser and learning-rate
 * schedule. Shared by the CPU reference (ref.c, the executable spec) and the
 * CUDA trainer (cuda/), which both work on one flat fp32 parameter array laid
 * out as below, so checkpoints, export and the CPU/CUDA comparison need no
 * conversions.
 *
 * Layout of the flat array (row-major [out][in] matrices, like GGUF ne[0]=in):
 *   emb       [V][D]              token embeddings (also the output head if tied)
 *   per layer l (stride lstride, starting at l0):
 *     attn_norm [D]
 *     wqkv      [H*hd + 2*KV*hd][D]   q rows, then k rows, then v rows
 *     wo        [D][H*hd]
 *     q_norm    [hd], k_norm [hd]
 *     ffn_norm  [D]
 *     wgu       [2F][D]             gate rows, then up rows
 *     wdown     [D][F]
 *   out_norm  [D]
 *   out       [V][D]              absent when tied (offs.out == offs.emb)
 * Export (export.c) splits wqkv and wgu into the engine's tensors.
 */
#ifndef LF_TRAIN_TRAIN_H
#define LF_TRAIN_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/err.h"

typedef struct lf_tcfg {
    int n_layer, dim, n_head, n_kv, head_dim, ffn, ctx, vocab;
    float rope_base;   /* RoPE theta (NEOX, rotate half) */
    float eps;         /* RMSNorm epsilon */
    int tied;          /* 1: output head = token embeddings */
} lf_tcfg;

/* Offsets (in floats) of each tensor in the flat parameter array. */
typedef struct lf_toffs {
    size_t emb, out_norm, out, n;            /* n: total parameter count */
    size_t l0, lstride;                      /* layer l starts at l0 + l*lstride */
    size_t attn_norm, wqkv, wo, q_norm, k_norm, ffn_norm, wgu, wdown; /* within a layer */
} lf_toffs;

/* Checks a config (positive sizes, n_head % n_kv == 0, even head_dim, ...).
 * Returns 0 or -EINVAL with a message. */
int lf_tcfg_check(const lf_tcfg *c, lf_err *err);
/* Fills the offsets of config c (which must pass lf_tcfg_check). Inline
 * here so that the CUDA library, which links nothing of lfcore, uses the
 * same layout code. */
static inline void lf_tcfg_offsets(const lf_tcfg *c, lf_toffs *o)
{
    size_t D = c->dim, V = c->vocab, hd = c->head_dim, F = c->ffn;
    size_t Q = (size_t)c->n_head * hd, K = (size_t)c->n_kv * hd;
    memset(o, 0, sizeof *o);
    o->emb = 0;
    o->l0 = V * D;
    size_t k = 0;
    o->attn_norm = k; k += D;
    o->wqkv = k; k += (Q + 2 * K) * D;
    o->wo = k; k += D * Q;
    o->q_norm = k; k += hd;
    o->k_norm = k; k += hd;
    o->ffn_norm = k; k += D;
    o->wgu = k; k += 2 * F * D;
    o->wdown = k; k += D * F;
    o->lstride = k;
    o->out_norm = o->l0 + (size_t)c->n_layer * k;
    o->n = o->out_norm + D;
    if (c->tied) {
        o->out = o->emb;
    } else {
        o->out = o->n;
        o->n += V * D;
    }
}

/* One tensor of the layout, for iteration (export, weight decay, init). */
typedef struct lf_tensor_desc {
    size_t off;       /* in floats */
    size_t rows, cols;/* a vector has rows == 1 */
    int layer;        /* -1 for global tensors */
    const char *kind; /* "emb","attn_norm","wqkv","wo","q_norm","k_norm",
                         "ffn_norm","wgu","wdown","out_norm","out" */
} lf_tensor_desc;
/* Writes up to max descriptors; returns how many the layout has. */
size_t lf_tcfg_tensors(const lf_tcfg *c, lf_tensor_desc *d, size_t max);

/* Deterministic initialisation from seed: matrices N(0, 0.02) (wo and wdown
 * scaled by 1/sqrt(2*n_layer)), norm weights 1. p has lf_toffs.n floats. */
void lf_tmodel_init(const lf_tcfg *c, uint64_t seed, float *p);
/* Grows a model without changing what it computes: `to` is `from` with
 * more layers, FFN units or heads (heads in whole groups: to->n_head /
 * to->n_kv == from->n_head / from->n_kv), every other size equal but the
 * context length. Old layer i goes to layer i * to->n_layer /
 * from->n_layer, so the new layers are spread between them; each new layer
 * is a copy of the old layer before it with wo and wdown zero, so its
 * attention and FFN add nothing to the residual until training moves them.
 * In every layer the old heads and FFN units keep their weights and
 * places; the new ones get N(0, 0.02) input weights (from seed) and zero
 * columns in wo and wdown, so they too add nothing at first. The logits
 * are bit-identical. p has from's lf_toffs.n floats, q to's. Returns 0, or
 * -EINVAL if `to` is not such a growth of `from` (or the same shape). */
int lf_tmodel_grow(const lf_tcfg *from, const float *p, const lf_tcfg *to, float *q,
                   uint64_t seed, lf_err *err);
/* Fills mask (n bytes): 1 where AdamW applies weight decay (matrices). */
void lf_tmodel_decay_mask(const lf_tcfg *c, uint8_t *mask);

/* Model FLOPs of one training token (forward + backward) at sequence length
 * T: 6 * matmul parameters + 6 * n_layer * T * H * hd (causal attention:
 * QK^T and PV, forward and backward, half the square). */
double lf_tmodel_flops_per_token(const lf_tcfg *c, int T);

/* Optimiser settings and the schedule. */
/* One batch of rows, as the trainers take it (lf_tbatcher makes them). */
typedef struct lf_tbatch {
    int B, T;
    const int32_t *tok;   /* [B][T] inputs (padding 0) */
    const int32_t *tgt;   /* [B][T] next token, or -1 (prompt, padding) */
    long n_tgt;           /* targets >= 0 (informative: the trainers count again) */
} lf_tbatch;

typedef struct lf_topt {
    float lr, min_lr_ratio;   /* peak lr; cosine decays to lr*min_lr_ratio */
    int warmup, total_steps;
    float beta1, beta2, adam_eps, weight_decay, clip;  /* clip <= 0: off */
    /* Hard-token weighting (focal, >= 0; 0: the plain mean loss). With
     * focal = g each counted position n gets the weight w_n = (1 - p_n)^g,
     * p_n the model's probability of its target, held constant (no gradient
     * flows through it), and the gradient is that of sum_n w_n nll_n /
     * sum_n w_n: positions the model already predicts surely weigh little,
     * the few it is unsure of (where an answer departs from a copy) much.
     * The reported loss stays the plain mean, comparable across runs. */
    float focal;
} lf_topt;
void lf_topt_default(lf_topt *o);
/* Learning rate at 0-based step: linear warmup over warmup steps
 * ((step+1)/warmup), then cosine from lr to lr*min_lr_ratio at total_steps. */
float lf_topt_lr(const lf_topt *o, long step);

/* Global-norm clipping factor: min(1, clip/norm) (1 when clip <= 0). */
float lf_clip_scale(float clip, double norm);
/* One AdamW step on n parameters (CPU; the CUDA kernel does the same):
 * g' = g*gscale; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
 * p -= lr * (m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd*mask*p), t = step+1. */
void lf_adamw_step(const lf_topt *o, long step, float lr, float gscale, size_t n,
                   float *p, const float *g, float *m, float *v, const uint8_t *mask);

/* bf16 <-> f32 (round to nearest even), f32 -> f16. */
uint16_t lf_f32_to_bf16(float f);
float lf_bf16_to_f32(uint16_t h);
uint16_t lf_f32_to_f16(float f);

#endif
