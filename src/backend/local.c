/* local.c: the embedded engine (src/lm) as a backend. The model's weights
 * are mapped once and shared; one inference context (KV cache) serves the
 * calls one at a time under a mutex, and keeps the previous prompt's cache
 * so a prompt that shares a prefix with the last one (the same contract
 * header, often the same state) only computes its new tail.
 *
 * A call wraps the base prompt with the model's contract profile (the file's
 * llmfuse.contract; PROTOCOL.md §5), tokenizes it (special tokens parsed, as
 * the trainer does by default), and decodes greedily with copy-speculation
 * (output identical to plain greedy), stopping at the end-of-text token and,
 * for <W> operations, after the first "<END_FS>" (§4). A <W> answer is
 * decoded under the answer constraint (proto/bodylen.h: a file's body has
 * the length its size attribute says, an element's name is the last
 * component of its path) unless the options turn it off. */
#include "backend/local.h"
#include "backend/backend_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lm/generate.h"
#include "lm/model.h"
#include "lm/tok.h"
#include "proto/bodylen.h"

#define LOCAL_MAX_CTX 16384
#define LOCAL_ANSWER_CAP ((size_t)64 << 20)

typedef struct local_backend {
    lf_backend base;       /* first: the vtable's view */
    lf_model *m;
    lf_tok *tok;
    lf_ctx *c;
    lf_bodylen_vocab *grammar;   /* NULL: answers decoded free */
    pthread_mutex_t mu;
} local_backend;

static bool is_write_request(const lf_request *req)
{
    if (req->op)
        return lf_op_is_write(req->op->kind);
    return req->prompt_len >= 4 && !memcmp(req->prompt, "<W>\n", 4);
}

static int local_complete(lf_backend *b, const lf_request *req, lf_buf *out,
                          lf_backend_stats *stats, lf_err *err)
{
    local_backend *lb = (local_backend *)b;
    lf_buf wrapped;
    lf_ids ids = {0};
    lf_buf_init(&wrapped, 0);
    int rc = lf_contract_wrap(b->contract, req->prompt, req->prompt_len, &wrapped);
    if (rc < 0) {
        rc = lf_err_set(err, -rc, "local: cannot wrap the prompt");
        goto out;
    }
    if ((rc = lf_model_encode(lb->m, lb->tok, wrapped.data, wrapped.len, true, &ids)) < 0) {
        rc = lf_err_set(err, -rc, "local: cannot tokenize the prompt");
        goto out;
    }
    long cap = lf_ctx_capacity(lb->c);
    if ((long)ids.n + 1 > cap) {
        rc = lf_err_set(err, ENOSPC, "local: prompt of %zu tokens does not fit the context of %ld",
                        ids.n, cap);
        goto out;
    }
    static const char *const stops[] = {"<END_FS>"};
    bool w = is_write_request(req);
    lf_gen_opts o = {
        .max_tokens = req->max_tokens,
        .stops = w ? stops : NULL,
        .n_stops = w ? 1 : 0,
        .eos = lf_tok_eos(lb->tok),
        .spec = true,
        .spec_max = 32,
    };
    lf_bodylen body;
    lf_gen_constraint k = {&body, lf_bodylen_mask, lf_bodylen_feed_token};
    if (w && lb->grammar) {
        lf_bodylen_init(&body, lb->grammar);
        o.constraint = &k;
    }
    if (o.max_tokens == 0 || (long)(ids.n + o.max_tokens) > cap)
        o.max_tokens = (size_t)(cap - (long)ids.n);
    lf_gen_stats gs;
    lf_buf ans;
    lf_buf_init(&ans, LOCAL_ANSWER_CAP);
    pthread_mutex_lock(&lb->mu);
    rc = lf_generate(lb->c, lb->tok, ids.v, ids.n, &o, NULL, &ans, &gs, err);
    pthread_mutex_unlock(&lb->mu);
    if (rc == 0 && (rc = lf_buf_append(out, ans.data ? ans.data : "", ans.len)) < 0)
        rc = lf_err_set(err, -rc, "local: answer exceeds its buffer");
    lf_buf_free(&ans);
    if (rc == 0 && stats) {
        stats->prompt_tokens = (long)ids.n;
        stats->completion_tokens = gs.gen_tokens;
    }
out:
    lf_ids_free(&ids);
    lf_buf_free(&wrapped);
    return rc;
}

static long local_count_tokens(lf_backend *b, const char *text, size_t len)
{
    local_backend *lb = (local_backend *)b;
    lf_ids ids = {0};
    long n = lf_model_encode(lb->m, lb->tok, text, len, true, &ids) < 0
                 ? lf_backend_estimate_tokens(len)
                 : (long)ids.n;
    lf_ids_free(&ids);
    return n;
}

static void local_free(lf_backend *b)
{
    local_backend *lb = (local_backend *)b;
    if (!lb)
        return;
    lf_ctx_free(lb->c);
    lf_bodylen_vocab_free(lb->grammar);
    lf_tok_free(lb->tok);
    lf_model_free(lb->m);
    pthread_mutex_destroy(&lb->mu);
    free(lb);
}

/* The token texts the answer constraint works on. */
static int grammar_vocab(local_backend *lb, lf_err *err)
{
    int n = lb->m->cfg.vocab;
    const char **piece = calloc((size_t)n, sizeof *piece);
    size_t *len = calloc((size_t)n, sizeof *len);
    int rc = piece && len ? 0 : -ENOMEM;
    for (int i = 0; i < n && !rc; i++)
        if (lf_tok_piece(lb->tok, i, &piece[i], &len[i]))
            piece[i] = NULL;   /* past the tokenizer: never inside a body */
    if (!rc)
        rc = lf_bodylen_vocab_new(piece, len, n, &lb->grammar);
    free(piece);
    free(len);
    return rc ? lf_err_set(err, -rc, "out of memory") : 0;
}

static const lf_backend_vt local_vt = {
    .name = "local",
    .complete = local_complete,
    .count_tokens = local_count_tokens,
    .free = local_free,
};

int lf_backend_local_new(const lf_backend_opts *o, lf_backend **out, lf_err *err)
{
    if (!o || !o->model || !*o->model)
        return lf_err_set(err, EINVAL, "local: no model file given");
    local_backend *lb = calloc(1, sizeof *lb);
    if (!lb)
        return lf_err_set(err, ENOMEM, "local: out of memory");
    pthread_mutex_init(&lb->mu, NULL);
    lb->base.vt = &local_vt;
    int rc = lf_model_load(o->model, &lb->m, err);
    if (rc)
        goto fail;
    if ((rc = lf_tok_load(lb->m->g, &lb->tok, err)))
        goto fail;
    if ((long)lf_tok_vocab_size(lb->tok) > lb->m->cfg.vocab) {
        rc = lf_err_set(err, EINVAL, "local: tokenizer has %zu tokens, the model %d",
                        lf_tok_vocab_size(lb->tok), lb->m->cfg.vocab);
        goto fail;
    }
    long n_ctx = o->context_tokens > 0 ? o->context_tokens : lb->m->cfg.n_ctx;
    if (n_ctx > LOCAL_MAX_CTX)
        n_ctx = LOCAL_MAX_CTX;
    lf_ctx_opts co = {.n_ctx = (int)n_ctx, .threads = o->threads, .act = (lf_act)o->act};
    if ((rc = lf_ctx_new(lb->m, &co, &lb->c, err)))
        goto fail;
    if (!o->free_decoding && (rc = grammar_vocab(lb, err)))
        goto fail;
    lb->base.contract = o->contract >= 0 ? (lf_contract)o->contract : lb->m->contract;
    lb->base.context_tokens = n_ctx;
    lb->base.content_bytes = lb->m->content_bytes;
    *out = &lb->base;
    return 0;
fail:
    local_free(&lb->base);
    return lf_err_prefix(err, "local: %s: ", o->model);
}
