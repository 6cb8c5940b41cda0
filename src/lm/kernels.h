/* kernels.h: the numeric kernels of the inference engine: matrix products of
 * weights (F32/F16/BF16 with fp32 activations; Q8_0 with int8 activations),
 * dot products, RMSNorm, softmax, SwiGLU. A plain C reference (kernels.c) is
 * the spec; AVX2+FMA+F16C (kernels_avx2.c) and AVX-512 (kernels_avx512.c;
 * VNNI for Q8_0 where the CPU has it) variants are chosen at run
 * time and tested against it (tests/unit/lm/test_kernels.c): with a tolerance,
 * except the Q8_0 products and the bf16-activation products (below), which
 * give the reference's bits exactly.
 *
 * Determinism contract (what copy-speculation and the thread pool rely on):
 * within one kernel table, every output element is computed by one fixed
 * sequence of operations that depends only on that element's inputs, never
 * on how many tokens are in the batch, which rows are computed beside it, or
 * which thread runs it. So a batched forward gives bit-identical logits to
 * one-token steps, and any thread count gives identical bits.
 * All kernels are pure functions of their arguments (thread-safe).
 */
#ifndef LF_LM_KERNELS_H
#define LF_LM_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lm/gguf.h"
#include "lm/quant.h"

/* LF_UNROLL(n): unroll the loop that follows; for the tile loops of the SIMD
 * templates (kernels_simd.h, kernels_q8.h, attn_simd.h), whose trip counts
 * are constants once the always_inline helpers are inlined, and which must
 * be unrolled for their accumulator arrays to live in registers.
 * GCC: `GCC unroll n`. Clang: a full unroll; clang 14 took `GCC unroll n` as
 * an unroll count and left loops such as the 4-row x 4-token BF16 tile
 * rolled, its accumulators in stack slots (a load and a store around every
 * FMA: batched decoding ran at under half GCC's speed). Unrolling never
 * changes the order of the operations, so the results are the same bits. */
#define LF_PRAGMA_(x) _Pragma(#x)
#if defined(__clang__)
#define LF_UNROLL(n) LF_PRAGMA_(clang loop unroll(full))
#else
#define LF_UNROLL(n) LF_PRAGMA_(GCC unroll n)
#endif

/* The tokens a row block has left after its full tiles of TT (<= 4): one
 * narrower tile, called through TILE(NT, PF) with both as literals so that
 * each call inlines with its constants (pf: prefetch the next rows). The
 * widths a table never needs (NT >= TT) are dead code. Shared by the float
 * and Q8_0 tiles (kernels_simd.h) and the bf16 ones (kernels_bf16.h). */
#define LF_TILE_REST(left, TT, pf, TILE)                                                         \
    do {                                                                                         \
        if ((left) == 3 && (TT) > 3) {                                                           \
            if (pf)                                                                              \
                TILE(3, true);                                                                   \
            else                                                                                 \
                TILE(3, false);                                                                  \
        } else if ((left) == 2 && (TT) > 2) {                                                    \
            if (pf)                                                                              \
                TILE(2, true);                                                                   \
            else                                                                                 \
                TILE(2, false);                                                                  \
        } else if ((left) == 1) {                                                                \
            TILE(1, false);                                                                      \
        }                                                                                        \
    } while (0)

/* A weight matrix used in place from the model file: n_out rows of n_in
 * elements each (GGUF ne[0] = n_in, ne[1] = n_out), row o starting at
 * data + o * row_bytes. Q8_0 rows are n_in/32 blocks of {f16 d; int8 q[32]}. */
typedef struct lf_wmat {
    const void *data;
    lf_ggml_type type;
    int64_t n_in, n_out;
    size_t row_bytes;
} lf_wmat;

/* Q8_0 products with int8 activations (lf_kern.quantize_q8x, matmul_q8). */
typedef void (*lf_q8x_quant_fn)(const float *x, int64_t n, uint8_t *dst);
typedef void (*lf_q8_matmul_fn)(const lf_wmat *w, const uint8_t *xq, size_t ldq, float *y,
                                size_t ldy, int T, int64_t r0, int64_t r1);

/* BF16 weights times bf16 activations (lf_kern.matmul_bf16): the rows of
 * xb are LF_BF16X_LEN(n_in) elements, zero past n_in (round_bf16). */
typedef void (*lf_bf16_matmul_fn)(const lf_wmat *w, const uint16_t *xb, size_t ldxb, float *y,
                                  size_t ldy, int T, int64_t r0, int64_t r1);
#define LF_BF16X_LEN(n) (((n) + 31) / 32 * 32)

/* Positions per block of the transposed K cache (attn_scores). */
#define LF_KBLK 16

typedef struct lf_kern {
    const char *name;
    /* y[t*ldy + o] = sum_i W[o][i] * x[t*ldx + i] for t in [0,T), o in [r0,r1).
     * Q8_0 weights: x is quantised (quantize_q8x) and matmul_q8 runs. */
    void (*matmul)(const lf_wmat *w, const float *x, size_t ldx, float *y, size_t ldy,
                   int T, int64_t r0, int64_t r1);
    /* Q8_0 weights times int8 activations, the one path of every Q8_0
     * product (batched or not, whichever caller). quantize_q8x writes one
     * row of n values in the Q8X layout (quant.h: 32-value blocks, int8 q,
     * fp32 scale dx); matmul_q8 is matmul over T such rows, row t at
     * xq + t * ldq bytes. With s_b the exact integer sum of block b's 32
     * products q_w * q_x and dw_b (the weight's f16 scale), dx_b the scales,
     * every table computes each output as
     *     acc[b % 8] = fma((float)s_b, dw_b * dx_b, acc[b % 8])  (b = 0, 1, ..; acc = 0)
     *     y = ((acc0 + acc4) + (acc2 + acc6)) + ((acc1 + acc5) + (acc3 + acc7))
     * so the SIMD tables give the reference's bits exactly. */
    void (*quantize_q8x)(const float *x, int64_t n, uint8_t *dst);
    lf_q8_matmul_fn matmul_q8;
    /* BF16 weights times bf16-rounded activations (the opt-in mode of
     * lf_ctx_opts.act; the products of vdpbf16ps). round_bf16 writes
     * lf_fp32_to_bf16 (quant.h: nearest even, NaN quiet) of the n values
     * of x, then zeros up to LF_BF16X_LEN(n). matmul_bf16 is matmul over T
     * such rows, row t at xb + t * ldxb elements. Every table computes each
     * output exactly as AVX512-BF16's vdpbf16ps accumulates (Intel's
     * pseudo-code; measured on AMD Zen 4, bench/RESULTS.md):
     *     16 lanes j, acc_j = +0; for each 32-element step s of the row
     *     (zero-padded to a multiple of 32), with i = 32 s + 2 j:
     *         acc_j = step(acc_j, w[i+1], x[i+1]);  acc_j = step(acc_j, w[i], x[i])
     *     then for h = 8, 4, 2, 1: acc_j = step(acc_j + acc_{j+h}) for j < h;
     *     y = acc_0,
     * where step(c, a, b) = c + a*b rounded once to fp32 (nearest even; the
     * product is exact), reading denormal a, b, c as zeros of their sign
     * (DAZ) and flushing a tiny result, one below 2^-126 after rounding to
     * 24 bits with an unbounded exponent, to a zero of its sign (FTZ, as
     * the x86 MXCSR flag does). NaN payloads are unspecified. So the bits
     * are the same in every table: the reference in plain C, the AVX2 and
     * AVX-512F tables emulating vdpbf16ps with FMAs under MXCSR FTZ|DAZ,
     * and the AVX512-BF16 table, which the CPU runs only after
     * lf_kern_bf16_selftest has shown that its vdpbf16ps rounds this way. */
    void (*round_bf16)(const float *x, int64_t n, uint16_t *dst);
    lf_bf16_matmul_fn matmul_bf16;
    bool bf16_native;   /* matmul_bf16 is the CPU's own instruction (faster than
                           fp32 products), not an emulation */
    /* sum a[i]*b[i]; b is fp32, a fp32 or f16 (the KV cache). */
    float (*dot_f32)(const float *a, const float *b, int n);
    float (*dot_f16)(const uint16_t *a, const float *b, int n);
    /* y[i] += s * x[i]. */
    void (*axpy_f32)(float *y, float s, const float *x, int n);
    void (*axpy_f16)(float *y, float s, const uint16_t *x, int n);
    /* Attention scores: s[p] = scale * sum_d q[d] * K[p][d] for p in [0, n).
     * K is stored transposed in blocks of LF_KBLK positions: K[p][d] is at
     * k[((p / LF_KBLK) * hd + d) * LF_KBLK + p % LF_KBLK], f16 when kf16;
     * a partial last block is read whole (its extra lanes are ignored). */
    void (*attn_scores)(const void *k, bool kf16, const float *q, int hd, int n, float scale,
                        float *s);
    /* out[i] = sum_p w[p] * V[p][i] for p in [0, n), V[p] at v + p * hv
     * (f16 when vf16). */
    void (*attn_mix)(const void *v, bool vf16, const float *w, int n, int hv, float *out);
    /* y[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]; y may equal x. */
    void (*rmsnorm)(float *y, const float *x, const float *w, int n, float eps);
    /* In place: x[i] = exp(x[i] - max) / sum. */
    void (*softmax)(float *x, int n);
    /* In place: g[i] = silu(g[i]) * u[i]. */
    void (*swiglu)(float *g, const float *u, int n);
} lf_kern;

/* The reference kernels (always available). */
const lf_kern *lf_kern_ref(void);
/* The SIMD tables, or NULL when the CPU (or the build) lacks the ISA. */
/* True if the CPU has F16C (read with cpuid: clang's __builtin_cpu_supports
 * does not know the feature). */
int lf_cpu_has_f16c(void);
/* True if the CPU has AVX512-BF16 (cpuid leaf 7, subleaf 1). */
int lf_cpu_has_avx512bf16(void);
const lf_kern *lf_kern_avx2(void);
/* The best AVX-512 table: with AVX512-VNNI for Q8_0 (else maddubs), and
 * with vdpbf16ps for matmul_bf16 where the CPU has AVX512-BF16 and its
 * instruction passes lf_kern_bf16_selftest (run once, on the first call),
 * else the FMA emulation of it. */
const lf_kern *lf_kern_avx512(void);
/* The tables lf_kern_avx512 may give, each NULL where the CPU lacks its
 * features, so tests can check all of them on one CPU: VNNI with the
 * emulated bf16 products (AVX-512F, AVX512-VNNI/VL); the AVX512-BF16 one
 * whether or not its self-test passes; AVX-512F without VNNI. */
const lf_kern *lf_kern_avx512_vnni(void);
const lf_kern *lf_kern_avx512_bf16(void);
const lf_kern *lf_kern_avx512_novnni(void);
/* True when mm gives lf_kern_ref()->matmul_bf16's bits on inputs that tell
 * apart the ways a bf16 pair dot product can round: which element of a
 * pair is added first, one rounding per pair or one per product, denormal
 * inputs read as zero or not, tiny results flushed or not and by which
 * tininess rule; plus random products. Pure; thread-safe. */
bool lf_kern_bf16_selftest(lf_bf16_matmul_fn mm);
/* The fastest table this CPU supports; the environment variable LF_KERNELS
 * (ref, avx2, avx512, or avx512-emu: the AVX-512 table with emulated bf16
 * products) overrides the choice when that table is available. */
const lf_kern *lf_kern_best(void);

/* Scalar conversions (exact; f16 subnormals, inf and NaN handled). */
static inline float lf_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* Round to nearest even; overflow gives inf. */
static inline uint16_t lf_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf or NaN */
        return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0));
    if (ax >= 0x477ff000u) /* rounds to >= 65536 */
        return (uint16_t)(sign | 0x7c00);
    if (ax < 0x38800000u) { /* subnormal or zero in f16 */
        if (ax < 0x33000000u)
            return (uint16_t)sign;
        uint32_t e = ax >> 23, m = (ax & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e;  /* 14..24 */
        uint32_t r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1)))
            r++;
        return (uint16_t)(sign | r);
    }
    uint32_t r = ((ax - 0x38000000u) >> 13);
    uint32_t rem = ax & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (r & 1)))
        r++;
    return (uint16_t)(sign | r);
}

static inline float lf_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* The matmul entry for Q8_0 weights, shared by the tables: quantises the T
 * rows of x with q (into a heap buffer; without memory one token at a time
 * through a stack buffer, same bits) and runs mm. */
void lf_kern_q8_matmul_f32(lf_q8x_quant_fn q, lf_q8_matmul_fn mm, const lf_wmat *w, const float *x,
                           size_t ldx, float *y, size_t ldy, int T, int64_t r0, int64_t r1);

/* The reference bf16-activation kernels (kernels_bf16.c; lf_kern_ref()'s
 * round_bf16 and matmul_bf16): the spec in plain C. */
void lf_kern_bf16_round_ref(const float *x, int64_t n, uint16_t *dst);
void lf_kern_bf16_matmul_ref(const lf_wmat *w, const uint16_t *xb, size_t ldxb, float *y,
                             size_t ldy, int T, int64_t r0, int64_t r1);

/* Writes the n elements of one weight row (any supported type) as fp32. */
void lf_row_to_f32(lf_ggml_type t, const void *row, float *dst, int64_t n);
/* The other way: n fp32 values as one row of type t (F32, F16, BF16, or
 * Q8_0 with n a multiple of 32; lm/quant.h's conversions). Returns 0 or
 * -EINVAL for another type or such an n. */
int lf_row_from_f32(lf_ggml_type t, const float *src, void *dst, int64_t n);

#endif
