/* reffs.c: the reference filesystem (reffs.h): libfuse3's high-level API,
 * passthrough to a backing directory, with a row for each protocol call. */
#define FUSE_USE_VERSION 31
#include "data/reffs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "data/workload.h"
#include "state/snapshot.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/log.h"
#include "util/text.h"

#define MAX_HANDLES 256
#define READ_CAP ((size_t)64 << 20)

typedef struct {
    int fd;            /* backing fd, -1 when the entry is free */
    long long disp;    /* the handle number rows show */
    bool live;         /* open and not yet flushed */
} handle;

struct lf_reffs {
    char *root;
    size_t rootlen;
    char *mnt;
    lf_reffs_row_fn fn;
    void *ctx;
    struct fuse *fuse;
    pthread_t thread;
    bool threaded, mounted, signals;
    handle h[MAX_HANDLES];
};

static lf_reffs *self(void)
{
    return fuse_get_context()->private_data;
}

/* root + path into buf; returns buf or NULL when too long. */
static const char *real(lf_reffs *r, const char *path, char buf[PATH_MAX])
{
    size_t n = strlen(path);
    if (r->rootlen + n + 1 > PATH_MAX)
        return NULL;
    memcpy(buf, r->root, r->rootlen);
    if (!strcmp(path, "/"))
        buf[r->rootlen] = '\0';
    else
        memcpy(buf + r->rootlen, path, n + 1);
    return buf;
}

#define REAL(var, path)                                                            \
    char var##_buf[PATH_MAX];                                                      \
    const char *var = real(r, (path), var##_buf);                                  \
    if (!var)                                                                      \
        return -ENAMETOOLONG

/* The backing directory's state, or NULL (logged). */
static lf_state *snap(lf_reffs *r)
{
    lf_state *st = NULL;
    lf_err e;
    lf_err_clear(&e);
    if (lf_state_snapshot_ex(r->root, LF_SNAPSHOT_PROTOCOL_IDS, &st, NULL, &e)) {
        lf_error("ref: snapshot of the backing directory failed: %s", e.msg);
        return NULL;
    }
    return st;
}

/* Emits the row of op: rc < 0 an error; else ans (or, when ans is NULL, the
 * state after the call). Frees before. Returns rc. */
static int row(lf_reffs *r, const lf_op *op, lf_state *before, int rc, lf_answer *ans)
{
    if (!before)
        return rc;
    lf_answer a;
    memset(&a, 0, sizeof a);
    if (rc < 0) {
        a.kind = LF_ANS_ERROR;
        a.err = -rc;
        ans = &a;
    } else if (!ans) {
        a.kind = LF_ANS_STATE;
        a.state = snap(r);
        if (!a.state) {
            lf_state_free(before);
            return rc;
        }
        ans = &a;
    }
    r->fn(r->ctx, op, before, ans);
    lf_answer_free(&a);
    lf_state_free(before);
    return rc;
}

static void op_init(lf_op *op, lf_op_kind k, const char *path)
{
    memset(op, 0, sizeof *op);
    op->kind = k;
    op->path = (char *)path;   /* borrowed: never lf_op_free'd */
    op->fh = -1;
    op->uid = op->gid = -1;
}

/* PROTOCOL.md §3: can the state hold the last component of path? */
static bool name_ok(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    return n > 0 && n <= LF_STATE_MAX_NAME && !lf_text_needs_base64(b, n);
}

static long long disp_alloc(lf_reffs *r)
{
    /* lowest number >= LF_FH_FIRST no live handle shows */
    for (long long d = LF_FH_FIRST;; d++) {
        bool used = false;
        for (int i = 0; i < MAX_HANDLES && !used; i++)
            used = r->h[i].fd >= 0 && r->h[i].live && r->h[i].disp == d;
        if (!used)
            return d;
    }
}

static int handle_new(lf_reffs *r, int fd, struct fuse_file_info *fi)
{
    for (int i = 0; i < MAX_HANDLES; i++)
        if (r->h[i].fd < 0) {
            r->h[i].disp = disp_alloc(r);
            r->h[i].fd = fd;
            r->h[i].live = true;
            fi->fh = (uint64_t)i;
            return 0;
        }
    close(fd);
    return -EMFILE;
}

static handle *hget(lf_reffs *r, struct fuse_file_info *fi)
{
    return fi && fi->fh < MAX_HANDLES && r->h[fi->fh].fd >= 0 ? &r->h[fi->fh] : NULL;
}

/* ---- operations without rows ---- */

static void *ref_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    cfg->entry_timeout = 0;
    cfg->attr_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->direct_io = 1;
    cfg->hard_remove = 1;      /* no .fuse_hidden files in the backing directory */
    cfg->use_ino = 0;
    conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;  /* O_TRUNC arrives as a truncate */
    conn->want &= ~FUSE_CAP_CACHE_SYMLINKS;
    return fuse_get_context()->private_data;
}

static int ref_getattr(const char *path, struct stat *stbuf, struct fuse_file_info *fi)
{
    lf_reffs *r = self();
    handle *h = hget(r, fi);
    if (h)
        return fstat(h->fd, stbuf) ? -errno : 0;
    REAL(p, path);
    return lstat(p, stbuf) ? -errno : 0;
}

static int ref_access(const char *path, int mask)
{
    lf_reffs *r = self();
    REAL(p, path);
    return faccessat(AT_FDCWD, p, mask, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

static int ref_open(const char *path, struct fuse_file_info *fi)
{
    lf_reffs *r = self();
    REAL(p, path);
    /* the kernel passes offsets; O_APPEND would make pwrite ignore them */
    int fd = open(p, fi->flags & ~(O_APPEND | O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY));
    if (fd < 0)
        return -errno;
    return handle_new(r, fd, fi);
}

static int ref_flush(const char *path, struct fuse_file_info *fi)
{
    handle *h = hget(self(), fi);
    if (h)
        h->live = false;   /* close(2) returned: its number is free again */
    return 0;
}

static int ref_release(const char *path, struct fuse_file_info *fi)
{
    handle *h = hget(self(), fi);
    if (h) {
        close(h->fd);
        h->fd = -1;
        h->live = false;
    }
    return 0;
}

static int ref_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    handle *h = hget(self(), fi);
    return h && (datasync ? fdatasync(h->fd) : fsync(h->fd)) ? -errno : 0;
}

static int ref_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
    lf_reffs *r = self();
    REAL(p, path);
    return utimensat(AT_FDCWD, p, tv, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

static int ref_statfs(const char *path, struct statvfs *sv)
{
    lf_reffs *r = self();
    return statvfs(r->root, sv) ? -errno : 0;
}

static int ref_link(const char *from, const char *to)
{
    return -EPERM;
}

static int ref_mknod(const char *path, mode_t mode, dev_t dev)
{
    return -EPERM;
}

/* ---- operations with rows ---- */

static int ref_mkdir(const char *path, mode_t mode)
{
    lf_reffs *r = self();
    REAL(p, path);
    lf_op op;
    op_init(&op, LF_OP_MKDIR, path);
    op.mode = mode;
    lf_state *before = snap(r);
    int rc = !name_ok(path) ? -EINVAL : mkdir(p, mode) ? -errno : 0;
    return row(r, &op, before, rc, NULL);
}

static int ref_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    lf_reffs *r = self();
    REAL(p, path);
    lf_op op;
    op_init(&op, LF_OP_CREATE, path);
    op.mode = mode;
    lf_state *before = snap(r);
    int rc = 0;
    if (!name_ok(path)) {
        rc = -EINVAL;
    } else {
        int fd = open(p, (fi->flags & ~(O_APPEND | O_NOCTTY)) | O_CREAT, mode);
        rc = fd < 0 ? -errno : handle_new(r, fd, fi);
    }
    return row(r, &op, before, rc, NULL);
}

static int ref_write(const char *path, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    lf_reffs *r = self();
    handle *h = hget(r, fi);
    if (!h)
        return -EBADF;
    lf_op op;
    op_init(&op, LF_OP_WRITE, path);
    op.data = (unsigned char *)buf;
    op.data_len = size;
    op.offset = (uint64_t)off;
    op.fh = h->disp;
    lf_state *before = snap(r);
    ssize_t n = pwrite(h->fd, buf, size, off);
    int rc = n < 0 ? -errno : 0;
    row(r, &op, before, rc, NULL);
    return rc ? rc : (int)n;
}

static int ref_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    lf_reffs *r = self();
    REAL(p, path);
    handle *h = hget(r, fi);
    lf_op op;
    op_init(&op, LF_OP_TRUNCATE, path);
    op.length = (uint64_t)size;
    op.fh = h ? h->disp : -1;
    lf_state *before = snap(r);
    int rc = (h ? ftruncate(h->fd, size) : truncate(p, size)) ? -errno : 0;
    return row(r, &op, before, rc, NULL);
}

static int ref_unlink(const char *path)
{
    lf_reffs *r = self();
    REAL(p, path);
    lf_op op;
    op_init(&op, LF_OP_UNLINK, path);
    lf_state *before = snap(r);
    return row(r, &op, before, unlink(p) ? -errno : 0, NULL);
}

static int ref_rmdir(const char *path)
{
    lf_reffs *r = self();
    REAL(p, path);
    lf_op op;
    op_init(&op, LF_OP_RMDIR, path);
    lf_state *before = snap(r);
    return row(r, &op, before, rmdir(p) ? -errno : 0, NULL);
}

static int ref_rename(const char *from, const char *to, unsigned int flags)
{
    lf_reffs *r = self();
    REAL(p, from);
    REAL(q, to);
    /* The protocol's rename has no flags. RENAME_NOREPLACE onto a free name
     * is a plain rename; onto an existing one (mv tries that first, then
     * falls back to rename) and RENAME_EXCHANGE are refused without a row. */
    struct stat sb;
    if (flags & ~RENAME_NOREPLACE)
        return -EINVAL;
    if ((flags & RENAME_NOREPLACE) && !lstat(q, &sb))
        return -EEXIST;
    lf_op op;
    op_init(&op, LF_OP_RENAME, from);
    op.new_path = (char *)to;
    lf_state *before = snap(r);
    int rc = !name_ok(to) ? -EINVAL : rename(p, q) ? -errno : 0;
    return row(r, &op, before, rc, NULL);
}

static int ref_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    lf_reffs *r = self();
    REAL(p, path);
    lf_op op;
    op_init(&op, LF_OP_CHMOD, path);
    op.mode = mode;
    lf_state *before = snap(r);
    return row(r, &op, before, chmod(p, mode & 07777) ? -errno : 0, NULL);
}

static int ref_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
    lf_reffs *r = self();
    REAL(p, path);
    lf_op op;
    op_init(&op, LF_OP_CHOWN, path);
    op.uid = uid == (uid_t)-1 ? -1 : (long long)uid;
    op.gid = gid == (gid_t)-1 ? -1 : (long long)gid;
    lf_state *before = snap(r);
    return row(r, &op, before, lchown(p, uid, gid) ? -errno : 0, NULL);
}

static int ref_symlink(const char *content, const char *path)
{
    lf_reffs *r = self();
    REAL(p, path);
    lf_op op;
    op_init(&op, LF_OP_SYMLINK, path);
    op.link_target = (char *)content;
    lf_state *before = snap(r);
    bool ok = name_ok(path) && !lf_text_needs_base64(content, strlen(content));
    int rc = !ok ? -EINVAL : symlink(content, p) ? -errno : 0;
    return row(r, &op, before, rc, NULL);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ref_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    lf_reffs *r = self();
    REAL(p, path);
    lf_op op;
    op_init(&op, LF_OP_READDIR, path);
    op.fh = 0;
    lf_state *before = snap(r);
    lf_answer a;
    memset(&a, 0, sizeof a);
    a.kind = LF_ANS_LIST;
    size_t cap = 0;
    int rc = 0;
    DIR *d = opendir(p);
    if (!d)
        return row(r, &op, before, -errno, NULL);
    struct dirent *de;
    filler(buf, ".", NULL, 0, 0);
    filler(buf, "..", NULL, 0, 0);
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        filler(buf, de->d_name, NULL, 0, 0);
        if (!name_ok(de->d_name))
            continue;   /* not in the state either (the snapshot skips it) */
        if (a.nnames == cap) {
            cap = cap ? cap * 2 : 16;
            char **v = realloc(a.names, cap * sizeof *v);
            if (!v) {
                rc = -ENOMEM;
                break;
            }
            a.names = v;
        }
        if (!(a.names[a.nnames] = strdup(de->d_name))) {
            rc = -ENOMEM;
            break;
        }
        a.nnames++;
    }
    closedir(d);
    if (rc) {
        lf_answer_free(&a);
        lf_state_free(before);
        return rc;
    }
    if (a.nnames > 1)
        qsort(a.names, a.nnames, sizeof *a.names, cmp_str);
    row(r, &op, before, 0, &a);
    lf_answer_free(&a);
    return 0;
}

static int ref_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    lf_reffs *r = self();
    REAL(p, path);
    handle *h = hget(r, fi);
    if (!h)
        return -EBADF;
    lf_op op;
    op_init(&op, LF_OP_READ, path);
    op.size = size;
    op.offset = (uint64_t)off;
    op.fh = h->disp;
    lf_state *before = snap(r);
    ssize_t n = pread(h->fd, buf, size, off);
    if (n < 0)
        return row(r, &op, before, -errno, NULL);
    /* the answer is the whole file, read from the backing directory */
    lf_buf all;
    lf_buf_init(&all, READ_CAP);
    lf_err e;
    int rc = lf_file_read(p, READ_CAP, &all, &e);
    if (!rc) {
        lf_answer a;
        memset(&a, 0, sizeof a);
        a.kind = LF_ANS_BYTES;
        a.bytes = (unsigned char *)all.data;
        a.nbytes = all.len;
        row(r, &op, before, 0, &a);
    } else {
        lf_state_free(before);
    }
    lf_buf_free(&all);
    return (int)n;
}

static int ref_readlink(const char *path, char *buf, size_t size)
{
    lf_reffs *r = self();
    REAL(p, path);
    lf_op op;
    op_init(&op, LF_OP_READLINK, path);
    lf_state *before = snap(r);
    char tmp[PATH_MAX + 1];
    ssize_t n = readlink(p, tmp, PATH_MAX);
    if (n < 0)
        return row(r, &op, before, -errno, NULL);
    lf_answer a;
    memset(&a, 0, sizeof a);
    a.kind = LF_ANS_BYTES;
    a.bytes = (unsigned char *)tmp;
    a.nbytes = (size_t)n;
    row(r, &op, before, 0, &a);
    size_t k = (size_t)n < size - 1 ? (size_t)n : size - 1;
    memcpy(buf, tmp, k);
    buf[k] = '\0';
    return 0;
}

static const struct fuse_operations ref_ops = {
    .init = ref_init,
    .getattr = ref_getattr,
    .access = ref_access,
    .readlink = ref_readlink,
    .mknod = ref_mknod,
    .mkdir = ref_mkdir,
    .unlink = ref_unlink,
    .rmdir = ref_rmdir,
    .symlink = ref_symlink,
    .rename = ref_rename,
    .link = ref_link,
    .chmod = ref_chmod,
    .chown = ref_chown,
    .truncate = ref_truncate,
    .open = ref_open,
    .create = ref_create,
    .read = ref_read,
    .write = ref_write,
    .statfs = ref_statfs,
    .flush = ref_flush,
    .release = ref_release,
    .fsync = ref_fsync,
    .readdir = ref_readdir,
    .utimens = ref_utimens,
};

/* ---- lifecycle ---- */

int lf_reffs_mount(const char *mnt, const char *root, lf_reffs_row_fn fn, void *ctx,
                   lf_reffs **out, lf_err *err)
{
    lf_reffs *r = calloc(1, sizeof *r);
    if (!r)
        return lf_err_set(err, ENOMEM, "out of memory");
    for (int i = 0; i < MAX_HANDLES; i++)
        r->h[i].fd = -1;
    r->root = realpath(root, NULL);
    r->mnt = realpath(mnt, NULL);
    if (!r->root || !r->mnt) {
        int e = errno;
        const char *which = r->root ? mnt : root;
        lf_reffs_stop(r);
        return lf_err_set(err, e, "%s: %s", which, strerror(e));
    }
    r->rootlen = strlen(r->root);
    r->fn = fn;
    r->ctx = ctx;
    char *argv[] = {"llmfuse-ref", "-o", "fsname=llmfuse-ref,subtype=llmfuse", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, argv);
    r->fuse = fuse_new(&args, &ref_ops, sizeof ref_ops, r);
    fuse_opt_free_args(&args);
    if (!r->fuse) {
        lf_reffs_stop(r);
        return lf_err_set(err, EIO, "fuse_new failed");
    }
    if (fuse_mount(r->fuse, r->mnt)) {
        lf_reffs_stop(r);
        return lf_err_set(err, EIO, "cannot mount on %s (is /dev/fuse usable?)", mnt);
    }
    r->mounted = true;
    *out = r;
    return 0;
}

int lf_reffs_loop(lf_reffs *r)
{
    int rc = fuse_loop(r->fuse);   /* single-threaded: rows in call order */
    return rc < 0 ? rc : rc > 0 ? -EINTR : 0;
}

static void *serve(void *arg)
{
    /* signals are the caller's thread's business */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    lf_reffs_loop(arg);
    return NULL;
}

int lf_reffs_start_thread(lf_reffs *r, lf_err *err)
{
    int rc = pthread_create(&r->thread, NULL, serve, r);
    if (rc)
        return lf_err_set(err, rc, "pthread_create: %s", strerror(rc));
    r->threaded = true;
    return 0;
}

int lf_reffs_signals(lf_reffs *r)
{
    if (fuse_set_signal_handlers(fuse_get_session(r->fuse)))
        return -EIO;
    r->signals = true;
    return 0;
}

void lf_reffs_stop(lf_reffs *r)
{
    if (!r)
        return;
    if (r->fuse) {
        fuse_exit(r->fuse);
        if (r->mounted)
            fuse_unmount(r->fuse);  /* wakes the loop: its read of /dev/fuse fails */
        if (r->threaded)
            pthread_join(r->thread, NULL);
        if (r->signals)
            fuse_remove_signal_handlers(fuse_get_session(r->fuse));
        fuse_destroy(r->fuse);
    }
    for (int i = 0; i < MAX_HANDLES; i++)
        if (r->h[i].fd >= 0)
            close(r->h[i].fd);
    free(r->root);
    free(r->mnt);
    free(r);
}
