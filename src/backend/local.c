/* local.c: placeholder for the embedded-engine backend until src/lm lands;
 * the engine's engineer replaces this file. */
#include "backend/local.h"

int lf_backend_local_new(const lf_backend_opts *o, lf_backend **out, lf_err *err)
{
    (void)o;
    *out = NULL;
    return lf_err_set(err, ENOSYS, "local engine not built yet");
}
