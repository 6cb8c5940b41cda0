/* text.h: byte-level text helpers shared by the state, protocol and data
 * modules: UTF-8 validation, the "needs base64" rule of PROTOCOL.md §3, and
 * standard base64. Pure functions; thread-safe. */
#ifndef LF_UTIL_TEXT_H
#define LF_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* True if p[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool lf_utf8_valid(const void *p, size_t n);

/* PROTOCOL.md §3: true if the bytes cannot be carried as XML text: not valid
 * UTF-8, or a byte 0x00-0x1F other than tab, LF, CR, or 0x7F. */
bool lf_text_needs_base64(const void *p, size_t n);

/* Appends the standard base64 (with padding) of p[0..n) to out. */
int lf_b64_encode(const void *p, size_t n, lf_buf *out);

/* Decodes standard base64 (padding required, no whitespace) into out;
 * returns -EINVAL on any malformed input. */
int lf_b64_decode(const char *s, size_t n, lf_buf *out);

#endif
