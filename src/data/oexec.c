/* oexec.c: the oracle-mode executor: a model of the requests Linux's FUSE
 * client sends for each system call (as the reference filesystem sees them,
 * with direct_io, zero cache timeouts and no atomic O_TRUNC), answered by the
 * oracle. The kernel-mode generator is the check on this model: the same
 * seed must give the same rows (tests/integration/data/). */
#include "data/gen_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "state/apply.h"

typedef struct {
    long long fh[LF_WL_SLOTS];       /* display handle, -1 when not open */
    char *path[LF_WL_SLOTS];         /* path the slot was opened with */
    unsigned char *last[LF_WL_SLOTS];/* bytes of the slot's last read */
    size_t nlast[LF_WL_SLOTS];
} slots;

/* Answers op on *st, writes the row, and moves to the new state.
 * Returns the positive errno of a failing op, 0 on success, <0 internal. */
static int step(lf_state **st, const lf_op *op, lf_rows *rows, lf_answer *keep)
{
    lf_answer a;
    memset(&a, 0, sizeof a);
    int rc = lf_oracle_answer(*st, op, &a);
    if (rc < 0)
        return rc;
    rc = lf_rows_emit(rows, op, *st, &a, "oracle");
    if (rc < 0) {
        lf_answer_free(&a);
        return rc;
    }
    int res = 0;
    if (a.kind == LF_ANS_ERROR) {
        res = a.err;
    } else if (a.kind == LF_ANS_STATE) {
        lf_state_free(*st);
        *st = a.state;
        a.state = NULL;
    }
    if (keep) {
        *keep = a;
        return res;
    }
    lf_answer_free(&a);
    return res;
}

static unsigned type_bits(const lf_node *n)
{
    if (!n)
        return 0;
    return n->kind == LF_NODE_DIR ? S_IFDIR : n->kind == LF_NODE_LINK ? S_IFLNK : S_IFREG;
}

static int set_path(lf_op *op, const char *p)
{
    op->path = strdup(p);
    return op->path ? 0 : -ENOMEM;
}

static int do_open(lf_state **st, const lf_call *c, slots *s, lf_rows *rows)
{
    const lf_node *n = lf_state_lookup(*st, c->path, NULL);
    lf_op op;
    int rc = 0;
    if (n && n->kind == LF_NODE_FILE && !(c->flags & O_EXCL)) {
        s->fh[c->slot] = lf_wl_fh_alloc(s->fh);
        s->path[c->slot] = strdup(c->path);
        if (!s->path[c->slot])
            return -ENOMEM;
        if (c->flags & O_TRUNC) {
            /* open(O_TRUNC) of an existing file: a truncate without a handle */
            memset(&op, 0, sizeof op);
            op.kind = LF_OP_TRUNCATE;
            op.fh = -1;
            op.uid = op.gid = -1;
            rc = set_path(&op, c->path);
            if (!rc)
                rc = step(st, &op, rows, NULL);
            lf_op_free(&op);
        }
        return rc < 0 ? rc : 0;
    }
    /* create, or a failing open: the op the call shows */
    rc = lf_call_op(c, 0, &op);
    if (rc)
        return rc;
    if (op.kind == LF_OP_CREATE) {
        long long fh = lf_wl_fh_alloc(s->fh);
        rc = step(st, &op, rows, NULL);
        if (rc == 0) {
            s->fh[c->slot] = fh;
            s->path[c->slot] = strdup(c->path);
            if (!s->path[c->slot])
                rc = -ENOMEM;
        }
    } else {
        rc = step(st, &op, rows, NULL);
    }
    lf_op_free(&op);
    return rc < 0 ? rc : 0;
}

static int do_handle_op(lf_state **st, const lf_call *c, slots *s, lf_rows *rows)
{
    int k = c->slot;
    if (s->fh[k] < 0)
        return 0;                      /* the open failed: nothing is sent */
    lf_op op;
    memset(&op, 0, sizeof op);
    op.uid = op.gid = -1;
    op.fh = s->fh[k];
    int rc = set_path(&op, s->path[k]);
    if (rc)
        return rc;
    const lf_node *n = lf_state_lookup(*st, s->path[k], NULL);
    lf_answer a;
    memset(&a, 0, sizeof a);
    switch (c->kind) {
    case LF_CALL_WRITE: {
        const unsigned char *d = c->copy_from >= 0 ? s->last[c->copy_from] : c->data;
        size_t len = c->copy_from >= 0 ? s->nlast[c->copy_from] : c->len;
        if (!len)
            break;                     /* a zero-length write sends nothing */
        op.kind = LF_OP_WRITE;
        op.offset = c->offset >= 0 ? (uint64_t)c->offset : (n && n->kind == LF_NODE_FILE ? n->size : 0);
        op.data = malloc(len);
        if (!op.data) {
            rc = -ENOMEM;
            break;
        }
        memcpy(op.data, d, len);
        op.data_len = len;
        rc = step(st, &op, rows, NULL);
        break;
    }
    case LF_CALL_READ: {
        op.kind = LF_OP_READ;
        op.size = c->size;
        op.offset = (uint64_t)c->offset;
        rc = step(st, &op, rows, &a);
        free(s->last[k]);
        s->last[k] = NULL;
        s->nlast[k] = 0;
        if (rc == 0 && n && n->kind == LF_NODE_FILE && op.offset < n->size) {
            size_t len = n->size - op.offset < op.size ? n->size - op.offset : op.size;
            s->last[k] = malloc(len ? len : 1);
            if (!s->last[k]) {
                rc = -ENOMEM;
                break;
            }
            memcpy(s->last[k], n->data + op.offset, len);
            s->nlast[k] = len;
        }
        lf_answer_free(&a);
        break;
    }
    case LF_CALL_FTRUNCATE:
        op.kind = LF_OP_TRUNCATE;
        op.length = c->size;
        rc = step(st, &op, rows, NULL);
        break;
    default:
        break;
    }
    lf_op_free(&op);
    return rc < 0 ? rc : 0;
}

/* chown(2) of a regular file: Linux drops set-user-ID, and set-group-ID
 * where group execute is set, whoever calls; FUSE sends that as a mode
 * change in the same setattr, which libfuse passes on as chmod before
 * chown: two rows. */
static int do_chown(lf_state **st, const lf_call *c, lf_rows *rows)
{
    const lf_node *n = lf_state_lookup(*st, c->path, NULL);
    lf_op op;
    int rc;
    if (n && n->kind == LF_NODE_FILE) {
        unsigned m = n->mode;
        if (m & S_ISUID)
            m &= ~(unsigned)S_ISUID;
        if ((m & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
            m &= ~(unsigned)S_ISGID;
        if (m != n->mode) {
            memset(&op, 0, sizeof op);
            op.kind = LF_OP_CHMOD;
            op.fh = -1;
            op.uid = op.gid = -1;
            op.mode = S_IFREG | m;
            rc = set_path(&op, c->path);
            if (!rc)
                rc = step(st, &op, rows, NULL);
            lf_op_free(&op);
            if (rc < 0)
                return rc;
        }
    }
    n = lf_state_lookup(*st, c->path, NULL);
    rc = lf_call_op(c, type_bits(n), &op);
    if (!rc)
        rc = step(st, &op, rows, NULL);
    lf_op_free(&op);
    return rc;
}

int lf_oexec_run(lf_state **st, const lf_cmd *cmd, lf_rows *rows)
{
    slots s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < LF_WL_SLOTS; i++)
        s.fh[i] = -1;
    int rc = 0;
    for (size_t i = 0; i < cmd->n && rc >= 0; i++) {
        const lf_call *c = &cmd->calls[i];
        switch (c->kind) {
        case LF_CALL_OPEN: rc = do_open(st, c, &s, rows); break;
        case LF_CALL_WRITE:
        case LF_CALL_READ:
        case LF_CALL_FTRUNCATE: rc = do_handle_op(st, c, &s, rows); break;
        case LF_CALL_CLOSE:
            s.fh[c->slot] = -1;
            free(s.path[c->slot]);
            s.path[c->slot] = NULL;
            break;
        case LF_CALL_READDIR: {
            /* opendir fails in the kernel for a missing path or a non-directory */
            lf_op op;
            rc = lf_call_op(c, 0, &op);
            if (!rc)
                rc = step(st, &op, rows, NULL);
            lf_op_free(&op);
            break;
        }
        case LF_CALL_CHOWN:
            rc = do_chown(st, c, rows);
            break;
        default: {
            const lf_node *n = lf_state_lookup(*st, c->path, NULL);
            lf_op op;
            rc = lf_call_op(c, type_bits(n), &op);
            if (!rc)
                rc = step(st, &op, rows, NULL);
            lf_op_free(&op);
            break;
        }
        }
        if (rc > 0)
            rc = 0;                    /* a failing call is a row, not an error */
    }
    for (int i = 0; i < LF_WL_SLOTS; i++) {
        free(s.path[i]);
        free(s.last[i]);
    }
    return rc;
}
