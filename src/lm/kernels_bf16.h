/* kernels_bf16.h: the bf16-activation matmul (lf_kern.matmul_bf16 and
 * round_bf16, kernels.h) written once over a small vocabulary of 16-lane
 * pair-dot vectors; kernels_avx2.c and kernels_avx512.c define it and
 * include this file, after kernels_simd.h (whose V vocabulary they share):
 *
 *   BV                 16 fp32 accumulator lanes (one zmm, or two ymm)
 *   BX                 32 bf16 values, as BV_DOT wants them
 *   BV_ZERO()          +0 in every lane
 *   BX_LOAD(p)         32 bf16 at p (uint16_t *)
 *   BV_DOT(acc, w, x)  vdpbf16ps: lane j += w[2j+1] x[2j+1], then += w[2j] x[2j]
 *   BV_REDUCE(acc)     the lanes' sum by the tree of kernels.h (8, 4, 2, 1)
 *   BV_REDUCE_N(v, out)  out[i] = BV_REDUCE(v[i]) for the BF_NRED vectors v[i]
 *   BF_TR x BF_TT      the batched tile (rows x tokens), BF_TR1 rows for one
 *                      token; BFN(name) names the instances.
 *
 * All of it runs under MXCSR FTZ|DAZ (BFN(matmul_bf16) sets and restores
 * it around a call, so the compiler cannot move a float operation across
 * the switch): that is the flushing kernels.h specifies, both for the
 * emulating FMAs and for the reduction. Every output is one fixed chain
 * of operations, whatever the tile, batch, row range or thread, so the
 * bits equal the reference's (tests/unit/lm/test_kernels.c). */

#ifndef BFN
#error "include from kernels_avx2.c or kernels_avx512.c"
#endif

#define LF_MXCSR_FTZ_DAZ 0x8040u

/* 32 weights at p where only m < 32 remain (the row's last, partial step). */
static inline __attribute__((always_inline)) BX BFN(load_part)(const uint16_t *p, int64_t m)
{
    _Alignas(64) uint16_t tmp[32] = {0};
    memcpy(tmp, p, (size_t)m * sizeof *p);
    return BX_LOAD(tmp);
}

/* NR rows (rows, stride rb bytes) x NT tokens (x, stride ldx elements) ->
 * y; pf: prefetch the rows two blocks ahead (one token: the next rows). */
static inline __attribute__((always_inline)) void
BFN(tile)(int64_t n, const uint8_t *rows, size_t rb, const uint16_t *x, size_t ldx, float *y,
          size_t ldy, const int NR, const int NT, const bool pf)
{
    enum { MR = BF_TR1 > BF_TR ? BF_TR1 : BF_TR };
    BV acc[MR][BF_TT];
    LF_UNROLL(8)
    for (int r = 0; r < NR; r++)
        LF_UNROLL(8)
        for (int t = 0; t < NT; t++)
            acc[r][t] = BV_ZERO();
    int64_t nf = n - n % 32;
    for (int64_t i = 0; i < nf; i += 32) { /* 64 bytes of each row a step */
        BX xv[BF_TT];
        LF_UNROLL(8)
        for (int t = 0; t < NT; t++)
            xv[t] = BX_LOAD(x + (size_t)t * ldx + i);
        LF_UNROLL(8)
        for (int r = 0; r < NR; r++) {
            if (NT == 1)
                __builtin_prefetch(rows + (size_t)(r + NR) * rb + (size_t)i * 2, 0, 0);
            else if (pf)
                __builtin_prefetch(rows + (size_t)(r + 2 * NR) * rb + (size_t)i * 2, 0, 3);
            BX wv = BX_LOAD((const uint16_t *)(const void *)(rows + (size_t)r * rb) + i);
            LF_UNROLL(8)
            for (int t = 0; t < NT; t++)
                acc[r][t] = BV_DOT(acc[r][t], wv, xv[t]);
        }
    }
    if (nf < n) { /* x rows are zero-padded; the weights are not */
        LF_UNROLL(8)
        for (int r = 0; r < NR; r++) {
            BX wv = BFN(load_part)((const uint16_t *)(const void *)(rows + (size_t)r * rb) + nf,
                                   n - nf);
            LF_UNROLL(8)
            for (int t = 0; t < NT; t++)
                acc[r][t] = BV_DOT(acc[r][t], wv, BX_LOAD(x + (size_t)t * ldx + nf));
        }
    }
    if (NR * NT < BF_NRED / 2) { /* few sums: each on its own */
        LF_UNROLL(8)
        for (int r = 0; r < NR; r++)
            LF_UNROLL(8)
            for (int t = 0; t < NT; t++)
                y[(size_t)t * ldy + (size_t)r] = BV_REDUCE(acc[r][t]);
        return;
    }
    enum { NA = MR * BF_TT };
    float red[(NA + BF_NRED - 1) / BF_NRED * BF_NRED];
    LF_UNROLL(4)
    for (int a0 = 0; a0 < NR * NT; a0 += BF_NRED) {
        BV part[BF_NRED];
        LF_UNROLL(16)
        for (int j = 0; j < BF_NRED; j++) /* token-major: a token's rows are adjacent */
            part[j] = a0 + j < NR * NT ? acc[(a0 + j) % NR][(a0 + j) / NR] : BV_ZERO();
        BV_REDUCE_N(part, red + a0);
    }
    LF_UNROLL(8)
    for (int t = 0; t < NT; t++)
        memcpy(y + (size_t)t * ldy, red + t * NR, (size_t)NR * sizeof(float));
}

/* Tokens [t0, t1) against NR rows: BF_TT at a time, the rest in one
 * narrower tile; the first tile prefetches the next rows when pf. */
static inline __attribute__((always_inline)) void
BFN(rowblock)(int64_t n, const uint8_t *rows, size_t rb, const uint16_t *x, size_t ldx, float *y,
              size_t ldy, int t0, int t1, const int NR, bool pf)
{
    int t = t0;
    if (pf && t + BF_TT <= t1) {
        BFN(tile)(n, rows, rb, x + (size_t)t * ldx, ldx, y + (size_t)t * ldy, ldy, NR, BF_TT, true);
        t += BF_TT;
        pf = false;
    }
    for (; t + BF_TT <= t1; t += BF_TT)
        BFN(tile)(n, rows, rb, x + (size_t)t * ldx, ldx, y + (size_t)t * ldy, ldy, NR, BF_TT,
                  false);
    const uint16_t *xt = x + (size_t)t * ldx;
    float *yt = y + (size_t)t * ldy;
#define REST_TILE(NT, PF) BFN(tile)(n, rows, rb, xt, ldx, yt, ldy, NR, NT, PF)
    LF_TILE_REST(t1 - t, BF_TT, pf, REST_TILE);
#undef REST_TILE
}

/* The product itself; runs under FTZ|DAZ (BFN(matmul_bf16)). Loop order as
 * kernels_simd.h's: token chunks that stay in L2, then BF_TR-row blocks
 * whose weights stay in L1 while the chunk's tokens stream past. */
static void __attribute__((noinline))
BFN(matmul_run)(const lf_wmat *w, const uint16_t *x, size_t ldx, float *y, size_t ldy, int T,
                int64_t r0, int64_t r1)
{
    _Static_assert(BF_TT <= 4, "rowblock handles remainders of up to 3 tokens");
    const uint8_t *base = w->data;
    size_t rb = w->row_bytes;
    int64_t n = w->n_in;
    if (T == 1) {
        int64_t o = r0;
        for (; o + BF_TR1 <= r1; o += BF_TR1)
            BFN(tile)(n, base + (size_t)o * rb, rb, x, ldx, y + o, ldy, BF_TR1, 1, false);
        for (; o < r1; o++)
            BFN(tile)(n, base + (size_t)o * rb, rb, x, ldx, y + o, ldy, 1, 1, false);
        return;
    }
    int tc = (int)((256 * 1024) / ((size_t)(ldx ? ldx : 1) * sizeof(uint16_t)));
    tc -= tc % BF_TT;
    if (tc < BF_TT)
        tc = BF_TT;
    for (int t0 = 0; t0 < T; t0 += tc) {
        int t1 = t0 + tc < T ? t0 + tc : T;
        int64_t o = r0;
        for (; o + BF_TR <= r1; o += BF_TR)
            BFN(rowblock)(n, base + (size_t)o * rb, rb, x, ldx, y + o, ldy, t0, t1, BF_TR, true);
        for (; o < r1; o++)
            BFN(rowblock)(n, base + (size_t)o * rb, rb, x, ldx, y + o, ldy, t0, t1, 1, false);
    }
}

/* lf_kern.matmul_bf16 */
static void BFN(matmul_bf16)(const lf_wmat *w, const uint16_t *xb, size_t ldxb, float *y,
                             size_t ldy, int T, int64_t r0, int64_t r1)
{
    unsigned csr = _mm_getcsr();
    _mm_setcsr(csr | LF_MXCSR_FTZ_DAZ);
    BFN(matmul_run)(w, xb, ldxb, y, ldy, T, r0, r1);
    _mm_setcsr(csr);
}

#undef LF_MXCSR_FTZ_DAZ
