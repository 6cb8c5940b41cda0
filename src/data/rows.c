/* rows.c: the dataset writer (rows.h): rendering, JSON, splits, statistics,
 * and the in-process oracle check. */
#include "data/rows.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"
#include "lm/gguf.h"
#include "lm/tok.h"
#include "state/apply.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"

#define ROW_MAX ((size_t)64 << 20)

typedef struct {
    uint32_t *v;
    size_t n, cap;
} lens;

struct lf_rows {
    lf_rows_opts o;
    pthread_mutex_t mu;
    FILE *f[3];             /* f[0] the only output without split */
    int cur;                /* output of the current episode */
    unsigned episode, step;
    uint64_t ep_rows, ep_err, total, errs, dropped, mismatches, emitted;
    uint64_t per_op[LF_OP__COUNT], per_op_err[LF_OP__COUNT];
    uint64_t per_split[3];
    lens plen, clen, ptok, ctok;
    lf_buf prompt, completion, line, check;
    lf_gguf *gguf;
    lf_tok *tok;
    int werr;
};

static int lens_push(lens *l, size_t x)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 1024;
        uint32_t *v = realloc(l->v, nc * sizeof *v);
        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = nc;
    }
    l->v[l->n++] = (uint32_t)(x > UINT32_MAX ? UINT32_MAX : x);
    return 0;
}

/* "data.jsonl" + "train" -> "data.train.jsonl" (any other name: NAME.train.jsonl). */
static char *split_name(const char *out, const char *part)
{
    size_t n = strlen(out);
    if (n > 6 && !strcmp(out + n - 6, ".jsonl"))
        n -= 6;
    size_t k = n + strlen(part) + 8;
    char *s = malloc(k);
    if (s)
        snprintf(s, k, "%.*s.%s.jsonl", (int)n, out, part);
    return s;
}

int lf_rows_open(const lf_rows_opts *o, lf_rows **out, lf_err *err)
{
    static const char *const PARTS[3] = {"train", "val", "test"};
    lf_rows *r = calloc(1, sizeof *r);
    if (!r)
        return lf_err_set(err, ENOMEM, "out of memory");
    r->o = *o;
    pthread_mutex_init(&r->mu, NULL);
    lf_buf_init(&r->prompt, ROW_MAX);
    lf_buf_init(&r->completion, ROW_MAX);
    lf_buf_init(&r->line, ROW_MAX * 2);
    lf_buf_init(&r->check, ROW_MAX);
    int rc = 0;
    bool std = !o->out || !strcmp(o->out, "-");
    if (o->split) {
        if (std) {
            rc = lf_err_set(err, EINVAL, "--split needs --out FILE");
            goto fail;
        }
        for (int i = 0; i < 3; i++) {
            char *name = split_name(o->out, PARTS[i]);
            r->f[i] = name ? fopen(name, "w") : NULL;
            if (!r->f[i]) {
                rc = lf_err_set(err, name ? errno : ENOMEM, "%s: %s", name ? name : "split",
                                strerror(name ? errno : ENOMEM));
                free(name);
                goto fail;
            }
            free(name);
        }
    } else {
        r->f[0] = std ? stdout : fopen(o->out, "w");
        if (!r->f[0]) {
            rc = lf_err_set(err, errno, "%s: %s", o->out, strerror(errno));
            goto fail;
        }
    }
    if (o->model) {
        rc = lf_gguf_open(o->model, &r->gguf, err);
        if (!rc)
            rc = lf_tok_load(r->gguf, &r->tok, err);
        if (rc)
            goto fail;
    }
    *out = r;
    return 0;
fail:
    lf_rows_close(r, NULL);
    return rc;
}

void lf_rows_episode(lf_rows *r, unsigned e)
{
    pthread_mutex_lock(&r->mu);
    r->episode = e;
    r->step = 0;
    r->ep_rows = r->ep_err = 0;
    r->cur = 0;
    if (r->o.split) {
        /* a fixed function of (seed, episode): the same episode always lands
         * in the same file, and only there */
        double u = (double)(lf_hash64(&e, sizeof e, r->o.seed ^ 0x5eedULL) >> 11) / 9007199254740992.0;
        r->cur = u < r->o.frac[0] ? 0 : u < r->o.frac[0] + r->o.frac[1] ? 1 : 2;
    }
    pthread_mutex_unlock(&r->mu);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The row's JSON, in json.dumps style. */
static int render_line(lf_rows *r, const lf_op *op, int errnum, const char *source)
{
    lf_buf *l = &r->line;
    lf_buf_reset(l);
    int rc = lf_buf_puts(l, "{\"prompt\": ");
    if (!rc)
        rc = lf_json_write_str(l, r->prompt.data, r->prompt.len, true);
    if (!rc)
        rc = lf_buf_puts(l, ", \"completion\": ");
    if (!rc)
        rc = lf_json_write_str(l, r->completion.data ? r->completion.data : "", r->completion.len,
                               true);
    const char *en = errnum ? lf_errno_name(errnum) : "";
    if (!rc)
        rc = lf_buf_printf(l, ", \"meta\": {\"op\": \"%s\", \"errno\": \"%s\", \"episode\": %u, "
                              "\"step\": %u, \"source\": \"%s\"}}\n",
                           lf_op_name(op->kind), en ? en : "EIO", r->episode, r->step, source);
    return rc;
}

int lf_rows_emit(lf_rows *r, const lf_op *op, const lf_state *before, const lf_answer *ans,
                 const char *source)
{
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    r->emitted++;
    if (r->o.steps && r->step >= r->o.steps) {
        r->dropped++;
        goto out;
    }
    lf_buf_reset(&r->prompt);
    lf_buf_reset(&r->completion);
    rc = lf_prompt_render(op, before, &r->prompt);
    if (!rc && ans->kind == LF_ANS_LIST && ans->nnames > 1)
        qsort(ans->names, ans->nnames, sizeof *ans->names, cmp_names);
    if (!rc)
        rc = lf_completion_render(op, ans, &r->completion);
    int errnum = ans->kind == LF_ANS_ERROR ? ans->err : 0;
    if (!rc)
        rc = render_line(r, op, errnum, source);
    if (rc) {
        lf_error("gen: cannot render a %s row: %s", lf_op_name(op->kind), strerror(-rc));
        goto out;
    }
    if (r->o.verify) {
        lf_answer oa;
        memset(&oa, 0, sizeof oa);
        lf_buf_reset(&r->check);
        int orc = lf_oracle_answer(before, op, &oa);
        if (!orc)
            orc = lf_completion_render(op, &oa, &r->check);
        lf_answer_free(&oa);
        if (orc || r->check.len != r->completion.len ||
            memcmp(r->check.data, r->completion.data, r->check.len)) {
            r->mismatches++;
            fprintf(stderr, "gen: oracle disagrees (episode %u step %u, %s):\n  prompt: %.*s\n"
                            "  %s: %.*s\n  oracle: %.*s\n",
                    r->episode, r->step, source, (int)(r->prompt.len < 2000 ? r->prompt.len : 2000),
                    r->prompt.data, source, (int)(r->completion.len < 2000 ? r->completion.len : 2000),
                    r->completion.data ? r->completion.data : "",
                    (int)(r->check.len < 2000 ? r->check.len : 2000), r->check.data ? r->check.data : "");
        }
    }
    FILE *f = r->f[r->cur];
    if (fwrite(r->line.data, 1, r->line.len, f) != r->line.len) {
        rc = -EIO;
        r->werr = EIO;
        goto out;
    }
    if (r->o.flush_each)
        fflush(f);
    r->step++;
    r->ep_rows++;
    r->total++;
    r->per_split[r->cur]++;
    r->per_op[op->kind]++;
    if (errnum) {
        r->ep_err++;
        r->errs++;
        r->per_op_err[op->kind]++;
    }
    if (r->o.stats) {
        lens_push(&r->plen, r->prompt.len);
        lens_push(&r->clen, r->completion.len);
        if (r->tok) {
            lf_ids ids = {0};
            if (!lf_tok_encode(r->tok, r->prompt.data, r->prompt.len, false, &ids))
                lens_push(&r->ptok, ids.n);
            ids.n = 0;
            if (!lf_tok_encode(r->tok, r->completion.data ? r->completion.data : "",
                               r->completion.len, false, &ids))
                lens_push(&r->ctok, ids.n + 1); /* + the end-of-text token */
            lf_ids_free(&ids);
        }
    }
out:
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void lf_rows_counts(lf_rows *r, uint64_t *episode_rows, uint64_t *episode_err)
{
    pthread_mutex_lock(&r->mu);
    *episode_rows = r->ep_rows;
    *episode_err = r->ep_err;
    pthread_mutex_unlock(&r->mu);
}

uint64_t lf_rows_mismatches(lf_rows *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t m = r->mismatches;
    pthread_mutex_unlock(&r->mu);
    return m;
}

uint64_t lf_rows_emitted(lf_rows *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t m = r->emitted;
    pthread_mutex_unlock(&r->mu);
    return m;
}

uint64_t lf_rows_total(lf_rows *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t m = r->total;
    pthread_mutex_unlock(&r->mu);
    return m;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void print_pct(FILE *f, const char *what, lens *l)
{
    if (!l->n)
        return;
    qsort(l->v, l->n, sizeof *l->v, cmp_u32);
#define P(q) l->v[(size_t)((l->n - 1) * (q))]
    fprintf(f, "  %-18s p50 %7u  p90 %7u  p99 %7u  max %7u\n", what, P(0.50), P(0.90), P(0.99),
            l->v[l->n - 1]);
#undef P
}

void lf_rows_print_stats(lf_rows *r, FILE *f)
{
    pthread_mutex_lock(&r->mu);
    fprintf(f, "rows: %llu (errors %llu = %.1f%%; dropped past --steps: %llu)\n",
            (unsigned long long)r->total, (unsigned long long)r->errs,
            r->total ? 100.0 * (double)r->errs / (double)r->total : 0.0,
            (unsigned long long)r->dropped);
    if (r->o.split)
        fprintf(f, "split: train %llu, val %llu, test %llu rows\n",
                (unsigned long long)r->per_split[0], (unsigned long long)r->per_split[1],
                (unsigned long long)r->per_split[2]);
    fprintf(f, "ops:\n");
    for (int k = 0; k < LF_OP__COUNT; k++)
        if (r->per_op[k])
            fprintf(f, "  %-10s %8llu  %5.1f%%  (errors %llu)\n", lf_op_name((lf_op_kind)k),
                    (unsigned long long)r->per_op[k],
                    100.0 * (double)r->per_op[k] / (double)(r->total ? r->total : 1),
                    (unsigned long long)r->per_op_err[k]);
    if (r->o.stats) {
        fprintf(f, "lengths:\n");
        print_pct(f, "prompt bytes", &r->plen);
        print_pct(f, "completion bytes", &r->clen);
        print_pct(f, "prompt tokens", &r->ptok);
        print_pct(f, "completion tokens", &r->ctok);
    }
    if (r->o.verify)
        fprintf(f, "oracle: %llu of %llu rows agree\n",
                (unsigned long long)(r->total - r->mismatches), (unsigned long long)r->total);
    pthread_mutex_unlock(&r->mu);
}

int lf_rows_close(lf_rows *r, lf_err *err)
{
    if (!r)
        return 0;
    int rc = r->werr ? -r->werr : 0;
    for (int i = 0; i < 3; i++) {
        if (!r->f[i])
            continue;
        if (fflush(r->f[i]) && !rc)
            rc = -errno;
        if (r->f[i] != stdout && fclose(r->f[i]) && !rc)
            rc = -errno;
    }
    if (rc)
        lf_err_set(err, -rc, "writing the dataset: %s", strerror(-rc));
    lf_tok_free(r->tok);
    lf_gguf_close(r->gguf);
    free(r->plen.v);
    free(r->clen.v);
    free(r->ptok.v);
    free(r->ctok.v);
    lf_buf_free(&r->prompt);
    lf_buf_free(&r->completion);
    lf_buf_free(&r->line);
    lf_buf_free(&r->check);
    pthread_mutex_destroy(&r->mu);
    free(r);
    return rc;
}
