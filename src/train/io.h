/* io.h: the trainer's files: checkpoints (parameters, AdamW moments and the
 * position in the run, to resume) and the GGUF export the engine loads.
 *
 * A checkpoint is one byte stream (little-endian header, then fp32
 * parameters, first moments, second moments) cut into parts of at most
 * LF_CKPT_PART bytes: FILE, FILE.1, FILE.2, ... so that every part fits the
 * 16 MiB a device run may return per file. Parts are replaced atomically one
 * by one; a stale extra part is removed.
 */
#ifndef LF_TRAIN_IO_H
#define LF_TRAIN_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lm/gguf.h"
#include "train/train.h"

#define LF_CKPT_PART ((size_t)15 << 20)

typedef struct lf_tckpt {
    lf_tcfg cfg;
    int64_t step;        /* optimiser steps done */
    uint64_t data_pos;   /* batches served (lf_tbatcher_pos) */
    uint64_t seed;
    size_t n;            /* parameters */
    float *p, *m, *v;    /* [n] each; owned by the struct after load */
} lf_tckpt;

/* Writes c to path (and path.1, ... as needed). Returns 0 or -errno. */
int lf_tckpt_save(const char *path, const lf_tckpt *c, lf_err *err);
/* Reads a checkpoint; c->p/m/v are allocated (free with lf_tckpt_free). */
int lf_tckpt_load(const char *path, lf_tckpt *c, lf_err *err);
void lf_tckpt_free(lf_tckpt *c);

/* Weight types for export. Norm vectors are always F32. */
typedef enum { LF_TEXPORT_F32, LF_TEXPORT_F16, LF_TEXPORT_BF16 } lf_texport_type;

/* Writes the model with parameters p as GGUF for the engine: qwen3 keys,
 * the engine's tensor names (wqkv and wgu split), llmfuse.protocol = 1,
 * llmfuse.contract = "none", llmfuse.content_bytes = 1 when content_bytes
 * (it was trained on lf_tok_encode_content's text), and every tokenizer.*
 * key of tok (may be NULL). Returns 0 or -errno. */
int lf_texport_gguf(const char *path, const lf_tcfg *c, const float *p, lf_texport_type type,
                    bool content_bytes, const lf_gguf *tok, lf_err *err);

/* The other way: the weights of an engine GGUF (as written by
 * lf_texport_gguf, any of F32/F16/BF16/Q8_0) as trainer parameters. c's
 * shape fields are replaced by the file's (its other fields are kept);
 * *out is malloc'd (caller frees). Returns 0 or -errno. */
int lf_timport_gguf(const lf_gguf *g, lf_tcfg *c, float **out, lf_err *err);

/* Checkpoint averaging: writes to out the element-wise mean of the weights
 * of the n GGUF models in[] (each tensor computed in fp32 and stored in its
 * own type: F32, F16 or BF16), with the first file's metadata. Every file
 * must hold the same tensors, in the same order, type and shape; else
 * -EINVAL with the first difference in err, and nothing is written.
 * Returns 0 or -errno. */
int lf_tmodel_average(const char *const *in, int n, const char *out, lf_err *err);

#endif
