/* local.h: the embedded engine as a backend (src/lm): a GGUF model run in
 * this process. lf_backend_new("local", ...) calls this constructor. */
#ifndef LF_BACKEND_LOCAL_H
#define LF_BACKEND_LOCAL_H

#include "backend/backend.h"

/* Loads the model named by o->model and returns a backend in *out (caller
 * frees with lf_backend_free). Returns 0, or a negative errno with err set
 * (a file that does not load, or -ENOSYS where the engine is not built). */
int lf_backend_local_new(const lf_backend_opts *o, lf_backend **out, lf_err *err);

#endif
