/* buf.c: capped growable buffer (see buf.h). */
#include "util/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lf_buf_init(lf_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : LF_BUF_DEFAULT_MAX;
}

void lf_buf_free(lf_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void lf_buf_reset(lf_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = 0;
}

int lf_buf_reserve(lf_buf *b, size_t n)
{
    size_t max = b->max ? b->max : LF_BUF_DEFAULT_MAX;
    if (n > max || b->len > max - n)
        return -E2BIG;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int lf_buf_append(lf_buf *b, const void *p, size_t n)
{
    int rc = lf_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int lf_buf_puts(lf_buf *b, const char *s) { return lf_buf_append(b, s, strlen(s)); }

int lf_buf_putc(lf_buf *b, char c) { return lf_buf_append(b, &c, 1); }

int lf_buf_printf(lf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    int rc = lf_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *lf_buf_steal(lf_buf *b, size_t *len)
{
    if (!b->data) {
        if (lf_buf_reserve(b, 0))
            return NULL;
        b->data[0] = 0;
    }
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
