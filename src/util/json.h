/* json.h: a small JSON reader (DOM) and writer helpers.
 *
 * Hand-written rather than taken from a Debian library because the engine,
 * trainer and `gen --oracle` must build on the GPU machine, which has no
 * JSON library headers; it is small, bounds-checked and fuzzed
 * (tests/fuzz/fuzz_json.c). Strings are decoded to UTF-8 bytes; \u escapes
 * with surrogate pairs are handled; lone surrogates are rejected.
 * Thread-safe; the caller owns the returned tree (lf_json_free). */
#ifndef LF_UTIL_JSON_H
#define LF_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

typedef enum {
    LF_JSON_NULL, LF_JSON_BOOL, LF_JSON_NUM, LF_JSON_STR, LF_JSON_ARR, LF_JSON_OBJ
} lf_json_type;

typedef struct lf_json {
    lf_json_type type;
    bool b;                 /* BOOL */
    double num;             /* NUM */
    char *str;              /* STR: decoded bytes, NUL-terminated; OBJ member: unused */
    size_t len;             /* STR: byte length */
    struct lf_json *items;  /* ARR elements / OBJ member values, n of them */
    char **keys;            /* OBJ: n decoded keys (NUL-terminated) */
    size_t *key_lens;       /* OBJ: their byte lengths */
    size_t n;
} lf_json;

#define LF_JSON_MAX_DEPTH 64

/* Parses s[0..n) (one value, surrounding whitespace allowed) into *out. */
int lf_json_parse(const char *s, size_t n, lf_json **out, lf_err *err);
/* Frees a tree from lf_json_parse; NULL is fine. */
void lf_json_free(lf_json *j);
/* Member of an object by key, or NULL. */
const lf_json *lf_json_get(const lf_json *obj, const char *key);
/* String member's bytes (and length) or NULL if missing or not a string. */
const char *lf_json_get_str(const lf_json *obj, const char *key, size_t *len);
/* Integer member, or def when missing or not a number. */
long long lf_json_get_int(const lf_json *obj, const char *key, long long def);

/* Appends s[0..n) as a JSON string literal, quotes included. With
 * ensure_ascii, every non-ASCII character is a \uXXXX escape (Python's
 * json.dumps default). Returns -EILSEQ if s is not valid UTF-8. */
int lf_json_write_str(lf_buf *out, const void *s, size_t n, bool ensure_ascii);

#endif
