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
 * component of its path) unless the options turn it off.
 *
 * Alternatives (lf_request.attempt = n > 0, for a caller that refused the
 * answer): the greedy answer is kept with each choice's runner-up and
 * margin; the n-th alternative takes the greedy tokens up to the n-th least
 * sure choice, the runner-up there, and decodes greedily from it. */
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
    lf_ids last_prompt;          /* the last greedy answer's prompt */
    lf_gen_trace last;           /* and its choices (alternatives branch from them) */
    pthread_mutex_t mu;
} local_backend;

static bool is_write_request(const lf_request *req)
{
    if (req->op)
        return lf_op_is_write(req->op->kind);
    return req->prompt_len >= 4 && !memcmp(req->prompt, "<W>\n", 4);
}

/* Whether a and b hold the same ids. */
static bool same_ids(const lf_ids *a, const lf_ids *b)
{
    return a->n == b->n && (!a->n || !memcmp(a->v, b->v, a->n * sizeof *a->v));
}

/* The position of the greedy answer's n-th least sure choice (n >= 1): the
 * n-th smallest margin among choices with a runner-up (earlier first on
 * ties), or -1 when there are fewer. */
static long branch_point(const lf_gen_trace *t, int n)
{
    long prev = -1;
    for (int k = 0; k < n; k++) {
        long best = -1;
        for (size_t i = 0; i < t->n; i++) {
            const lf_gen_choice *c = &t->v[i];
            if (c->alt < 0)
                continue;
            /* strictly after the previous pick in (margin, position) order */
            if (prev >= 0 && (c->margin < t->v[prev].margin ||
                              (c->margin == t->v[prev].margin && (long)i <= prev)))
                continue;
            if (best < 0 || c->margin < t->v[best].margin)
                best = (long)i;
        }
        if (best < 0)
            return -1;
        prev = best;
    }
    return prev;
}

/* The n-th alternative to the greedy answer (lb->last, for the prompt ids):
 * the greedy answer up to its n-th least sure choice, the runner-up there,
 * then greedy decoding on. Called with lb->mu held. */
static int alternative(local_backend *lb, const lf_ids *ids, lf_gen_opts *o, int n,
                       lf_buf *ans, lf_gen_stats *gs, lf_err *err)
{
    long at = branch_point(&lb->last, n);
    if (at < 0)
        return lf_err_set(err, ENOENT, "local: no alternative %d (%zu choices had a runner-up)",
                          n, lb->last.n);
    lf_ids p = {0};
    int rc = 0;
    for (size_t i = 0; i < ids->n && !rc; i++)
        rc = lf_ids_push(&p, ids->v[i]);
    for (long i = 0; i <= at && !rc; i++) {
        int32_t t = i < at ? lb->last.v[i].tok : lb->last.v[i].alt;
        if (t == o->eos)
            break;     /* the alternative ends the answer here */
        const char *piece;
        size_t len;
        if ((rc = lf_ids_push(&p, t)) || (rc = lf_tok_piece(lb->tok, t, &piece, &len)) ||
            (rc = lf_buf_append(ans, piece, len)))
            break;
        if (o->constraint)
            o->constraint->feed(o->constraint->ctx, t);
    }
    if (rc) {
        rc = lf_err_set(err, -rc, "local: cannot build alternative %d", n);
        goto out;
    }
    size_t forced = p.n - ids->n;
    memset(gs, 0, sizeof *gs);
    gs->gen_tokens = (long)forced;
    /* the runner-up may end the answer: end-of-text, or the stop string */
    const char *hit = o->n_stops && ans->len ? memmem(ans->data, ans->len, o->stops[0],
                                                       strlen(o->stops[0])) : NULL;
    if (hit)
        ans->len = (size_t)(hit - ans->data) + strlen(o->stops[0]);
    if (hit || forced <= (size_t)at)
        goto out;
    if (o->max_tokens <= forced || (long)p.n + 1 > lf_ctx_capacity(lb->c)) {
        rc = lf_err_set(err, ENOSPC, "local: no room for alternative %d", n);
        goto out;
    }
    o->max_tokens -= forced;
    rc = lf_generate(lb->c, lb->tok, p.v, p.n, o, NULL, ans, gs, err);
    gs->gen_tokens += (long)forced;
out:
    lf_ids_free(&p);
    return rc;
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
    if (w && lb->grammar)
        o.constraint = &k;
    if (o.max_tokens == 0 || (long)(ids.n + o.max_tokens) > cap)
        o.max_tokens = (size_t)(cap - (long)ids.n);
    lf_gen_stats gs;
    lf_buf ans;
    lf_buf_init(&ans, LOCAL_ANSWER_CAP);
    pthread_mutex_lock(&lb->mu);
    /* the greedy answer, its choices kept for alternatives to branch from;
     * an alternative for another prompt than the last decodes it first */
    if (req->attempt == 0 || !same_ids(&lb->last_prompt, &ids)) {
        lb->last.n = 0;
        lb->last_prompt.n = 0;
        lf_gen_opts g = o;
        g.trace = &lb->last;
        if (o.constraint)
            lf_bodylen_init(&body, lb->grammar);
        rc = lf_generate(lb->c, lb->tok, ids.v, ids.n, &g, NULL, &ans, &gs, err);
        for (size_t i = 0; i < ids.n && !rc; i++)
            if (lf_ids_push(&lb->last_prompt, ids.v[i]))
                rc = lf_err_set(err, ENOMEM, "local: out of memory");
        if (rc)
            lb->last_prompt.n = 0;
    }
    if (rc == 0 && req->attempt > 0) {
        lf_buf_reset(&ans);
        if (o.constraint)
            lf_bodylen_init(&body, lb->grammar);
        rc = alternative(lb, &ids, &o, req->attempt, &ans, &gs, err);
    }
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
    lf_ids_free(&lb->last_prompt);
    lf_gen_trace_free(&lb->last);
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
    lb->base.alternatives = true;
    *out = &lb->base;
    return 0;
fail:
    local_free(&lb->base);
    return lf_err_prefix(err, "local: %s: ", o->model);
}
