/* generate.c: sampling (greedy, temperature, top-p), stop conditions and the
 * plain decoding loop; the speculative loop lives in spec.c (generate.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lm/gen_internal.h"
#include "util/rng.h"

double lf_gen_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int32_t lf_argmax(const float *logits, int n)
{
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (logits[i] > logits[best])
            best = i;
    return best;
}

typedef struct cand {
    float p;
    int32_t id;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int32_t lf_sample(lf_sampler *s, float *logits, int n)
{
    if (s->temperature <= 0.0f)
        return lf_argmax(logits, n);
    int32_t best = lf_argmax(logits, n);
    float mx = logits[best];
    /* candidates: tokens within exp(-30) of the best (the rest weigh nothing) */
    cand *cs = malloc((size_t)n * sizeof *cs);
    if (!cs)
        return best;
    int nc = 0;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        float z = (logits[i] - mx) / s->temperature;
        if (z < -30.0f)
            continue;
        float p = expf(z);
        cs[nc].p = p;
        cs[nc++].id = i;
        sum += p;
    }
    qsort(cs, (size_t)nc, sizeof *cs, cand_cmp);
    int keep = nc;
    if (s->top_p > 0.0f && s->top_p < 1.0f) {
        double acc = 0;
        for (int i = 0; i < nc; i++) {
            acc += cs[i].p / sum;
            if (acc >= s->top_p) {
                keep = i + 1;
                break;
            }
        }
    }
    double ksum = 0;
    for (int i = 0; i < keep; i++)
        ksum += cs[i].p;
    double u = (double)(lf_splitmix64(&s->rng) >> 11) / (double)(1ull << 53) * ksum;
    int32_t pick = cs[keep - 1].id;
    double acc = 0;
    for (int i = 0; i < keep; i++) {
        acc += cs[i].p;
        if (u < acc) {
            pick = cs[i].id;
            break;
        }
    }
    free(cs);
    return pick;
}

void lf_gen_trace_free(lf_gen_trace *t)
{
    if (!t)
        return;
    free(t->v);
    memset(t, 0, sizeof *t);
}

static int trace_push(lf_gen_trace *t, int32_t tok, int32_t alt, float margin)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        lf_gen_choice *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = (lf_gen_choice){tok, alt, margin};
    return 0;
}

int lf_gen_emit(lf_gen_run *r, int32_t t, lf_err *err)
{
    const lf_gen_opts *o = r->o;
    if (o->eos >= 0 && t == o->eos) {
        r->st->stop = LF_STOP_EOS;
        return 1;
    }
    int rc;
    if (r->ids && (rc = lf_ids_push(r->ids, t)))
        return lf_err_set(err, -rc, "generate: out of memory");
    if (o->trace && (rc = trace_push(o->trace, t, r->alt, r->margin)))
        return lf_err_set(err, -rc, "generate: out of memory");
    r->n_emitted++;
    r->st->gen_tokens++;
    if (o->constraint && o->constraint->feed)
        o->constraint->feed(o->constraint->ctx, t);
    if (r->text && r->tok) {
        const char *p;
        size_t n;
        if ((rc = lf_tok_piece(r->tok, t, &p, &n)))
            return lf_err_set(err, -rc, "generate: token %d has no text", (int)t);
        if ((rc = lf_buf_append(r->text, p, n)))
            return lf_err_set(err, -rc, "generate: answer exceeds its buffer");
        /* earliest stop string that ends in the new text */
        size_t best = SIZE_MAX, best_len = 0;
        for (size_t i = 0; i < o->n_stops; i++) {
            size_t sl = strlen(o->stops[i]);
            if (!sl || r->text->len < sl)
                continue;
            size_t from = r->scan_from + 1 > sl ? r->scan_from + 1 - sl : 0;
            const char *hit = memmem(r->text->data + from, r->text->len - from, o->stops[i], sl);
            if (hit && (size_t)(hit - r->text->data) < best) {
                best = (size_t)(hit - r->text->data);
                best_len = sl;
            }
        }
        r->scan_from = r->text->len;
        if (best != SIZE_MAX) {
            r->text->len = best + best_len;
            r->text->data[r->text->len] = 0;
            r->st->stop = LF_STOP_STRING;
            return 1;
        }
    }
    if (o->max_tokens && r->n_emitted >= o->max_tokens) {
        r->st->stop = LF_STOP_MAX;
        return 1;
    }
    return 0;
}

static void constrain(const lf_gen_run *r, float *logits, int n)
{
    const lf_gen_constraint *k = r->o->constraint;
    if (k && k->mask)
        k->mask(k->ctx, logits, n);
}

int32_t lf_gen_greedy(lf_gen_run *r, float *logits, int n)
{
    constrain(r, logits, n);
    int32_t best = lf_argmax(logits, n);
    if (r->o->trace) {
        int32_t alt = -1;
        for (int i = 0; i < n; i++)
            if (i != best && logits[i] != -INFINITY && (alt < 0 || logits[i] > logits[alt]))
                alt = i;
        r->alt = alt;
        r->margin = alt < 0 ? INFINITY : logits[best] - logits[alt];
    }
    return best;
}

/* The next token from one row of logits: the sampler's draw, under the
 * constraint if any. */
static int32_t pick(lf_gen_run *r, lf_sampler *smp, float *logits, int n)
{
    if (smp->temperature <= 0.0f)
        return lf_gen_greedy(r, logits, n);
    constrain(r, logits, n);
    r->alt = -1;
    r->margin = INFINITY;
    return lf_sample(smp, logits, n);
}

static int plain_decode(lf_gen_run *r, int32_t t, lf_sampler *smp, lf_err *err)
{
    int vocab = lf_ctx_model(r->c)->cfg.vocab;
    for (;;) {
        if (lf_ctx_pos(r->c) >= lf_ctx_capacity(r->c)) {
            r->st->stop = LF_STOP_CONTEXT;
            return 0;
        }
        int rc = lf_forward(r->c, &t, 1, false, r->logits, err);
        if (rc)
            return rc;
        r->st->forwards++;
        t = pick(r, smp, r->logits, vocab);
        rc = lf_gen_emit(r, t, err);
        if (rc)
            return rc < 0 ? rc : 0;
    }
}

int lf_generate(lf_ctx *c, const lf_tok *tok, const int32_t *prompt, size_t n_prompt,
                const lf_gen_opts *o, lf_ids *ids, lf_buf *text, lf_gen_stats *stats,
                lf_err *err)
{
    lf_gen_stats st_local;
    lf_gen_stats *st = stats ? stats : &st_local;
    memset(st, 0, sizeof *st);
    if (n_prompt == 0)
        return lf_err_set(err, EINVAL, "generate: empty prompt");
    if (n_prompt >= (size_t)lf_ctx_capacity(c))
        return lf_err_set(err, ENOSPC, "generate: prompt of %zu tokens does not fit a context of %d",
                          n_prompt, lf_ctx_capacity(c));
    if (o->n_stops && text && !tok)
        return lf_err_set(err, EINVAL, "generate: stop strings need a tokenizer");
    lf_gen_opts opts = *o;
    if (opts.spec_max <= 0)
        opts.spec_max = 32;
    if (opts.spec_max > 256)
        opts.spec_max = 256;
    if (opts.spec_min_match <= 0)
        opts.spec_min_match = 2;
    int vocab = lf_ctx_model(c)->cfg.vocab;
    lf_gen_run r = {.c = c, .tok = tok, .o = &opts, .ids = ids, .text = text, .st = st,
                    .alt = -1, .margin = INFINITY};
    if (text)
        r.scan_from = text->len;
    r.logits = malloc((size_t)(opts.spec_max + 1) * vocab * sizeof(float));
    if (!r.logits)
        return lf_err_set(err, ENOMEM, "generate: out of memory");
    st->prompt_tokens = (long)n_prompt;

    /* prefill: keep the cached common prefix, recompute the rest (at least
     * the last prompt token, whose logits start the answer) */
    double t0 = lf_gen_now();
    const int32_t *have = lf_ctx_tokens(c);
    size_t common = 0, npos = (size_t)lf_ctx_pos(c);
    while (common < npos && common < n_prompt - 1 && have[common] == prompt[common])
        common++;
    lf_ctx_truncate(c, (int)common);
    st->reused_tokens = (long)common;
    int rc = lf_forward(c, prompt + common, (int)(n_prompt - common), false, r.logits, err);
    st->prefill_s = lf_gen_now() - t0;
    if (rc)
        goto out;

    t0 = lf_gen_now();
    lf_sampler smp = {.temperature = opts.temperature, .top_p = opts.top_p, .rng = opts.seed};
    int32_t first = pick(&r, &smp, r.logits, vocab);
    rc = lf_gen_emit(&r, first, err);
    if (rc) {
        rc = rc < 0 ? rc : 0;
    } else if (opts.spec && opts.temperature <= 0.0f) {
        rc = lf_spec_decode(&r, first, err);
    } else {
        rc = plain_decode(&r, first, &smp, err);
    }
    st->decode_s = lf_gen_now() - t0;
out:
    free(r.logits);
    return rc;
}
