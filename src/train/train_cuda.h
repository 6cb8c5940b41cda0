/* train_cuda.h: the CUDA trainer: the same model, loss and AdamW step as the
 * CPU reference (ref.h) on one GPU or several (data parallel), with bf16
 * cuBLAS matmuls (fp32 accumulation), fp32 master weights, gradients and
 * moments.
 *
 * It is built (meson -Dcuda=enabled) into libllmfuse-train-cuda.so, which
 * `llmfuse train --device cuda` loads at run time through
 * lf_tcuda_api_get(), so the one llmfuse binary needs no CUDA libraries
 * where no GPU is used; tests link the static library directly.
 * One lf_tcuda per thread; calls on it are synchronous (each returns when
 * the GPU work is done). Evaluation and lf_tcuda_get use the first GPU.
 */
#ifndef LF_TRAIN_TRAIN_CUDA_H
#define LF_TRAIN_TRAIN_CUDA_H

#include <stdint.h>

#include "train/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lf_tcuda lf_tcuda;

/* Number of usable CUDA devices (0 when none or no driver). */
int lf_tcuda_devices(void);

/* Creates a trainer for batches of B x T <= max_tokens, T <= max_T, with
 * parameters p ([n], n from lf_tcfg_offsets) and optionally AdamW moments
 * m and v (NULL: zeros); all are copied to the GPU. The environment variable
 * LF_TRAIN_ATTN=flash selects the fused attention kernels (cuda/flash.cu)
 * instead of cuBLAS. With gpus > 1 it trains data parallel on devices
 * 0 .. gpus-1: a replica of the model on each, the gradients summed with
 * NCCL (libnccl.so.2, or $LF_NCCL_LIB, loaded at run time). Returns 0 or
 * -errno with a message in err. */
int lf_tcuda_new(const lf_tcfg *c, const lf_topt *o, int gpus, int max_tokens, int max_T,
                 const float *p, const float *m, const float *v, lf_tcuda **out, lf_err *err);
void lf_tcuda_free(lf_tcuda *t);   /* NULL is fine */
int lf_tcuda_gpus(const lf_tcuda *t);   /* replicas: batches per step */

/* One training step at 0-based step number (forward, backward, global-norm
 * clipping, AdamW at learning rate lr, normally lf_topt_lr(o, step): the
 * library links nothing of lfcore) on b[0 .. gpus-1], batch r on GPU r; the
 * step is the one a single batch holding all of them would give (each
 * target weighs the same). *loss gets the mean loss, *gnorm the gradient
 * norm before clipping (either may be NULL). Returns 0 or -errno. */
int lf_tcuda_step(lf_tcuda *t, long step, float lr, const lf_tbatch *b, double *loss,
                  double *gnorm, lf_err *err);
/* Forward only: adds the summed loss, the counted targets and the targets
 * whose argmax is right to the three outputs. */
int lf_tcuda_eval(lf_tcuda *t, const int32_t *tok, const int32_t *tgt, int B, int T,
                  double *loss_sum, long *n_tgt, long *n_correct, lf_err *err);
/* Copies parameters, moments and the last step's gradients (before
 * clipping) to the host; any of the four may be NULL. With several GPUs
 * the first one's, after checking that every GPU's parameters are the
 * same bit for bit (-EIO if not). */
int lf_tcuda_get(lf_tcuda *t, float *p, float *m, float *v, float *grads, lf_err *err);

/* The table the shared library hands to `llmfuse train` (dlopen). */
typedef struct lf_tcuda_api {
    int abi;   /* LF_TCUDA_ABI */
    int (*devices)(void);
    int (*create)(const lf_tcfg *, const lf_topt *, int, int, int, const float *,
                  const float *, const float *, lf_tcuda **, lf_err *);
    void (*destroy)(lf_tcuda *);
    int (*gpus)(const lf_tcuda *);
    int (*step)(lf_tcuda *, long, float, const lf_tbatch *, double *, double *, lf_err *);
    int (*eval)(lf_tcuda *, const int32_t *, const int32_t *, int, int, double *, long *,
                long *, lf_err *);
    int (*get)(lf_tcuda *, float *, float *, float *, float *, lf_err *);
} lf_tcuda_api;
#define LF_TCUDA_ABI 4
const lf_tcuda_api *lf_tcuda_api_get(void);

#ifdef __cplusplus
}
#endif

#endif
