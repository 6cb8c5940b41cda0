/* bpe_train.c: byte-level BPE training (see bpe_train.h).
 *
 * Data: unique words (symbol arrays with a count); a pair table (hash of
 * (left, right) ids -> count and the list of words that held the pair); a
 * max-heap of (count, pair) with lazy updates: a popped entry whose count is
 * stale is pushed back with its current count (counts of old pairs only
 * fall), pairs created by a merge are pushed after it. A merge rewrites only
 * the words on the merged pair's list, adjusting neighbour pair counts.
 */
#include "lm/bpe_train.h"

#include <stdlib.h>
#include <string.h>

#include "lm/pretok.h"
#include "lm/tok_int.h"
#include "util/buf.h"

typedef struct word {
    int32_t *s;
    uint32_t n;
    int64_t count;
} word;

typedef struct pair {
    uint64_t key;
    int64_t count;
    uint32_t *where;   /* word indices (may repeat; stale entries are harmless) */
    uint32_t nw, cw;
    bool fresh;        /* count rose during the current merge: push it after */
    bool merged;       /* already in the merge list (see the train loop) */
} pair;

typedef struct hent {
    int64_t count;
    uint64_t key;
} hent;

struct lf_bpe_trainer {
    char **spec;
    size_t *spec_len;
    int32_t *spec_type;
    size_t n_spec;
    /* words: hash of bytes -> index */
    word *w;
    char **wtext;
    size_t *wlen;
    size_t nw, cw;
    uint32_t *wtab;   /* index + 1; 0 empty */
    size_t wmask;
    /* pairs */
    pair *p;
    size_t np, cp;
    uint32_t *ptab;   /* index + 1; 0 empty */
    size_t pmask;
    hent *heap;
    size_t nh, ch;
    uint32_t *fresh;   /* indices of pairs whose count rose in this merge */
    size_t nf, cf;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h ^ (h >> 31);
}

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static uint64_t pkey(int32_t a, int32_t b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }

lf_bpe_trainer *lf_bpe_trainer_new(const char *const *specials, const int32_t *types, size_t n)
{
    lf_bpe_trainer *tr = calloc(1, sizeof *tr);
    if (!tr)
        return NULL;
    tr->spec = calloc(n ? n : 1, sizeof *tr->spec);
    tr->spec_len = calloc(n ? n : 1, sizeof *tr->spec_len);
    tr->spec_type = calloc(n ? n : 1, sizeof *tr->spec_type);
    tr->wmask = 1023;
    tr->wtab = calloc(tr->wmask + 1, sizeof *tr->wtab);
    if (!tr->spec || !tr->spec_len || !tr->spec_type || !tr->wtab)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (!specials[i][0] || !(tr->spec[i] = strdup(specials[i])))
            goto fail;
        tr->n_spec++;
        tr->spec_len[i] = strlen(specials[i]);
        tr->spec_type[i] = types ? types[i] : LF_TOKEN_CONTROL;
    }
    return tr;
fail:
    lf_bpe_trainer_free(tr);
    return NULL;
}

void lf_bpe_trainer_free(lf_bpe_trainer *tr)
{
    if (!tr)
        return;
    for (size_t i = 0; i < tr->n_spec; i++)
        free(tr->spec[i]);
    free(tr->spec);
    free(tr->spec_len);
    free(tr->spec_type);
    for (size_t i = 0; i < tr->nw; i++) {
        free(tr->w[i].s);
        free(tr->wtext[i]);
    }
    free(tr->w);
    free(tr->wtext);
    free(tr->wlen);
    free(tr->wtab);
    for (size_t i = 0; i < tr->np; i++)
        free(tr->p[i].where);
    free(tr->p);
    free(tr->ptab);
    free(tr->heap);
    free(tr->fresh);
    free(tr);
}

/* ---- word counting ---- */

static int wtab_grow(lf_bpe_trainer *tr)
{
    size_t nm = (tr->wmask + 1) * 2 - 1;
    uint32_t *nt = calloc(nm + 1, sizeof *nt);
    if (!nt)
        return -ENOMEM;
    for (size_t i = 0; i < tr->nw; i++) {
        size_t h = hash_bytes(tr->wtext[i], tr->wlen[i]) & nm;
        while (nt[h])
            h = (h + 1) & nm;
        nt[h] = (uint32_t)i + 1;
    }
    free(tr->wtab);
    tr->wtab = nt;
    tr->wmask = nm;
    return 0;
}

static int add_word(void *ctx, const char *p, size_t n)
{
    lf_bpe_trainer *tr = ctx;
    size_t h = hash_bytes(p, n) & tr->wmask;
    for (; tr->wtab[h]; h = (h + 1) & tr->wmask) {
        size_t i = tr->wtab[h] - 1;
        if (tr->wlen[i] == n && !memcmp(tr->wtext[i], p, n)) {
            tr->w[i].count++;
            return 0;
        }
    }
    if (tr->nw >= UINT32_MAX - 1 || n > UINT32_MAX)
        return -E2BIG;
    if (tr->nw == tr->cw) {
        size_t nc = tr->cw ? 2 * tr->cw : 1024;
        word *nw = realloc(tr->w, nc * sizeof *nw);
        if (nw) tr->w = nw;
        char **nt = realloc(tr->wtext, nc * sizeof *nt);
        if (nt) tr->wtext = nt;
        size_t *nl = realloc(tr->wlen, nc * sizeof *nl);
        if (nl) tr->wlen = nl;
        if (!nw || !nt || !nl)
            return -ENOMEM;
        tr->cw = nc;
    }
    char *t = malloc(n);
    int32_t *s = malloc(n * sizeof *s);
    if (!t || !s) {
        free(t);
        free(s);
        return -ENOMEM;
    }
    memcpy(t, p, n);
    for (size_t i = 0; i < n; i++)
        s[i] = (unsigned char)p[i];
    size_t i = tr->nw++;
    tr->w[i] = (word){s, (uint32_t)n, 1};
    tr->wtext[i] = t;
    tr->wlen[i] = n;
    tr->wtab[h] = (uint32_t)i + 1;
    if (2 * tr->nw > tr->wmask)
        return wtab_grow(tr);
    return 0;
}

int lf_bpe_trainer_add(lf_bpe_trainer *tr, const char *text, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len;) {
        size_t k = 0;
        for (size_t j = 0; j < tr->n_spec && !k; j++)
            if (tr->spec_len[j] <= len - i && !memcmp(text + i, tr->spec[j], tr->spec_len[j]))
                k = tr->spec_len[j];
        if (!k) {
            i++;
            continue;
        }
        int rc = lf_pretok_split(text + start, i - start, add_word, tr);
        if (rc)
            return rc;
        i += k;
        start = i;
    }
    return lf_pretok_split(text + start, len - start, add_word, tr);
}

/* ---- pairs ---- */

static int ptab_grow(lf_bpe_trainer *tr)
{
    size_t nm = tr->pmask ? (tr->pmask + 1) * 2 - 1 : 4095;
    uint32_t *nt = calloc(nm + 1, sizeof *nt);
    if (!nt)
        return -ENOMEM;
    for (size_t i = 0; i < tr->np; i++) {
        size_t h = hash_u64(tr->p[i].key) & nm;
        while (nt[h])
            h = (h + 1) & nm;
        nt[h] = (uint32_t)i + 1;
    }
    free(tr->ptab);
    tr->ptab = nt;
    tr->pmask = nm;
    return 0;
}

static pair *pair_find(lf_bpe_trainer *tr, uint64_t key)
{
    for (size_t h = hash_u64(key) & tr->pmask; tr->ptab[h]; h = (h + 1) & tr->pmask)
        if (tr->p[tr->ptab[h] - 1].key == key)
            return &tr->p[tr->ptab[h] - 1];
    return NULL;
}

static pair *pair_get(lf_bpe_trainer *tr, uint64_t key)
{
    pair *p = pair_find(tr, key);
    if (p)
        return p;
    if (2 * (tr->np + 1) > tr->pmask && ptab_grow(tr))
        return NULL;
    if (tr->np == tr->cp) {
        size_t nc = tr->cp ? 2 * tr->cp : 4096;
        pair *np = realloc(tr->p, nc * sizeof *np);
        if (!np)
            return NULL;
        tr->p = np;
        tr->cp = nc;
    }
    size_t h = hash_u64(key) & tr->pmask;
    while (tr->ptab[h])
        h = (h + 1) & tr->pmask;
    tr->p[tr->np] = (pair){.key = key};
    tr->ptab[h] = (uint32_t)++tr->np;
    return &tr->p[tr->np - 1];
}

/* Adds delta (weighted count) to pair (a, b) seen in word wi. */
static int pair_add(lf_bpe_trainer *tr, int32_t a, int32_t b, int64_t delta, uint32_t wi)
{
    pair *p = pair_get(tr, pkey(a, b));
    if (!p)
        return -ENOMEM;
    p->count += delta;
    if (delta > 0) {
        if (!p->fresh) {
            if (tr->nf == tr->cf) {
                size_t nc = tr->cf ? 2 * tr->cf : 1024;
                uint32_t *nf = realloc(tr->fresh, nc * sizeof *nf);
                if (!nf)
                    return -ENOMEM;
                tr->fresh = nf;
                tr->cf = nc;
            }
            tr->fresh[tr->nf++] = (uint32_t)(p - tr->p);
            p->fresh = true;
        }
        if (!p->nw || p->where[p->nw - 1] != wi) {
            if (p->nw == p->cw) {
                uint32_t nc = p->cw ? 2 * p->cw : 4;
                uint32_t *nw = realloc(p->where, nc * sizeof *nw);
                if (!nw)
                    return -ENOMEM;
                p->where = nw;
                p->cw = nc;
            }
            p->where[p->nw++] = wi;
        }
    }
    return 0;
}

static bool hent_above(const hent *x, const hent *y)
{
    return x->count > y->count || (x->count == y->count && x->key < y->key);
}

static int heap_push(lf_bpe_trainer *tr, hent e)
{
    if (tr->nh == tr->ch) {
        size_t nc = tr->ch ? 2 * tr->ch : 4096;
        hent *nh = realloc(tr->heap, nc * sizeof *nh);
        if (!nh)
            return -ENOMEM;
        tr->heap = nh;
        tr->ch = nc;
    }
    size_t i = tr->nh++;
    while (i && hent_above(&e, &tr->heap[(i - 1) / 2])) {
        tr->heap[i] = tr->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    tr->heap[i] = e;
    return 0;
}

static hent heap_pop(lf_bpe_trainer *tr)
{
    hent top = tr->heap[0], last = tr->heap[--tr->nh];
    size_t i = 0, n = tr->nh;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        const hent *best = &last;
        if (l < n && hent_above(&tr->heap[l], best)) { m = l; best = &tr->heap[l]; }
        if (l + 1 < n && hent_above(&tr->heap[l + 1], best)) m = l + 1;
        if (m == i)
            break;
        tr->heap[i] = tr->heap[m];
        i = m;
    }
    if (n)
        tr->heap[i] = last;
    return top;
}

/* Replaces every (a, b) in the words that held it by x, updating counts. */
static int apply_merge(lf_bpe_trainer *tr, pair *pp, int32_t a, int32_t b, int32_t x)
{
    uint32_t *where = pp->where, nwh = pp->nw;
    pp->where = NULL;   /* pair_add below may move the pair table */
    pp->nw = pp->cw = 0;
    uint64_t key = pp->key;
    int rc = 0;
    for (uint32_t k = 0; k < nwh && !rc; k++) {
        uint32_t wi = where[k];
        word *w = &tr->w[wi];
        int64_t c = w->count;
        uint32_t out = 0;
        for (uint32_t i = 0; i < w->n && !rc;) {
            if (i + 1 < w->n && w->s[i] == a && w->s[i + 1] == b) {
                if (out > 0) {
                    int32_t l = w->s[out - 1];
                    rc = pair_add(tr, l, a, -c, wi);
                    if (!rc) rc = pair_add(tr, l, x, c, wi);
                }
                if (!rc && i + 2 < w->n) {
                    int32_t r = w->s[i + 2];
                    rc = pair_add(tr, b, r, -c, wi);
                    if (!rc) rc = pair_add(tr, x, r, c, wi);
                }
                if (!rc) rc = pair_add(tr, a, b, -c, wi);
                w->s[out++] = x;
                i += 2;
            } else {
                w->s[out++] = w->s[i++];
            }
        }
        w->n = out;
    }
    free(where);
    pair *p = pair_find(tr, key);
    if (p)
        p->count = 0;
    return rc;
}

/* ---- output ---- */

void lf_bpe_free(lf_bpe *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_tokens; i++)
        free(b->tokens[i]);
    free(b->tokens);
    free(b->lens);
    free(b->types);
    free(b->merges);
    free(b);
}

static int add_token(lf_bpe *b, size_t cap, const char *p, size_t n, int32_t type)
{
    if (b->n_tokens >= cap)
        return -E2BIG;
    char *t = malloc(n + 1);
    if (!t)
        return -ENOMEM;
    memcpy(t, p, n);
    t[n] = 0;
    b->tokens[b->n_tokens] = t;
    b->lens[b->n_tokens] = n;
    b->types[b->n_tokens] = type;
    b->n_tokens++;
    return 0;
}

static int32_t find_token(const lf_bpe *b, const char *p, size_t n, uint32_t *tab, size_t mask)
{
    for (size_t h = hash_bytes(p, n) & mask; tab[h]; h = (h + 1) & mask) {
        size_t i = tab[h] - 1;
        if (b->lens[i] == n && !memcmp(b->tokens[i], p, n))
            return (int32_t)i;
    }
    return -1;
}

static void index_token(const lf_bpe *b, int32_t id, uint32_t *tab, size_t mask)
{
    size_t h = hash_bytes(b->tokens[id], b->lens[id]) & mask;
    while (tab[h])
        h = (h + 1) & mask;
    tab[h] = (uint32_t)id + 1;
}

static bool is_special_text(const lf_bpe_trainer *tr, const char *p, size_t n)
{
    for (size_t i = 0; i < tr->n_spec; i++)
        if (tr->spec_len[i] == n && !memcmp(tr->spec[i], p, n))
            return true;
    return false;
}

int lf_bpe_trainer_train(lf_bpe_trainer *tr, size_t vocab_size, lf_bpe **out, lf_err *err)
{
    *out = NULL;
    if (vocab_size < 256 + tr->n_spec || vocab_size > (1u << 22))
        return lf_err_set(err, EINVAL, "bpe: vocabulary size %zu outside [%zu, 4194304]",
                          vocab_size, 256 + tr->n_spec);
    size_t n_learn = vocab_size - tr->n_spec;
    lf_bpe *b = calloc(1, sizeof *b);
    size_t tmask = 1;
    while (tmask < 2 * vocab_size)
        tmask = tmask * 2 + 1;
    uint32_t *ttab = calloc(tmask + 1, sizeof *ttab);
    lf_buf cat;
    lf_buf_init(&cat, 0);
    int rc = 0;
    if (!b || !ttab || !(b->tokens = calloc(vocab_size, sizeof *b->tokens)) ||
        !(b->lens = calloc(vocab_size, sizeof *b->lens)) ||
        !(b->types = calloc(vocab_size, sizeof *b->types)) ||
        !(b->merges = calloc(vocab_size, sizeof *b->merges))) {
        rc = -ENOMEM;
        goto out;
    }
    b->eos_id = -1;
    for (int c = 0; c < 256 && !rc; c++) {
        char ch = (char)c;
        rc = add_token(b, vocab_size, &ch, 1, LF_TOKEN_NORMAL);
        index_token(b, c, ttab, tmask);
    }
    if (!rc && !tr->pmask)
        rc = ptab_grow(tr);
    /* Initial pair counts. */
    for (size_t wi = 0; wi < tr->nw && !rc; wi++)
        for (uint32_t i = 0; i + 1 < tr->w[wi].n && !rc; i++)
            rc = pair_add(tr, tr->w[wi].s[i], tr->w[wi].s[i + 1], tr->w[wi].count, (uint32_t)wi);
    for (size_t i = 0; i < tr->np && !rc; i++) {
        tr->p[i].fresh = false;
        rc = heap_push(tr, (hent){tr->p[i].count, tr->p[i].key});
    }
    tr->nf = 0;
    size_t merge_cap = vocab_size;
    while (!rc && b->n_tokens < n_learn && tr->nh) {
        hent e = heap_pop(tr);
        pair *p = pair_find(tr, e.key);
        if (!p || p->count != e.count) {
            if (p && p->count >= 2)
                rc = heap_push(tr, (hent){p->count, p->key});
            continue;
        }
        if (e.count < 2)
            break;
        int32_t a = (int32_t)(e.key >> 32), bb = (int32_t)(uint32_t)e.key;
        lf_buf_reset(&cat);
        if ((rc = lf_buf_append(&cat, b->tokens[a], b->lens[a])) ||
            (rc = lf_buf_append(&cat, b->tokens[bb], b->lens[bb])))
            break;
        if (is_special_text(tr, cat.data, cat.len)) {
            p->count = 0;   /* never learn a special token's text as a normal token */
            continue;
        }
        int32_t x = find_token(b, cat.data, cat.len, ttab, tmask);
        if (x < 0) {
            if ((rc = add_token(b, vocab_size, cat.data, cat.len, LF_TOKEN_NORMAL)))
                break;
            x = (int32_t)b->n_tokens - 1;
            index_token(b, x, ttab, tmask);
        }
        /* A pair can occur again after a merge that re-created an existing
         * token (p q -> a, next to b). Encoding already merges it at its
         * first rank, so it is applied to the words but not listed twice
         * (readers disagree on duplicates: llama.cpp keeps the first rank,
         * HF tokenizers the last). */
        if (p->merged) {
            if ((rc = apply_merge(tr, p, a, bb, x)))
                break;
            goto pushed;
        }
        p->merged = true;
        if (b->n_merges == merge_cap) {
            int32_t (*nm)[2] = realloc(b->merges, 2 * merge_cap * sizeof *nm);
            if (!nm) {
                rc = -ENOMEM;
                break;
            }
            b->merges = nm;
            merge_cap *= 2;
        }
        b->merges[b->n_merges][0] = a;
        b->merges[b->n_merges][1] = bb;
        b->n_merges++;
        if ((rc = apply_merge(tr, p, a, bb, x)))
            break;
    pushed:
        for (size_t f = 0; f < tr->nf && !rc; f++) {
            pair *q = &tr->p[tr->fresh[f]];
            q->fresh = false;
            if (q->count >= 2)
                rc = heap_push(tr, (hent){q->count, q->key});
        }
        tr->nf = 0;
    }
    for (size_t i = 0; i < tr->n_spec && !rc; i++) {
        rc = add_token(b, vocab_size, tr->spec[i], tr->spec_len[i], tr->spec_type[i]);
        if (!rc && !strcmp(tr->spec[i], "<|endoftext|>"))
            b->eos_id = (int32_t)b->n_tokens - 1;
    }
out:
    free(ttab);
    lf_buf_free(&cat);
    if (rc) {
        lf_bpe_free(b);
        return lf_err_set(err, -rc, "bpe: training failed: %s", strerror(-rc));
    }
    *out = b;
    return 0;
}

int lf_bpe_write_gguf(const lf_bpe *b, lf_gguf_writer *w)
{
    size_t n = b->n_tokens, nm = b->n_merges;
    char **tok = calloc(n ? n : 1, sizeof *tok);
    size_t *tlen = calloc(n ? n : 1, sizeof *tlen);
    char **mer = calloc(nm ? nm : 1, sizeof *mer);
    size_t *mlen = calloc(nm ? nm : 1, sizeof *mlen);
    lf_buf s;
    lf_buf_init(&s, 0);
    int rc = 0;
    if (!tok || !tlen || !mer || !mlen) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        lf_buf_reset(&s);
        if (b->types[i] == LF_TOKEN_CONTROL || b->types[i] == LF_TOKEN_USER_DEFINED)
            rc = lf_buf_append(&s, b->tokens[i], b->lens[i]);
        else
            rc = lf_bytelevel_encode(b->tokens[i], b->lens[i], &s);
        if (!rc && !(tok[i] = lf_buf_steal(&s, &tlen[i])))
            rc = -ENOMEM;
    }
    for (size_t i = 0; i < nm && !rc; i++) {
        lf_buf_reset(&s);
        int32_t x = b->merges[i][0], y = b->merges[i][1];
        rc = lf_bytelevel_encode(b->tokens[x], b->lens[x], &s);
        if (!rc) rc = lf_buf_putc(&s, ' ');
        if (!rc) rc = lf_bytelevel_encode(b->tokens[y], b->lens[y], &s);
        if (!rc && !(mer[i] = lf_buf_steal(&s, &mlen[i])))
            rc = -ENOMEM;
    }
    if (!rc) rc = lf_gguf_set_str(w, "tokenizer.ggml.model", "gpt2");
    if (!rc) rc = lf_gguf_set_str(w, "tokenizer.ggml.pre", "qwen2");
    if (!rc) rc = lf_gguf_set_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)tok,
                                      tlen, n);
    if (!rc) rc = lf_gguf_set_arr_i32(w, "tokenizer.ggml.token_type", b->types, n);
    if (!rc) rc = lf_gguf_set_arr_str(w, "tokenizer.ggml.merges", (const char *const *)mer,
                                      mlen, nm);
    if (!rc && b->eos_id >= 0) {
        rc = lf_gguf_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)b->eos_id);
        if (!rc) rc = lf_gguf_set_u32(w, "tokenizer.ggml.padding_token_id", (uint32_t)b->eos_id);
    }
    if (!rc) rc = lf_gguf_set_bool(w, "tokenizer.ggml.add_bos_token", false);
out:
    for (size_t i = 0; tok && i < n; i++)
        free(tok[i]);
    for (size_t i = 0; mer && i < nm; i++)
        free(mer[i]);
    free(tok);
    free(tlen);
    free(mer);
    free(mlen);
    lf_buf_free(&s);
    return rc;
}
