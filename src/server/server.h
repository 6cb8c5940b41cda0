/* server.h: `llmfuse serve`: a backend over HTTP (PROTOCOL.md §7).
 *
 *   POST /generate        the original's endpoint (seed-reference §4.5):
 *                         {"prompt", "temperature", "max_tokens"} -> {"text"}
 *   POST /v1/completions  OpenAI-style completions, with usage
 *   GET  /health          {"status": "ok", "backend": NAME}
 *
 * A received prompt may carry a contract wrapper (none or seed); the server
 * strips it (lf_contract_unwrap), parses the base prompt and has its backend
 * answer it, so one server answers both kinds of client. A thread per
 * connection (libmicrohttpd), request bodies capped. */
#ifndef LF_SERVER_SERVER_H
#define LF_SERVER_SERVER_H

#include <stddef.h>

#include "backend/backend.h"
#include "util/err.h"

typedef struct lf_server lf_server;

typedef struct lf_server_opts {
    const char *host;     /* address to bind (default "127.0.0.1") */
    int port;             /* 0: an ephemeral port (see lf_server_port) */
    const char *token;    /* required X-LLMFuse-Token / Bearer key; NULL: none */
    size_t max_body;      /* largest request body (default 16 MiB) */
    int max_conns;        /* connection limit (default 256) */
} lf_server_opts;

/* Starts serving b (borrowed: it must outlive the server) in background
 * threads. Returns 0 and *out, or a negative errno with err set (the
 * address does not bind, or the build has no libmicrohttpd: -ENOTSUP). */
int lf_server_start(const lf_server_opts *o, lf_backend *b, lf_server **out, lf_err *err);
/* The port the server listens on. */
int lf_server_port(const lf_server *s);
/* Stops accepting, waits for requests in flight, frees s; NULL is fine. */
void lf_server_stop(lf_server *s);

#endif
