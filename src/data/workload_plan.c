/* workload_plan.c: the planner's helpers (workload_int.h): picking nodes,
 * paths and fresh names, and appending calls to a command. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/content.h"
#include "data/workload_int.h"

const lf_node *lf_wlp_pick(wl_plan *p, const wl_nodes *s)
{
    return s->n ? s->v[lf_rng_below(&p->w->rng, s->n)] : NULL;
}

size_t lf_wlp_count_nonempty(const wl_cands *c)
{
    size_t k = 0;
    for (size_t i = 0; i < c->files.n; i++)
        k += c->files.v[i]->size > 0;
    return k;
}

/* A file with content, uniformly; NULL (and no draw) when there is none. */
const lf_node *lf_wlp_pick_nonempty(wl_plan *p)
{
    const wl_nodes *s = &p->c.files;
    size_t k = lf_wlp_count_nonempty(&p->c);
    if (!k)
        return NULL;
    uint64_t j = lf_rng_below(&p->w->rng, k);
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i]->size > 0 && !j--)
            return s->v[i];
    return NULL; /* not reached */
}

/* The file a write, append or truncate changes: one with content
 * w->nonempty_pct% of the time when there is one, else any file. With
 * nonempty_pct 0 it draws exactly as lf_wlp_pick (the same rows as before). */
const lf_node *lf_wlp_pick_sized(wl_plan *p)
{
    const wl_nodes *s = &p->c.files;
    if (!p->w->nonempty_pct || !lf_rng_pct(&p->w->rng, p->w->nonempty_pct))
        return lf_wlp_pick(p, s);
    const lf_node *f = lf_wlp_pick_nonempty(p);
    return f ? f : lf_wlp_pick(p, s);
}

/* A directory to create in: the root 35% of the time (trees stay shallow-ish). */
const lf_node *lf_wlp_pick_dir(wl_plan *p)
{
    if (lf_rng_pct(&p->w->rng, 35))
        return p->st->root;
    return lf_wlp_pick(p, &p->c.dirs);
}

/* Absolute path of a node (malloc'd) or NULL. */
char *lf_wlp_abspath(const lf_node *n)
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
char *lf_wlp_join(const lf_node *dir, const char *name)
{
    char *d = lf_wlp_abspath(dir);
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
char *lf_wlp_fresh_name(wl_plan *p, const lf_node *dir, bool is_dir)
{
    for (int tries = 0; tries < 8; tries++) {
        lf_buf_reset(&p->tmp);
        if (lf_wl_name(p->w, is_dir, &p->tmp))
            return NULL;
        if (!dir || !lf_node_find_child(dir, p->tmp.data))
            return strdup(p->tmp.data);
    }
    lf_buf_printf(&p->tmp, "_%llu", (unsigned long long)lf_rng_below(&p->w->rng, 100000));
    return strdup(p->tmp.data);
}

lf_call *lf_wlp_add(wl_plan *p, lf_call_kind k, char *path_owned)
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

void lf_wlp_set_path2(wl_plan *p, lf_call *c, char *s)
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
void lf_wlp_set_content(wl_plan *p, lf_call *c, const char *key, unsigned variant, size_t max)
{
    if (!c)
        return;
    lf_buf b;
    lf_buf_init(&b, 0);
    lf_body_class k = lf_wl_body_class(p->w);
    int rc = k == LF_BODY_TEMPLATE ? lf_content_make(key, variant, max, &b)
                                   : lf_wl_body_of(&p->w->rng, k, max ? max : LF_CONTENT_MAX, &b);
    if (rc) {
        p->rc = rc;
        lf_buf_free(&b);
        return;
    }
    c->data = (unsigned char *)lf_buf_steal(&b, &c->len);
    if (!c->data)
        p->rc = -ENOMEM;
}

void lf_wlp_mkdir(wl_plan *p, char *path, unsigned mode)
{
    lf_call *c = lf_wlp_add(p, LF_CALL_MKDIR, path);
    if (c)
        c->mode = mode;
}

lf_call *lf_wlp_open(wl_plan *p, char *path, int flags, unsigned mode, int slot)
{
    lf_call *c = lf_wlp_add(p, LF_CALL_OPEN, path);
    if (c) {
        c->flags = flags;
        c->mode = mode;
        c->slot = slot;
    }
    return c;
}

void lf_wlp_close(wl_plan *p, int slot)
{
    lf_call *c = lf_wlp_add(p, LF_CALL_CLOSE, strdup(""));
    if (c)
        c->slot = slot;
}

const unsigned lf_wlp_file_modes[16] = {0644, 0644, 0644, 0600, 0664, 0755, 0700, 0444, 0640, 0400,
                                       0666, 04755, 02755, 06750, 02644, 0000};
const unsigned lf_wlp_dir_modes[10] = {0755, 0755, 0755, 0700, 0775, 0750, 0777, 01777, 0555, 0711};

unsigned lf_wlp_new_file_mode(wl_plan *p, const char *name)
{
    size_t n = strlen(name);
    if (n > 3 && !strcmp(name + n - 3, ".sh"))
        return 0755;
    return lf_rng_pct(&p->w->rng, 80) ? 0644 : LF_RNG_PICK(&p->w->rng, lf_wlp_file_modes);
}

unsigned lf_wlp_new_dir_mode(wl_plan *p)
{
    return lf_rng_pct(&p->w->rng, 75) ? 0755 : LF_RNG_PICK(&p->w->rng, lf_wlp_dir_modes);
}

/* The reads `cat` makes of a file of size sz with buffer bs: until one
 * returns 0 bytes. */
void lf_wlp_plan_reads(wl_plan *p, const char *path, int slot, uint64_t sz, uint64_t bs, int copy_to)
{
    uint64_t off = 0;
    for (int i = 0; i < 64; i++) {
        lf_call *r = lf_wlp_add(p, LF_CALL_READ, strdup(path));
        if (!r)
            return;
        r->slot = slot;
        r->size = bs;
        r->offset = (long long)off;
        if (off >= sz)
            return;
        uint64_t got = sz - off < bs ? sz - off : bs;
        if (copy_to >= 0) {
            lf_call *wr = lf_wlp_add(p, LF_CALL_WRITE, strdup(""));
            if (!wr)
                return;
            wr->slot = copy_to;
            wr->copy_from = slot;
            wr->offset = (long long)off;
        }
        off += got;
    }
}

bool lf_wlp_is_within(const lf_node *n, const lf_node *anc)
{
    for (; n; n = n->parent)
        if (n == anc)
            return true;
    return false;
}

/* A path under dir that does not exist. */
char *lf_wlp_missing_in(wl_plan *p, const lf_node *dir, bool is_dir)
{
    char *name = lf_wlp_fresh_name(p, dir, is_dir);
    char *s = name ? lf_wlp_join(dir, name) : NULL;
    free(name);
    return s;
}
