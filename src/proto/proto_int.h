/* proto_int.h: helpers shared by the files of src/proto/ (not public).
 * Python repr() of a str and its inverse, and the printable table. */
#ifndef LF_PROTO_PROTO_INT_H
#define LF_PROTO_PROTO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* True if Python 3.11's str.isprintable() is true for the code point
 * (generated table, printable.c). */
bool lf_proto_cp_printable(uint32_t cp);

/* Appends s[0..n) quoted the way Python's repr() quotes a str (§2). Bytes
 * that are not valid UTF-8 are written as \udcXX (Python's surrogateescape
 * spelling), so any byte string round-trips through lf_proto_unrepr. */
int lf_proto_repr(const char *s, size_t n, lf_buf *out);

/* Parses a Python string literal that starts at s[0] (a ' or " quote) and
 * appends the decoded UTF-8 bytes to out; *used is set to the bytes consumed
 * (closing quote included). -EINVAL with a message on a malformed literal. */
int lf_proto_unrepr(const char *s, size_t n, size_t *used, lf_buf *out, lf_err *err);

#endif
