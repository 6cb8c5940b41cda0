/* kernels_avx512.c: the kernels of kernels_simd.h on 16-lane AVX-512F
 * vectors (F16C for f16 loads). Compiled with -mavx512f -mfma -mf16c; chosen
 * at run time only when the CPU supports AVX-512F. */
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
#define V_LOAD_I8(p) \
    _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p))))

#include "lm/kernels_simd.h"

static const lf_kern avx512_kern = {
    .name = "avx512",
    .matmul = avx512_matmul,
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
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma") &&
        lf_cpu_has_f16c())
        return &avx512_kern;
    return NULL;
}
