/* data.h: training data for the trainer. Reads JSONL rows {prompt,
 * completion[, meta]} (PROTOCOL.md §8), makes each row's tokens
 *     encode(prompt) ++ encode(completion) ++ [end-of-text]
 * (contract profile "none": no wrapper; prompt and completion are encoded
 * separately so the loss boundary is exact and the prompt tokens are what
 * inference sees), and cuts length-bucketed batches: rows sorted by length,
 * grouped so that B x T <= batch_tokens (T the longest row of the group,
 * rounded up), each row padded at its end. The loss covers the completion
 * tokens and the end-of-text token only (PROTOCOL.md §4): targets of prompt
 * and padding positions are -1. Each epoch visits the batches in a new
 * order drawn from the seed. Not thread-safe.
 */
#ifndef LF_TRAIN_DATA_H
#define LF_TRAIN_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lm/tok.h"
#include "train/train.h"
#include "util/err.h"

/* Appends the ids of text[0..len) to ids (ids->v grown with realloc, as
 * lf_ids_push does): a row's prompt (prompt NULL), or its completion
 * (prompt[0..plen) is that row's prompt, for an encoding that depends on
 * it). Returns 0 or a negative errno. */
typedef int (*lf_tenc_fn)(void *ctx, const char *text, size_t len, const char *prompt,
                          size_t plen, lf_ids *ids);

/* The encoder of rows for a GGUF tokenizer (lf_tenc_tok is its ctx):
 * lf_tok_encode, or with content_bytes the file contents one token per
 * byte (lf_tok_encode_content for a prompt, lf_tok_encode_answer for a
 * completion), as a model marked llmfuse.content_bytes reads them. */
typedef struct lf_tenc_tok {
    const lf_tok *tok;
    bool special;          /* special tokens parsed */
    bool content_bytes;
} lf_tenc_tok;
int lf_tenc_tok_fn(void *ctx, const char *text, size_t len, const char *prompt, size_t plen,
                   lf_ids *ids);

typedef struct lf_tdata {
    int32_t *ids;        /* every kept row's tokens, concatenated */
    size_t *off;         /* [n_rows+1] row r is ids[off[r] .. off[r+1]) */
    uint32_t *plen;      /* [n_rows] prompt tokens of row r */
    size_t n_rows, n_dropped, n_tokens;   /* dropped: longer than max_len+1 tokens */
    size_t cap_ids, cap_rows;             /* allocated */
} lf_tdata;

/* Reads and tokenizes a JSONL file (each line capped at 64 MiB). Rows with
 * more than max_len+1 tokens are dropped and counted. d is filled (caller
 * frees with lf_tdata_free). */
int lf_tdata_load(const char *path, lf_tenc_fn enc, void *enc_ctx, int32_t eos, int max_len,
                  lf_tdata *d, lf_err *err);
/* Loads n JSONL files at once, one thread each (enc must be thread-safe),
 * into d with the rows in file order: the same rows as loading the files one
 * after another. Returns 0 or -errno (the first failing file's error). */
int lf_tdata_load_files(const char *const *paths, size_t n, lf_tenc_fn enc, void *enc_ctx,
                        int32_t eos, int max_len, lf_tdata *d, lf_err *err);
/* Adds one row (used by lf_tdata_load and by tests). */
int lf_tdata_add(lf_tdata *d, const char *prompt, size_t plen, const char *completion,
                 size_t clen, lf_tenc_fn enc, void *enc_ctx, int32_t eos, int max_len);
void lf_tdata_free(lf_tdata *d);

typedef struct lf_tbatcher lf_tbatcher;
/* Plans batches over d (which must outlive the batcher): T is a multiple of
 * align (capped at max_len), B x T <= batch_tokens unless one row alone is
 * longer. Fails with -EINVAL on an empty dataset. */
int lf_tbatcher_new(const lf_tdata *d, int batch_tokens, int align, int max_len,
                    uint64_t seed, lf_tbatcher **out, lf_err *err);
void lf_tbatcher_free(lf_tbatcher *b);
size_t lf_tbatcher_count(const lf_tbatcher *b);
/* Largest B x T and largest T of any batch (to size buffers). */
int lf_tbatcher_max_tokens(const lf_tbatcher *b);
int lf_tbatcher_max_T(const lf_tbatcher *b);
/* Fills out with the next batch (buffers owned by the batcher, valid for
 * the next `slots` calls: 1, or g after lf_tbatcher_group); moves to a new
 * epoch after the last one. */
void lf_tbatcher_next(lf_tbatcher *b, lf_tbatch *out);
/* Batch i of the plan (in plan order, no shuffling), for evaluation. */
void lf_tbatcher_get(lf_tbatcher *b, size_t i, lf_tbatch *out);
/* Position for checkpoints: batches served so far; seek replays to it. */
uint64_t lf_tbatcher_pos(const lf_tbatcher *b);
void lf_tbatcher_seek(lf_tbatcher *b, uint64_t pos);
/* Serves the batches in groups of g neighbours of the plan (rows of about
 * the same length: the same T), for g GPUs that take one each in a step
 * and then wait for the slowest, each batch in a buffer of its own that
 * stays valid for the next g calls. The groups are shuffled and each is
 * served whole from a position that is a multiple of g (the plan's last
 * n mod g batches come at the end of the epoch). 1 (the default) is a
 * plain shuffle; g above the batch count orders as 1. Call before seek.
 * Returns 0 or -ENOMEM (the batcher unchanged). */
int lf_tbatcher_group(lf_tbatcher *b, int g);

#endif
