/* file.c: capped reads and crash-safe writes (see file.h). */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int lf_atomic_open(lf_atomic *a, const char *path, unsigned mode, lf_err *err)
{
    size_t plen = strlen(path);
    a->fd = -1;
    a->tmp = malloc(plen + 16);
    a->path = strdup(path);
    if (!a->tmp || !a->path) {
        lf_atomic_abort(a);
        return lf_err_set(err, ENOMEM, "out of memory");
    }
    snprintf(a->tmp, plen + 16, "%s.tmp.XXXXXX", path);
    a->fd = mkstemp(a->tmp);
    if (a->fd < 0) {
        int e = errno;
        a->tmp[0] = 0;
        lf_atomic_abort(a);
        return lf_err_set(err, e, "%s: cannot create temp file: %s", path, strerror(e));
    }
    if (fchmod(a->fd, (mode_t)mode) < 0) {
        int e = errno;
        lf_atomic_abort(a);
        return lf_err_set(err, e, "%s: chmod: %s", path, strerror(e));
    }
    return 0;
}

void lf_atomic_abort(lf_atomic *a)
{
    if (a->fd >= 0)
        close(a->fd);
    if (a->tmp && a->tmp[0])
        unlink(a->tmp);
    free(a->tmp);
    free(a->path);
    a->fd = -1;
    a->tmp = a->path = NULL;
}

int lf_atomic_commit(lf_atomic *a, lf_err *err)
{
    int rc = 0;
    if (fsync(a->fd) < 0) {
        rc = lf_err_set(err, errno, "%s: fsync: %s", a->tmp, strerror(errno));
        goto out;
    }
    int fd = a->fd;
    a->fd = -1;
    if (close(fd) < 0) {
        rc = lf_err_set(err, errno, "%s: close: %s", a->tmp, strerror(errno));
        goto out;
    }
    if (rename(a->tmp, a->path) < 0) {
        rc = lf_err_set(err, errno, "%s: rename: %s", a->path, strerror(errno));
        goto out;
    }
    a->tmp[0] = 0;
    int dfd = open(dirname(a->path), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
out:
    lf_atomic_abort(a);
    return rc;
}

int lf_file_write_atomic(const char *path, const void *data, size_t n, lf_err *err)
{
    lf_atomic a;
    int rc = lf_atomic_open(&a, path, 0600, err);
    if (rc)
        return rc;
    const char *p = data;
    size_t left = n;
    while (left) {
        ssize_t w = write(a.fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = lf_err_set(err, errno, "%s: write: %s", a.tmp, strerror(errno));
            lf_atomic_abort(&a);
            return rc;
        }
        p += w;
        left -= (size_t)w;
    }
    return lf_atomic_commit(&a, err);
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
