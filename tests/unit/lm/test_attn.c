/* test_attn.c: the batched attention kernels (attn.h). Each batched kernel
 * must give the same bits as its table's one-query path (attn_scores,
 * softmax, attn_mix per query) for any group of queries and any causal
 * lengths, with f32 and f16 caches; positions past a query's np (stale or
 * never written cache) must never reach its result; and every table agrees
 * with the plain C reference within 1e-5 of the largest output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lm/attn.h"

static uint64_t rng = 99;
static float frand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    float f = (float)((rng >> 40) + 1) / (float)(1u << 24); /* (0, 1] */
    return (rng >> 39) & 1 ? f : -f;
}

/* One KV head's cache of n positions (K transposed in LF_KBLK blocks, V
 * rows), f16 or f32; the positions from valid on hold NaN (the kernels read
 * whole K blocks; those lanes must be ignored). */
typedef struct cache {
    void *k, *v;
    bool f16;
} cache;

static cache make_cache(int n, int valid, int hd, int hv, bool f16)
{
    int nk = (n + LF_KBLK - 1) / LF_KBLK * LF_KBLK;
    size_t esz = f16 ? 2 : 4;
    cache c = {.k = malloc((size_t)nk * hd * esz), .v = malloc((size_t)n * hv * esz), .f16 = f16};
    for (int p = 0; p < nk; p++)
        for (int d = 0; d < hd; d++) {
            float x = p < valid ? frand() * 2.0f : NAN;
            size_t at = (size_t)(p / LF_KBLK) * hd * LF_KBLK + (size_t)d * LF_KBLK + p % LF_KBLK;
            if (f16)
                ((uint16_t *)c.k)[at] = lf_f32_to_f16(x);
            else
                ((float *)c.k)[at] = x;
        }
    for (int p = 0; p < n; p++)
        for (int i = 0; i < hv; i++) {
            float x = p < valid ? frand() : NAN;
            if (f16)
                ((uint16_t *)c.v)[(size_t)p * hv + i] = lf_f32_to_f16(x);
            else
                ((float *)c.v)[(size_t)p * hv + i] = x;
        }
    return c;
}

/* A group of nq queries: grp heads per token, tokens at consecutive
 * positions ending at np_last (as a batch's tile sees them), or, when
 * scatter, unrelated lengths in [1, np_last]. */
static void make_queries(lf_attn_q *qs, float *qbuf, float *obuf, int nq, int grp, int np_last,
                         bool scatter, int hd, int hv)
{
    int ntok = (nq + grp - 1) / grp;
    for (int i = 0; i < nq; i++) {
        for (int d = 0; d < hd; d++)
            qbuf[(size_t)i * hd + d] = frand();
        qs[i].q = qbuf + (size_t)i * hd;
        qs[i].out = obuf + (size_t)i * hv;
        if (scatter) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            qs[i].np = 1 + (int)((rng >> 33) % (uint64_t)np_last);
        } else {
            qs[i].np = np_last - (ntok - 1 - i / grp);
        }
        if (qs[i].np < 1)
            qs[i].np = 1;
    }
}

static const lf_kern *tables[3];
static lf_attn_fn batched[3];
static int n_tables;

static int setup(void **st)
{
    (void)st;
    n_tables = 0;
    tables[n_tables] = lf_kern_ref();
    batched[n_tables++] = lf_attn_for(lf_kern_ref());
    if (lf_kern_avx2()) {
        tables[n_tables] = lf_kern_avx2();
        batched[n_tables++] = lf_attn_avx2();
    }
    if (lf_kern_avx512()) {
        tables[n_tables] = lf_kern_avx512();
        batched[n_tables++] = lf_attn_avx512();
    }
    return 0;
}

/* lf_attn_for picks the batched kernel of each SIMD table. */
static void test_pick(void **st)
{
    (void)st;
    assert_ptr_equal(lf_attn_for(lf_kern_ref()), lf_attn_each);
    if (lf_kern_avx2())
        assert_ptr_equal(lf_attn_for(lf_kern_avx2()), lf_attn_avx2());
    if (lf_kern_avx512())
        assert_ptr_equal(lf_attn_for(lf_kern_avx512()), lf_attn_avx512());
}

static void test_batched_equals_each(void **st)
{
    (void)st;
    static const int shapes[][2] = {{16, 16}, {64, 64}, {128, 128}, {64, 24}, {32, 20}, {8, 5}};
    static const int nps[] = {1, 2, 15, 16, 17, 33, 100, 257};
    static const int grps[] = {1, 2, 4, 8};
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++)
        for (int f16 = 0; f16 < 2; f16++) {
            int hd = shapes[si][0], hv = shapes[si][1], n = 300;
            float scale = 1.0f / sqrtf((float)hd);
            size_t lds = (size_t)(n + LF_KBLK - 1) / LF_KBLK * LF_KBLK;
            float *qbuf = malloc((size_t)LF_ATTN_MAXQ * hd * sizeof(float));
            float *want = malloc((size_t)LF_ATTN_MAXQ * hv * sizeof(float));
            float *got = malloc((size_t)LF_ATTN_MAXQ * hv * sizeof(float));
            float *ref = malloc((size_t)LF_ATTN_MAXQ * hv * sizeof(float));
            float *s = malloc((size_t)LF_ATTN_MAXQ * lds * sizeof(float));
            lf_attn_q qs[LF_ATTN_MAXQ], qg[LF_ATTN_MAXQ], qr[LF_ATTN_MAXQ];
            for (size_t ni = 0; ni < sizeof nps / sizeof *nps; ni++) {
                int npl = nps[ni] < n ? nps[ni] : n;
                cache c = make_cache(n, npl, hd, hv, f16);
                for (size_t gi = 0; gi < sizeof grps / sizeof *grps; gi++)
                    for (int nq = 1; nq <= LF_ATTN_MAXQ; nq += (nq < 5 ? 1 : 5))
                        for (int scatter = 0; scatter < 2; scatter++) {
                            make_queries(qs, qbuf, want, nq, grps[gi], npl, scatter, hd, hv);
                            memcpy(qg, qs, sizeof qs);
                            memcpy(qr, qs, sizeof qs);
                            for (int i = 0; i < nq; i++) {
                                qg[i].out = got + (size_t)i * hv;
                                qr[i].out = ref + (size_t)i * hv;
                            }
                            lf_attn_each(lf_kern_ref(), c.k, c.v, f16, hd, hv, scale, qr, nq, s,
                                         lds);
                            double mx = 0;
                            for (int i = 0; i < nq * hv; i++)
                                mx = fmax(mx, fabs(ref[i]));
                            for (int t = 0; t < n_tables; t++) {
                                lf_attn_each(tables[t], c.k, c.v, f16, hd, hv, scale, qs, nq, s,
                                             lds);
                                for (size_t i = 0; i < (size_t)nq * lds; i++)
                                    s[i] = NAN; /* scratch must be written before read */
                                batched[t](tables[t], c.k, c.v, f16, hd, hv, scale, qg, nq, s,
                                           lds);
                                for (int i = 0; i < nq * hv; i++) {
                                    if (memcmp(&got[i], &want[i], sizeof(float)))
                                        fail_msg("%s hd %d hv %d f16 %d np %d grp %d nq %d "
                                                 "scatter %d: out %d: %.9g vs %.9g",
                                                 tables[t]->name, hd, hv, f16, npl, grps[gi], nq,
                                                 scatter, i, got[i], want[i]);
                                    if (!(fabs(got[i] - ref[i]) <= 1e-5 * mx))
                                        fail_msg("%s vs ref: out %d: %g vs %g", tables[t]->name,
                                                 i, got[i], ref[i]);
                                }
                            }
                        }
                free(c.k);
                free(c.v);
            }
            free(qbuf);
            free(want);
            free(got);
            free(ref);
            free(s);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_batched_equals_each),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
