/* buf.h: a growable byte buffer with a hard cap.
 *
 * Every buffer fed by a model, a file or the network is an lf_buf with a cap,
 * so an oversized input fails with -E2BIG instead of exhausting memory.
 * The data is always NUL-terminated (the NUL is not counted in len), so text
 * can be handed to C string functions; binary data may contain NULs.
 * Not thread-safe; the owner of the struct owns the data.
 */
#ifndef LF_UTIL_BUF_H
#define LF_UTIL_BUF_H

#include <stddef.h>

typedef struct lf_buf {
    char *data;   /* NULL until the first append; NUL-terminated afterwards */
    size_t len;   /* bytes in use */
    size_t cap;   /* bytes allocated */
    size_t max;   /* hard cap on len; 0 means LF_BUF_DEFAULT_MAX */
} lf_buf;

#define LF_BUF_DEFAULT_MAX ((size_t)1 << 30)

/* Initialises an empty buffer that may hold at most max bytes (0: default). */
void lf_buf_init(lf_buf *b, size_t max);
/* Frees the data; the buffer is empty and reusable afterwards. NULL is fine. */
void lf_buf_free(lf_buf *b);
/* Empties the buffer, keeping its memory. */
void lf_buf_reset(lf_buf *b);
/* Appends n bytes; returns 0, -E2BIG past the cap or -ENOMEM. */
int lf_buf_append(lf_buf *b, const void *p, size_t n);
/* Appends a NUL-terminated string. */
int lf_buf_puts(lf_buf *b, const char *s);
/* Appends one byte. */
int lf_buf_putc(lf_buf *b, char c);
/* Appends printf-style formatted text. */
int lf_buf_printf(lf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes room for n more bytes without changing len. */
int lf_buf_reserve(lf_buf *b, size_t n);
/* Takes the data out (caller frees it; never NULL on success: an empty buffer
 * gives an allocated ""), leaving the buffer empty. Returns NULL on ENOMEM. */
char *lf_buf_steal(lf_buf *b, size_t *len);

#endif
