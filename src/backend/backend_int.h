/* backend_int.h: what the backend implementations share inside
 * src/backend/ (constructors called by the factory, the token estimate of
 * the HTTP backends). Not for use outside this folder. */
#ifndef LF_BACKEND_BACKEND_INT_H
#define LF_BACKEND_BACKEND_INT_H

#include "backend/backend.h"

enum { LF_HTTP_GENERATE = 0, LF_HTTP_OPENAI = 1 };

/* Defaults of lf_backend_opts fields left at 0. */
#define LF_HTTP_DEFAULT_TIMEOUT_S 60.0
#define LF_HTTP_DEFAULT_RETRIES 2
#define LF_HTTP_MAX_RETRIES 10
#define LF_HTTP_DEFAULT_CONTEXT 8192
/* Largest HTTP response body accepted (a full 8192-token answer is < 64 KiB). */
#define LF_HTTP_MAX_RESPONSE ((size_t)16 << 20)

/* oracle.c: the reference semantics as a backend. */
int lf_backend_oracle_new(const lf_backend_opts *o, lf_backend **out, lf_err *err);
/* http.c: kind LF_HTTP_GENERATE or LF_HTTP_OPENAI (only with LF_HAVE_CURL). */
int lf_backend_http_new(int kind, const lf_backend_opts *o, lf_backend **out, lf_err *err);

/* The HTTP backends' token count for len bytes of text: they cannot see the
 * server's tokenizer, so they over-estimate: ceil(len / 2.5) + 16. Qwen-style
 * byte-level BPE averages 3-4 bytes a token on the XML state and about 2.5 on
 * base64 bodies, so this errs on the side of -ENOSPC, never of a cut answer. */
long lf_backend_estimate_tokens(size_t len);

#endif
