/* seed.c: the original's labels against our oracle (seed.h).
 *
 * Each known label fault is an alternative semantics applied to the
 * prompt's state; subsets of faults are tried smallest first, and the first
 * one whose result equals the label explains the row. Only faults that can
 * touch the row's operation are tried, so an explanation is never a
 * coincidence of unrelated rewrites. */
#include "proto/seed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/apply.h"
#include "util/text.h"

static const char *const fault_names[LF_SEED__NFAULTS] = {
    "mkdir-p-collapsed", "created-by-earlier-call", "hidden-o-trunc",
    "create-remove-collapsed", "symlink-flattened", "control-bytes-stripped",
};

const char *lf_seed_fault_name(unsigned bit)
{
    for (int i = 0; i < LF_SEED__NFAULTS; i++)
        if (bit == 1u << i)
            return fault_names[i];
    return NULL;
}

bool lf_seed_op_fixup(lf_op *op)
{
    static const char root[] = "/fuse_root/";
    if (op->kind != LF_OP_SYMLINK || !op->path)
        return false;
    char *p = strstr(op->path, root);
    if (!p)
        return false;
    memmove(op->path, p + sizeof root - 2, strlen(p + sizeof root - 2) + 1);
    return true;
}

/* Which faults can bear on an operation. */
static unsigned relevant(lf_op_kind k)
{
    switch (k) {
    case LF_OP_MKDIR: return LF_SEED_MKDIR_P | LF_SEED_STRIPPED;
    case LF_OP_WRITE: return LF_SEED_CREATED | LF_SEED_O_TRUNC | LF_SEED_STRIPPED;
    case LF_OP_TRUNCATE: case LF_OP_CHMOD: case LF_OP_CHOWN:
        return LF_SEED_CREATED | LF_SEED_STRIPPED;
    case LF_OP_UNLINK: case LF_OP_RMDIR: return LF_SEED_TRANSIENT | LF_SEED_STRIPPED;
    case LF_OP_SYMLINK: return LF_SEED_SYMLINK_FLAT | LF_SEED_STRIPPED;
    case LF_OP_CREATE: case LF_OP_RENAME: return LF_SEED_STRIPPED;
    default: return LF_SEED_STRIPPED;
    }
}

/* ---- the alternative semantics ---- */

/* mkdir -p: creates every missing ancestor of path (mode 755). */
static int make_parents(lf_state *st, const char *path)
{
    size_t n = strlen(path);
    char *buf = malloc(n + 1);
    if (!buf)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 1; i < n; i++) {
        if (path[i] != '/')
            continue;
        memcpy(buf, path, i);
        buf[i] = '\0';
        if (lf_state_lookup(st, buf, NULL))
            continue;
        lf_op mk = {.kind = LF_OP_MKDIR, .path = buf, .mode = 040755};
        rc = lf_state_apply(st, &mk, NULL);
        if (rc)
            break;
    }
    free(buf);
    return rc;
}

/* Resolves a symlink's content from its directory, following links and
 * ".." as the kernel would (at most 40 links). NULL if dangling. */
static const lf_node *follow(const lf_state *st, const lf_node *dir, const char *target, int depth)
{
    if (depth > 40)
        return NULL;
    const lf_node *cur = target[0] == '/' ? st->root : dir;
    const char *p = target;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char comp[LF_STATE_MAX_NAME + 1];
        if (n > LF_STATE_MAX_NAME)
            return NULL;
        memcpy(comp, p, n);
        comp[n] = '\0';
        p += n;
        if (cur->kind != LF_NODE_DIR)
            return NULL;
        if (!strcmp(comp, "."))
            continue;
        if (!strcmp(comp, "..")) {
            cur = cur->parent ? cur->parent : cur;
            continue;
        }
        const lf_node *k = lf_node_find_child(cur, comp);
        if (!k)
            return NULL;
        if (k->kind == LF_NODE_LINK) {
            k = follow(st, cur, k->target ? k->target : "", depth + 1);
            if (!k)
                return NULL;
        }
        cur = k;
    }
    return cur;
}

/* The original's snapshot of a symlink (os.walk + os.stat): a file copy of
 * its target, an empty directory for a directory, nothing when dangling. */
static int flatten_links(lf_state *st, lf_node *dir)
{
    for (size_t i = 0; i < dir->nkids;) {
        lf_node *k = dir->kids[i];
        if (k->kind == LF_NODE_DIR) {
            int rc = flatten_links(st, k);
            if (rc)
                return rc;
            i++;
            continue;
        }
        if (k->kind != LF_NODE_LINK) {
            i++;
            continue;
        }
        const lf_node *t = follow(st, dir, k->target ? k->target : "", 0);
        if (!t) {
            lf_node_detach(k);
            lf_node_free(k);
            continue; /* kids shifted down */
        }
        lf_node *c = lf_node_new(t->kind, k->name, t->mode, t->owner, t->group);
        if (!c || (t->kind == LF_NODE_FILE && lf_node_set_data(c, t->data, t->size))) {
            lf_node_free(c);
            return -ENOMEM;
        }
        dir->kids[i] = c; /* same name: same place */
        c->parent = dir;
        lf_node_free(k);
        i++;
    }
    return 0;
}

/* The generator's sanitize_text_block: bytes 0x00-0x1F other than tab, LF,
 * CR, and 0x7F removed from every body. Returns how many were removed. */
static size_t strip_bodies(lf_node *n)
{
    size_t removed = 0;
    if (n->kind == LF_NODE_FILE && n->size) {
        size_t w = 0;
        for (size_t r = 0; r < n->size; r++) {
            unsigned char c = n->data[r];
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
                continue;
            n->data[w++] = c;
        }
        removed += n->size - w;
        n->size = w;
    }
    for (size_t i = 0; i < n->nkids; i++)
        removed += strip_bodies(n->kids[i]);
    return removed;
}

/* Applies op to a clone of st under the faults in f. *out is NULL when the
 * operation fails under them. */
static int alt_apply(const lf_state *st, const lf_op *op, unsigned f, lf_state **out)
{
    *out = NULL;
    lf_state *s = lf_state_clone(st);
    if (!s)
        return -ENOMEM;
    int rc = 0;
    lf_node *n = op->path ? lf_state_lookup(s, op->path, NULL) : NULL;
    if ((f & LF_SEED_MKDIR_P) && (rc = make_parents(s, op->path)) != 0)
        goto fail;
    if ((f & LF_SEED_CREATED) && !n) {
        lf_op cr = {.kind = LF_OP_CREATE, .path = op->path, .mode = 0100644};
        if ((rc = lf_state_apply(s, &cr, NULL)) != 0)
            goto fail;
        n = lf_state_lookup(s, op->path, NULL);
    }
    if ((f & LF_SEED_O_TRUNC) && n && n->kind == LF_NODE_FILE)
        lf_node_set_data(n, NULL, 0);
    if ((f & LF_SEED_TRANSIENT) && !n) {
        *out = s; /* created and removed again: nothing to see */
        return 0;
    }
    if ((rc = lf_state_apply(s, op, NULL)) != 0)
        goto fail;
    if ((f & LF_SEED_SYMLINK_FLAT) && (rc = flatten_links(s, s->root)) != 0)
        goto fail;
    if (f & LF_SEED_STRIPPED)
        strip_bodies(s->root);
    *out = s;
    return 0;
fail:
    lf_state_free(s);
    return rc < 0 ? rc : 0;
}

/* ---- one row ---- */

int lf_seed_verdict_category(const lf_seed_verdict *v, lf_buf *out)
{
    lf_buf_reset(out);
    if (v->exact)
        return lf_buf_puts(out, "exact");
    if (!v->explained)
        return lf_buf_printf(out, "unexplained: %s", v->reason);
    int rc = 0;
    bool first = true;
    for (int i = 0; !rc && i < LF_SEED__NFAULTS; i++) {
        if (!(v->faults & (1u << i)))
            continue;
        rc = lf_buf_printf(out, "%s%s", first ? "" : "+", fault_names[i]);
        first = false;
    }
    return rc;
}

static int popcount(unsigned x)
{
    int c = 0;
    for (; x; x &= x - 1)
        c++;
    return c;
}

/* Does the alternative state reproduce the <W> label? Byte for byte unless
 * stripping is among the faults; then tree for tree against the label read
 * leniently, and only if the label really shows stripped bytes. */
static bool reproduces(const lf_state *alt, unsigned f, const char *label, size_t llen,
                       const lf_state *label_tree, int label_warnings, int prompt_warnings)
{
    if (f & LF_SEED_STRIPPED)
        return label_tree && (label_warnings > 0 || prompt_warnings > 0) &&
               lf_state_equal(alt, label_tree);
    lf_buf b;
    lf_buf_init(&b, 0);
    bool same = lf_state_serialize(alt, &b) == 0 && lf_buf_puts(&b, "\n<END_FS>") == 0 &&
                b.len == llen && memcmp(b.data, label, llen) == 0;
    lf_buf_free(&b);
    return same;
}

int lf_seed_check_row(const char *prompt, size_t plen, const char *label, size_t llen,
                      lf_buf *oracle_completion, lf_seed_verdict *v)
{
    memset(v, 0, sizeof *v);
    lf_op op;
    lf_state *st = NULL, *label_tree = NULL;
    lf_answer ans = {0};
    lf_err e;
    lf_buf mine;
    lf_buf_init(&mine, 0);
    int rc = lf_prompt_parse(prompt, plen, LF_PARSE_LENIENT, &op, &st, &v->prompt_warnings, &e);
    if (rc == -ENOMEM)
        return rc;
    if (rc) {
        snprintf(v->reason, sizeof v->reason, "prompt does not parse: %.200s", e.msg);
        return 0;
    }
    v->parsed = true;
    v->op = op.kind;
    lf_seed_op_fixup(&op);
    rc = lf_oracle_answer(st, &op, &ans);
    if (!rc)
        rc = lf_completion_render(&op, &ans, &mine);
    if (rc)
        goto out;
    if (oracle_completion) {
        lf_buf_reset(oracle_completion);
        if ((rc = lf_buf_append(oracle_completion, mine.data, mine.len)) != 0)
            goto out;
    }
    if (mine.len == llen && memcmp(mine.data, label, llen) == 0) {
        v->exact = true;
        goto out;
    }
    if (!lf_op_is_write(op.kind)) {
        snprintf(v->reason, sizeof v->reason, "%s answer differs (%zu bytes vs label's %zu)",
                 lf_op_name(op.kind), mine.len, llen);
        goto out;
    }
    int label_warnings = 0;
    size_t cut = lf_completion_cut(label, llen);
    if (cut > 0 && label[cut - 1] == '\n')
        cut--;
    if (lf_state_parse(label, cut, LF_PARSE_LENIENT, &label_tree, &label_warnings, NULL) != 0)
        label_tree = NULL;
    unsigned rel = relevant(op.kind);
    for (int size = 1; size <= LF_SEED__NFAULTS && !v->explained; size++) {
        for (unsigned f = 1; f < (1u << LF_SEED__NFAULTS) && !v->explained; f++) {
            if (popcount(f) != size || (f & ~rel))
                continue;
            lf_state *alt = NULL;
            if ((rc = alt_apply(st, &op, f, &alt)) != 0)
                goto out;
            if (alt && reproduces(alt, f, label, llen, label_tree, label_warnings,
                                  v->prompt_warnings)) {
                v->explained = true;
                v->faults = f;
            }
            lf_state_free(alt);
        }
    }
    if (!v->explained) {
        if (ans.kind == LF_ANS_ERROR)
            snprintf(v->reason, sizeof v->reason, "oracle says %s, label is a state",
                     lf_errno_name(ans.err) ? lf_errno_name(ans.err) : "an error");
        else if (label_tree && lf_state_equal(ans.state, label_tree))
            snprintf(v->reason, sizeof v->reason, "same tree, different bytes (serialiser?)");
        else
            snprintf(v->reason, sizeof v->reason, "different state");
    }
out:
    lf_answer_free(&ans);
    lf_state_free(st);
    lf_state_free(label_tree);
    lf_op_free(&op);
    lf_buf_free(&mine);
    return rc;
}
