/* kernels_avx512.c: the kernels of kernels_simd.h on 16-lane AVX-512F
 * vectors (F16C for f16 loads), the Q8_0 integer kernels of kernels_q8.h
 * with AVX512-VNNI (or, on CPUs without it, maddubs), and the
 * bf16-activation products of kernels_bf16.h with AVX512-BF16's vdpbf16ps
 * (or its emulation by FMAs). Compiled with -mavx512f -mfma -mf16c (VNNI
 * and BF16 by target attribute); chosen at run time only when the CPU
 * supports AVX-512F, vdpbf16ps only after lf_kern_bf16_selftest. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "lm/kernels.h"

#include "lm/vec_avx512.h"

#define TR 4
#define TR1 1 /* one token: one row at a time, a single sequential stream */
#define TT 4
#define KFN(name) avx512_##name

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

/* lf_kern.round_bf16: lf_fp32_to_bf16 16 values at a time (the same
 * integer rounding: + 0x7fff + lsb, NaN made quiet), then zero padding. */
static void avx512_round_bf16(const float *x, int64_t n, uint16_t *dst)
{
    const __m512i bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1);
    const __m512i absm = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
    const __m512i quiet = _mm512_set1_epi32(64);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i v = _mm512_loadu_si512((const void *)(x + i));
        __m512i hi = _mm512_srli_epi32(v, 16);
        __m512i r = _mm512_srli_epi32(
            _mm512_add_epi32(_mm512_add_epi32(v, bias), _mm512_and_si512(hi, one)), 16);
        __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(v, absm), inf);
        r = _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(hi, quiet));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm512_cvtepi32_epi16(r));
    }
    for (; i < n; i++)
        dst[i] = lf_fp32_to_bf16(x[i]);
    for (; i < LF_BF16X_LEN(n); i++)
        dst[i] = 0;
}

/* The bf16 pair dot on 16-lane vectors (kernels_bf16.h): a zmm of 32 bf16
 * holds pair j in 32-bit lane j, odd element in the high half. */
typedef __m512 BV;
#define BV_ZERO() _mm512_setzero_ps()
#define BV_REDUCE(v) V_REDUCE(v)
#define BV_REDUCE_N(v, out) vec512_reduce16((v), (out))
#define BF_NRED 16
#define BF_TR 4
#define BF_TT 4
#define BF_TR1 1

/* Emulated: the odd and even elements as fp32 (exact), two FMAs a step;
 * under MXCSR FTZ|DAZ each FMA rounds and flushes as vdpbf16ps's adds. */
typedef struct { __m512 o, e; } BX;
static inline __attribute__((always_inline)) BX avx512_bx_load(const uint16_t *p)
{
    __m512i v = _mm512_loadu_si512((const void *)p);
    return (BX){_mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int)0xffff0000u))),
                _mm512_castsi512_ps(_mm512_slli_epi32(v, 16))};
}
#define BX_LOAD(p) avx512_bx_load(p)
#define BV_DOT(acc, w, x) _mm512_fmadd_ps((w).e, (x).e, _mm512_fmadd_ps((w).o, (x).o, (acc)))
#define BFN(name) avx512_emu_##name
#include "lm/kernels_bf16.h"
#undef BFN
#undef BV_DOT
#undef BX_LOAD
#define BX avx512_bx_hw /* the BX of the instruction */

/* AVX512-BF16: these functions only, by target attribute. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512bf16"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512bf16")
#endif
typedef __m512bh avx512_bx_hw;
#define BX_LOAD(p) ((__m512bh)_mm512_loadu_si512((const void *)(p)))
#define BV_DOT(acc, w, x) _mm512_dpbf16_ps((acc), (w), (x))
#define BFN(name) avx512_hw_##name
#include "lm/kernels_bf16.h"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#undef BFN
#undef BV_DOT
#undef BX_LOAD
#undef BX

/* The float kernels: the same in every table. */
#define AVX512_FLOAT_KERNELS                                                                    \
    .dot_f32 = avx512_dot_f32, .dot_f16 = avx512_dot_f16, .axpy_f32 = avx512_axpy_f32,          \
    .axpy_f16 = avx512_axpy_f16, .attn_scores = avx512_attn_scores,                             \
    .attn_mix = avx512_attn_mix, .rmsnorm = avx512_rmsnorm, .softmax = avx512_softmax,          \
    .swiglu = avx512_swiglu, .round_bf16 = avx512_round_bf16

static const lf_kern avx512_kern = {
    .name = "avx512",
    .matmul = avx512_vnni_matmul,
    .quantize_q8x = avx512_vnni_quantize,
    .matmul_q8 = avx512_vnni_matmul_q8,
    .matmul_bf16 = avx512_emu_matmul_bf16,
    AVX512_FLOAT_KERNELS,
};

static const lf_kern avx512_kern_bf16 = {
    .name = "avx512-bf16",
    .matmul = avx512_vnni_matmul,
    .quantize_q8x = avx512_vnni_quantize,
    .matmul_q8 = avx512_vnni_matmul_q8,
    .matmul_bf16 = avx512_hw_matmul_bf16,
    .bf16_native = true,
    AVX512_FLOAT_KERNELS,
};

static const lf_kern avx512_kern_novnni = {
    .name = "avx512-novnni",
    .matmul = avx512_q8_matmul,
    .quantize_q8x = avx512_q8_quantize,
    .matmul_q8 = avx512_q8_matmul_q8,
    .matmul_bf16 = avx512_emu_matmul_bf16,
    AVX512_FLOAT_KERNELS,
};

static bool avx512_base(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma") && lf_cpu_has_f16c();
}

const lf_kern *lf_kern_avx512_vnni(void)
{
    if (!avx512_base() || !__builtin_cpu_supports("avx512vl") ||
        !__builtin_cpu_supports("avx512vnni"))
        return NULL;
    return &avx512_kern;
}

const lf_kern *lf_kern_avx512_bf16(void)
{
    if (!lf_kern_avx512_vnni() || !lf_cpu_has_avx512bf16())
        return NULL;
    return &avx512_kern_bf16;
}

const lf_kern *lf_kern_avx512_novnni(void)
{
    return avx512_base() ? &avx512_kern_novnni : NULL;
}

const lf_kern *lf_kern_avx512(void)
{
    /* the self-test's verdict: 0 not yet run, 1 passed, 2 failed; threads
     * racing on the first call each run it and store the same answer */
    static _Atomic int hw_ok;
    if (lf_kern_avx512_bf16()) {
        int ok = hw_ok;
        if (!ok) {
            ok = lf_kern_bf16_selftest(avx512_hw_matmul_bf16) ? 1 : 2;
            hw_ok = ok;
        }
        if (ok == 1)
            return &avx512_kern_bf16;
    }
    if (lf_kern_avx512_vnni())
        return &avx512_kern;
    return lf_kern_avx512_novnni();
}
