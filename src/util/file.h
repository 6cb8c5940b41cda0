/* file.h: whole-file reads with a cap, and crash-safe replacement
 * (write a temp file beside the target, fsync it, rename it over the
 * target, fsync the directory). Thread-safe. */
#ifndef LF_UTIL_FILE_H
#define LF_UTIL_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/err.h"

/* Reads all of path into out (appending), failing with -E2BIG past max bytes. */
int lf_file_read(const char *path, size_t max, lf_buf *out, lf_err *err);

/* Reads all of a stream into out (appending), failing with -E2BIG past max. */
int lf_stream_read(FILE *f, size_t max, lf_buf *out, lf_err *err);

/* Atomically replaces path with data[0..n): after a crash the file holds
 * either its old or its new content, never a mix. */
int lf_file_write_atomic(const char *path, const void *data, size_t n, lf_err *err);

/* Reads one line (without its '\n') from f into out (reset first), with a cap;
 * returns 1 for a line, 0 at end of file, negative on error (-E2BIG). */
int lf_file_getline(FILE *f, size_t max, lf_buf *out);

#endif
