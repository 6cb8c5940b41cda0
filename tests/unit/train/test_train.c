/* test_train.c: the CPU reference trainer: gradients against finite
 * differences, the optimiser and schedule, the batcher's loss masks and
 * buckets, checkpoint round trips, and a tiny run that must learn. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lm/bpe_train.h"
#include "lm/gguf.h"
#include "lm/quant.h"
#include "lm/tok.h"
#include "train/data.h"
#include "train/io.h"
#include "train/ref.h"
#include "train/train.h"

static const lf_tcfg tiny = {.n_layer = 2, .dim = 16, .n_head = 4, .n_kv = 2, .head_dim = 8,
                             .ffn = 24, .ctx = 16, .vocab = 37, .rope_base = 10000.0f,
                             .eps = 1e-6f, .tied = 0};

static uint64_t rs = 12345;
static double urand(void)
{
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    return (rs >> 11) * (1.0 / 9007199254740992.0);
}

/* Parameters far from the init (bigger matrices, norms away from 1) so
 * every path carries gradient. */
static float *rand_params(const lf_tcfg *c, size_t *n)
{
    lf_toffs o;
    lf_tcfg_offsets(c, &o);
    float *p = malloc(o.n * sizeof(float));
    lf_tensor_desc d[64];
    size_t nt = lf_tcfg_tensors(c, d, 64);
    for (size_t t = 0; t < nt; t++)
        for (size_t i = 0; i < d[t].rows * d[t].cols; i++)
            p[d[t].off + i] = d[t].rows == 1 ? (float)(0.5 + urand())
                                             : (float)((urand() - 0.5) * 0.8);
    *n = o.n;
    return p;
}

static void gradcheck(const lf_tcfg *c)
{
    size_t n;
    float *p = rand_params(c, &n);
    enum { B = 2, T = 7 };
    int32_t tok[B * T], tgt[B * T];
    for (int i = 0; i < B * T; i++) {
        tok[i] = (int32_t)(urand() * c->vocab);
        tgt[i] = (i % T) < 2 ? -1 : (int32_t)(urand() * c->vocab);   /* masked prompt */
    }
    lf_tref *r;
    assert_int_equal(lf_tref_new(c, B * T, T, &r, NULL), 0);
    double loss = lf_tref_forward(r, p, tok, tgt, B, T, NULL, NULL);
    assert_true(loss > 0 && isfinite(loss));
    lf_tref_backward(r, p, 0.0f);
    double *g = malloc(n * sizeof(double));
    memcpy(g, lf_tref_grads(r), n * sizeof(double));
    double num = 0, den = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        float keep = p[i];
        float up = keep + 2e-4f, dn = keep - 2e-4f;
        p[i] = up;
        double lu = lf_tref_forward(r, p, tok, tgt, B, T, NULL, NULL);
        p[i] = dn;
        double ld = lf_tref_forward(r, p, tok, tgt, B, T, NULL, NULL);
        p[i] = keep;
        double fd = (lu - ld) / ((double)up - (double)dn);
        num += (fd - g[i]) * (fd - g[i]);
        den += g[i] * g[i];
        double e = fabs(fd - g[i]) / (1e-6 + fabs(g[i]) + fabs(fd));
        if (e > worst && fabs(g[i]) > 1e-5)
            worst = e;
    }
    double rel = sqrt(num / den);
    printf("gradcheck (tied=%d): %zu params, |fd-g|/|g| = %.3g, worst element %.3g\n",
           c->tied, n, rel, worst);
    assert_true(den > 0);
    assert_true(rel < 1e-5);
    assert_true(worst < 1e-3);
    free(g);
    free(p);
    lf_tref_free(r);
}

static void test_gradcheck(void **state)
{
    (void)state;
    gradcheck(&tiny);
    lf_tcfg t = tiny;
    t.tied = 1;
    t.n_kv = 4;   /* plain multi-head attention too */
    gradcheck(&t);
}

/* Focal weighting (lf_topt.focal): the gradient is sum_i w_i g_i / sum_i w_i
 * with g_i the gradient of target i's loss alone and w_i = (1 - p_i)^focal;
 * focal 0 is the plain mean bit for bit. Half the targets are the model's
 * own argmax (sharpened output) so the weights spread from ~0 to ~1. */
static void test_focal(void **state)
{
    (void)state;
    size_t n;
    float *p = rand_params(&tiny, &n);
    lf_toffs o;
    lf_tcfg_offsets(&tiny, &o);
    for (size_t i = 0; i < (size_t)tiny.vocab * tiny.dim; i++)
        p[o.out + i] *= 6.0f;
    enum { B = 2, T = 6, N = B * T };
    int V = tiny.vocab;
    int32_t tok[N], tgt[N], one[N];
    for (int i = 0; i < N; i++) {
        tok[i] = (int32_t)(urand() * V);
        tgt[i] = (i % T) < 1 ? -1 : (int32_t)(urand() * V);
    }
    lf_tref *r;
    assert_int_equal(lf_tref_new(&tiny, N, T, &r, NULL), 0);
    lf_tref_forward(r, p, tok, tgt, B, T, NULL, NULL);
    const double *lg = lf_tref_logits(r);
    for (int i = 0; i < N; i += 2)   /* every other target: the argmax */
        if (tgt[i] >= 0) {
            int a = 0;
            for (int v = 1; v < V; v++)
                if (lg[(size_t)i * V + v] > lg[(size_t)i * V + a])
                    a = v;
            tgt[i] = a;
        }
    const float focal = 2.0f;
    double w[N], wsum = 0, wmin = 1, wmax = 0;
    lf_tref_forward(r, p, tok, tgt, B, T, NULL, NULL);
    for (int i = 0; i < N; i++) {
        w[i] = 0;
        if (tgt[i] < 0)
            continue;
        double mx = lg[(size_t)i * V], z = 0;
        for (int v = 1; v < V; v++)
            mx = fmax(mx, lg[(size_t)i * V + v]);
        for (int v = 0; v < V; v++)
            z += exp(lg[(size_t)i * V + v] - mx);
        w[i] = pow(1.0 - exp(lg[(size_t)i * V + tgt[i]] - mx) / z, focal);
        wsum += w[i];
        wmin = fmin(wmin, w[i]);
        wmax = fmax(wmax, w[i]);
    }
    assert_true(wmin < 0.2 && wmax > 0.8);   /* the weights really differ */
    double *plain = malloc(n * sizeof(double)), *foc = malloc(n * sizeof(double)),
           *want = calloc(n, sizeof(double));
    lf_tref_backward(r, p, 0.0f);
    memcpy(plain, lf_tref_grads(r), n * sizeof(double));
    lf_tref_backward(r, p, focal);
    memcpy(foc, lf_tref_grads(r), n * sizeof(double));
    for (int i = 0; i < N; i++) {
        if (tgt[i] < 0)
            continue;
        for (int j = 0; j < N; j++)
            one[j] = j == i ? tgt[i] : -1;
        lf_tref_forward(r, p, tok, one, B, T, NULL, NULL);
        lf_tref_backward(r, p, 0.0f);
        const double *g = lf_tref_grads(r);
        for (size_t k = 0; k < n; k++)
            want[k] += w[i] / wsum * g[k];
    }
    double num = 0, den = 0, dpl = 0;
    for (size_t k = 0; k < n; k++) {
        num += (foc[k] - want[k]) * (foc[k] - want[k]);
        den += want[k] * want[k];
        dpl += (plain[k] - want[k]) * (plain[k] - want[k]);
    }
    assert_true(sqrt(num / den) < 1e-9);
    assert_true(sqrt(dpl / den) > 1e-2);   /* and the plain mean is something else */
    /* focal 0 is the plain mean, bit for bit */
    lf_tref_forward(r, p, tok, tgt, B, T, NULL, NULL);
    lf_tref_backward(r, p, 0.0f);
    assert_memory_equal(lf_tref_grads(r), plain, n * sizeof(double));
    lf_tref_free(r);
    free(p);
    free(plain);
    free(foc);
    free(want);
}

/* Positions past a sequence's end must not change the loss of earlier
 * ones (causality), and masked targets must not count. */
static void test_causal_and_mask(void **state)
{
    (void)state;
    size_t n;
    float *p = rand_params(&tiny, &n);
    int32_t tok[8], tgt[8];
    for (int i = 0; i < 8; i++) {
        tok[i] = i + 3;
        tgt[i] = i < 5 ? i + 4 : -1;
    }
    lf_tref *r;
    assert_int_equal(lf_tref_new(&tiny, 8, 8, &r, NULL), 0);
    long cnt;
    double a = lf_tref_forward(r, p, tok, tgt, 1, 8, &cnt, NULL);
    assert_int_equal(cnt, 5);
    tok[6] = 30;
    tok[7] = 1;
    double b = lf_tref_forward(r, p, tok, tgt, 1, 8, NULL, NULL);
    assert_true(fabs(a - b) < 1e-12);
    tok[2] = 9;
    double c = lf_tref_forward(r, p, tok, tgt, 1, 8, NULL, NULL);
    assert_true(fabs(a - c) > 1e-6);
    lf_tref_free(r);
    free(p);
}

static void test_optim(void **state)
{
    (void)state;
    lf_topt o;
    lf_topt_default(&o);
    o.lr = 1e-2f;
    o.warmup = 10;
    o.total_steps = 110;
    o.weight_decay = 0.5f;
    assert_true(fabsf(lf_topt_lr(&o, 0) - 1e-3f) < 1e-9f);
    assert_true(fabsf(lf_topt_lr(&o, 9) - 1e-2f) < 1e-9f);
    assert_true(fabsf(lf_topt_lr(&o, 60) - (1e-3f + 0.5f * 9e-3f)) < 1e-7f);
    assert_true(fabsf(lf_topt_lr(&o, 110) - 1e-3f) < 1e-9f);
    assert_true(fabsf(lf_topt_lr(&o, 500) - 1e-3f) < 1e-9f);
    assert_true(lf_clip_scale(1.0f, 0.5) == 1.0f);
    assert_true(fabsf(lf_clip_scale(1.0f, 4.0) - 0.25f) < 1e-7f);
    float p[2] = {1.0f, 1.0f}, g[2] = {0.5f, 0.5f}, m[2] = {0}, v[2] = {0};
    uint8_t mask[2] = {1, 0};
    lf_adamw_step(&o, 0, 0.1f, 1.0f, 2, p, g, m, v, mask);
    /* first step: mhat/sqrt(vhat) = sign(g) = 1 */
    assert_true(fabsf(p[0] - (1.0f - 0.1f * (1.0f + 0.5f))) < 1e-5f);
    assert_true(fabsf(p[1] - (1.0f - 0.1f)) < 1e-5f);
    assert_true(fabsf(m[0] - 0.05f) < 1e-7f);
    /* mask covers matrices only */
    lf_toffs off;
    lf_tcfg_offsets(&tiny, &off);
    uint8_t *dm = malloc(off.n);
    lf_tmodel_decay_mask(&tiny, dm);
    assert_int_equal(dm[off.emb], 1);
    assert_int_equal(dm[off.l0 + off.attn_norm], 0);
    assert_int_equal(dm[off.l0 + off.wqkv], 1);
    assert_int_equal(dm[off.l0 + off.q_norm + 3], 0);
    assert_int_equal(dm[off.out_norm], 0);
    assert_int_equal(dm[off.n - 1], 1);
    free(dm);
}

static void test_convert(void **state)
{
    (void)state;
    assert_int_equal(lf_f32_to_bf16(1.0f), 0x3f80);
    assert_int_equal(lf_f32_to_bf16(-2.0f), 0xc000);
    assert_true(lf_bf16_to_f32(lf_f32_to_bf16(3.14159f)) == 3.140625f);
    assert_int_equal(lf_f32_to_f16(1.0f), 0x3c00);
    assert_int_equal(lf_f32_to_f16(-2.5f), 0xc100);
    assert_int_equal(lf_f32_to_f16(65504.0f), 0x7bff);
    assert_int_equal(lf_f32_to_f16(1e6f), 0x7c00);
    assert_int_equal(lf_f32_to_f16(5.9604645e-8f), 0x0001);
    assert_int_equal(lf_f32_to_f16(6.1035156e-5f), 0x0400);
}

/* Byte-level stub tokenizer: id = byte, end-of-text = 256. */
static int enc_bytes(void *ctx, const char *s, size_t n, const char *prompt, size_t plen,
                     lf_ids *ids)
{
    (void)ctx;
    (void)prompt;
    (void)plen;
    int32_t *v = realloc(ids->v, (ids->n + n + 1) * sizeof(int32_t));
    if (!v)
        return -ENOMEM;
    ids->v = v;
    for (size_t i = 0; i < n; i++)
        ids->v[ids->n++] = (unsigned char)s[i];
    ids->cap = ids->n;
    return 0;
}

static void test_data(void **state)
{
    (void)state;
    char path[] = "/tmp/lf_train_data_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    /* 40 rows of lengths 3..42, plus one too long for max_len 48 */
    for (int i = 0; i < 40; i++) {
        fprintf(f, "{\"prompt\": \"P%.*s\", \"completion\": \"%.*s\", \"meta\": {\"op\": \"x\"}}\n",
                i % 5, "ppppp", i + 1 - i % 5 > 0 ? i + 1 - i % 5 : 1,
                "cccccccccccccccccccccccccccccccccccccccccccc");
    }
    fprintf(f, "{\"prompt\": \"%s\", \"completion\": \"x\"}\n",
            "a long prompt that does not fit in forty-eight tokens at all, no");
    fclose(f);
    lf_tdata d;
    lf_err err = {0};
    assert_int_equal(lf_tdata_load(path, enc_bytes, NULL, 256, 48, &d, &err), 0);
    unlink(path);
    assert_int_equal(d.n_rows, 40);
    assert_int_equal(d.n_dropped, 1);
    /* row 0: "P" + "c" + eos */
    assert_int_equal(d.off[1] - d.off[0], 3);
    assert_int_equal(d.ids[0], 'P');
    assert_int_equal(d.ids[2], 256);
    assert_int_equal(d.plen[0], 1);

    lf_tbatcher *b;
    assert_int_equal(lf_tbatcher_new(&d, 128, 8, 48, 7, &b, &err), 0);
    size_t nb = lf_tbatcher_count(b);
    assert_true(nb > 1);
    assert_true(lf_tbatcher_max_tokens(b) <= 128);
    /* one epoch covers every completion token and eos exactly once */
    long want = 0;
    for (size_t r = 0; r < d.n_rows; r++)
        want += (long)(d.off[r + 1] - d.off[r]) - d.plen[r];
    long got = 0;
    for (size_t i = 0; i < nb; i++) {
        lf_tbatch bt;
        lf_tbatcher_next(b, &bt);
        assert_true(bt.B * bt.T <= 128);
        assert_int_equal(bt.T % 8, 0);
        long cnt = 0;
        for (int s = 0; s < bt.B; s++) {
            int eos_seen = 0, started = 0;
            for (int t = 0; t < bt.T; t++) {
                int32_t g = bt.tgt[s * bt.T + t];
                if (g >= 0) {
                    cnt++;
                    started = 1;
                    assert_false(eos_seen);
                    if (g == 256)
                        eos_seen = 1;
                    else
                        assert_int_equal(g, 'c');   /* only completion bytes are targets */
                    if (t + 1 < bt.T && g != 256)
                        assert_int_equal(bt.tok[s * bt.T + t + 1], g);
                } else {
                    assert_true(!started || eos_seen);   /* prompt before, padding after */
                }
            }
            assert_true(eos_seen);
        }
        assert_int_equal(cnt, bt.n_tgt);
        got += cnt;
    }
    assert_int_equal(got, want);
    /* seek replays the same order */
    lf_tbatch x, y;
    lf_tbatcher_next(b, &x);
    int32_t first = x.tgt[x.T - 1], bb = x.B, tt = x.T;
    lf_tbatcher_next(b, &x);
    lf_tbatcher_seek(b, nb);
    lf_tbatcher_next(b, &y);
    assert_int_equal(y.B, bb);
    assert_int_equal(y.T, tt);
    assert_int_equal(y.tgt[y.T - 1], first);
    lf_tbatcher_free(b);
    lf_tdata_free(&d);
}

/* A batch as (B, T, hash of its tokens and targets), to find it again. */
static uint64_t batch_key(const lf_tbatch *x)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)x->B << 32 ^ (uint64_t)x->T;
    for (long i = 0; i < (long)x->B * x->T; i++)
        h = (h ^ (uint32_t)x->tok[i] ^ (uint64_t)(uint32_t)x->tgt[i] << 20) * 1099511628211ull;
    return h;
}

/* lf_tbatcher_group: group 1 is the plain order; group 4 serves the plan's
 * neighbours 4m .. 4m+3 together from positions that are multiples of 4,
 * the remainder last (repeated to fill its group, so an epoch is whole
 * groups and every later epoch stays aligned to the steps), every batch
 * at least once an epoch, in another order each epoch, seek lands on the
 * same batches, and a group's batches stay valid together. */
static void test_batcher_group(void **state)
{
    (void)state;
    lf_tdata d = {0};
    char pr[8], co[80];
    for (int i = 0; i < 90; i++) {   /* 90 rows of lengths 3 .. 62 */
        snprintf(pr, sizeof pr, "P%d", i % 7);
        memset(co, 'c', sizeof co);
        assert_int_equal(lf_tdata_add(&d, pr, strlen(pr), co, 1 + (size_t)(i * 37 % 60), enc_bytes,
                                      NULL, 256, 64), 0);
    }
    lf_err err = {0};
    lf_tbatcher *a, *b;
    assert_int_equal(lf_tbatcher_new(&d, 96, 8, 64, 5, &a, &err), 0);
    assert_int_equal(lf_tbatcher_new(&d, 96, 8, 64, 5, &b, &err), 0);
    size_t nb = lf_tbatcher_count(a);
    assert_true(nb >= 10 && nb % 4 != 0);   /* a remainder to place */
    uint64_t *plan = malloc(nb * sizeof *plan), *ep0 = malloc(nb * sizeof *ep0);
    for (size_t i = 0; i < nb; i++) {
        lf_tbatch x;
        lf_tbatcher_get(a, i, &x);
        plan[i] = batch_key(&x);
    }
    assert_int_equal(lf_tbatcher_group(b, 1), 0);
    for (size_t i = 0; i < 2 * nb; i++) {
        lf_tbatch x, y;
        lf_tbatcher_next(a, &x);
        uint64_t kx = batch_key(&x);
        lf_tbatcher_next(b, &y);
        assert_true(kx == batch_key(&y));
    }
    lf_tbatcher_free(b);
    assert_int_equal(lf_tbatcher_new(&d, 96, 8, 64, 5, &b, &err), 0);
    assert_int_equal(lf_tbatcher_group(b, 4), 0);
    int moved = 0;
    size_t whole = nb / 4 * 4, ne = whole + 4;   /* nb % 4 != 0: one padded group */
    for (int epoch = 0; epoch < 3; epoch++) {
        int *seen = calloc(nb, sizeof *seen);
        size_t prev = 0;
        for (size_t k = 0; k < ne; k++) {
            lf_tbatch x;
            lf_tbatcher_next(b, &x);
            uint64_t key = batch_key(&x);
            size_t m = 0;
            while (m < nb && plan[m] != key)
                m++;
            assert_true(m < nb);
            seen[m]++;
            if (k >= whole)   /* the remainder, last and in order, repeated */
                assert_true(m == whole + (k - whole) % (nb - whole));
            else
                assert_true(m % 4 == k % 4 && m < whole);   /* whole groups, aligned */
            if (k % 4 && k < whole)   /* the group's neighbours follow one another */
                assert_true(m == prev + 1);
            prev = m;
            if (epoch == 0 && k < nb)
                ep0[k] = key;
            else if (k < nb && ep0[k] != key)
                moved = 1;
        }
        for (size_t m = 0; m < nb; m++) {
            int want = 1;   /* once, and the remainder's repeats once more */
            for (size_t k = nb; m >= whole && k < ne; k++)
                want += (k - whole) % (nb - whole) == m - whole;
            assert_int_equal(seen[m], want);
        }
        free(seen);
    }
    assert_true(moved);   /* the later epochs are in another order */
    /* seek to a group's start in the second epoch replays it */
    lf_tbatcher_seek(b, ne + 4);
    lf_tbatch x;
    lf_tbatcher_next(b, &x);
    lf_tbatcher *c;
    assert_int_equal(lf_tbatcher_new(&d, 96, 8, 64, 5, &c, &err), 0);
    assert_int_equal(lf_tbatcher_group(c, 4), 0);
    uint64_t want = 0;
    for (size_t i = 0; i <= ne + 4; i++) {
        lf_tbatch y;
        lf_tbatcher_next(c, &y);
        want = batch_key(&y);
    }
    assert_true(batch_key(&x) == want);
    /* a group's four batches stay valid together (a buffer each) */
    lf_tbatch q[4];
    uint64_t qk[4];
    lf_tbatcher_seek(c, 0);
    for (int r = 0; r < 4; r++) {
        lf_tbatcher_next(c, &q[r]);
        qk[r] = batch_key(&q[r]);
    }
    for (int r = 0; r < 4; r++)
        assert_true(batch_key(&q[r]) == qk[r]);
    lf_tbatcher_free(c);
    lf_tbatcher_free(b);
    lf_tbatcher_free(a);
    free(plan);
    free(ep0);
    lf_tdata_free(&d);
}

/* Several files loaded at once, a thread each, equal the rows loaded one
 * file after another; a missing file fails the whole load. */
static void test_data_files(void **state)
{
    (void)state;
    char paths[3][64];
    const char *pp[4];
    lf_tdata one = {0};
    lf_err err = {0};
    for (int k = 0; k < 3; k++) {
        snprintf(paths[k], sizeof paths[k], "/tmp/lf_train_files_%d_%d", (int)getpid(), k);
        FILE *f = fopen(paths[k], "w");
        assert_non_null(f);
        for (int i = 0; i < 5 + 7 * k; i++)
            fprintf(f, "{\"prompt\": \"p%d-%d\", \"completion\": \"%.*s\"}\n", k, i, 1 + i % 9,
                    "abcdefghij");
        fclose(f);
        pp[k] = paths[k];
        lf_tdata d;
        assert_int_equal(lf_tdata_load(paths[k], enc_bytes, NULL, 256, 48, &d, &err), 0);
        /* append by hand, as the reference */
        for (size_t r = 0; r < d.n_rows; r++) {
            size_t a = d.off[r], pl = d.plen[r], len = d.off[r + 1] - a;
            char pr[64], co[64];
            for (size_t t = 0; t < pl; t++) pr[t] = (char)d.ids[a + t];
            for (size_t t = pl; t + 1 < len; t++) co[t - pl] = (char)d.ids[a + t];
            assert_int_equal(lf_tdata_add(&one, pr, pl, co, len - 1 - pl, enc_bytes, NULL, 256, 48), 0);
        }
        lf_tdata_free(&d);
    }
    lf_tdata all;
    assert_int_equal(lf_tdata_load_files(pp, 3, enc_bytes, NULL, 256, 48, &all, &err), 0);
    assert_int_equal(all.n_rows, 5 + 12 + 19);
    assert_int_equal(all.n_rows, one.n_rows);
    assert_int_equal(all.n_tokens, one.n_tokens);
    assert_memory_equal(all.ids, one.ids, one.n_tokens * sizeof(int32_t));
    assert_memory_equal(all.off, one.off, (one.n_rows + 1) * sizeof(size_t));
    assert_memory_equal(all.plen, one.plen, one.n_rows * sizeof(uint32_t));
    lf_tdata_free(&all);
    pp[3] = "/nonexistent/lf_train_files";
    assert_int_equal(lf_tdata_load_files(pp, 4, enc_bytes, NULL, 256, 48, &all, &err), -ENOENT);
    assert_null(all.ids);
    for (int k = 0; k < 3; k++)
        unlink(paths[k]);
    lf_tdata_free(&one);
}

static void test_ckpt(void **state)
{
    (void)state;
    lf_tcfg c = tiny;
    c.vocab = 24000;
    c.dim = 64;
    c.head_dim = 16;
    lf_toffs o;
    lf_tcfg_offsets(&c, &o);
    assert_true(o.n * 12 > LF_CKPT_PART);   /* two parts at least */
    lf_tckpt k = {.cfg = c, .step = 17, .data_pos = 99, .seed = 5, .n = o.n};
    k.p = malloc(o.n * 4);
    k.m = malloc(o.n * 4);
    k.v = malloc(o.n * 4);
    for (size_t i = 0; i < o.n; i++) {
        k.p[i] = (float)urand();
        k.m[i] = (float)urand();
        k.v[i] = (float)urand();
    }
    char dir[] = "/tmp/lf_ckpt_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], p1[300];
    snprintf(path, sizeof path, "%s/ck", dir);
    snprintf(p1, sizeof p1, "%s.1", path);
    lf_err err = {0};
    assert_int_equal(lf_tckpt_save(path, &k, &err), 0);
    assert_int_equal(access(p1, F_OK), 0);
    lf_tckpt l;
    assert_int_equal(lf_tckpt_load(path, &l, &err), 0);
    assert_int_equal(l.step, 17);
    assert_int_equal(l.data_pos, 99);
    assert_int_equal(l.n, o.n);
    assert_int_equal(l.cfg.vocab, 24000);
    assert_true(l.cfg.rope_base == c.rope_base);
    assert_memory_equal(l.p, k.p, o.n * 4);
    assert_memory_equal(l.m, k.m, o.n * 4);
    assert_memory_equal(l.v, k.v, o.n * 4);
    lf_tckpt_free(&l);
    /* a missing part is an error, not a short model */
    unlink(p1);
    assert_true(lf_tckpt_load(path, &l, &err) < 0);
    unlink(path);
    for (int i = 2; i < 100; i++) {   /* the other parts, however many */
        snprintf(p1, sizeof p1, "%s.%d", path, i);
        unlink(p1);
    }
    assert_int_equal(rmdir(dir), 0);
    lf_tckpt_free(&k);
}

/* A few dozen AdamW steps on one batch must drive the loss down. */
static void test_learns(void **state)
{
    (void)state;
    lf_tcfg c = tiny;
    lf_toffs o;
    lf_tcfg_offsets(&c, &o);
    float *p = malloc(o.n * 4), *m = calloc(o.n, 4), *v = calloc(o.n, 4);
    uint8_t *mask = malloc(o.n);
    lf_tmodel_init(&c, 1, p);
    lf_tmodel_decay_mask(&c, mask);
    lf_topt opt;
    lf_topt_default(&opt);
    opt.lr = 1e-2f;
    opt.warmup = 5;
    opt.total_steps = 60;
    int32_t tok[2 * 12], tgt[2 * 12];
    for (int i = 0; i < 24; i++) {
        tok[i] = (i * 7) % 37;
        tgt[i] = i % 12 < 3 ? -1 : ((i + 1) * 7) % 37;
    }
    lf_tref *r;
    assert_int_equal(lf_tref_new(&c, 24, 12, &r, NULL), 0);
    double first = 0, last = 0, gn;
    for (long s = 0; s < 60; s++) {
        last = lf_tref_step(r, &opt, s, p, m, v, mask, tok, tgt, 2, 12, &gn);
        if (s == 0)
            first = last;
    }
    printf("tiny run: loss %.4f -> %.4f\n", first, last);
    assert_true(fabs(first - log(37.0)) < 0.2);
    assert_true(last < 0.2 * first);
    lf_tref_free(r);
    free(p); free(m); free(v); free(mask);
}

enum { GB = 2, GT = 9 };   /* the growth tests' batch */

/* A growth test's start: tiny's random weights, a batch, and the reference
 * forward of it. */
typedef struct grow_case {
    int32_t tok[GB * GT], tgt[GB * GT];
    float *p;        /* n floats */
    size_t n;
    double loss;
    lf_tref *r;      /* holds the logits of that forward */
} grow_case;

/* Fills g: the batch made with multipliers ka and kb. */
static void grow_start(grow_case *g, int ka, int kb)
{
    g->p = rand_params(&tiny, &g->n);
    for (int i = 0; i < GB * GT; i++) {
        g->tok[i] = (i * ka + 3) % tiny.vocab;
        g->tgt[i] = i % GT < 2 ? -1 : (i * kb + 1) % tiny.vocab;
    }
    assert_int_equal(lf_tref_new(&tiny, GB * GT, GT, &g->r, NULL), 0);
    g->loss = lf_tref_forward(g->r, g->p, g->tok, g->tgt, GB, GT, NULL, NULL);
}

static void grow_end(grow_case *g)
{
    lf_tref_free(g->r);
    free(g->p);
}

/* q, g's model grown to c, gives g's loss and logits bit for bit; then one
 * AdamW step from zero moments trains q in place. */
static void grow_same_then_step(const grow_case *g, const lf_tcfg *c, float *q)
{
    lf_toffs b;
    lf_tcfg_offsets(c, &b);
    lf_tref *r;
    assert_int_equal(lf_tref_new(c, GB * GT, GT, &r, NULL), 0);
    assert_true(lf_tref_forward(r, q, g->tok, g->tgt, GB, GT, NULL, NULL) == g->loss);
    assert_memory_equal(lf_tref_logits(r), lf_tref_logits(g->r),
                        (size_t)GB * GT * tiny.vocab * sizeof(double));
    float *m = calloc(b.n, 4), *v = calloc(b.n, 4);
    uint8_t *mask = malloc(b.n);
    lf_tmodel_decay_mask(c, mask);
    lf_topt opt;
    lf_topt_default(&opt);
    lf_tref_step(r, &opt, 0, q, m, v, mask, g->tok, g->tgt, GB, GT, NULL);
    lf_tref_free(r);
    free(m); free(v); free(mask);
}

/* lf_tmodel_grow: a deeper copy computes bit-identical logits (the new
 * layers add zeros to the residual), keeps the old layers in order, and
 * training then moves the new layers' output projections. */
static void test_grow(void **state)
{
    (void)state;
    grow_case g;
    grow_start(&g, 11, 5);
    const float *p = g.p;
    lf_toffs a;
    lf_tcfg_offsets(&tiny, &a);
    for (int layers = 3; layers <= 5; layers++) {
        lf_tcfg c = tiny;
        c.n_layer = layers;
        lf_toffs b;
        lf_tcfg_offsets(&c, &b);
        float *q = malloc(b.n * sizeof *q);
        assert_int_equal(lf_tmodel_grow(&tiny, p, &c, q, 1, NULL), 0);
        /* old layer 1 sits at 1 * layers / 2; layer 0 stays first */
        assert_memory_equal(q + b.l0, p + a.l0, a.lstride * sizeof *q);
        assert_memory_equal(q + b.l0 + (size_t)(layers / 2) * b.lstride, p + a.l0 + a.lstride,
                            a.lstride * sizeof *q);
        grow_same_then_step(&g, &c, q);
        /* the step moved the zero wo of the new layer 1 */
        const float *wo = q + b.l0 + b.lstride + b.wo;
        size_t moved = 0;
        for (size_t i = 0; i < b.q_norm - b.wo; i++)
            moved += wo[i] != 0;
        assert_true(moved > (b.q_norm - b.wo) / 2);
        free(q);
    }
    /* only more layers, FFN units or heads in whole groups; never the same */
    lf_tcfg bad[5];
    for (int i = 0; i < 5; i++)
        bad[i] = tiny;
    bad[0].n_layer = 1;                     /* fewer layers */
    bad[1].ffn = 16;                        /* fewer FFN units */
    bad[2].n_head = 6;                      /* 3 q heads a kv head, not 2 */
    bad[3].dim = 24;                        /* another width */
    float *q = malloc(g.n * 8 * sizeof *q);
    lf_err err = {0};
    for (int i = 0; i < 5; i++)             /* bad[4]: the same shape */
        assert_int_equal(lf_tmodel_grow(&tiny, p, &bad[i], q, 1, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "only more layers"));
    free(q);
    grow_end(&g);
}

/* lf_tmodel_grow in width: more heads (in whole groups) and FFN units, and
 * a layer more, compute bit-identical logits; the old weights keep their
 * places; one step then moves the new heads' wo columns and the new units'
 * wdown columns away from zero. */
static void test_grow_wide(void **state)
{
    (void)state;
    grow_case g;
    grow_start(&g, 7, 3);
    lf_tcfg c = tiny;
    c.n_layer = 3;
    c.n_head = 8;
    c.n_kv = 4;
    c.ffn = 40;
    lf_toffs a, b;
    lf_tcfg_offsets(&tiny, &a);
    lf_tcfg_offsets(&c, &b);
    float *q = malloc(b.n * sizeof *q);
    assert_int_equal(lf_tmodel_grow(&tiny, g.p, &c, q, 7, NULL), 0);
    /* old layer 0 at 0: its q rows, its first k row, its wo and wdown rows */
    size_t D = tiny.dim, hd = tiny.head_dim, Qa = 4 * hd, Ka = 2 * hd, Qb = 8 * hd;
    const float *pa = g.p + a.l0, *qb = q + b.l0;
    assert_memory_equal(qb + b.wqkv, pa + a.wqkv, Qa * D * sizeof *q);
    assert_memory_equal(qb + b.wqkv + Qb * D, pa + a.wqkv + Qa * D, Ka * D * sizeof *q);
    assert_memory_equal(qb + b.wo + 3 * Qb, pa + a.wo + 3 * Qa, Qa * sizeof *q);
    assert_true(qb[b.wo + 3 * Qb + Qa] == 0.0f);
    assert_memory_equal(qb + b.wdown + 2 * 40, pa + a.wdown + 2 * 24, 24 * sizeof *q);
    assert_true(qb[b.wqkv + Qa * D] != 0.0f);   /* a new q head's weights: random */
    grow_same_then_step(&g, &c, q);
    /* the step moved the zero columns of the old layer 0's new heads and units */
    size_t moved_wo = 0, moved_down = 0;
    for (size_t d = 0; d < D; d++) {
        for (size_t j = Qa; j < Qb; j++)
            moved_wo += qb[b.wo + d * Qb + j] != 0;
        for (size_t j = 24; j < 40; j++)
            moved_down += qb[b.wdown + d * 40 + j] != 0;
    }
    assert_true(moved_wo > D * (Qb - Qa) / 2);
    assert_true(moved_down > D * 16 / 2);
    free(q);
    grow_end(&g);
}

/* A byte-level tokenizer GGUF through bpe_train with 0 merges: ids 0..255
 * are the bytes, 256 is <|endoftext|>. Returns a path (caller unlinks). */
static void stub_tokenizer(char *path, size_t n)
{
    static const char *const sp[] = {"<|endoftext|>"};
    lf_bpe_trainer *tr = lf_bpe_trainer_new(sp, NULL, 1);
    assert_non_null(tr);
    assert_int_equal(lf_bpe_trainer_add(tr, "abc", 3), 0);
    lf_bpe *b = NULL;
    lf_err err = {0};
    assert_int_equal(lf_bpe_trainer_train(tr, 257, &b, &err), 0);
    assert_int_equal(b->n_merges, 0);
    lf_gguf_writer *w = lf_gguf_writer_new();
    assert_int_equal(lf_bpe_write_gguf(b, w), 0);
    snprintf(path, n, "/tmp/lf_train_tok_%d.gguf", (int)getpid());
    assert_int_equal(lf_gguf_write(w, path, &err), 0);
    lf_gguf_writer_free(w);
    lf_bpe_free(b);
    lf_bpe_trainer_free(tr);
}


/* The batcher over the real tokenizer API (byte vocabulary). */
static void test_tok_batcher(void **state)
{
    (void)state;
    char tp[128];
    stub_tokenizer(tp, sizeof tp);
    lf_gguf *g;
    lf_tok *t;
    lf_err err = {0};
    assert_int_equal(lf_gguf_open(tp, &g, &err), 0);
    assert_int_equal(lf_tok_load(g, &t, &err), 0);
    int32_t eos = lf_tok_eos(t);
    assert_int_equal(eos, 256);
    lf_tdata d = {0};
    lf_tenc_tok enc = {.tok = t, .special = true};
    assert_int_equal(lf_tdata_add(&d, "ls /", 4, "[\".\"]", 5, lf_tenc_tok_fn, &enc, eos, 64), 0);
    assert_int_equal(d.n_rows, 1);
    assert_int_equal(d.plen[0], 4);
    assert_int_equal(d.off[1], 10);
    assert_int_equal(d.ids[0], 'l');
    assert_int_equal(d.ids[4], '[');
    assert_int_equal(d.ids[9], 256);
    lf_tbatcher *b;
    assert_int_equal(lf_tbatcher_new(&d, 64, 16, 64, 1, &b, &err), 0);
    lf_tbatch bt;
    lf_tbatcher_next(b, &bt);
    assert_int_equal(bt.B, 1);
    assert_int_equal(bt.T, 16);
    /* position 3 (' /' end of prompt) predicts '[', the first completion token */
    assert_int_equal(bt.tgt[2], -1);
    assert_int_equal(bt.tgt[3], '[');
    assert_int_equal(bt.tgt[8], 256);
    assert_int_equal(bt.tgt[9], -1);
    assert_int_equal(bt.n_tgt, 6);
    lf_tbatcher_free(b);
    lf_tdata_free(&d);
    lf_tok_free(t);
    lf_gguf_close(g);
    unlink(tp);
}

/* Export: names, shapes, split tensors bit-exact (f32), metadata. */
static void test_export(void **state)
{
    (void)state;
    char tp[128], mp[128];
    stub_tokenizer(tp, sizeof tp);
    snprintf(mp, sizeof mp, "/tmp/lf_train_model_%d.gguf", (int)getpid());
    lf_gguf *tg, *g;
    lf_err err = {0};
    assert_int_equal(lf_gguf_open(tp, &tg, &err), 0);
    lf_tcfg c = tiny;
    c.vocab = 257;
    size_t n;
    float *p = rand_params(&c, &n);
    assert_int_equal(lf_texport_gguf(mp, &c, p, LF_TEXPORT_F32, false, tg, &err), 0);
    assert_int_equal(lf_gguf_open(mp, &g, &err), 0);
    char *s = NULL;
    assert_int_equal(lf_gguf_get_str(g, "general.architecture", &s), 0);
    assert_string_equal(s, "qwen3");
    free(s);
    assert_int_equal(lf_gguf_get_str(g, "llmfuse.contract", &s), 0);
    assert_string_equal(s, "none");
    free(s);
    uint64_t u;
    assert_int_equal(lf_gguf_get_u64(g, "llmfuse.protocol", &u), 0);
    assert_int_equal(u, 1);
    assert_int_equal(lf_gguf_get_u64(g, "qwen3.attention.head_count_kv", &u), 0);
    assert_int_equal(u, 2);
    assert_int_equal(lf_gguf_get_u64(g, "tokenizer.ggml.eos_token_id", &u), 0);
    assert_int_equal(u, 256);
    lf_toffs o;
    lf_tcfg_offsets(&c, &o);
    const lf_gguf_tensor *k = lf_gguf_tensor_find(g, "blk.1.attn_k.weight");
    assert_non_null(k);
    assert_int_equal(k->ne[0], 16);
    assert_int_equal(k->ne[1], 16);
    const float *wqkv1 = p + o.l0 + o.lstride + o.wqkv;
    assert_memory_equal(k->data, wqkv1 + 32 * 16, 16 * 16 * 4);   /* after Q = 4*8 rows */
    const lf_gguf_tensor *up = lf_gguf_tensor_find(g, "blk.0.ffn_up.weight");
    assert_non_null(up);
    assert_int_equal(up->ne[0], 16);
    assert_int_equal(up->ne[1], 24);
    assert_memory_equal(up->data, p + o.l0 + o.wgu + 24 * 16, 24 * 16 * 4);
    assert_non_null(lf_gguf_tensor_find(g, "output.weight"));
    assert_non_null(lf_gguf_tensor_find(g, "blk.1.attn_q_norm.weight"));
    /* import gives the parameters and the shape back exactly (f32) */
    lf_tcfg c2 = {.rope_base = 1, .eps = 1};
    float *q = NULL;
    assert_int_equal(lf_timport_gguf(g, &c2, &q, &err), 0);
    assert_memory_equal(&c2, &c, sizeof c);
    assert_memory_equal(q, p, n * sizeof(float));
    free(q);
    lf_gguf_close(g);
    /* bf16 export: halves the matrices, norms stay f32; import rounds as bf16 */
    assert_int_equal(lf_texport_gguf(mp, &c, p, LF_TEXPORT_BF16, false, tg, &err), 0);
    assert_int_equal(lf_gguf_open(mp, &g, &err), 0);
    assert_int_equal(lf_gguf_tensor_find(g, "token_embd.weight")->type, LF_GGML_BF16);
    assert_int_equal(lf_gguf_tensor_find(g, "output_norm.weight")->type, LF_GGML_F32);
    c2 = tiny;
    assert_int_equal(lf_timport_gguf(g, &c2, &q, &err), 0);
    assert_int_equal(c2.vocab, 257);
    assert_true(q[o.emb + 5] == lf_bf16_to_fp32(lf_fp32_to_bf16(p[o.emb + 5])));
    assert_true(q[o.emb + 5] != p[o.emb + 5] || p[o.emb + 5] == 0);
    assert_true(q[o.out_norm + 3] == p[o.out_norm + 3]);   /* norms are f32 */
    free(q);
    lf_gguf_close(g);
    /* a file that is not a model: a clear error, nothing allocated */
    assert_int_equal(lf_timport_gguf(tg, &c2, &q, &err), -EINVAL);
    assert_null(q);
    assert_non_null(strstr(err.msg, "qwen3.block_count"));
    lf_gguf_close(tg);
    unlink(mp);
    unlink(tp);
    free(p);
}

/* Stopping at a checkpoint and resuming gives bit-identical weights to an
 * uninterrupted run (same batches from the batcher's position, same
 * schedule, moments restored). */
static void test_resume(void **state)
{
    (void)state;
    lf_tdata d = {0};
    char pr[8], co[40];
    for (int i = 0; i < 30; i++) {
        snprintf(pr, sizeof pr, "p%d", i % 7);
        snprintf(co, sizeof co, "%.*s", 3 + i % 11, "abcdefghijklmnopq");
        assert_int_equal(lf_tdata_add(&d, pr, strlen(pr), co, strlen(co), enc_bytes, NULL, 256, 15), 0);
    }
    lf_tcfg c = tiny;
    c.vocab = 257;
    lf_toffs o;
    lf_tcfg_offsets(&c, &o);
    lf_topt opt;
    lf_topt_default(&opt);
    opt.warmup = 2;
    opt.total_steps = 8;
    uint8_t *mask = malloc(o.n);
    lf_tmodel_decay_mask(&c, mask);
    float *pa = malloc(o.n * 4), *ma = calloc(o.n, 4), *va = calloc(o.n, 4);
    lf_tmodel_init(&c, 9, pa);
    lf_err err = {0};
    lf_tbatcher *b;
    assert_int_equal(lf_tbatcher_new(&d, 64, 8, 16, 3, &b, &err), 0);
    lf_tref *r;
    assert_int_equal(lf_tref_new(&c, lf_tbatcher_max_tokens(b), lf_tbatcher_max_T(b), &r, &err), 0);
    lf_tbatch bt;
    char path[128];
    snprintf(path, sizeof path, "/tmp/lf_train_resume_%d", (int)getpid());
    for (long s = 0; s < 8; s++) {
        if (s == 3) {
            lf_tckpt k = {.cfg = c, .step = s, .data_pos = lf_tbatcher_pos(b), .seed = 3,
                          .n = o.n, .p = pa, .m = ma, .v = va};
            assert_int_equal(lf_tckpt_save(path, &k, &err), 0);
        }
        lf_tbatcher_next(b, &bt);
        lf_tref_step(r, &opt, s, pa, ma, va, mask, bt.tok, bt.tgt, bt.B, bt.T, NULL);
    }
    lf_tbatcher_free(b);
    lf_tckpt k;
    assert_int_equal(lf_tckpt_load(path, &k, &err), 0);
    unlink(path);
    assert_int_equal(lf_tbatcher_new(&d, 64, 8, 16, k.seed, &b, &err), 0);
    lf_tbatcher_seek(b, k.data_pos);
    for (long s = k.step; s < 8; s++) {
        lf_tbatcher_next(b, &bt);
        lf_tref_step(r, &opt, s, k.p, k.m, k.v, mask, bt.tok, bt.tgt, bt.B, bt.T, NULL);
    }
    assert_memory_equal(k.p, pa, o.n * 4);
    assert_memory_equal(k.v, va, o.n * 4);
    lf_tckpt_free(&k);
    lf_tbatcher_free(b);
    lf_tref_free(r);
    lf_tdata_free(&d);
    free(pa); free(ma); free(va); free(mask);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck),
        cmocka_unit_test(test_focal),
        cmocka_unit_test(test_causal_and_mask),
        cmocka_unit_test(test_optim),
        cmocka_unit_test(test_convert),
        cmocka_unit_test(test_data),
        cmocka_unit_test(test_batcher_group),
        cmocka_unit_test(test_data_files),
        cmocka_unit_test(test_ckpt),
        cmocka_unit_test(test_learns),
        cmocka_unit_test(test_grow),
        cmocka_unit_test(test_grow_wide),
        cmocka_unit_test(test_tok_batcher),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
