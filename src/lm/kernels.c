/* kernels.c: the reference kernels in plain C (the spec the SIMD variants are
 * tested against) and the run-time choice of a kernel table. */
#include "lm/kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void lf_row_to_f32(lf_ggml_type t, const void *row, float *dst, int64_t n)
{
    switch (t) {
    case LF_GGML_F32:
        memcpy(dst, row, (size_t)n * sizeof(float));
        break;
    case LF_GGML_F16: {
        const uint16_t *p = row;
        for (int64_t i = 0; i < n; i++)
            dst[i] = lf_f16_to_f32(p[i]);
        break;
    }
    case LF_GGML_BF16: {
        const uint16_t *p = row;
        for (int64_t i = 0; i < n; i++)
            dst[i] = lf_bf16_to_f32(p[i]);
        break;
    }
    case LF_GGML_Q8_0: {
        const uint8_t *b = row;
        for (int64_t i = 0; i < n; i += LF_Q8_0_BLOCK, b += LF_Q8_0_BYTES) {
            uint16_t dh;
            memcpy(&dh, b, 2);
            float d = lf_f16_to_f32(dh);
            const int8_t *q = (const int8_t *)(b + 2);
            for (int j = 0; j < LF_Q8_0_BLOCK; j++)
                dst[i + j] = d * (float)q[j];
        }
        break;
    }
    }
}

int lf_row_from_f32(lf_ggml_type t, const float *src, void *dst, int64_t n)
{
    switch (t) {
    case LF_GGML_F32: memcpy(dst, src, (size_t)n * sizeof(float)); return 0;
    case LF_GGML_F16: lf_fp32_to_fp16_row(src, dst, (size_t)n); return 0;
    case LF_GGML_BF16: lf_fp32_to_bf16_row(src, dst, (size_t)n); return 0;
    case LF_GGML_Q8_0: return lf_q8_0_quantize_row(src, dst, (size_t)n);
    default: return -EINVAL;
    }
}

/* One dot product of a float-type weight row with x, in plain sequential
 * order. */
static float ref_row_dot(const lf_wmat *w, const void *row, const float *x)
{
    int64_t n = w->n_in;
    float acc = 0.0f;
    switch (w->type) {
    case LF_GGML_F16: {
        const uint16_t *p = row;
        for (int64_t i = 0; i < n; i++)
            acc += lf_f16_to_f32(p[i]) * x[i];
        break;
    }
    case LF_GGML_BF16: {
        const uint16_t *p = row;
        for (int64_t i = 0; i < n; i++)
            acc += lf_bf16_to_f32(p[i]) * x[i];
        break;
    }
    default: {
        const float *p = row;
        for (int64_t i = 0; i < n; i++)
            acc += p[i] * x[i];
        break;
    }
    }
    return acc;
}

/* The Q8_0 chain of kernels.h, element by element from the two layouts. */
static void ref_matmul_q8(const lf_wmat *w, const uint8_t *xq, size_t ldq, float *y, size_t ldy,
                          int T, int64_t r0, int64_t r1)
{
    int64_t nb = w->n_in / LF_Q8_0_BLOCK;
    for (int64_t o = r0; o < r1; o++) {
        const uint8_t *row = (const uint8_t *)w->data + (size_t)o * w->row_bytes;
        for (int t = 0; t < T; t++) {
            const uint8_t *xr = xq + (size_t)t * ldq;
            float acc[LF_Q8X_GROUP] = {0};
            for (int64_t b = 0; b < nb; b++) {
                const uint8_t *blk = row + (size_t)b * LF_Q8_0_BYTES;
                const uint8_t *gq = xr + (size_t)(b / LF_Q8X_GROUP) * LF_Q8X_GROUP_BYTES;
                int j = (int)(b % LF_Q8X_GROUP);
                int32_t s = 0;
                for (int i = 0; i < LF_Q8_0_BLOCK; i++)
                    s += (int32_t)(int8_t)blk[2 + i] * (int32_t)(int8_t)gq[((i / 4) * 8 + j) * 4 + i % 4];
                uint16_t dh;
                float dx;
                memcpy(&dh, blk, 2);
                memcpy(&dx, gq + 256 + 4 * j, 4);
                float d = lf_f16_to_f32(dh) * dx;
                acc[j] = fmaf((float)s, d, acc[j]);
            }
            y[(size_t)t * ldy + (size_t)o] =
                ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
        }
    }
}

void lf_kern_q8_matmul_f32(lf_q8x_quant_fn q, lf_q8_matmul_fn mm, const lf_wmat *w, const float *x,
                           size_t ldx, float *y, size_t ldy, int T, int64_t r0, int64_t r1)
{
    size_t rbq = lf_q8x_row_bytes(w->n_in);
    uint8_t *buf = malloc((size_t)T * rbq);
    if (buf) {
        for (int t = 0; t < T; t++)
            q(x + (size_t)t * ldx, w->n_in, buf + (size_t)t * rbq);
        mm(w, buf, rbq, y, ldy, T, r0, r1);
        free(buf);
        return;
    }
    _Alignas(64) uint8_t one[32 * LF_Q8X_GROUP_BYTES]; /* rows of up to 8192 values */
    for (int t = 0; t < T; t++) {
        if (rbq <= sizeof one) {
            q(x + (size_t)t * ldx, w->n_in, one);
            mm(w, one, rbq, y + (size_t)t * ldy, ldy, 1, r0, r1);
        } else { /* no memory for a row this long: say so in the output */
            for (int64_t o = r0; o < r1; o++)
                y[(size_t)t * ldy + (size_t)o] = NAN;
        }
    }
}

static void ref_matmul(const lf_wmat *w, const float *x, size_t ldx, float *y, size_t ldy,
                       int T, int64_t r0, int64_t r1)
{
    if (w->type == LF_GGML_Q8_0) {
        lf_kern_q8_matmul_f32(lf_q8x_quantize_row, ref_matmul_q8, w, x, ldx, y, ldy, T, r0, r1);
        return;
    }
    for (int64_t o = r0; o < r1; o++) {
        const void *row = (const uint8_t *)w->data + (size_t)o * w->row_bytes;
        for (int t = 0; t < T; t++)
            y[(size_t)t * ldy + (size_t)o] = ref_row_dot(w, row, x + (size_t)t * ldx);
    }
}

static float ref_dot_f32(const float *a, const float *b, int n)
{
    float acc = 0.0f;
    for (int i = 0; i < n; i++)
        acc += a[i] * b[i];
    return acc;
}

static float ref_dot_f16(const uint16_t *a, const float *b, int n)
{
    float acc = 0.0f;
    for (int i = 0; i < n; i++)
        acc += lf_f16_to_f32(a[i]) * b[i];
    return acc;
}

static void ref_axpy_f32(float *y, float s, const float *x, int n)
{
    for (int i = 0; i < n; i++)
        y[i] += s * x[i];
}

static void ref_axpy_f16(float *y, float s, const uint16_t *x, int n)
{
    for (int i = 0; i < n; i++)
        y[i] += s * lf_f16_to_f32(x[i]);
}

static void ref_attn_scores(const void *k, bool kf16, const float *q, int hd, int n, float scale,
                            float *s)
{
    for (int p = 0; p < n; p++) {
        size_t base = (size_t)(p / LF_KBLK) * hd * LF_KBLK + (size_t)(p % LF_KBLK);
        float acc = 0.0f;
        for (int d = 0; d < hd; d++) {
            size_t at = base + (size_t)d * LF_KBLK;
            float kv = kf16 ? lf_f16_to_f32(((const uint16_t *)k)[at]) : ((const float *)k)[at];
            acc += q[d] * kv;
        }
        s[p] = acc * scale;
    }
}

static void ref_attn_mix(const void *v, bool vf16, const float *w, int n, int hv, float *out)
{
    for (int i = 0; i < hv; i++)
        out[i] = 0.0f;
    for (int p = 0; p < n; p++)
        for (int i = 0; i < hv; i++) {
            size_t at = (size_t)p * hv + (size_t)i;
            float x = vf16 ? lf_f16_to_f32(((const uint16_t *)v)[at]) : ((const float *)v)[at];
            out[i] += w[p] * x;
        }
}

static void ref_rmsnorm(float *y, const float *x, const float *w, int n, float eps)
{
    float ss = 0.0f;
    for (int i = 0; i < n; i++)
        ss += x[i] * x[i];
    float r = 1.0f / sqrtf(ss / (float)n + eps);
    for (int i = 0; i < n; i++)
        y[i] = x[i] * r * w[i];
}

static void ref_softmax(float *x, int n)
{
    float m = -INFINITY;
    for (int i = 0; i < n; i++)
        if (x[i] > m)
            m = x[i];
    float s = 0.0f;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - m);
        s += x[i];
    }
    float inv = 1.0f / s;
    for (int i = 0; i < n; i++)
        x[i] *= inv;
}

static void ref_swiglu(float *g, const float *u, int n)
{
    for (int i = 0; i < n; i++)
        g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

static const lf_kern ref_kern = {
    .name = "ref",
    .matmul = ref_matmul,
    .quantize_q8x = lf_q8x_quantize_row,
    .matmul_q8 = ref_matmul_q8,
    .dot_f32 = ref_dot_f32,
    .dot_f16 = ref_dot_f16,
    .axpy_f32 = ref_axpy_f32,
    .axpy_f16 = ref_axpy_f16,
    .attn_scores = ref_attn_scores,
    .attn_mix = ref_attn_mix,
    .rmsnorm = ref_rmsnorm,
    .softmax = ref_softmax,
    .swiglu = ref_swiglu,
    .round_bf16 = lf_kern_bf16_round_ref,
    .matmul_bf16 = lf_kern_bf16_matmul_ref,
};

const lf_kern *lf_kern_ref(void)
{
    return &ref_kern;
}

int lf_cpu_has_f16c(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    return (c & bit_F16C) != 0;
#else
    return 0;
#endif
}

int lf_cpu_has_avx512bf16(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d))
        return 0;
    return (a >> 5) & 1;
#else
    return 0;
#endif
}

const lf_kern *lf_kern_best(void)
{
    const char *env = getenv("LF_KERNELS");
    if (env) {
        if (!strcmp(env, "ref"))
            return lf_kern_ref();
        if (!strcmp(env, "avx2") && lf_kern_avx2())
            return lf_kern_avx2();
        if (!strcmp(env, "avx512") && lf_kern_avx512())
            return lf_kern_avx512();
        if (!strcmp(env, "avx512-emu") && lf_kern_avx512_vnni())
            return lf_kern_avx512_vnni();
    }
    if (lf_kern_avx512())
        return lf_kern_avx512();
    if (lf_kern_avx2())
        return lf_kern_avx2();
    return lf_kern_ref();
}
