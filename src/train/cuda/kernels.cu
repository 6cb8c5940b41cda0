/* kernels.cu: the CUDA trainer's fused kernels (kernels.cuh). Row kernels
 * use one warp per row (8 rows per 256-thread block); each mirrors a loop
 * of ref.c, which is the spec. */
#include <math.h>

#include "train/cuda/kernels.cuh"

#define WARPS 8

static __device__ __forceinline__ float warp_sum(float v)
{
    for (int o = 16; o; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

static __device__ __forceinline__ float warp_max(float v)
{
    for (int o = 16; o; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

static unsigned blocks_for(size_t n, unsigned per) { return (unsigned)((n + per - 1) / per); }

__global__ void k_embed(float *x, const float *emb, const int32_t *tok, int N, int D)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)N * D)
        return;
    size_t n = i / D, d = i % D;
    x[i] = emb[(size_t)tok[n] * D + d];
}

void lf_k_embed(cudaStream_t s, float *x, const float *emb, const int32_t *tok, int N, int D)
{
    k_embed<<<blocks_for((size_t)N * D, 256), 256, 0, s>>>(x, emb, tok, N, D);
}

__global__ void k_embed_bwd(float *demb, const float *dx, const int32_t *tok, int N, int D)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)N * D)
        return;
    size_t n = i / D, d = i % D;
    atomicAdd(demb + (size_t)tok[n] * D + d, dx[i]);
}

void lf_k_embed_bwd(cudaStream_t s, float *demb, const float *dx, const int32_t *tok, int N, int D)
{
    k_embed_bwd<<<blocks_for((size_t)N * D, 256), 256, 0, s>>>(demb, dx, tok, N, D);
}

__global__ void k_rmsnorm(float *xo, const float *a, const float *b, const float *w, bf16 *y,
                          float *rstd, int N, int D, float eps)
{
    int row = blockIdx.x * WARPS + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= N)
        return;
    size_t base = (size_t)row * D;
    float ss = 0;
    for (int i = lane; i < D; i += 32) {
        float v = a[base + i] + (b ? b[base + i] : 0.0f);
        if (xo)
            xo[base + i] = v;
        ss += v * v;
    }
    ss = warp_sum(ss);
    float r = 1.0f / sqrtf(ss / D + eps);
    for (int i = lane; i < D; i += 32) {
        float v = xo ? xo[base + i] : a[base + i] + (b ? b[base + i] : 0.0f);
        y[base + i] = __float2bfloat16(v * r * w[i]);
    }
    if (lane == 0)
        rstd[row] = r;
}

void lf_k_rmsnorm(cudaStream_t s, float *xo, const float *a, const float *b, const float *w,
                  bf16 *y, float *rstd, int N, int D, float eps)
{
    k_rmsnorm<<<blocks_for(N, WARPS), 32 * WARPS, 0, s>>>(xo, a, b, w, y, rstd, N, D, eps);
}

__global__ void k_rmsnorm_bwd(float *dres, bf16 *dres_h, const float *dy, const float *x,
                              const float *w, const float *rstd, int N, int D, int acc)
{
    int row = blockIdx.x * WARPS + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= N)
        return;
    size_t base = (size_t)row * D;
    float r = rstd[row], dot = 0;
    for (int i = lane; i < D; i += 32)
        dot += dy[base + i] * w[i] * x[base + i];
    dot = warp_sum(dot);
    float c = r * r * r * dot / D;
    for (int i = lane; i < D; i += 32) {
        float dx = r * dy[base + i] * w[i] - x[base + i] * c;
        float v = acc ? dres[base + i] + dx : dx;
        dres[base + i] = v;
        dres_h[base + i] = __float2bfloat16(v);
    }
}

void lf_k_rmsnorm_bwd(cudaStream_t s, float *dres, bf16 *dres_h, const float *dy,
                      const float *x, const float *w, const float *rstd, int N, int D, int acc)
{
    k_rmsnorm_bwd<<<blocks_for(N, WARPS), 32 * WARPS, 0, s>>>(dres, dres_h, dy, x, w, rstd, N,
                                                              D, acc);
}

#define DW_ROWS 128
__global__ void k_rmsnorm_dw(float *dw, const float *dy, const float *x, const float *rstd,
                             int N, int D)
{
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    int r0 = blockIdx.y * DW_ROWS, r1 = min(N, r0 + DW_ROWS);
    if (col >= D)
        return;
    float acc = 0;
    for (int n = r0; n < r1; n++)
        acc += dy[(size_t)n * D + col] * x[(size_t)n * D + col] * rstd[n];
    atomicAdd(dw + col, acc);
}

void lf_k_rmsnorm_dw(cudaStream_t s, float *dw, const float *dy, const float *x,
                     const float *rstd, int N, int D)
{
    dim3 grid(blocks_for(D, 128), blocks_for(N, DW_ROWS));
    k_rmsnorm_dw<<<grid, 128, 0, s>>>(dw, dy, x, rstd, N, D);
}

/* One warp per (position, head) item: q heads, then k heads, then v heads. */
#define MAXP 4   /* head_dim <= 2 * 32 * MAXP = 256 */
__global__ void k_qkv_fwd(bf16 *qr, bf16 *kr, bf16 *vb, float *qrstd, float *krstd,
                          const float *qkv, const float *qw, const float *kw, const float *cosb,
                          const float *sinb, int N, int T, int H, int KV, int hd, float eps)
{
    int nh = H + 2 * KV;
    size_t item = (size_t)blockIdx.x * WARPS + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (item >= (size_t)N * nh)
        return;
    int n = (int)(item / nh), j = (int)(item % nh), h2 = hd / 2, t = n % T;
    int Q = H * hd, K = KV * hd;
    const float *src = qkv + (size_t)n * (Q + 2 * K) + (size_t)j * hd;
    if (j >= H + KV) {
        bf16 *dst = vb + (size_t)n * K + (size_t)(j - H - KV) * hd;
        for (int i = lane; i < hd; i += 32)
            dst[i] = __float2bfloat16(src[i]);
        return;
    }
    float ss = 0;
    for (int i = lane; i < hd; i += 32)
        ss += src[i] * src[i];
    ss = warp_sum(ss);
    float r = 1.0f / sqrtf(ss / hd + eps);
    const float *w = j < H ? qw : kw;
    bf16 *dst = j < H ? qr + (size_t)n * Q + (size_t)j * hd
                      : kr + (size_t)n * K + (size_t)(j - H) * hd;
    for (int i = lane; i < h2; i += 32) {
        float a = src[i] * r * w[i], b = src[i + h2] * r * w[i + h2];
        float c = cosb[t * h2 + i], sn = sinb[t * h2 + i];
        dst[i] = __float2bfloat16(a * c - b * sn);
        dst[i + h2] = __float2bfloat16(a * sn + b * c);
    }
    if (lane == 0) {
        if (j < H)
            qrstd[(size_t)n * H + j] = r;
        else
            krstd[(size_t)n * KV + j - H] = r;
    }
}

void lf_k_qkv_fwd(cudaStream_t s, bf16 *qr, bf16 *kr, bf16 *vb, float *qrstd, float *krstd,
                  const float *qkv, const float *qw, const float *kw, const float *cosb,
                  const float *sinb, int N, int T, int H, int KV, int hd, float eps)
{
    size_t items = (size_t)N * (H + 2 * KV);
    k_qkv_fwd<<<blocks_for(items, WARPS), 32 * WARPS, 0, s>>>(qr, kr, vb, qrstd, krstd, qkv, qw,
                                                             kw, cosb, sinb, N, T, H, KV, hd, eps);
}

__global__ void k_qkv_bwd(bf16 *dqkv, float *dqw, float *dkw, const float *dq, const float *dkh,
                          const float *dvh, const float *qkv, const float *qrstd,
                          const float *krstd, const float *qw, const float *kw,
                          const float *cosb, const float *sinb, int N, int T, int H, int KV,
                          int hd)
{
    extern __shared__ float sdw[];   /* [2][hd]: q_norm and k_norm weight grads */
    for (int i = threadIdx.x; i < 2 * hd; i += blockDim.x)
        sdw[i] = 0;
    __syncthreads();
    int nh = H + 2 * KV, lane = threadIdx.x % 32, h2 = hd / 2, rep = H / KV;
    int Q = H * hd, K = KV * hd, QKV = Q + 2 * K;
    size_t items = (size_t)N * nh;
    for (size_t item = (size_t)blockIdx.x * WARPS + threadIdx.x / 32; item < items;
         item += (size_t)gridDim.x * WARPS) {
        int n = (int)(item / nh), j = (int)(item % nh), t = n % T;
        if (j >= H + KV) {   /* v: sum the group's per-query-head grads */
            int g = j - H - KV;
            for (int i = lane; i < hd; i += 32) {
                float acc = 0;
                for (int r = 0; r < rep; r++)
                    acc += dvh[(size_t)n * Q + (size_t)(g * rep + r) * hd + i];
                dqkv[(size_t)n * QKV + Q + K + (size_t)g * hd + i] = __float2bfloat16(acc);
            }
            continue;
        }
        const float *x = qkv + (size_t)n * QKV + (size_t)j * hd;
        const float *w = j < H ? qw : kw;
        float r = j < H ? qrstd[(size_t)n * H + j] : krstd[(size_t)n * KV + j - H];
        float e0[MAXP], e1[MAXP], dot = 0;
#pragma unroll
        for (int k = 0; k < MAXP; k++) {
            int i = lane + 32 * k;
            e0[k] = e1[k] = 0;
            if (i >= h2)
                continue;
            float d0, d1;
            if (j < H) {
                d0 = dq[(size_t)n * Q + (size_t)j * hd + i];
                d1 = dq[(size_t)n * Q + (size_t)j * hd + i + h2];
            } else {
                int g = j - H;
                d0 = d1 = 0;
                for (int rr = 0; rr < rep; rr++) {
                    d0 += dkh[(size_t)n * Q + (size_t)(g * rep + rr) * hd + i];
                    d1 += dkh[(size_t)n * Q + (size_t)(g * rep + rr) * hd + i + h2];
                }
            }
            float c = cosb[t * h2 + i], sn = sinb[t * h2 + i];
            e0[k] = d0 * c + d1 * sn;     /* RoPE transposed */
            e1[k] = -d0 * sn + d1 * c;
            dot += e0[k] * w[i] * x[i] + e1[k] * w[i + h2] * x[i + h2];
        }
        dot = warp_sum(dot);
        float cc = r * r * r * dot / hd;
        float *dw = sdw + (j < H ? 0 : hd);
        bf16 *out = dqkv + (size_t)n * QKV + (size_t)j * hd;
#pragma unroll
        for (int k = 0; k < MAXP; k++) {
            int i = lane + 32 * k;
            if (i >= h2)
                continue;
            out[i] = __float2bfloat16(r * e0[k] * w[i] - x[i] * cc);
            out[i + h2] = __float2bfloat16(r * e1[k] * w[i + h2] - x[i + h2] * cc);
            atomicAdd(dw + i, e0[k] * x[i] * r);
            atomicAdd(dw + i + h2, e1[k] * x[i + h2] * r);
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < hd; i += blockDim.x) {
        atomicAdd(dqw + i, sdw[i]);
        atomicAdd(dkw + i, sdw[hd + i]);
    }
}

void lf_k_qkv_bwd(cudaStream_t s, bf16 *dqkv, float *dqw, float *dkw, const float *dq,
                  const float *dkh, const float *dvh, const float *qkv, const float *qrstd,
                  const float *krstd, const float *qw, const float *kw, const float *cosb,
                  const float *sinb, int N, int T, int H, int KV, int hd)
{
    size_t items = (size_t)N * (H + 2 * KV);
    unsigned grid = blocks_for(items, WARPS);
    if (grid > 1024)
        grid = 1024;
    k_qkv_bwd<<<grid, 32 * WARPS, 2 * hd * sizeof(float), s>>>(
        dqkv, dqw, dkw, dq, dkh, dvh, qkv, qrstd, krstd, qw, kw, cosb, sinb, N, T, H, KV, hd);
}

/* Rows of a query block of Tb rows are only read up to the block's end
 * (the causal split in trainer.cu), so zeros are written up to there. */
static __device__ __forceinline__ int row_end(int t, int T, int Tb)
{
    return min(T, (t / Tb + 1) * Tb);
}

__global__ void k_softmax(bf16 *P, const float *S, int R, int T, int Tb)
{
    size_t row = (size_t)blockIdx.x * WARPS + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (row >= (size_t)R)
        return;
    int t = (int)(row % T);
    const float *s = S + row * T;
    bf16 *p = P + row * T;
    /* one pass for max and sum (a lane's running sum is rescaled when its
     * max grows), one to write */
    float mx = -INFINITY, sum = 0;
    for (int j = lane; j <= t; j += 32) {
        float v = s[j];
        if (v > mx) {
            sum = sum * expf(mx - v) + 1.0f;
            mx = v;
        } else {
            sum += expf(v - mx);
        }
    }
    float m = warp_max(mx);
    sum = warp_sum(mx == -INFINITY ? 0.0f : sum * expf(mx - m));
    float inv = 1.0f / sum;
    int end = row_end(t, T, Tb);
    for (int j = lane; j < end; j += 32)
        p[j] = __float2bfloat16(j <= t ? expf(s[j] - m) * inv : 0.0f);
}

void lf_k_softmax(cudaStream_t s, bf16 *P, const float *S, int R, int T, int Tb)
{
    k_softmax<<<blocks_for(R, WARPS), 32 * WARPS, 0, s>>>(P, S, R, T, Tb);
}

/* With D (rowsum(dO * o), which equals sum_j P_j dP_j) one pass suffices;
 * without, the sum is taken here first. */
__global__ void k_softmax_bwd(bf16 *dS, const float *dP, const bf16 *P, const float *D, int R,
                              int T, int Tb, float scale)
{
    size_t row = (size_t)blockIdx.x * WARPS + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (row >= (size_t)R)
        return;
    int t = (int)(row % T);
    const float *dp = dP + row * T;
    const bf16 *p = P + row * T;
    float dot;
    if (D) {
        dot = D[row];
    } else {
        dot = 0;
        for (int j = lane; j <= t; j += 32)
            dot += __bfloat162float(p[j]) * dp[j];
        dot = warp_sum(dot);
    }
    int end = row_end(t, T, Tb);
    for (int j = lane; j < end; j += 32)
        dS[row * T + j] = __float2bfloat16(j <= t ? __bfloat162float(p[j]) * (dp[j] - dot) * scale
                                                  : 0.0f);
}

void lf_k_softmax_bwd(cudaStream_t s, bf16 *dS, const float *dP, const bf16 *P, const float *D,
                      int R, int T, int Tb, float scale)
{
    k_softmax_bwd<<<blocks_for(R, WARPS), 32 * WARPS, 0, s>>>(dS, dP, P, D, R, T, Tb, scale);
}

__global__ void k_swiglu(bf16 *h, const float *gu, int N, int F)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)N * F)
        return;
    size_t n = i / F, j = i % F;
    float g = gu[n * 2 * F + j], u = gu[n * 2 * F + F + j];
    h[i] = __float2bfloat16(g / (1.0f + expf(-g)) * u);
}

void lf_k_swiglu(cudaStream_t s, bf16 *h, const float *gu, int N, int F)
{
    k_swiglu<<<blocks_for((size_t)N * F, 256), 256, 0, s>>>(h, gu, N, F);
}

__global__ void k_swiglu_bwd(bf16 *dgu, const float *dh, const float *gu, int N, int F)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)N * F)
        return;
    size_t n = i / F, j = i % F;
    float g = gu[n * 2 * F + j], u = gu[n * 2 * F + F + j];
    float sg = 1.0f / (1.0f + expf(-g)), d = dh[i];
    dgu[n * 2 * F + j] = __float2bfloat16(d * u * sg * (1.0f + g * (1.0f - sg)));
    dgu[n * 2 * F + F + j] = __float2bfloat16(d * g * sg);
}

void lf_k_swiglu_bwd(cudaStream_t s, bf16 *dgu, const float *dh, const float *gu, int N, int F)
{
    k_swiglu_bwd<<<blocks_for((size_t)N * F, 256), 256, 0, s>>>(dgu, dh, gu, N, F);
}

/* One block of 256 threads per row. */
__global__ void k_xent(bf16 *dlog, const float *logits, const int32_t *tgt, lf_kacc *acc, int N,
                       int V, float inv_n, float focal, float *rowv)
{
    __shared__ float sm[32];
    __shared__ int si[32];
    int n = blockIdx.x, tid = threadIdx.x, lane = tid % 32, wid = tid / 32;
    const float *lg = logits + (size_t)n * V;
    int t = tgt[n];
    if (t < 0) {
        if (dlog)
            for (int v = tid; v < V; v += blockDim.x)
                dlog[(size_t)n * V + v] = __float2bfloat16(0.0f);
        return;
    }
    float mx = -INFINITY;
    int arg = 0x7fffffff;
    for (int v = tid; v < V; v += blockDim.x)
        if (lg[v] > mx) {
            mx = lg[v];
            arg = v;
        }
    for (int o = 16; o; o >>= 1) {
        float om = __shfl_xor_sync(0xffffffffu, mx, o);
        int oa = __shfl_xor_sync(0xffffffffu, arg, o);
        if (om > mx || (om == mx && oa < arg)) {
            mx = om;
            arg = oa;
        }
    }
    if (lane == 0) {
        sm[wid] = mx;
        si[wid] = arg;
    }
    __syncthreads();
    if (tid == 0) {
        for (int w = 1; w < (int)blockDim.x / 32; w++)
            if (sm[w] > sm[0] || (sm[w] == sm[0] && si[w] < si[0])) {
                sm[0] = sm[w];
                si[0] = si[w];
            }
    }
    __syncthreads();
    mx = sm[0];
    arg = si[0];
    __syncthreads();
    float sum = 0;
    for (int v = tid; v < V; v += blockDim.x)
        sum += expf(lg[v] - mx);
    sum = warp_sum(sum);
    if (lane == 0)
        sm[wid] = sum;
    __syncthreads();
    if (tid == 0) {
        float s = 0;
        for (int w = 0; w < (int)blockDim.x / 32; w++)
            s += sm[w];
        sm[0] = s;
    }
    __syncthreads();
    float lse = mx + logf(sm[0]);
    if (tid == 0) {
        atomicAdd(&acc->loss, (double)(lse - lg[t]));
        atomicAdd(&acc->n_tgt, 1ull);
        if (arg == t)
            atomicAdd(&acc->correct, 1ull);
    }
    if (dlog && focal > 0) {   /* weights now, gradients once wsum is complete */
        if (tid == 0) {
            float w = powf(fmaxf(-expm1f(lg[t] - lse), 0.0f), focal);
            rowv[2 * (size_t)n] = lse;
            rowv[2 * (size_t)n + 1] = w;
            atomicAdd(&acc->wsum, (double)w);
        }
        return;
    }
    if (dlog)
        for (int v = tid; v < V; v += blockDim.x)
            dlog[(size_t)n * V + v] =
                __float2bfloat16((expf(lg[v] - lse) - (v == t ? 1.0f : 0.0f)) * inv_n);
}

/* The focal rows' gradients: (softmax - onehot) * w_n / wsum. */
__global__ void k_xent_weighted(bf16 *dlog, const float *logits, const int32_t *tgt,
                                const float *rowv, const lf_kacc *acc, int V)
{
    int n = blockIdx.x, t = tgt[n];
    if (t < 0)
        return;
    const float *lg = logits + (size_t)n * V;
    float lse = rowv[2 * (size_t)n], k = acc->wsum > 0 ? (float)(rowv[2 * (size_t)n + 1] / acc->wsum) : 0.0f;
    for (int v = threadIdx.x; v < V; v += blockDim.x)
        dlog[(size_t)n * V + v] = __float2bfloat16((expf(lg[v] - lse) - (v == t ? 1.0f : 0.0f)) * k);
}

void lf_k_xent(cudaStream_t s, bf16 *dlog, const float *logits, const int32_t *tgt,
               lf_kacc *acc, int N, int V, float inv_n, float focal, float *rowv)
{
    k_xent<<<N, 256, 0, s>>>(dlog, logits, tgt, acc, N, V, inv_n, focal, rowv);
    if (dlog && focal > 0)
        k_xent_weighted<<<N, 256, 0, s>>>(dlog, logits, tgt, rowv, acc, V);
}

__global__ void k_sumsq(lf_kacc *acc, const float *g, size_t n)
{
    __shared__ float sm[32];
    float s = 0;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        s += g[i] * g[i];
    s = warp_sum(s);
    if (threadIdx.x % 32 == 0)
        sm[threadIdx.x / 32] = s;
    __syncthreads();
    if (threadIdx.x == 0) {
        double t = 0;
        for (int w = 0; w < (int)blockDim.x / 32; w++)
            t += sm[w];
        atomicAdd(&acc->sumsq, t);
    }
}

void lf_k_sumsq(cudaStream_t s, lf_kacc *acc, const float *g, size_t n)
{
    k_sumsq<<<512, 256, 0, s>>>(acc, g, n);
}

__global__ void k_adamw(float *p, bf16 *ph, const float *g, float *m, float *v,
                        const uint8_t *mask, const lf_kacc *acc, size_t n, float lr, float b1,
                        float b2, float c1, float c2, float eps, float wd, float clip)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    double norm = sqrt(acc->sumsq);
    float sc = (clip > 0 && norm > clip) ? (float)(clip / norm) : 1.0f;
    float gi = g[i] * sc;
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float pi = p[i];
    pi -= lr * ((mi / c1) / (sqrtf(vi / c2) + eps) + (mask[i] ? wd : 0.0f) * pi);
    p[i] = pi;
    ph[i] = __float2bfloat16(pi);
}

void lf_k_adamw(cudaStream_t s, float *p, bf16 *ph, const float *g, float *m, float *v,
                const uint8_t *mask, const lf_kacc *acc, size_t n, float lr, float b1,
                float b2, float c1, float c2, float eps, float wd, float clip)
{
    k_adamw<<<blocks_for(n, 256), 256, 0, s>>>(p, ph, g, m, v, mask, acc, n, lr, b1, b2, c1, c2,
                                               eps, wd, clip);
}

__global__ void k_to_bf16(bf16 *y, const float *x, size_t n)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] = __float2bfloat16(x[i]);
}

void lf_k_to_bf16(cudaStream_t s, bf16 *y, const float *x, size_t n)
{
    k_to_bf16<<<blocks_for(n, 256), 256, 0, s>>>(y, x, n);
}

/* tab[(kind * nb + blk) * B*H + b*H + h]: where the (b, h) slice of each
 * attention operand starts for query block blk (rows blk*Tb ..). Token-major
 * tensors ([N][H*hd] or [N][KV*hd]) start at row b*T (+ blk*Tb for the
 * query-side ones: q, o, dO, dq), column h*hd (or g*hd, g = h / (H/KV));
 * score-shaped ones ([B*H][T][T]) at slice b*H + h, row blk*Tb. Key-side
 * operands (k, v, dk, dv) start at row 0 of the sequence. */
__global__ void k_attn_ptrs(const void **tab, int B, int H, int KV, int T, int hd, int Tb,
                            int nb, const bf16 *qr, const bf16 *kr, const bf16 *vb, float *S,
                            bf16 *P, bf16 *o, const bf16 *dO, bf16 *dS, float *dq, float *dkh,
                            float *dvh)
{
    int idx = blockIdx.x * blockDim.x + threadIdx.x, BH = B * H;
    if (idx >= BH * nb)
        return;
    int i = idx % BH, blk = idx / BH;
    int b = i / H, h = i % H, g = h / (H / KV);
    size_t Q = (size_t)H * hd, K = (size_t)KV * hd, row = (size_t)b * T, sq = (size_t)T * T;
    size_t qrow = row + (size_t)blk * Tb, srow = (size_t)blk * Tb * T;
#define AT(kind) tab[((size_t)(kind) * nb + blk) * BH + i]
    AT(LF_AP_Q) = qr + qrow * Q + (size_t)h * hd;
    AT(LF_AP_K) = kr + row * K + (size_t)g * hd;
    AT(LF_AP_V) = vb + row * K + (size_t)g * hd;
    AT(LF_AP_S) = S + i * sq + srow;
    AT(LF_AP_P) = P + i * sq + srow;
    AT(LF_AP_O) = o + qrow * Q + (size_t)h * hd;
    AT(LF_AP_DO) = dO + qrow * Q + (size_t)h * hd;
    AT(LF_AP_DS) = dS + i * sq + srow;
    AT(LF_AP_DQ) = dq + qrow * Q + (size_t)h * hd;
    AT(LF_AP_DK) = dkh + row * Q + (size_t)h * hd;
    AT(LF_AP_DV) = dvh + row * Q + (size_t)h * hd;
#undef AT
}

void lf_k_attn_ptrs(cudaStream_t s, const void **tab, int B, int H, int KV, int T, int hd,
                    int Tb, int nb, const bf16 *qr, const bf16 *kr, const bf16 *vb, float *S,
                    bf16 *P, bf16 *o, const bf16 *dO, bf16 *dS, float *dq, float *dkh,
                    float *dvh)
{
    k_attn_ptrs<<<blocks_for((size_t)B * H * nb, 128), 128, 0, s>>>(
        tab, B, H, KV, T, hd, Tb, nb, qr, kr, vb, S, P, o, dO, dS, dq, dkh, dvh);
}
