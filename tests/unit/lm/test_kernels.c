/* test_kernels.c: every SIMD kernel table against the plain C reference on
 * random (never zero) inputs, for each weight type and awkward sizes, and
 * the determinism contract of kernels.h: a matmul over a batch gives the
 * same bits as one token at a time, whatever the row range. The Q8_0
 * integer path (int8 activations) must equal the reference bit for bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lm/kernels.h"
#include "lm/model.h"
#include "lm/pool.h"
#include "lm/quant.h"
#include "lm_fixture.h"

static uint64_t rng = 42;
static float frand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    float f = (float)((rng >> 40) + 1) / (float)(1u << 24); /* (0, 1] */
    return (rng >> 39) & 1 ? f : -f;
}

/* A weight matrix of type t with random values; returns the data (free it). */
static void *make_w(lf_ggml_type t, int64_t n_in, int64_t n_out, lf_wmat *w)
{
    size_t rb = lf_ggml_row_size(t, (uint64_t)n_in);
    uint8_t *d = malloc(rb * (size_t)n_out);
    float *row = malloc((size_t)n_in * sizeof(float));
    for (int64_t o = 0; o < n_out; o++) {
        for (int64_t i = 0; i < n_in; i++)
            row[i] = frand();
        uint8_t *dst = d + (size_t)o * rb;
        if (t == LF_GGML_F32)
            memcpy(dst, row, (size_t)n_in * 4);
        else if (t == LF_GGML_F16)
            lf_fp32_to_fp16_row(row, (uint16_t *)(void *)dst, (size_t)n_in);
        else if (t == LF_GGML_BF16)
            lf_fp32_to_bf16_row(row, (uint16_t *)(void *)dst, (size_t)n_in);
        else
            lf_q8_0_quantize_row(row, dst, (size_t)n_in);
    }
    free(row);
    *w = (lf_wmat){.data = d, .type = t, .n_in = n_in, .n_out = n_out, .row_bytes = rb};
    return d;
}

static const lf_kern *tables[4];
static int n_tables;

static int setup(void **st)
{
    (void)st;
    n_tables = 0;
    if (lf_kern_avx2())
        tables[n_tables++] = lf_kern_avx2();
    if (lf_kern_avx512())
        tables[n_tables++] = lf_kern_avx512();
    if (lf_kern_avx512_novnni() && lf_kern_avx512_novnni() != lf_kern_avx512())
        tables[n_tables++] = lf_kern_avx512_novnni();
    if (!n_tables)
        fprintf(stderr, "note: no SIMD kernels on this CPU; checking ref only\n");
    tables[n_tables++] = lf_kern_ref();
    return 0;
}

/* Tolerance: |simd - ref| <= 1e-5 * sum |w_i x_i| (+ tiny absolute);
 * Q8_0 (int8 activations, exact integer sums, one float chain): bit-equal. */
static void test_matmul_vs_ref(void **st)
{
    (void)st;
    static const lf_ggml_type types[] = {LF_GGML_F32, LF_GGML_F16, LF_GGML_BF16, LF_GGML_Q8_0};
    static const struct { int64_t n_in, n_out; int T; } sizes[] = {
        {64, 17, 1}, {96, 9, 5}, {256, 33, 7}, {32, 4, 3}, {1024, 5, 9},
    };
    const lf_kern *ref = lf_kern_ref();
    for (size_t ti = 0; ti < 4; ti++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            /* non-multiple-of-16 rows exist for float types only */
            int64_t n_in = sizes[si].n_in + (types[ti] == LF_GGML_Q8_0 ? 0 : 3);
            int64_t n_out = sizes[si].n_out;
            int T = sizes[si].T;
            lf_wmat w;
            void *d = make_w(types[ti], n_in, n_out, &w);
            float *x = malloc((size_t)T * n_in * 4), *yr = malloc((size_t)T * n_out * 4),
                  *ys = malloc((size_t)T * n_out * 4), *row = malloc((size_t)n_in * 4);
            for (int64_t i = 0; i < T * n_in; i++)
                x[i] = frand();
            ref->matmul(&w, x, (size_t)n_in, yr, (size_t)n_out, T, 0, n_out);
            for (int k = 0; k < n_tables; k++) {
                tables[k]->matmul(&w, x, (size_t)n_in, ys, (size_t)n_out, T, 0, n_out);
                if (types[ti] == LF_GGML_Q8_0) { /* the integer path: exactly the reference */
                    assert_memory_equal(ys, yr, (size_t)T * n_out * 4);
                    continue;
                }
                for (int t = 0; t < T; t++)
                    for (int64_t o = 0; o < n_out; o++) {
                        lf_row_to_f32(w.type, (const uint8_t *)w.data + o * w.row_bytes, row, n_in);
                        double mag = 0;
                        for (int64_t i = 0; i < n_in; i++)
                            mag += fabs((double)row[i] * x[t * n_in + i]);
                        double diff = fabs((double)ys[t * n_out + o] - yr[t * n_out + o]);
                        if (diff > 1e-5 * mag + 1e-6)
                            fail_msg("%s type %d n_in %lld t %d o %lld: %g vs %g", tables[k]->name,
                                     (int)types[ti], (long long)n_in, t, (long long)o,
                                     ys[t * n_out + o], yr[t * n_out + o]);
                    }
            }
            free(x);
            free(yr);
            free(ys);
            free(row);
            free(d);
        }
}

/* Batched == one at a time, and any row split gives the same bits: for
 * batches that fill whole token tiles and leave 1-3 tokens over (the
 * narrower tiles), row counts with a partial row block, rows with and
 * without a scalar tail (n_in % 16), so every tile shape's sums (reduced VL
 * at a time, V_REDUCE_VL) meet the one-token path's (V_REDUCE). */
static void test_matmul_batch_invariant(void **st)
{
    (void)st;
    static const lf_ggml_type types[] = {LF_GGML_F32, LF_GGML_F16, LF_GGML_BF16, LF_GGML_Q8_0};
    static const struct { int64_t n_in, n_out; int T; } shapes[] = {
        {160, 23, 11}, {256, 37, 2}, {256, 36, 3}, {768, 21, 19}, {163, 9, 6}, {96, 40, 33},
    };
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        for (size_t ti = 0; ti < 4; ti++) {
            int64_t n_in = shapes[si].n_in, n_out = shapes[si].n_out;
            int T = shapes[si].T;
            if (types[ti] == LF_GGML_Q8_0 && n_in % LF_Q8_0_BLOCK)
                continue;
            lf_wmat w;
            void *d = make_w(types[ti], n_in, n_out, &w);
            float *x = malloc((size_t)T * n_in * 4), *yb = malloc((size_t)T * n_out * 4),
                  *y1 = malloc((size_t)T * n_out * 4);
            for (int64_t i = 0; i < T * n_in; i++)
                x[i] = frand();
            for (int k = 0; k < n_tables; k++) {
                tables[k]->matmul(&w, x, (size_t)n_in, yb, (size_t)n_out, T, 0, n_out);
                for (int t = 0; t < T; t++) /* one token, rows in odd pieces */
                    for (int64_t r0 = 0; r0 < n_out; r0 += 5)
                        tables[k]->matmul(&w, x + t * n_in, (size_t)n_in, y1 + t * n_out,
                                          (size_t)n_out, 1, r0, r0 + 5 < n_out ? r0 + 5 : n_out);
                assert_memory_equal(yb, y1, (size_t)T * n_out * 4);
            }
            free(x);
            free(yb);
            free(y1);
            free(d);
        }
    }
}

/* Every table's Q8X quantiser writes the reference's bytes, also for zero,
 * -0, huge, tiny, infinite and NaN values; the quants dequantise to within
 * half a step. */
static void test_q8x_quantize(void **st)
{
    (void)st;
    static const int64_t ns[] = {32, 64, 96, 256, 288, 1056};
    for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
        int64_t n = ns[ni];
        size_t rb = lf_q8x_row_bytes(n);
        float *x = malloc((size_t)n * 4);
        uint8_t *qr = malloc(rb), *qs = malloc(rb);
        for (int rep = 0; rep < 4; rep++) {
            for (int64_t i = 0; i < n; i++)
                x[i] = frand() * (rep == 1 ? 1e-30f : rep == 2 ? 1e30f : 3.0f);
            if (rep == 3) { /* special blocks */
                for (int i = 0; i < 32; i++)
                    x[i] = i % 2 ? 0.0f : -0.0f;
                if (n >= 64) {
                    x[33] = INFINITY;
                    x[40] = -INFINITY;
                }
                if (n >= 96)
                    x[70] = NAN;
            }
            memset(qr, 0xa5, rb);
            lf_q8x_quantize_row(x, n, qr);
            for (int k = 0; k < n_tables; k++) {
                memset(qs, 0x5a, rb);
                tables[k]->quantize_q8x(x, n, qs);
                if (memcmp(qr, qs, rb))
                    fail_msg("%s: quantised bytes differ (n %lld, rep %d)", tables[k]->name,
                             (long long)n, rep);
            }
            if (rep == 3)
                continue;
            for (int64_t i = 0; i < n; i++) {
                int64_t b = i / 32, g = b / 8, j = b % 8, e = i % 32;
                const uint8_t *gq = qr + g * LF_Q8X_GROUP_BYTES;
                int8_t q;
                float d;
                memcpy(&q, gq + ((e / 4) * 8 + j) * 4 + e % 4, 1);
                memcpy(&d, gq + 256 + 4 * j, 4);
                assert_true(q != -128);
                assert_true(fabsf(d * q - x[i]) <= 0.5001f * d);
            }
            for (int64_t b = 0; b < (n / 32 + 7) / 8 * 8; b++) { /* the stored sums */
                const uint8_t *gq = qr + (b / 8) * LF_Q8X_GROUP_BYTES;
                int32_t c, sum = 0;
                memcpy(&c, gq + 288 + 4 * (b % 8), 4);
                for (int e = 0; e < 32; e++)
                    sum += (int8_t)gq[((e / 4) * 8 + b % 8) * 4 + e % 4];
                assert_int_equal(c, -128 * sum);
            }
        }
        free(x);
        free(qr);
        free(qs);
    }
}

/* Q8_0 products: every table equals the reference bit for bit on both
 * entries (fp32 x, pre-quantised x), on the streaming (T <= 3), tiled and
 * k-chunked (rows over 6144 values) paths, partial groups of 8 blocks and
 * partial row and token tiles included; and the result is within the
 * activation rounding of the exact product. */
static void test_q8_matmul(void **st)
{
    (void)st;
    static const struct { int64_t n_in, n_out; int T; } sizes[] = {
        {32, 7, 1}, {96, 9, 2}, {288, 13, 3}, {256, 17, 4}, {1056, 6, 5}, {64, 5, 11},
        {6144 + 96, 5, 7}, {6144 + 256, 3, 70}, {16384 + 96, 3, 1}, {16384 + 32, 2, 3},
    };
    const lf_kern *ref = lf_kern_ref();
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        int64_t n_in = sizes[si].n_in, n_out = sizes[si].n_out;
        int T = sizes[si].T;
        lf_wmat w;
        void *d = make_w(LF_GGML_Q8_0, n_in, n_out, &w);
        size_t rq = lf_q8x_row_bytes(n_in);
        float *x = malloc((size_t)T * n_in * 4), *yr = malloc((size_t)T * n_out * 4),
              *ys = malloc((size_t)T * n_out * 4), *row = malloc((size_t)n_in * 4);
        uint8_t *xq = malloc((size_t)T * rq);
        for (int64_t i = 0; i < T * n_in; i++)
            x[i] = frand() * (i % 97 == 0 ? 8.0f : 1.0f);
        for (int t = 0; t < T; t++)
            lf_q8x_quantize_row(x + t * n_in, n_in, xq + t * rq);
        ref->matmul_q8(&w, xq, rq, yr, (size_t)n_out, T, 0, n_out);
        for (int k = 0; k < n_tables; k++) {
            memset(ys, 0, (size_t)T * n_out * 4);
            tables[k]->matmul_q8(&w, xq, rq, ys, (size_t)n_out, T, 0, n_out);
            if (memcmp(ys, yr, (size_t)T * n_out * 4))
                fail_msg("%s: matmul_q8 differs (n_in %lld, T %d)", tables[k]->name,
                         (long long)n_in, T);
            memset(ys, 0, (size_t)T * n_out * 4);
            tables[k]->matmul(&w, x, (size_t)n_in, ys, (size_t)n_out, T, 0, n_out);
            if (memcmp(ys, yr, (size_t)T * n_out * 4))
                fail_msg("%s: matmul (fp32 x) differs (n_in %lld, T %d)", tables[k]->name,
                         (long long)n_in, T);
        }
        /* accuracy: |y - exact| <= sum_b dw_b dx_b sum_i |q_w| / 2 (+ float rounding) */
        for (int t = 0; t < T; t++)
            for (int64_t o = 0; o < n_out; o++) {
                const uint8_t *wr = (const uint8_t *)w.data + o * w.row_bytes;
                lf_row_to_f32(w.type, wr, row, n_in);
                double exact = 0, mag = 0, bound = 0;
                for (int64_t i = 0; i < n_in; i++) {
                    exact += (double)row[i] * x[t * n_in + i];
                    mag += fabs((double)row[i] * x[t * n_in + i]);
                }
                for (int64_t b = 0; b < n_in / 32; b++) {
                    float dx;
                    memcpy(&dx, xq + t * rq + (b / 8) * LF_Q8X_GROUP_BYTES + 256 + 4 * (b % 8), 4);
                    double sw = 0;
                    for (int i = 0; i < 32; i++)
                        sw += fabs((double)row[b * 32 + i]);
                    bound += 0.5 * dx * sw;
                }
                double err = fabs(yr[t * n_out + o] - exact);
                if (err > bound * 1.0001 + 1e-5 * mag + 1e-6)
                    fail_msg("n_in %lld t %d o %lld: %g vs exact %g (bound %g)", (long long)n_in, t,
                             (long long)o, yr[t * n_out + o], exact, bound);
            }
        free(x);
        free(yr);
        free(ys);
        free(row);
        free(xq);
        free(d);
    }
}

typedef struct q8_split_arg {
    const lf_kern *k;
    const lf_wmat *w;
    const uint8_t *xq;
    size_t rq;
    float *y;
    int T;
} q8_split_arg;

static void q8_split_fn(void *arg, int ith, int nth)
{
    q8_split_arg *a = arg;
    int64_t r0, r1;
    lf_pool_split(a->w->n_out, ith, nth, 16, &r0, &r1);
    if (r0 < r1)
        a->k->matmul_q8(a->w, a->xq, a->rq, a->y, (size_t)a->w->n_out, a->T, r0, r1);
}

/* Q8_0: a batch equals its tokens one, two or three at a time (the
 * streaming path) and any thread split, bit for bit, on rows that need
 * several k-chunks too. */
static void test_q8_batch_thread_invariant(void **st)
{
    (void)st;
    static const int64_t n_ins[] = {160, 6144 + 64};
    for (size_t ni = 0; ni < 2; ni++) {
        int64_t n_in = n_ins[ni], n_out = 37;
        int T = 67;
        lf_wmat w;
        void *d = make_w(LF_GGML_Q8_0, n_in, n_out, &w);
        size_t rq = lf_q8x_row_bytes(n_in);
        float *x = malloc((size_t)T * n_in * 4), *yb = malloc((size_t)T * n_out * 4),
              *y1 = malloc((size_t)T * n_out * 4);
        uint8_t *xq = malloc((size_t)T * rq);
        for (int64_t i = 0; i < T * n_in; i++)
            x[i] = frand();
        for (int k = 0; k < n_tables; k++) {
            for (int t = 0; t < T; t++)
                tables[k]->quantize_q8x(x + t * n_in, n_in, xq + t * rq);
            tables[k]->matmul_q8(&w, xq, rq, yb, (size_t)n_out, T, 0, n_out);
            for (int t = 0; t < T;) { /* 1, 2, 3 tokens at a time, rows in odd pieces */
                int nt = 1 + t % 3 < T - t ? 1 + t % 3 : T - t;
                for (int64_t r0 = 0; r0 < n_out; r0 += 5)
                    tables[k]->matmul_q8(&w, xq + t * rq, rq, y1 + t * n_out, (size_t)n_out, nt, r0,
                                         r0 + 5 < n_out ? r0 + 5 : n_out);
                t += nt;
            }
            assert_memory_equal(yb, y1, (size_t)T * n_out * 4);
            for (int nth = 1; nth <= 3; nth++) {
                lf_pool *p;
                assert_int_equal(lf_pool_new(nth, &p, NULL), 0);
                memset(y1, 0, (size_t)T * n_out * 4);
                q8_split_arg a = {tables[k], &w, xq, rq, y1, T};
                lf_pool_run(p, q8_split_fn, &a);
                assert_memory_equal(yb, y1, (size_t)T * n_out * 4);
                lf_pool_free(p);
            }
        }
        free(x);
        free(yb);
        free(y1);
        free(xq);
        free(d);
    }
}

/* A whole Q8_0 forward: 240 tokens in one batch (inputs quantised on the
 * pool), with 1, 2 and 3 threads, chunked, and one token at a time (inputs
 * quantised on the caller, streaming products) give the same logits bits. */
static void test_q8_forward_invariant(void **st)
{
    (void)st;
    enum { N = 240 };
    lf_random_spec s = fx_spec(LF_GGML_Q8_0, true, 300, 77);
    char *path = fx_write(&s);
    assert_non_null(path);
    lf_model *m;
    lf_err err = {0};
    assert_int_equal(lf_model_load(path, &m, &err), 0);
    int V = m->cfg.vocab;
    int32_t tok[N];
    for (int i = 0; i < N; i++)
        tok[i] = (int32_t)((i * 7919u + 13) % (unsigned)V);
    size_t sz = (size_t)N * V * sizeof(float);
    float *ref = malloc(sz), *got = malloc(sz);
    for (int th = 1; th <= 3; th++)
        for (int mb = 0; mb < 2; mb++) {
            lf_ctx_opts o = {.n_ctx = 256, .threads = th, .max_batch = mb ? 37 : 256};
            lf_ctx *c;
            assert_int_equal(lf_ctx_new(m, &o, &c, &err), 0);
            float *out = th == 1 && !mb ? ref : got;
            assert_int_equal(lf_forward(c, tok, N, true, out, &err), 0);
            lf_ctx_free(c);
            if (out == got)
                assert_memory_equal(ref, got, sz);
        }
    lf_ctx_opts o = {.n_ctx = 256, .threads = 2};
    lf_ctx *c;
    assert_int_equal(lf_ctx_new(m, &o, &c, &err), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(lf_forward(c, &tok[i], 1, false, got, &err), 0);
        assert_memory_equal(got, ref + (size_t)i * V, (size_t)V * sizeof(float));
    }
    lf_ctx_free(c);
    free(ref);
    free(got);
    lf_model_free(m);
    unlink(path);
    free(path);
}

static void test_vector_kernels(void **st)
{
    (void)st;
    const lf_kern *ref = lf_kern_ref();
    static const int sizes[] = {1, 7, 16, 33, 128, 301};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        int n = sizes[si];
        float *a = malloc(n * 4), *b = malloc(n * 4), *w = malloc(n * 4), *yr = malloc(n * 4),
              *ys = malloc(n * 4), *u = malloc(n * 4);
        uint16_t *h = malloc(n * 2);
        for (int i = 0; i < n; i++) {
            a[i] = frand();
            b[i] = frand() * 4;
            w[i] = frand();
            u[i] = frand();
            h[i] = lf_f32_to_f16(a[i]);
        }
        for (int k = 0; k < n_tables; k++) {
            const lf_kern *K = tables[k];
            double mag = 0;
            for (int i = 0; i < n; i++)
                mag += fabs((double)a[i] * b[i]);
            assert_true(fabs(K->dot_f32(a, b, n) - ref->dot_f32(a, b, n)) <= 1e-5 * mag + 1e-6);
            assert_true(fabs(K->dot_f16(h, b, n) - ref->dot_f16(h, b, n)) <= 1e-5 * mag + 1e-6);
            memcpy(yr, b, n * 4);
            memcpy(ys, b, n * 4);
            ref->axpy_f32(yr, 0.37f, a, n);
            K->axpy_f32(ys, 0.37f, a, n);
            for (int i = 0; i < n; i++)
                assert_true(fabsf(yr[i] - ys[i]) <= 1e-6f * (fabsf(yr[i]) + 1));
            memcpy(yr, b, n * 4);
            memcpy(ys, b, n * 4);
            ref->axpy_f16(yr, -1.5f, h, n);
            K->axpy_f16(ys, -1.5f, h, n);
            for (int i = 0; i < n; i++)
                assert_true(fabsf(yr[i] - ys[i]) <= 1e-6f * (fabsf(yr[i]) + 1));
            ref->rmsnorm(yr, b, w, n, 1e-6f);
            K->rmsnorm(ys, b, w, n, 1e-6f);
            for (int i = 0; i < n; i++)
                assert_true(fabsf(yr[i] - ys[i]) <= 1e-5f * (fabsf(yr[i]) + 1e-3f));
            for (int i = 0; i < n; i++)
                yr[i] = ys[i] = b[i] * 10;
            ref->softmax(yr, n);
            K->softmax(ys, n);
            for (int i = 0; i < n; i++)
                assert_true(fabsf(yr[i] - ys[i]) <= 1e-5f * yr[i] + 1e-7f);
            for (int i = 0; i < n; i++)
                yr[i] = ys[i] = b[i] * 5;
            ref->swiglu(yr, u, n);
            K->swiglu(ys, u, n);
            for (int i = 0; i < n; i++)
                assert_true(fabsf(yr[i] - ys[i]) <= 1e-5f * (fabsf(yr[i]) + 1e-4f));
        }
        free(a);
        free(b);
        free(w);
        free(yr);
        free(ys);
        free(u);
        free(h);
    }
}

/* Attention kernels on the blocked K layout, f32 and f16, partial blocks. */
static void test_attention_kernels(void **st)
{
    (void)st;
    const lf_kern *ref = lf_kern_ref();
    static const struct { int hd, n; } cases[] = {{16, 1}, {64, 37}, {128, 64}, {24, 100}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int hd = cases[ci].hd, n = cases[ci].n, nb = (n + LF_KBLK - 1) / LF_KBLK;
        size_t ksz = (size_t)nb * hd * LF_KBLK;
        float *k = malloc(ksz * 4), *q = malloc(hd * 4), *sr = malloc(nb * LF_KBLK * 4),
              *ss = malloc(nb * LF_KBLK * 4), *v = malloc((size_t)n * hd * 4), *or = malloc(hd * 4),
              *os = malloc(hd * 4);
        uint16_t *kh = malloc(ksz * 2), *vh = malloc((size_t)n * hd * 2);
        for (size_t i = 0; i < ksz; i++) {
            k[i] = frand();
            kh[i] = lf_f32_to_f16(k[i]);
        }
        for (int i = 0; i < n * hd; i++) {
            v[i] = frand();
            vh[i] = lf_f32_to_f16(v[i]);
        }
        for (int i = 0; i < hd; i++)
            q[i] = frand();
        for (int f16 = 0; f16 < 2; f16++)
            for (int t = 0; t < n_tables; t++) {
                const void *kk = f16 ? (const void *)kh : (const void *)k;
                const void *vv = f16 ? (const void *)vh : (const void *)v;
                ref->attn_scores(kk, f16, q, hd, n, 0.25f, sr);
                tables[t]->attn_scores(kk, f16, q, hd, n, 0.25f, ss);
                for (int p = 0; p < n; p++) {
                    double mag = 0;
                    for (int d = 0; d < hd; d++)
                        mag += fabs(q[d] * k[(size_t)(p / LF_KBLK) * hd * LF_KBLK + d * LF_KBLK + p % LF_KBLK]);
                    assert_true(fabs(sr[p] - ss[p]) <= 1e-5 * 0.25 * mag + 1e-6);
                }
                for (int p = 0; p < n; p++)
                    sr[p] = fabsf(frand());
                ref->attn_mix(vv, f16, sr, n, hd, or);
                tables[t]->attn_mix(vv, f16, sr, n, hd, os);
                for (int i = 0; i < hd; i++) {
                    double mag = 0;
                    for (int p = 0; p < n; p++)
                        mag += fabs(sr[p] * v[p * hd + i]);
                    assert_true(fabs(or[i] - os[i]) <= 1e-5 * mag + 1e-6);
                }
            }
        free(k);
        free(q);
        free(sr);
        free(ss);
        free(v);
        free(or);
        free(os);
        free(kh);
        free(vh);
    }
}

static void test_f16_convert(void **st)
{
    (void)st;
    for (int i = 0; i < 20000; i++) {
        float f = frand() * (i % 3 == 0 ? 70000.0f : i % 3 == 1 ? 1.0f : 1e-6f);
        assert_int_equal(lf_f32_to_f16(f), lf_fp32_to_fp16(f));
        uint16_t h = (uint16_t)(rng >> 48);
        float a = lf_f16_to_f32(h), b = lf_fp16_to_fp32(h);
        if (!(isnan(a) && isnan(b)))
            assert_memory_equal(&a, &b, 4);
    }
}

typedef struct split_arg {
    int64_t n;
    int *owner;
} split_arg;

static void split_fn(void *arg, int ith, int nth)
{
    split_arg *s = arg;
    int64_t a, b;
    lf_pool_split(s->n, ith, nth, 4, &a, &b);
    for (int64_t i = a; i < b; i++)
        s->owner[i] += ith + 1;
}

/* Every index is owned by exactly one worker, for any pool size. */
static void test_pool_split(void **st)
{
    (void)st;
    for (int nth = 1; nth <= 4; nth++) {
        lf_pool *p;
        assert_int_equal(lf_pool_new(nth, &p, NULL), 0);
        for (int64_t n = 0; n < 50; n += 7) {
            int owner[64] = {0};
            split_arg s = {n, owner};
            for (int rep = 0; rep < 3; rep++) {
                memset(owner, 0, sizeof owner);
                lf_pool_run(p, split_fn, &s);
                for (int64_t i = 0; i < n; i++)
                    assert_true(owner[i] >= 1 && owner[i] <= nth);
            }
        }
        lf_pool_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_vs_ref),
        cmocka_unit_test(test_matmul_batch_invariant),
        cmocka_unit_test(test_q8x_quantize),
        cmocka_unit_test(test_q8_matmul),
        cmocka_unit_test(test_q8_batch_thread_invariant),
        cmocka_unit_test(test_q8_forward_invariant),
        cmocka_unit_test(test_vector_kernels),
        cmocka_unit_test(test_attention_kernels),
        cmocka_unit_test(test_f16_convert),
        cmocka_unit_test(test_pool_split),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
