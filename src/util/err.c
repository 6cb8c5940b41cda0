/* err.c: error records and the errno <-> symbolic name table. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int lf_err_set(lf_err *err, int code, const char *fmt, ...)
{
    if (code < 0)
        code = -code;
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return -code;
}

int lf_err_prefix(lf_err *err, const char *fmt, ...)
{
    if (!err)
        return -EINVAL;
    char pre[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t pl = strlen(pre);
    if (pl >= sizeof err->msg)
        pl = sizeof err->msg - 1;
    memcpy(err->msg, pre, pl);
    size_t ol = strnlen(old, sizeof old - 1);
    if (ol > sizeof err->msg - 1 - pl)
        ol = sizeof err->msg - 1 - pl;
    memcpy(err->msg + pl, old, ol);
    err->msg[pl + ol] = 0;
    return -(err->code ? err->code : EINVAL);
}

void lf_err_clear(lf_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = 0;
    }
}

static const struct { int code; const char *name; } names[] = {
    {EPERM, "EPERM"},   {ENOENT, "ENOENT"},       {EIO, "EIO"},
    {E2BIG, "E2BIG"},   {EBADF, "EBADF"},         {EAGAIN, "EAGAIN"},
    {ENOMEM, "ENOMEM"}, {EACCES, "EACCES"},       {EFAULT, "EFAULT"},
    {EBUSY, "EBUSY"},   {EEXIST, "EEXIST"},       {EXDEV, "EXDEV"},
    {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"},     {EISDIR, "EISDIR"},
    {EINVAL, "EINVAL"}, {ENFILE, "ENFILE"},       {EMFILE, "EMFILE"},
    {EFBIG, "EFBIG"},   {ENOSPC, "ENOSPC"},       {EROFS, "EROFS"},
    {EMLINK, "EMLINK"}, {ERANGE, "ERANGE"},       {ENAMETOOLONG, "ENAMETOOLONG"},
    {ENOSYS, "ENOSYS"}, {ENOTEMPTY, "ENOTEMPTY"}, {ELOOP, "ELOOP"},
    {ENOTSUP, "ENOTSUP"}, {ETIMEDOUT, "ETIMEDOUT"}, {ECONNREFUSED, "ECONNREFUSED"},
    {EPROTO, "EPROTO"}, {EBADMSG, "EBADMSG"},     {ENODATA, "ENODATA"},
    {EOVERFLOW, "EOVERFLOW"}, {ECANCELED, "ECANCELED"}, {ENXIO, "ENXIO"},
};

const char *lf_errno_name(int code)
{
    if (code < 0)
        code = -code;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    return NULL;
}

int lf_errno_from_name(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && memcmp(names[i].name, name, len) == 0)
            return names[i].code;
    return 0;
}
