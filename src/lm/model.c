/* model.c: loading a Qwen3 GGUF: hyper-parameters from metadata, weight
 * views into the map with every shape and type checked (model.h). */
#include "lm/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/content.h"

#define ARCH "qwen3"

static int get_int(const lf_gguf *g, const char *key, bool required, int def, int *out,
                   lf_err *err)
{
    uint64_t v;
    int rc = lf_gguf_get_u64(g, key, &v);
    if (rc == -ENOENT && !required) {
        *out = def;
        return 0;
    }
    if (rc)
        return lf_err_set(err, EINVAL, "model: %s: %s", key, rc == -ENOENT ? "missing" : "not an integer");
    if (v == 0 || v > (1u << 30))
        return lf_err_set(err, EINVAL, "model: %s: %llu out of range", key, (unsigned long long)v);
    *out = (int)v;
    return 0;
}

static int get_float(const lf_gguf *g, const char *key, float def, float *out, lf_err *err)
{
    int rc = lf_gguf_get_f32(g, key, out);
    if (rc == -ENOENT) {
        *out = def;
        return 0;
    }
    if (rc)
        return lf_err_set(err, EINVAL, "model: %s: not a float", key);
    return 0;
}

static bool type_ok(lf_ggml_type t)
{
    return t == LF_GGML_F32 || t == LF_GGML_F16 || t == LF_GGML_BF16 || t == LF_GGML_Q8_0;
}

/* A matrix [n_in, n_out] named name; optional ones set w->data NULL if absent. */
static int get_mat(const lf_gguf *g, const char *name, int64_t n_in, int64_t n_out, bool optional,
                   lf_wmat *w, lf_err *err)
{
    const lf_gguf_tensor *t = lf_gguf_tensor_find(g, name);
    memset(w, 0, sizeof *w);
    if (!t) {
        if (optional)
            return 0;
        return lf_err_set(err, EINVAL, "model: tensor %s missing", name);
    }
    if (!type_ok(t->type))
        return lf_err_set(err, EINVAL, "model: tensor %s: unsupported type %d", name, (int)t->type);
    if (t->n_dims != 2 || (int64_t)t->ne[0] != n_in || (int64_t)t->ne[1] != n_out)
        return lf_err_set(err, EINVAL, "model: tensor %s: shape [%llu, %llu] (%u dims), want [%lld, %lld]",
                          name, (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
                          t->n_dims, (long long)n_in, (long long)n_out);
    size_t rb = lf_ggml_row_size(t->type, (uint64_t)n_in);
    if (rb == 0 || t->nbytes < rb * (uint64_t)n_out)
        return lf_err_set(err, EINVAL, "model: tensor %s: bad size for type %s", name,
                          lf_ggml_type_name(t->type));
    w->data = t->data;
    w->type = t->type;
    w->n_in = n_in;
    w->n_out = n_out;
    w->row_bytes = rb;
    return 0;
}

/* A vector [n] as F32: in place when stored as F32, else converted. */
static int get_vec(lf_model *m, const char *name, int64_t n, const float **out, lf_err *err)
{
    const lf_gguf_tensor *t = lf_gguf_tensor_find(m->g, name);
    if (!t)
        return lf_err_set(err, EINVAL, "model: tensor %s missing", name);
    if (t->n_dims != 1 || (int64_t)t->ne[0] != n)
        return lf_err_set(err, EINVAL, "model: tensor %s: want 1 dim of %lld", name, (long long)n);
    if (!type_ok(t->type) || t->nbytes < lf_ggml_row_size(t->type, (uint64_t)n) ||
        lf_ggml_row_size(t->type, (uint64_t)n) == 0)
        return lf_err_set(err, EINVAL, "model: tensor %s: bad type or size", name);
    if (t->type == LF_GGML_F32 && ((uintptr_t)t->data % sizeof(float)) == 0) {
        *out = t->data;
        return 0;
    }
    float **owned = realloc(m->owned, (size_t)(m->n_owned + 1) * sizeof *owned);
    if (!owned)
        return lf_err_set(err, ENOMEM, "model: out of memory");
    m->owned = owned;
    float *v = malloc((size_t)n * sizeof(float));
    if (!v)
        return lf_err_set(err, ENOMEM, "model: out of memory");
    lf_row_to_f32(t->type, t->data, v, n);
    m->owned[m->n_owned++] = v;
    *out = v;
    return 0;
}

static int load_cfg(const lf_gguf *g, lf_model_cfg *c, lf_err *err)
{
    int rc;
    if ((rc = get_int(g, ARCH ".block_count", true, 0, &c->n_layer, err)) ||
        (rc = get_int(g, ARCH ".context_length", false, 4096, &c->n_ctx, err)) ||
        (rc = get_int(g, ARCH ".embedding_length", true, 0, &c->dim, err)) ||
        (rc = get_int(g, ARCH ".feed_forward_length", true, 0, &c->n_ff, err)) ||
        (rc = get_int(g, ARCH ".attention.head_count", true, 0, &c->n_head, err)))
        return rc;
    if ((rc = get_int(g, ARCH ".attention.head_count_kv", false, c->n_head, &c->n_kv_head, err)) ||
        (rc = get_int(g, ARCH ".attention.key_length", false, c->dim / c->n_head, &c->head_dim, err)))
        return rc;
    if ((rc = get_int(g, ARCH ".attention.value_length", false, c->head_dim, &c->v_head_dim, err)) ||
        (rc = get_float(g, ARCH ".rope.freq_base", 1e6f, &c->rope_theta, err)) ||
        (rc = get_float(g, ARCH ".attention.layer_norm_rms_epsilon", 1e-6f, &c->eps, err)))
        return rc;
    if (c->n_head % c->n_kv_head)
        return lf_err_set(err, EINVAL, "model: head_count %d not a multiple of head_count_kv %d",
                          c->n_head, c->n_kv_head);
    if (c->head_dim < 2 || c->head_dim % 2)
        return lf_err_set(err, EINVAL, "model: key_length %d must be even", c->head_dim);
    if (c->n_layer > 4096 || c->n_head > 4096)
        return lf_err_set(err, EINVAL, "model: too many layers or heads");
    return 0;
}

int lf_model_from_gguf(lf_gguf *g, bool take, lf_model **out, lf_err *err)
{
    char *arch = NULL, *contract = NULL;
    int rc = 0;
    lf_model *m = calloc(1, sizeof *m);
    if (!m) {
        if (take)
            lf_gguf_close(g);
        return lf_err_set(err, ENOMEM, "model: out of memory");
    }
    m->g = g;
    m->own_g = take;
    rc = lf_gguf_get_str(g, "general.architecture", &arch);
    if (rc || strcmp(arch, ARCH)) {
        rc = lf_err_set(err, EINVAL, "model: general.architecture is %s, want " ARCH,
                        rc ? "missing" : arch);
        goto out;
    }
    lf_model_cfg *c = &m->cfg;
    if ((rc = load_cfg(g, c, err)))
        goto out;

    const lf_gguf_tensor *te = lf_gguf_tensor_find(g, "token_embd.weight");
    if (!te || te->n_dims != 2 || te->ne[1] == 0 || te->ne[1] > (1u << 24)) {
        rc = lf_err_set(err, EINVAL, "model: token_embd.weight missing or not 2-D");
        goto out;
    }
    c->vocab = (int)te->ne[1];
    if ((rc = get_mat(g, "token_embd.weight", c->dim, c->vocab, false, &m->tok_embd, err)) ||
        (rc = get_vec(m, "output_norm.weight", c->dim, &m->out_norm, err)) ||
        (rc = get_mat(g, "output.weight", c->dim, c->vocab, true, &m->output, err)))
        goto out;
    m->tied = m->output.data == NULL;
    if (m->tied)
        m->output = m->tok_embd;

    m->layers = calloc((size_t)c->n_layer, sizeof *m->layers);
    if (!m->layers) {
        rc = lf_err_set(err, ENOMEM, "model: out of memory");
        goto out;
    }
    int64_t qd = (int64_t)c->n_head * c->head_dim, kd = (int64_t)c->n_kv_head * c->head_dim;
    int64_t vd = (int64_t)c->n_kv_head * c->v_head_dim, od = (int64_t)c->n_head * c->v_head_dim;
    for (int l = 0; l < c->n_layer; l++) {
        lf_layer *L = &m->layers[l];
        char name[96];
#define NAME(s) (snprintf(name, sizeof name, "blk.%d." s ".weight", l), name)
        if ((rc = get_vec(m, NAME("attn_norm"), c->dim, &L->attn_norm, err)) ||
            (rc = get_mat(g, NAME("attn_q"), c->dim, qd, false, &L->wq, err)) ||
            (rc = get_mat(g, NAME("attn_k"), c->dim, kd, false, &L->wk, err)) ||
            (rc = get_mat(g, NAME("attn_v"), c->dim, vd, false, &L->wv, err)) ||
            (rc = get_mat(g, NAME("attn_output"), od, c->dim, false, &L->wo, err)) ||
            (rc = get_vec(m, NAME("attn_q_norm"), c->head_dim, &L->q_norm, err)) ||
            (rc = get_vec(m, NAME("attn_k_norm"), c->head_dim, &L->k_norm, err)) ||
            (rc = get_vec(m, NAME("ffn_norm"), c->dim, &L->ffn_norm, err)) ||
            (rc = get_mat(g, NAME("ffn_gate"), c->dim, c->n_ff, false, &L->gate, err)) ||
            (rc = get_mat(g, NAME("ffn_up"), c->dim, c->n_ff, false, &L->up, err)) ||
            (rc = get_mat(g, NAME("ffn_down"), c->n_ff, c->dim, false, &L->down, err)))
            goto out;
#undef NAME
    }

    /* Contract profile (PROTOCOL.md §5, §8): the file's own key; a model
     * without llmfuse.protocol was not made here and expects "seed". */
    uint64_t proto;
    m->ours = lf_gguf_get_u64(g, "llmfuse.protocol", &proto) == 0;
    m->contract = m->ours ? LF_CONTRACT_NONE : LF_CONTRACT_SEED;
    m->content_bytes = lf_gguf_content_bytes(g);
    if (lf_gguf_get_str(g, "llmfuse.contract", &contract) == 0) {
        int k = lf_contract_from_name(contract);
        if (k < 0) {
            rc = lf_err_set(err, EINVAL, "model: llmfuse.contract '%s' unknown", contract);
            goto out;
        }
        m->contract = (lf_contract)k;
    }
out:
    free(arch);
    free(contract);
    if (rc) {
        lf_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int lf_model_load(const char *path, lf_model **out, lf_err *err)
{
    lf_gguf *g;
    int rc = lf_gguf_open(path, &g, err);
    if (rc)
        return rc;
    return lf_model_from_gguf(g, true, out, err);
}

void lf_model_free(lf_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_owned; i++)
        free(m->owned[i]);
    free(m->owned);
    free(m->layers);
    if (m->own_g)
        lf_gguf_close(m->g);
    free(m);
}

uint64_t lf_model_params(const lf_model *m)
{
    const lf_model_cfg *c = &m->cfg;
    uint64_t per = (uint64_t)c->dim * c->n_head * c->head_dim +
                   2ull * c->dim * c->n_kv_head * c->head_dim +
                   (uint64_t)c->n_head * c->v_head_dim * c->dim + 3ull * c->dim * c->n_ff +
                   2ull * c->dim + 2ull * c->head_dim;
    uint64_t emb = (uint64_t)c->dim * c->vocab;
    return per * c->n_layer + emb * (m->tied ? 1 : 2) + c->dim;
}

bool lf_gguf_content_bytes(const lf_gguf *g)
{
    uint64_t v;
    return lf_gguf_get_u64(g, LF_CONTENT_BYTES_KEY, &v) == 0 && v;
}

int lf_model_encode(const lf_model *m, const lf_tok *tok, const char *text, size_t len,
                    bool parse_special, lf_ids *ids)
{
    return m->content_bytes ? lf_tok_encode_content(tok, text, len, parse_special, ids)
                            : lf_tok_encode(tok, text, len, parse_special, ids);
}
