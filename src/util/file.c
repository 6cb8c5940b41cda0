/* file.c: capped reads and crash-safe writes (see file.h). */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lf_stream_read(FILE *f, size_t max, lf_buf *out, lf_err *err)
{
    char tmp[65536];
    size_t total = 0;
    for (;;) {
        size_t n = fread(tmp, 1, sizeof tmp, f);
        if (n) {
            total += n;
            if (total > max)
                return lf_err_set(err, E2BIG, "input larger than %zu bytes", max);
            int rc = lf_buf_append(out, tmp, n);
            if (rc)
                return lf_err_set(err, -rc, "out of memory reading input");
        }
        if (n < sizeof tmp) {
            if (ferror(f))
                return lf_err_set(err, EIO, "read error: %s", strerror(errno));
            break;
        }
    }
    return lf_buf_append(out, "", 0);
}

int lf_file_read(const char *path, size_t max, lf_buf *out, lf_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lf_err_set(err, errno, "%s: %s", path, strerror(errno));
    int rc = lf_stream_read(f, max, out, err);
    fclose(f);
    if (rc)
        lf_err_prefix(err, "%s: ", path);
    return rc;
}

int lf_file_write_atomic(const char *path, const void *data, size_t n, lf_err *err)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    char *dcopy = strdup(path);
    int rc = 0, fd = -1;
    if (!tmp || !dcopy) {
        rc = lf_err_set(err, ENOMEM, "out of memory");
        goto out;
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = lf_err_set(err, errno, "%s: cannot create temp file: %s", path, strerror(errno));
        tmp[0] = 0;
        goto out;
    }
    const char *p = data;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = lf_err_set(err, errno, "%s: write: %s", tmp, strerror(errno));
            goto out;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) < 0) {
        rc = lf_err_set(err, errno, "%s: fsync: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        rc = lf_err_set(err, errno, "%s: close: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        rc = lf_err_set(err, errno, "%s: rename: %s", path, strerror(errno));
        goto out;
    }
    tmp[0] = 0;
    int dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
out:
    if (fd >= 0)
        close(fd);
    if (tmp && tmp[0])
        unlink(tmp);
    free(tmp);
    free(dcopy);
    return rc;
}

int lf_file_getline(FILE *f, size_t max, lf_buf *out)
{
    lf_buf_reset(out);
    int c, any = 0;
    while ((c = getc_unlocked(f)) != EOF) {
        any = 1;
        if (c == '\n')
            return 1;
        if (out->len >= max) {
            while ((c = getc_unlocked(f)) != EOF && c != '\n')
                ;
            return -E2BIG;
        }
        int rc = lf_buf_putc(out, (char)c);
        if (rc)
            return rc;
    }
    if (!out->data)
        lf_buf_append(out, "", 0);
    return any ? 1 : 0;
}
