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

/* A crash-safe replacement written as a stream: lf_atomic_open creates a
 * temp file beside path (with the given permission bits), the caller writes
 * to a->fd, and lf_atomic_commit fsyncs it, renames it over path and fsyncs
 * the directory; lf_atomic_abort removes it. Either call releases a. */
typedef struct lf_atomic {
    int fd;
    char *tmp;      /* the temp file's path */
    char *path;     /* the target */
} lf_atomic;
int lf_atomic_open(lf_atomic *a, const char *path, unsigned mode, lf_err *err);
int lf_atomic_commit(lf_atomic *a, lf_err *err);
void lf_atomic_abort(lf_atomic *a);

/* Atomically replaces path with data[0..n) (mode 0600): after a crash the
 * file holds either its old or its new content, never a mix. */
int lf_file_write_atomic(const char *path, const void *data, size_t n, lf_err *err);

/* Reads one line (without its '\n') from f into out (reset first), with a cap;
 * returns 1 for a line, 0 at end of file, negative on error (-E2BIG). */
int lf_file_getline(FILE *f, size_t max, lf_buf *out);

#endif
