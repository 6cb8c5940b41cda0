/* vec_avx512.h: the 16-lane AVX-512F vector vocabulary (V, VL and the V_*
 * macros) that the kernel templates kernels_simd.h and attn_simd.h are
 * written in. Included by kernels_avx512.c and attn_avx512.c, compiled with
 * -mavx512f -mfma -mf16c, so both tables use the same instructions for the
 * same chains. */
#ifndef LF_LM_VEC_AVX512_H
#define LF_LM_VEC_AVX512_H

#include <immintrin.h>

typedef __m512 V;
#define VL 16
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

/* V_REDUCE_VL(v, out): out[i] = V_REDUCE(v[i]) for the VL vectors v[0..15],
 * bit for bit: the same tree of additions (lanes i + i+8, then + i+4, then
 * + i+2, then + i+1, as GCC's _mm512_reduce_add_ps and clang's halving
 * reduction add them), run on 16 vectors at once by transposing as it
 * goes: 15 additions and 30 shuffles instead of 16 separate reductions. */
static inline __attribute__((always_inline)) void vec512_reduce16(const __m512 *v, float *out)
{
    __m512 s1[8], s2[4], s3[2];
    /* input slot 4m + l holds v[4l + m], so the result comes out in order */
#define VR_IN(slot) v[4 * ((slot) % 4) + (slot) / 4]
    for (int k = 0; k < 8; k++) /* lanes j + j+8: [v_a T3 | v_b T3] */
        s1[k] = _mm512_add_ps(_mm512_shuffle_f32x4(VR_IN(2 * k), VR_IN(2 * k + 1), 0x44),
                              _mm512_shuffle_f32x4(VR_IN(2 * k), VR_IN(2 * k + 1), 0xEE));
#undef VR_IN
    for (int k = 0; k < 4; k++) /* + j+4: 128-bit lane l holds input 4k+l's 4 sums */
        s2[k] = _mm512_add_ps(_mm512_shuffle_f32x4(s1[2 * k], s1[2 * k + 1], 0x88),
                              _mm512_shuffle_f32x4(s1[2 * k], s1[2 * k + 1], 0xDD));
    for (int k = 0; k < 2; k++) /* + j+2 */
        s3[k] = _mm512_add_ps(_mm512_shuffle_ps(s2[2 * k], s2[2 * k + 1], 0x44),
                              _mm512_shuffle_ps(s2[2 * k], s2[2 * k + 1], 0xEE));
    /* + j+1 */
    _mm512_storeu_ps(out, _mm512_add_ps(_mm512_shuffle_ps(s3[0], s3[1], 0x88),
                                        _mm512_shuffle_ps(s3[0], s3[1], 0xDD)));
}
#define V_REDUCE_VL(v, out) vec512_reduce16((v), (out))

#endif
