/* io.c: checkpoints and GGUF export (io.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/io.h"
#include "util/buf.h"
#include "util/file.h"

static const char CKPT_MAGIC[8] = "LFCKPT1";

/* Header: magic[8], then int64 fields in this order. */
enum { H_LAYER, H_DIM, H_HEAD, H_KV, H_HD, H_FFN, H_CTX, H_VOCAB, H_TIED, H_ROPE, H_EPS,
       H_STEP, H_POS, H_SEED, H_N, H_COUNT };

int lf_tckpt_save(const char *path, const lf_tckpt *c, lf_err *err)
{
    int64_t h[H_COUNT];
    float rb = c->cfg.rope_base, ep = c->cfg.eps;
    uint32_t rbu, epu;
    memcpy(&rbu, &rb, 4);
    memcpy(&epu, &ep, 4);
    h[H_LAYER] = c->cfg.n_layer; h[H_DIM] = c->cfg.dim; h[H_HEAD] = c->cfg.n_head;
    h[H_KV] = c->cfg.n_kv; h[H_HD] = c->cfg.head_dim; h[H_FFN] = c->cfg.ffn;
    h[H_CTX] = c->cfg.ctx; h[H_VOCAB] = c->cfg.vocab; h[H_TIED] = c->cfg.tied;
    h[H_ROPE] = rbu; h[H_EPS] = epu;
    h[H_STEP] = c->step; h[H_POS] = (int64_t)c->data_pos; h[H_SEED] = (int64_t)c->seed;
    h[H_N] = (int64_t)c->n;
    size_t total = sizeof CKPT_MAGIC + sizeof h + 3 * c->n * sizeof(float);
    uint8_t *img = malloc(total);
    if (!img)
        return lf_err_set(err, ENOMEM, "checkpoint: out of memory");
    uint8_t *q = img;
    memcpy(q, CKPT_MAGIC, sizeof CKPT_MAGIC); q += sizeof CKPT_MAGIC;
    memcpy(q, h, sizeof h); q += sizeof h;
    memcpy(q, c->p, c->n * sizeof(float)); q += c->n * sizeof(float);
    memcpy(q, c->m, c->n * sizeof(float)); q += c->n * sizeof(float);
    memcpy(q, c->v, c->n * sizeof(float));
    int rc = 0;
    size_t part = 0;
    char name[4096];
    for (size_t at = 0; at < total; at += LF_CKPT_PART, part++) {
        size_t len = total - at < LF_CKPT_PART ? total - at : LF_CKPT_PART;
        if (part == 0)
            snprintf(name, sizeof name, "%s", path);
        else
            snprintf(name, sizeof name, "%s.%zu", path, part);
        if ((rc = lf_file_write_atomic(name, img + at, len, err)))
            break;
    }
    if (!rc) {   /* remove parts left from a larger checkpoint */
        for (;; part++) {
            snprintf(name, sizeof name, "%s.%zu", path, part);
            if (unlink(name))
                break;
        }
    }
    free(img);
    return rc;
}

int lf_tckpt_load(const char *path, lf_tckpt *c, lf_err *err)
{
    memset(c, 0, sizeof *c);
    lf_buf b;
    lf_buf_init(&b, (size_t)8 << 30);
    int rc = lf_file_read(path, LF_CKPT_PART, &b, err);
    char name[4096];
    for (size_t part = 1; !rc && b.len % LF_CKPT_PART == 0; part++) {
        snprintf(name, sizeof name, "%s.%zu", path, part);
        if (access(name, F_OK))
            break;
        rc = lf_file_read(name, b.len + LF_CKPT_PART, &b, err);
    }
    if (rc)
        goto out;
    int64_t h[H_COUNT];
    if (b.len < sizeof CKPT_MAGIC + sizeof h || memcmp(b.data, CKPT_MAGIC, sizeof CKPT_MAGIC)) {
        rc = lf_err_set(err, EINVAL, "%s: not a trainer checkpoint", path);
        goto out;
    }
    memcpy(h, b.data + sizeof CKPT_MAGIC, sizeof h);
    c->cfg = (lf_tcfg){.n_layer = (int)h[H_LAYER], .dim = (int)h[H_DIM], .n_head = (int)h[H_HEAD],
                       .n_kv = (int)h[H_KV], .head_dim = (int)h[H_HD], .ffn = (int)h[H_FFN],
                       .ctx = (int)h[H_CTX], .vocab = (int)h[H_VOCAB], .tied = (int)h[H_TIED]};
    uint32_t rbu = (uint32_t)h[H_ROPE], epu = (uint32_t)h[H_EPS];
    memcpy(&c->cfg.rope_base, &rbu, 4);
    memcpy(&c->cfg.eps, &epu, 4);
    if ((rc = lf_tcfg_check(&c->cfg, err))) {
        lf_err_prefix(err, "%s: ", path);
        goto out;
    }
    lf_toffs o;
    lf_tcfg_offsets(&c->cfg, &o);
    c->step = h[H_STEP];
    c->data_pos = (uint64_t)h[H_POS];
    c->seed = (uint64_t)h[H_SEED];
    c->n = (size_t)h[H_N];
    if (c->n != o.n || b.len != sizeof CKPT_MAGIC + sizeof h + 3 * c->n * sizeof(float)) {
        rc = lf_err_set(err, EINVAL, "%s: size does not match its config (missing part?)", path);
        goto out;
    }
    c->p = malloc(c->n * sizeof(float));
    c->m = malloc(c->n * sizeof(float));
    c->v = malloc(c->n * sizeof(float));
    if (!c->p || !c->m || !c->v) {
        rc = lf_err_set(err, ENOMEM, "checkpoint: out of memory");
        goto out;
    }
    const char *q = b.data + sizeof CKPT_MAGIC + sizeof h;
    memcpy(c->p, q, c->n * sizeof(float));
    memcpy(c->m, q + c->n * sizeof(float), c->n * sizeof(float));
    memcpy(c->v, q + 2 * c->n * sizeof(float), c->n * sizeof(float));
out:
    lf_buf_free(&b);
    if (rc)
        lf_tckpt_free(c);
    return rc;
}

void lf_tckpt_free(lf_tckpt *c)
{
    if (!c)
        return;
    free(c->p);
    free(c->m);
    free(c->v);
    c->p = c->m = c->v = NULL;
}

/* Adds rows [r0, r0+rows) of a [.][cols] matrix at src as a 2-D tensor. */
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
