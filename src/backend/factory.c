/* factory.c: lf_backend_new: a backend by name. Kept apart from backend.c
 * so code that only runs backends (the server's handler, its fuzz target)
 * does not pull in the engine or libcurl. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

const char *lf_backend_bundled_model(void)
{
    static __thread char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/models/llmfuse.gguf", LF_SOURCE_ROOT);
    if (access(path, R_OK) == 0)
        return path;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = 0;
    static const char *const rel[] = {"../share/llmfuse/llmfuse.gguf", "../models/llmfuse.gguf"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", exe, rel[i]);
        if (access(path, R_OK) == 0)
            return path;
    }
    return NULL;
}
