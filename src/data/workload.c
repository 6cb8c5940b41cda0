/* workload.c: plans shell-like commands (mkdir -p, echo >, >>, cp, mv, rm -r,
 * truncate, chmod, chown, ln -s, ls, cat, readlink) from the current state,
 * expanded into system calls; and failing commands, about one row in eight.
 * See workload.h. Every choice comes from the workload's rng and the state,
 * nothing else, so both generators plan identical commands. */
#include "data/workload_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/content.h"

const unsigned lf_wl_default_weights[LF_WL__COUNT] = {
    [LF_WL_MKDIR] = 14, [LF_WL_TOUCH] = 12, [LF_WL_WRITE] = 12, [LF_WL_READ] = 10,
    [LF_WL_RM] = 10, [LF_WL_RMDIR] = 10, [LF_WL_CHMOD] = 8, [LF_WL_CHOWN] = 8,
    [LF_WL_LS] = 8, [LF_WL_READLINK] = 6, [LF_WL_TRUNCATE] = 6, [LF_WL_RENAME] = 6,
    [LF_WL_SYMLINK] = 6, [LF_WL_APPEND] = 5, [LF_WL_CP] = 4, [LF_WL_RMR] = 3,
};

/* Weights once the state has reached its cap: shrink it, keep querying. */
static const unsigned SHRINK_WEIGHTS[LF_WL__COUNT] = {
    [LF_WL_RM] = 30, [LF_WL_RMR] = 12, [LF_WL_RMDIR] = 10, [LF_WL_TRUNCATE] = 10,
    [LF_WL_READ] = 10, [LF_WL_LS] = 8, [LF_WL_READLINK] = 4, [LF_WL_CHMOD] = 5,
    [LF_WL_CHOWN] = 5, [LF_WL_RENAME] = 6,
};

static const char *const LABELS[LF_WL__COUNT] = {
    "mkdir", "touch", "write", "read", "rm", "rmdir", "chmod", "chown", "ls",
    "readlink", "truncate", "rename", "symlink", "append", "cp", "rmr", "pwrite",
    "hole",
};

/* Headroom kept below the cap: one file body plus its element. */
#define GROW_HEADROOM 700

const char *lf_wl_label_name(lf_wl_label l)
{
    return (unsigned)l < LF_WL__COUNT ? LABELS[l] : NULL;
}

void lf_workload_init(lf_workload *w, uint64_t seed, size_t max_state)
{
    memset(w, 0, sizeof *w);
    lf_rng_seed(&w->rng, seed);
    memcpy(w->weights, lf_wl_default_weights, sizeof w->weights);
    w->max_state = max_state;
    w->fail_per_mille = 125;
    memcpy(w->name_mix, lf_wl_default_name_mix, sizeof w->name_mix);
    memcpy(w->body_mix, lf_wl_default_body_mix, sizeof w->body_mix);
}

int lf_workload_set_weights(lf_workload *w, const char *spec, lf_err *err)
{
    const char *p = spec;
    while (*p) {
        const char *eq = strchr(p, '=');
        if (!eq)
            return lf_err_set(err, EINVAL, "weights: expected op=w in '%s'", p);
        size_t n = (size_t)(eq - p);
        int found = -1;
        for (int i = 0; i < LF_WL__COUNT; i++)
            if (strlen(LABELS[i]) == n && !memcmp(LABELS[i], p, n))
                found = i;
        if (found < 0)
            return lf_err_set(err, EINVAL, "weights: unknown op '%.*s'", (int)n, p);
        char *end;
        unsigned long v = strtoul(eq + 1, &end, 10);
        if (end == eq + 1 || (*end && *end != ',') || v > 1000000)
            return lf_err_set(err, EINVAL, "weights: bad weight for '%.*s'", (int)n, p);
        w->weights[found] = (unsigned)v;
        p = *end ? end + 1 : end;
    }
    unsigned sum = 0;
    for (int i = 0; i < LF_WL__COUNT; i++)
        sum += w->weights[i];
    return sum ? 0 : lf_err_set(err, EINVAL, "weights: all zero");
}

void lf_workload_count(lf_workload *w, bool failed)
{
    w->rows++;
    if (failed)
        w->err_rows++;
}

void lf_cmd_free(lf_cmd *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->calls[i].path);
        free(c->calls[i].path2);
        free(c->calls[i].data);
    }
    free(c->calls);
    memset(c, 0, sizeof *c);
}

long long lf_wl_fh_alloc(const long long held[LF_WL_SLOTS])
{
    for (long long fh = LF_FH_FIRST;; fh++) {
        bool used = false;
        for (int i = 0; i < LF_WL_SLOTS; i++)
            used |= held[i] == fh;
        if (!used)
            return fh;
    }
}

static char *dupstr(const char *s)
{
    return s ? strdup(s) : NULL;
}

int lf_call_op(const lf_call *c, unsigned mode_type, lf_op *op)
{
    memset(op, 0, sizeof *op);
    op->fh = -1;
    op->uid = op->gid = -1;
    switch (c->kind) {
    case LF_CALL_MKDIR: op->kind = LF_OP_MKDIR; op->mode = c->mode & 07777; break;
    case LF_CALL_OPEN:
        if (c->flags & O_CREAT) {
            op->kind = LF_OP_CREATE;
            op->mode = S_IFREG | (c->mode & 07777);
        } else if ((c->flags & O_ACCMODE) == O_RDONLY) {
            op->kind = LF_OP_READ;
            op->size = c->size;
        } else {
            op->kind = LF_OP_WRITE;
        }
        break;
    case LF_CALL_WRITE: op->kind = LF_OP_WRITE; break;
    case LF_CALL_READ:
        op->kind = LF_OP_READ;
        op->size = c->size;
        op->offset = (uint64_t)c->offset;
        break;
    case LF_CALL_FTRUNCATE:
    case LF_CALL_TRUNCATE: op->kind = LF_OP_TRUNCATE; op->length = c->size; break;
    case LF_CALL_UNLINK: op->kind = LF_OP_UNLINK; break;
    case LF_CALL_RMDIR: op->kind = LF_OP_RMDIR; break;
    case LF_CALL_RENAME: op->kind = LF_OP_RENAME; break;
    case LF_CALL_CHMOD: op->kind = LF_OP_CHMOD; op->mode = mode_type | (c->mode & 07777); break;
    case LF_CALL_CHOWN:
    case LF_CALL_LCHOWN: op->kind = LF_OP_CHOWN; op->uid = c->uid; op->gid = c->gid; break;
    case LF_CALL_SYMLINK: op->kind = LF_OP_SYMLINK; break;
    case LF_CALL_READLINK: op->kind = LF_OP_READLINK; break;
    case LF_CALL_READDIR: op->kind = LF_OP_READDIR; op->fh = 0; break;
    case LF_CALL_CLOSE: return -EINVAL;
    }
    op->path = dupstr(c->path);
    if (c->kind == LF_CALL_RENAME)
        op->new_path = dupstr(c->path2);
    if (c->kind == LF_CALL_SYMLINK)
        op->link_target = dupstr(c->path2);
    if (op->kind == LF_OP_WRITE && c->data && c->len) {
        op->data = malloc(c->len);
        if (op->data) {
            memcpy(op->data, c->data, c->len);
            op->data_len = c->len;
        }
    }
    if (!op->path || (c->kind == LF_CALL_RENAME && !op->new_path) ||
        (c->kind == LF_CALL_SYMLINK && !op->link_target) || (c->len && op->kind == LF_OP_WRITE && !op->data)) {
        lf_op_free(op);
        return -ENOMEM;
    }
    return 0;
}

/* ---- candidates from the state ---- */

static void push(wl_cands *c, wl_nodes *s, const lf_node *n)
{
    if (c->rc)
        return;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        const lf_node **v = realloc(s->v, nc * sizeof *v);
        if (!v) {
            c->rc = -ENOMEM;
            return;
        }
        s->v = v;
        s->cap = nc;
    }
    s->v[s->n++] = n;
}

static void collect(wl_cands *c, const lf_node *n)
{
    switch (n->kind) {
    case LF_NODE_DIR:
        push(c, &c->dirs, n);
        if (n->parent) {
            push(c, &c->subdirs, n);
            push(c, n->nkids ? &c->full : &c->empty, n);
        }
        for (size_t i = 0; i < n->nkids; i++)
            collect(c, n->kids[i]);
        break;
    case LF_NODE_FILE: push(c, &c->files, n); break;
    case LF_NODE_LINK: push(c, &c->links, n); break;
    }
}

static void cands_free(wl_cands *c)
{
    free(c->dirs.v);
    free(c->files.v);
    free(c->links.v);
    free(c->empty.v);
    free(c->full.v);
    free(c->subdirs.v);
}

static bool applicable(const wl_cands *c, lf_wl_label l)
{
    switch (l) {
    case LF_WL_READ: case LF_WL_TRUNCATE: case LF_WL_CP: return c->files.n > 0;
    case LF_WL_RM: return c->files.n + c->links.n > 0;
    case LF_WL_CHOWN: return c->files.n + c->subdirs.n + c->links.n > 0;
    case LF_WL_RMR: return c->subdirs.n > 0;
    case LF_WL_HOLE: return c->files.n > 0;
    case LF_WL_PWRITE: return lf_wlp_count_nonempty(c) > 0;
    case LF_WL_RENAME: return c->files.n + c->links.n + c->subdirs.n > 0;
    default: return true;
    }
}

int lf_workload_next(lf_workload *w, const lf_state *st, size_t state_bytes, lf_cmd *cmd)
{
    lf_cmd_free(cmd);
    wl_plan p = {.w = w, .st = st, .cmd = cmd};
    lf_buf_init(&p.tmp, 4096);
    collect(&p.c, st->root);
    if (p.c.rc) {
        cands_free(&p.c);
        return p.c.rc;
    }
    bool grow = state_bytes + GROW_HEADROOM <= w->max_state;
    p.grow = grow;
    bool fail = w->err_rows * 1000 < (uint64_t)w->fail_per_mille * (w->rows + 1) &&
                lf_rng_pct(&w->rng, 50);
    int rc;
    if (fail) {
        cmd->fail = true;
        cmd->label = LF_WL__COUNT;
        rc = lf_wlp_fail(&p);
    } else {
        const unsigned *wt = grow ? w->weights : SHRINK_WEIGHTS;
        unsigned total = 0;
        for (int i = 0; i < LF_WL__COUNT; i++)
            total += wt[i];
        lf_wl_label l = LF_WL_LS;
        for (int tries = 0; tries < 16; tries++) {
            unsigned x = (unsigned)lf_rng_below(&w->rng, total);
            int i = 0;
            while (x >= wt[i])
                x -= wt[i++];
            l = (lf_wl_label)i;
            if (applicable(&p.c, l))
                break;
            l = grow ? LF_WL_TOUCH : LF_WL_LS;
        }
        cmd->label = l;
        rc = lf_wlp_command(&p, l);
    }
    if (!rc)
        rc = p.rc;
    cands_free(&p.c);
    lf_buf_free(&p.tmp);
    return rc;
}
