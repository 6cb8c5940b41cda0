/* kernels_q8.h: Q8_0 weights times int8 activations on 256-bit integer
 * vectors, written once and instantiated by kernels_avx2.c (maddubs) and
 * kernels_avx512.c (VNNI, and maddubs for AVX-512 CPUs without VNNI). The
 * including file defines Q8FN(name), Q8_VNNI (0 or 1) and the tile shape
 * Q8_NR weight rows x Q8_NT tokens, after kernels_simd.h (whose
 * KFN(matmul_float) Q8FN(matmul) falls back on).
 *
 * The activations come quantised in the Q8X layout (quant.h): 8 blocks per
 * group, block j's 4-byte pieces in 32-bit lane j. The weights of Q8_NR rows
 * are copied once per row group (and token chunk) into an L1 scratch in the
 * same layout (an 8x8 transpose of 32-bit lanes per 8 blocks), with their
 * 8 scales as fp32; then every token streams past them. An integer
 * accumulator lane therefore holds one block's exact sum s_b after 8 steps,
 * no horizontal sums are needed, and the float part is, per lane j = b % 8,
 *     acc[j] = fma((float)s_b, dw_b * dx_b, acc[j])     (b ascending),
 * reduced as ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)): the chain of
 * kernels.h, identical in every table and for any batch, row range, thread.
 *
 * Integer products: VNNI multiplies u8 x s8, so the weights are offset to
 * w + 128 (u8) and each block's integer accumulator starts at the
 * activation's -128 * sum(q) (stored with it, quant.h): exact. Without VNNI:
 * |w| x sign(q, w) with maddubs (at most 2 * 128 * 127 per 16-bit pair: no
 * saturation), widened by madd.
 *
 * One to three tokens (decode, short drafts) take a streaming path instead:
 * no scratch; one row at a time is read once, as a single sequential stream
 * with software prefetch (several rows side by side measured at half the
 * DRAM bandwidth on Zen 4); each block is multiplied in its natural layout
 * against a de-interleaved copy of the activations, and the 8 partial-sum
 * vectors of a group are folded into one vector of 8 block sums by
 * horizontal adds: the same exact integers, the same float chain. */

#ifndef Q8FN
#error "include from kernels_avx2.c or kernels_avx512.c"
#endif

#include <stdbool.h>

/* One slot of the weight scratch: one row's 8 blocks of one group. */
#define Q8_SLOT 288        /* 8 x 32 B interleaved quants (w + 128 with VNNI), 8 fp32 dw */
#define Q8_KG 24           /* groups (of 8 blocks) per k-chunk held in the scratch */
#define Q8_TCH_MULTI 64    /* tokens per chunk when a row needs several k-chunks */
#define Q8_XCHUNK (384 * 1024) /* bytes of quantised activations per token chunk */
#define Q8_STREAM_T 3      /* at most this many tokens take the streaming path */
#define Q8_STREAM_N 16384  /* for rows of at most this many values */
#define Q8_PF 2176         /* streaming: prefetch distance in bytes (8 groups) */

/* In: v[j] = block j's 8 dwords. Out: v[k] = dword k of blocks 0..7. */
static inline __attribute__((always_inline)) void Q8FN(tr8)(__m256i v[8])
{
    __m256i t0 = _mm256_unpacklo_epi32(v[0], v[1]), t1 = _mm256_unpackhi_epi32(v[0], v[1]);
    __m256i t2 = _mm256_unpacklo_epi32(v[2], v[3]), t3 = _mm256_unpackhi_epi32(v[2], v[3]);
    __m256i t4 = _mm256_unpacklo_epi32(v[4], v[5]), t5 = _mm256_unpackhi_epi32(v[4], v[5]);
    __m256i t6 = _mm256_unpacklo_epi32(v[6], v[7]), t7 = _mm256_unpackhi_epi32(v[6], v[7]);
    __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    v[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
    v[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    v[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
    v[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    v[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
    v[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    v[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
    v[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

/* ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)) */
static inline __attribute__((always_inline)) float Q8FN(hsum)(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* The Q8X quantiser (quant.h's lf_q8x_quantize_row, same bytes). */
static void Q8FN(quantize)(const float *x, int64_t n, uint8_t *dst)
{
    int64_t nb = n / LF_Q8_0_BLOCK, ng = (nb + 7) / 8;
    const __m256 sign = _mm256_set1_ps(-0.0f), lo = _mm256_set1_ps(-127.0f),
                 hi = _mm256_set1_ps(127.0f);
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int64_t g = 0; g < ng; g++) {
        __m256i v[8], cv = _mm256_setzero_si256();
        float ds[8];
        int32_t cs[8];
        for (int j = 0; j < 8; j++) {
            int64_t b = g * 8 + j;
            if (b >= nb) { /* padding: q = 0, d = 0 */
                v[j] = _mm256_setzero_si256();
                ds[j] = 0.0f;
                continue;
            }
            const float *xb = x + b * LF_Q8_0_BLOCK;
            __m256 a0 = _mm256_loadu_ps(xb), a1 = _mm256_loadu_ps(xb + 8),
                   a2 = _mm256_loadu_ps(xb + 16), a3 = _mm256_loadu_ps(xb + 24);
            /* max_ps returns its second operand when either is NaN: NaN never wins */
            __m256 m = _mm256_max_ps(_mm256_andnot_ps(sign, a0), _mm256_setzero_ps());
            m = _mm256_max_ps(_mm256_andnot_ps(sign, a1), m);
            m = _mm256_max_ps(_mm256_andnot_ps(sign, a2), m);
            m = _mm256_max_ps(_mm256_andnot_ps(sign, a3), m);
            __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
            m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
            float d = _mm_cvtss_f32(m4) / 127.0f;
            float id = d != 0.0f ? 1.0f / d : 0.0f;
            ds[j] = d;
            __m256 idv = _mm256_set1_ps(id);
            __m256i i0 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(a0, idv), lo), hi));
            __m256i i1 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(a1, idv), lo), hi));
            __m256i i2 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(a2, idv), lo), hi));
            __m256i i3 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(a3, idv), lo), hi));
            __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
            v[j] = _mm256_permutevar8x32_epi32(p, perm);
        }
        Q8FN(tr8)(v);
        uint8_t *gq = dst + (size_t)g * LF_Q8X_GROUP_BYTES;
        for (int k = 0; k < 8; k++) {
            _mm256_storeu_si256((__m256i *)(void *)(gq + k * 32), v[k]);
            /* lane j: sum of block j's piece k, 4 bytes sign-extended */
            __m256i s16 = _mm256_add_epi16(_mm256_srai_epi16(_mm256_slli_epi16(v[k], 8), 8),
                                           _mm256_srai_epi16(v[k], 8));
            cv = _mm256_add_epi32(cv, _mm256_madd_epi16(s16, _mm256_set1_epi16(1)));
        }
        memcpy(gq + 256, ds, sizeof ds);
        _mm256_storeu_si256((__m256i *)(void *)cs, _mm256_mullo_epi32(cv, _mm256_set1_epi32(-128)));
        memcpy(gq + 288, cs, sizeof cs);
    }
}

/* Copies blocks [b0, b0 + nbc) of rows row0 .. row0 + nr - 1 (stride rb)
 * into the scratch; rows nr .. Q8_NR - 1 and blocks past the end are zero.
 * pf: prefetch the same bytes of the next row group (few tokens on rows too
 * long for the streaming path). */
static inline __attribute__((always_inline)) void
Q8FN(repack)(const uint8_t *row0, size_t rb, int nr, int64_t b0, int64_t nbc, uint8_t *sc, bool pf)
{
    int64_t ngc = (nbc + 7) / 8;
#if Q8_VNNI
    const __m256i off = _mm256_set1_epi8((char)0x80);
#endif
    for (int64_t g = 0; g < ngc; g++) {
        int nv = nbc - g * 8 < 8 ? (int)(nbc - g * 8) : 8;
        for (int r = 0; r < Q8_NR; r++) {
            uint8_t *slot = sc + ((size_t)g * Q8_NR + (size_t)r) * Q8_SLOT;
            const uint8_t *blk = row0 + (size_t)r * rb + (size_t)(b0 + g * 8) * LF_Q8_0_BYTES;
            __m256i v[8];
            __m128i dh;
            if (r < nr && nv == 8) {
                if (pf)
                    for (int l = 0; l < 8 * LF_Q8_0_BYTES; l += 64)
                        __builtin_prefetch(blk + (size_t)Q8_NR * rb + l, 0, 0);
                for (int j = 0; j < 8; j++)
                    v[j] = _mm256_loadu_si256((const __m256i *)(const void *)(blk + j * LF_Q8_0_BYTES + 2));
                uint16_t h[8];
                for (int j = 0; j < 8; j++)
                    memcpy(&h[j], blk + j * LF_Q8_0_BYTES, 2);
                dh = _mm_loadu_si128((const __m128i *)(const void *)h);
            } else {
                uint16_t h[8] = {0};
                for (int j = 0; j < 8; j++) {
                    if (r < nr && j < nv) {
                        v[j] = _mm256_loadu_si256((const __m256i *)(const void *)(blk + j * LF_Q8_0_BYTES + 2));
                        memcpy(&h[j], blk + j * LF_Q8_0_BYTES, 2);
                    } else {
                        v[j] = _mm256_setzero_si256();
                    }
                }
                dh = _mm_loadu_si128((const __m128i *)(const void *)h);
            }
            Q8FN(tr8)(v);
            for (int k = 0; k < 8; k++)
#if Q8_VNNI
                _mm256_store_si256((__m256i *)(void *)(slot + k * 32), _mm256_xor_si256(v[k], off));
#else
                _mm256_store_si256((__m256i *)(void *)(slot + k * 32), v[k]);
#endif
            _mm256_store_ps((float *)(void *)(slot + 256), _mm256_cvtph_ps(dh));
        }
    }
}

/* NT tokens (rows xg, xg + ldq, ...: the chunk's first group) x Q8_NR rows
 * of the scratch, ngc groups. first: start the float chains at 0, else from
 * fs; last: reduce into y (nr rows valid), else save the chains in fs. */
static inline __attribute__((always_inline)) void
Q8FN(tile)(const uint8_t *sc, int64_t ngc, const uint8_t *xg, size_t ldq, bool first, bool last,
           __m256 *fs, float *y, size_t ldy, int nr, const int NT)
{
    __m256 fa[Q8_NT][Q8_NR];
#if !Q8_VNNI
    const __m256i ones = _mm256_set1_epi16(1);
#endif
    LF_UNROLL(4)
    for (int t = 0; t < NT; t++)
        LF_UNROLL(8)
        for (int r = 0; r < Q8_NR; r++)
            fa[t][r] = first ? _mm256_setzero_ps() : fs[t * Q8_NR + r];
    for (int64_t g = 0; g < ngc; g++) {
        const uint8_t *sg = sc + (size_t)g * Q8_NR * Q8_SLOT;
        const uint8_t *xgg = xg + (size_t)g * LF_Q8X_GROUP_BYTES;
        __m256i ia[Q8_NT][Q8_NR];
        LF_UNROLL(4)
        for (int t = 0; t < NT; t++)
            LF_UNROLL(8)
            for (int r = 0; r < Q8_NR; r++)
#if Q8_VNNI
                ia[t][r] = _mm256_loadu_si256((const __m256i *)(const void *)(xgg + (size_t)t * ldq + 288));
#else
                ia[t][r] = _mm256_setzero_si256();
#endif
        LF_UNROLL(8)
        for (int k = 0; k < 8; k++) {
            __m256i wv[Q8_NR];
            LF_UNROLL(8)
            for (int r = 0; r < Q8_NR; r++)
                wv[r] = _mm256_load_si256((const __m256i *)(const void *)(sg + r * Q8_SLOT + k * 32));
#if !Q8_VNNI
            __m256i aw[Q8_NR];
            LF_UNROLL(8)
            for (int r = 0; r < Q8_NR; r++)
                aw[r] = _mm256_abs_epi8(wv[r]);
#endif
            LF_UNROLL(4)
            for (int t = 0; t < NT; t++) {
                __m256i xv = _mm256_loadu_si256((const __m256i *)(const void *)(xgg + (size_t)t * ldq + k * 32));
#if Q8_VNNI
                LF_UNROLL(8)
                for (int r = 0; r < Q8_NR; r++)
                    ia[t][r] = _mm256_dpbusd_epi32(ia[t][r], wv[r], xv);
#else
                LF_UNROLL(8)
                for (int r = 0; r < Q8_NR; r++)
                    ia[t][r] = _mm256_add_epi32(ia[t][r], _mm256_madd_epi16(
                        _mm256_maddubs_epi16(aw[r], _mm256_sign_epi8(xv, wv[r])), ones));
#endif
            }
        }
        LF_UNROLL(4)
        for (int t = 0; t < NT; t++) {
            __m256 dx = _mm256_loadu_ps((const float *)(const void *)(xgg + (size_t)t * ldq + 256));
            LF_UNROLL(8)
            for (int r = 0; r < Q8_NR; r++) {
                __m256 dw = _mm256_load_ps((const float *)(const void *)(sg + r * Q8_SLOT + 256));
                fa[t][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ia[t][r]), _mm256_mul_ps(dw, dx), fa[t][r]);
            }
        }
    }
    if (last) {
        for (int t = 0; t < NT; t++)
            for (int r = 0; r < nr; r++)
                y[(size_t)t * ldy + (size_t)r] = Q8FN(hsum)(fa[t][r]);
    } else {
        LF_UNROLL(4)
        for (int t = 0; t < NT; t++)
            LF_UNROLL(8)
            for (int r = 0; r < Q8_NR; r++)
                fs[t * Q8_NR + r] = fa[t][r];
    }
}

/* Lane j of the result: the sum of the 8 lanes of v[j]. */
static inline __attribute__((always_inline)) __m256i Q8FN(fold8)(const __m256i v[8])
{
    __m256i h01 = _mm256_hadd_epi32(v[0], v[1]), h23 = _mm256_hadd_epi32(v[2], v[3]);
    __m256i h45 = _mm256_hadd_epi32(v[4], v[5]), h67 = _mm256_hadd_epi32(v[6], v[7]);
    __m256i a = _mm256_hadd_epi32(h01, h23), b = _mm256_hadd_epi32(h45, h67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20),
                            _mm256_permute2x128_si256(a, b, 0x31));
}

/* The 8 f16 scales of the blocks at blk (stride 34 B) as fp32. */
static inline __attribute__((always_inline)) __m256 Q8FN(scales8)(const uint8_t *blk)
{
    uint16_t h[8];
    for (int j = 0; j < 8; j++)
        memcpy(&h[j], blk + j * LF_Q8_0_BYTES, 2);
    return _mm256_cvtph_ps(_mm_setr_epi16((short)h[0], (short)h[1], (short)h[2], (short)h[3],
                                          (short)h[4], (short)h[5], (short)h[6], (short)h[7]));
}

/* Streaming path: one row x NT tokens; xp holds the tokens' quants
 * de-interleaved (block b of token t at xp + t * xps + 32 b), xq the Q8X
 * rows (scales and sums). */
static inline __attribute__((always_inline)) void
Q8FN(stream)(const uint8_t *row, int64_t nb, const int8_t *xp, size_t xps, const uint8_t *xq,
             size_t ldq, float *y, size_t ldy, const int NT)
{
    __m256 acc[Q8_STREAM_T];
#if Q8_VNNI
    const __m256i off = _mm256_set1_epi8((char)0x80);
#else
    const __m256i ones = _mm256_set1_epi16(1);
#endif
    LF_UNROLL(4)
    for (int t = 0; t < NT; t++)
        acc[t] = _mm256_setzero_ps();
    int64_t ng = (nb + 7) / 8;
    for (int64_t g = 0; g < ng; g++) {
        int nv = nb - g * 8 < 8 ? (int)(nb - g * 8) : 8;
        {
            const uint8_t *blk = row + (size_t)g * 8 * LF_Q8_0_BYTES;
            __m256i w[8];
            __m256 dw;
            if (nv == 8) {
                for (int l = 0; l < 8 * LF_Q8_0_BYTES; l += 64)
                    __builtin_prefetch(blk + Q8_PF + l, 0, 0);
                LF_UNROLL(8)
                for (int j = 0; j < 8; j++)
                    w[j] = _mm256_loadu_si256((const __m256i *)(const void *)(blk + j * LF_Q8_0_BYTES + 2));
                dw = Q8FN(scales8)(blk);
            } else { /* the last, partial group: zero blocks, zero scales */
                uint16_t h[8] = {0};
                for (int j = 0; j < 8; j++) {
                    w[j] = _mm256_setzero_si256();
                    if (j < nv) {
                        w[j] = _mm256_loadu_si256((const __m256i *)(const void *)(blk + j * LF_Q8_0_BYTES + 2));
                        memcpy(&h[j], blk + j * LF_Q8_0_BYTES, 2);
                    }
                }
                dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)h));
            }
#if Q8_VNNI
            LF_UNROLL(8)
            for (int j = 0; j < 8; j++)
                w[j] = _mm256_xor_si256(w[j], off);
#endif
            LF_UNROLL(4)
            for (int t = 0; t < NT; t++) {
                const int8_t *xt = xp + (size_t)t * xps + (size_t)g * 256;
                const uint8_t *xg = xq + (size_t)t * ldq + (size_t)g * LF_Q8X_GROUP_BYTES;
                __m256i v[8];
                LF_UNROLL(8)
                for (int j = 0; j < 8; j++) {
                    __m256i xj = _mm256_load_si256((const __m256i *)(const void *)(xt + j * 32));
#if Q8_VNNI
                    v[j] = _mm256_dpbusd_epi32(_mm256_setzero_si256(), w[j], xj);
#else
                    v[j] = _mm256_madd_epi16(
                        _mm256_maddubs_epi16(_mm256_abs_epi8(w[j]), _mm256_sign_epi8(xj, w[j])), ones);
#endif
                }
                __m256i sv = Q8FN(fold8)(v);
#if Q8_VNNI
                sv = _mm256_add_epi32(sv, _mm256_loadu_si256((const __m256i *)(const void *)(xg + 288)));
#endif
                __m256 dx = _mm256_loadu_ps((const float *)(const void *)(xg + 256));
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sv), _mm256_mul_ps(dw, dx), acc[t]);
            }
        }
    }
    for (int t = 0; t < NT; t++)
        y[(size_t)t * ldy] = Q8FN(hsum)(acc[t]);
}

static void __attribute__((noinline))
Q8FN(matmul_stream)(const lf_wmat *w, const uint8_t *xq, size_t ldq, float *y, size_t ldy, int T,
                    int64_t r0, int64_t r1)
{
    _Alignas(64) int8_t xp[Q8_STREAM_T * Q8_STREAM_N];
    int64_t nb = w->n_in / LF_Q8_0_BLOCK, ng = (nb + 7) / 8;
    size_t xps = (size_t)ng * 256, rb = w->row_bytes;
    for (int t = 0; t < T; t++)
        for (int64_t g = 0; g < ng; g++) {
            const uint8_t *src = xq + (size_t)t * ldq + (size_t)g * LF_Q8X_GROUP_BYTES;
            __m256i v[8];
            for (int k = 0; k < 8; k++)
                v[k] = _mm256_loadu_si256((const __m256i *)(const void *)(src + k * 32));
            Q8FN(tr8)(v); /* its own inverse: back to whole blocks */
            for (int j = 0; j < 8; j++)
                _mm256_store_si256((__m256i *)(void *)(xp + (size_t)t * xps + (size_t)g * 256 + j * 32), v[j]);
        }
    const uint8_t *base = w->data;
#define Q8_STREAM_ROWS(NT_)                                                                   \
    for (int64_t o = r0; o < r1; o++)                                                        \
        Q8FN(stream)(base + (size_t)o * rb, nb, xp, xps, xq, ldq, y + o, ldy, NT_)
    if (T == 1)
        Q8_STREAM_ROWS(1);
    else if (T == 2)
        Q8_STREAM_ROWS(2);
    else
        Q8_STREAM_ROWS(3);
#undef Q8_STREAM_ROWS
}

/* lf_kern.matmul_q8 */
static void Q8FN(matmul_q8)(const lf_wmat *w, const uint8_t *xq, size_t ldq, float *y, size_t ldy,
                            int T, int64_t r0, int64_t r1)
{
    if (T <= Q8_STREAM_T && w->n_in <= Q8_STREAM_N) {
        Q8FN(matmul_stream)(w, xq, ldq, y, ldy, T, r0, r1);
        return;
    }
    _Alignas(64) uint8_t sc[Q8_KG * Q8_NR * Q8_SLOT];
    _Alignas(64) __m256 fs[Q8_TCH_MULTI * Q8_NR];
    const uint8_t *base = w->data;
    size_t rb = w->row_bytes;
    int64_t nb = w->n_in / LF_Q8_0_BLOCK, kcb = (int64_t)Q8_KG * 8;
    bool multi = nb > kcb;
    int tch = multi ? Q8_TCH_MULTI : (int)(Q8_XCHUNK / (ldq ? ldq : 1));
    tch -= tch % Q8_NT;
    if (tch < Q8_NT)
        tch = Q8_NT;
    bool pf = T < 4;
#define Q8_FS(t) (multi ? fs + ((t) - t0) * Q8_NR : fs)
    for (int t0 = 0; t0 < T; t0 += tch) {
        int t1 = t0 + tch < T ? t0 + tch : T;
        for (int64_t o = r0; o < r1; o += Q8_NR) {
            int nr = r1 - o < Q8_NR ? (int)(r1 - o) : Q8_NR;
            for (int64_t b0 = 0; b0 < nb; b0 += kcb) {
                int64_t nbc = nb - b0 < kcb ? nb - b0 : kcb, ngc = (nbc + 7) / 8;
                bool first = b0 == 0, last = b0 + nbc == nb;
                Q8FN(repack)(base + (size_t)o * rb, rb, nr, b0, nbc, sc, pf);
                const uint8_t *xg = xq + (size_t)(b0 / 8) * LF_Q8X_GROUP_BYTES;
                int t = t0;
                for (; t + Q8_NT <= t1; t += Q8_NT)
                    Q8FN(tile)(sc, ngc, xg + (size_t)t * ldq, ldq, first, last, Q8_FS(t),
                               y + (size_t)t * ldy + o, ldy, nr, Q8_NT);
                for (; t + 2 <= t1; t += 2) /* the rest: pairs, then one */
                    Q8FN(tile)(sc, ngc, xg + (size_t)t * ldq, ldq, first, last, Q8_FS(t),
                               y + (size_t)t * ldy + o, ldy, nr, 2);
                if (t < t1)
                    Q8FN(tile)(sc, ngc, xg + (size_t)t * ldq, ldq, first, last, Q8_FS(t),
                               y + (size_t)t * ldy + o, ldy, nr, 1);
            }
        }
    }
}

/* The table's matmul: Q8_0 weights through these integer kernels, every
 * other type through the float kernels of kernels_simd.h (KFN). */
static void Q8FN(matmul)(const lf_wmat *w, const float *x, size_t ldx, float *y, size_t ldy, int T,
                         int64_t r0, int64_t r1)
{
    if (w->type == LF_GGML_Q8_0)
        lf_kern_q8_matmul_f32(Q8FN(quantize), Q8FN(matmul_q8), w, x, ldx, y, ldy, T, r0, r1);
    else
        KFN(matmul_float)(w, x, ldx, y, ldy, T, r0, r1);
}

#undef Q8_FS
#undef Q8_STREAM_T
#undef Q8_STREAM_N
#undef Q8_PF
#undef Q8_SLOT
#undef Q8_KG
#undef Q8_TCH_MULTI
#undef Q8_XCHUNK
