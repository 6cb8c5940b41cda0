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

/* V_REDUCE_VL(v, out): out[i] = V_REDUCE(v[i]) for the VL vectors v[0..7],
 * bit for bit: the same tree of additions as kernels_avx2.c's avx2_hsum
 * (lanes i + i+4, then + i+2, then + i+1), run on 8 vectors at once by
 * transposing as it goes: 7 additions and 14 shuffles. */
static inline __attribute__((always_inline)) void vec256_reduce8(const __m256 *v, float *out)
{
    __m256 s1[4], s2[2];
    /* input slot 2m + l holds v[4l + m], so the result comes out in order */
#define VR_IN(slot) v[4 * ((slot) % 2) + (slot) / 2]
    for (int k = 0; k < 4; k++) /* lanes j + j+4: [v_a 4 sums | v_b 4 sums] */
        s1[k] = _mm256_add_ps(_mm256_permute2f128_ps(VR_IN(2 * k), VR_IN(2 * k + 1), 0x20),
                              _mm256_permute2f128_ps(VR_IN(2 * k), VR_IN(2 * k + 1), 0x31));
#undef VR_IN
    for (int k = 0; k < 2; k++) /* + j+2 */
        s2[k] = _mm256_add_ps(_mm256_shuffle_ps(s1[2 * k], s1[2 * k + 1], 0x44),
                              _mm256_shuffle_ps(s1[2 * k], s1[2 * k + 1], 0xEE));
    /* + j+1 */
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_shuffle_ps(s2[0], s2[1], 0x88),
                                        _mm256_shuffle_ps(s2[0], s2[1], 0xDD)));
}
#define V_REDUCE_VL(v, out) vec256_reduce8((v), (out))

#endif
