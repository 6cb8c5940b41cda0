/* factory.c: lf_backend_new: a backend by name. Kept apart from backend.c
 * so code that only runs backends (the server's handler, its fuzz target)
 * does not pull in the engine or libcurl. */
#include <string.h>

#include "backend/backend.h"
#include "backend/backend_int.h"
#include "backend/local.h"
#include "lf_config.h"

int lf_backend_new(const char *name, const lf_backend_opts *opts, lf_backend **out,
                   lf_err *err)
{
    static const lf_backend_opts none = {.contract = -1};
    if (!opts)
        opts = &none;
    *out = NULL;
    if (!name)
        return lf_err_set(err, EINVAL, "backend: no name given");
    if (!strcmp(name, "oracle"))
        return lf_backend_oracle_new(opts, out, err);
    if (!strcmp(name, "local"))
        return lf_backend_local_new(opts, out, err);
    if (!strcmp(name, "generate") || !strcmp(name, "openai")) {
#if LF_HAVE_CURL
        return lf_backend_http_new(!strcmp(name, "openai") ? LF_HTTP_OPENAI : LF_HTTP_GENERATE,
                                   opts, out, err);
#else
        return lf_err_set(err, ENOTSUP, "backend '%s': built without libcurl", name);
#endif
    }
    return lf_err_set(err, EINVAL,
                      "unknown backend '%s' (known: oracle, local, generate, openai)", name);
}

void lf_backend_free(lf_backend *b)
{
    if (b)
        b->vt->free(b);
}
