/* err.h: the one error convention of llmfuse.
 *
 * A fallible function returns 0 on success or a negative errno value
 * (-EINVAL for malformed input, -ENOMEM, -EIO, ...) and, when the caller
 * passes a non-NULL lf_err, a human-readable message saying what and where.
 * lf_err_set() returns the negative code so a failure path reads
 *     return lf_err_set(err, EINVAL, "line %d: bad mode", n);
 */
#ifndef LF_UTIL_ERR_H
#define LF_UTIL_ERR_H

#include <errno.h>
#include <stddef.h>

typedef struct lf_err {
    int code;        /* positive errno value, 0 when unset */
    char msg[512];   /* NUL-terminated message */
} lf_err;

/* Records code and a printf-style message in err (if non-NULL); returns -code. */
int lf_err_set(lf_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes err->msg with a printf-style context ("state: "); returns -err->code. */
int lf_err_prefix(lf_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears err. */
void lf_err_clear(lf_err *err);

/* Symbolic name of an errno value ("ENOENT"), or NULL if unknown. */
const char *lf_errno_name(int code);

/* Errno value of a symbolic name ("ENOENT" -> ENOENT), or 0 if unknown. */
int lf_errno_from_name(const char *name, size_t len);

#endif
