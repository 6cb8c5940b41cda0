/* kernels_simd.h: the SIMD kernels written once over a small vector
 * vocabulary; kernels_avx2.c and kernels_avx512.c define that vocabulary
 * (V, VL, V_* macros, the tile shape TR x TT and KFN) and include this file.
 *
 * matmul_float (F32/F16/BF16 weights; Q8_0 takes the integer path of
 * kernels_q8.h): every output element y[t][o] is one vector accumulator
 * chain over the row in steps of VL (fma(w, x, acc)), reduced by V_REDUCE
 * (or V_REDUCE_VL, the same additions for VL chains at once),
 * plus a scalar tail; the tile shape only decides which chains run side by
 * side, so a result never depends on batch size, row range or thread
 * (kernels.h). Loop order: token chunks that stay in L2, then TR-row blocks
 * whose weights stay in L1 while TT tokens at a time stream past them. */

#ifndef KFN
#error "include from kernels_avx2.c or kernels_avx512.c"
#endif

#include <math.h>



/* Loads VL weights of row type TYPE at element i as fp32. */
static inline __attribute__((always_inline)) V KFN(wload)(lf_ggml_type type, const uint8_t *row,
                                                         int64_t i)
{
    switch (type) {
    case LF_GGML_F16:
        return V_LOAD_F16((const uint16_t *)row + i);
    case LF_GGML_BF16:
        return V_LOAD_BF16((const uint16_t *)row + i);
    default:
        return V_LOAD((const float *)row + i);
    }
}

static float KFN(wscalar)(lf_ggml_type type, const uint8_t *row, int64_t i)
{
    switch (type) {
    case LF_GGML_F16:
        return lf_f16_to_f32(((const uint16_t *)row)[i]);
    case LF_GGML_BF16:
        return lf_bf16_to_f32(((const uint16_t *)row)[i]);
    default:
        return ((const float *)row)[i];
    }
}

/* NR rows (starting at rows, stride rb) x NT tokens (x stride ldx) -> y;
 * with pf (or one token), the next NR rows are prefetched. */
static inline __attribute__((always_inline)) void
KFN(tile)(lf_ggml_type type, int64_t n, const uint8_t *rows, size_t rb, const float *x,
          size_t ldx, float *y, size_t ldy, const int NR, const int NT, const bool pf)
{
    V acc[TR1 > TR ? TR1 : TR][TT];
    LF_UNROLL(8)
    for (int r = 0; r < NR; r++)
        LF_UNROLL(8)
        for (int t = 0; t < NT; t++)
            acc[r][t] = V_ZERO();
    int64_t nv = n - n % VL;
    const int64_t es = type == LF_GGML_F32 ? 4 : 2; /* bytes per weight */
    for (int64_t i = 0; i < nv; i += VL) {
        V xv[TT];
        LF_UNROLL(8)
        for (int t = 0; t < NT; t++)
            xv[t] = V_LOAD(x + (size_t)t * ldx + i);
        LF_UNROLL(8)
        for (int r = 0; r < NR; r++) {
            /* fetch rows early, a cache line at a time: one token is
             * memory-bound (the next NR rows); a batch fetches the rows two
             * blocks ahead during the first token tile of a row block (the
             * weights come from L3; the tiles after it hide the wait) */
            if (NT == 1 && (i * es) % 64 == 0)
                __builtin_prefetch(rows + (size_t)(r + NR) * rb + (size_t)i * es, 0, 0);
            else if (pf) /* each step: no branch in the loop (half are repeats) */
                __builtin_prefetch(rows + (size_t)(r + 2 * NR) * rb + (size_t)i * es, 0, 3);
            V wv = KFN(wload)(type, rows + (size_t)r * rb, i);
            LF_UNROLL(8)
            for (int t = 0; t < NT; t++)
                acc[r][t] = V_FMA(wv, xv[t], acc[r][t]);
        }
    }
    if (NR * NT < VL / 2) { /* one token: each sum on its own */
        for (int r = 0; r < NR; r++)
            for (int t = 0; t < NT; t++) {
                float s = V_REDUCE(acc[r][t]);
                const float *xt = x + (size_t)t * ldx;
                for (int64_t i = nv; i < n; i++)
                    s += KFN(wscalar)(type, rows + (size_t)r * rb, i) * xt[i];
                y[(size_t)t * ldy + (size_t)r] = s;
            }
        return;
    }
    /* the NR x NT sums, VL at a time (V_REDUCE_VL gives V_REDUCE's bits) */
    enum { NA = (TR1 > TR ? TR1 : TR) * TT };
    float red[(NA + VL - 1) / VL * VL];
    LF_UNROLL(4)
    for (int a0 = 0; a0 < NR * NT; a0 += VL) {
        V part[VL];
        LF_UNROLL(16)
        for (int j = 0; j < VL; j++)
            part[j] = a0 + j < NR * NT ? acc[(a0 + j) / NT][(a0 + j) % NT] : V_ZERO();
        V_REDUCE_VL(part, red + a0);
    }
    for (int r = 0; r < NR; r++)
        for (int t = 0; t < NT; t++) {
            float s = red[r * NT + t];
            const float *xt = x + (size_t)t * ldx;
            for (int64_t i = nv; i < n; i++)
                s += KFN(wscalar)(type, rows + (size_t)r * rb, i) * xt[i];
            y[(size_t)t * ldy + (size_t)r] = s;
        }
}

/* Tokens [t0, t1) against NR rows: TT tokens at a time, the rest in one
 * narrower tile; the first tile prefetches the next rows when pf. */
static inline __attribute__((always_inline)) void
KFN(rowblock)(lf_ggml_type type, int64_t n, const uint8_t *rows, size_t rb, const float *x,
              size_t ldx, float *y, size_t ldy, int t0, int t1, const int NR, bool pf)
{
    int t = t0;
    if (pf && t + TT <= t1) { /* pf as a constant: no test in the tile's loop */
        KFN(tile)(type, n, rows, rb, x + (size_t)t * ldx, ldx, y + (size_t)t * ldy, ldy, NR, TT,
                  true);
        t += TT;
        pf = false;
    }
    for (; t + TT <= t1; t += TT)
        KFN(tile)(type, n, rows, rb, x + (size_t)t * ldx, ldx, y + (size_t)t * ldy, ldy, NR, TT,
                  false);
    const float *xt = x + (size_t)t * ldx;
    float *yt = y + (size_t)t * ldy;
#define REST_TILE(NT, PF) KFN(tile)(type, n, rows, rb, xt, ldx, yt, ldy, NR, NT, PF)
    LF_TILE_REST(t1 - t, TT, pf, REST_TILE);
#undef REST_TILE
}

static inline __attribute__((always_inline)) void
KFN(matmul_t)(const lf_wmat *w, lf_ggml_type type, const float *x, size_t ldx, float *y,
              size_t ldy, int T, int64_t r0, int64_t r1)
{
    _Static_assert(TT <= 4, "rowblock handles remainders of up to 3 tokens");
    const uint8_t *base = w->data;
    size_t rb = w->row_bytes;
    int64_t n = w->n_in;
    int tc = (int)((256 * 1024) / ((size_t)n * sizeof(float)));
    tc -= tc % TT;
    if (tc < TT)
        tc = TT;
    if (T == 1) { /* decode: taller blocks, more rows in flight */
        int64_t o = r0;
        for (; o + TR1 <= r1; o += TR1)
            KFN(tile)(type, n, base + (size_t)o * rb, rb, x, ldx, y + o, ldy, TR1, 1, false);
        for (; o < r1; o++)
            KFN(tile)(type, n, base + (size_t)o * rb, rb, x, ldx, y + o, ldy, 1, 1, false);
        return;
    }
    for (int t0 = 0; t0 < T; t0 += tc) {
        int t1 = t0 + tc < T ? t0 + tc : T;
        int64_t o = r0;
        for (; o + TR <= r1; o += TR)
            KFN(rowblock)(type, n, base + (size_t)o * rb, rb, x, ldx, y + o, ldy, t0, t1, TR, true);
        for (; o < r1; o++)
            KFN(rowblock)(type, n, base + (size_t)o * rb, rb, x, ldx, y + o, ldy, t0, t1, 1, false);
    }
}

/* F32, F16, BF16 weights (the table's matmul sends Q8_0 to kernels_q8.h). */
static void KFN(matmul_float)(const lf_wmat *w, const float *x, size_t ldx, float *y, size_t ldy,
                              int T, int64_t r0, int64_t r1)
{
    switch (w->type) {
    case LF_GGML_F16:
        KFN(matmul_t)(w, LF_GGML_F16, x, ldx, y, ldy, T, r0, r1);
        break;
    case LF_GGML_BF16:
        KFN(matmul_t)(w, LF_GGML_BF16, x, ldx, y, ldy, T, r0, r1);
        break;
    default:
        KFN(matmul_t)(w, LF_GGML_F32, x, ldx, y, ldy, T, r0, r1);
        break;
    }
}

static float KFN(dot_f32)(const float *a, const float *b, int n)
{
    V acc = V_ZERO();
    int nv = n - n % VL;
    for (int i = 0; i < nv; i += VL)
        acc = V_FMA(V_LOAD(a + i), V_LOAD(b + i), acc);
    float s = V_REDUCE(acc);
    for (int i = nv; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static float KFN(dot_f16)(const uint16_t *a, const float *b, int n)
{
    V acc = V_ZERO();
    int nv = n - n % VL;
    for (int i = 0; i < nv; i += VL)
        acc = V_FMA(V_LOAD_F16(a + i), V_LOAD(b + i), acc);
    float s = V_REDUCE(acc);
    for (int i = nv; i < n; i++)
        s += lf_f16_to_f32(a[i]) * b[i];
    return s;
}

static void KFN(axpy_f32)(float *y, float s, const float *x, int n)
{
    V sv = V_SET1(s);
    int nv = n - n % VL;
    for (int i = 0; i < nv; i += VL)
        V_STORE(y + i, V_FMA(sv, V_LOAD(x + i), V_LOAD(y + i)));
    for (int i = nv; i < n; i++)
        y[i] += s * x[i];
}

static void KFN(axpy_f16)(float *y, float s, const uint16_t *x, int n)
{
    V sv = V_SET1(s);
    int nv = n - n % VL;
    for (int i = 0; i < nv; i += VL)
        V_STORE(y + i, V_FMA(sv, V_LOAD_F16(x + i), V_LOAD(y + i)));
    for (int i = nv; i < n; i++)
        y[i] += s * lf_f16_to_f32(x[i]);
}

/* Each score is one scalar chain over d in a vector lane: K blocks hold 16
 * positions side by side, so q[d] is broadcast and no reduction is needed. */
static void KFN(attn_scores)(const void *k, bool kf16, const float *q, int hd, int n, float scale,
                             float *s)
{
    enum { NV = LF_KBLK / VL };
    V sc = V_SET1(scale);
    for (int p0 = 0; p0 < n; p0 += LF_KBLK) {
        size_t base = (size_t)(p0 / LF_KBLK) * hd * LF_KBLK;
        V acc[NV];
        for (int j = 0; j < NV; j++)
            acc[j] = V_ZERO();
        if (kf16) {
            const uint16_t *kb = (const uint16_t *)k + base;
            for (int d = 0; d < hd; d++) {
                V qd = V_SET1(q[d]);
                for (int j = 0; j < NV; j++)
                    acc[j] = V_FMA(qd, V_LOAD_F16(kb + (size_t)d * LF_KBLK + j * VL), acc[j]);
            }
        } else {
            const float *kb = (const float *)k + base;
            for (int d = 0; d < hd; d++) {
                V qd = V_SET1(q[d]);
                for (int j = 0; j < NV; j++)
                    acc[j] = V_FMA(qd, V_LOAD(kb + (size_t)d * LF_KBLK + j * VL), acc[j]);
            }
        }
        if (n - p0 >= LF_KBLK) {
            for (int j = 0; j < NV; j++)
                V_STORE(s + p0 + j * VL, V_MUL(acc[j], sc));
        } else {
            float tmp[LF_KBLK];
            for (int j = 0; j < NV; j++)
                V_STORE(tmp + j * VL, V_MUL(acc[j], sc));
            memcpy(s + p0, tmp, (size_t)(n - p0) * sizeof(float));
        }
    }
}

/* Each output element is one chain over p; up to 4 vectors of the output
 * stay in registers while the positions stream past. */
static void KFN(attn_mix)(const void *v, bool vf16, const float *w, int n, int hv, float *out)
{
    int hvv = hv - hv % VL;
    for (int c = 0; c < hvv; c += 4 * VL) {
        int nv = (hvv - c) / VL < 4 ? (hvv - c) / VL : 4;
        V acc[4] = {V_ZERO(), V_ZERO(), V_ZERO(), V_ZERO()};
        for (int p = 0; p < n; p++) {
            V wp = V_SET1(w[p]);
            size_t at = (size_t)p * hv + (size_t)c;
            for (int j = 0; j < nv; j++)
                acc[j] = V_FMA(wp, vf16 ? V_LOAD_F16((const uint16_t *)v + at + j * VL)
                                        : V_LOAD((const float *)v + at + j * VL), acc[j]);
        }
        for (int j = 0; j < nv; j++)
            V_STORE(out + c + j * VL, acc[j]);
    }
    for (int i = hvv; i < hv; i++) {
        float acc = 0.0f;
        for (int p = 0; p < n; p++) {
            size_t at = (size_t)p * hv + (size_t)i;
            acc += w[p] * (vf16 ? lf_f16_to_f32(((const uint16_t *)v)[at]) : ((const float *)v)[at]);
        }
        out[i] = acc;
    }
}

static void KFN(rmsnorm)(float *y, const float *x, const float *w, int n, float eps)
{
    float r = 1.0f / sqrtf(KFN(dot_f32)(x, x, n) / (float)n + eps);
    V rv = V_SET1(r);
    int nv = n - n % VL;
    for (int i = 0; i < nv; i += VL)
        V_STORE(y + i, V_MUL(V_MUL(V_LOAD(x + i), rv), V_LOAD(w + i)));
    for (int i = nv; i < n; i++)
        y[i] = x[i] * r * w[i];
}

/* exp(x) for x <= ~88 in a vector: 2^k * p(r), x = k ln2 + r, |r| <= ln2/2,
 * degree-6 polynomial (relative error ~2e-7); very negative x gives 0. */
static inline V KFN(vexp)(V x)
{
    x = V_MAX(x, V_SET1(-87.0f));
    x = V_MIN(x, V_SET1(88.0f));
    V k = V_ROUND(V_MUL(x, V_SET1(1.44269504088896341f)));
    V r = V_FMA(k, V_SET1(-0.693359375f), x);
    r = V_FMA(k, V_SET1(2.12194440e-4f), r);
    V p = V_SET1(1.0f / 720.0f);
    p = V_FMA(p, r, V_SET1(1.0f / 120.0f));
    p = V_FMA(p, r, V_SET1(1.0f / 24.0f));
    p = V_FMA(p, r, V_SET1(1.0f / 6.0f));
    p = V_FMA(p, r, V_SET1(0.5f));
    p = V_FMA(p, r, V_SET1(1.0f));
    p = V_FMA(p, r, V_SET1(1.0f));
    return V_SCALE2(p, k);
}

static void KFN(softmax)(float *x, int n)
{
    int nv = n - n % VL;
    float m = -INFINITY;
    if (nv) {
        V mv = V_LOAD(x);
        for (int i = VL; i < nv; i += VL)
            mv = V_MAX(mv, V_LOAD(x + i));
        m = V_REDUCE_MAX(mv);
    }
    for (int i = nv; i < n; i++)
        if (x[i] > m)
            m = x[i];
    V mv = V_SET1(m), sv = V_ZERO();
    for (int i = 0; i < nv; i += VL) {
        V e = KFN(vexp)(V_SUB(V_LOAD(x + i), mv));
        V_STORE(x + i, e);
        sv = V_ADD(sv, e);
    }
    float s = V_REDUCE(sv);
    for (int i = nv; i < n; i++) {
        x[i] = expf(x[i] - m);
        s += x[i];
    }
    V inv = V_SET1(1.0f / s);
    for (int i = 0; i < nv; i += VL)
        V_STORE(x + i, V_MUL(V_LOAD(x + i), inv));
    for (int i = nv; i < n; i++)
        x[i] *= 1.0f / s;
}

static void KFN(swiglu)(float *g, const float *u, int n)
{
    int nv = n - n % VL;
    V one = V_SET1(1.0f);
    for (int i = 0; i < nv; i += VL) {
        V gv = V_LOAD(g + i);
        V e = KFN(vexp)(V_SUB(V_ZERO(), gv));
        V_STORE(g + i, V_MUL(V_DIV(gv, V_ADD(one, e)), V_LOAD(u + i)));
    }
    for (int i = nv; i < n; i++)
        g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}
