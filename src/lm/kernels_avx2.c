/* kernels_avx2.c: the kernels of kernels_simd.h on 8-lane AVX2 vectors with
 * FMA and F16C, the Q8_0 integer kernels of kernels_q8.h with maddubs, and
 * the bf16-activation products of kernels_bf16.h emulated by FMAs on pairs
 * of 8-lane vectors. Compiled with -mavx2 -mfma -mf16c; chosen at run time
 * only when the CPU supports all three. */
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

/* lf_kern.round_bf16: lf_fp32_to_bf16 16 values at a time (the same
 * integer rounding: + 0x7fff + lsb, NaN made quiet), then zero padding. */
static inline __m256i avx2_bf16_8(__m256i v)
{
    __m256i hi = _mm256_srli_epi32(v, 16);
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(v, _mm256_set1_epi32(0x7fff)),
                                                   _mm256_and_si256(hi, _mm256_set1_epi32(1))),
                                  16);
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0x7fffffff)),
                                     _mm256_set1_epi32(0x7f800000));
    return _mm256_blendv_epi8(r, _mm256_or_si256(hi, _mm256_set1_epi32(64)), nan);
}

static void avx2_round_bf16(const float *x, int64_t n, uint16_t *dst)
{
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i a = avx2_bf16_8(_mm256_loadu_si256((const __m256i *)(const void *)(x + i)));
        __m256i b = avx2_bf16_8(_mm256_loadu_si256((const __m256i *)(const void *)(x + i + 8)));
        __m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi32(a, b), 0xD8);
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), p);
    }
    for (; i < n; i++)
        dst[i] = lf_fp32_to_bf16(x[i]);
    for (; i < LF_BF16X_LEN(n); i++)
        dst[i] = 0;
}

/* The bf16 pair dot (kernels_bf16.h) emulated on two 8-lane halves: lanes
 * 0-7 from the first 16 bf16 of a step, 8-15 from the next 16; odd and
 * even elements as fp32 (exact), two FMAs per half under MXCSR FTZ|DAZ. */
typedef struct { __m256 lo, hi; } BV;
typedef struct { __m256 o0, e0, o1, e1; } BX;
static inline __attribute__((always_inline)) BX avx2_bx_load(const uint16_t *p)
{
    const __m256i m = _mm256_set1_epi32((int)0xffff0000u);
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 16));
    return (BX){_mm256_castsi256_ps(_mm256_and_si256(a, m)),
                _mm256_castsi256_ps(_mm256_slli_epi32(a, 16)),
                _mm256_castsi256_ps(_mm256_and_si256(b, m)),
                _mm256_castsi256_ps(_mm256_slli_epi32(b, 16))};
}
static inline __attribute__((always_inline)) BV avx2_bv_dot(BV acc, BX w, BX x)
{
    acc.lo = _mm256_fmadd_ps(w.e0, x.e0, _mm256_fmadd_ps(w.o0, x.o0, acc.lo));
    acc.hi = _mm256_fmadd_ps(w.e1, x.e1, _mm256_fmadd_ps(w.o1, x.o1, acc.hi));
    return acc;
}
/* lanes j + j+8 first, then avx2_hsum's j+4, j+2, j+1: the tree of kernels.h */
static inline __attribute__((always_inline)) void avx2_bv_reduce8(const BV *v, float *out)
{
    __m256 h[8];
    for (int i = 0; i < 8; i++)
        h[i] = _mm256_add_ps(v[i].lo, v[i].hi);
    vec256_reduce8(h, out);
}
#define BV_ZERO() ((BV){_mm256_setzero_ps(), _mm256_setzero_ps()})
#define BX_LOAD(p) avx2_bx_load(p)
#define BV_DOT(acc, w, x) avx2_bv_dot((acc), (w), (x))
#define BV_REDUCE(v) avx2_hsum(_mm256_add_ps((v).lo, (v).hi))
#define BV_REDUCE_N(v, out) avx2_bv_reduce8((v), (out))
#define BF_NRED 8
#define BF_TR 2
#define BF_TT 2
#define BF_TR1 1
#define BFN(name) avx2_emu_##name
#include "lm/kernels_bf16.h"

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
    .round_bf16 = avx2_round_bf16,
    .matmul_bf16 = avx2_emu_matmul_bf16,
};

const lf_kern *lf_kern_avx2(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        lf_cpu_has_f16c())
        return &avx2_kern;
    return NULL;
}
