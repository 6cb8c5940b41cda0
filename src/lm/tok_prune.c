/* tok_prune.c: lf_tok_prune_gguf (tok.h): a model's tokenizer without the
 * merges its training data hardly ever made. A byte-level BPE trained on
 * one corpus keeps merges that the model's training data (random names,
 * other contents) seldom or never produces; the model never learned those
 * tokens, so a held-out name that happens to hold one is copied wrong in
 * every state that carries it. Without the merge, the name is encoded with
 * the smaller tokens the merge was made of. */
#include "lm/tok.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t piece_len(const lf_tok *t, int32_t id)
{
    const char *p;
    size_t n = 0;
    return lf_tok_piece(t, id, &p, &n) ? 0 : n;
}

/* The merges, longest token first (qsort_r: ctx is the tokenizer). */
static int cmp_made_len(const void *x, const void *y, void *ctx)
{
    const lf_tok *t = ctx;
    size_t a = piece_len(t, ((const lf_tok_merge *)x)->made),
           b = piece_len(t, ((const lf_tok_merge *)y)->made);
    return (a < b) - (a > b);
}

/* made[i] = counts[i] + made[x] for each merge that makes x from i (twice
 * for x = i + i). A merge's token is longer than either part, so taking the
 * merges longest token first completes a token's count before its parts
 * take it. A token that two merges make passes its whole count to both
 * (more than it is made from either: fewer merges left out, never more). */
static int made_counts(const lf_tok *t, lf_tok_merge *m, size_t nm, const uint64_t *counts,
                       uint64_t **out)
{
    size_t nv = lf_tok_vocab_size(t);
    uint64_t *made = malloc((nv ? nv : 1) * sizeof *made);
    if (!made)
        return -ENOMEM;
    memcpy(made, counts, nv * sizeof *made);
    qsort_r(m, nm, sizeof *m, cmp_made_len, (void *)t);
    for (size_t i = 0; i < nm; i++) {
        uint64_t c = made[m[i].made];
        made[m[i].a] = made[m[i].a] > UINT64_MAX - c ? UINT64_MAX : made[m[i].a] + c;
        made[m[i].b] = made[m[i].b] > UINT64_MAX - c ? UINT64_MAX : made[m[i].b] + c;
    }
    *out = made;
    return 0;
}

/* w gets g's keys but the merges and the pruned count, and its tensors. */
static int copy_rest(lf_gguf_writer *w, const lf_gguf *g)
{
    int rc = 0;
    for (uint64_t i = 0; !rc && i < g->n_kv; i++) {
        const lf_gguf_str *k = &g->kv[i].key;
        if ((k->len == strlen("tokenizer.ggml.merges") &&
             !memcmp(k->s, "tokenizer.ggml.merges", k->len)) ||
            (k->len == strlen(LF_TOK_PRUNED_KEY) && !memcmp(k->s, LF_TOK_PRUNED_KEY, k->len)))
            continue;
        rc = lf_gguf_set_kv(w, &g->kv[i]);
    }
    for (uint64_t i = 0; !rc && i < g->n_tensors; i++) {
        const lf_gguf_tensor *x = &g->tensors[i];
        char name[257];
        if (x->name.len >= sizeof name)
            return -EINVAL;
        memcpy(name, x->name.s, x->name.len);
        name[x->name.len] = 0;
        rc = lf_gguf_add_tensor(w, name, x->type, x->n_dims, x->ne, x->data);
    }
    return rc;
}

int lf_tok_prune_gguf(const lf_gguf *g, const lf_tok *t, const uint64_t *counts, uint64_t min,
                      const char *path, size_t *pruned, uint64_t **made_counts_out,
                      lf_err *err)
{
    const lf_gguf_kv *mk;
    if (lf_gguf_get_arr(g, "tokenizer.ggml.merges", LF_GGUF_STRING, &mk))
        return lf_err_set(err, EINVAL, "tokenizer.ggml.merges missing or not strings");
    lf_tok_merge *m = NULL;
    size_t nm = 0, n = 0;
    uint64_t *made = NULL, prev = 0;
    bool *drop = calloc(mk->arr_len ? mk->arr_len : 1, sizeof *drop);
    const char **v = malloc((mk->arr_len ? mk->arr_len : 1) * sizeof *v);
    size_t *lens = malloc((mk->arr_len ? mk->arr_len : 1) * sizeof *lens);
    lf_gguf_writer *w = lf_gguf_writer_new();
    int rc = !drop || !v || !lens || !w ? -ENOMEM : lf_tok_merges(t, &m, &nm);
    if (!rc)
        rc = made_counts(t, m, nm, counts, &made);
    if (rc) {
        lf_err_set(err, -rc, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nm; i++)
        if (made[m[i].made] < min && (uint64_t)m[i].rank < mk->arr_len) {   /* one per rank */
            drop[m[i].rank] = true;
            n++;
        }
    size_t k = 0;
    for (uint64_t r = 0; r < mk->arr_len; r++)
        if (!drop[r]) {
            v[k] = mk->arr_strs[r].s;
            lens[k++] = mk->arr_strs[r].len;
        }
    lf_gguf_get_u64(g, LF_TOK_PRUNED_KEY, &prev);   /* 0 when not pruned before */
    if ((rc = copy_rest(w, g)) ||
        (rc = lf_gguf_set_arr_str(w, "tokenizer.ggml.merges", v, lens, k)) ||
        (rc = lf_gguf_set_u32(w, LF_TOK_PRUNED_KEY, (uint32_t)(prev + n)))) {
        lf_err_set(err, -rc, "cannot copy the model's metadata and tensors");
        goto out;
    }
    rc = lf_gguf_write(w, path, err);
out:
    if (!rc && pruned)
        *pruned = n;
    if (!rc && made_counts_out) {
        *made_counts_out = made;
        made = NULL;
    }
    lf_gguf_writer_free(w);
    free(m);
    free(made);
    free(drop);
    free(v);
    free(lens);
    return rc;
}
