/* tree.c: the in-memory state tree (state.h): nodes, sorted children,
 * lookup by path, deep copy, equality and the small edits the oracle and the
 * snapshotter make. The XML side lives in xml_parse.c and xml_write.c.
 *
 * Invariant kept by every function here: a directory's kids[] is sorted
 * bytewise (strcmp, which compares as unsigned char) by name and holds no
 * two equal names, so find_child is a binary search and serialisation never
 * sorts. */
#include "state/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

lf_node *lf_node_new(lf_node_kind kind, const char *name, unsigned mode,
                     const char *owner, const char *group)
{
    lf_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->mode = mode & 07777;
    n->name = dupstr(name ? name : "");
    n->owner = dupstr(owner ? owner : "root");
    n->group = dupstr(group ? group : "root");
    if (!n->name || !n->owner || !n->group) {
        lf_node_free(n);
        return NULL;
    }
    return n;
}

void lf_node_free(lf_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        lf_node_free(n->kids[i]);
    free(n->kids);
    free(n->name);
    free(n->owner);
    free(n->group);
    free(n->data);
    free(n->target);
    free(n);
}

/* Index of name in dir's kids if present (*found = true), else the index
 * where it would be inserted. */
static size_t kid_index(const lf_node *dir, const char *name, bool *found)
{
    size_t lo = 0, hi = dir->nkids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(dir->kids[mid]->name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

lf_node *lf_node_find_child(const lf_node *dir, const char *name)
{
    if (!dir || dir->kind != LF_NODE_DIR || !name)
        return NULL;
    bool found;
    size_t i = kid_index(dir, name, &found);
    return found ? dir->kids[i] : NULL;
}

int lf_node_add_child(lf_node *dir, lf_node *child)
{
    if (!dir || dir->kind != LF_NODE_DIR || !child)
        return -EINVAL;
    size_t i;
    bool found = false;
    /* Appending in order (parser, snapshot) is the common case: O(1). */
    if (dir->nkids == 0 || strcmp(dir->kids[dir->nkids - 1]->name, child->name) < 0)
        i = dir->nkids;
    else
        i = kid_index(dir, child->name, &found);
    if (found)
        return -EEXIST;
    if (dir->nkids == dir->capkids) {
        size_t cap = dir->capkids ? dir->capkids * 2 : 4;
        lf_node **k = realloc(dir->kids, cap * sizeof *k);
        if (!k)
            return -ENOMEM;
        dir->kids = k;
        dir->capkids = cap;
    }
    memmove(dir->kids + i + 1, dir->kids + i, (dir->nkids - i) * sizeof *dir->kids);
    dir->kids[i] = child;
    dir->nkids++;
    child->parent = dir;
    return 0;
}

void lf_node_detach(lf_node *n)
{
    if (!n || !n->parent)
        return;
    lf_node *dir = n->parent;
    bool found;
    size_t i = kid_index(dir, n->name, &found);   /* O(log n) when sorted */
    if (!found || dir->kids[i] != n)               /* name changed in place */
        for (i = 0; i < dir->nkids && dir->kids[i] != n; i++)
            ;
    if (i < dir->nkids) {
        memmove(dir->kids + i, dir->kids + i + 1, (dir->nkids - i - 1) * sizeof *dir->kids);
        dir->nkids--;
    }
    n->parent = NULL;
}

int lf_node_set_data(lf_node *file, const void *data, size_t n)
{
    unsigned char *p = NULL;
    if (n) {
        p = malloc(n);
        if (!p)
            return -ENOMEM;
        memcpy(p, data, n);
    }
    free(file->data);
    file->data = p;
    file->size = n;
    return 0;
}

int lf_node_set_str(char **field, const char *s)
{
    char *p = dupstr(s ? s : "");
    if (!p)
        return -ENOMEM;
    free(*field);
    *field = p;
    return 0;
}

lf_state *lf_state_new(const char *owner, const char *group)
{
    lf_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->root = lf_node_new(LF_NODE_DIR, "/", 0755, owner, group);
    if (!st->root) {
        free(st);
        return NULL;
    }
    return st;
}

void lf_state_free(lf_state *st)
{
    if (!st)
        return;
    lf_node_free(st->root);
    free(st);
}

static lf_node *node_clone(const lf_node *n, lf_node *parent)
{
    lf_node *c = lf_node_new(n->kind, n->name, n->mode, n->owner, n->group);
    if (!c)
        return NULL;
    c->parent = parent;
    if (n->kind == LF_NODE_FILE && lf_node_set_data(c, n->data, n->size))
        goto fail;
    if (n->kind == LF_NODE_LINK && lf_node_set_str(&c->target, n->target ? n->target : ""))
        goto fail;
    if (n->nkids) {
        c->kids = malloc(n->nkids * sizeof *c->kids);
        if (!c->kids)
            goto fail;
        c->capkids = n->nkids;
        for (size_t i = 0; i < n->nkids; i++) {
            c->kids[i] = node_clone(n->kids[i], c);
            if (!c->kids[i])
                goto fail;
            c->nkids++;
        }
    }
    return c;
fail:
    lf_node_free(c);
    return NULL;
}

lf_state *lf_state_clone(const lf_state *st)
{
    if (!st)
        return NULL;
    lf_state *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->root = node_clone(st->root, NULL);
    if (!c->root) {
        free(c);
        return NULL;
    }
    return c;
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Equal iff the serialisations are equal: every serialised field compared. */
static bool node_equal(const lf_node *a, const lf_node *b)
{
    if (a->kind != b->kind || (a->mode & 07777) != (b->mode & 07777) ||
        !str_eq(a->name, b->name) || !str_eq(a->owner, b->owner) || !str_eq(a->group, b->group))
        return false;
    switch (a->kind) {
    case LF_NODE_FILE:
        return a->size == b->size && (a->size == 0 || memcmp(a->data, b->data, a->size) == 0);
    case LF_NODE_LINK:
        return str_eq(a->target, b->target);
    case LF_NODE_DIR:
        if (a->nkids != b->nkids)
            return false;
        for (size_t i = 0; i < a->nkids; i++)
            if (!node_equal(a->kids[i], b->kids[i]))
                return false;
        return true;
    }
    return false;
}

bool lf_state_equal(const lf_state *a, const lf_state *b)
{
    if (!a || !b)
        return a == b;
    return node_equal(a->root, b->root);
}

lf_node *lf_state_lookup(const lf_state *st, const char *path, lf_node **parent_out)
{
    if (parent_out)
        *parent_out = NULL;
    if (!st || !path || path[0] != '/')
        return NULL;
    lf_node *cur = st->root;
    const char *p = path + 1;
    if (*p == 0)
        return cur;
    char comp[256];
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || n >= sizeof comp)
            return NULL;          /* "//", trailing "/", or longer than NAME_MAX */
        memcpy(comp, p, n);
        comp[n] = 0;
        lf_node *next = lf_node_find_child(cur, comp);
        if (!slash) {
            if (!next && parent_out)
                *parent_out = cur;
            return next;
        }
        if (!next)
            return NULL;
        cur = next;
        p = slash + 1;
    }
}

int lf_node_relpath(const lf_node *n, lf_buf *out)
{
    lf_buf_reset(out);
    if (!n->parent)
        return lf_buf_puts(out, "/");
    size_t total = 0;
    for (const lf_node *q = n; q->parent; q = q->parent)
        total += strlen(q->name) + 1;
    int rc = lf_buf_reserve(out, total);
    if (rc)
        return rc;
    /* Fill from the end backwards, then publish the length. */
    size_t end = total - 1, pos = end;
    for (const lf_node *q = n; q->parent; q = q->parent) {
        size_t l = strlen(q->name);
        pos -= l;
        memcpy(out->data + pos, q->name, l);
        if (q->parent->parent)
            out->data[--pos] = '/';
    }
    out->len = end;
    out->data[end] = 0;
    return 0;
}

static size_t node_count(const lf_node *n)
{
    size_t c = 1;
    for (size_t i = 0; i < n->nkids; i++)
        c += node_count(n->kids[i]);
    return c;
}

size_t lf_state_count(const lf_state *st)
{
    return st && st->root ? node_count(st->root) : 0;
}
