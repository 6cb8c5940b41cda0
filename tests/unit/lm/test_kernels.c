/* test_kernels.c: every SIMD kernel table against the plain C reference on
 * random (never zero) inputs, for each weight type and awkward sizes, and
 * the determinism contract of kernels.h: a matmul over a batch gives the
 * same bits as one token at a time, whatever the row range. */
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
#include "lm/pool.h"
#include "lm/quant.h"

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

static const lf_kern *tables[3];
static int n_tables;

static int setup(void **st)
{
    (void)st;
    n_tables = 0;
    if (lf_kern_avx2())
        tables[n_tables++] = lf_kern_avx2();
    if (lf_kern_avx512())
        tables[n_tables++] = lf_kern_avx512();
    if (!n_tables)
        fprintf(stderr, "note: no SIMD kernels on this CPU; checking ref only\n");
    tables[n_tables++] = lf_kern_ref();
    return 0;
}

/* Tolerance: |simd - ref| <= 1e-5 * sum |w_i x_i| (+ tiny absolute). */
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

/* Batched == one at a time, and any row split gives the same bits. */
static void test_matmul_batch_invariant(void **st)
{
    (void)st;
    static const lf_ggml_type types[] = {LF_GGML_F32, LF_GGML_F16, LF_GGML_BF16, LF_GGML_Q8_0};
    int64_t n_in = 160, n_out = 23;
    int T = 11;
    for (size_t ti = 0; ti < 4; ti++) {
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
                    tables[k]->matmul(&w, x + t * n_in, (size_t)n_in, y1 + t * n_out, (size_t)n_out, 1,
                                      r0, r0 + 5 < n_out ? r0 + 5 : n_out);
            assert_memory_equal(yb, y1, (size_t)T * n_out * 4);
        }
        free(x);
        free(yb);
        free(y1);
        free(d);
    }
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
        cmocka_unit_test(test_vector_kernels),
        cmocka_unit_test(test_attention_kernels),
        cmocka_unit_test(test_f16_convert),
        cmocka_unit_test(test_pool_split),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
