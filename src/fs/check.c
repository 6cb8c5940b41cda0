/* check.c: shape checks of model answers, the errno mapping table, name
 * checks and diff excerpts for the mount (see check.h). */
#include "fs/check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

/* ---- errno mapping ---------------------------------------------------- */

/* Errnos a model may answer for a filesystem operation; anything else (a
 * free-text ERROR is EIO already) is reported as EIO. */
static const int model_errnos[] = {
    EPERM,  ENOENT,  EACCES, EBUSY,  EEXIST,    EXDEV,        ENOTDIR, EISDIR,
    EINVAL, EFBIG,   ENOSPC, EROFS,  EMLINK,    ENAMETOOLONG, ENOTEMPTY,
    ELOOP,  ENOTSUP, EIO,    EDQUOT, EOVERFLOW,
};

int lf_fs_errno_from_model(int e)
{
    if (e < 0)
        e = -e;
    for (size_t i = 0; i < sizeof model_errnos / sizeof model_errnos[0]; i++)
        if (model_errnos[i] == e)
            return -e;
    return -EIO;
}

int lf_fs_errno_from_backend(int rc)
{
    if (rc > 0)
        rc = -rc;
    if (rc == -ENOSPC || rc == -ENOMEM)
        return rc;
    return -EIO;
}

/* ---- names ------------------------------------------------------------ */

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 255)
        return false;
    if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    if (memchr(s, '/', n))
        return false;
    return !lf_text_needs_base64(s, n);
}

bool lf_fs_path_ok(const char *path)
{
    if (!path || path[0] != '/')
        return false;
    const char *p = path + 1;
    if (!*p)
        return true; /* the root */
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (!name_ok(p, n))
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

static bool too_long(const char *path)
{
    size_t run = 0;
    for (const char *p = path; p && *p; p++) {
        run = *p == '/' ? 0 : run + 1;
        if (run > 255)
            return true;
    }
    return false;
}

int lf_fs_op_names_check(const lf_op *op)
{
    const char *dst = op->kind == LF_OP_RENAME ? op->new_path : NULL;
    if (too_long(op->path) || too_long(dst))
        return -ENAMETOOLONG;
    if (!lf_fs_path_ok(op->path) || (op->kind == LF_OP_RENAME && !lf_fs_path_ok(dst)))
        return -EINVAL;
    if (op->kind == LF_OP_SYMLINK &&
        (!op->link_target || !op->link_target[0] ||
         lf_text_needs_base64(op->link_target, strlen(op->link_target))))
        return -EINVAL;
    return 0;
}

/* ---- excerpts --------------------------------------------------------- */

int lf_fs_excerpt(const void *p, size_t n, size_t max, lf_buf *out)
{
    const unsigned char *s = p;
    size_t k = n < max ? n : max;
    for (size_t i = 0; i < k; i++) {
        int rc;
        unsigned char c = s[i];
        if (c == '\n')
            rc = lf_buf_puts(out, "\\n");
        else if (c == '\\')
            rc = lf_buf_puts(out, "\\\\");
        else if (c < 0x20 || c == 0x7f)
            rc = lf_buf_printf(out, "\\x%02x", c);
        else
            rc = lf_buf_putc(out, (char)c);
        if (rc < 0)
            return rc;
    }
    return n > max ? lf_buf_puts(out, "...") : 0;
}

int lf_fs_diff_excerpt(const void *a, size_t na, const void *b, size_t nb, lf_buf *out)
{
    const unsigned char *x = a, *y = b;
    size_t m = na < nb ? na : nb, i = 0;
    while (i < m && x[i] == y[i])
        i++;
    if (i == m && na == nb)
        return lf_buf_puts(out, "identical");
    size_t from = i > 20 ? i - 20 : 0;
    int rc = lf_buf_printf(out, "at byte %zu: expected '", i);
    if (rc == 0)
        rc = lf_fs_excerpt(x + from, na - from, 40, out);
    if (rc == 0)
        rc = lf_buf_puts(out, "' got '");
    if (rc == 0)
        rc = lf_fs_excerpt(y + from, nb - from, 40, out);
    if (rc == 0)
        rc = lf_buf_putc(out, '\'');
    return rc;
}

/* ---- tree comparison -------------------------------------------------- */

/* Top-level fields node_eq may ignore (descendants are always compared). */
enum { IGN_NAME = 1, IGN_MODE = 2, IGN_OWNER = 4, IGN_DATA = 8 };

static bool streq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static bool node_eq(const lf_node *a, const lf_node *b, unsigned ign)
{
    if (a->kind != b->kind)
        return false;
    if (!(ign & IGN_NAME) && !streq(a->name, b->name))
        return false;
    if (!(ign & IGN_MODE) && a->mode != b->mode)
        return false;
    if (!(ign & IGN_OWNER) && (!streq(a->owner, b->owner) || !streq(a->group, b->group)))
        return false;
    switch (a->kind) {
    case LF_NODE_FILE:
        if (ign & IGN_DATA)
            return true;
        return a->size == b->size && (a->size == 0 || memcmp(a->data, b->data, a->size) == 0);
    case LF_NODE_LINK:
        return streq(a->target, b->target);
    case LF_NODE_DIR:
        if (a->nkids != b->nkids)
            return false;
        for (size_t i = 0; i < a->nkids; i++)
            if (!node_eq(a->kids[i], b->kids[i], 0))
                return false;
        return true;
    }
    return false;
}

/* Nodes left out of the "everything else is unchanged" comparison: skip_a
 * are nodes of the old tree, skip_b of the new one (their subtrees too). */
typedef struct skipset {
    const lf_node *a[3];
    const lf_node *b[3];
} skipset;

static bool skipped(const lf_node *n, const lf_node *const *set)
{
    for (int i = 0; i < 3; i++)
        if (set[i] && set[i] == n)
            return true;
    return false;
}

/* Compares the trees under a (old) and b (new) leaving out the skipped
 * nodes; on a difference, *where is the node of a or b where it shows. */
static bool rest_eq(const lf_node *a, const lf_node *b, const skipset *s, const lf_node **where)
{
    if (a->kind != b->kind || !streq(a->name, b->name) || a->mode != b->mode ||
        !streq(a->owner, b->owner) || !streq(a->group, b->group)) {
        *where = a;
        return false;
    }
    if (a->kind != LF_NODE_DIR) {
        if (!node_eq(a, b, 0)) {
            *where = a;
            return false;
        }
        return true;
    }
    size_t i = 0, j = 0;
    for (;;) {
        while (i < a->nkids && skipped(a->kids[i], s->a))
            i++;
        while (j < b->nkids && skipped(b->kids[j], s->b))
            j++;
        if (i == a->nkids || j == b->nkids)
            break;
        if (!rest_eq(a->kids[i], b->kids[j], s, where))
            return false;
        i++, j++;
    }
    if (i < a->nkids) {
        *where = a->kids[i];
        return false;
    }
    if (j < b->nkids) {
        *where = b->kids[j];
        return false;
    }
    return true;
}

static int check_rest(const lf_state *old, const lf_state *nw, const skipset *s, lf_err *err)
{
    if (skipped(old->root, s->a) || skipped(nw->root, s->b))
        return 0; /* the op's node is the root: node-level checks cover it */
    const lf_node *where = NULL;
    if (rest_eq(old->root, nw->root, s, &where))
        return 0;
    lf_buf p;
    lf_buf_init(&p, 4096);
    if (!where || lf_node_relpath(where, &p) < 0 || !p.data)
        lf_buf_puts(&p, "?");
    lf_err_set(err, EIO, "other paths changed: first difference at %s", p.data ? p.data : "?");
    lf_buf_free(&p);
    return -EIO;
}

/* ---- per-op shape checks ---------------------------------------------- */

static const lf_node *look(const lf_state *st, const char *path)
{
    return lf_state_lookup(st, path, NULL);
}

/* The parent directory node of path in st, or NULL (path "/": NULL). */
static const lf_node *parent_of(const lf_state *st, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path + strlen(path) - 1)
        return NULL;
    if (slash == path)
        return st->root;
    size_t n = (size_t)(slash - path);
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, path, n);
    p[n] = 0;
    const lf_node *r = look(st, p);
    free(p);
    return r;
}

static const char *kind_name(const lf_node *n)
{
    if (!n)
        return "missing";
    return n->kind == LF_NODE_DIR ? "a directory" : n->kind == LF_NODE_FILE ? "a file" : "a symlink";
}

/* mkdir, create, symlink: a new node in an existing directory. */
static int check_new_node(const lf_op *op, const lf_state *old, const lf_state *nw,
                          lf_node_kind kind, lf_err *err)
{
    const char *name = lf_op_name(op->kind);
    const lf_node *o = look(old, op->path);
    if (o)
        return lf_err_set(err, EIO, "%s: %s already existed (%s), yet the answer is a success",
                          name, op->path, kind_name(o));
    const lf_node *par = parent_of(old, op->path);
    if (!par || par->kind != LF_NODE_DIR)
        return lf_err_set(err, EIO, "%s: the parent of %s is not a directory, yet the answer is a success",
                          name, op->path);
    const lf_node *n = look(nw, op->path);
    if (!n || n->kind != kind)
        return lf_err_set(err, EIO, "%s: %s is %s in the new state", name, op->path, kind_name(n));
    if (kind != LF_NODE_LINK && n->mode != (op->mode & 07777))
        return lf_err_set(err, EIO, "%s: %s has mode %o, asked %o", name, op->path, n->mode,
                          op->mode & 07777);
    if (kind == LF_NODE_DIR && n->nkids)
        return lf_err_set(err, EIO, "%s: new directory %s is not empty", name, op->path);
    if (kind == LF_NODE_FILE && n->size)
        return lf_err_set(err, EIO, "%s: new file %s is not empty", name, op->path);
    if (kind == LF_NODE_LINK && !streq(n->target, op->link_target))
        return lf_err_set(err, EIO, "%s: %s points to '%s', asked '%s'", name, op->path,
                          n->target ? n->target : "", op->link_target ? op->link_target : "");
    if (!streq(n->owner, old->root->owner) || !streq(n->group, old->root->group))
        return lf_err_set(err, EIO, "%s: %s is owned by %s:%s, not the root's %s:%s", name,
                          op->path, n->owner, n->group, old->root->owner, old->root->group);
    skipset s = {.a = {NULL}, .b = {n}};
    return check_rest(old, nw, &s, err);
}

static int check_file_body(const lf_op *op, const lf_state *old, const lf_state *nw, lf_err *err)
{
    const char *name = lf_op_name(op->kind);
    const lf_node *o = look(old, op->path);
    if (!o || o->kind != LF_NODE_FILE)
        return lf_err_set(err, EIO, "%s: %s is %s, yet the answer is a success", name, op->path,
                          kind_name(o));
    const lf_node *n = look(nw, op->path);
    if (!n || n->kind != LF_NODE_FILE)
        return lf_err_set(err, EIO, "%s: %s is %s in the new state", name, op->path, kind_name(n));
    if (!node_eq(o, n, IGN_DATA))
        return lf_err_set(err, EIO, "%s: %s changed mode or owner", name, op->path);
    const unsigned char *ob = o->data, *nb = n->data;
    uint64_t osz = o->size;
    if (op->kind == LF_OP_WRITE) {
        uint64_t off = op->offset, end = op->offset + op->data_len;
        if (end < off)
            return lf_err_set(err, EIO, "write: offset overflows");
        uint64_t want = end > osz ? end : osz;
        if (n->size != want)
            return lf_err_set(err, EIO, "write: %s has size %zu, expected %llu", op->path, n->size,
                              (unsigned long long)want);
        uint64_t keep = off < osz ? off : osz;
        if (keep && memcmp(nb, ob, keep))
            return lf_err_set(err, EIO, "write: %s changed bytes before the offset", op->path);
        for (uint64_t i = osz; i < off; i++)
            if (nb[i])
                return lf_err_set(err, EIO, "write: %s: the gap at byte %llu is not zero-filled",
                                  op->path, (unsigned long long)i);
        if (op->data_len && memcmp(nb + off, op->data, op->data_len)) {
            lf_buf d;
            lf_buf_init(&d, 4096);
            lf_fs_diff_excerpt(op->data, op->data_len, nb + off, op->data_len, &d);
            lf_err_set(err, EIO, "write: %s: written bytes differ %s", op->path, d.data ? d.data : "");
            lf_buf_free(&d);
            return -EIO;
        }
        if (osz > end && memcmp(nb + end, ob + end, osz - end))
            return lf_err_set(err, EIO, "write: %s changed bytes after the written range", op->path);
    } else {
        uint64_t len = op->length;
        if (n->size != len)
            return lf_err_set(err, EIO, "truncate: %s has size %zu, expected %llu", op->path,
                              n->size, (unsigned long long)len);
        uint64_t keep = len < osz ? len : osz;
        if (keep && memcmp(nb, ob, keep))
            return lf_err_set(err, EIO, "truncate: %s changed the kept bytes", op->path);
        for (uint64_t i = osz; i < len; i++)
            if (nb[i])
                return lf_err_set(err, EIO, "truncate: %s: growth at byte %llu is not zero-filled",
                                  op->path, (unsigned long long)i);
    }
    skipset s = {.a = {o}, .b = {n}};
    return check_rest(old, nw, &s, err);
}

static int check_remove(const lf_op *op, const lf_state *old, const lf_state *nw, lf_err *err)
{
    const char *name = lf_op_name(op->kind);
    const lf_node *o = look(old, op->path);
    if (!o)
        return lf_err_set(err, EIO, "%s: %s did not exist, yet the answer is a success", name, op->path);
    if (op->kind == LF_OP_UNLINK && o->kind == LF_NODE_DIR)
        return lf_err_set(err, EIO, "unlink: %s is a directory, yet the answer is a success", op->path);
    if (op->kind == LF_OP_RMDIR) {
        if (o->kind != LF_NODE_DIR)
            return lf_err_set(err, EIO, "rmdir: %s is %s, yet the answer is a success", op->path,
                              kind_name(o));
        if (o == old->root)
            return lf_err_set(err, EIO, "rmdir: the root cannot be removed");
        if (o->nkids)
            return lf_err_set(err, EIO, "rmdir: %s was not empty, yet the answer is a success",
                              op->path);
    }
    if (look(nw, op->path))
        return lf_err_set(err, EIO, "%s: %s is still in the new state", name, op->path);
    skipset s = {.a = {o}, .b = {NULL}};
    return check_rest(old, nw, &s, err);
}

static int check_rename(const lf_op *op, const lf_state *old, const lf_state *nw, lf_err *err)
{
    const char *src = op->path, *dst = op->new_path;
    if (!dst)
        return lf_err_set(err, EIO, "rename: no destination");
    const lf_node *o = look(old, src);
    if (!o)
        return lf_err_set(err, EIO, "rename: %s did not exist, yet the answer is a success", src);
    if (!strcmp(src, dst)) {
        if (!lf_state_equal(old, nw))
            return lf_err_set(err, EIO, "rename: %s onto itself changed the state", src);
        return 0;
    }
    if (o == old->root || !strcmp(dst, "/"))
        return lf_err_set(err, EIO, "rename: the root cannot move, yet the answer is a success");
    size_t sl = strlen(src);
    if (!strncmp(dst, src, sl) && dst[sl] == '/')
        return lf_err_set(err, EIO, "rename: %s into itself, yet the answer is a success", src);
    const lf_node *par = parent_of(old, dst);
    if (!par || par->kind != LF_NODE_DIR)
        return lf_err_set(err, EIO, "rename: the parent of %s is not a directory, yet the answer is a success",
                          dst);
    const lf_node *od = look(old, dst);
    if (od) {
        if (o->kind == LF_NODE_DIR && (od->kind != LF_NODE_DIR || od->nkids))
            return lf_err_set(err, EIO, "rename: %s cannot replace %s (%s%s)", src, dst,
                              kind_name(od), od->kind == LF_NODE_DIR ? ", not empty" : "");
        if (o->kind != LF_NODE_DIR && od->kind == LF_NODE_DIR)
            return lf_err_set(err, EIO, "rename: %s cannot replace directory %s", src, dst);
    }
    if (look(nw, src))
        return lf_err_set(err, EIO, "rename: %s is still in the new state", src);
    const lf_node *n = look(nw, dst);
    if (!n)
        return lf_err_set(err, EIO, "rename: %s is missing from the new state", dst);
    if (!node_eq(o, n, IGN_NAME))
        return lf_err_set(err, EIO, "rename: %s in the new state is not the old %s", dst, src);
    skipset s = {.a = {o, od}, .b = {n}};
    return check_rest(old, nw, &s, err);
}

static int check_attr(const lf_op *op, const lf_state *old, const lf_state *nw, lf_err *err)
{
    const char *name = lf_op_name(op->kind);
    const lf_node *o = look(old, op->path);
    if (!o)
        return lf_err_set(err, EIO, "%s: %s did not exist, yet the answer is a success", name, op->path);
    const lf_node *n = look(nw, op->path);
    if (!n)
        return lf_err_set(err, EIO, "%s: %s is missing from the new state", name, op->path);
    if (op->kind == LF_OP_CHMOD) {
        if (n->mode != (op->mode & 07777))
            return lf_err_set(err, EIO, "chmod: %s has mode %o, asked %o", op->path, n->mode,
                              op->mode & 07777);
        if (!node_eq(o, n, IGN_MODE))
            return lf_err_set(err, EIO, "chmod: %s changed more than its mode", op->path);
    } else {
        char u[32], g[32];
        const char *wu = o->owner, *wg = o->group;
        if (op->uid >= 0) {
            snprintf(u, sizeof u, "%lld", op->uid);
            wu = op->uid == 0 ? "root" : u;
        }
        if (op->gid >= 0) {
            snprintf(g, sizeof g, "%lld", op->gid);
            wg = op->gid == 0 ? "root" : g;
        }
        if (!streq(n->owner, wu) || !streq(n->group, wg))
            return lf_err_set(err, EIO, "chown: %s is owned by %s:%s, expected %s:%s", op->path,
                              n->owner, n->group, wu, wg);
        if (!node_eq(o, n, IGN_OWNER))
            return lf_err_set(err, EIO, "chown: %s changed more than its owner", op->path);
    }
    skipset s = {.a = {o}, .b = {n}};
    return check_rest(old, nw, &s, err);
}

int lf_fs_check_state(const lf_op *op, const lf_state *old, const lf_state *new_st, lf_err *err)
{
    if (!op || !old || !new_st || !op->path)
        return lf_err_set(err, EINVAL, "check: missing argument");
    switch (op->kind) {
    case LF_OP_MKDIR:
        return check_new_node(op, old, new_st, LF_NODE_DIR, err);
    case LF_OP_CREATE:
        return check_new_node(op, old, new_st, LF_NODE_FILE, err);
    case LF_OP_SYMLINK:
        return check_new_node(op, old, new_st, LF_NODE_LINK, err);
    case LF_OP_WRITE:
    case LF_OP_TRUNCATE:
        return check_file_body(op, old, new_st, err);
    case LF_OP_UNLINK:
    case LF_OP_RMDIR:
        return check_remove(op, old, new_st, err);
    case LF_OP_RENAME:
        return check_rename(op, old, new_st, err);
    case LF_OP_CHMOD:
    case LF_OP_CHOWN:
        return check_attr(op, old, new_st, err);
    default:
        return lf_err_set(err, EINVAL, "check: %s is not a <W> operation", lf_op_name(op->kind));
    }
}

/* ---- queries ---------------------------------------------------------- */

int lf_fs_query_precheck(const lf_op *op, const lf_state *st)
{
    const lf_node *n = look(st, op->path);
    if (!n)
        return -ENOENT;
    switch (op->kind) {
    case LF_OP_READ:
        return n->kind == LF_NODE_FILE ? 0 : n->kind == LF_NODE_DIR ? -EISDIR : -EINVAL;
    case LF_OP_READDIR:
        return n->kind == LF_NODE_DIR ? 0 : -ENOTDIR;
    case LF_OP_READLINK:
        return n->kind == LF_NODE_LINK ? 0 : -EINVAL;
    default:
        return -EINVAL;
    }
}

int lf_fs_check_query(const lf_op *op, const lf_answer *ans, lf_err *err)
{
    const char *name = lf_op_name(op->kind);
    if (ans->kind == LF_ANS_ERROR) {
        const char *e = lf_errno_name(ans->err);
        return lf_err_set(err, EIO, "%s: the answer is ERROR: %s, but the state says %s is there",
                          name, e ? e : "?", op->path);
    }
    switch (op->kind) {
    case LF_OP_READ:
    case LF_OP_READLINK:
        if (ans->kind != LF_ANS_BYTES)
            return lf_err_set(err, EIO, "%s: the answer is not content", name);
        if (op->kind == LF_OP_READLINK &&
            (ans->nbytes == 0 || memchr(ans->bytes, 0, ans->nbytes)))
            return lf_err_set(err, EIO, "readlink: the answer is empty or holds a NUL byte");
        return 0;
    case LF_OP_READDIR:
        if (ans->kind != LF_ANS_LIST)
            return lf_err_set(err, EIO, "readdir: the answer is not a list of names");
        for (size_t i = 0; i < ans->nnames; i++) {
            const char *s = ans->names[i];
            if (!strcmp(s, ".") || !strcmp(s, ".."))
                continue;
            if (!name_ok(s, strlen(s)))
                return lf_err_set(err, EIO, "readdir: '%s' is not a valid name", s);
        }
        return 0;
    default:
        return lf_err_set(err, EINVAL, "check: %s is not a query", name);
    }
}

int lf_fs_judge(const lf_op *op, const lf_state *old, const char *text, size_t len,
                lf_answer *ans, lf_err *err)
{
    memset(ans, 0, sizeof *ans);
    int rc = lf_completion_parse(op, old, text, len, ans, err);
    if (rc < 0) {
        lf_err_prefix(err, "the answer does not parse: ");
        rc = -EIO;
    } else if (!lf_op_is_write(op->kind)) {
        rc = lf_fs_check_query(op, ans, err) < 0 ? -EIO : 0;
    } else if (ans->kind == LF_ANS_STATE) {
        if (lf_fs_check_state(op, old, ans->state, err) < 0) {
            lf_err_prefix(err, "the new state does not reflect the operation: ");
            rc = -EIO;
        }
    } else if (ans->kind != LF_ANS_ERROR) {
        rc = lf_err_set(err, EIO, "the answer is not a state");
    }
    if (rc < 0)
        lf_answer_free(ans);
    return rc;
}
