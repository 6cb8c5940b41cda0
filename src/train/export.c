/* export.c: the trained model as GGUF for the engine (io.h): qwen3 keys,
 * the engine's tensor names (wqkv and wgu split), llmfuse.* keys and the
 * tokenizer's metadata; and the way back (a GGUF's weights as the trainer's
 * parameters, to start a run from an exported model). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lm/kernels.h"
#include "lm/quant.h"
#include "proto/content.h"

#include "train/io.h"

/* Adds a [rows][cols] matrix at src as a 2-D tensor of the export type. */
static int add_mat(lf_gguf_writer *w, const char *name, const float *src, size_t rows,
                   size_t cols, lf_texport_type type, void *scratch)
{
    uint64_t ne[2] = {cols, rows};
    size_t n = rows * cols;
    if (type == LF_TEXPORT_F32)
        return lf_gguf_add_tensor(w, name, LF_GGML_F32, 2, ne, src);
    uint16_t *h = scratch;
    for (size_t i = 0; i < n; i++)
        h[i] = type == LF_TEXPORT_BF16 ? lf_f32_to_bf16(src[i]) : lf_f32_to_f16(src[i]);
    return lf_gguf_add_tensor(w, name, type == LF_TEXPORT_BF16 ? LF_GGML_BF16 : LF_GGML_F16,
                              2, ne, h);
}

static int add_vec(lf_gguf_writer *w, const char *name, const float *src, size_t n)
{
    uint64_t ne[1] = {n};
    return lf_gguf_add_tensor(w, name, LF_GGML_F32, 1, ne, src);
}

int lf_texport_gguf(const char *path, const lf_tcfg *c, const float *p, lf_texport_type type,
                    bool content_bytes,
                    const lf_gguf *tok, lf_err *err)
{
    int rc = lf_tcfg_check(c, err);
    if (rc)
        return rc;
    lf_toffs o;
    lf_tcfg_offsets(c, &o);
    size_t D = c->dim, hd = c->head_dim, F = c->ffn, V = c->vocab;
    size_t Q = (size_t)c->n_head * hd, K = (size_t)c->n_kv * hd;
    size_t biggest = V * D > 2 * F * D ? V * D : 2 * F * D;
    void *scratch = malloc(biggest * sizeof(uint16_t));
    lf_gguf_writer *w = lf_gguf_writer_new();
    if (!scratch || !w) {
        rc = lf_err_set(err, ENOMEM, "export: out of memory");
        goto out;
    }
    rc = lf_gguf_set_str(w, "general.architecture", "qwen3");
    if (!rc) rc = lf_gguf_set_str(w, "general.name", "llmfuse");
    if (!rc) rc = lf_gguf_set_u32(w, "qwen3.block_count", (uint32_t)c->n_layer);
    if (!rc) rc = lf_gguf_set_u32(w, "qwen3.context_length", (uint32_t)c->ctx);
    if (!rc) rc = lf_gguf_set_u32(w, "qwen3.embedding_length", (uint32_t)D);
    if (!rc) rc = lf_gguf_set_u32(w, "qwen3.feed_forward_length", (uint32_t)F);
    if (!rc) rc = lf_gguf_set_u32(w, "qwen3.attention.head_count", (uint32_t)c->n_head);
    if (!rc) rc = lf_gguf_set_u32(w, "qwen3.attention.head_count_kv", (uint32_t)c->n_kv);
    if (!rc) rc = lf_gguf_set_u32(w, "qwen3.attention.key_length", (uint32_t)hd);
    if (!rc) rc = lf_gguf_set_u32(w, "qwen3.attention.value_length", (uint32_t)hd);
    if (!rc) rc = lf_gguf_set_f32(w, "qwen3.rope.freq_base", c->rope_base);
    if (!rc) rc = lf_gguf_set_f32(w, "qwen3.attention.layer_norm_rms_epsilon", c->eps);
    if (!rc) rc = lf_gguf_set_u32(w, "llmfuse.protocol", 1);
    if (!rc) rc = lf_gguf_set_str(w, "llmfuse.contract", "none");
    if (!rc && content_bytes) rc = lf_gguf_set_u32(w, LF_CONTENT_BYTES_KEY, 1);
    if (!rc && tok) rc = lf_gguf_copy_kvs(w, tok, "tokenizer.");
    if (rc) {
        rc = lf_err_set(err, -rc, "export: metadata");
        goto out;
    }
    rc = add_mat(w, "token_embd.weight", p + o.emb, V, D, type, scratch);
    char name[96];
    for (int l = 0; !rc && l < c->n_layer; l++) {
        const float *b = p + o.l0 + (size_t)l * o.lstride;
#define NAME(S) (snprintf(name, sizeof name, "blk.%d." S ".weight", l), name)
        rc = add_vec(w, NAME("attn_norm"), b + o.attn_norm, D);
        if (!rc) rc = add_mat(w, NAME("attn_q"), b + o.wqkv, Q, D, type, scratch);
        if (!rc) rc = add_mat(w, NAME("attn_k"), b + o.wqkv + Q * D, K, D, type, scratch);
        if (!rc) rc = add_mat(w, NAME("attn_v"), b + o.wqkv + (Q + K) * D, K, D, type, scratch);
        if (!rc) rc = add_mat(w, NAME("attn_output"), b + o.wo, D, Q, type, scratch);
        if (!rc) rc = add_vec(w, NAME("attn_q_norm"), b + o.q_norm, hd);
        if (!rc) rc = add_vec(w, NAME("attn_k_norm"), b + o.k_norm, hd);
        if (!rc) rc = add_vec(w, NAME("ffn_norm"), b + o.ffn_norm, D);
        if (!rc) rc = add_mat(w, NAME("ffn_gate"), b + o.wgu, F, D, type, scratch);
        if (!rc) rc = add_mat(w, NAME("ffn_up"), b + o.wgu + F * D, F, D, type, scratch);
        if (!rc) rc = add_mat(w, NAME("ffn_down"), b + o.wdown, D, F, type, scratch);
#undef NAME
    }
    if (!rc) rc = add_vec(w, "output_norm.weight", p + o.out_norm, D);
    if (!rc && !c->tied) rc = add_mat(w, "output.weight", p + o.out, V, D, type, scratch);
    if (rc) {
        rc = lf_err_set(err, -rc, "export: adding tensors");
        goto out;
    }
    rc = lf_gguf_write(w, path, err);
out:
    lf_gguf_writer_free(w);
    free(scratch);
    return rc;
}

/* Reads tensor name (shape [rows][cols]) of g into dst as fp32. */
static int get_tensor(const lf_gguf *g, const char *name, float *dst, size_t rows, size_t cols,
                      lf_err *err)
{
    const lf_gguf_tensor *t = lf_gguf_tensor_find(g, name);
    if (!t)
        return lf_err_set(err, EINVAL, "init: no tensor %s", name);
    if (t->ne[0] != cols || (t->n_dims > 1 ? t->ne[1] : 1) != rows ||
        (t->n_dims > 2 && t->ne[2] != 1))
        return lf_err_set(err, EINVAL, "init: %s has shape %llu x %llu, expected %zu x %zu", name,
                          (unsigned long long)(t->n_dims > 1 ? t->ne[1] : 1),
                          (unsigned long long)t->ne[0], rows, cols);
    bool ok = t->type == LF_GGML_F32 || t->type == LF_GGML_F16 || t->type == LF_GGML_BF16 ||
              (t->type == LF_GGML_Q8_0 && cols % LF_Q8_0_BLOCK == 0);
    if (ok) {
        size_t rb = lf_ggml_row_size(t->type, cols);
        for (size_t r = 0; r < rows; r++)
            lf_row_to_f32(t->type, (const uint8_t *)t->data + r * rb, dst + r * cols, (int64_t)cols);
        return 0;
    }
    return lf_err_set(err, EINVAL, "init: %s has type %s, not F32/F16/BF16/Q8_0", name,
                      lf_ggml_type_name(t->type));
}

int lf_timport_gguf(const lf_gguf *g, lf_tcfg *c, float **out, lf_err *err)
{
    *out = NULL;
    uint64_t v[8];
    static const char *const keys[8] = {
        "qwen3.block_count", "qwen3.embedding_length", "qwen3.attention.head_count",
        "qwen3.attention.head_count_kv", "qwen3.attention.key_length",
        "qwen3.feed_forward_length", "qwen3.context_length", NULL};
    for (int i = 0; keys[i]; i++)
        if (lf_gguf_get_u64(g, keys[i], &v[i]) || v[i] == 0 || v[i] > (1u << 20))
            return lf_err_set(err, EINVAL, "init: missing or bad %s", keys[i]);
    lf_tcfg k = *c;
    k.n_layer = (int)v[0]; k.dim = (int)v[1]; k.n_head = (int)v[2]; k.n_kv = (int)v[3];
    k.head_dim = (int)v[4]; k.ffn = (int)v[5]; k.ctx = (int)v[6];
    if (lf_gguf_get_f32(g, "qwen3.rope.freq_base", &k.rope_base) ||
        lf_gguf_get_f32(g, "qwen3.attention.layer_norm_rms_epsilon", &k.eps))
        return lf_err_set(err, EINVAL, "init: missing rope base or norm epsilon");
    const lf_gguf_tensor *emb = lf_gguf_tensor_find(g, "token_embd.weight");
    if (!emb || emb->n_dims != 2)
        return lf_err_set(err, EINVAL, "init: no 2-D token_embd.weight");
    k.vocab = (int)emb->ne[1];
    k.tied = !lf_gguf_tensor_find(g, "output.weight");
    int rc = lf_tcfg_check(&k, err);
    if (rc)
        return rc;
    lf_toffs o;
    lf_tcfg_offsets(&k, &o);
    float *p = malloc(o.n * sizeof(float));
    if (!p)
        return lf_err_set(err, ENOMEM, "init: out of memory");
    size_t D = k.dim, hd = k.head_dim, F = k.ffn, V = k.vocab;
    size_t Q = (size_t)k.n_head * hd, K = (size_t)k.n_kv * hd;
    rc = get_tensor(g, "token_embd.weight", p + o.emb, V, D, err);
    char name[96];
    for (int l = 0; !rc && l < k.n_layer; l++) {
        float *b = p + o.l0 + (size_t)l * o.lstride;
#define NAME(S) (snprintf(name, sizeof name, "blk.%d." S ".weight", l), name)
        rc = get_tensor(g, NAME("attn_norm"), b + o.attn_norm, 1, D, err);
        if (!rc) rc = get_tensor(g, NAME("attn_q"), b + o.wqkv, Q, D, err);
        if (!rc) rc = get_tensor(g, NAME("attn_k"), b + o.wqkv + Q * D, K, D, err);
        if (!rc) rc = get_tensor(g, NAME("attn_v"), b + o.wqkv + (Q + K) * D, K, D, err);
        if (!rc) rc = get_tensor(g, NAME("attn_output"), b + o.wo, D, Q, err);
        if (!rc) rc = get_tensor(g, NAME("attn_q_norm"), b + o.q_norm, 1, hd, err);
        if (!rc) rc = get_tensor(g, NAME("attn_k_norm"), b + o.k_norm, 1, hd, err);
        if (!rc) rc = get_tensor(g, NAME("ffn_norm"), b + o.ffn_norm, 1, D, err);
        if (!rc) rc = get_tensor(g, NAME("ffn_gate"), b + o.wgu, F, D, err);
        if (!rc) rc = get_tensor(g, NAME("ffn_up"), b + o.wgu + F * D, F, D, err);
        if (!rc) rc = get_tensor(g, NAME("ffn_down"), b + o.wdown, D, F, err);
#undef NAME
    }
    if (!rc) rc = get_tensor(g, "output_norm.weight", p + o.out_norm, 1, D, err);
    if (!rc && !k.tied) rc = get_tensor(g, "output.weight", p + o.out, V, D, err);
    if (rc) {
        free(p);
        return rc;
    }
    *c = k;
    *out = p;
    return 0;
}
