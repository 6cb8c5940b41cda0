/* apply.c: the reference semantics (PROTOCOL.md §6), the oracle.
 *
 * Linux's answers for one operation on one state. Paths are resolved
 * component by component without following symlinks (the kernel resolves
 * links before it calls the filesystem), so a symlink reached through a
 * path is the link node itself. Order of checks, as the kernel makes them:
 * the path's directories (ENOENT, ENOTDIR), then the operation's own rules.
 * Every check happens before the first change, so a failing operation
 * leaves the state as it was. */
#include "state/apply.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

/* Largest file the oracle will build by write or truncate; beyond, EFBIG. */
#define APPLY_MAX_FILE ((uint64_t)64 << 20)

/* A resolved path: the parent directory, the last component and the node
 * it names (NULL when absent). For "/" parent is NULL and node the root. */
typedef struct {
    lf_node *parent;
    lf_node *node;
    char name[LF_STATE_MAX_NAME + 1];
} where;

/* Resolves path in st. Returns 0, or the positive errno: EINVAL for a path
 * that is not absolute and clean, ENAMETOOLONG, ENOENT or ENOTDIR for a
 * missing or non-directory component before the last. */
static int resolve(const lf_state *st, const char *path, where *w)
{
    memset(w, 0, sizeof *w);
    if (!path || path[0] != '/')
        return EINVAL;
    if (path[1] == '\0') {
        w->node = st->root;
        strcpy(w->name, "/");
        return 0;
    }
    lf_node *dir = st->root;
    const char *p = path + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return EINVAL;
        if (n > LF_STATE_MAX_NAME)
            return ENAMETOOLONG;
        memcpy(w->name, p, n);
        w->name[n] = '\0';
        lf_node *kid = lf_node_find_child(dir, w->name);
        if (!slash) {
            w->parent = dir;
            w->node = kid;
            return 0;
        }
        if (!kid)
            return ENOENT;
        if (kid->kind != LF_NODE_DIR)
            return ENOTDIR;
        dir = kid;
        p = slash + 1;
    }
}

/* A name the state can hold (§3): valid UTF-8 without control bytes. */
static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && !lf_text_needs_base64(name, n);
}

static int add_new(lf_state *st, where *w, lf_node_kind kind, unsigned mode, lf_node **out)
{
    if (w->node)
        return EEXIST;
    if (!name_ok(w->name))
        return EINVAL;
    lf_node *n = lf_node_new(kind, w->name, mode & 07777, st->root->owner, st->root->group);
    if (!n)
        return -ENOMEM;
    int rc = lf_node_add_child(w->parent, n);
    if (rc) {
        lf_node_free(n);
        return rc == -EEXIST ? EEXIST : rc;
    }
    if (out)
        *out = n;
    return 0;
}

/* The file an operation on contents names: ENOENT, EISDIR, EINVAL (link). */
static int file_at(const lf_state *st, const char *path, lf_node **out)
{
    where w;
    int rc = resolve(st, path, &w);
    if (rc)
        return rc;
    if (!w.node)
        return ENOENT;
    if (w.node->kind == LF_NODE_DIR)
        return EISDIR;
    if (w.node->kind == LF_NODE_LINK)
        return EINVAL;
    *out = w.node;
    return 0;
}

/* Sets a file's length to len, zero-filling a gap, then copies n bytes of p
 * at off (n may be 0). */
static int resize_write(lf_node *f, uint64_t len, uint64_t off, const void *p, size_t n)
{
    if (len > APPLY_MAX_FILE)
        return EFBIG;
    unsigned char *d = NULL;
    if (len) {
        d = malloc((size_t)len);
        if (!d)
            return -ENOMEM;
        size_t keep = f->size < len ? f->size : (size_t)len;
        if (keep)
            memcpy(d, f->data, keep);
        memset(d + keep, 0, (size_t)len - keep);
        if (n)
            memcpy(d + off, p, n);
    }
    free(f->data);
    f->data = d;
    f->size = (size_t)len;
    return 0;
}

static int do_write(lf_state *st, const lf_op *op)
{
    lf_node *f = NULL;
    int rc = file_at(st, op->path, &f);
    if (rc)
        return rc;
    if (op->data_len == 0) /* pwrite of 0 bytes changes nothing */
        return 0;
    if (op->offset > APPLY_MAX_FILE || op->data_len > APPLY_MAX_FILE - op->offset)
        return EFBIG;
    uint64_t end = op->offset + op->data_len;
    return resize_write(f, end > f->size ? end : f->size, op->offset, op->data, op->data_len);
}

static int do_truncate(lf_state *st, const lf_op *op)
{
    lf_node *f = NULL;
    int rc = file_at(st, op->path, &f);
    if (rc)
        return rc;
    return resize_write(f, op->length, 0, NULL, 0);
}

static int do_unlink(lf_state *st, const lf_op *op)
{
    where w;
    int rc = resolve(st, op->path, &w);
    if (rc)
        return rc;
    if (!w.node)
        return ENOENT;
    if (w.node->kind == LF_NODE_DIR)
        return EISDIR;
    lf_node_detach(w.node);
    lf_node_free(w.node);
    return 0;
}

static int do_rmdir(lf_state *st, const lf_op *op)
{
    where w;
    int rc = resolve(st, op->path, &w);
    if (rc)
        return rc;
    if (w.node == st->root)
        return EBUSY;
    if (!w.node)
        return ENOENT;
    if (w.node->kind != LF_NODE_DIR)
        return ENOTDIR;
    if (w.node->nkids)
        return ENOTEMPTY;
    lf_node_detach(w.node);
    lf_node_free(w.node);
    return 0;
}

static bool is_ancestor(const lf_node *a, const lf_node *n)
{
    for (const lf_node *p = n ? n->parent : NULL; p; p = p->parent)
        if (p == a)
            return true;
    return false;
}

static int do_rename(lf_state *st, const lf_op *op)
{
    where from, to;
    int rc = resolve(st, op->path, &from);
    if (rc)
        return rc;
    if (from.node == st->root)
        return EBUSY;
    if (!from.node)
        return ENOENT;
    rc = resolve(st, op->new_path, &to);
    if (rc)
        return rc;
    if (to.node == st->root)
        return EBUSY;
    lf_node *src = from.node, *dst = to.node;
    if (dst == src)
        return 0; /* same path: nothing to do */
    /* The kernel's "trap" checks come before the type checks. */
    if (to.parent == src || is_ancestor(src, to.parent))
        return EINVAL;
    if (dst && is_ancestor(dst, src))
        return ENOTEMPTY;
    if (dst) {
        if (src->kind == LF_NODE_DIR && dst->kind != LF_NODE_DIR)
            return ENOTDIR;
        if (src->kind != LF_NODE_DIR && dst->kind == LF_NODE_DIR)
            return EISDIR;
        if (dst->kind == LF_NODE_DIR && dst->nkids)
            return ENOTEMPTY;
    }
    if (!name_ok(to.name))
        return EINVAL;
    char *newname = strdup(to.name);
    if (!newname)
        return -ENOMEM;
    if (dst) {
        lf_node_detach(dst);
        lf_node_free(dst);
    }
    lf_node_detach(src);
    free(src->name);
    src->name = newname;
    rc = lf_node_add_child(to.parent, src);
    if (rc) { /* ENOMEM growing the directory: the node is lost */
        lf_node_free(src);
        return rc < 0 ? rc : -rc;
    }
    return 0;
}

/* chown's id as the state spells it: "root" for 0, else decimal; -1
 * (also as the 32-bit (uid_t)-1) leaves the field as it is. */
static int set_id(char **field, long long id)
{
    if (id == -1 || id == 0xFFFFFFFFLL) /* -1 as a long or as a uid_t */
        return 0;
    char num[24];
    if (id == 0)
        strcpy(num, "root");
    else
        snprintf(num, sizeof num, "%lld", id);
    return lf_node_set_str(field, num);
}

static int do_symlink(lf_state *st, const lf_op *op)
{
    where w;
    int rc = resolve(st, op->path, &w);
    if (rc)
        return rc;
    if (w.node)
        return EEXIST;
    const char *t = op->link_target ? op->link_target : "";
    if (t[0] == '\0')
        return ENOENT; /* symlink(2) with an empty target */
    if (strlen(t) >= 4096)
        return ENAMETOOLONG;
    if (lf_text_needs_base64(t, strlen(t)))
        return EINVAL; /* not representable in the state (§3) */
    lf_node *n = NULL;
    rc = add_new(st, &w, LF_NODE_LINK, 0777, &n);
    if (rc)
        return rc;
    rc = lf_node_set_str(&n->target, t);
    if (rc) {
        lf_node_detach(n);
        lf_node_free(n);
    }
    return rc;
}

static int answer_bytes(lf_answer *ans, const void *p, size_t n)
{
    if (!ans)
        return 0;
    memset(ans, 0, sizeof *ans);
    ans->kind = LF_ANS_BYTES;
    ans->bytes = malloc(n ? n : 1);
    if (!ans->bytes)
        return -ENOMEM;
    if (n)
        memcpy(ans->bytes, p, n);
    ans->nbytes = n;
    return 0;
}

static int do_readdir(const lf_state *st, const lf_op *op, lf_answer *ans)
{
    where w;
    int rc = resolve(st, op->path, &w);
    if (rc)
        return rc;
    if (!w.node)
        return ENOENT;
    if (w.node->kind != LF_NODE_DIR)
        return ENOTDIR;
    if (!ans)
        return 0;
    memset(ans, 0, sizeof *ans);
    ans->kind = LF_ANS_LIST;
    ans->names = calloc(w.node->nkids ? w.node->nkids : 1, sizeof *ans->names);
    if (!ans->names)
        return -ENOMEM;
    for (size_t i = 0; i < w.node->nkids; i++) {
        ans->names[i] = strdup(w.node->kids[i]->name);
        if (!ans->names[i]) {
            lf_answer_free(ans);
            return -ENOMEM;
        }
        ans->nnames++;
    }
    return 0;
}

int lf_state_apply(lf_state *st, const lf_op *op, lf_answer *ans)
{
    where w;
    int rc;
    lf_node *n = NULL;
    switch (op->kind) {
    case LF_OP_MKDIR:
    case LF_OP_CREATE:
        if ((rc = resolve(st, op->path, &w)))
            return rc;
        return add_new(st, &w, op->kind == LF_OP_MKDIR ? LF_NODE_DIR : LF_NODE_FILE,
                       op->mode, NULL);
    case LF_OP_WRITE:
        return do_write(st, op);
    case LF_OP_TRUNCATE:
        return do_truncate(st, op);
    case LF_OP_UNLINK:
        return do_unlink(st, op);
    case LF_OP_RMDIR:
        return do_rmdir(st, op);
    case LF_OP_RENAME:
        return do_rename(st, op);
    case LF_OP_CHMOD:
    case LF_OP_CHOWN:
        if ((rc = resolve(st, op->path, &w)))
            return rc;
        if (!w.node)
            return ENOENT;
        if (op->kind == LF_OP_CHMOD) {
            w.node->mode = op->mode & 07777;
            return 0;
        }
        if (op->uid < -1 || op->gid < -1 || op->uid > 0xFFFFFFFFLL || op->gid > 0xFFFFFFFFLL)
            return EINVAL;
        /* Both strings are made before either field changes. */
        {
            lf_node tmp = {0};
            rc = set_id(&tmp.owner, op->uid);
            if (!rc)
                rc = set_id(&tmp.group, op->gid);
            if (rc) {
                free(tmp.owner);
                free(tmp.group);
                return rc;
            }
            if (tmp.owner) {
                free(w.node->owner);
                w.node->owner = tmp.owner;
            }
            if (tmp.group) {
                free(w.node->group);
                w.node->group = tmp.group;
            }
        }
        return 0;
    case LF_OP_SYMLINK:
        return do_symlink(st, op);
    case LF_OP_READDIR:
        return do_readdir(st, op, ans);
    case LF_OP_READ:
        if ((rc = file_at(st, op->path, &n)))
            return rc;
        return answer_bytes(ans, n->data, n->size);
    case LF_OP_READLINK:
        if ((rc = resolve(st, op->path, &w)))
            return rc;
        if (!w.node)
            return ENOENT;
        if (w.node->kind != LF_NODE_LINK)
            return EINVAL;
        return answer_bytes(ans, w.node->target, w.node->target ? strlen(w.node->target) : 0);
    default:
        return EINVAL;
    }
}

int lf_oracle_answer(const lf_state *st, const lf_op *op, lf_answer *out)
{
    memset(out, 0, sizeof *out);
    if (lf_op_is_write(op->kind)) {
        lf_state *next = lf_state_clone(st);
        if (!next)
            return -ENOMEM;
        int rc = lf_state_apply(next, op, NULL);
        if (rc < 0) {
            lf_state_free(next);
            return rc;
        }
        if (rc > 0) {
            lf_state_free(next);
            out->kind = LF_ANS_ERROR;
            out->err = rc;
            return 0;
        }
        out->kind = LF_ANS_STATE;
        out->state = next;
        return 0;
    }
    /* Queries do not change the state; apply only reads it. */
    int rc = lf_state_apply((lf_state *)st, op, out);
    if (rc > 0) {
        lf_answer_free(out);
        out->kind = LF_ANS_ERROR;
        out->err = rc;
        return 0;
    }
    return rc;
}
