/* backend.h: the one interface between the filesystem and whatever answers
 * its operations: the embedded engine (local), HTTP servers (generate,
 * openai) and the oracle.
 *
 * A backend receives the operation, the current state and the base prompt
 * (PROTOCOL.md §1), wraps the prompt with its own contract profile (§5), and
 * returns the model's raw answer text. It never parses the answer: the caller
 * does that with lf_completion_parse, so every backend is judged alike.
 * Backends are safe to call from several threads at once unless
 * documented otherwise. */
#ifndef LF_BACKEND_BACKEND_H
#define LF_BACKEND_BACKEND_H

#include <stddef.h>

#include "proto/proto.h"
#include "state/state.h"
#include "util/buf.h"
#include "util/err.h"

typedef struct lf_backend lf_backend;

typedef struct lf_request {
    const lf_op *op;
    const lf_state *state;   /* the state the prompt carries */
    const char *prompt;      /* base prompt, NUL-terminated */
    size_t prompt_len;
    size_t max_tokens;       /* answer budget in tokens (lf_backend_budget) */
    int attempt;             /* 0: the backend's answer; n > 0: its n-th
                              * alternative (only where b->alternatives) */
} lf_request;

typedef struct lf_backend_stats {
    double seconds;          /* wall time of the last call */
    long prompt_tokens;      /* -1 if unknown */
    long completion_tokens;  /* -1 if unknown */
} lf_backend_stats;

typedef struct lf_backend_vt {
    const char *name;
    /* Appends the raw answer to out. stats may be NULL. Returns 0, or a
     * negative errno (-ETIMEDOUT, -ECONNREFUSED, -EIO, -ENOSPC when the
     * request cannot fit the context) with err set. */
    int (*complete)(lf_backend *b, const lf_request *req, lf_buf *out,
                    lf_backend_stats *stats, lf_err *err);
    /* Number of tokens text would take (exact for the local engine, an
     * upper-bound estimate for HTTP backends); -1 if unlimited (oracle). */
    long (*count_tokens)(lf_backend *b, const char *text, size_t len);
    void (*free)(lf_backend *b);
} lf_backend_vt;

struct lf_backend {
    const lf_backend_vt *vt;
    lf_contract contract;    /* the profile this backend's model expects */
    long context_tokens;     /* the model's context window; <= 0 unlimited */
    bool content_bytes;      /* its model writes file contents one token per byte
                              * (llmfuse.content_bytes): budgets count them so */
    bool alternatives;       /* it can give other answers to one request
                              * (lf_request.attempt > 0): the local engine */
};

/* Options shared by every backend constructor (unused fields are ignored). */
typedef struct lf_backend_opts {
    const char *url;         /* generate/openai: base URL */
    const char *token;       /* generate: X-LLMFuse-Token; openai: bearer key */
    const char *model;       /* openai: model name; local: GGUF path */
    double timeout_s;        /* per attempt (default 60) */
    int retries;             /* extra attempts after the first (0: default 2; <0: none) */
    long context_tokens;     /* override of the context window */
    int threads;             /* local: worker threads (0 = all cores) */
    int act;                 /* local: activations of BF16 products (lf_act; 0 auto) */
    bool free_decoding;      /* local: <W> answers without the body-length
                                constraint (proto/bodylen.h) */
    int contract;            /* -1: the backend's default */
} lf_backend_opts;

/* Creates a backend by name: "oracle", "generate", "openai", "local".
 * Returns 0 and *out, or a negative errno with err set (unknown name, a
 * feature not compiled in, a model file that does not load). */
int lf_backend_new(const char *name, const lf_backend_opts *opts, lf_backend **out,
                   lf_err *err);
/* The bundled model (models/llmfuse.gguf in the source tree, or installed
 * beside the binary under ../share/llmfuse/), or NULL when there is none.
 * The string is per-thread static storage. This is what `llmfuse mount` and
 * `llmfuse eval` use when no backend is named. */
const char *lf_backend_bundled_model(void);

/* Frees a backend; NULL is fine. */
void lf_backend_free(lf_backend *b);

/* Runs req through b: wraps nothing itself (the backend does), returns what
 * vt->complete returns; -ENOTSUP for req->attempt > 0 where b has no
 * alternatives. */
int lf_backend_complete(lf_backend *b, const lf_request *req, lf_buf *out,
                        lf_backend_stats *stats, lf_err *err);

/* Answer budget for op on a state whose canonical text is state_len bytes:
 * tokens enough for the whole next state plus any data the op adds, and the
 * room left in the context after prompt_tokens. Returns -ENOSPC when the
 * prompt plus the largest possible answer cannot fit. */
long lf_backend_budget(lf_backend *b, const lf_op *op, long prompt_tokens,
                       size_t state_len, size_t *max_tokens);

/* Answer budget for a request, using what it carries: the base prompt is
 * wrapped with b's contract and counted with b's count_tokens, and the
 * growth of the answer is bounded from req->state (the size and encoding of
 * the file written, the subtree a rename rewrites) instead of worst cases.
 * Sets *max_tokens and, if non-NULL, *prompt_tokens (-1 if unlimited).
 * Returns 0, or -ENOSPC with err set when prompt plus answer cannot fit.
 * lf_backend_complete calls this itself when req->max_tokens is 0. Where
 * req->op or req->state is NULL they are parsed from req->prompt. 
 * How the budget is sized (see backend.c): bytes of the longest right answer
 * = the current state + the op's growth (write/truncate data after XML
 * escaping or base64, new elements, rewritten paths) + the "\n<END_FS>" tail,
 * then tokens = bytes x (the prompt's own tokens per byte) x 1.1 + 32. */
int lf_backend_budget_request(lf_backend *b, const lf_request *req, size_t *max_tokens,
                              long *prompt_tokens, lf_err *err);

#endif
