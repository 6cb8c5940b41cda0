/* kexec.c: the kernel-mode executor (gen_int.h): the reference filesystem
 * served by a thread of this process over a temporary directory, and each
 * planned call made as a real system call on the mount. A failing call the
 * kernel refused before the filesystem saw it (mkdir of an existing name,
 * unlink of a missing file, ...) is repeated directly on the backing
 * directory and its row written with source "direct". */
#define _XOPEN_SOURCE 700
#include "data/gen_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/reffs.h"
#include "state/snapshot.h"
#include "util/log.h"

struct lf_kexec {
    char tmp[64];
    char root[96];
    char mnt[96];
    lf_rows *rows;
    lf_reffs *fs;
};

static void on_row(void *ctx, const lf_op *op, const lf_state *before, const lf_answer *ans)
{
    lf_kexec *k = ctx;
    lf_rows_emit(k->rows, op, before, ans, "kernel");
}

int lf_kexec_start(lf_rows *rows, lf_kexec **out, lf_err *err)
{
    lf_kexec *k = calloc(1, sizeof *k);
    if (!k)
        return lf_err_set(err, ENOMEM, "out of memory");
    k->rows = rows;
    const char *t = getenv("TMPDIR");
    snprintf(k->tmp, sizeof k->tmp, "%s/llmfuse-gen-XXXXXX",
             t && strlen(t) < 32 ? t : "/tmp");
    if (!mkdtemp(k->tmp)) {
        int e = errno;
        free(k);
        return lf_err_set(err, e, "mkdtemp: %s", strerror(e));
    }
    snprintf(k->root, sizeof k->root, "%s/root", k->tmp);
    snprintf(k->mnt, sizeof k->mnt, "%s/mnt", k->tmp);
    int rc;
    if (mkdir(k->root, 0755) || mkdir(k->mnt, 0755)) {
        rc = lf_err_set(err, errno, "mkdir in %s: %s", k->tmp, strerror(errno));
        goto fail;
    }
    chmod(k->root, 0755);
    if ((rc = lf_reffs_mount(k->mnt, k->root, on_row, k, &k->fs, err)) ||
        (rc = lf_reffs_start_thread(k->fs, err)))
        goto fail;
    *out = k;
    return 0;
fail:
    lf_kexec_stop(k);
    return rc;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    if (ftw->level == 0)
        return 0;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) ? -1 : 0;
}

int lf_kexec_reset(lf_kexec *k, lf_err *err)
{
    if (nftw(k->root, rm_entry, 32, FTW_DEPTH | FTW_PHYS))
        return lf_err_set(err, errno, "emptying %s: %s", k->root, strerror(errno));
    chmod(k->root, 0755);
    return 0;
}

int lf_kexec_state(lf_kexec *k, lf_state **out, lf_err *err)
{
    return lf_state_snapshot_ex(k->root, LF_SNAPSHOT_PROTOCOL_IDS, out, NULL, err);
}

void lf_kexec_stop(lf_kexec *k)
{
    if (!k)
        return;
    lf_reffs_stop(k->fs);
    if (k->root[0]) {
        nftw(k->root, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
        rmdir(k->root);
        rmdir(k->mnt);
        rmdir(k->tmp);
    }
    free(k);
}

/* base + path ("/" maps to base itself) */
static const char *at(const char *base, const char *path, char buf[PATH_MAX])
{
    snprintf(buf, PATH_MAX, "%s%s", base, strcmp(path, "/") ? path : "");
    return buf;
}

typedef struct {
    int fd[LF_WL_SLOTS];
    unsigned char *last[LF_WL_SLOTS];
    size_t nlast[LF_WL_SLOTS];
} slots;

/* Performs call c on base (the mount or the backing directory). Returns 0 or
 * the positive errno. direct: base is the backing directory (nothing kept
 * open). */
static int perform(const lf_call *c, const char *base, slots *s, bool direct)
{
    char a[PATH_MAX], b[PATH_MAX];
    const char *p = at(base, c->path, a);
    int rc = 0;
    switch (c->kind) {
    case LF_CALL_MKDIR: rc = mkdir(p, c->mode); break;
    case LF_CALL_OPEN: {
        int fd = open(p, c->flags, c->mode);
        if (fd < 0)
            return errno;
        if (direct && (c->flags & O_ACCMODE) == O_RDONLY) {
            /* the read this open was for */
            char tmp[1];
            ssize_t n = read(fd, tmp, sizeof tmp);
            int e = n < 0 ? errno : 0;
            close(fd);
            return e;
        }
        if (direct)
            close(fd);
        else
            s->fd[c->slot] = fd;
        return 0;
    }
    case LF_CALL_WRITE: {
        int fd = s->fd[c->slot];
        const unsigned char *d = c->copy_from >= 0 ? s->last[c->copy_from] : c->data;
        size_t len = c->copy_from >= 0 ? s->nlast[c->copy_from] : c->len;
        if (fd < 0 || !len)
            return 0;
        ssize_t n = c->offset < 0 ? write(fd, d, len) : pwrite(fd, d, len, c->offset);
        rc = n < 0 ? -1 : 0;
        break;
    }
    case LF_CALL_READ: {
        if (direct) {
            int fd = open(p, O_RDONLY);
            if (fd < 0)
                return errno;
            char tmp[1];
            ssize_t n = pread(fd, tmp, sizeof tmp, c->offset);
            int e = n < 0 ? errno : 0;
            close(fd);
            return e;
        }
        int fd = s->fd[c->slot];
        if (fd < 0)
            return 0;
        free(s->last[c->slot]);
        s->nlast[c->slot] = 0;
        s->last[c->slot] = malloc(c->size ? c->size : 1);
        if (!s->last[c->slot])
            return ENOMEM;
        ssize_t n = pread(fd, s->last[c->slot], c->size, c->offset);
        if (n < 0)
            return errno;
        s->nlast[c->slot] = (size_t)n;
        return 0;
    }
    case LF_CALL_FTRUNCATE:
        if (s->fd[c->slot] < 0)
            return 0;
        rc = ftruncate(s->fd[c->slot], (off_t)c->size);
        break;
    case LF_CALL_CLOSE:
        if (s->fd[c->slot] >= 0)
            close(s->fd[c->slot]);
        s->fd[c->slot] = -1;
        return 0;
    case LF_CALL_TRUNCATE: rc = truncate(p, (off_t)c->size); break;
    case LF_CALL_UNLINK: rc = unlink(p); break;
    case LF_CALL_RMDIR: rc = rmdir(p); break;
    case LF_CALL_RENAME: rc = rename(p, at(base, c->path2, b)); break;
    case LF_CALL_CHMOD: rc = chmod(p, c->mode); break;
    case LF_CALL_CHOWN:
    case LF_CALL_LCHOWN: {
        uid_t u = c->uid < 0 ? (uid_t)-1 : (uid_t)c->uid;
        gid_t g = c->gid < 0 ? (gid_t)-1 : (gid_t)c->gid;
        rc = c->kind == LF_CALL_CHOWN ? chown(p, u, g) : lchown(p, u, g);
        break;
    }
    case LF_CALL_SYMLINK: rc = symlink(c->path2, p); break;
    case LF_CALL_READLINK: {
        char tmp[PATH_MAX];
        rc = readlink(p, tmp, sizeof tmp) < 0 ? -1 : 0;
        break;
    }
    case LF_CALL_READDIR: {
        DIR *d = opendir(p);
        if (!d)
            return errno;
        errno = 0;
        while (readdir(d))
            ;
        int e = errno;
        closedir(d);
        return e;
    }
    }
    return rc ? errno : 0;
}

/* The row of a call the kernel refused: performed on the backing directory. */
static int direct_row(lf_kexec *k, const lf_call *c, int mount_errno)
{
    char a[PATH_MAX];
    struct stat sb;
    unsigned type = lstat(at(k->root, c->path, a), &sb) ? 0 : (unsigned)(sb.st_mode & S_IFMT);
    lf_op op;
    int rc = lf_call_op(c, type, &op);
    if (rc)
        return rc;
    lf_state *before = NULL;
    lf_err e;
    if ((rc = lf_kexec_state(k, &before, &e))) {
        lf_op_free(&op);
        return rc;
    }
    slots none;
    memset(&none, 0, sizeof none);
    int derr = perform(c, k->root, &none, true);
    if (!derr) {
        lf_warn("gen: %s of %s failed on the mount (%s) but not directly", lf_op_name(op.kind),
                c->path, lf_errno_name(mount_errno));
        derr = mount_errno;
    }
    lf_answer ans;
    memset(&ans, 0, sizeof ans);
    ans.kind = LF_ANS_ERROR;
    ans.err = derr;
    rc = lf_rows_emit(k->rows, &op, before, &ans, "direct");
    lf_state_free(before);
    lf_op_free(&op);
    return rc;
}

int lf_kexec_run(lf_kexec *k, const lf_cmd *cmd)
{
    slots s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < LF_WL_SLOTS; i++)
        s.fd[i] = -1;
    int rc = 0;
    for (size_t i = 0; i < cmd->n && !rc; i++) {
        const lf_call *c = &cmd->calls[i];
        uint64_t before = lf_rows_emitted(k->rows);
        int e = perform(c, k->mnt, &s, false);
        if (e == EINTR)
            break;   /* a signal: the generator is stopping; no row */
        if (e && lf_rows_emitted(k->rows) == before) {
            rc = direct_row(k, c, e);
            if (c->kind == LF_CALL_READ && s.fd[c->slot] >= 0) {
                close(s.fd[c->slot]);   /* later reads of this file are not made */
                s.fd[c->slot] = -1;
            }
        }
    }
    for (int i = 0; i < LF_WL_SLOTS; i++) {
        if (s.fd[i] >= 0)
            close(s.fd[i]);
        free(s.last[i]);
    }
    return rc;
}
