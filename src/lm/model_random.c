/* model_random.c: writes Qwen3 GGUF files with random weights and a
 * synthetic byte-level BPE vocabulary (model_random.h), for the engine's
 * tests and benchmarks. The vocabulary is valid for our tokenizer and for
 * llama.cpp (tokenizer.ggml.model "gpt2", pre "qwen2"): the 256 byte tokens
 * in GPT-2's byte-to-unicode alphabet, then merged tokens built two and
 * three characters at a time from a set of common characters (each with its
 * merge rule), then the special tokens <|endoftext|> (eos) and <END_FS>. */
#include "lm/model_random.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lm/kernels.h"
#include "util/rng.h"

/* Uniform in [-1, 1), never exactly zero. */
static float rng_sym(uint64_t *s)
{
    float f = (float)((lf_splitmix64(s) >> 40) + 0.5) / (float)(1ull << 24);
    return 2.0f * f - 1.0f;
}

/* GPT-2's byte-to-unicode map, as UTF-8 (at most 2 bytes a byte). */
static void byte_char(int b, char out[3])
{
    int cp;
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)) {
        cp = b;
    } else {
        int n = 0;
        for (int c = 0; c < b; c++)
            if (!((c >= 33 && c <= 126) || (c >= 161 && c <= 172) || (c >= 174 && c <= 255)))
                n++;
        cp = 256 + n;
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        out[1] = 0;
    } else {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        out[2] = 0;
    }
}

static int write_vocab(lf_gguf_writer *w, int vocab)
{
    static const char common[] = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<>/=\"._-\n";
    int nc = (int)strlen(common);
    char **toks = calloc((size_t)vocab, sizeof *toks);
    int32_t *types = calloc((size_t)vocab, sizeof *types);
    int n_merges_cap = vocab, n_merges = 0;
    char **merges = calloc((size_t)n_merges_cap, sizeof *merges);
    int rc = -ENOMEM;
    if (!toks || !types || !merges)
        goto out;
    int n = 0, nbase = vocab - 2 < 256 ? vocab - 2 : 256;
    for (; n < nbase; n++) {
        char c[3];
        byte_char(n, c);
        if (!(toks[n] = strdup(c)))
            goto out;
        types[n] = 1;
    }
    /* two-character tokens, then three (a two-character one + one more) */
    for (int len = 2; len <= 3 && n < vocab - 2; len++)
        for (int i = 0; i < (len == 2 ? nc : nc * nc) && n < vocab - 2; i++)
            for (int j = 0; j < nc && n < vocab - 2; j++) {
                char a[8] = "", b[3];
                if (len == 2) {
                    byte_char((unsigned char)common[i], a);
                } else {
                    char a1[3], a2[3];
                    byte_char((unsigned char)common[i / nc], a1);
                    byte_char((unsigned char)common[i % nc], a2);
                    snprintf(a, sizeof a, "%s%s", a1, a2);
                }
                byte_char((unsigned char)common[j], b);
                size_t la = strlen(a), lb = strlen(b);
                char *t = malloc(la + lb + 1), *mg = malloc(la + lb + 2);
                if (!t || !mg) {
                    free(t);
                    free(mg);
                    goto out;
                }
                memcpy(t, a, la);
                memcpy(t + la, b, lb + 1);
                memcpy(mg, a, la);
                mg[la] = ' ';
                memcpy(mg + la + 1, b, lb + 1);
                toks[n] = t;
                types[n++] = 1;
                merges[n_merges++] = mg;
            }
    /* any remainder: unreachable filler tokens */
    for (; n < vocab - 2; n++) {
        char t[32];
        snprintf(t, sizeof t, "[UNUSED_%d]", n);
        if (!(toks[n] = strdup(t)))
            goto out;
        types[n] = 5;
    }
    toks[n] = strdup("<|endoftext|>");
    types[n++] = 3;
    toks[n] = strdup("<END_FS>");
    types[n++] = 4;
    if (!toks[vocab - 1] || !toks[vocab - 2])
        goto out;
    if ((rc = lf_gguf_set_str(w, "tokenizer.ggml.model", "gpt2")) ||
        (rc = lf_gguf_set_str(w, "tokenizer.ggml.pre", "qwen2")) ||
        (rc = lf_gguf_set_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)toks, NULL,
                                  (size_t)vocab)) ||
        (rc = lf_gguf_set_arr_i32(w, "tokenizer.ggml.token_type", types, (size_t)vocab)) ||
        (rc = lf_gguf_set_arr_str(w, "tokenizer.ggml.merges", (const char *const *)merges, NULL,
                                  (size_t)n_merges)) ||
        (rc = lf_gguf_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)(vocab - 2))) ||
        (rc = lf_gguf_set_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)(vocab - 2))) ||
        (rc = lf_gguf_set_u32(w, "tokenizer.ggml.padding_token_id", (uint32_t)(vocab - 2))) ||
        (rc = lf_gguf_set_bool(w, "tokenizer.ggml.add_bos_token", false)))
        goto out;
out:
    for (int i = 0; toks && i < vocab; i++)
        free(toks[i]);
    for (int i = 0; merges && i < n_merges; i++)
        free(merges[i]);
    free(toks);
    free(types);
    free(merges);
    return rc;
}

/* One tensor of n_out rows x n_in (ne = {n_in, n_out}; n_out 0: a vector). */
static int add_random(lf_gguf_writer *w, const char *name, lf_ggml_type type, int64_t n_in,
                      int64_t n_out, float scale, float center, uint64_t *seed)
{
    int64_t rows = n_out ? n_out : 1;
    size_t n = (size_t)n_in * rows;
    float *f = malloc(n * sizeof(float));
    if (!f)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        f[i] = center + scale * rng_sym(seed);
    if (!n_out)
        type = LF_GGML_F32;
    void *data = f;
    void *conv = NULL;
    if (type != LF_GGML_F32) {
        size_t rb = lf_ggml_row_size(type, (uint64_t)n_in);
        conv = malloc(rb * rows);
        if (!conv || !rb) {
            free(f);
            free(conv);
            return rb ? -ENOMEM : -EINVAL;
        }
        for (int64_t r = 0; r < rows; r++) {
            lf_row_from_f32(type, f + (size_t)r * n_in, (uint8_t *)conv + (size_t)r * rb, n_in);
        }
        data = conv;
    }
    uint64_t ne[2] = {(uint64_t)n_in, (uint64_t)n_out};
    int rc = lf_gguf_add_tensor(w, name, type, n_out ? 2 : 1, ne, data);
    free(f);
    free(conv);
    return rc;
}

int lf_model_write_random(const char *path, const lf_random_spec *s, lf_err *err)
{
    const lf_model_cfg *c = &s->cfg;
    uint64_t seed = s->seed;
    lf_gguf_writer *w = lf_gguf_writer_new();
    if (!w)
        return lf_err_set(err, ENOMEM, "random model: out of memory");
    int rc;
    int64_t qd = (int64_t)c->n_head * c->head_dim, kd = (int64_t)c->n_kv_head * c->head_dim;
    int64_t vd = (int64_t)c->n_kv_head * c->v_head_dim, od = (int64_t)c->n_head * c->v_head_dim;
    if ((rc = lf_gguf_set_str(w, "general.architecture", "qwen3")) ||
        (rc = lf_gguf_set_str(w, "general.name", "llmfuse-random")) ||
        (rc = lf_gguf_set_u32(w, "general.alignment", 32)) ||
        (rc = lf_gguf_set_u32(w, "qwen3.block_count", (uint32_t)c->n_layer)) ||
        (rc = lf_gguf_set_u32(w, "qwen3.context_length", (uint32_t)c->n_ctx)) ||
        (rc = lf_gguf_set_u32(w, "qwen3.embedding_length", (uint32_t)c->dim)) ||
        (rc = lf_gguf_set_u32(w, "qwen3.feed_forward_length", (uint32_t)c->n_ff)) ||
        (rc = lf_gguf_set_u32(w, "qwen3.attention.head_count", (uint32_t)c->n_head)) ||
        (rc = lf_gguf_set_u32(w, "qwen3.attention.head_count_kv", (uint32_t)c->n_kv_head)) ||
        (rc = lf_gguf_set_u32(w, "qwen3.attention.key_length", (uint32_t)c->head_dim)) ||
        (rc = lf_gguf_set_u32(w, "qwen3.attention.value_length", (uint32_t)c->v_head_dim)) ||
        (rc = lf_gguf_set_f32(w, "qwen3.rope.freq_base", c->rope_theta)) ||
        (rc = lf_gguf_set_f32(w, "qwen3.attention.layer_norm_rms_epsilon", c->eps)))
        goto out;
    if (s->ours && ((rc = lf_gguf_set_u32(w, "llmfuse.protocol", 1)) ||
                    (rc = lf_gguf_set_str(w, "llmfuse.contract", s->contract ? s->contract : "none"))))
        goto out;
    if ((rc = write_vocab(w, c->vocab)))
        goto out;
    float emb = 1.0f;
    if ((rc = add_random(w, "token_embd.weight", s->type, c->dim, c->vocab, emb, 0, &seed)))
        goto out;
    for (int l = 0; l < c->n_layer; l++) {
        char name[96];
#define NAME(x) (snprintf(name, sizeof name, "blk.%d." x ".weight", l), name)
        float sd = sqrtf(3.0f / (float)c->dim), sf = sqrtf(3.0f / (float)c->n_ff),
              so = sqrtf(3.0f / (float)od);
        if ((rc = add_random(w, NAME("attn_norm"), LF_GGML_F32, c->dim, 0, 0.25f, 1.0f, &seed)) ||
            (rc = add_random(w, NAME("attn_q"), s->type, c->dim, qd, sd, 0, &seed)) ||
            (rc = add_random(w, NAME("attn_k"), s->type, c->dim, kd, sd, 0, &seed)) ||
            (rc = add_random(w, NAME("attn_v"), s->type, c->dim, vd, sd, 0, &seed)) ||
            (rc = add_random(w, NAME("attn_output"), s->type, od, c->dim, so, 0, &seed)) ||
            (rc = add_random(w, NAME("attn_q_norm"), LF_GGML_F32, c->head_dim, 0, 0.25f, 1.0f, &seed)) ||
            (rc = add_random(w, NAME("attn_k_norm"), LF_GGML_F32, c->head_dim, 0, 0.25f, 1.0f, &seed)) ||
            (rc = add_random(w, NAME("ffn_norm"), LF_GGML_F32, c->dim, 0, 0.25f, 1.0f, &seed)) ||
            (rc = add_random(w, NAME("ffn_gate"), s->type, c->dim, c->n_ff, sd, 0, &seed)) ||
            (rc = add_random(w, NAME("ffn_up"), s->type, c->dim, c->n_ff, sd, 0, &seed)) ||
            (rc = add_random(w, NAME("ffn_down"), s->type, c->n_ff, c->dim, sf, 0, &seed)))
            goto out;
#undef NAME
    }
    if ((rc = add_random(w, "output_norm.weight", LF_GGML_F32, c->dim, 0, 0.25f, 1.0f, &seed)))
        goto out;
    if (!s->tied &&
        (rc = add_random(w, "output.weight", s->type, c->dim, c->vocab, sqrtf(3.0f / (float)c->dim), 0, &seed)))
        goto out;
    rc = lf_gguf_write(w, path, err);
    lf_gguf_writer_free(w);
    return rc;
out:
    lf_gguf_writer_free(w);
    return lf_err_set(err, -rc, "random model: building %s failed", path);
}
