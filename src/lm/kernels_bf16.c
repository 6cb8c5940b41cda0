/* kernels_bf16.c: the reference of the bf16-activation products (the spec
 * of kernels.h's lf_kern.matmul_bf16: vdpbf16ps's pair dot, DAZ and FTZ
 * written out in plain C) and the self-test that decides whether a CPU's
 * vdpbf16ps may stand in for it.
 *
 * How vdpbf16ps rounds was measured on the AMD EPYC (Zen 4) dev machine
 * against candidate emulations on random and adversarial inputs (ties,
 * cancellation, denormal inputs, results near 2^-126): it adds the odd
 * product of a pair, rounds, adds the even one and rounds again (products
 * exact, round to nearest even), reads denormal inputs (including the
 * accumulator) as zero, flushes tiny results to zero with tininess judged
 * after rounding with an unbounded exponent (as MXCSR.FTZ does), and does
 * not consult MXCSR; that is Intel's pseudo-code (bench/RESULTS.md). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lm/kernels.h"

/* A denormal input reads as a zero of its sign (DAZ). */
static float daz(float v)
{
    return fabsf(v) < FLT_MIN ? copysignf(0.0f, v) : v;
}

/* c + a * b rounded once, a tiny result flushed (FTZ); a, b, c are not
 * denormal. A nonzero result tiny after the bounded rounding (|r| <=
 * 2^-126) is flushed unless the exact sum rounds to >= 2^-126 with 24 bits
 * and an unbounded exponent: the same sum scaled by 2^32 tells, exactly,
 * because such a result needs |a b|, |c| < 2^-99 (the scaled terms stay
 * far from overflow). */
static float fma_ftz(float a, float b, float c)
{
    float r = fmaf(a, b, c);
    if (r != 0.0f && fabsf(r) <= FLT_MIN) {
        float u = fmaf(a * 0x1p16f, b * 0x1p16f, c * 0x1p32f);
        if (fabsf(u) < 0x1p-94f)
            r = copysignf(0.0f, r);
    }
    return r;
}

void lf_kern_bf16_round_ref(const float *x, int64_t n, uint16_t *dst)
{
    lf_fp32_to_bf16_row(x, dst, (size_t)n);
    for (int64_t i = n; i < LF_BF16X_LEN(n); i++)
        dst[i] = 0;
}

/* One output: the 16 lanes and the reduction of kernels.h. w has n
 * elements, x LF_BF16X_LEN(n) (zero past n). */
static float dot_bf16(const uint16_t *w, const uint16_t *x, int64_t n)
{
    float acc[16] = {0};
    for (int64_t s = 0; s < n; s += 32)
        for (int j = 0; j < 16; j++)
            for (int e = 1; e >= 0; e--) { /* the odd element first */
                int64_t i = s + 2 * j + e;
                float a = i < n ? lf_bf16_to_f32(w[i]) : 0.0f;
                acc[j] = fma_ftz(daz(a), daz(lf_bf16_to_f32(x[i])), daz(acc[j]));
            }
    for (int h = 8; h >= 1; h /= 2)
        for (int j = 0; j < h; j++)
            acc[j] = fma_ftz(acc[j], 1.0f, acc[j + h]);
    return acc[0];
}

void lf_kern_bf16_matmul_ref(const lf_wmat *w, const uint16_t *xb, size_t ldxb, float *y,
                             size_t ldy, int T, int64_t r0, int64_t r1)
{
    for (int64_t o = r0; o < r1; o++) {
        const uint16_t *row = (const uint16_t *)(const void *)((const uint8_t *)w->data +
                                                               (size_t)o * w->row_bytes);
        for (int t = 0; t < T; t++)
            y[(size_t)t * ldy + (size_t)o] = dot_bf16(row, xb + (size_t)t * ldxb, w->n_in);
    }
}

/* --- the self-test. 6 kinds of rows x 16 lanes, 8 tokens, 3 steps of 32:
 * steps 0 and 1 build each lane's accumulator c from three bf16 parts of
 * it (times activations 1.0: exact), step 2 adds one pair a1 b1, a0 b0.
 * In kinds 0-3 only lane r % 16 of row r is nonzero, so an output is that
 * lane's value; kinds 4-5 fill every lane and test the reduction. */
enum { ST_N = 96, ST_ROWS = 96, ST_T = 8 };

static uint64_t st_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static uint16_t bfv(float f)
{
    return lf_fp32_to_bf16(f);
}

/* +-(1 + k/128) 2^e, exactly a bf16 */
static float st_val(uint64_t *s, int e)
{
    float m = 1.0f + (float)(st_next(s) % 128) / 128.0f;
    return (st_next(s) & 1 ? -1.0f : 1.0f) * ldexpf(m, e);
}

/* Writes lane j's accumulator c as three exact bf16 parts (steps 0, 1). */
static void st_acc(uint16_t *row, int j, float c)
{
    uint32_t u;
    memcpy(&u, &c, 4);
    uint32_t hu = u & 0xffff0000u;
    float h, m, l;
    memcpy(&h, &hu, 4);
    float rest = c - h;
    memcpy(&u, &rest, 4);
    hu = u & 0xffff0000u;
    memcpy(&m, &hu, 4);
    l = rest - m;
    row[2 * j + 1] = bfv(h);
    row[2 * j] = bfv(m);
    row[32 + 2 * j + 1] = bfv(l);
}

/* a 24-bit c of magnitude [1, 2) 2^e */
static float st_c(uint64_t *s, int e)
{
    float m = 1.0f + (float)(st_next(s) & 0x7fffff) / 8388608.0f;
    return (st_next(s) & 1 ? -1.0f : 1.0f) * ldexpf(m, e);
}

static void st_inputs(uint16_t *w, uint16_t *x)
{
    uint64_t s = 20261127;
    memset(w, 0, (size_t)ST_ROWS * ST_N * sizeof *w);
    for (int r = 0; r < ST_ROWS; r++) {
        uint16_t *row = w + (size_t)r * ST_N;
        int kind = r / 16, j = r % 16;
        uint16_t *a = row + 64 + 2 * j; /* a[0] = a0 (even), a[1] = a1 (odd) */
        switch (kind) {
        case 0: { /* ties and near-ties: products of about an ulp of c */
            int e = (int)(st_next(&s) % 7) - 3;
            float c = st_c(&s, e);
            st_acc(row, j, c);
            a[1] = bfv(st_val(&s, e - 23 - (int)(st_next(&s) % 3)));
            a[0] = bfv(st_val(&s, e - 23 - (int)(st_next(&s) % 4)));
            break;
        }
        case 1: { /* cancellation of c's top bits */
            float c = st_c(&s, (int)(st_next(&s) % 5) - 2);
            st_acc(row, j, c);
            a[1] = (uint16_t)(row[2 * j + 1] ^ 0x8000);
            a[0] = bfv(st_val(&s, -20 - (int)(st_next(&s) % 8)));
            break;
        }
        case 2: /* denormal weights; large ones for denormal activations */
            a[1] = (uint16_t)((st_next(&s) & 1 ? 0x8000 : 0) | (1 + st_next(&s) % 127));
            a[0] = j & 1 ? bfv(st_val(&s, 60)) : 0;
            break;
        case 3: { /* results near 2^-126 */
            float c = (j & 8 ? -1.0f : 1.0f) * ldexpf(1.0f + (float)(j % 4) / 128.0f, -126);
            row[2 * j + 1] = bfv(c);
            a[1] = bfv(-copysignf(ldexpf(1.0f + (float)(j / 4 % 2) / 128.0f, -126), c));
            a[0] = j & 2 ? 0 : bfv(copysignf(ldexpf(1.0f, -126 + (int)(j / 4)), c));
            break;
        }
        case 4: /* every lane: general chains and the reduction */
            for (int i = 0; i < ST_N; i++)
                row[i] = bfv(st_val(&s, (int)(st_next(&s) % 7) - 3));
            break;
        default: /* every lane near 2^-126: flushing in lanes and reduction */
            for (int i = 0; i < ST_N; i++)
                row[i] = bfv(st_val(&s, -126 + (int)(st_next(&s) % 3)));
            break;
        }
    }
    for (int t = 0; t < ST_T; t++) {
        uint16_t *xt = x + (size_t)t * ST_N;
        for (int i = 0; i < 64; i++)
            xt[i] = bfv(1.0f);
        for (int j = 0; j < 16; j++) {
            uint16_t *b = xt + 64 + 2 * j;
            float sg = j & 1 ? -1.0f : 1.0f;
            switch (t) {
            case 0: b[1] = bfv(1.0f); b[0] = bfv(-sg); break;
            case 1: b[1] = bfv(0.5f * sg); b[0] = bfv(2.0f); break;
            case 2: b[1] = bfv(0x1p60f); b[0] = bfv(-0x1p60f * sg); break;
            case 3: b[1] = (uint16_t)(0x0040 | j); b[0] = (uint16_t)(0x8001 + j); break; /* denormal */
            case 5: b[1] = bfv(0x1p-24f); b[0] = bfv(0x1p-25f); break;
            case 6:
                b[1] = bfv(-0x1p-23f * (1.0f + (float)j / 128.0f));
                b[0] = bfv(0x1p-24f * (1.0f + (float)(15 - j) / 128.0f));
                break;
            case 7: /* with kind 3: 2^-126 - 2^-152, which rounds up to 2^-126 */
                b[1] = bfv(0x1p-26f * sg);
                b[0] = bfv(j & 1 ? 0x1p-26f : 0x1p-27f);
                break;
            default:
                b[1] = bfv(st_val(&s, (int)(st_next(&s) % 5) - 2));
                b[0] = bfv(st_val(&s, (int)(st_next(&s) % 5) - 2));
                break;
            }
        }
    }
}

bool lf_kern_bf16_selftest(lf_bf16_matmul_fn mm)
{
    uint16_t *w = malloc((size_t)ST_ROWS * ST_N * sizeof *w);
    uint16_t *x = malloc((size_t)ST_T * ST_N * sizeof *x);
    float *yr = malloc((size_t)ST_T * ST_ROWS * sizeof *yr);
    float *ys = malloc((size_t)ST_T * ST_ROWS * sizeof *ys);
    bool ok = false;
    if (!w || !x || !yr || !ys)
        goto out;
    st_inputs(w, x);
    lf_wmat m = {.data = w, .type = LF_GGML_BF16, .n_in = ST_N, .n_out = ST_ROWS,
                 .row_bytes = ST_N * sizeof *w};
    lf_kern_bf16_matmul_ref(&m, x, ST_N, yr, ST_ROWS, ST_T, 0, ST_ROWS);
    mm(&m, x, ST_N, ys, ST_ROWS, ST_T, 0, ST_ROWS);
    ok = memcmp(yr, ys, (size_t)ST_T * ST_ROWS * sizeof *yr) == 0;
    for (int t = 0; ok && t < ST_T; t++) { /* one token at a time too */
        mm(&m, x + (size_t)t * ST_N, ST_N, ys, ST_ROWS, 1, 0, ST_ROWS);
        ok = memcmp(yr + (size_t)t * ST_ROWS, ys, ST_ROWS * sizeof *yr) == 0;
    }
out:
    free(w);
    free(x);
    free(yr);
    free(ys);
    return ok;
}
