/* bpe_train.h: learns a byte-level BPE (the tokenizer of tok.h) from texts,
 * and writes it as GGUF tokenizer metadata.
 *
 * Texts are split at the special tokens (matched literally), the rest
 * pre-tokenized with the Qwen2 pattern (pretok.h) and counted as words.
 * Training starts from the 256 single bytes (ids 0..255, id = byte value)
 * and repeatedly merges the most frequent adjacent pair (ties: the smaller
 * pair of ids), updating pair counts incrementally from the words that held
 * the pair, until the vocabulary (bytes + merged tokens + specials) reaches
 * the target size or no pair occurs twice. Special tokens take the last ids.
 * Not thread-safe; one trainer per thread.
 */
#ifndef LF_LM_BPE_TRAIN_H
#define LF_LM_BPE_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "lm/gguf.h"
#include "util/err.h"

#define LF_TOKEN_NORMAL 1
#define LF_TOKEN_CONTROL 3
#define LF_TOKEN_USER_DEFINED 4

/* A trained tokenizer; owned by the caller (lf_bpe_free). */
typedef struct lf_bpe {
    size_t n_tokens;
    char **tokens;          /* raw bytes of each token (NUL-terminated copies) */
    size_t *lens;
    int32_t *types;         /* LF_TOKEN_* */
    size_t n_merges;
    int32_t (*merges)[2];   /* token id pairs, by rank (first = applied first) */
    int32_t eos_id;         /* id of "<|endoftext|>", or -1 */
} lf_bpe;

typedef struct lf_bpe_trainer lf_bpe_trainer;

/* A trainer with n special tokens (NUL-terminated texts; types[i] is
 * LF_TOKEN_CONTROL or LF_TOKEN_USER_DEFINED, or types is NULL for CONTROL).
 * Returns NULL on ENOMEM. */
lf_bpe_trainer *lf_bpe_trainer_new(const char *const *specials, const int32_t *types, size_t n);
void lf_bpe_trainer_free(lf_bpe_trainer *tr);
/* Counts the words of text[0..len). Returns 0 or -ENOMEM. */
int lf_bpe_trainer_add(lf_bpe_trainer *tr, const char *text, size_t len);
/* Learns merges up to vocab_size tokens (>= 256 + specials); *out is new. */
int lf_bpe_trainer_train(lf_bpe_trainer *tr, size_t vocab_size, lf_bpe **out, lf_err *err);
void lf_bpe_free(lf_bpe *b);

/* Sets the tokenizer.ggml.* metadata of b in w: model "gpt2", pre "qwen2",
 * tokens (byte-level strings; specials raw), token_type, merges ("A B"),
 * eos_token_id and padding_token_id (the eos), add_bos_token false. */
int lf_bpe_write_gguf(const lf_bpe *b, lf_gguf_writer *w);

#endif
