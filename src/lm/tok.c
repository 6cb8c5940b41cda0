/* tok.c: byte-level BPE (GPT-2 / Qwen2 flavour) loaded from GGUF metadata.
 *
 * Vocabulary strings of normal tokens are in GPT-2's byte-to-unicode
 * alphabet (tok_bytes.c); they are decoded to raw bytes at load, so all
 * work here is on bytes and ids. Encoding a pre-token (pretok.c) starts
 * from one symbol per byte and repeatedly merges the adjacent pair of lowest
 * merge rank, leftmost first (as HF tokenizers and llama.cpp do), using a
 * binary heap of candidate pairs with lazy invalidation: O(n log n) a word.
 * Merge ranks live in an open-addressing hash keyed by the pair of ids.
 */
#include "lm/tok.h"

#include <stdlib.h>
#include <string.h>

#include "lm/pretok.h"
#include "lm/tok_int.h"

#define TYPE_CONTROL 3
#define TYPE_USER_DEFINED 4
#define MAX_VOCAB (1u << 22)
#define MAX_TOKEN_BYTES 4096

typedef struct merge_slot {
    uint64_t key;       /* (left << 32) | right; EMPTY_KEY when unused */
    int32_t rank, id;
} merge_slot;
#define EMPTY_KEY UINT64_MAX

struct lf_tok {
    size_t n;
    char **piece;        /* raw bytes of each token (NUL-terminated copy) */
    uint32_t *plen;
    uint8_t *type;
    int32_t byte_id[256];
    int32_t *str_tab;    /* hash of piece bytes -> id; -1 empty */
    size_t str_mask;
    merge_slot *mtab;
    size_t mmask;
    int32_t *special;    /* ids of CONTROL/USER_DEFINED tokens, longest first */
    size_t n_special;
    uint8_t special_first[256];
    int32_t eos;
};

int lf_ids_push(lf_ids *ids, int32_t id)
{
    if (ids->n == ids->cap) {
        size_t nc = ids->cap ? 2 * ids->cap : 256;
        int32_t *nv = realloc(ids->v, nc * sizeof *nv);
        if (!nv)
            return -ENOMEM;
        ids->v = nv;
        ids->cap = nc;
    }
    ids->v[ids->n++] = id;
    return 0;
}

void lf_ids_free(lf_ids *ids)
{
    if (!ids)
        return;
    free(ids->v);
    ids->v = NULL;
    ids->n = ids->cap = 0;
}

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static size_t pow2_at_least(size_t n)
{
    size_t c = 16;
    while (c < n)
        c <<= 1;
    return c;
}

/* Id of the token with raw bytes p[0..n), or -1; normal tokens shadow
 * nothing: the first id inserted with given bytes wins. */
static int32_t str_lookup(const lf_tok *t, const char *p, size_t n)
{
    for (size_t h = hash_bytes(p, n) & t->str_mask;; h = (h + 1) & t->str_mask) {
        int32_t id = t->str_tab[h];
        if (id < 0)
            return -1;
        if (t->plen[id] == n && !memcmp(t->piece[id], p, n))
            return id;
    }
}

static void str_insert(lf_tok *t, int32_t id)
{
    if (str_lookup(t, t->piece[id], t->plen[id]) >= 0)
        return;
    size_t h = hash_bytes(t->piece[id], t->plen[id]) & t->str_mask;
    while (t->str_tab[h] >= 0)
        h = (h + 1) & t->str_mask;
    t->str_tab[h] = id;
}

static const merge_slot *merge_lookup(const lf_tok *t, int32_t a, int32_t b)
{
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    for (size_t h = hash_u64(key) & t->mmask;; h = (h + 1) & t->mmask) {
        const merge_slot *s = &t->mtab[h];
        if (s->key == key)
            return s;
        if (s->key == EMPTY_KEY)
            return NULL;
    }
}

static void merge_insert(lf_tok *t, int32_t a, int32_t b, int32_t rank, int32_t id)
{
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    size_t h = hash_u64(key) & t->mmask;
    for (;; h = (h + 1) & t->mmask) {
        if (t->mtab[h].key == key)
            return;   /* a repeated merge keeps its first (lowest) rank */
        if (t->mtab[h].key == EMPTY_KEY)
            break;
    }
    t->mtab[h] = (merge_slot){key, rank, id};
}

void lf_tok_free(lf_tok *t)
{
    if (!t)
        return;
    if (t->piece)
        for (size_t i = 0; i < t->n; i++)
            free(t->piece[i]);
    free(t->piece);
    free(t->plen);
    free(t->type);
    free(t->str_tab);
    free(t->mtab);
    free(t->special);
    free(t);
}

static int cmp_merge_rank(const void *x, const void *y)
{
    int32_t a = ((const lf_tok_merge *)x)->rank, b = ((const lf_tok_merge *)y)->rank;
    return (a > b) - (a < b);
}

int lf_tok_merges(const lf_tok *t, lf_tok_merge **out, size_t *n)
{
    size_t k = 0;
    for (size_t i = 0; t->mtab && i <= t->mmask; i++)
        k += t->mtab[i].key != EMPTY_KEY;
    lf_tok_merge *m = malloc((k ? k : 1) * sizeof *m);
    if (!m)
        return -ENOMEM;
    k = 0;
    for (size_t i = 0; t->mtab && i <= t->mmask; i++) {
        const merge_slot *s = &t->mtab[i];
        if (s->key != EMPTY_KEY)
            m[k++] = (lf_tok_merge){s->rank, (int32_t)(s->key >> 32), (int32_t)(uint32_t)s->key,
                                    s->id};
    }
    qsort(m, k, sizeof *m, cmp_merge_rank);
    *out = m;
    *n = k;
    return 0;
}

static int cmp_special(const void *a, const void *b, void *ctx)
{
    const lf_tok *t = ctx;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (t->plen[x] != t->plen[y])
        return t->plen[x] > t->plen[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Decodes one "A B" merge line into the two token ids; -1 ids if unknown. */
static int parse_merge(const lf_tok *t, lf_gguf_str m, int32_t *a, int32_t *b, lf_buf *tmp)
{
    const char *sp = memchr(m.s, ' ', (size_t)m.len);
    if (!sp || sp == m.s || sp == m.s + m.len - 1)
        return -EINVAL;
    size_t la = (size_t)(sp - m.s);
    lf_buf_reset(tmp);
    if (lf_bytelevel_decode(m.s, la, tmp))
        return -EINVAL;
    *a = str_lookup(t, tmp->data, tmp->len);
    lf_buf_reset(tmp);
    if (lf_bytelevel_decode(sp + 1, (size_t)m.len - la - 1, tmp))
        return -EINVAL;
    *b = str_lookup(t, tmp->data, tmp->len);
    return 0;
}

static int load_vocab(lf_tok *t, const lf_gguf *g, lf_err *err)
{
    const lf_gguf_kv *toks, *types = NULL;
    char *model = NULL;
    int rc = lf_gguf_get_str(g, "tokenizer.ggml.model", &model);
    if (rc)
        return lf_err_set(err, EINVAL, "tokenizer: tokenizer.ggml.model missing or not a string");
    bool ok = !strcmp(model, "gpt2");
    if (!ok)
        rc = lf_err_set(err, EINVAL, "tokenizer: model '%s' unsupported (want gpt2)", model);
    free(model);
    if (rc)
        return rc;
    if (lf_gguf_get_arr(g, "tokenizer.ggml.tokens", LF_GGUF_STRING, &toks))
        return lf_err_set(err, EINVAL, "tokenizer: tokenizer.ggml.tokens missing or not strings");
    if (toks->arr_len == 0 || toks->arr_len > MAX_VOCAB)
        return lf_err_set(err, EINVAL, "tokenizer: vocabulary of %llu tokens",
                          (unsigned long long)toks->arr_len);
    rc = lf_gguf_get_arr(g, "tokenizer.ggml.token_type", LF_GGUF_ARRAY, &types);
    if (rc == -EINVAL || (!rc && types->arr_len != toks->arr_len))
        return lf_err_set(err, EINVAL, "tokenizer: token_type is not an array of %llu",
                          (unsigned long long)toks->arr_len);
    if (rc) {   /* no token_type: every token is normal */
        types = NULL;
        rc = 0;
    }
    t->n = (size_t)toks->arr_len;
    t->piece = calloc(t->n, sizeof *t->piece);
    t->plen = calloc(t->n, sizeof *t->plen);
    t->type = calloc(t->n, 1);
    t->str_mask = pow2_at_least(2 * t->n) - 1;
    t->str_tab = malloc((t->str_mask + 1) * sizeof *t->str_tab);
    if (!t->piece || !t->plen || !t->type || !t->str_tab)
        return lf_err_set(err, ENOMEM, "tokenizer: out of memory");
    memset(t->str_tab, 0xff, (t->str_mask + 1) * sizeof *t->str_tab);
    lf_buf b;
    lf_buf_init(&b, MAX_TOKEN_BYTES);
    for (size_t i = 0; i < t->n && !rc; i++) {
        int64_t ty = 1;
        if (types && lf_gguf_arr_int(types, i, &ty))
            rc = lf_err_set(err, EINVAL, "tokenizer: token_type is not an integer array");
        t->type[i] = (uint8_t)(ty >= 0 && ty < 256 ? ty : 0);
        lf_gguf_str s = toks->arr_strs[i];
        lf_buf_reset(&b);
        bool special = ty == TYPE_CONTROL || ty == TYPE_USER_DEFINED;
        if (!rc && special)
            rc = s.len > MAX_TOKEN_BYTES ? -E2BIG : lf_buf_append(&b, s.s, (size_t)s.len);
        else if (!rc && lf_bytelevel_decode(s.s, (size_t)s.len, &b))
            rc = lf_err_set(err, EINVAL, "tokenizer: token %zu ('%.*s') is not in the byte-level "
                            "alphabet", i, (int)(s.len > 40 ? 40 : s.len), s.s);
        if (!rc && (special || s.len) && !b.len)
            rc = lf_err_set(err, EINVAL, "tokenizer: token %zu is empty", i);
        if (rc) {
            if (!err || !err->code)
                lf_err_set(err, -rc, "tokenizer: token %zu too long", i);
            break;
        }
        t->plen[i] = (uint32_t)b.len;
        t->piece[i] = lf_buf_steal(&b, NULL);
        if (!t->piece[i])
            rc = lf_err_set(err, ENOMEM, "tokenizer: out of memory");
    }
    lf_buf_free(&b);
    if (rc)
        return rc;
    /* Normal tokens first, so that a special token's text never shadows a
     * normal token with the same bytes in merges. */
    for (size_t i = 0; i < t->n; i++)
        if (t->type[i] != TYPE_CONTROL && t->type[i] != TYPE_USER_DEFINED)
            str_insert(t, (int32_t)i);
    for (int c = 0; c < 256; c++) {
        char ch = (char)c;
        t->byte_id[c] = str_lookup(t, &ch, 1);
        if (t->byte_id[c] < 0)
            return lf_err_set(err, EINVAL, "tokenizer: no token for byte 0x%02x", c);
    }
    return 0;
}

static int load_merges(lf_tok *t, const lf_gguf *g, lf_err *err)
{
    const lf_gguf_kv *merges;
    if (lf_gguf_get_arr(g, "tokenizer.ggml.merges", LF_GGUF_STRING, &merges))
        return lf_err_set(err, EINVAL, "tokenizer: tokenizer.ggml.merges missing or not strings");
    t->mmask = pow2_at_least(2 * (size_t)merges->arr_len + 2) - 1;
    t->mtab = malloc((t->mmask + 1) * sizeof *t->mtab);
    if (!t->mtab)
        return lf_err_set(err, ENOMEM, "tokenizer: out of memory");
    for (size_t i = 0; i <= t->mmask; i++)
        t->mtab[i].key = EMPTY_KEY;
    lf_buf tmp, cat;
    lf_buf_init(&tmp, MAX_TOKEN_BYTES);
    lf_buf_init(&cat, 2 * MAX_TOKEN_BYTES);
    int rc = 0;
    for (uint64_t r = 0; r < merges->arr_len && !rc; r++) {
        int32_t a, b;
        lf_gguf_str m = merges->arr_strs[r];
        if (parse_merge(t, m, &a, &b, &tmp)) {
            rc = lf_err_set(err, EINVAL, "tokenizer: merge %llu ('%.*s') malformed",
                            (unsigned long long)r, (int)(m.len > 40 ? 40 : m.len), m.s);
            break;
        }
        if (a < 0 || b < 0)
            continue;   /* a merge of unknown tokens can never apply */
        lf_buf_reset(&cat);
        if (lf_buf_append(&cat, t->piece[a], t->plen[a]) ||
            lf_buf_append(&cat, t->piece[b], t->plen[b]))
            continue;
        int32_t id = str_lookup(t, cat.data, cat.len);
        if (id >= 0)
            merge_insert(t, a, b, (int32_t)r, id);
    }
    lf_buf_free(&tmp);
    lf_buf_free(&cat);
    return rc;
}

static int load_specials(lf_tok *t, const lf_gguf *g)
{
    uint64_t eos;
    t->eos = -1;
    if (!lf_gguf_get_u64(g, "tokenizer.ggml.eos_token_id", &eos) && eos < t->n)
        t->eos = (int32_t)eos;
    t->special = malloc((t->n ? t->n : 1) * sizeof *t->special);
    if (!t->special)
        return -ENOMEM;
    for (size_t i = 0; i < t->n; i++)
        if (t->type[i] == TYPE_CONTROL || t->type[i] == TYPE_USER_DEFINED) {
            t->special[t->n_special++] = (int32_t)i;
            t->special_first[(unsigned char)t->piece[i][0]] = 1;
        }
    qsort_r(t->special, t->n_special, sizeof *t->special, cmp_special, t);
    return 0;
}

int lf_tok_load(const lf_gguf *g, lf_tok **out, lf_err *err)
{
    *out = NULL;
    lf_tok *t = calloc(1, sizeof *t);
    if (!t)
        return lf_err_set(err, ENOMEM, "tokenizer: out of memory");
    int rc = load_vocab(t, g, err);
    if (!rc)
        rc = load_merges(t, g, err);
    if (!rc && (rc = load_specials(t, g)))
        lf_err_set(err, -rc, "tokenizer: out of memory");
    if (rc) {
        lf_tok_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

size_t lf_tok_vocab_size(const lf_tok *t) { return t->n; }
int32_t lf_tok_eos(const lf_tok *t) { return t->eos; }

int32_t lf_tok_find(const lf_tok *t, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < t->n_special; i++) {
        int32_t id = t->special[i];
        if (t->plen[id] == n && !memcmp(t->piece[id], s, n))
            return id;
    }
    return n ? str_lookup(t, s, n) : -1;
}

int lf_tok_type(const lf_tok *t, int32_t id)
{
    return id < 0 || (size_t)id >= t->n ? -1 : t->type[id];
}

int lf_tok_piece(const lf_tok *t, int32_t id, const char **bytes, size_t *len)
{
    if (id < 0 || (size_t)id >= t->n)
        return -EINVAL;
    *bytes = t->piece[id];
    *len = t->plen[id];
    return 0;
}

int lf_tok_decode(const lf_tok *t, const int32_t *ids, size_t n, lf_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= t->n)
            return -EINVAL;
        int rc = lf_buf_append(out, t->piece[ids[i]], t->plen[ids[i]]);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- encoding ---- */

typedef struct cand {
    int32_t rank;
    uint32_t pos;    /* left symbol index */
    int32_t a, b;    /* the ids the pair had when pushed */
} cand;

/* A word already encoded during this call: its bytes (in the caller's text)
 * and its ids (in enc.cids). */
typedef struct cent {
    const char *p;      /* NULL: empty slot */
    uint32_t n, off, cnt;
} cent;

#define CACHE_MAX_WORD 256

typedef struct enc {
    const lf_tok *t;
    lf_ids *out;
    int32_t *id;     /* per symbol: token id, -1 once merged away */
    int32_t *next, *prev;
    cand *heap;
    size_t cap, nheap;
    cent *ctab;      /* words seen in this call (texts repeat their words) */
    size_t cmask, cn;
    lf_ids cids;
} enc;

static bool cand_less(const cand *x, const cand *y)
{
    return x->rank < y->rank || (x->rank == y->rank && x->pos < y->pos);
}

static void heap_push(enc *e, cand c)
{
    size_t i = e->nheap++;
    while (i) {
        size_t p = (i - 1) / 2;
        if (!cand_less(&c, &e->heap[p]))
            break;
        e->heap[i] = e->heap[p];
        i = p;
    }
    e->heap[i] = c;
}

static cand heap_pop(enc *e)
{
    cand top = e->heap[0], last = e->heap[--e->nheap];
    size_t i = 0, n = e->nheap;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        const cand *best = &last;
        if (l < n && cand_less(&e->heap[l], best)) { m = l; best = &e->heap[l]; }
        if (l + 1 < n && cand_less(&e->heap[l + 1], best)) m = l + 1;
        if (m == i)
            break;
        e->heap[i] = e->heap[m];
        i = m;
    }
    if (n)
        e->heap[i] = last;
    return top;
}

static void try_pair(enc *e, int32_t l)
{
    int32_t r = e->next[l];
    if (r < 0)
        return;
    const merge_slot *m = merge_lookup(e->t, e->id[l], e->id[r]);
    if (m)
        heap_push(e, (cand){m->rank, (uint32_t)l, e->id[l], e->id[r]});
}

static int grow(enc *e, size_t n)
{
    if (n <= e->cap)
        return 0;
    size_t c = e->cap ? e->cap : 64;
    while (c < n)
        c *= 2;
    int32_t *id = realloc(e->id, c * sizeof *id);
    if (id) e->id = id;
    int32_t *nx = realloc(e->next, c * sizeof *nx);
    if (nx) e->next = nx;
    int32_t *pv = realloc(e->prev, c * sizeof *pv);
    if (pv) e->prev = pv;
    cand *h = realloc(e->heap, c * sizeof *h);   /* at most n-1 live pushes + n merges */
    if (h) e->heap = h;
    if (!id || !nx || !pv || !h)
        return -ENOMEM;
    e->cap = c;
    return 0;
}

/* BPE of one pre-token p[0..n): appends its ids. */
static int bpe_word(enc *e, const char *p, size_t n)
{
    const lf_tok *t = e->t;
    /* Each merge pushes at most 2 candidates; the heap needs room for the
     * n-1 initial ones plus 2 per merge: 3n is enough. */
    int rc = grow(e, 3 * n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        e->id[i] = t->byte_id[(unsigned char)p[i]];
        e->prev[i] = (int32_t)i - 1;
        e->next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    e->nheap = 0;
    for (size_t i = 0; i + 1 < n; i++)
        try_pair(e, (int32_t)i);
    while (e->nheap) {
        cand c = heap_pop(e);
        int32_t l = (int32_t)c.pos, r = e->next[l];
        if (e->id[l] != c.a || r < 0 || e->id[r] != c.b)
            continue;   /* stale: one side was merged since */
        const merge_slot *m = merge_lookup(t, c.a, c.b);
        e->id[l] = m->id;
        e->id[r] = -1;
        e->next[l] = e->next[r];
        if (e->next[r] >= 0)
            e->prev[e->next[r]] = l;
        if (e->prev[l] >= 0)
            try_pair(e, e->prev[l]);
        try_pair(e, l);
    }
    for (int32_t i = 0; i >= 0; i = e->next[i])
        if ((rc = lf_ids_push(e->out, e->id[i])))
            return rc;
    return 0;
}

static int cache_grow(enc *e)
{
    size_t nm = e->cmask ? 2 * e->cmask + 1 : 1023;
    cent *nt = calloc(nm + 1, sizeof *nt);
    if (!nt)
        return -ENOMEM;
    for (size_t i = 0; e->ctab && i <= e->cmask; i++) {
        if (!e->ctab[i].p)
            continue;
        size_t h = hash_bytes(e->ctab[i].p, e->ctab[i].n) & nm;
        while (nt[h].p)
            h = (h + 1) & nm;
        nt[h] = e->ctab[i];
    }
    free(e->ctab);
    e->ctab = nt;
    e->cmask = nm;
    return 0;
}

/* One pre-token: single bytes directly, short words through the cache. */
static int encode_word(void *ctx, const char *p, size_t n)
{
    enc *e = ctx;
    if (n == 1)
        return lf_ids_push(e->out, e->t->byte_id[(unsigned char)p[0]]);
    if (n > CACHE_MAX_WORD)
        return bpe_word(e, p, n);
    if (2 * (e->cn + 1) > e->cmask && cache_grow(e))
        return -ENOMEM;
    size_t h = hash_bytes(p, n) & e->cmask;
    for (; e->ctab[h].p; h = (h + 1) & e->cmask) {
        const cent *c = &e->ctab[h];
        if (c->n == n && !memcmp(c->p, p, n)) {
            for (uint32_t i = 0; i < c->cnt; i++) {
                int rc = lf_ids_push(e->out, e->cids.v[c->off + i]);
                if (rc)
                    return rc;
            }
            return 0;
        }
    }
    size_t start = e->out->n;
    int rc = bpe_word(e, p, n);
    if (rc)
        return rc;
    cent c = {p, (uint32_t)n, (uint32_t)e->cids.n, (uint32_t)(e->out->n - start)};
    for (size_t i = start; i < e->out->n; i++)
        if ((rc = lf_ids_push(&e->cids, e->out->v[i])))
            return rc;
    if (e->cids.n > UINT32_MAX / 2)
        return 0;   /* absurdly large input: stop caching */
    e->ctab[h] = c;
    e->cn++;
    return 0;
}

/* The special token (longest first) that starts at s[0..n), or -1. */
static int32_t special_at(const lf_tok *t, const char *s, size_t n)
{
    if (!t->special_first[(unsigned char)s[0]])
        return -1;
    for (size_t i = 0; i < t->n_special; i++) {
        int32_t id = t->special[i];
        if (t->plen[id] <= n && !memcmp(t->piece[id], s, t->plen[id]))
            return id;
    }
    return -1;
}

int lf_tok_encode(const lf_tok *t, const char *text, size_t len, bool parse_special,
                  lf_ids *ids)
{
    enc e = {.t = t, .out = ids};
    int rc = 0;
    size_t start = 0;
    if (parse_special && t->n_special) {
        for (size_t i = 0; i < len && !rc;) {
            int32_t sp = special_at(t, text + i, len - i);
            if (sp < 0) {
                i++;
                continue;
            }
            rc = lf_pretok_split(text + start, i - start, encode_word, &e);
            if (!rc)
                rc = lf_ids_push(ids, sp);
            i += t->plen[sp];
            start = i;
        }
    }
    if (!rc)
        rc = lf_pretok_split(text + start, len - start, encode_word, &e);
    free(e.id);
    free(e.next);
    free(e.prev);
    free(e.heap);
    free(e.ctab);
    lf_ids_free(&e.cids);
    return rc;
}

int32_t lf_tok_byte(const lf_tok *t, unsigned char b)
{
    return t->byte_id[b];
}
