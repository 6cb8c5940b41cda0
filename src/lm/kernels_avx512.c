/* kernels_avx512.c: the kernels of kernels_simd.h on 16-lane AVX-512F
 * vectors (F16C for f16 loads), and the Q8_0 integer kernels of kernels_q8.h
 * with AVX512-VNNI (or, on CPUs without it, maddubs). Compiled with
 * -mavx512f -mfma -mf16c (VNNI by target attribute); chosen at run time only
 * when the CPU supports AVX-512F. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "lm/kernels.h"

typedef __m512 V;
#define VL 16
#define TR 4
#define TR1 1 /* one token: one row at a time, a single sequential stream */
#define TT 4
#define KFN(name) avx512_##name
#define V_ZERO() _mm512_setzero_ps()
#define V_SET1(s) _mm512_set1_ps(s)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps((p), (v))
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_MUL(a, b) _mm512_mul_ps((a), (b))
#define V_ADD(a, b) _mm512_add_ps((a), (b))
#define V_SUB(a, b) _mm512_sub_ps((a), (b))
#define V_DIV(a, b) _mm512_div_ps((a), (b))
#define V_MAX(a, b) _mm512_max_ps((a), (b))
#define V_MIN(a, b) _mm512_min_ps((a), (b))
#define V_ROUND(a) _mm512_roundscale_ps((a), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_SCALE2(p, k) _mm512_scalef_ps((p), (k))
#define V_REDUCE(v) _mm512_reduce_add_ps(v)
#define V_REDUCE_MAX(v) _mm512_reduce_max_ps(v)
#define V_LOAD_F16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define V_LOAD_BF16(p)                                                                     \
    _mm512_castsi512_ps(_mm512_slli_epi32(                                                 \
        _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(p))), 16))

#include "lm/kernels_simd.h"

/* Q8_0 with VNNI (AVX512-VNNI on 256-bit vectors, hence AVX512VL): these
 * functions only, by target attribute; the table needs both features. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512vl,avx512vnni"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512vl,avx512vnni")
#endif
#define Q8FN(name) avx512_vnni_##name
#define Q8_VNNI 1
#define Q8_NR 4
#define Q8_NT 4
#include "lm/kernels_q8.h"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#undef Q8FN
#undef Q8_VNNI
#undef Q8_NR
#undef Q8_NT

/* Q8_0 on AVX-512 CPUs without VNNI: the AVX2 integer kernels. */
#define Q8FN(name) avx512_q8_##name
#define Q8_VNNI 0
#define Q8_NR 2
#define Q8_NT 2
#include "lm/kernels_q8.h"

static void avx512_matmul_vnni(const lf_wmat *w, const float *x, size_t ldx, float *y, size_t ldy,
                               int T, int64_t r0, int64_t r1)
{
    if (w->type == LF_GGML_Q8_0)
        lf_kern_q8_matmul_f32(avx512_vnni_quantize, avx512_vnni_matmul_q8, w, x, ldx, y, ldy, T, r0,
                              r1);
    else
        avx512_matmul_float(w, x, ldx, y, ldy, T, r0, r1);
}

static void avx512_matmul(const lf_wmat *w, const float *x, size_t ldx, float *y, size_t ldy, int T,
                          int64_t r0, int64_t r1)
{
    if (w->type == LF_GGML_Q8_0)
        lf_kern_q8_matmul_f32(avx512_q8_quantize, avx512_q8_matmul_q8, w, x, ldx, y, ldy, T, r0, r1);
    else
        avx512_matmul_float(w, x, ldx, y, ldy, T, r0, r1);
}

static const lf_kern avx512_kern = {
    .name = "avx512",
    .matmul = avx512_matmul_vnni,
    .quantize_q8x = avx512_vnni_quantize,
    .matmul_q8 = avx512_vnni_matmul_q8,
    .dot_f32 = avx512_dot_f32,
    .dot_f16 = avx512_dot_f16,
    .axpy_f32 = avx512_axpy_f32,
    .axpy_f16 = avx512_axpy_f16,
    .attn_scores = avx512_attn_scores,
    .attn_mix = avx512_attn_mix,
    .rmsnorm = avx512_rmsnorm,
    .softmax = avx512_softmax,
    .swiglu = avx512_swiglu,
};

static const lf_kern avx512_kern_novnni = {
    .name = "avx512-novnni",
    .matmul = avx512_matmul,
    .quantize_q8x = avx512_q8_quantize,
    .matmul_q8 = avx512_q8_matmul_q8,
    .dot_f32 = avx512_dot_f32,
    .dot_f16 = avx512_dot_f16,
    .axpy_f32 = avx512_axpy_f32,
    .axpy_f16 = avx512_axpy_f16,
    .attn_scores = avx512_attn_scores,
    .attn_mix = avx512_attn_mix,
    .rmsnorm = avx512_rmsnorm,
    .softmax = avx512_softmax,
    .swiglu = avx512_swiglu,
};

const lf_kern *lf_kern_avx512(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma") || !lf_cpu_has_f16c())
        return NULL;
    if (__builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
        return &avx512_kern;
    return &avx512_kern_novnni;
}

const lf_kern *lf_kern_avx512_novnni(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma") || !lf_cpu_has_f16c())
        return NULL;
    return &avx512_kern_novnni;
}
