/* kernels_avx2.c: the kernels of kernels_simd.h on 8-lane AVX2 vectors with
 * FMA and F16C, and the Q8_0 integer kernels of kernels_q8.h with maddubs. Compiled with -mavx2 -mfma -mf16c; chosen at run time only
 * when the CPU supports all three. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "lm/kernels.h"

#include "lm/vec_avx2.h"

#define TR 4
#define TR1 1 /* one token: one row at a time, a single sequential stream */
#define TT 2
#define KFN(name) avx2_##name

static inline float avx2_hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float avx2_hmax(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#define V_REDUCE(v) avx2_hsum(v)
#define V_REDUCE_MAX(v) avx2_hmax(v)

#include "lm/kernels_simd.h"

#define Q8FN(name) avx2_q8_##name
#define Q8_VNNI 0
#define Q8_NR 2
#define Q8_NT 2
#include "lm/kernels_q8.h"

static const lf_kern avx2_kern = {
    .name = "avx2",
    .matmul = avx2_q8_matmul,
    .quantize_q8x = avx2_q8_quantize,
    .matmul_q8 = avx2_q8_matmul_q8,
    .dot_f32 = avx2_dot_f32,
    .dot_f16 = avx2_dot_f16,
    .axpy_f32 = avx2_axpy_f32,
    .axpy_f16 = avx2_axpy_f16,
    .attn_scores = avx2_attn_scores,
    .attn_mix = avx2_attn_mix,
    .rmsnorm = avx2_rmsnorm,
    .softmax = avx2_softmax,
    .swiglu = avx2_swiglu,
};

const lf_kern *lf_kern_avx2(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        lf_cpu_has_f16c())
        return &avx2_kern;
    return NULL;
}
