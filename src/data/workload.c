/* workload.c: plans shell-like commands (mkdir -p, echo >, >>, cp, mv, rm -r,
 * truncate, chmod, chown, ln -s, ls, cat, readlink) from the current state,
 * expanded into system calls; and failing commands, about one row in eight.
 * See workload.h. Every choice comes from the workload's rng and the state,
 * nothing else, so both generators plan identical commands. */
#include "data/workload.h"

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
    "readlink", "truncate", "rename", "symlink", "append", "cp", "rmr",
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

typedef struct {
    const lf_node **v;
    size_t n, cap;
} nodes;

typedef struct {
    nodes dirs;       /* root included */
    nodes files;
    nodes links;
    nodes empty;      /* empty directories, root excluded */
    nodes full;       /* non-empty directories, root excluded */
    nodes subdirs;    /* directories, root excluded */
    int rc;
} cands;

static void push(cands *c, nodes *s, const lf_node *n)
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

static void collect(cands *c, const lf_node *n)
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

static void cands_free(cands *c)
{
    free(c->dirs.v);
    free(c->files.v);
    free(c->links.v);
    free(c->empty.v);
    free(c->full.v);
    free(c->subdirs.v);
}

/* ---- planning helpers ---- */

typedef struct {
    lf_workload *w;
    const lf_state *st;
    cands c;
    lf_cmd *cmd;
    lf_buf tmp;
    int rc;
} plan;

static const lf_node *pick(plan *p, const nodes *s)
{
    return s->n ? s->v[lf_rng_below(&p->w->rng, s->n)] : NULL;
}

/* A directory to create in: the root 35% of the time (trees stay shallow-ish). */
static const lf_node *pick_dir(plan *p)
{
    if (lf_rng_pct(&p->w->rng, 35))
        return p->st->root;
    return pick(p, &p->c.dirs);
}

/* Absolute path of a node (malloc'd) or NULL. */
static char *abspath(const lf_node *n)
{
    lf_buf b;
    lf_buf_init(&b, 0);
    if (!n->parent)
        return strdup("/");
    if (lf_node_relpath(n, &b) || !b.data) {
        lf_buf_free(&b);
        return NULL;
    }
    char *s = malloc(b.len + 2);
    if (s) {
        s[0] = '/';
        memcpy(s + 1, b.data, b.len + 1);
    }
    lf_buf_free(&b);
    return s;
}

/* path of dir joined with name (malloc'd). */
static char *join(const lf_node *dir, const char *name)
{
    char *d = abspath(dir);
    if (!d)
        return NULL;
    size_t a = strlen(d), b = strlen(name);
    char *s = malloc(a + b + 2);
    if (s) {
        memcpy(s, d, a);
        size_t k = a;
        if (a > 1)
            s[k++] = '/';
        memcpy(s + k, name, b + 1);
    }
    free(d);
    return s;
}

/* A name not present in dir (file or directory style); malloc'd. */
static char *fresh_name(plan *p, const lf_node *dir, bool is_dir)
{
    for (int tries = 0; tries < 8; tries++) {
        lf_buf_reset(&p->tmp);
        if ((is_dir ? lf_wl_dir_name : lf_wl_file_name)(&p->w->rng, &p->tmp))
            return NULL;
        if (!dir || !lf_node_find_child(dir, p->tmp.data))
            return strdup(p->tmp.data);
    }
    lf_buf_printf(&p->tmp, "_%llu", (unsigned long long)lf_rng_below(&p->w->rng, 100000));
    return strdup(p->tmp.data);
}

static lf_call *add(plan *p, lf_call_kind k, char *path_owned)
{
    lf_cmd *c = p->cmd;
    if (p->rc || !path_owned) {
        free(path_owned);
        if (!p->rc)
            p->rc = -ENOMEM;
        return NULL;
    }
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        lf_call *v = realloc(c->calls, nc * sizeof *v);
        if (!v) {
            free(path_owned);
            p->rc = -ENOMEM;
            return NULL;
        }
        c->calls = v;
        c->cap = nc;
    }
    lf_call *call = &c->calls[c->n++];
    memset(call, 0, sizeof *call);
    call->kind = k;
    call->path = path_owned;
    call->copy_from = -1;
    call->uid = call->gid = -1;
    return call;
}

static void set_path2(plan *p, lf_call *c, char *s)
{
    if (!c) {
        free(s);
        return;
    }
    c->path2 = s;
    if (!s && !p->rc)
        p->rc = -ENOMEM;
}

/* Content for a path and variant, cut to max bytes (0: the default cap). */
static void set_content(plan *p, lf_call *c, const char *key, unsigned variant, size_t max)
{
    if (!c)
        return;
    lf_buf b;
    lf_buf_init(&b, 0);
    int rc = lf_content_make(key, variant, max, &b);
    if (rc) {
        p->rc = rc;
        lf_buf_free(&b);
        return;
    }
    c->data = (unsigned char *)lf_buf_steal(&b, &c->len);
    if (!c->data)
        p->rc = -ENOMEM;
}

static void mkdir_call(plan *p, char *path, unsigned mode)
{
    lf_call *c = add(p, LF_CALL_MKDIR, path);
    if (c)
        c->mode = mode;
}

static lf_call *op_open(plan *p, char *path, int flags, unsigned mode, int slot)
{
    lf_call *c = add(p, LF_CALL_OPEN, path);
    if (c) {
        c->flags = flags;
        c->mode = mode;
        c->slot = slot;
    }
    return c;
}

static void op_close(plan *p, int slot)
{
    lf_call *c = add(p, LF_CALL_CLOSE, strdup(""));
    if (c)
        c->slot = slot;
}

static const unsigned FILE_MODES[] = {0644, 0644, 0644, 0600, 0664, 0755, 0700, 0444, 0640, 0400,
                                       0666, 04755, 02755, 06750, 02644, 0000};
static const unsigned DIR_MODES[] = {0755, 0755, 0755, 0700, 0775, 0750, 0777, 01777, 0555, 0711};

static unsigned new_file_mode(plan *p, const char *name)
{
    size_t n = strlen(name);
    if (n > 3 && !strcmp(name + n - 3, ".sh"))
        return 0755;
    return lf_rng_pct(&p->w->rng, 80) ? 0644 : LF_RNG_PICK(&p->w->rng, FILE_MODES);
}

static unsigned new_dir_mode(plan *p)
{
    return lf_rng_pct(&p->w->rng, 75) ? 0755 : LF_RNG_PICK(&p->w->rng, DIR_MODES);
}

/* The reads `cat` makes of a file of size sz with buffer bs: until one
 * returns 0 bytes. */
static void plan_reads(plan *p, const char *path, int slot, uint64_t sz, uint64_t bs, int copy_to)
{
    uint64_t off = 0;
    for (int i = 0; i < 64; i++) {
        lf_call *r = add(p, LF_CALL_READ, strdup(path));
        if (!r)
            return;
        r->slot = slot;
        r->size = bs;
        r->offset = (long long)off;
        if (off >= sz)
            return;
        uint64_t got = sz - off < bs ? sz - off : bs;
        if (copy_to >= 0) {
            lf_call *wr = add(p, LF_CALL_WRITE, strdup(""));
            if (!wr)
                return;
            wr->slot = copy_to;
            wr->copy_from = slot;
            wr->offset = (long long)off;
        }
        off += got;
    }
}

/* ---- the commands ---- */

static int cmd_mkdir(plan *p)
{
    const lf_node *dir = pick_dir(p);
    int depth = lf_rng_pct(&p->w->rng, 30) ? (int)lf_rng_range(&p->w->rng, 2, 4) : 1;
    char *name = fresh_name(p, dir, true);
    char *path = name ? join(dir, name) : NULL;
    free(name);
    for (int i = 0; i < depth && path; i++) {
        lf_call *c = add(p, LF_CALL_MKDIR, strdup(path));
        if (c)
            c->mode = new_dir_mode(p);
        if (i + 1 < depth) {
            lf_buf_reset(&p->tmp);
            if (lf_wl_dir_name(&p->w->rng, &p->tmp)) {
                p->rc = -ENOMEM;
                break;
            }
            size_t a = strlen(path);
            char *np = malloc(a + p->tmp.len + 2);
            if (np) {
                memcpy(np, path, a);
                np[a] = '/';
                memcpy(np + a + 1, p->tmp.data, p->tmp.len + 1);
            }
            free(path);
            path = np;
        }
    }
    if (!path && !p->rc)
        p->rc = -ENOMEM;
    free(path);
    return p->rc;
}

static int cmd_touch(plan *p)
{
    const lf_node *dir = pick_dir(p);
    char *name = fresh_name(p, dir, false);
    if (!name)
        return -ENOMEM;
    op_open(p, join(dir, name), O_WRONLY | O_CREAT, new_file_mode(p, name), 0);
    op_close(p, 0);
    free(name);
    return p->rc;
}

/* echo CONTENT > new file, possibly written in two chunks. */
static void write_new(plan *p)
{
    const lf_node *dir = pick_dir(p);
    char *name = fresh_name(p, dir, false);
    if (!name) {
        p->rc = -ENOMEM;
        return;
    }
    char *path = join(dir, name);
    op_open(p, path ? strdup(path) : NULL, O_WRONLY | O_CREAT | O_TRUNC, new_file_mode(p, name), 0);
    free(name);
    lf_call tmp = {0};
    set_content(p, &tmp, path ? path : "", 0, 0);
    size_t split = tmp.len > 16 && lf_rng_pct(&p->w->rng, 20)
                       ? (size_t)lf_rng_range(&p->w->rng, 1, (long)tmp.len - 1) : tmp.len;
    size_t off = 0;
    while (!p->rc && off < tmp.len) {
        size_t n = off == 0 ? split : tmp.len - off;
        lf_call *w = add(p, LF_CALL_WRITE, strdup(path ? path : ""));
        if (!w)
            break;
        w->slot = 0;
        w->offset = (long long)off;
        w->data = malloc(n);
        if (!w->data) {
            p->rc = -ENOMEM;
            break;
        }
        memcpy(w->data, tmp.data + off, n);
        w->len = n;
        off += n;
    }
    free(tmp.data);
    free(path);
    op_close(p, 0);
}

static int cmd_write(plan *p)
{
    const lf_node *f = pick(p, &p->c.files);
    unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
    if (!f || r < 45) {
        write_new(p);
        return p->rc;
    }
    char *path = abspath(f);
    if (!path)
        return -ENOMEM;
    if (r < 80) {
        /* echo > existing: O_TRUNC, then the new content */
        op_open(p, strdup(path), O_WRONLY | O_CREAT | O_TRUNC, 0644, 0);
        lf_call *w = add(p, LF_CALL_WRITE, strdup(path));
        if (w) {
            w->slot = 0;
            set_content(p, w, path, (unsigned)lf_rng_range(&p->w->rng, 1, 3), 0);
            if (!w->len) /* an empty write is not sent to the filesystem */
                p->cmd->n--, free(w->path), free(w->data);
        }
    } else {
        /* pwrite of a snippet at an offset, possibly past the end (a hole) */
        op_open(p, strdup(path), O_WRONLY, 0, 0);
        lf_call *w = add(p, LF_CALL_WRITE, strdup(path));
        if (w) {
            w->slot = 0;
            w->offset = (long long)lf_rng_below(&p->w->rng, f->size + 33);
            set_content(p, w, path, (unsigned)lf_rng_range(&p->w->rng, 4, 9),
                        (size_t)lf_rng_range(&p->w->rng, 8, 60));
            if (!w->len)
                p->cmd->n--, free(w->path), free(w->data);
        }
    }
    op_close(p, 0);
    free(path);
    return p->rc;
}

static int cmd_append(plan *p)
{
    const lf_node *f = pick(p, &p->c.files);
    char *path;
    int flags = O_WRONLY | O_APPEND;
    unsigned mode = 0;
    if (!f || lf_rng_pct(&p->w->rng, 15)) {
        const lf_node *dir = pick_dir(p);
        char *name = fresh_name(p, dir, false);
        if (!name)
            return -ENOMEM;
        path = join(dir, name);
        mode = new_file_mode(p, name);
        flags |= O_CREAT;
        free(name);
    } else {
        path = abspath(f);
    }
    if (!path)
        return -ENOMEM;
    op_open(p, strdup(path), flags, mode, 0);
    int k = lf_rng_pct(&p->w->rng, 25) ? 2 : 1;
    for (int i = 0; i < k; i++) {
        lf_call *w = add(p, LF_CALL_WRITE, strdup(path));
        if (w) {
            w->slot = 0;
            w->offset = -1;
            set_content(p, w, path, (unsigned)lf_rng_range(&p->w->rng, 10, 99),
                        (size_t)lf_rng_range(&p->w->rng, 12, 120));
            if (!w->len)
                p->cmd->n--, free(w->path), free(w->data);
        }
    }
    op_close(p, 0);
    free(path);
    return p->rc;
}

static int cmd_read(plan *p)
{
    const lf_node *f = pick(p, &p->c.files);
    char *path = abspath(f);
    if (!path)
        return -ENOMEM;
    unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
    static const uint64_t HEAD[] = {16, 64, 100, 512, 1024};
    lf_call *o = op_open(p, strdup(path), O_RDONLY, 0, 0);
    if (r < 60) {
        uint64_t bs = lf_rng_pct(&p->w->rng, 85) ? LF_READ_SIZE : 131072;
        if (o)
            o->size = bs;
        plan_reads(p, path, 0, f->size, bs, -1);
    } else {
        uint64_t bs = r < 80 ? LF_RNG_PICK(&p->w->rng, HEAD) : LF_READ_SIZE;
        uint64_t off = r < 80 ? 0 : lf_rng_below(&p->w->rng, f->size + 1);
        if (o)
            o->size = bs;
        lf_call *c = add(p, LF_CALL_READ, strdup(path));
        if (c) {
            c->slot = 0;
            c->size = bs;
            c->offset = (long long)off;
        }
    }
    op_close(p, 0);
    free(path);
    return p->rc;
}

static int cmd_rm(plan *p)
{
    size_t n = p->c.files.n + p->c.links.n;
    uint64_t i = lf_rng_below(&p->w->rng, n);
    const lf_node *f = i < p->c.files.n ? p->c.files.v[i] : p->c.links.v[i - p->c.files.n];
    add(p, LF_CALL_UNLINK, abspath(f));
    return p->rc;
}

static int cmd_rmdir(plan *p)
{
    const lf_node *d = pick(p, &p->c.empty);
    if (d) {
        add(p, LF_CALL_RMDIR, abspath(d));
        return p->rc;
    }
    /* mkdir X && rmdir X */
    const lf_node *dir = pick_dir(p);
    char *name = fresh_name(p, dir, true);
    char *path = name ? join(dir, name) : NULL;
    free(name);
    lf_call *c = add(p, LF_CALL_MKDIR, path ? strdup(path) : NULL);
    if (c)
        c->mode = new_dir_mode(p);
    add(p, LF_CALL_RMDIR, path);
    return p->rc;
}

/* rm -r: list each directory, remove its entries depth first, then it. */
static void rmr(plan *p, const lf_node *d)
{
    lf_call *c = add(p, LF_CALL_READDIR, abspath(d));
    (void)c;
    for (size_t i = 0; i < d->nkids && !p->rc; i++) {
        const lf_node *k = d->kids[i];
        if (k->kind == LF_NODE_DIR)
            rmr(p, k);
        else
            add(p, LF_CALL_UNLINK, abspath(k));
    }
    add(p, LF_CALL_RMDIR, abspath(d));
}

static int cmd_rmr(plan *p)
{
    const lf_node *d = p->c.full.n && lf_rng_pct(&p->w->rng, 80) ? pick(p, &p->c.full)
                                                                  : pick(p, &p->c.subdirs);
    rmr(p, d);
    return p->rc;
}

static int cmd_chmod(plan *p)
{
    size_t n = p->c.files.n + p->c.dirs.n;
    uint64_t i = lf_rng_below(&p->w->rng, n);
    const lf_node *f = i < p->c.files.n ? p->c.files.v[i] : p->c.dirs.v[i - p->c.files.n];
    lf_call *c = add(p, LF_CALL_CHMOD, abspath(f));
    if (c)
        c->mode = f->kind == LF_NODE_DIR ? LF_RNG_PICK(&p->w->rng, DIR_MODES)
                                         : LF_RNG_PICK(&p->w->rng, FILE_MODES);
    return p->rc;
}

static const long long IDS[] = {0, 0, 1000, 1001, 33, 65534, 100, 0};

static int cmd_chown(plan *p)
{
    size_t n = p->c.files.n + p->c.subdirs.n + p->c.links.n;
    uint64_t i = lf_rng_below(&p->w->rng, n);
    const lf_node *f = i < p->c.files.n ? p->c.files.v[i]
                       : i < p->c.files.n + p->c.subdirs.n ? p->c.subdirs.v[i - p->c.files.n]
                       : p->c.links.v[i - p->c.files.n - p->c.subdirs.n];
    lf_call *c = add(p, f->kind == LF_NODE_LINK ? LF_CALL_LCHOWN : LF_CALL_CHOWN, abspath(f));
    if (c) {
        unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
        c->uid = r < 20 ? -1 : LF_RNG_PICK(&p->w->rng, IDS);
        c->gid = r >= 20 && r < 30 ? -1 : LF_RNG_PICK(&p->w->rng, IDS);
    }
    return p->rc;
}

static int cmd_ls(plan *p)
{
    const lf_node *d = p->c.full.n && lf_rng_pct(&p->w->rng, 60) ? pick(p, &p->c.full)
                                                                  : pick(p, &p->c.dirs);
    add(p, LF_CALL_READDIR, abspath(d));
    return p->rc;
}

/* ln -s CONTENT LINK; returns the link's path (malloc'd) or NULL. */
static char *plan_symlink(plan *p)
{
    const lf_node *dir = pick_dir(p);
    char *name = fresh_name(p, dir, false);
    if (!name)
        return NULL;
    lf_buf_reset(&p->tmp);
    lf_buf_printf(&p->tmp, "%s_link", name);
    char *lname = lf_node_find_child(dir, p->tmp.data) ? strdup(name) : strdup(p->tmp.data);
    free(name);
    char *path = lname ? join(dir, lname) : NULL;
    free(lname);
    if (!path)
        return NULL;
    /* content: a sibling, a relative path elsewhere, an absolute one, or dangling */
    unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
    char *content = NULL;
    const lf_node *t = pick(p, &p->c.files);
    if (t && r < 50 && t->parent == dir) {
        content = strdup(t->name);
    } else if (t && r < 70) {
        char *a = abspath(t);
        /* relative from dir: "../" per level of dir, then the target's path */
        lf_buf_reset(&p->tmp);
        for (const lf_node *q = dir; q->parent; q = q->parent)
            lf_buf_puts(&p->tmp, "../");
        lf_buf_puts(&p->tmp, a ? a + 1 : "x");
        free(a);
        content = strdup(p->tmp.data);
    } else if (t && r < 85) {
        content = abspath(t);
    } else {
        lf_buf_reset(&p->tmp);
        lf_wl_file_name(&p->w->rng, &p->tmp);
        content = strdup(p->tmp.data);
    }
    lf_call *c = add(p, LF_CALL_SYMLINK, path);
    set_path2(p, c, content);
    return c && c->path2 ? strdup(c->path) : NULL;
}

static int cmd_symlink(plan *p)
{
    free(plan_symlink(p));
    return p->rc;
}

static int cmd_readlink(plan *p)
{
    const lf_node *l = pick(p, &p->c.links);
    if (l) {
        add(p, LF_CALL_READLINK, abspath(l));
        return p->rc;
    }
    char *path = plan_symlink(p);
    if (path)
        add(p, LF_CALL_READLINK, path);
    return p->rc;
}

static int cmd_truncate(plan *p, bool shrink_only)
{
    const lf_node *f = pick(p, &p->c.files);
    char *path = abspath(f);
    if (!path)
        return -ENOMEM;
    unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
    uint64_t len;
    if (r < 20 || f->size == 0)
        len = shrink_only || lf_rng_pct(&p->w->rng, 50) ? 0 : lf_rng_range(&p->w->rng, 1, 100);
    else if (r < 70 || shrink_only)
        len = lf_rng_below(&p->w->rng, f->size);
    else
        len = f->size + lf_rng_range(&p->w->rng, 1, 100);
    if (lf_rng_pct(&p->w->rng, 20)) {
        op_open(p, strdup(path), O_WRONLY, 0, 0);
        lf_call *c = add(p, LF_CALL_FTRUNCATE, strdup(path));
        if (c) {
            c->slot = 0;
            c->size = len;
        }
        op_close(p, 0);
    } else {
        lf_call *c = add(p, LF_CALL_TRUNCATE, strdup(path));
        if (c)
            c->size = len;
    }
    free(path);
    return p->rc;
}

static bool is_within(const lf_node *n, const lf_node *anc)
{
    for (; n; n = n->parent)
        if (n == anc)
            return true;
    return false;
}

static int cmd_rename(plan *p)
{
    bool dir = p->c.subdirs.n && (lf_rng_pct(&p->w->rng, 35) ||
                                  p->c.files.n + p->c.links.n == 0);
    const lf_node *src;
    if (dir) {
        src = pick(p, &p->c.subdirs);
    } else {
        size_t n = p->c.files.n + p->c.links.n;
        uint64_t i = lf_rng_below(&p->w->rng, n);
        src = i < p->c.files.n ? p->c.files.v[i] : p->c.links.v[i - p->c.files.n];
    }
    /* destination directory: the same one half the time; never inside src */
    const lf_node *to = src->parent;
    if (lf_rng_pct(&p->w->rng, 50)) {
        const lf_node *d = pick_dir(p);
        if (!is_within(d, src))
            to = d;
    }
    char *dst = NULL;
    unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
    if (!dir && r < 12 && p->c.files.n + p->c.links.n > 1) {
        uint64_t j = lf_rng_below(&p->w->rng, p->c.files.n + p->c.links.n);
        const lf_node *v = j < p->c.files.n ? p->c.files.v[j] : p->c.links.v[j - p->c.files.n];
        if (v != src)
            dst = abspath(v);                    /* mv onto an existing file */
    } else if (dir && r < 12 && p->c.empty.n) {
        const lf_node *v = pick(p, &p->c.empty);
        if (v != src && !is_within(v, src) && !is_within(src, v))
            dst = abspath(v);                    /* onto an empty directory */
    }
    if (!dst) {
        char *name = fresh_name(p, to, dir);
        dst = name ? join(to, name) : NULL;
        free(name);
        if (!dst)
            return -ENOMEM;
    }
    lf_call *c = add(p, LF_CALL_RENAME, abspath(src));
    set_path2(p, c, dst);
    return p->rc;
}

static int cmd_cp(plan *p)
{
    const lf_node *f = pick(p, &p->c.files);
    const lf_node *dir = pick_dir(p);
    char *name = fresh_name(p, dir, false);
    char *src = abspath(f), *dst = name ? join(dir, name) : NULL;
    free(name);
    if (src && dst) {
        lf_call *o = op_open(p, strdup(src), O_RDONLY, 0, 0);
        if (o)
            o->size = 131072;
        op_open(p, strdup(dst), O_WRONLY | O_CREAT | O_EXCL, f->mode & 0777, 1);
        plan_reads(p, src, 0, f->size, 131072, 1);
        op_close(p, 1);
        op_close(p, 0);
    } else if (!p->rc) {
        p->rc = -ENOMEM;
    }
    free(src);
    free(dst);
    return p->rc;
}

/* ---- failing commands: one call the kernel or the filesystem refuses ---- */

/* A path under dir that does not exist. */
static char *missing_in(plan *p, const lf_node *dir, bool is_dir)
{
    char *name = fresh_name(p, dir, is_dir);
    char *s = name ? join(dir, name) : NULL;
    free(name);
    return s;
}

static int plan_fail(plan *p)
{
    lf_rng *r = &p->w->rng;
    const lf_node *dir = pick_dir(p);
    const lf_node *f = pick(p, &p->c.files);
    const lf_node *sd = pick(p, &p->c.subdirs);
    const lf_node *full = pick(p, &p->c.full);
    const lf_node *any = f ? f : sd;
    for (int tries = 0; tries < 20; tries++) {
        switch (lf_rng_below(r, 30)) {
        case 0: /* mkdir existing: EEXIST */
            if (!any)
                continue;
            mkdir_call(p, abspath(any), 0755);
            return p->rc;
        case 1: { /* mkdir under a missing directory: ENOENT */
            char *m = missing_in(p, dir, true);
            char *n = fresh_name(p, NULL, true);
            if (m && n) {
                lf_buf_reset(&p->tmp);
                lf_buf_printf(&p->tmp, "%s/%s", m, n);
                lf_call *c = add(p, LF_CALL_MKDIR, strdup(p->tmp.data));
                if (c)
                    c->mode = 0755;
            }
            free(m);
            free(n);
            return p->rc ? p->rc : (m && n ? 0 : -ENOMEM);
        }
        case 2: { /* mkdir or create under a file: ENOTDIR */
            if (!f)
                continue;
            char *n = fresh_name(p, NULL, false);
            char *a = abspath(f);
            if (n && a) {
                lf_buf_reset(&p->tmp);
                lf_buf_printf(&p->tmp, "%s/%s", a, n);
                if (lf_rng_pct(r, 50))
                    mkdir_call(p, strdup(p->tmp.data), 0755);
                else
                    op_open(p, strdup(p->tmp.data), O_WRONLY | O_CREAT, 0644, 0);
            }
            free(n);
            free(a);
            return p->rc;
        }
        case 3: /* create O_EXCL of an existing file: EEXIST */
            if (!f)
                continue;
            op_open(p, abspath(f), O_WRONLY | O_CREAT | O_EXCL, 0644, 0);
            op_close(p, 0);
            return p->rc;
        case 4: { /* create in a missing directory: ENOENT */
            char *m = missing_in(p, dir, true);
            char *n = fresh_name(p, NULL, false);
            if (m && n) {
                lf_buf_reset(&p->tmp);
                lf_buf_printf(&p->tmp, "%s/%s", m, n);
                op_open(p, strdup(p->tmp.data), O_WRONLY | O_CREAT | O_TRUNC, 0644, 0);
                op_close(p, 0);
            }
            free(m);
            free(n);
            return p->rc;
        }
        case 5: add(p, LF_CALL_UNLINK, missing_in(p, dir, false)); return p->rc;   /* ENOENT */
        case 6: /* unlink a directory: EISDIR */
            if (!sd)
                continue;
            add(p, LF_CALL_UNLINK, abspath(sd));
            return p->rc;
        case 7: add(p, LF_CALL_RMDIR, missing_in(p, dir, true)); return p->rc;    /* ENOENT */
        case 8: /* rmdir non-empty: ENOTEMPTY (the filesystem answers) */
            if (!full)
                continue;
            add(p, LF_CALL_RMDIR, abspath(full));
            return p->rc;
        case 9: /* rmdir a file: ENOTDIR */
            if (!f)
                continue;
            add(p, LF_CALL_RMDIR, abspath(f));
            return p->rc;
        case 10: { /* rename a missing source: ENOENT */
            lf_call *c = add(p, LF_CALL_RENAME, missing_in(p, dir, false));
            set_path2(p, c, missing_in(p, dir, false));
            return p->rc;
        }
        case 11: { /* a directory into itself: EINVAL */
            if (!sd)
                continue;
            char *n = fresh_name(p, sd, true);
            lf_call *c = add(p, LF_CALL_RENAME, abspath(sd));
            set_path2(p, c, n ? join(sd, n) : NULL);
            free(n);
            return p->rc;
        }
        case 12: { /* a file onto a directory: EISDIR */
            if (!f || !sd)
                continue;
            lf_call *c = add(p, LF_CALL_RENAME, abspath(f));
            set_path2(p, c, abspath(sd));
            return p->rc;
        }
        case 13: { /* a directory onto a file: ENOTDIR */
            if (!f || !sd || is_within(f, sd))
                continue;
            lf_call *c = add(p, LF_CALL_RENAME, abspath(sd));
            set_path2(p, c, abspath(f));
            return p->rc;
        }
        case 14: { /* a directory onto a non-empty one: ENOTEMPTY */
            if (!sd || !full || is_within(full, sd) || is_within(sd, full))
                continue;
            lf_call *c = add(p, LF_CALL_RENAME, abspath(sd));
            set_path2(p, c, abspath(full));
            return p->rc;
        }
        case 15: { /* chmod or chown of a missing path: ENOENT */
            lf_call *c = add(p, lf_rng_pct(r, 50) ? LF_CALL_CHMOD : LF_CALL_CHOWN,
                             missing_in(p, dir, false));
            if (c) {
                c->mode = 0644;
                c->uid = 0;
                c->gid = 0;
            }
            return p->rc;
        }
        case 16: { /* ln -s onto an existing name: EEXIST */
            if (!any)
                continue;
            lf_call *c = add(p, LF_CALL_SYMLINK, abspath(any));
            set_path2(p, c, strdup("target.txt"));
            return p->rc;
        }
        case 17: /* ls of a missing path or of a file: ENOENT, ENOTDIR */
            add(p, LF_CALL_READDIR, f && lf_rng_pct(r, 50) ? abspath(f) : missing_in(p, dir, true));
            return p->rc;
        case 18: { /* cat of a missing path or of a directory: ENOENT, EISDIR */
            char *path = sd && lf_rng_pct(r, 50) ? abspath(sd) : missing_in(p, dir, false);
            lf_call *o = op_open(p, path, O_RDONLY, 0, 0);
            if (o) {
                o->size = LF_READ_SIZE;
                lf_call *c = add(p, LF_CALL_READ, strdup(o->path));
                if (c) {
                    c->size = LF_READ_SIZE;
                    c->slot = 0;
                }
            }
            op_close(p, 0);
            return p->rc;
        }
        case 19: /* readlink of a non-link or a missing path: EINVAL, ENOENT */
            add(p, LF_CALL_READLINK, any && lf_rng_pct(r, 60) ? abspath(any) : missing_in(p, dir, false));
            return p->rc;
        case 20: { /* truncate of a missing path or a directory: ENOENT, EISDIR */
            lf_call *c = add(p, LF_CALL_TRUNCATE,
                             sd && lf_rng_pct(r, 50) ? abspath(sd) : missing_in(p, dir, false));
            if (c)
                c->size = (uint64_t)lf_rng_below(r, 64);
            return p->rc;
        }
        case 21: { /* echo > a directory: EISDIR */
            if (!sd)
                continue;
            lf_call *o = op_open(p, abspath(sd), O_WRONLY, 0, 0);
            if (o)
                set_content(p, o, o->path, 0, 64);
            op_close(p, 0);
            return p->rc;
        }
        case 22: { /* a name the state cannot hold: EINVAL */
            char *n = fresh_name(p, NULL, false);
            if (n) {
                lf_buf_reset(&p->tmp);
                lf_buf_printf(&p->tmp, "bad%c%s", lf_rng_pct(r, 50) ? '\x01' : '\x7f', n);
                char *path = join(dir, p->tmp.data);
                if (lf_rng_pct(r, 50)) {
                    lf_call *c = add(p, LF_CALL_MKDIR, path);
                    if (c)
                        c->mode = 0755;
                } else {
                    op_open(p, path, O_WRONLY | O_CREAT, 0644, 0);
                    op_close(p, 0);
                }
            }
            free(n);
            return p->rc;
        }
        case 23: { /* unlink through a file: ENOTDIR */
            if (!f)
                continue;
            char *a = abspath(f);
            if (a) {
                lf_buf_reset(&p->tmp);
                lf_buf_printf(&p->tmp, "%s/x", a);
                add(p, LF_CALL_UNLINK, strdup(p->tmp.data));
            }
            free(a);
            return p->rc;
        }
        case 24: { /* a directory onto its own parent: ENOTEMPTY */
            if (!sd || !sd->parent->parent)
                continue;
            lf_call *c = add(p, LF_CALL_RENAME, abspath(sd));
            set_path2(p, c, abspath(sd->parent));
            return p->rc;
        }
        case 25: { /* a name longer than NAME_MAX: ENAMETOOLONG */
            lf_buf_reset(&p->tmp);
            long n = lf_rng_range(r, 256, 300);
            for (long i = 0; i < n; i++)
                lf_buf_putc(&p->tmp, (char)('a' + i % 26));
            char *path = join(dir, p->tmp.data);
            if (lf_rng_pct(r, 50)) {
                mkdir_call(p, path, 0755);
            } else {
                op_open(p, path, O_WRONLY | O_CREAT, 0644, 0);
                op_close(p, 0);
            }
            return p->rc;
        }
        case 26: { /* ln -s "" NAME: ENOENT */
            lf_call *c = add(p, LF_CALL_SYMLINK, missing_in(p, dir, false));
            set_path2(p, c, strdup(""));
            return p->rc;
        }
        case 27: { /* rmdir of a symlink: ENOTDIR */
            const lf_node *l = pick(p, &p->c.links);
            if (!l)
                continue;
            add(p, LF_CALL_RMDIR, abspath(l));
            return p->rc;
        }
        case 28: { /* chmod through a file: ENOTDIR */
            if (!f)
                continue;
            char *a = abspath(f);
            if (a) {
                lf_buf_reset(&p->tmp);
                lf_buf_printf(&p->tmp, "%s/x", a);
                lf_call *c = add(p, LF_CALL_CHMOD, strdup(p->tmp.data));
                if (c)
                    c->mode = 0600;
            }
            free(a);
            return p->rc;
        }
        case 29: { /* mkdir over a symlink: EEXIST */
            const lf_node *l = pick(p, &p->c.links);
            if (!l)
                continue;
            mkdir_call(p, abspath(l), 0755);
            return p->rc;
        }
        }
    }
    add(p, LF_CALL_UNLINK, missing_in(p, dir, false));
    return p->rc;
}

/* Can the label run on these candidates (without a fallback)? */
static bool applicable(const cands *c, lf_wl_label l)
{
    switch (l) {
    case LF_WL_READ: case LF_WL_TRUNCATE: case LF_WL_CP: return c->files.n > 0;
    case LF_WL_RM: return c->files.n + c->links.n > 0;
    case LF_WL_CHOWN: return c->files.n + c->subdirs.n + c->links.n > 0;
    case LF_WL_RMR: return c->subdirs.n > 0;
    case LF_WL_RENAME: return c->files.n + c->links.n + c->subdirs.n > 0;
    default: return true;
    }
}

int lf_workload_next(lf_workload *w, const lf_state *st, size_t state_bytes, lf_cmd *cmd)
{
    lf_cmd_free(cmd);
    plan p = {.w = w, .st = st, .cmd = cmd};
    lf_buf_init(&p.tmp, 4096);
    collect(&p.c, st->root);
    if (p.c.rc) {
        cands_free(&p.c);
        return p.c.rc;
    }
    bool grow = state_bytes + GROW_HEADROOM <= w->max_state;
    bool fail = w->err_rows * 1000 < (uint64_t)w->fail_per_mille * (w->rows + 1) &&
                lf_rng_pct(&w->rng, 50);
    int rc;
    if (fail) {
        cmd->fail = true;
        cmd->label = LF_WL__COUNT;
        rc = plan_fail(&p);
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
        switch (l) {
        case LF_WL_MKDIR: rc = cmd_mkdir(&p); break;
        case LF_WL_TOUCH: rc = cmd_touch(&p); break;
        case LF_WL_WRITE: rc = cmd_write(&p); break;
        case LF_WL_READ: rc = cmd_read(&p); break;
        case LF_WL_RM: rc = cmd_rm(&p); break;
        case LF_WL_RMDIR: rc = cmd_rmdir(&p); break;
        case LF_WL_CHMOD: rc = cmd_chmod(&p); break;
        case LF_WL_CHOWN: rc = cmd_chown(&p); break;
        case LF_WL_LS: rc = cmd_ls(&p); break;
        case LF_WL_READLINK: rc = cmd_readlink(&p); break;
        case LF_WL_TRUNCATE: rc = cmd_truncate(&p, !grow); break;
        case LF_WL_RENAME: rc = cmd_rename(&p); break;
        case LF_WL_SYMLINK: rc = cmd_symlink(&p); break;
        case LF_WL_APPEND: rc = cmd_append(&p); break;
        case LF_WL_CP: rc = cmd_cp(&p); break;
        case LF_WL_RMR: rc = cmd_rmr(&p); break;
        default: rc = cmd_ls(&p); break;
        }
    }
    if (!rc)
        rc = p.rc;
    cands_free(&p.c);
    lf_buf_free(&p.tmp);
    return rc;
}
