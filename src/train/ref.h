/* ref.h: the CPU reference trainer, the executable spec of the CUDA one.
 *
 * Forward and backward of the model in train.h on a batch of B sequences of
 * T tokens, computed in double precision from the fp32 parameters (so the
 * gradient check against finite differences is tight), and a training step
 * (backward, global-norm clipping, AdamW) on fp32 parameters. The loss is the
 * mean cross-entropy over the positions whose target is >= 0 (the completion
 * tokens and the end-of-text token; the prompt and padding carry -1).
 * Not thread-safe; one lf_tref per thread.
 */
#ifndef LF_TRAIN_REF_H
#define LF_TRAIN_REF_H

#include <stdint.h>

#include "train/train.h"

typedef struct lf_tref lf_tref;

/* Allocates activations and gradients for batches of B x T <= max_tokens
 * with T <= maxT <= cfg->ctx. Caller frees with lf_tref_free. */
int lf_tref_new(const lf_tcfg *cfg, int max_tokens, int maxT, lf_tref **out, lf_err *err);
void lf_tref_free(lf_tref *r);   /* NULL is fine */

/* Forward: tok and tgt are [B][T] (tgt -1 where no loss). Returns the mean
 * loss over targets >= 0 (0 if none); n_tgt and n_correct (argmax == target)
 * may be NULL. Keeps what backward needs. NaN if B x T exceeds the sizes
 * given to lf_tref_new. */
double lf_tref_forward(lf_tref *r, const float *p, const int32_t *tok, const int32_t *tgt,
                       int B, int T, long *n_tgt, long *n_correct);
/* Logits of the last forward, [B*T][V] (owned by r). */
const double *lf_tref_logits(const lf_tref *r);
/* Backward of the last forward at the same parameters p: fills the gradient
 * of the mean loss (focal 0), or of the focal-weighted mean (lf_topt.focal:
 * weights (1 - p_target)^focal, held constant), lf_tref_grads()
 * ([n_params] doubles, owned by r). */
void lf_tref_backward(lf_tref *r, const float *p, float focal);
const double *lf_tref_grads(const lf_tref *r);

/* One training step at 0-based step number: forward, backward (o->focal), gradient
 * norm, clipping, AdamW with lf_topt_lr(o, step). Updates p, m, v in place.
 * Returns the loss; *gnorm (may be NULL) gets the norm before clipping. */
double lf_tref_step(lf_tref *r, const lf_topt *o, long step, float *p, float *m, float *v,
                    const uint8_t *decay_mask, const int32_t *tok, const int32_t *tgt,
                    int B, int T, double *gnorm);

#endif
