/* kernels_avx512.c: the kernels of kernels_simd.h on 16-lane AVX-512F
 * vectors (F16C for f16 loads), and the Q8_0 integer kernels of kernels_q8.h
 * with AVX512-VNNI (or, on CPUs without it, maddubs). Compiled with
 * -mavx512f -mfma -mf16c (VNNI by target attribute); chosen at run time only
 * when the CPU supports AVX-512F. */
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

/* The float kernels: the same in both tables. */
#define AVX512_FLOAT_KERNELS                                                                    \
    .dot_f32 = avx512_dot_f32, .dot_f16 = avx512_dot_f16, .axpy_f32 = avx512_axpy_f32,          \
    .axpy_f16 = avx512_axpy_f16, .attn_scores = avx512_attn_scores,                             \
    .attn_mix = avx512_attn_mix, .rmsnorm = avx512_rmsnorm, .softmax = avx512_softmax,          \
    .swiglu = avx512_swiglu

static const lf_kern avx512_kern = {
    .name = "avx512",
    .matmul = avx512_vnni_matmul,
    .quantize_q8x = avx512_vnni_quantize,
    .matmul_q8 = avx512_vnni_matmul_q8,
    AVX512_FLOAT_KERNELS,
};

static const lf_kern avx512_kern_novnni = {
    .name = "avx512-novnni",
    .matmul = avx512_q8_matmul,
    .quantize_q8x = avx512_q8_quantize,
    .matmul_q8 = avx512_q8_matmul_q8,
    AVX512_FLOAT_KERNELS,
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
