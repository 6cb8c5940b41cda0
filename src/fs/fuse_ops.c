/* fuse_ops.c: the FUSE operations table of the mount (libfuse3 high-level
 * API, multi-threaded loop) and lf_fs_main.
 *
 * Each handler turns a kernel request into an operation of PROTOCOL.md §2
 * and hands it to the engine (mount.h): <W> ops to lf_mount_write, read,
 * readdir and readlink to lf_mount_query; getattr, open, release, flush,
 * fsync, opendir, releasedir, statfs, access and utimens are answered from
 * the current state; link and mknod are EPERM, extended attributes ENOTSUP.
 * Handlers return 0 or -errno (the mapping table is fs/check.c).
 *
 * The hidden control directory /.llmfuse (not part of the model's state,
 * not listed in /, read-only) holds `stats` (JSON counters) and
 * `state.xml` (the current canonical state).
 */
#define FUSE_USE_VERSION 314
#include "fs/fs.h"

#include <fcntl.h>
#include <fuse.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fs/check.h"
#include "util/log.h"

#define CTL_DIR "/.llmfuse"
#define EPOCH_2025 1735689600 /* 2025-01-01T00:00:00Z: PROTOCOL.md §3 mtimes */

static lf_mount *M(void) { return fuse_get_context()->private_data; }

/* ---- file handles ------------------------------------------------------
 * Prompts carry the handle number (fh=N), so numbers are small and reused
 * like file descriptors (lowest free, from 4, as the original's data has).
 * fi->fh = number << 1 | O_APPEND bit. */

#define FH_FIRST 4
#define FH_SLOTS 4096
static pthread_mutex_t fh_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char fh_used[FH_SLOTS];
static unsigned long fh_overflow = FH_SLOTS;

static unsigned long fh_get(void)
{
    unsigned long n = 0;
    pthread_mutex_lock(&fh_mu);
    for (unsigned long i = FH_FIRST; i < FH_SLOTS; i++)
        if (!fh_used[i]) {
            fh_used[i] = 1;
            n = i;
            break;
        }
    if (!n)
        n = fh_overflow++;
    pthread_mutex_unlock(&fh_mu);
    return n;
}

static void fh_put(uint64_t fh)
{
    uint64_t n = fh >> 1;
    pthread_mutex_lock(&fh_mu);
    if (n < FH_SLOTS)
        fh_used[n] = 0;
    pthread_mutex_unlock(&fh_mu);
}

static long long fh_num(const struct fuse_file_info *fi) { return fi ? (long long)(fi->fh >> 1) : -1; }

/* ---- the control directory -------------------------------------------- */

enum { CTL_NONE = 0, CTL_ROOT, CTL_STATS, CTL_STATE, CTL_MISSING };

static int ctl_kind(const char *path)
{
    if (strncmp(path, CTL_DIR, sizeof CTL_DIR - 1))
        return CTL_NONE;
    const char *r = path + sizeof CTL_DIR - 1;
    if (!*r)
        return CTL_ROOT;
    if (*r != '/')
        return CTL_NONE; /* "/.llmfusex" is an ordinary name */
    if (!strcmp(r, "/stats"))
        return CTL_STATS;
    if (!strcmp(r, "/state.xml"))
        return CTL_STATE;
    return CTL_MISSING;
}

static int ctl_content(lf_mount *m, int k, lf_buf *out)
{
    if (k == CTL_STATS)
        return lf_mount_stats_json(m, out);
    lf_snap *s = lf_mount_snap(m);
    int rc = lf_buf_append(out, s->xml, s->xml_len);
    if (rc == 0)
        rc = lf_buf_putc(out, '\n');
    lf_snap_put(s);
    return rc;
}

/* ---- attributes ------------------------------------------------------- */

static void fill_stat(lf_mount *m, const lf_node *n, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_uid = lf_mount_uid_of(m, n->owner);
    st->st_gid = lf_mount_gid_of(m, n->group);
    st->st_blksize = 4096;
    time_t t = EPOCH_2025;
    switch (n->kind) {
    case LF_NODE_DIR:
        st->st_mode = S_IFDIR | (n->mode & 07777);
        st->st_size = 4096; /* as ext4 shows a directory: the state has no size */
        st->st_nlink = 2;
        for (size_t i = 0; i < n->nkids; i++)
            if (n->kids[i]->kind == LF_NODE_DIR)
                st->st_nlink++;
        break;
    case LF_NODE_FILE:
        st->st_mode = S_IFREG | (n->mode & 07777);
        st->st_nlink = 1;
        st->st_size = (off_t)n->size;
        t = EPOCH_2025 + 1;
        break;
    case LF_NODE_LINK:
        st->st_mode = S_IFLNK | 0777;
        st->st_nlink = 1;
        st->st_size = n->target ? (off_t)strlen(n->target) : 0;
        break;
    }
    st->st_blocks = (st->st_size + 511) / 512;
    st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = t;
}

static int ctl_stat(lf_mount *m, int k, struct stat *st)
{
    memset(st, 0, sizeof *st);
    struct fuse_context *c = fuse_get_context();
    st->st_uid = c->uid;
    st->st_gid = c->gid;
    st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = EPOCH_2025;
    if (k == CTL_ROOT) {
        st->st_mode = S_IFDIR | 0555;
        st->st_nlink = 2;
        return 0;
    }
    if (k == CTL_MISSING)
        return -ENOENT;
    lf_buf b;
    lf_buf_init(&b, LF_MOUNT_STATE_MAX);
    int rc = ctl_content(m, k, &b);
    st->st_mode = S_IFREG | 0444;
    st->st_nlink = 1;
    st->st_size = (off_t)b.len;
    lf_buf_free(&b);
    return rc < 0 ? -EIO : 0;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    lf_mount *m = M();
    lf_mount_count_local(m, LF_LOCAL_GETATTR);
    int k = ctl_kind(path);
    if (k)
        return ctl_stat(m, k, st);
    lf_snap *s = lf_mount_snap(m);
    const lf_node *n = lf_state_lookup(s->st, path, NULL);
    if (n)
        fill_stat(m, n, st);
    lf_snap_put(s);
    return n ? 0 : -ENOENT;
}

/* The node kind at path: 0 file, 1 dir, 2 link, -ENOENT. */
static int kind_at(lf_mount *m, const char *path)
{
    lf_snap *s = lf_mount_snap(m);
    const lf_node *n = lf_state_lookup(s->st, path, NULL);
    int k = n ? (n->kind == LF_NODE_FILE ? 0 : n->kind == LF_NODE_DIR ? 1 : 2) : -ENOENT;
    lf_snap_put(s);
    return k;
}

/* ---- <W> operations --------------------------------------------------- */

static int run_write(lf_op *op, unsigned flags)
{
    int rc = lf_mount_write(M(), op, flags);
    lf_op_free(op);
    return rc;
}

/* Sets *field to a copy of s; false on ENOMEM. */
static bool dup_into(char **field, const char *s)
{
    *field = strdup(s);
    return *field != NULL;
}

static int op_mkdir(const char *path, mode_t mode)
{
    /* modes go in as the kernel passed them (PROTOCOL.md §2; the dataset
     * generator records the same): mkdir's has no type bits, create's and
     * chmod's have them */
    lf_op op = {.kind = LF_OP_MKDIR, .mode = mode, .fh = -1};
    if (!dup_into(&op.path, path))
        return -ENOMEM;
    return run_write(&op, 0);
}

static void set_handle(struct fuse_file_info *fi)
{
    fi->fh = (uint64_t)fh_get() << 1 | ((fi->flags & O_APPEND) ? 1 : 0);
    fi->direct_io = 1;
    fi->keep_cache = 0;
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    lf_op op = {.kind = LF_OP_CREATE, .mode = (mode & S_IFMT) ? mode : (S_IFREG | mode), .fh = -1};
    if (!dup_into(&op.path, path))
        return -ENOMEM;
    int rc = run_write(&op, 0);
    if (rc == 0)
        set_handle(fi);
    return rc;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    if (ctl_kind(path))
        return -EACCES;
    lf_op op = {.kind = LF_OP_WRITE, .offset = (uint64_t)off, .fh = fh_num(fi)};
    op.data = malloc(size ? size : 1);
    if (!op.data || !dup_into(&op.path, path)) {
        lf_op_free(&op);
        return -ENOMEM;
    }
    memcpy(op.data, buf, size);
    op.data_len = size;
    int rc = run_write(&op, fi && (fi->fh & 1) ? LF_MOUNT_APPEND : 0);
    return rc < 0 ? rc : (int)size;
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    if (ctl_kind(path))
        return -EACCES;
    if (size < 0)
        return -EINVAL;
    lf_op op = {.kind = LF_OP_TRUNCATE, .length = (uint64_t)size, .fh = fh_num(fi)};
    if (!dup_into(&op.path, path))
        return -ENOMEM;
    return run_write(&op, 0);
}

/* fallocate without flags only guarantees the size: a truncate that grows
 * the file (zero fill) when off + len passes the end; other modes (punch
 * hole, keep size, ...) are not supported. */
static int op_fallocate(const char *path, int mode, off_t off, off_t len,
                        struct fuse_file_info *fi)
{
    if (mode != 0)
        return -EOPNOTSUPP;
    if (off < 0 || len <= 0)
        return -EINVAL;
    if (ctl_kind(path))
        return -EACCES;
    lf_snap *s = lf_mount_snap(M());
    const lf_node *n = lf_state_lookup(s->st, path, NULL);
    int kind = n ? (int)n->kind : -1;
    size_t size = n ? n->size : 0;
    lf_snap_put(s);
    if (kind < 0)
        return -ENOENT;
    if (kind == LF_NODE_DIR)
        return -EISDIR;
    if ((uint64_t)off + (uint64_t)len <= size)
        return 0;
    return op_truncate(path, off + len, fi);
}

static int op_unlink(const char *path)
{
    lf_op op = {.kind = LF_OP_UNLINK, .fh = -1};
    if (!dup_into(&op.path, path))
        return -ENOMEM;
    return run_write(&op, 0);
}

static int op_rmdir(const char *path)
{
    lf_op op = {.kind = LF_OP_RMDIR, .fh = -1};
    if (!dup_into(&op.path, path))
        return -ENOMEM;
    return run_write(&op, 0);
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
    if (flags & ~RENAME_NOREPLACE)
        return -EINVAL; /* RENAME_EXCHANGE, RENAME_WHITEOUT: not supported */
    lf_op op = {.kind = LF_OP_RENAME, .fh = -1};
    if (!dup_into(&op.path, from) || !dup_into(&op.new_path, to)) {
        lf_op_free(&op);
        return -ENOMEM;
    }
    return run_write(&op, (flags & RENAME_NOREPLACE) ? LF_MOUNT_NOREPLACE : 0);
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    if (ctl_kind(path))
        return -EPERM;
    lf_op op = {.kind = LF_OP_CHMOD, .mode = mode, .fh = -1};
    if (!dup_into(&op.path, path))
        return -ENOMEM;
    return run_write(&op, 0);
}

static int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
    lf_op op = {.kind = LF_OP_CHOWN, .fh = -1,
                .uid = uid == (uid_t)-1 ? -1 : (long long)uid,
                .gid = gid == (gid_t)-1 ? -1 : (long long)gid};
    if (!dup_into(&op.path, path))
        return -ENOMEM;
    return run_write(&op, 0);
}

static int op_symlink(const char *content, const char *linkpath)
{
    lf_op op = {.kind = LF_OP_SYMLINK, .fh = -1};
    if (!dup_into(&op.path, linkpath) || !dup_into(&op.link_target, content)) {
        lf_op_free(&op);
        return -ENOMEM;
    }
    return run_write(&op, 0);
}

/* ---- queries ---------------------------------------------------------- */

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    lf_mount *m = M();
    const unsigned char *src;
    size_t len;
    int k = ctl_kind(path), rc;
    lf_buf b;
    lf_answer ans;
    memset(&ans, 0, sizeof ans);
    lf_buf_init(&b, LF_MOUNT_STATE_MAX);
    if (k) {
        if (k != CTL_STATS && k != CTL_STATE) {
            rc = k == CTL_ROOT ? -EISDIR : -ENOENT;
            goto out;
        }
        if (ctl_content(m, k, &b) < 0) {
            rc = -EIO;
            goto out;
        }
        src = (const unsigned char *)b.data;
        len = b.len;
    } else {
        lf_op op = {.kind = LF_OP_READ, .size = size, .offset = (uint64_t)off, .fh = fh_num(fi)};
        if (!dup_into(&op.path, path)) {
            rc = -ENOMEM;
            goto out;
        }
        rc = lf_mount_query(m, &op, &ans);
        lf_op_free(&op);
        if (rc < 0)
            goto out;
        src = ans.bytes;
        len = ans.nbytes;
    }
    rc = 0;
    if ((uint64_t)off < len) {
        size_t n = len - (size_t)off < size ? len - (size_t)off : size;
        memcpy(buf, src + off, n);
        rc = (int)n;
    }
out:
    lf_answer_free(&ans);
    lf_buf_free(&b);
    return rc;
}

static int op_readlink(const char *path, char *buf, size_t size)
{
    if (ctl_kind(path))
        return -EINVAL;
    if (size == 0)
        return -EINVAL;
    lf_op op = {.kind = LF_OP_READLINK, .fh = -1};
    lf_answer ans;
    if (!dup_into(&op.path, path))
        return -ENOMEM;
    int rc = lf_mount_query(M(), &op, &ans);
    lf_op_free(&op);
    if (rc < 0)
        return rc;
    size_t n = ans.nbytes < size - 1 ? ans.nbytes : size - 1;
    memcpy(buf, ans.bytes, n);
    buf[n] = 0;
    lf_answer_free(&ans);
    return 0;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    int k = ctl_kind(path);
    if (k == CTL_ROOT) {
        filler(buf, ".", NULL, 0, 0);
        filler(buf, "..", NULL, 0, 0);
        filler(buf, "stats", NULL, 0, 0);
        filler(buf, "state.xml", NULL, 0, 0);
        return 0;
    }
    if (k)
        return k == CTL_MISSING ? -ENOENT : -ENOTDIR;
    lf_op op = {.kind = LF_OP_READDIR, .fh = 0};
    lf_answer ans;
    if (!dup_into(&op.path, path))
        return -ENOMEM;
    int rc = lf_mount_query(M(), &op, &ans);
    lf_op_free(&op);
    if (rc < 0)
        return rc;
    filler(buf, ".", NULL, 0, 0);
    filler(buf, "..", NULL, 0, 0);
    /* lf_mount_query left only names the state holds, each once */
    for (size_t i = 0; i < ans.nnames; i++)
        if (filler(buf, ans.names[i], NULL, 0, 0))
            break;
    lf_answer_free(&ans);
    return 0;
}

/* ---- local operations ------------------------------------------------- */

static int op_open(const char *path, struct fuse_file_info *fi)
{
    lf_mount *m = M();
    lf_mount_count_local(m, LF_LOCAL_OPEN);
    int k = ctl_kind(path);
    if (k) {
        if (k == CTL_MISSING)
            return -ENOENT;
        if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
            return -EACCES;
        fi->fh = 0;
        fi->direct_io = 1;
        return 0;
    }
    int kind = kind_at(m, path);
    if (kind < 0)
        return kind;
    if (kind == 1 && (fi->flags & O_ACCMODE) != O_RDONLY)
        return -EISDIR;
    set_handle(fi);
    return 0;
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
    lf_mount_count_local(M(), LF_LOCAL_RELEASE);
    if (!ctl_kind(path) && fi) {
        lf_mount_forget(M(), fh_num(fi));
        fh_put(fi->fh);
    }
    return 0;
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
    lf_mount_count_local(M(), LF_LOCAL_FLUSH);
    return 0;
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    lf_mount_count_local(M(), LF_LOCAL_FSYNC);
    return 0; /* every accepted state is already on disk */
}

static int op_opendir(const char *path, struct fuse_file_info *fi)
{
    lf_mount *m = M();
    lf_mount_count_local(m, LF_LOCAL_OPENDIR);
    int k = ctl_kind(path);
    if (k)
        return k == CTL_ROOT ? 0 : k == CTL_MISSING ? -ENOENT : -ENOTDIR;
    int kind = kind_at(m, path);
    if (kind < 0)
        return kind;
    if (kind != 1)
        return -ENOTDIR;
    fi->fh = 0;
    return 0;
}

static int op_releasedir(const char *path, struct fuse_file_info *fi)
{
    lf_mount_count_local(M(), LF_LOCAL_RELEASEDIR);
    return 0;
}

static int op_statfs(const char *path, struct statvfs *sv)
{
    lf_mount *m = M();
    lf_mount_count_local(m, LF_LOCAL_STATFS);
    uint64_t total, avail;
    lf_mount_room(m, &total, &avail);
    lf_snap *s = lf_mount_snap(m);
    size_t nodes = lf_state_count(s->st);
    lf_snap_put(s);
    memset(sv, 0, sizeof *sv);
    /* byte-sized fundamental blocks: a small context's room is a few
     * hundred bytes, which 512-byte blocks would round to nothing */
    sv->f_bsize = 4096;
    sv->f_frsize = 1;
    sv->f_blocks = total;
    sv->f_bfree = sv->f_bavail = avail;
    /* a node costs at least ~100 bytes of XML */
    sv->f_files = nodes + avail / 100;
    sv->f_ffree = sv->f_favail = avail / 100;
    sv->f_namemax = 255;
    return 0;
}

static int op_access(const char *path, int mask)
{
    lf_mount *m = M();
    lf_mount_count_local(m, LF_LOCAL_ACCESS);
    int k = ctl_kind(path);
    if (k)
        return k == CTL_MISSING ? -ENOENT : (mask & W_OK) ? -EACCES : 0;
    lf_snap *s = lf_mount_snap(m);
    const lf_node *n = lf_state_lookup(s->st, path, NULL);
    int rc = n ? 0 : -ENOENT;
    if (n && mask != F_OK) {
        /* the mode bits of the state, as a local filesystem checks them
         * (supplementary groups not consulted); root passes except for
         * execute on a file with no execute bit */
        struct fuse_context *c = fuse_get_context();
        unsigned mode = n->kind == LF_NODE_LINK ? 0777 : n->mode;
        if (c->uid == 0) {
            if ((mask & X_OK) && n->kind == LF_NODE_FILE && !(mode & 0111))
                rc = -EACCES;
        } else {
            unsigned bits = c->uid == lf_mount_uid_of(m, n->owner)   ? (mode >> 6) & 7
                            : c->gid == lf_mount_gid_of(m, n->group) ? (mode >> 3) & 7
                                                                     : mode & 7;
            if (((unsigned)mask & bits) != (unsigned)mask)
                rc = -EACCES;
        }
    }
    lf_snap_put(s);
    return rc;
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
    lf_mount *m = M();
    lf_mount_count_local(m, LF_LOCAL_UTIMENS);
    if (ctl_kind(path))
        return -EACCES;
    int kind = kind_at(m, path);
    return kind < 0 ? kind : 0; /* times are canonical: nothing changes */
}

static int op_link(const char *from, const char *to)
{
    lf_mount_count_local(M(), LF_LOCAL_REFUSED);
    return -EPERM;
}

static int op_mknod(const char *path, mode_t mode, dev_t rdev)
{
    lf_mount_count_local(M(), LF_LOCAL_REFUSED);
    return -EPERM;
}

static int op_setxattr(const char *path, const char *name, const char *value, size_t size,
                       int flags)
{
    return -ENOTSUP;
}

static int op_getxattr(const char *path, const char *name, char *value, size_t size)
{
    return -ENOTSUP;
}

static int op_listxattr(const char *path, char *list, size_t size) { return -ENOTSUP; }

static int op_removexattr(const char *path, const char *name) { return -ENOTSUP; }

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    cfg->use_ino = 0;
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    cfg->auto_cache = 0;
    cfg->entry_timeout = 0;
    cfg->attr_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->hard_remove = 1; /* no .fuse_hidden renames: they would reach the model */
    conn->want &= ~(unsigned)FUSE_CAP_ATOMIC_O_TRUNC;
    conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
    return fuse_get_context()->private_data;
}

static const struct fuse_operations lf_fuse_ops = {
    .init = op_init,
    .getattr = op_getattr,
    .readlink = op_readlink,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .chmod = op_chmod,
    .chown = op_chown,
    .truncate = op_truncate,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .statfs = op_statfs,
    .flush = op_flush,
    .release = op_release,
    .fsync = op_fsync,
    .setxattr = op_setxattr,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .removexattr = op_removexattr,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
    .access = op_access,
    .create = op_create,
    .utimens = op_utimens,
    .fallocate = op_fallocate,
};

/* ---- the loop --------------------------------------------------------- */

int lf_fs_main(lf_mount *m, const lf_fs_opts *o, lf_err *err)
{
    struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
    struct fuse *f = NULL;
    struct fuse_loop_config *cfg = NULL;
    bool mounted = false, handlers = false;
    int rc = -ENOMEM;

    if (fuse_opt_add_arg(&args, "llmfuse") || (o->debug && fuse_opt_add_arg(&args, "-d")) ||
        fuse_opt_add_arg(&args, "-o") ||
        fuse_opt_add_arg(&args, "fsname=llmfuse,subtype=llmfuse"))
        goto out;
    f = fuse_new(&args, &lf_fuse_ops, sizeof lf_fuse_ops, m);
    if (!f) {
        rc = lf_err_set(err, EINVAL, "fuse_new failed (see the message above)");
        goto out;
    }
    if (fuse_mount(f, o->mountpoint) != 0) {
        rc = lf_err_set(err, EIO, "cannot mount on %s (see the message above)", o->mountpoint);
        goto out;
    }
    mounted = true;
    if (fuse_daemonize(o->foreground) != 0) {
        rc = lf_err_set(err, EIO, "cannot detach");
        goto out;
    }
    if (fuse_set_signal_handlers(fuse_get_session(f)) != 0) {
        rc = lf_err_set(err, EIO, "cannot set signal handlers");
        goto out;
    }
    handlers = true;
    if (o->ready && (rc = o->ready(m, o->ctx, err)) < 0)
        goto out;
    cfg = fuse_loop_cfg_create();
    if (!cfg)
        goto out;
    fuse_loop_cfg_set_clone_fd(cfg, 0);
    if (o->max_threads > 0)
        fuse_loop_cfg_set_max_threads(cfg, (unsigned)o->max_threads);
    lf_info("serving %s", o->mountpoint);
    rc = fuse_loop_mt(f, cfg); /* > 0: the signal that ended it */
    if (rc < 0)
        rc = lf_err_set(err, EIO, "the FUSE loop failed (%d)", rc);
    else
        rc = 0;
out:
    if (cfg)
        fuse_loop_cfg_destroy(cfg);
    if (handlers)
        fuse_remove_signal_handlers(fuse_get_session(f));
    if (mounted)
        fuse_unmount(f);
    if (f)
        fuse_destroy(f);
    fuse_opt_free_args(&args);
    return rc;
}
