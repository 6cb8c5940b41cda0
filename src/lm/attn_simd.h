/* attn_simd.h: the batched attention of attn.h written once over a small
 * vector vocabulary; attn_avx2.c and attn_avx512.c define it (V, VL, AFN,
 * V_* macros, the register budget SC_NB1..SC_NB4 and MQ) and include this
 * file. The vocabulary is the one kernels_simd.h uses, and every chain
 * below is the chain of that file's attn_scores / attn_mix:
 *
 * scores: per query and K block of LF_KBLK positions, acc = 0, then
 *   acc = fma(q[d], K[block][d], acc) for d = 0..hd-1, then acc * scale.
 *   A tile runs NQ queries x NB blocks of such chains side by side (one
 *   load of each K vector serves NQ queries; NQ*NB independent chains hide
 *   the FMA latency that a lone chain waits on).
 * mix: per query and output vector, acc = 0, then acc = fma(w[p], V[p], acc)
 *   for p = 0..np-1; a tile runs up to MQ queries x 4 vectors, so each V row
 *   is loaded once per tile; the scalar tail (hv % VL) is the same
 *   expression as attn_mix's. */

#ifndef AFN
#error "include from attn_avx2.c or attn_avx512.c"
#endif

enum { NVB = LF_KBLK / VL }; /* vectors per K block row */

/* NQ queries x NB blocks from block b0: s[qi][b * LF_KBLK ...] for the
 * blocks' every lane (lanes past a query's np are scratch). */
static inline __attribute__((always_inline)) void
AFN(sc_tile)(const void *kc, bool f16, int hd, const lf_attn_q *qs, float *s, size_t lds, int b0,
             float scale, const int NQ, const int NB)
{
    V acc[4][8][NVB];
    const float *qp[4];
LF_UNROLL(4)
    for (int i = 0; i < NQ; i++) {
        qp[i] = qs[i].q;
LF_UNROLL(8)
        for (int b = 0; b < NB; b++)
LF_UNROLL(2)
            for (int j = 0; j < NVB; j++)
                acc[i][b][j] = V_ZERO();
    }
    size_t bs = (size_t)hd * LF_KBLK; /* elements per block */
    /* The same chains over an f16 or an f32 cache: only the load differs. */
#define SC_TILE_CHAINS(KB, LOAD)                                                            \
    for (int d = 0; d < hd; d++) {                                                          \
        V kv[8][NVB];                                                                       \
        LF_UNROLL(8) for (int b = 0; b < NB; b++)                                           \
            LF_UNROLL(2) for (int j = 0; j < NVB; j++)                                      \
                kv[b][j] = LOAD((KB) + (size_t)b * bs + (size_t)d * LF_KBLK + j * VL);     \
        LF_UNROLL(4) for (int i = 0; i < NQ; i++) {                                         \
            V qd = V_SET1(qp[i][d]);                                                        \
            LF_UNROLL(8) for (int b = 0; b < NB; b++)                                       \
                LF_UNROLL(2) for (int j = 0; j < NVB; j++)                                  \
                    acc[i][b][j] = V_FMA(qd, kv[b][j], acc[i][b][j]);                       \
        }                                                                                   \
    }
    if (f16) {
        const uint16_t *kb = (const uint16_t *)kc + (size_t)b0 * bs;
        SC_TILE_CHAINS(kb, V_LOAD_F16)
    } else {
        const float *kb = (const float *)kc + (size_t)b0 * bs;
        SC_TILE_CHAINS(kb, V_LOAD)
    }
#undef SC_TILE_CHAINS
    V sc = V_SET1(scale);
LF_UNROLL(4)
    for (int i = 0; i < NQ; i++)
LF_UNROLL(8)
        for (int b = 0; b < NB; b++)
LF_UNROLL(2)
            for (int j = 0; j < NVB; j++)
                V_STORE(s + (size_t)i * lds + (size_t)(b0 + b) * LF_KBLK + j * VL,
                        V_MUL(acc[i][b][j], sc));
}

/* The scores of NQ queries over blocks [b0, b1), NB blocks at a time. */
static inline __attribute__((always_inline)) void
AFN(sc_rows)(const void *kc, bool f16, int hd, const lf_attn_q *qs, float *s, size_t lds, int b0,
             int b1, float scale, const int NQ, const int NB)
{
    int b = b0;
    for (; b + NB <= b1; b += NB)
        AFN(sc_tile)(kc, f16, hd, qs, s, lds, b, scale, NQ, NB);
    for (; b < b1; b++)
        AFN(sc_tile)(kc, f16, hd, qs, s, lds, b, scale, NQ, 1);
}

/* NQ queries x NV vectors of the output from column c. Positions below
 * every query's np run unconditionally; the few above (the causal tail of
 * a batch) only for the queries that attend them. */
static inline __attribute__((always_inline)) void
AFN(mix_tile)(const void *vc, bool f16, int hv, const lf_attn_q *qs, const float *s, size_t lds,
              int c, const int NQ, const int NV)
{
    V acc[MQ][4];
    int pmin = qs[0].np, pmax = qs[0].np;
LF_UNROLL(4)
    for (int i = 0; i < NQ; i++) {
        pmin = qs[i].np < pmin ? qs[i].np : pmin;
        pmax = qs[i].np > pmax ? qs[i].np : pmax;
LF_UNROLL(4)
        for (int j = 0; j < NV; j++)
            acc[i][j] = V_ZERO();
    }
    for (int p = 0; p < pmax; p++) {
        size_t at = (size_t)p * hv + (size_t)c;
        V vv[4];
LF_UNROLL(4)
        for (int j = 0; j < NV; j++)
            vv[j] = f16 ? V_LOAD_F16((const uint16_t *)vc + at + j * VL)
                        : V_LOAD((const float *)vc + at + j * VL);
        if (p < pmin) {
LF_UNROLL(4)
            for (int i = 0; i < NQ; i++) {
                V wp = V_SET1(s[(size_t)i * lds + (size_t)p]);
LF_UNROLL(4)
                for (int j = 0; j < NV; j++)
                    acc[i][j] = V_FMA(wp, vv[j], acc[i][j]);
            }
        } else {
            for (int i = 0; i < NQ; i++) {
                if (p >= qs[i].np)
                    continue;
                V wp = V_SET1(s[(size_t)i * lds + (size_t)p]);
                for (int j = 0; j < NV; j++)
                    acc[i][j] = V_FMA(wp, vv[j], acc[i][j]);
            }
        }
    }
LF_UNROLL(4)
    for (int i = 0; i < NQ; i++)
LF_UNROLL(4)
        for (int j = 0; j < NV; j++)
            V_STORE(qs[i].out + c + j * VL, acc[i][j]);
}

static inline __attribute__((always_inline)) void
AFN(mix_cols)(const void *vc, bool f16, int hv, const lf_attn_q *qs, const float *s, size_t lds,
              const int NQ)
{
    int hvv = hv - hv % VL;
    for (int c = 0; c < hvv; c += 4 * VL) {
        switch ((hvv - c) / VL < 4 ? (hvv - c) / VL : 4) {
        case 4:
            AFN(mix_tile)(vc, f16, hv, qs, s, lds, c, NQ, 4);
            break;
        case 3:
            AFN(mix_tile)(vc, f16, hv, qs, s, lds, c, NQ, 3);
            break;
        case 2:
            AFN(mix_tile)(vc, f16, hv, qs, s, lds, c, NQ, 2);
            break;
        default:
            AFN(mix_tile)(vc, f16, hv, qs, s, lds, c, NQ, 1);
            break;
        }
    }
}

static void AFN(attn)(const lf_kern *k, const void *kc, const void *vc, bool f16, int hd, int hv,
                      float scale, const lf_attn_q *qs, int nq, float *s, size_t lds)
{
    /* scores: K blocks in groups of SC_GRP, each group run past every
     * 4-query chunk while it sits in L1 */
    int nblk[LF_ATTN_MAXQ / 4 + 1], most = 0;
    for (int i0 = 0, c = 0; i0 < nq; i0 += 4, c++) {
        int maxnp = 0;
        for (int i = i0; i < i0 + 4 && i < nq; i++)
            maxnp = qs[i].np > maxnp ? qs[i].np : maxnp;
        nblk[c] = (maxnp + LF_KBLK - 1) / LF_KBLK;
        most = nblk[c] > most ? nblk[c] : most;
    }
    for (int b0 = 0; b0 < most; b0 += SC_GRP)
        for (int i0 = 0, c = 0; i0 < nq; i0 += 4, c++) {
            int n = nq - i0 < 4 ? nq - i0 : 4;
            int b1 = b0 + SC_GRP < nblk[c] ? b0 + SC_GRP : nblk[c];
            if (b1 <= b0)
                continue;
            float *si = s + (size_t)i0 * lds;
            switch (n) {
            case 4:
                AFN(sc_rows)(kc, f16, hd, qs + i0, si, lds, b0, b1, scale, 4, SC_NB4);
                break;
            case 3:
                AFN(sc_rows)(kc, f16, hd, qs + i0, si, lds, b0, b1, scale, 3, SC_NB3);
                break;
            case 2:
                AFN(sc_rows)(kc, f16, hd, qs + i0, si, lds, b0, b1, scale, 2, SC_NB2);
                break;
            default:
                AFN(sc_rows)(kc, f16, hd, qs + i0, si, lds, b0, b1, scale, 1, SC_NB1);
                break;
            }
        }
    for (int i = 0; i < nq; i++)
        k->softmax(s + (size_t)i * lds, qs[i].np);
    for (int i0 = 0; i0 < nq; i0 += MQ) {
        int n = nq - i0 < MQ ? nq - i0 : MQ;
        const float *si = s + (size_t)i0 * lds;
        switch (n) {
#if MQ >= 4
        case 4:
            AFN(mix_cols)(vc, f16, hv, qs + i0, si, lds, 4);
            break;
        case 3:
            AFN(mix_cols)(vc, f16, hv, qs + i0, si, lds, 3);
            break;
#endif
        case 2:
            AFN(mix_cols)(vc, f16, hv, qs + i0, si, lds, 2);
            break;
        default:
            AFN(mix_cols)(vc, f16, hv, qs + i0, si, lds, 1);
            break;
        }
    }
    /* the columns past the last whole vector: attn_mix's scalar tail */
    for (int i = 0; i < nq; i++) {
        const float *w = s + (size_t)i * lds;
        for (int j = hv - hv % VL; j < hv; j++) {
            float acc = 0.0f;
            for (int p = 0; p < qs[i].np; p++) {
                size_t at = (size_t)p * hv + (size_t)j;
                acc += w[p] * (f16 ? lf_f16_to_f32(((const uint16_t *)vc)[at])
                                   : ((const float *)vc)[at]);
            }
            qs[i].out[j] = acc;
        }
    }
}
