/* data.c: JSONL rows to token rows, and length-bucketed batches (data.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/data.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/json.h"
#include "util/rng.h"

#define LINE_MAX_BYTES ((size_t)64 << 20)

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 256;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*p, nc * elem);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = nc;
    return 0;
}

int lf_tenc_tok_fn(void *ctx, const char *text, size_t len, const char *prompt, size_t plen,
                   lf_ids *ids)
{
    const lf_tenc_tok *e = ctx;
    if (!e->content_bytes)
        return lf_tok_encode(e->tok, text, len, e->special, ids);
    return prompt ? lf_tok_encode_answer(e->tok, prompt, plen, text, len, e->special, ids)
                  : lf_tok_encode_content(e->tok, text, len, e->special, ids);
}

int lf_tdata_add(lf_tdata *d, const char *prompt, size_t plen, const char *completion,
                 size_t clen, lf_tenc_fn enc, void *enc_ctx, int32_t eos, int max_len)
{
    lf_ids ids = {0};
    int rc = enc(enc_ctx, prompt, plen, NULL, 0, &ids);
    size_t np = ids.n;
    if (!rc)
        rc = enc(enc_ctx, completion, clen, prompt, plen, &ids);
    if (rc)
        goto out;
    if (ids.n > (size_t)max_len) {   /* ids + eos is more than max_len+1 tokens */
        d->n_dropped++;
        goto out;
    }
    if ((rc = grow((void **)&d->ids, &d->cap_ids, d->n_tokens + ids.n + 1, sizeof(int32_t))))
        goto out;
    size_t cr = d->cap_rows;
    if ((rc = grow((void **)&d->off, &cr, d->n_rows + 2, sizeof(size_t))))
        goto out;
    if ((rc = grow((void **)&d->plen, &d->cap_rows, d->n_rows + 2, sizeof(uint32_t))))
        goto out;
    d->off[0] = 0;
    if (ids.n)
        memcpy(d->ids + d->n_tokens, ids.v, ids.n * sizeof(int32_t));
    d->ids[d->n_tokens + ids.n] = eos;
    d->n_tokens += ids.n + 1;
    d->plen[d->n_rows] = (uint32_t)np;
    d->n_rows++;
    d->off[d->n_rows] = d->n_tokens;
out:
    free(ids.v);
    return rc;
}

int lf_tdata_load(const char *path, lf_tenc_fn enc, void *enc_ctx, int32_t eos, int max_len,
                  lf_tdata *d, lf_err *err)
{
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "r");
    if (!f)
        return lf_err_set(err, errno, "%s: %s", path, strerror(errno));
    lf_buf line;
    lf_buf_init(&line, LINE_MAX_BYTES);
    int rc = 0;
    long lineno = 0;
    for (;;) {
        int got = lf_file_getline(f, LINE_MAX_BYTES, &line);
        if (got < 0) {
            rc = lf_err_set(err, -got, "%s:%ld: line too long or unreadable", path, lineno + 1);
            break;
        }
        if (got == 0)
            break;
        lineno++;
        if (line.len == 0)
            continue;
        lf_json *j = NULL;
        if ((rc = lf_json_parse(line.data, line.len, &j, err))) {
            lf_err_prefix(err, "%s:%ld: ", path, lineno);
            break;
        }
        size_t pl, cl;
        const char *p = lf_json_get_str(j, "prompt", &pl), *c = lf_json_get_str(j, "completion", &cl);
        if (!p || !c) {
            lf_json_free(j);
            rc = lf_err_set(err, EINVAL, "%s:%ld: no prompt or completion string", path, lineno);
            break;
        }
        rc = lf_tdata_add(d, p, pl, c, cl, enc, enc_ctx, eos, max_len);
        lf_json_free(j);
        if (rc) {
            lf_err_set(err, -rc, "%s:%ld: tokenizing failed", path, lineno);
            break;
        }
    }
    fclose(f);
    lf_buf_free(&line);
    if (rc)
        lf_tdata_free(d);
    return rc;
}

/* Appends src's rows to dst (src is left as it was). */
static int tdata_append(lf_tdata *dst, const lf_tdata *src)
{
    size_t rows = dst->n_rows + src->n_rows + 1, cr = dst->cap_rows;
    if (grow((void **)&dst->ids, &dst->cap_ids, dst->n_tokens + src->n_tokens, sizeof(int32_t)) ||
        grow((void **)&dst->off, &cr, rows, sizeof(size_t)) ||
        grow((void **)&dst->plen, &dst->cap_rows, rows, sizeof(uint32_t)))
        return -ENOMEM;
    if (dst->n_rows == 0)
        dst->off[0] = 0;
    if (src->n_tokens)
        memcpy(dst->ids + dst->n_tokens, src->ids, src->n_tokens * sizeof *src->ids);
    for (size_t r = 0; r < src->n_rows; r++) {
        dst->off[dst->n_rows + r + 1] = dst->n_tokens + src->off[r + 1];
        dst->plen[dst->n_rows + r] = src->plen[r];
    }
    dst->n_rows += src->n_rows;
    dst->n_tokens += src->n_tokens;
    dst->n_dropped += src->n_dropped;
    return 0;
}

typedef struct load_job {
    const char *path;
    lf_tenc_fn enc;
    void *enc_ctx;
    int32_t eos;
    int max_len, rc;
    lf_tdata d;
    lf_err err;
} load_job;

static void *load_thread(void *arg)
{
    load_job *j = arg;
    j->rc = lf_tdata_load(j->path, j->enc, j->enc_ctx, j->eos, j->max_len, &j->d, &j->err);
    return NULL;
}

int lf_tdata_load_files(const char *const *paths, size_t n, lf_tenc_fn enc, void *enc_ctx,
                        int32_t eos, int max_len, lf_tdata *d, lf_err *err)
{
    memset(d, 0, sizeof *d);
    if (n == 0)
        return lf_err_set(err, EINVAL, "no data files");
    load_job *jobs = calloc(n, sizeof *jobs);
    pthread_t *th = calloc(n, sizeof *th);
    bool *started = calloc(n, sizeof *started);
    int rc = 0;
    if (!jobs || !th || !started) {
        rc = lf_err_set(err, ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        jobs[i] = (load_job){.path = paths[i], .enc = enc, .enc_ctx = enc_ctx, .eos = eos,
                             .max_len = max_len};
        started[i] = n > 1 && !pthread_create(&th[i], NULL, load_thread, &jobs[i]);
        if (!started[i])
            load_thread(&jobs[i]);   /* one file, or no thread to be had: load it here */
    }
    for (size_t i = 0; i < n; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        if (!rc && jobs[i].rc) {
            rc = jobs[i].rc;
            *err = jobs[i].err;
        }
    }
    for (size_t i = 0; !rc && i < n; i++)
        if (tdata_append(d, &jobs[i].d))
            rc = lf_err_set(err, ENOMEM, "out of memory joining the data files");
out:
    for (size_t i = 0; jobs && i < n; i++)
        lf_tdata_free(&jobs[i].d);
    free(jobs);
    free(th);
    free(started);
    if (rc)
        lf_tdata_free(d);
    return rc;
}

void lf_tdata_free(lf_tdata *d)
{
    if (!d)
        return;
    free(d->ids);
    free(d->off);
    free(d->plen);
    memset(d, 0, sizeof *d);
}

typedef struct plan_batch { size_t first; int B, T; } plan_batch;

struct lf_tbatcher {
    const lf_tdata *d;
    size_t *order;        /* row indices sorted by length */
    plan_batch *plan;
    size_t n_plan;
    size_t *perm;         /* this epoch's batch order */
    size_t group;         /* batches shuffled together (lf_tbatcher_group) */
    size_t slots;         /* batch buffers: next fills slot pos % slots */
    uint64_t seed, pos;   /* pos: batches served */
    int max_tokens, max_T;
    int32_t *tok, *tgt;   /* [slots][max_tokens] */
};

static const lf_tdata *sort_data;
static int by_len(const void *a, const void *b)
{
    size_t ra = *(const size_t *)a, rb = *(const size_t *)b;
    size_t la = sort_data->off[ra + 1] - sort_data->off[ra];
    size_t lb = sort_data->off[rb + 1] - sort_data->off[rb];
    if (la != lb)
        return la < lb ? -1 : 1;
    return ra < rb ? -1 : ra > rb;
}

/* splitmix64's one step from z (util/rng.h), as a hash. */
static uint64_t mix(uint64_t z)
{
    return lf_splitmix64(&z);
}

/* This epoch's order: the plan's whole groups of b->group neighbours
 * (neighbours in the plan have about the same T) shuffled, each kept
 * together, and the remainder at the end; a group of 1 is a plain
 * shuffle of the batches. */
static void shuffle_epoch(lf_tbatcher *b, uint64_t epoch)
{
    size_t g = b->group, ng = b->n_plan / g;
    for (size_t i = 0; i < ng; i++)
        b->perm[i] = i;
    uint64_t s = mix(b->seed ^ mix(epoch));
    for (size_t i = ng; i > 1; i--) {
        s = mix(s);
        size_t j = s % i, t = b->perm[i - 1];
        b->perm[i - 1] = b->perm[j];
        b->perm[j] = t;
    }
    /* expand in place from the back: group i goes to i*g .. i*g+g-1 >= i,
     * so no group index is overwritten before it is read */
    for (size_t i = b->n_plan; i-- > ng * g;)
        b->perm[i] = i;
    for (size_t i = ng; i-- > 0;) {
        size_t gi = b->perm[i];
        for (size_t j = g; j-- > 0;)
            b->perm[i * g + j] = gi * g + j;
    }
}

int lf_tbatcher_new(const lf_tdata *d, int batch_tokens, int align, int max_len,
                    uint64_t seed, lf_tbatcher **out, lf_err *err)
{
    if (d->n_rows == 0)
        return lf_err_set(err, EINVAL, "dataset has no rows that fit %d tokens", max_len);
    if (align < 1 || batch_tokens < 1 || max_len < 1)
        return lf_err_set(err, EINVAL, "batcher: bad sizes");
    lf_tbatcher *b = calloc(1, sizeof *b);
    if (!b)
        return lf_err_set(err, ENOMEM, "batcher: out of memory");
    b->d = d;
    b->seed = seed;
    b->group = b->slots = 1;
    b->order = malloc(d->n_rows * sizeof(size_t));
    b->plan = malloc(d->n_rows * sizeof(plan_batch));
    b->perm = malloc(d->n_rows * sizeof(size_t));
    if (!b->order || !b->plan || !b->perm)
        goto nomem;
    for (size_t i = 0; i < d->n_rows; i++)
        b->order[i] = i;
    sort_data = d;
    qsort(b->order, d->n_rows, sizeof(size_t), by_len);
    /* greedy: rows ascend in length, so the last row of a group is its longest */
    size_t i = 0;
    while (i < d->n_rows) {
        plan_batch pb = {i, 0, 0};
        while (i < d->n_rows) {
            size_t r = b->order[i];
            int len = (int)(d->off[r + 1] - d->off[r]) - 1;   /* inputs: all but the last token */
            int T = (len + align - 1) / align * align;
            if (T > max_len)
                T = max_len;
            if (T < 1)
                T = 1;
            if (pb.B > 0 && (long)(pb.B + 1) * T > batch_tokens)
                break;
            pb.B++;
            pb.T = T;
            i++;
        }
        b->plan[b->n_plan++] = pb;
        if (pb.B * pb.T > b->max_tokens)
            b->max_tokens = pb.B * pb.T;
        if (pb.T > b->max_T)
            b->max_T = pb.T;
    }
    b->tok = malloc((size_t)b->max_tokens * sizeof(int32_t));
    b->tgt = malloc((size_t)b->max_tokens * sizeof(int32_t));
    if (!b->tok || !b->tgt)
        goto nomem;
    shuffle_epoch(b, 0);
    *out = b;
    return 0;
nomem:
    lf_tbatcher_free(b);
    return lf_err_set(err, ENOMEM, "batcher: out of memory");
}

void lf_tbatcher_free(lf_tbatcher *b)
{
    if (!b)
        return;
    free(b->order);
    free(b->plan);
    free(b->perm);
    free(b->tok);
    free(b->tgt);
    free(b);
}

size_t lf_tbatcher_count(const lf_tbatcher *b) { return b->n_plan; }
int lf_tbatcher_max_tokens(const lf_tbatcher *b) { return b->max_tokens; }
int lf_tbatcher_max_T(const lf_tbatcher *b) { return b->max_T; }

/* Plan batch i into buffer slot. */
static void fill(lf_tbatcher *b, size_t i, size_t slot, lf_tbatch *out)
{
    const lf_tdata *d = b->d;
    plan_batch pb = b->plan[i % b->n_plan];
    long n_tgt = 0;
    for (int s = 0; s < pb.B; s++) {
        size_t r = b->order[pb.first + s];
        const int32_t *ids = d->ids + d->off[r];
        int n = (int)(d->off[r + 1] - d->off[r]);
        size_t at = slot * (size_t)b->max_tokens + (size_t)s * pb.T;
        int32_t *tk = b->tok + at, *tg = b->tgt + at;
        for (int t = 0; t < pb.T; t++) {
            tk[t] = t < n - 1 ? ids[t] : 0;
            /* position t predicts ids[t+1]; the loss counts completion and eos */
            tg[t] = (t < n - 1 && (uint32_t)(t + 1) >= d->plen[r]) ? ids[t + 1] : -1;
            n_tgt += tg[t] >= 0;
        }
    }
    size_t at = slot * (size_t)b->max_tokens;
    *out = (lf_tbatch){pb.B, pb.T, b->tok + at, b->tgt + at, n_tgt};
}

void lf_tbatcher_get(lf_tbatcher *b, size_t i, lf_tbatch *out)
{
    fill(b, i, 0, out);
}

/* An epoch's positions: whole groups, so that a step of `group` batches
 * (positions group*s .. group*s+group-1) is one group in every epoch and
 * after a resume; the remainder of fewer than `group` batches fills its
 * last group, repeated in order (so each batch still comes at least once
 * an epoch). Without grouping, the plan's length. */
static size_t epoch_len(const lf_tbatcher *b)
{
    return (b->n_plan + b->group - 1) / b->group * b->group;
}

void lf_tbatcher_next(lf_tbatcher *b, lf_tbatch *out)
{
    size_t e = epoch_len(b), k = b->pos % e;
    if (k == 0 && b->pos > 0)
        shuffle_epoch(b, b->pos / e);
    size_t whole = b->n_plan / b->group * b->group;
    size_t i = k < b->n_plan ? b->perm[k] : b->perm[whole + (k - whole) % (b->n_plan - whole)];
    fill(b, i, b->pos % b->slots, out);
    b->pos++;
}

uint64_t lf_tbatcher_pos(const lf_tbatcher *b) { return b->pos; }

void lf_tbatcher_seek(lf_tbatcher *b, uint64_t pos)
{
    b->pos = pos;
    shuffle_epoch(b, pos / epoch_len(b));
}

int lf_tbatcher_group(lf_tbatcher *b, int g)
{
    size_t n = g > 1 ? (size_t)g : 1, len = n * (size_t)b->max_tokens;
    int32_t *tok = realloc(b->tok, len * sizeof *tok);
    if (tok)
        b->tok = tok;
    int32_t *tgt = tok ? realloc(b->tgt, len * sizeof *tgt) : NULL;
    if (!tgt)
        return -ENOMEM;   /* the batcher stays as it was */
    b->tgt = tgt;
    b->slots = n;
    b->group = n <= b->n_plan ? n : 1;
    shuffle_epoch(b, b->pos / epoch_len(b));
    return 0;
}
