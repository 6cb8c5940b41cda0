/* test_kernels_bf16.c: the bf16-activation products (kernels.h,
 * matmul_bf16 and round_bf16). Every table, the AVX512-BF16 one included
 * where the CPU has it and its self-test passes, gives the reference's
 * bits on random shapes (row tails, partial row and token tiles, row
 * ranges, one token at a time), with tiny, denormal and huge values mixed
 * in; the reference is a dot product; and the self-test accepts the
 * reference and every table but rejects each wrong way of rounding a bf16
 * pair dot (the candidates it exists to tell apart). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lm/kernels.h"
#include "lm/quant.h"
#include "../under_valgrind.h"

static uint64_t rng = 7;
static uint32_t next32(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 32);
}

/* Mostly +-[2^-4, 2^4); 1 in 16 a special: tiny normal, denormal, zero,
 * large, or a value near 2^-126 (flushing). */
static float val(void)
{
    uint32_t r = next32();
    float sg = r & 1 ? -1.0f : 1.0f;
    float m = 1.0f + (float)((r >> 1) & 0xffff) / 65536.0f;
    if ((r >> 20) % 16)
        return sg * ldexpf(m, (int)((r >> 24) % 8) - 4);
    switch ((r >> 24) % 5) {
    case 0: return sg * ldexpf(m, -120);
    case 1: return sg * ldexpf(m, -130); /* denormal */
    case 2: return 0.0f;
    case 3: return sg * ldexpf(m, 40);
    default: return sg * ldexpf(m, -126);
    }
}

static const lf_kern *tables[6];
static int n_tables;

static void add_table(const lf_kern *k)
{
    for (int i = 0; i < n_tables; i++)
        if (tables[i] == k)
            return;
    if (k)
        tables[n_tables++] = k;
}

static int setup(void **st)
{
    (void)st;
    n_tables = 0;
    add_table(lf_kern_ref());
    add_table(lf_kern_avx2());
    add_table(lf_kern_avx512());
    add_table(lf_kern_avx512_vnni());
    add_table(lf_kern_avx512_novnni());
    const lf_kern *hw = lf_kern_avx512_bf16();
    if (hw && lf_kern_bf16_selftest(hw->matmul_bf16))
        add_table(hw);
    else if (hw)
        fprintf(stderr, "note: this CPU's vdpbf16ps fails the self-test; not used\n");
    else
        fprintf(stderr, "note: no AVX512-BF16 on this CPU; its table is not checked\n");
    return 0;
}

/* round_bf16: lf_fp32_to_bf16's bits and the zero padding, in every table,
 * for ties, NaN, infinities, denormals and -0 as well. */
static void test_round(void **st)
{
    (void)st;
    static const int64_t ns[] = {1, 15, 16, 17, 31, 32, 33, 100, 257};
    for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
        int64_t n = ns[ni], np = LF_BF16X_LEN(n);
        float *x = malloc((size_t)n * sizeof *x);
        uint16_t *want = malloc((size_t)np * 2), *got = malloc((size_t)np * 2);
        for (int64_t i = 0; i < n; i++) {
            uint32_t u = next32();
            switch (i % 8) {
            case 0: u = (u & 0xffff0000u) | 0x8000u; break; /* a tie */
            case 1: u = 0x7f800000u | (u & 0x807fffffu) | 1; break; /* NaN (or inf) */
            case 2: u &= 0x807fffffu; break; /* denormal */
            case 3: u = i % 16 == 3 ? 0x80000000u : 0xff800000u; break;
            default: break;
            }
            memcpy(&x[i], &u, 4);
        }
        lf_fp32_to_bf16_row(x, want, (size_t)n);
        for (int64_t i = n; i < np; i++)
            want[i] = 0;
        for (int k = 0; k < n_tables; k++) {
            memset(got, 0xa5, (size_t)np * 2);
            tables[k]->round_bf16(x, n, got);
            if (memcmp(got, want, (size_t)np * 2))
                fail_msg("%s: round_bf16 differs (n %lld)", tables[k]->name, (long long)n);
        }
        free(x);
        free(want);
        free(got);
    }
}

/* matmul_bf16 of every table == the reference, bit for bit, batched, by
 * row ranges and one token at a time; and the reference is within bf16
 * rounding of the exact product (normal-range inputs). */
static void test_matmul(void **st)
{
    (void)st;
    static const struct { int64_t n_in, n_out; int T; } shapes[] = {
        {32, 5, 1},  {67, 17, 2},  {273, 33, 3}, {31, 4, 4},  {1, 3, 5},
        {96, 9, 7},  {768, 13, 9}, {1029, 6, 19}, {256, 40, 33}, {64, 1, 6},
    };
    const lf_kern *ref = lf_kern_ref();
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        int64_t n = shapes[si].n_in, n_out = shapes[si].n_out, ld = LF_BF16X_LEN(n);
        int T = shapes[si].T;
        uint16_t *w = malloc((size_t)(n * n_out) * 2), *xb = malloc((size_t)(ld * T) * 2);
        float *x = malloc((size_t)(n * T) * 4), *yr = malloc((size_t)(n_out * T) * 4),
              *ys = malloc((size_t)(n_out * T) * 4);
        for (int64_t i = 0; i < n * n_out; i++)
            w[i] = lf_fp32_to_bf16(val());
        for (int64_t i = 0; i < n * T; i++)
            x[i] = val();
        for (int t = 0; t < T; t++)
            lf_kern_bf16_round_ref(x + t * n, n, xb + t * ld);
        lf_wmat m = {.data = w, .type = LF_GGML_BF16, .n_in = n, .n_out = n_out,
                     .row_bytes = (size_t)n * 2};
        ref->matmul_bf16(&m, xb, (size_t)ld, yr, (size_t)n_out, T, 0, n_out);
        for (int k = 0; k < n_tables; k++) {
            memset(ys, 0xa5, (size_t)(n_out * T) * 4);
            tables[k]->matmul_bf16(&m, xb, (size_t)ld, ys, (size_t)n_out, T, 0, n_out);
            if (memcmp(ys, yr, (size_t)(n_out * T) * 4))
                fail_msg("%s: matmul_bf16 differs (n_in %lld, n_out %lld, T %d)", tables[k]->name,
                         (long long)n, (long long)n_out, T);
            memset(ys, 0xa5, (size_t)(n_out * T) * 4);
            for (int t = 0; t < T; t++) /* one token, rows in odd pieces */
                for (int64_t r0 = 0; r0 < n_out; r0 += 5)
                    tables[k]->matmul_bf16(&m, xb + t * ld, (size_t)ld, ys + t * n_out,
                                           (size_t)n_out, 1, r0, r0 + 5 < n_out ? r0 + 5 : n_out);
            if (memcmp(ys, yr, (size_t)(n_out * T) * 4))
                fail_msg("%s: one-token matmul_bf16 differs (n_in %lld, T %d)", tables[k]->name,
                         (long long)n, T);
            memset(ys, 0xa5, (size_t)(n_out * T) * 4);
            for (int64_t r0 = 0; r0 < n_out; r0 += 7) /* a batch by row ranges */
                tables[k]->matmul_bf16(&m, xb, (size_t)ld, ys, (size_t)n_out, T, r0,
                                       r0 + 7 < n_out ? r0 + 7 : n_out);
            if (memcmp(ys, yr, (size_t)(n_out * T) * 4))
                fail_msg("%s: matmul_bf16 by row ranges differs (n_in %lld, T %d)",
                         tables[k]->name, (long long)n, T);
        }
        /* a dot product: within the rounding of x to bf16 and the sums */
        for (int t = 0; t < T; t++)
            for (int64_t o = 0; o < n_out; o++) {
                double exact = 0, mag = 0;
                for (int64_t i = 0; i < n; i++) {
                    double p = (double)lf_bf16_to_fp32(w[o * n + i]) * x[t * n + i];
                    exact += p;
                    mag += fabs(p);
                }
                if (fabs(yr[t * n_out + o] - exact) > 5e-3 * mag + 1e-30)
                    fail_msg("n_in %lld: %g vs exact %g", (long long)n, yr[t * n_out + o], exact);
            }
        free(w);
        free(xb);
        free(x);
        free(yr);
        free(ys);
    }
}

/* --- wrong ways to compute the pair dot, which the self-test must reject.
 * One lane-structured dot (the layout of kernels.h) with the step and the
 * reduction as parameters; the right pair reproduces the reference. */
typedef struct cand {
    const char *name;
    bool odd_first, fused, pair_first, prod_round, daz, ftz, ftz_before, ftz_bounded,
        red_ftz, red_seq;
} cand;

static const cand *cur;

static float flush(float v)
{
    return fabsf(v) < FLT_MIN ? copysignf(0.0f, v) : v;
}

/* c + p (p = a b, exact in double), rounded, flushed as cur says */
static float add_prod(float c, float a, float b)
{
    double p = (double)a * b; /* exact: 8 x 8 bits */
    float r = cur->prod_round ? c + (float)p : fmaf(a, b, c);
    if (!cur->ftz || r == 0.0f)
        return r;
    if (cur->ftz_bounded)
        return flush(r);
    double e = (double)c + p; /* exact here (tiny sums come from small terms) */
    if (cur->ftz_before)
        return fabs(e) < FLT_MIN ? copysignf(0.0f, r) : r;
    float u = fmaf(a * 0x1p16f, b * 0x1p16f, c * 0x1p32f); /* unbounded exponent */
    return fabsf(u) < 0x1p-94f ? copysignf(0.0f, r) : r;
}

static float cand_dot(const uint16_t *w, const uint16_t *x, int64_t n)
{
    float acc[16] = {0};
    for (int64_t s = 0; s < n; s += 32)
        for (int j = 0; j < 16; j++) {
            int64_t i = s + 2 * j;
            float a[2], b[2];
            for (int e = 0; e < 2; e++) {
                a[e] = i + e < n ? lf_bf16_to_fp32(w[i + e]) : 0.0f;
                b[e] = lf_bf16_to_fp32(x[i + e]);
                if (cur->daz) {
                    a[e] = flush(a[e]);
                    b[e] = flush(b[e]);
                }
            }
            if (cur->fused) {
                float r = (float)((double)acc[j] + (double)a[0] * b[0] + (double)a[1] * b[1]);
                acc[j] = cur->ftz ? flush(r) : r;
            } else if (cur->pair_first) {
                acc[j] = add_prod(acc[j], (float)((double)a[0] * b[0] + (double)a[1] * b[1]), 1.0f);
            } else {
                int f = cur->odd_first ? 1 : 0;
                acc[j] = add_prod(acc[j], a[f], b[f]);
                acc[j] = add_prod(acc[j], a[1 - f], b[1 - f]);
            }
        }
    if (cur->red_seq) {
        float s = acc[0];
        for (int j = 1; j < 16; j++)
            s = cur->red_ftz ? add_prod(s, acc[j], 1.0f) : s + acc[j];
        return s;
    }
    for (int h = 8; h >= 1; h /= 2)
        for (int j = 0; j < h; j++)
            acc[j] = cur->red_ftz ? add_prod(acc[j], acc[j + h], 1.0f) : acc[j] + acc[j + h];
    return acc[0];
}

static void cand_matmul(const lf_wmat *w, const uint16_t *xb, size_t ldxb, float *y, size_t ldy,
                        int T, int64_t r0, int64_t r1)
{
    for (int64_t o = r0; o < r1; o++)
        for (int t = 0; t < T; t++)
            y[(size_t)t * ldy + (size_t)o] =
                cand_dot((const uint16_t *)w->data + o * w->n_in, xb + (size_t)t * ldxb, w->n_in);
}

static void test_selftest(void **st)
{
    (void)st;
    for (int k = 0; k < n_tables; k++) {
        /* valgrind does not model the MXCSR modes the emulations set: under
         * it only the plain C reference can pass the denormal cases */
        if (UNDER_VALGRIND() && tables[k] != lf_kern_ref()) {
            fprintf(stderr, "note: under valgrind (no MXCSR FTZ/DAZ): %s's self-test not checked\n",
                    tables[k]->name);
            continue;
        }
        if (!lf_kern_bf16_selftest(tables[k]->matmul_bf16))
            fail_msg("%s: fails the self-test", tables[k]->name);
    }
    const lf_kern *hw = lf_kern_avx512_bf16();
    if (hw) /* the hardware is used exactly when it passes */
        assert_int_equal(lf_kern_avx512() == hw, lf_kern_bf16_selftest(hw->matmul_bf16));
    /* the candidate harness, set right, passes */
    static const cand right = {"right", .odd_first = true, .daz = true, .ftz = true,
                               .red_ftz = true};
    cur = &right;
    assert_true(lf_kern_bf16_selftest(cand_matmul));
    static const cand wrong[] = {
        {"even element first", .daz = true, .ftz = true, .red_ftz = true},
        {"one rounding per pair", .fused = true, .daz = true, .ftz = true, .red_ftz = true},
        {"pair summed first", .pair_first = true, .daz = true, .ftz = true, .red_ftz = true},
        {"products rounded", .odd_first = true, .prod_round = true, .daz = true, .ftz = true,
         .red_ftz = true},
        {"no DAZ", .odd_first = true, .ftz = true, .red_ftz = true},
        {"no FTZ", .odd_first = true, .daz = true, .red_ftz = true},
        {"tininess before rounding", .odd_first = true, .daz = true, .ftz = true,
         .ftz_before = true, .red_ftz = true},
        {"tininess after bounded rounding", .odd_first = true, .daz = true, .ftz = true,
         .ftz_bounded = true, .red_ftz = true},
        {"reduction without FTZ", .odd_first = true, .daz = true, .ftz = true},
        {"sequential reduction", .odd_first = true, .daz = true, .ftz = true, .red_ftz = true,
         .red_seq = true},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        cur = &wrong[i];
        if (lf_kern_bf16_selftest(cand_matmul))
            fail_msg("the self-test accepts a pair dot with %s", wrong[i].name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_selftest),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
