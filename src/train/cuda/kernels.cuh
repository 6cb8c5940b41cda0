/* kernels.cuh: the CUDA trainer's fused kernels (kernels.cu), each the GPU
 * twin of a step of the CPU reference (ref.c). Activations that feed a
 * matmul are bf16; residual stream, pre-activations, norms' statistics,
 * gradients and optimiser state are fp32. All launches go on stream s. */
#ifndef LF_TRAIN_CUDA_KERNELS_CUH
#define LF_TRAIN_CUDA_KERNELS_CUH

#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stdint.h>

typedef __nv_bfloat16 bf16;

/* Accumulators of one forward (loss sum, counted targets, right argmax). */
typedef struct lf_kacc { double loss, sumsq, wsum; unsigned long long n_tgt, correct; } lf_kacc;

/* x[n][:] = emb[tok[n]][:]                x [N][D] */
void lf_k_embed(cudaStream_t s, float *x, const float *emb, const int32_t *tok, int N, int D);
/* emb_grad[tok[n]][:] += dx[n][:] */
void lf_k_embed_bwd(cudaStream_t s, float *demb, const float *dx, const int32_t *tok, int N, int D);
/* v = a + b (b may be NULL); xo = v (xo may be NULL); y = v * rstd * w (bf16). */
void lf_k_rmsnorm(cudaStream_t s, float *xo, const float *a, const float *b, const float *w,
                  bf16 *y, float *rstd, int N, int D, float eps);
/* Row part of RMSNorm backward: dres = (acc ? dres : 0) + dx, dres_h = bf16(dres). */
void lf_k_rmsnorm_bwd(cudaStream_t s, float *dres, bf16 *dres_h, const float *dy,
                      const float *x, const float *w, const float *rstd, int N, int D, int acc);
/* Column part: dw[i] += sum_n dy[n][i] x[n][i] rstd[n]. */
void lf_k_rmsnorm_dw(cudaStream_t s, float *dw, const float *dy, const float *x,
                     const float *rstd, int N, int D);
/* Head norms and RoPE: qkv [N][(H+2KV)*hd] fp32 -> qr [N][H*hd], kr, vb [N][KV*hd] bf16. */
void lf_k_qkv_fwd(cudaStream_t s, bf16 *qr, bf16 *kr, bf16 *vb, float *qrstd, float *krstd,
                  const float *qkv, const float *qw, const float *kw, const float *cosb,
                  const float *sinb, int N, int T, int H, int KV, int hd, float eps);
/* Its backward: dq [N][H*hd], dkh/dvh [N][H*hd] (per query head, summed here
 * over each group) -> dqkv [N][(H+2KV)*hd] bf16; dqw/dkw += head-norm grads. */
void lf_k_qkv_bwd(cudaStream_t s, bf16 *dqkv, float *dqw, float *dkw, const float *dq,
                  const float *dkh, const float *dvh, const float *qkv, const float *qrstd,
                  const float *krstd, const float *qw, const float *kw, const float *cosb,
                  const float *sinb, int N, int T, int H, int KV, int hd);
/* Causal softmax of rows of S [R][T] (row r is position t = r % T) -> P
 * bf16, written up to the end of t's query block of Tb rows. */
void lf_k_softmax(cudaStream_t s, bf16 *P, const float *S, int R, int T, int Tb);
/* dS = P * (dP - sum(P dP)) * scale, bf16 (same extent); the row sums are
 * D [R] when given (lf_k_attn_dsum), else computed here. */
void lf_k_softmax_bwd(cudaStream_t s, bf16 *dS, const float *dP, const bf16 *P, const float *D,
                      int R, int T, int Tb, float scale);
/* D[b*H + h][t] = sum_c dO[b*T + t][h*hd + c] * o[b*T + t][h*hd + c] (flash.cu). */
void lf_k_attn_dsum(cudaStream_t s, float *D, const bf16 *dO, const bf16 *o, int B, int T, int H,
                    int hd);
/* h = silu(gu[:, :F]) * gu[:, F:] (bf16) */
void lf_k_swiglu(cudaStream_t s, bf16 *h, const float *gu, int N, int F);
void lf_k_swiglu_bwd(cudaStream_t s, bf16 *dgu, const float *dh, const float *gu, int N, int F);
/* Cross-entropy over logits [N][V]: adds to acc; with dlog, writes
 * (softmax - onehot) * inv_n (zero rows where tgt < 0). With focal > 0
 * (train.h lf_topt.focal) the rows are weighted instead: w_n = (1 -
 * p_target)^focal, written with each row's log-sum-exp to rowv [N][2] and
 * summed into acc->wsum, and dlog = (softmax - onehot) * w_n / wsum
 * (a second kernel, once the sum is complete; inv_n unused). */
void lf_k_xent(cudaStream_t s, bf16 *dlog, const float *logits, const int32_t *tgt,
               lf_kacc *acc, int N, int V, float inv_n, float focal, float *rowv);
/* acc->sumsq += sum g^2 */
void lf_k_sumsq(cudaStream_t s, lf_kacc *acc, const float *g, size_t n);
/* AdamW (train.h lf_adamw_step) with the clip factor from acc->sumsq. */
void lf_k_adamw(cudaStream_t s, float *p, bf16 *ph, const float *g, float *m, float *v,
                const uint8_t *mask, const lf_kacc *acc, size_t n, float lr, float b1,
                float b2, float c1, float c2, float eps, float wd, float clip);
void lf_k_to_bf16(cudaStream_t s, bf16 *y, const float *x, size_t n);
/* Pointer tables for the per-(b,h) attention matmuls, one set per causal
 * query block of Tb rows (nb blocks; see trainer.cu). */
void lf_k_attn_ptrs(cudaStream_t s, const void **tab, int B, int H, int KV, int T, int hd,
                    int Tb, int nb, const bf16 *qr, const bf16 *kr, const bf16 *vb, float *S,
                    bf16 *P, bf16 *o, const bf16 *dO, bf16 *dS, float *dq, float *dkh,
                    float *dvh);
#define LF_ATTN_MAX_BLOCKS 4

/* Fused causal attention (flash.cu). Forward: o [N][H*hd] bf16 and the
 * rows' log-sum-exp lse [B*H][T]. Backward: dq, dkh, dvh [N][H*hd] fp32
 * (per query head, as the cuBLAS path), D [B*H][T] scratch. head_dim 16,
 * 32, 64 or 128 (lf_k_flash_ok). Return 0, or -1 if a launch could not be
 * set up. */
int lf_k_flash_ok(int hd);
int lf_k_flash_fwd(cudaStream_t s, bf16 *o, float *lse, const bf16 *qr, const bf16 *kr,
                   const bf16 *vb, int B, int T, int H, int KV, int hd, float scale);
int lf_k_flash_bwd(cudaStream_t s, float *dq, float *dkh, float *dvh, float *D, const bf16 *qr,
                   const bf16 *kr, const bf16 *vb, const bf16 *o, const bf16 *dO,
                   const float *lse, int B, int T, int H, int KV, int hd, float scale);
enum { LF_AP_Q, LF_AP_K, LF_AP_V, LF_AP_S, LF_AP_P, LF_AP_O, LF_AP_DO, LF_AP_DS, LF_AP_DQ,
       LF_AP_DK, LF_AP_DV, LF_AP_COUNT };

#endif
