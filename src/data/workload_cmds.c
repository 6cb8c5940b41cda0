/* workload_cmds.c: the workload's commands (mkdir -p, touch, echo >, >>,
 * cat, rm, rmdir, chmod, chown, ls, readlink, truncate, mv, ln -s, cp,
 * rm -r), each planned as the system calls a program makes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/content.h"
#include "data/workload_int.h"

static int cmd_mkdir(wl_plan *p)
{
    const lf_node *dir = lf_wlp_pick_dir(p);
    int depth = lf_rng_pct(&p->w->rng, 30) ? (int)lf_rng_range(&p->w->rng, 2, 4) : 1;
    char *name = lf_wlp_fresh_name(p, dir, true);
    char *path = name ? lf_wlp_join(dir, name) : NULL;
    free(name);
    for (int i = 0; i < depth && path; i++) {
        lf_call *c = lf_wlp_add(p, LF_CALL_MKDIR, strdup(path));
        if (c)
            c->mode = lf_wlp_new_dir_mode(p);
        if (i + 1 < depth) {
            lf_buf_reset(&p->tmp);
            if (lf_wl_name(p->w, true, &p->tmp)) {
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

static int cmd_touch(wl_plan *p)
{
    const lf_node *dir = lf_wlp_pick_dir(p);
    char *name = lf_wlp_fresh_name(p, dir, false);
    if (!name)
        return -ENOMEM;
    lf_wlp_open(p, lf_wlp_join(dir, name), O_WRONLY | O_CREAT, lf_wlp_new_file_mode(p, name), 0);
    lf_wlp_close(p, 0);
    free(name);
    return p->rc;
}

/* echo CONTENT > new file, possibly written in two chunks. */
static void write_new(wl_plan *p)
{
    const lf_node *dir = lf_wlp_pick_dir(p);
    char *name = lf_wlp_fresh_name(p, dir, false);
    if (!name) {
        p->rc = -ENOMEM;
        return;
    }
    char *path = lf_wlp_join(dir, name);
    lf_wlp_open(p, path ? strdup(path) : NULL, O_WRONLY | O_CREAT | O_TRUNC, lf_wlp_new_file_mode(p, name), 0);
    free(name);
    lf_call tmp = {0};
    lf_wlp_set_content(p, &tmp, path ? path : "", 0, 0);
    size_t split = tmp.len > 16 && lf_rng_pct(&p->w->rng, 20)
                       ? (size_t)lf_rng_range(&p->w->rng, 1, (long)tmp.len - 1) : tmp.len;
    size_t off = 0;
    while (!p->rc && off < tmp.len) {
        size_t n = off == 0 ? split : tmp.len - off;
        lf_call *w = lf_wlp_add(p, LF_CALL_WRITE, strdup(path ? path : ""));
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
    lf_wlp_close(p, 0);
}

/* Adds a write on slot 0 at offset (-1: append) of generated content
 * (lf_wlp_set_content); an empty write is dropped, as it is never sent to
 * the filesystem. */
static void add_write(wl_plan *p, const char *path, long long offset, unsigned variant,
                      size_t max)
{
    lf_call *w = lf_wlp_add(p, LF_CALL_WRITE, strdup(path));
    if (!w)
        return;
    w->slot = 0;
    w->offset = offset;
    lf_wlp_set_content(p, w, path, variant, max);
    if (!w->len)
        p->cmd->n--, free(w->path), free(w->data);
}

static int cmd_write(wl_plan *p)
{
    const lf_node *f = lf_wlp_pick_sized(p);
    unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
    if (!f || r < 45) {
        write_new(p);
        return p->rc;
    }
    char *path = lf_wlp_abspath(f);
    if (!path)
        return -ENOMEM;
    if (r < 80) {
        /* echo > existing: O_TRUNC, then the new content */
        lf_wlp_open(p, strdup(path), O_WRONLY | O_CREAT | O_TRUNC, 0644, 0);
        add_write(p, path, 0, (unsigned)lf_rng_range(&p->w->rng, 1, 3), 0);
    } else {
        /* pwrite of a snippet at an offset, possibly past the end (a hole) */
        lf_wlp_open(p, strdup(path), O_WRONLY, 0, 0);
        lf_rng *g = &p->w->rng;
        long long offset;
        size_t max;
        if (lf_workload_seed_content(p->w)) {
            offset = (long long)lf_rng_below(g, f->size + 33);
            max = (size_t)lf_rng_range(g, 8, 60);
        } else {
            /* inside, at the end, or past it (a hole of up to 200) */
            unsigned q = (unsigned)lf_rng_below(g, 100);
            offset = q < 60 ? (long long)lf_rng_below(g, f->size + 1)
                   : q < 80 ? (long long)f->size
                            : (long long)(f->size + (uint64_t)lf_rng_range(g, 1, lf_rng_pct(g, 70) ? 16 : 200));
            max = (size_t)(lf_rng_pct(g, 50) ? lf_rng_range(g, 1, 24) : lf_rng_range(g, 25, 300));
        }
        unsigned variant = (unsigned)lf_rng_range(g, 4, 9);   /* after max, as before */
        add_write(p, path, offset, variant, max);
    }
    lf_wlp_close(p, 0);
    free(path);
    return p->rc;
}

/* open, one write of a snippet (up to max bytes) at offset, close */
static void pwrite_snippet(wl_plan *p, const char *path, long long offset, size_t max)
{
    unsigned variant = (unsigned)lf_rng_range(&p->w->rng, 4, 9);
    lf_wlp_open(p, strdup(path), O_WRONLY, 0, 0);
    add_write(p, path, offset, variant, max);
    lf_wlp_close(p, 0);
}

/* pwrite into the middle of a file with content: an offset strictly inside
 * it (0 for a 1-byte file), so bytes before the data are kept, and after
 * it too unless the data runs past the end. */
static int cmd_pwrite(wl_plan *p)
{
    const lf_node *f = lf_wlp_pick_nonempty(p);
    if (!f)
        return -EINVAL;   /* not applicable: the caller checked */
    lf_rng *g = &p->w->rng;
    char *path = lf_wlp_abspath(f);
    if (!path)
        return -ENOMEM;
    long long offset = f->size > 1 ? 1 + (long long)lf_rng_below(g, f->size - 1) : 0;
    size_t max = (size_t)(lf_rng_pct(g, 70) ? lf_rng_range(g, 1, 24) : lf_rng_range(g, 25, 200));
    pwrite_snippet(p, path, offset, max);
    free(path);
    return p->rc;
}

/* Zero-filled gaps, which a body then holds as a long run of base64 'A'
 * letters the model must count: a pwrite past the end of any file (an
 * empty one too) by a gap of 1 to 400 bytes, or a truncate that grows a
 * file by 1 to 500 bytes. Off by default (weight 0). */
static int cmd_hole(wl_plan *p)
{
    const lf_node *f = lf_wlp_pick(p, &p->c.files);
    if (!f)
        return -EINVAL;   /* not applicable: the caller checked */
    lf_rng *g = &p->w->rng;
    char *path = lf_wlp_abspath(f);
    if (!path)
        return -ENOMEM;
    if (lf_rng_pct(g, 60)) {
        uint64_t gap = (uint64_t)(lf_rng_pct(g, 50) ? lf_rng_range(g, 1, 48) : lf_rng_range(g, 49, 400));
        size_t max = (size_t)(lf_rng_pct(g, 60) ? lf_rng_range(g, 1, 24) : lf_rng_range(g, 25, 160));
        pwrite_snippet(p, path, (long long)(f->size + gap), max);
    } else {
        lf_call *c = lf_wlp_add(p, LF_CALL_TRUNCATE, strdup(path));
        if (c)
            c->size = f->size + (uint64_t)(lf_rng_pct(g, 50) ? lf_rng_range(g, 1, 48) : lf_rng_range(g, 49, 500));
    }
    free(path);
    return p->rc;
}

static int cmd_append(wl_plan *p)
{
    const lf_node *f = lf_wlp_pick_sized(p);
    char *path;
    int flags = O_WRONLY | O_APPEND;
    unsigned mode = 0;
    if (!f || lf_rng_pct(&p->w->rng, 15)) {
        const lf_node *dir = lf_wlp_pick_dir(p);
        char *name = lf_wlp_fresh_name(p, dir, false);
        if (!name)
            return -ENOMEM;
        path = lf_wlp_join(dir, name);
        mode = lf_wlp_new_file_mode(p, name);
        flags |= O_CREAT;
        free(name);
    } else {
        path = lf_wlp_abspath(f);
    }
    if (!path)
        return -ENOMEM;
    lf_wlp_open(p, strdup(path), flags, mode, 0);
    int k = lf_rng_pct(&p->w->rng, 25) ? 2 : 1;
    for (int i = 0; i < k; i++) {
        lf_rng *r = &p->w->rng;
        /* the old workload drew max before the variant (GCC evaluates
         * arguments right to left); keep that order */
        unsigned q = lf_workload_seed_content(p->w) ? 100 : (unsigned)lf_rng_below(r, 100);
        size_t max = q < 35 ? (size_t)lf_rng_range(r, 1, 20)
                   : q < 80 ? (size_t)lf_rng_range(r, 21, 120)
                   : q < 100 ? (size_t)lf_rng_range(r, 121, 400)
                             : (size_t)lf_rng_range(r, 12, 120);
        unsigned variant = (unsigned)lf_rng_range(r, 10, 99);
        add_write(p, path, -1, variant, max);
    }
    lf_wlp_close(p, 0);
    free(path);
    return p->rc;
}

static int cmd_read(wl_plan *p)
{
    const lf_node *f = lf_wlp_pick(p, &p->c.files);
    char *path = lf_wlp_abspath(f);
    if (!path)
        return -ENOMEM;
    unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
    static const uint64_t HEAD[] = {16, 64, 100, 512, 1024};
    lf_call *o = lf_wlp_open(p, strdup(path), O_RDONLY, 0, 0);
    if (r < 60) {
        /* cat's 128 KiB, the usual 4 KiB, or dd bs=128/256: several reads */
        unsigned q = (unsigned)lf_rng_below(&p->w->rng, 100);
        uint64_t bs = q < 80 ? LF_READ_SIZE : q < 92 ? 131072 : q < 96 ? 256 : 128;
        if (o)
            o->size = bs;
        lf_wlp_plan_reads(p, path, 0, f->size, bs, -1);
    } else {
        uint64_t bs = r < 80 ? LF_RNG_PICK(&p->w->rng, HEAD) : LF_READ_SIZE;
        uint64_t off = r < 80 ? 0 : lf_rng_below(&p->w->rng, f->size + 1);
        if (o)
            o->size = bs;
        lf_call *c = lf_wlp_add(p, LF_CALL_READ, strdup(path));
        if (c) {
            c->slot = 0;
            c->size = bs;
            c->offset = (long long)off;
        }
    }
    lf_wlp_close(p, 0);
    free(path);
    return p->rc;
}

static int cmd_rm(wl_plan *p)
{
    size_t n = p->c.files.n + p->c.links.n;
    uint64_t i = lf_rng_below(&p->w->rng, n);
    const lf_node *f = i < p->c.files.n ? p->c.files.v[i] : p->c.links.v[i - p->c.files.n];
    lf_wlp_add(p, LF_CALL_UNLINK, lf_wlp_abspath(f));
    return p->rc;
}

static int cmd_rmdir(wl_plan *p)
{
    const lf_node *d = lf_wlp_pick(p, &p->c.empty);
    if (d) {
        lf_wlp_add(p, LF_CALL_RMDIR, lf_wlp_abspath(d));
        return p->rc;
    }
    /* mkdir X && rmdir X */
    const lf_node *dir = lf_wlp_pick_dir(p);
    char *name = lf_wlp_fresh_name(p, dir, true);
    char *path = name ? lf_wlp_join(dir, name) : NULL;
    free(name);
    lf_call *c = lf_wlp_add(p, LF_CALL_MKDIR, path ? strdup(path) : NULL);
    if (c)
        c->mode = lf_wlp_new_dir_mode(p);
    lf_wlp_add(p, LF_CALL_RMDIR, path);
    return p->rc;
}

/* rm -r: list each directory, remove its entries depth first, then it. */
static void rmr(wl_plan *p, const lf_node *d)
{
    lf_call *c = lf_wlp_add(p, LF_CALL_READDIR, lf_wlp_abspath(d));
    (void)c;
    for (size_t i = 0; i < d->nkids && !p->rc; i++) {
        const lf_node *k = d->kids[i];
        if (k->kind == LF_NODE_DIR)
            rmr(p, k);
        else
            lf_wlp_add(p, LF_CALL_UNLINK, lf_wlp_abspath(k));
    }
    lf_wlp_add(p, LF_CALL_RMDIR, lf_wlp_abspath(d));
}

static int cmd_rmr(wl_plan *p)
{
    const lf_node *d = p->c.full.n && lf_rng_pct(&p->w->rng, 80) ? lf_wlp_pick(p, &p->c.full)
                                                                  : lf_wlp_pick(p, &p->c.subdirs);
    rmr(p, d);
    return p->rc;
}

static int cmd_chmod(wl_plan *p)
{
    size_t n = p->c.files.n + p->c.dirs.n;
    uint64_t i = lf_rng_below(&p->w->rng, n);
    const lf_node *f = i < p->c.files.n ? p->c.files.v[i] : p->c.dirs.v[i - p->c.files.n];
    lf_call *c = lf_wlp_add(p, LF_CALL_CHMOD, lf_wlp_abspath(f));
    if (c)
        c->mode = f->kind == LF_NODE_DIR ? LF_RNG_PICK(&p->w->rng, lf_wlp_dir_modes)
                                         : LF_RNG_PICK(&p->w->rng, lf_wlp_file_modes);
    return p->rc;
}

static const long long IDS[] = {0, 0, 1000, 1001, 33, 65534, 100, 0};

static int cmd_chown(wl_plan *p)
{
    size_t n = p->c.files.n + p->c.subdirs.n + p->c.links.n;
    uint64_t i = lf_rng_below(&p->w->rng, n);
    const lf_node *f = i < p->c.files.n ? p->c.files.v[i]
                       : i < p->c.files.n + p->c.subdirs.n ? p->c.subdirs.v[i - p->c.files.n]
                       : p->c.links.v[i - p->c.files.n - p->c.subdirs.n];
    lf_call *c = lf_wlp_add(p, f->kind == LF_NODE_LINK ? LF_CALL_LCHOWN : LF_CALL_CHOWN, lf_wlp_abspath(f));
    if (c) {
        unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
        c->uid = r < 20 ? -1 : LF_RNG_PICK(&p->w->rng, IDS);
        c->gid = r >= 20 && r < 30 ? -1 : LF_RNG_PICK(&p->w->rng, IDS);
    }
    return p->rc;
}

static int cmd_ls(wl_plan *p)
{
    const lf_node *d = p->c.full.n && lf_rng_pct(&p->w->rng, 60) ? lf_wlp_pick(p, &p->c.full)
                                                                  : lf_wlp_pick(p, &p->c.dirs);
    lf_wlp_add(p, LF_CALL_READDIR, lf_wlp_abspath(d));
    return p->rc;
}

/* ln -s CONTENT LINK; returns the link's path (malloc'd) or NULL. */
static char *plan_symlink(wl_plan *p)
{
    const lf_node *dir = lf_wlp_pick_dir(p);
    char *name = lf_wlp_fresh_name(p, dir, false);
    if (!name)
        return NULL;
    lf_buf_reset(&p->tmp);
    lf_buf_printf(&p->tmp, "%s_link", name);
    char *lname = lf_node_find_child(dir, p->tmp.data) ? strdup(name) : strdup(p->tmp.data);
    free(name);
    char *path = lname ? lf_wlp_join(dir, lname) : NULL;
    free(lname);
    if (!path)
        return NULL;
    /* content: a sibling, a relative path elsewhere, an absolute one, or dangling */
    unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
    char *content = NULL;
    const lf_node *t = lf_wlp_pick(p, &p->c.files);
    if (t && r < 50 && t->parent == dir) {
        content = strdup(t->name);
    } else if (t && r < 70) {
        char *a = lf_wlp_abspath(t);
        /* relative from dir: "../" per level of dir, then the target's path */
        lf_buf_reset(&p->tmp);
        for (const lf_node *q = dir; q->parent; q = q->parent)
            lf_buf_puts(&p->tmp, "../");
        lf_buf_puts(&p->tmp, a ? a + 1 : "x");
        free(a);
        content = strdup(p->tmp.data);
    } else if (t && r < 85) {
        content = lf_wlp_abspath(t);
    } else {
        lf_buf_reset(&p->tmp);
        lf_wl_name(p->w, false, &p->tmp);
        content = strdup(p->tmp.data);
    }
    lf_call *c = lf_wlp_add(p, LF_CALL_SYMLINK, path);
    lf_wlp_set_path2(p, c, content);
    return c && c->path2 ? strdup(c->path) : NULL;
}

static int cmd_symlink(wl_plan *p)
{
    free(plan_symlink(p));
    return p->rc;
}

static int cmd_readlink(wl_plan *p)
{
    const lf_node *l = lf_wlp_pick(p, &p->c.links);
    if (l) {
        lf_wlp_add(p, LF_CALL_READLINK, lf_wlp_abspath(l));
        return p->rc;
    }
    char *path = plan_symlink(p);
    if (path)
        lf_wlp_add(p, LF_CALL_READLINK, path);
    return p->rc;
}

static int cmd_truncate(wl_plan *p, bool shrink_only)
{
    const lf_node *f = lf_wlp_pick_sized(p);
    char *path = lf_wlp_abspath(f);
    if (!path)
        return -ENOMEM;
    unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
    uint64_t len;
    if (!lf_workload_seed_content(p->w)) {
        /* 0, any smaller size, the same size, or larger by 1 to 400 */
        lf_rng *g = &p->w->rng;
        if (r < 12 || (f->size == 0 && shrink_only))
            len = 0;
        else if ((r < 60 || shrink_only) && f->size)
            len = lf_rng_below(g, f->size);
        else if (r < 66)
            len = f->size;
        else
            len = f->size + (uint64_t)lf_rng_range(g, 1, lf_rng_pct(g, 60) ? 32 : 400);
    } else if (r < 20 || f->size == 0)
        len = shrink_only || lf_rng_pct(&p->w->rng, 50) ? 0 : lf_rng_range(&p->w->rng, 1, 100);
    else if (r < 70 || shrink_only)
        len = lf_rng_below(&p->w->rng, f->size);
    else
        len = f->size + lf_rng_range(&p->w->rng, 1, 100);
    if (lf_rng_pct(&p->w->rng, 20)) {
        lf_wlp_open(p, strdup(path), O_WRONLY, 0, 0);
        lf_call *c = lf_wlp_add(p, LF_CALL_FTRUNCATE, strdup(path));
        if (c) {
            c->slot = 0;
            c->size = len;
        }
        lf_wlp_close(p, 0);
    } else {
        lf_call *c = lf_wlp_add(p, LF_CALL_TRUNCATE, strdup(path));
        if (c)
            c->size = len;
    }
    free(path);
    return p->rc;
}

static int cmd_rename(wl_plan *p)
{
    bool dir = p->c.subdirs.n && (lf_rng_pct(&p->w->rng, 35) ||
                                  p->c.files.n + p->c.links.n == 0);
    const lf_node *src;
    if (dir) {
        src = lf_wlp_pick(p, &p->c.subdirs);
    } else {
        size_t n = p->c.files.n + p->c.links.n;
        uint64_t i = lf_rng_below(&p->w->rng, n);
        src = i < p->c.files.n ? p->c.files.v[i] : p->c.links.v[i - p->c.files.n];
    }
    /* destination directory: the same one half the time; never inside src */
    const lf_node *to = src->parent;
    if (lf_rng_pct(&p->w->rng, 50)) {
        const lf_node *d = lf_wlp_pick_dir(p);
        if (!lf_wlp_is_within(d, src))
            to = d;
    }
    char *dst = NULL;
    unsigned r = (unsigned)lf_rng_below(&p->w->rng, 100);
    if (!dir && r < 12 && p->c.files.n + p->c.links.n > 1) {
        uint64_t j = lf_rng_below(&p->w->rng, p->c.files.n + p->c.links.n);
        const lf_node *v = j < p->c.files.n ? p->c.files.v[j] : p->c.links.v[j - p->c.files.n];
        if (v != src)
            dst = lf_wlp_abspath(v);                    /* mv onto an existing file */
    } else if (dir && r < 12 && p->c.empty.n) {
        const lf_node *v = lf_wlp_pick(p, &p->c.empty);
        if (v != src && !lf_wlp_is_within(v, src) && !lf_wlp_is_within(src, v))
            dst = lf_wlp_abspath(v);                    /* onto an empty directory */
    }
    if (!dst) {
        char *name = lf_wlp_fresh_name(p, to, dir);
        dst = name ? lf_wlp_join(to, name) : NULL;
        free(name);
        if (!dst)
            return -ENOMEM;
    }
    lf_call *c = lf_wlp_add(p, LF_CALL_RENAME, lf_wlp_abspath(src));
    lf_wlp_set_path2(p, c, dst);
    return p->rc;
}

static int cmd_cp(wl_plan *p)
{
    const lf_node *f = lf_wlp_pick(p, &p->c.files);
    const lf_node *dir = lf_wlp_pick_dir(p);
    char *name = lf_wlp_fresh_name(p, dir, false);
    char *src = lf_wlp_abspath(f), *dst = name ? lf_wlp_join(dir, name) : NULL;
    free(name);
    if (src && dst) {
        lf_call *o = lf_wlp_open(p, strdup(src), O_RDONLY, 0, 0);
        if (o)
            o->size = 131072;
        lf_wlp_open(p, strdup(dst), O_WRONLY | O_CREAT | O_EXCL, f->mode & 0777, 1);
        lf_wlp_plan_reads(p, src, 0, f->size, 131072, 1);
        lf_wlp_close(p, 1);
        lf_wlp_close(p, 0);
    } else if (!p->rc) {
        p->rc = -ENOMEM;
    }
    free(src);
    free(dst);
    return p->rc;
}

int lf_wlp_command(wl_plan *p, lf_wl_label l)
{
    switch (l) {
    case LF_WL_MKDIR: return cmd_mkdir(p);
    case LF_WL_TOUCH: return cmd_touch(p);
    case LF_WL_WRITE: return cmd_write(p);
    case LF_WL_READ: return cmd_read(p);
    case LF_WL_RM: return cmd_rm(p);
    case LF_WL_RMDIR: return cmd_rmdir(p);
    case LF_WL_CHMOD: return cmd_chmod(p);
    case LF_WL_CHOWN: return cmd_chown(p);
    case LF_WL_LS: return cmd_ls(p);
    case LF_WL_READLINK: return cmd_readlink(p);
    case LF_WL_TRUNCATE: return cmd_truncate(p, !p->grow);
    case LF_WL_RENAME: return cmd_rename(p);
    case LF_WL_SYMLINK: return cmd_symlink(p);
    case LF_WL_APPEND: return cmd_append(p);
    case LF_WL_CP: return cmd_cp(p);
    case LF_WL_RMR: return cmd_rmr(p);
    case LF_WL_PWRITE: return cmd_pwrite(p);
    case LF_WL_HOLE: return cmd_hole(p);
    default: return cmd_ls(p);
    }
}
