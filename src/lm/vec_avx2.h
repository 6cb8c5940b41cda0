/* vec_avx2.h: the 8-lane AVX2 vector vocabulary (V, VL and the V_* macros)
 * that the kernel templates kernels_simd.h and attn_simd.h are written in.
 * Included by kernels_avx2.c and attn_avx2.c, compiled with -mavx2 -mfma
 * -mf16c, so both tables use the same instructions for the same chains. */
#ifndef LF_LM_VEC_AVX2_H
#define LF_LM_VEC_AVX2_H

#include <immintrin.h>

typedef __m256 V;
#define VL 8
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

#endif
