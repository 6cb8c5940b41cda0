/* kernels_avx2.c: the kernels of kernels_simd.h on 8-lane AVX2 vectors with
 * FMA and F16C, and the Q8_0 integer kernels of kernels_q8.h with maddubs. Compiled with -mavx2 -mfma -mf16c; chosen at run time only
 * when the CPU supports all three. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "lm/kernels.h"

typedef __m256 V;
#define VL 8
#define TR 4
#define TR1 1 /* one token: one row at a time, a single sequential stream */
#define TT 2
#define KFN(name) avx2_##name
#define V_ZERO() _mm256_setzero_ps()
#define V_SET1(s) _mm256_set1_ps(s)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps((p), (v))
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_MUL(a, b) _mm256_mul_ps((a), (b))
#define V_ADD(a, b) _mm256_add_ps((a), (b))
#define V_SUB(a, b) _mm256_sub_ps((a), (b))
#define V_DIV(a, b) _mm256_div_ps((a), (b))
#define V_MAX(a, b) _mm256_max_ps((a), (b))
#define V_MIN(a, b) _mm256_min_ps((a), (b))
#define V_ROUND(a) _mm256_round_ps((a), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_SCALE2(p, k) \
    _mm256_mul_ps((p), _mm256_castsi256_ps(_mm256_slli_epi32( \
        _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23)))
#define V_LOAD_F16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define V_LOAD_BF16(p)                                                                     \
    _mm256_castsi256_ps(_mm256_slli_epi32(                                                 \
        _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p))), 16))

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

static void avx2_matmul(const lf_wmat *w, const float *x, size_t ldx, float *y, size_t ldy, int T,
                        int64_t r0, int64_t r1)
{
    if (w->type == LF_GGML_Q8_0)
        lf_kern_q8_matmul_f32(avx2_q8_quantize, avx2_q8_matmul_q8, w, x, ldx, y, ldy, T, r0, r1);
    else
        avx2_matmul_float(w, x, ldx, y, ldy, T, r0, r1);
}

static const lf_kern avx2_kern = {
    .name = "avx2",
    .matmul = avx2_matmul,
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
