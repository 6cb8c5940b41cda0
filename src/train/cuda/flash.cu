/* flash.cu: fused causal attention for the CUDA trainer, forward and
 * backward, in the manner of FlashAttention-2: scores and probabilities
 * live in shared memory a 64 x 64 tile at a time and never reach device
 * memory; the forward keeps a running max and sum per query row and saves
 * only the log-sum-exp, from which the backward recomputes the
 * probabilities. Matmuls use the tensor cores through WMMA (bf16 operands,
 * fp32 accumulation). The same function as the cuBLAS path in trainer.cu
 * (and the loops of ref.c): q, k, v, o token-major bf16 ([N][H*hd],
 * [N][KV*hd]); dq and the per-query-head dk, dv token-major fp32 [N][H*hd].
 *
 * Blocks: 128 threads (4 warps); a block owns 64 query rows (forward, dq)
 * or 64 key rows (dk, dv), a warp 16 of them. head_dim 16, 32, 64 or 128. */
#include <math.h>
#include <mma.h>

#include "train/cuda/kernels.cuh"

using namespace nvcuda;

#define BR 64            /* rows of a tile */
#define SLD (BR + 4)     /* fp32 score tile row stride */
#define PLD (BR + 8)     /* bf16 probability tile row stride */

typedef wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> frag_a;
typedef wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::col_major> frag_at;
typedef wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> frag_b;
typedef wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> frag_bt;
typedef wmma::fragment<wmma::accumulator, 16, 16, 16, float> frag_c;

/* Copies rows [r0, r0+64) of a token-major bf16 matrix (row stride ld
 * elements, columns c0 .. c0+HD) into a [64][HD+8] tile; rows past T are 0. */
template <int HD>
static __device__ void load_tile(bf16 *tile, const bf16 *src, size_t ld, int T, int r0)
{
    const int LDH = HD + 8, V8 = HD / 8;
    for (int i = threadIdx.x; i < BR * V8; i += blockDim.x) {
        int r = i / V8, c = (i % V8) * 8;
        uint4 v = make_uint4(0, 0, 0, 0);
        if (r0 + r < T)
            v = *(const uint4 *)(src + (size_t)(r0 + r) * ld + c);
        *(uint4 *)(tile + r * LDH + c) = v;
    }
}

/* smem carving: 128-byte aligned pieces */
static __device__ __forceinline__ unsigned char *carve(unsigned char *&p, size_t bytes)
{
    unsigned char *r = p;
    p += (bytes + 127) / 128 * 128;
    return r;
}

template <int HD>
__global__ void __launch_bounds__(128) k_flash_fwd(bf16 *o, float *lse, const bf16 *qr,
                                                   const bf16 *kr, const bf16 *vb, int T, int H,
                                                   int KV, float scale)
{
    extern __shared__ __align__(128) unsigned char smem[];
    const int LDH = HD + 8, OLD = HD + 4;
    unsigned char *sp = smem;
    bf16 *Qs = (bf16 *)carve(sp, BR * LDH * 2);
    bf16 *Ks = (bf16 *)carve(sp, BR * LDH * 2);
    bf16 *Vs = (bf16 *)carve(sp, BR * LDH * 2);
    float *Ss = (float *)carve(sp, 4 * 16 * SLD * 4);
    bf16 *Ps = (bf16 *)carve(sp, 4 * 16 * PLD * 2);
    float *Os = (float *)carve(sp, 4 * 16 * OLD * 4);
    float *Tm = (float *)carve(sp, 4 * 16 * OLD * 4);
    int qb = blockIdx.x, bh = blockIdx.y, b = bh / H, h = bh % H, g = h / (H / KV);
    int w = threadIdx.x / 32, lane = threadIdx.x % 32, r = lane / 2, half = lane % 2;
    size_t Q = (size_t)H * HD, K = (size_t)KV * HD, base = (size_t)b * T;
    int q0 = qb * BR;
    load_tile<HD>(Qs, qr + base * Q + (size_t)h * HD, Q, T, q0);
    float *Ow = Os + w * 16 * OLD, *Tw = Tm + w * 16 * OLD, *Sw = Ss + w * 16 * SLD;
    bf16 *Pw = Ps + w * 16 * PLD;
    for (int c = half; c < HD; c += 2)
        Ow[r * OLD + c] = 0;
    float m = -INFINITY, l = 0;
    int qi = q0 + w * 16 + r;   /* this lane's query row */
    int q_last = min(T, q0 + BR) - 1, n_kb = q_last / BR + 1;
    for (int kb = 0; kb < n_kb; kb++) {
        int k0 = kb * BR;
        __syncthreads();
        load_tile<HD>(Ks, kr + base * K + (size_t)g * HD, K, T, k0);
        load_tile<HD>(Vs, vb + base * K + (size_t)g * HD, K, T, k0);
        __syncthreads();
        /* S = q k^T for this warp's 16 rows and the 64 keys */
        for (int nt = 0; nt < BR / 16; nt++) {
            frag_c acc;
            wmma::fill_fragment(acc, 0.0f);
#pragma unroll
            for (int kt = 0; kt < HD / 16; kt++) {
                frag_a a;
                frag_bt bt;
                wmma::load_matrix_sync(a, Qs + (w * 16) * LDH + kt * 16, LDH);
                wmma::load_matrix_sync(bt, Ks + (nt * 16) * LDH + kt * 16, LDH);
                wmma::mma_sync(acc, a, bt, acc);
            }
            wmma::store_matrix_sync(Sw + nt * 16, acc, SLD, wmma::mem_row_major);
        }
        __syncwarp();
        /* online softmax: two lanes per row, 32 columns each */
        float mx = -INFINITY;
        for (int j = half * 32; j < half * 32 + 32; j++) {
            int kj = k0 + j;
            float s = (kj <= qi && kj < T) ? Sw[r * SLD + j] * scale : -INFINITY;
            Sw[r * SLD + j] = s;
            mx = fmaxf(mx, s);
        }
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        float mnew = fmaxf(m, mx);
        float alpha = mnew == -INFINITY ? 1.0f : expf(m - mnew);
        float sum = 0;
        for (int j = half * 32; j < half * 32 + 32; j++) {
            float s = Sw[r * SLD + j];
            float p = s == -INFINITY ? 0.0f : expf(s - mnew);
            sum += p;
            Pw[r * PLD + j] = __float2bfloat16(p);
        }
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        l = l * alpha + sum;
        m = mnew;
        for (int c = half; c < HD; c += 2)
            Ow[r * OLD + c] *= alpha;
        __syncwarp();
        /* O += P v */
#pragma unroll
        for (int nt = 0; nt < HD / 16; nt++) {
            frag_c acc;
            wmma::fill_fragment(acc, 0.0f);
#pragma unroll
            for (int kt = 0; kt < BR / 16; kt++) {
                frag_a a;
                frag_b bb;
                wmma::load_matrix_sync(a, Pw + kt * 16, PLD);
                wmma::load_matrix_sync(bb, Vs + (kt * 16) * LDH + nt * 16, LDH);
                wmma::mma_sync(acc, a, bb, acc);
            }
            wmma::store_matrix_sync(Tw + nt * 16, acc, OLD, wmma::mem_row_major);
        }
        __syncwarp();
        for (int c = half; c < HD; c += 2)
            Ow[r * OLD + c] += Tw[r * OLD + c];
        __syncwarp();
    }
    if (qi < T) {
        float inv = 1.0f / l;
        bf16 *dst = o + (base + qi) * Q + (size_t)h * HD;
        for (int c = half; c < HD; c += 2)
            dst[c] = __float2bfloat16(Ow[r * OLD + c] * inv);
        if (half == 0)
            lse[(size_t)bh * T + qi] = m + logf(l);
    }
}

/* D[bh][t] = sum_c dO[t][h*hd + c] * o[t][h*hd + c], one warp per (t, h). */
__global__ void k_flash_dsum(float *D, const bf16 *dO, const bf16 *o, int B, int T, int H, int hd)
{
    size_t item = (size_t)blockIdx.x * 8 + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (item >= (size_t)B * T * H)
        return;
    size_t n = item / H;
    int h = (int)(item % H), b = (int)(n / T), t = (int)(n % T);
    const bf16 *x = dO + n * H * hd + (size_t)h * hd, *y = o + n * H * hd + (size_t)h * hd;
    float s = 0;
    for (int c = lane; c < hd; c += 32)
        s += __bfloat162float(x[c]) * __bfloat162float(y[c]);
    for (int off = 16; off; off >>= 1)
        s += __shfl_xor_sync(0xffffffffu, s, off);
    if (lane == 0)
        D[((size_t)b * H + h) * T + t] = s;
}

/* Recomputes, for this warp's 16 rows (A-side rows of tile As) against the
 * 64 rows of tile Bs, acc = As Bs^T into the fp32 tile Sw. */
template <int HD>
static __device__ void tile_abt(float *Sw, const bf16 *As, const bf16 *Bs, int w)
{
    const int LDH = HD + 8;
    for (int nt = 0; nt < BR / 16; nt++) {
        frag_c acc;
        wmma::fill_fragment(acc, 0.0f);
#pragma unroll
        for (int kt = 0; kt < HD / 16; kt++) {
            frag_a a;
            frag_bt bt;
            wmma::load_matrix_sync(a, As + (w * 16) * LDH + kt * 16, LDH);
            wmma::load_matrix_sync(bt, Bs + (nt * 16) * LDH + kt * 16, LDH);
            wmma::mma_sync(acc, a, bt, acc);
        }
        wmma::store_matrix_sync(Sw + nt * 16, acc, SLD, wmma::mem_row_major);
    }
}

/* acc[nt] += Xw (this warp's [16][64] bf16 tile) times Ys ([64][HD] bf16). */
template <int HD>
static __device__ void tile_acc(frag_c *acc, const bf16 *Xw, const bf16 *Ys)
{
    const int LDH = HD + 8;
#pragma unroll
    for (int nt = 0; nt < HD / 16; nt++)
#pragma unroll
        for (int kt = 0; kt < BR / 16; kt++) {
            frag_a a;
            frag_b bb;
            wmma::load_matrix_sync(a, Xw + kt * 16, PLD);
            wmma::load_matrix_sync(bb, Ys + (kt * 16) * LDH + nt * 16, LDH);
            wmma::mma_sync(acc[nt], a, bb, acc[nt]);
        }
}

/* Writes this warp's 16 x HD accumulator rows to a token-major fp32 matrix
 * (rows past T skipped), staging through Tw ([16][HD+4] fp32). */
template <int HD>
static __device__ void store_rows(float *dst, size_t ld, frag_c *acc, float *Tw, int row0, int T,
                                  int lane)
{
    const int OLD = HD + 4;
#pragma unroll
    for (int nt = 0; nt < HD / 16; nt++)
        wmma::store_matrix_sync(Tw + nt * 16, acc[nt], OLD, wmma::mem_row_major);
    __syncwarp();
    for (int i = lane; i < 16 * HD; i += 32) {
        int rr = i / HD, c = i % HD;
        if (row0 + rr < T)
            dst[(size_t)(row0 + rr) * ld + c] = Tw[rr * OLD + c];
    }
}

/* dk, dv of 64 keys: loops over the query blocks that can see them. A warp
 * owns 16 keys and holds their dk, dv in registers. */
template <int HD>
__global__ void __launch_bounds__(128) k_flash_bwd_kv(float *dkh, float *dvh, const bf16 *qr,
                                                      const bf16 *kr, const bf16 *vb,
                                                      const bf16 *dO, const float *lse,
                                                      const float *D, int T, int H, int KV,
                                                      float scale)
{
    extern __shared__ __align__(128) unsigned char smem[];
    const int LDH = HD + 8, OLD = HD + 4;
    unsigned char *sp = smem;
    bf16 *Ks = (bf16 *)carve(sp, BR * LDH * 2);
    bf16 *Vs = (bf16 *)carve(sp, BR * LDH * 2);
    bf16 *Qs = (bf16 *)carve(sp, BR * LDH * 2);
    bf16 *dOs = (bf16 *)carve(sp, BR * LDH * 2);
    float *Ss = (float *)carve(sp, 4 * 16 * SLD * 4);
    float *dPs = (float *)carve(sp, 4 * 16 * SLD * 4);
    bf16 *Ps = (bf16 *)carve(sp, 4 * 16 * PLD * 2);
    bf16 *dSs = (bf16 *)carve(sp, 4 * 16 * PLD * 2);
    float *Tm = (float *)carve(sp, 4 * 16 * OLD * 4);
    float *ls = (float *)carve(sp, BR * 4);
    float *Ds = (float *)carve(sp, BR * 4);
    int kb = blockIdx.x, bh = blockIdx.y, b = bh / H, h = bh % H, g = h / (H / KV);
    int w = threadIdx.x / 32, lane = threadIdx.x % 32, r = lane / 2, half = lane % 2;
    size_t Q = (size_t)H * HD, K = (size_t)KV * HD, base = (size_t)b * T;
    int k0 = kb * BR, ki = k0 + w * 16 + r;
    load_tile<HD>(Ks, kr + base * K + (size_t)g * HD, K, T, k0);
    load_tile<HD>(Vs, vb + base * K + (size_t)g * HD, K, T, k0);
    float *Sw = Ss + w * 16 * SLD, *dPw = dPs + w * 16 * SLD, *Tw = Tm + w * 16 * OLD;
    bf16 *Pw = Ps + w * 16 * PLD, *dSw = dSs + w * 16 * PLD;
    frag_c dk[HD / 16], dv[HD / 16];
#pragma unroll
    for (int i = 0; i < HD / 16; i++) {
        wmma::fill_fragment(dk[i], 0.0f);
        wmma::fill_fragment(dv[i], 0.0f);
    }
    int n_qb = (T + BR - 1) / BR;
    for (int qb = kb; qb < n_qb; qb++) {
        int q0 = qb * BR;
        __syncthreads();
        load_tile<HD>(Qs, qr + base * Q + (size_t)h * HD, Q, T, q0);
        load_tile<HD>(dOs, dO + base * Q + (size_t)h * HD, Q, T, q0);
        for (int i = threadIdx.x; i < BR; i += blockDim.x) {
            ls[i] = q0 + i < T ? lse[(size_t)bh * T + q0 + i] : 0.0f;
            Ds[i] = q0 + i < T ? D[(size_t)bh * T + q0 + i] : 0.0f;
        }
        __syncthreads();
        tile_abt<HD>(Sw, Ks, Qs, w);    /* S^T: keys x queries */
        tile_abt<HD>(dPw, Vs, dOs, w);  /* dP^T = v dO^T */
        __syncwarp();
        for (int j = half * 32; j < half * 32 + 32; j++) {
            int qj = q0 + j;
            int ok = ki <= qj && qj < T && ki < T;
            float p = ok ? expf(Sw[r * SLD + j] * scale - ls[j]) : 0.0f;
            Pw[r * PLD + j] = __float2bfloat16(p);
            dSw[r * PLD + j] = __float2bfloat16(p * (dPw[r * SLD + j] - Ds[j]) * scale);
        }
        __syncwarp();
        tile_acc<HD>(dv, Pw, dOs);   /* dv += P^T dO */
        tile_acc<HD>(dk, dSw, Qs);   /* dk += dS^T q */
    }
    store_rows<HD>(dkh + base * Q + (size_t)h * HD, Q, dk, Tw, k0 + w * 16, T, lane);
    __syncwarp();
    store_rows<HD>(dvh + base * Q + (size_t)h * HD, Q, dv, Tw, k0 + w * 16, T, lane);
}

/* dq of 64 queries: loops over the key blocks they see. */
template <int HD>
__global__ void __launch_bounds__(128) k_flash_bwd_q(float *dq, const bf16 *qr, const bf16 *kr,
                                                     const bf16 *vb, const bf16 *dO,
                                                     const float *lse, const float *D, int T,
                                                     int H, int KV, float scale)
{
    extern __shared__ __align__(128) unsigned char smem[];
    const int LDH = HD + 8, OLD = HD + 4;
    unsigned char *sp = smem;
    bf16 *Qs = (bf16 *)carve(sp, BR * LDH * 2);
    bf16 *dOs = (bf16 *)carve(sp, BR * LDH * 2);
    bf16 *Ks = (bf16 *)carve(sp, BR * LDH * 2);
    bf16 *Vs = (bf16 *)carve(sp, BR * LDH * 2);
    float *Ss = (float *)carve(sp, 4 * 16 * SLD * 4);
    float *dPs = (float *)carve(sp, 4 * 16 * SLD * 4);
    bf16 *dSs = (bf16 *)carve(sp, 4 * 16 * PLD * 2);
    float *Tm = (float *)carve(sp, 4 * 16 * OLD * 4);
    int qb = blockIdx.x, bh = blockIdx.y, b = bh / H, h = bh % H, g = h / (H / KV);
    int w = threadIdx.x / 32, lane = threadIdx.x % 32, r = lane / 2, half = lane % 2;
    size_t Q = (size_t)H * HD, K = (size_t)KV * HD, base = (size_t)b * T;
    int q0 = qb * BR, qi = q0 + w * 16 + r;
    load_tile<HD>(Qs, qr + base * Q + (size_t)h * HD, Q, T, q0);
    load_tile<HD>(dOs, dO + base * Q + (size_t)h * HD, Q, T, q0);
    float my_lse = qi < T ? lse[(size_t)bh * T + qi] : 0.0f;
    float my_D = qi < T ? D[(size_t)bh * T + qi] : 0.0f;
    float *Sw = Ss + w * 16 * SLD, *dPw = dPs + w * 16 * SLD, *Tw = Tm + w * 16 * OLD;
    bf16 *dSw = dSs + w * 16 * PLD;
    frag_c acc[HD / 16];
#pragma unroll
    for (int i = 0; i < HD / 16; i++)
        wmma::fill_fragment(acc[i], 0.0f);
    for (int kb = 0; kb <= qb; kb++) {
        int k0 = kb * BR;
        __syncthreads();
        load_tile<HD>(Ks, kr + base * K + (size_t)g * HD, K, T, k0);
        load_tile<HD>(Vs, vb + base * K + (size_t)g * HD, K, T, k0);
        __syncthreads();
        tile_abt<HD>(Sw, Qs, Ks, w);
        tile_abt<HD>(dPw, dOs, Vs, w);
        __syncwarp();
        for (int j = half * 32; j < half * 32 + 32; j++) {
            int kj = k0 + j;
            int ok = kj <= qi && kj < T && qi < T;
            float p = ok ? expf(Sw[r * SLD + j] * scale - my_lse) : 0.0f;
            dSw[r * PLD + j] = __float2bfloat16(p * (dPw[r * SLD + j] - my_D) * scale);
        }
        __syncwarp();
        tile_acc<HD>(acc, dSw, Ks);   /* dq += dS k */
    }
    store_rows<HD>(dq + base * Q + (size_t)h * HD, Q, acc, Tw, q0 + w * 16, T, lane);
}

static size_t al(size_t x) { return (x + 127) / 128 * 128; }

template <int HD>
static int launch_fwd(cudaStream_t s, bf16 *o, float *lse, const bf16 *qr, const bf16 *kr,
                      const bf16 *vb, int B, int T, int H, int KV, float scale)
{
    const int LDH = HD + 8, OLD = HD + 4;
    size_t sm = 3 * al(BR * LDH * 2) + al(4 * 16 * SLD * 4) + al(4 * 16 * PLD * 2) +
                2 * al(4 * 16 * OLD * 4);
    if (cudaFuncSetAttribute(k_flash_fwd<HD>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             (int)sm) != cudaSuccess)
        return -1;
    dim3 grid((T + BR - 1) / BR, B * H);
    k_flash_fwd<HD><<<grid, 128, sm, s>>>(o, lse, qr, kr, vb, T, H, KV, scale);
    return 0;
}

template <int HD>
static int launch_bwd(cudaStream_t s, float *dq, float *dkh, float *dvh, float *D,
                      const bf16 *qr, const bf16 *kr, const bf16 *vb, const bf16 *o,
                      const bf16 *dO, const float *lse, int B, int T, int H, int KV, float scale)
{
    const int LDH = HD + 8, OLD = HD + 4;
    size_t items = (size_t)B * T * H;
    k_flash_dsum<<<(unsigned)((items + 7) / 8), 256, 0, s>>>(D, dO, o, B, T, H, HD);
    size_t smkv = 4 * al(BR * LDH * 2) + 2 * al(4 * 16 * SLD * 4) + 2 * al(4 * 16 * PLD * 2) +
                  al(4 * 16 * OLD * 4) + 2 * al(BR * 4);
    size_t smq = 4 * al(BR * LDH * 2) + 2 * al(4 * 16 * SLD * 4) + al(4 * 16 * PLD * 2) +
                 al(4 * 16 * OLD * 4);
    if (cudaFuncSetAttribute(k_flash_bwd_kv<HD>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             (int)smkv) != cudaSuccess ||
        cudaFuncSetAttribute(k_flash_bwd_q<HD>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             (int)smq) != cudaSuccess)
        return -1;
    dim3 grid((T + BR - 1) / BR, B * H);
    k_flash_bwd_kv<HD><<<grid, 128, smkv, s>>>(dkh, dvh, qr, kr, vb, dO, lse, D, T, H, KV, scale);
    k_flash_bwd_q<HD><<<grid, 128, smq, s>>>(dq, qr, kr, vb, dO, lse, D, T, H, KV, scale);
    return 0;
}

void lf_k_attn_dsum(cudaStream_t s, float *D, const bf16 *dO, const bf16 *o, int B, int T, int H,
                    int hd)
{
    size_t items = (size_t)B * T * H;
    k_flash_dsum<<<(unsigned)((items + 7) / 8), 256, 0, s>>>(D, dO, o, B, T, H, hd);
}

int lf_k_flash_ok(int hd) { return hd == 16 || hd == 32 || hd == 64 || hd == 128; }

int lf_k_flash_fwd(cudaStream_t s, bf16 *o, float *lse, const bf16 *qr, const bf16 *kr,
                   const bf16 *vb, int B, int T, int H, int KV, int hd, float scale)
{
    switch (hd) {
    case 16: return launch_fwd<16>(s, o, lse, qr, kr, vb, B, T, H, KV, scale);
    case 32: return launch_fwd<32>(s, o, lse, qr, kr, vb, B, T, H, KV, scale);
    case 64: return launch_fwd<64>(s, o, lse, qr, kr, vb, B, T, H, KV, scale);
    case 128: return launch_fwd<128>(s, o, lse, qr, kr, vb, B, T, H, KV, scale);
    default: return -1;
    }
}

int lf_k_flash_bwd(cudaStream_t s, float *dq, float *dkh, float *dvh, float *D, const bf16 *qr,
                   const bf16 *kr, const bf16 *vb, const bf16 *o, const bf16 *dO,
                   const float *lse, int B, int T, int H, int KV, int hd, float scale)
{
    switch (hd) {
    case 16: return launch_bwd<16>(s, dq, dkh, dvh, D, qr, kr, vb, o, dO, lse, B, T, H, KV, scale);
    case 32: return launch_bwd<32>(s, dq, dkh, dvh, D, qr, kr, vb, o, dO, lse, B, T, H, KV, scale);
    case 64: return launch_bwd<64>(s, dq, dkh, dvh, D, qr, kr, vb, o, dO, lse, B, T, H, KV, scale);
    case 128: return launch_bwd<128>(s, dq, dkh, dvh, D, qr, kr, vb, o, dO, lse, B, T, H, KV, scale);
    default: return -1;
    }
}
