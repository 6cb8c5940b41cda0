/* tok.h: byte-level BPE tokenizer read from GGUF metadata
 * (tokenizer.ggml.model = "gpt2", tokenizer.ggml.pre = "qwen2": tokens,
 * merges, token_type, special token ids), as Qwen3 and our own models use.
 *
 * encode() splits text with the Qwen2 pre-tokenizer pattern, maps bytes to
 * the GPT-2 byte-to-unicode alphabet and applies merges by rank; special
 * tokens (token_type CONTROL or USER_DEFINED) are matched literally first
 * when parse_special is set. decode of ids gives back the exact bytes, so
 * encode/decode round-trips arbitrary bytes. Immutable after load;
 * thread-safe.
 */
#ifndef LF_LM_TOK_H
#define LF_LM_TOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lm/gguf.h"
#include "util/buf.h"
#include "util/err.h"

typedef struct lf_tok lf_tok;

/* A growable vector of token ids. */
typedef struct lf_ids {
    int32_t *v;
    size_t n, cap;
} lf_ids;
int lf_ids_push(lf_ids *ids, int32_t id);
void lf_ids_free(lf_ids *ids);

/* Loads the tokenizer from a GGUF file's metadata; the reader must outlive it
 * only during this call (everything is copied). */
int lf_tok_load(const lf_gguf *g, lf_tok **out, lf_err *err);
void lf_tok_free(lf_tok *t);

size_t lf_tok_vocab_size(const lf_tok *t);
/* The end-of-text token (tokenizer.ggml.eos_token_id), or -1. */
int32_t lf_tok_eos(const lf_tok *t);
/* Id of a token whose text is exactly s (special or not), or -1. */
int32_t lf_tok_find(const lf_tok *t, const char *s);

/* Appends the ids of text[0..len) to ids. */
int lf_tok_encode(const lf_tok *t, const char *text, size_t len, bool parse_special,
                  lf_ids *ids);
/* The token whose text is the single byte b (a byte-level vocabulary has
 * one for each: lf_tok_load checks). */
int32_t lf_tok_byte(const lf_tok *t, unsigned char b);
/* tok_content.c: as lf_tok_encode, except that every byte of the file
 * contents in text (proto/content.h: bodies and a write's data) is a token
 * of its own (the vocabulary's byte tokens), and the text around them is
 * encoded piece by piece. For models trained so (llmfuse.content_bytes, lf_model): a byte's
 * position is then its offset, which the model can count. */
int lf_tok_encode_content(const lf_tok *t, const char *text, size_t len, bool parse_special,
                          lf_ids *ids);
/* tok_content.c: as lf_tok_encode_content for an answer to prompt[0..plen):
 * a read's answer (the file's content) is all one token per byte too
 * (proto/content.h lf_content_answer_spans). */
int lf_tok_encode_answer(const lf_tok *t, const char *prompt, size_t plen, const char *text,
                         size_t len, bool parse_special, lf_ids *ids);
/* One merge the tokenizer applies: parts a and b make the token made;
 * rank is its place in tokenizer.ggml.merges. */
typedef struct lf_tok_merge {
    int32_t rank, a, b, made;
} lf_tok_merge;
/* The merges the tokenizer applies, in rank order, as a new array (*out,
 * *n entries; free() it): a repeated pair once, at its first rank; none
 * whose parts or result are not tokens. Returns 0 or -ENOMEM. */
int lf_tok_merges(const lf_tok *t, lf_tok_merge **out, size_t *n);
/* tok_prune.c: the merges a model has not learned, left out of its
 * tokenizer. counts[i] is how often token i occurs in the encodings of a
 * corpus (lf_tok_vocab_size entries). Encoding that corpus makes a merge's
 * token once for each of its occurrences and once for each time a token
 * made from it is made (*made_counts, if not NULL, gets these per token;
 * free() it). The merges whose token is made fewer than min times are left
 * out: the corpus encodes the same without the ones made 0 times, and text
 * that would need one (a rare name) is encoded with the smaller tokens it
 * is made of, which the model has seen. Writes g (t must be its tokenizer)
 * to path with those merges removed from tokenizer.ggml.merges, the key
 * LF_TOK_PRUNED_KEY set to how many there were (added to an earlier
 * prune's), and every other key and tensor as it was. *pruned gets the
 * number removed now. Returns 0 or a negative errno with err set. */
int lf_tok_prune_gguf(const lf_gguf *g, const lf_tok *t, const uint64_t *counts, uint64_t min,
                      const char *path, size_t *pruned, uint64_t **made_counts, lf_err *err);
#define LF_TOK_PRUNED_KEY "tokenizer.llmfuse.pruned_merges"

/* The GGUF token type of id (1 normal, 3 control, 4 user-defined, ...), or
 * -1 if id is out of range. Added by the tokenizer implementation. */
int lf_tok_type(const lf_tok *t, int32_t id);
/* The raw bytes of one token (special tokens give their text). */
int lf_tok_piece(const lf_tok *t, int32_t id, const char **bytes, size_t *len);
/* Appends the bytes of ids to out. */
int lf_tok_decode(const lf_tok *t, const int32_t *ids, size_t n, lf_buf *out);

#endif
