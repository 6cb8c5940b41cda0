/* content.h: deterministic file contents for the dataset generator
 * (seed-reference §5.5, with its faults fixed).
 *
 * The bytes depend only on (path, variant): the same path gives the same
 * content in every run and on every machine, and the template follows the
 * extension (a .py holds Python, a .json JSON, a .bin binary bytes; the
 * original chose code templates at random). Bodies are cut to at most
 * LF_CONTENT_MAX bytes, at the last newline when it lies beyond 70%, never
 * inside a UTF-8 sequence. Pure; thread-safe.
 */
#ifndef LF_DATA_CONTENT_H
#define LF_DATA_CONTENT_H

#include <stddef.h>

#include "util/buf.h"

#define LF_CONTENT_MAX 500

/* The template families, chosen by extension. */
typedef enum {
    LF_TPL_PYTHON, LF_TPL_JS, LF_TPL_SHELL, LF_TPL_GO, LF_TPL_RUST, LF_TPL_C,
    LF_TPL_JSON, LF_TPL_YAML, LF_TPL_INI, LF_TPL_ENV, LF_TPL_XML, LF_TPL_CSV,
    LF_TPL_LOG, LF_TPL_MARKDOWN, LF_TPL_TODO, LF_TPL_ARTICLE, LF_TPL_BINARY,
    LF_TPL_BATCH,
    LF_TPL__COUNT
} lf_tpl;

/* The template for a path's extension (case-sensitive, as on disk); for a
 * name without a known extension the choice is keyed by the path. */
lf_tpl lf_content_template(const char *path);

/* Appends the content for path (any spelling; it is only hashed) and variant
 * (0 = the file's first content; others for overwrites and appends) to out.
 * At most max bytes (0 = LF_CONTENT_MAX). Returns 0 or -ENOMEM/-E2BIG. */
int lf_content_make(const char *path, unsigned variant, size_t max, lf_buf *out);

#endif
