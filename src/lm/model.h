/* model.h: a Qwen3 model loaded from GGUF (general.architecture "qwen3"),
 * its weights used in place from the file's read-only map (never copied),
 * and the per-sequence inference context (forward.c).
 *
 * Conventions are llama.cpp's: a 2-D tensor's ne[0] is its input dimension,
 * so a weight "[n_in, n_out]" below is n_out rows of n_in elements and
 * y = W x computes y[o] = row_o . x. RoPE is the NEOX ("rotate half") form
 * HF's Qwen3 uses, on unpermuted Q/K weights. Types: F32, F16, BF16, Q8_0
 * for matrices; norm vectors are F32 (other types are converted once). */
#ifndef LF_LM_MODEL_H
#define LF_LM_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "lm/gguf.h"
#include "lm/kernels.h"
#include "lm/tok.h"
#include "proto/proto.h"
#include "util/err.h"

typedef struct lf_model_cfg {
    int n_layer;       /* qwen3.block_count */
    int n_ctx;         /* qwen3.context_length (training context) */
    int dim;           /* qwen3.embedding_length */
    int n_ff;          /* qwen3.feed_forward_length */
    int n_head;        /* qwen3.attention.head_count */
    int n_kv_head;     /* qwen3.attention.head_count_kv (GQA; divides n_head) */
    int head_dim;      /* qwen3.attention.key_length (default dim / n_head) */
    int v_head_dim;    /* qwen3.attention.value_length (default head_dim) */
    int vocab;         /* rows of token_embd.weight */
    float rope_theta;  /* qwen3.rope.freq_base (default 1e6) */
    float eps;         /* qwen3.attention.layer_norm_rms_epsilon (default 1e-6) */
} lf_model_cfg;

typedef struct lf_layer {
    const float *attn_norm;  /* blk.N.attn_norm.weight   [dim] */
    lf_wmat wq;              /* blk.N.attn_q.weight      [dim, n_head*head_dim] */
    lf_wmat wk;              /* blk.N.attn_k.weight      [dim, n_kv_head*head_dim] */
    lf_wmat wv;              /* blk.N.attn_v.weight      [dim, n_kv_head*v_head_dim] */
    lf_wmat wo;              /* blk.N.attn_output.weight [n_head*v_head_dim, dim] */
    const float *q_norm;     /* blk.N.attn_q_norm.weight [head_dim] (per head) */
    const float *k_norm;     /* blk.N.attn_k_norm.weight [head_dim] */
    const float *ffn_norm;   /* blk.N.ffn_norm.weight    [dim] */
    lf_wmat gate;            /* blk.N.ffn_gate.weight    [dim, n_ff] */
    lf_wmat up;              /* blk.N.ffn_up.weight      [dim, n_ff] */
    lf_wmat down;            /* blk.N.ffn_down.weight    [n_ff, dim] */
} lf_layer;

typedef struct lf_model {
    lf_model_cfg cfg;
    lf_wmat tok_embd;        /* token_embd.weight [dim, vocab] */
    const float *out_norm;   /* output_norm.weight [dim] */
    lf_wmat output;          /* output.weight [dim, vocab], or tok_embd when tied */
    bool tied;
    lf_layer *layers;        /* n_layer of them */
    lf_contract contract;    /* llmfuse.contract; "seed" for models not made here */
    bool ours;               /* the file carries llmfuse.protocol */
    bool content_bytes;      /* llmfuse.content_bytes: trained on text encoded with
                              * file contents one token per byte (lf_tok_encode_content) */
    lf_gguf *g;              /* the file; weights point into its map */
    bool own_g;
    float **owned;           /* norm vectors converted to F32 */
    int n_owned;
} lf_model;

/* Opens and maps path and loads the model. Returns 0 and *out (free with
 * lf_model_free), or a negative errno with err naming the missing key,
 * tensor or shape. The model is immutable afterwards and may be shared by
 * any number of contexts and threads. */
int lf_model_load(const char *path, lf_model **out, lf_err *err);
/* Same over an open reader; with take the model owns (and closes) g, else g
 * must outlive the model. */
int lf_model_from_gguf(lf_gguf *g, bool take, lf_model **out, lf_err *err);
void lf_model_free(lf_model *m);   /* NULL is fine */
/* Parameter count (embedding counted once when tied). */
uint64_t lf_model_params(const lf_model *m);

/* --- Inference context (forward.c): one sequence's KV cache and scratch. */

typedef struct lf_ctx lf_ctx;
typedef struct lf_pool lf_pool;

/* The activations BF16 weights multiply (lf_kern.matmul_bf16): bf16-rounded
 * ones are faster where the CPU has a bf16 dot product, and give slightly
 * different numbers. AUTO takes bf16 where the kernel table runs the CPU's
 * own instruction (lf_kern.bf16_native), fp32 elsewhere; BF16 and FP32 give
 * the same bits on every CPU. */
typedef enum { LF_ACT_AUTO = 0, LF_ACT_BF16, LF_ACT_FP32 } lf_act;
/* "auto", "bf16", "fp32" -> lf_act; -1 for anything else. */
int lf_act_parse(const char *s);

typedef struct lf_ctx_opts {
    int n_ctx;           /* positions the KV cache holds; <= 0: the model's (capped at 8192) */
    int max_batch;       /* tokens per forward chunk; <= 0: 256 */
    int threads;         /* workers when pool is NULL; <= 0: one per CPU */
    bool kv_f16;         /* store K/V as f16 (halves the cache) */
    lf_act act;          /* activations of BF16 products (default AUTO) */
    const lf_kern *kern; /* NULL: lf_kern_best() */
    lf_pool *pool;       /* shared pool (not owned), or NULL for a private one */
} lf_ctx_opts;

/* Creates a context for m (which must outlive it). Returns 0 and *out. */
int lf_ctx_new(const lf_model *m, const lf_ctx_opts *o, lf_ctx **out, lf_err *err);
/* Whether c's BF16 products take bf16 activations (lf_ctx_opts.act resolved). */
bool lf_ctx_bf16_act(const lf_ctx *c);
void lf_ctx_free(lf_ctx *c);   /* NULL is fine */
/* Tokens in the cache (the next position), the capacity, and the tokens
 * themselves (pos of them; valid until the next call on c). */
int lf_ctx_pos(const lf_ctx *c);
int lf_ctx_capacity(const lf_ctx *c);
const int32_t *lf_ctx_tokens(const lf_ctx *c);
const lf_model *lf_ctx_model(const lf_ctx *c);
/* Forgets every position >= pos (speculation rollback, prefix reuse). */
void lf_ctx_truncate(lf_ctx *c, int pos);

/* Runs tokens[0..n) at positions pos..pos+n-1, appending them to the cache.
 * With all_logits, logits receives n * vocab floats (row i = after token
 * i); otherwise vocab floats after the last token; logits may be NULL when
 * nothing is wanted. Long inputs run in max_batch chunks; results are
 * bit-identical to feeding the tokens one at a time. Returns 0, -ENOSPC when
 * the cache is full, -EINVAL for an id outside the vocabulary. Not
 * thread-safe for one c; distinct contexts may run concurrently. */
int lf_forward(lf_ctx *c, const int32_t *tokens, int n, bool all_logits, float *logits,
               lf_err *err);

/* Whether the GGUF g is marked llmfuse.content_bytes (a model trained on
 * file contents one token per byte): what lf_model_load sets
 * content_bytes from, and what `llmfuse train --init` keeps. */
bool lf_gguf_content_bytes(const lf_gguf *g);
/* Encodes text for m with its tokenizer tok the way m was trained:
 * lf_tok_encode_content when m->content_bytes, else lf_tok_encode. */
int lf_model_encode(const lf_model *m, const lf_tok *tok, const char *text, size_t len,
                    bool parse_special, lf_ids *ids);

#endif
