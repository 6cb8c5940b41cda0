/* handle.h: the request handler of `llmfuse serve`, without the transport:
 * method, path, auth headers and body in; status and JSON body out.
 * server.c runs it under libmicrohttpd; tests and the fuzz target call it
 * directly. Endpoints and answer shapes: server.h and docs/BACKENDS.md. */
#ifndef LF_SERVER_HANDLE_H
#define LF_SERVER_HANDLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "backend/backend.h"
#include "util/buf.h"

typedef struct lf_serve_cfg {
    lf_backend *b;         /* answers the prompts (borrowed) */
    const char *token;     /* required X-LLMFuse-Token / Bearer key; NULL: none */
    size_t max_body;       /* the body cap, for the 413 message */
    atomic_ulong ids;      /* completion ids ("cmpl-N") */
} lf_serve_cfg;

typedef struct lf_serve_req {
    const char *method;          /* "GET", "POST", ... */
    const char *path;            /* "/generate", ... */
    const char *x_token;         /* the X-LLMFuse-Token header, or NULL */
    const char *authorization;   /* the Authorization header, or NULL */
    const char *body;            /* the request body (need not be NUL-terminated) */
    size_t body_len;
    bool too_big;                /* the body passed the cap and was dropped */
} lf_serve_req;

/* Answers one request: returns the HTTP status and appends the JSON body to
 * out (caller owns it). Thread-safe when cfg->b is (ids is atomic). */
unsigned lf_serve_handle(lf_serve_cfg *cfg, const lf_serve_req *req, lf_buf *out);

#endif
