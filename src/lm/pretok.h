/* pretok.h: the Qwen2 pre-tokenizer split shared by the tokenizer (tok.c)
 * and the BPE trainer (bpe_train.c), with the Unicode classes it needs.
 *
 * The pattern (llama.cpp LLAMA_VOCAB_PRE_TYPE_QWEN2, HF Qwen2 tokenizer.json):
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}
 *   | ?[^\s\p{L}\p{N}]+[\r\n]* | \s*[\r\n]+ | \s+(?!\S) | \s+
 * implemented by hand (pretok.c explains each branch); the contraction
 * branch is ASCII case-insensitive, as in llama.cpp. Bytes that are not valid
 * UTF-8 are taken one at a time as "other" characters (like U+FFFD, which is
 * what they would become in llama.cpp) but keep their own bytes, so every
 * input is split and re-joining the pieces gives the input back.
 * Pure functions; thread-safe.
 */
#ifndef LF_LM_PRETOK_H
#define LF_LM_PRETOK_H

#include <stddef.h>
#include <stdint.h>

enum { LF_UC_OTHER = 0, LF_UC_LETTER = 1, LF_UC_NUMBER = 2, LF_UC_SPACE = 3 };

typedef struct lf_uni_range {
    uint32_t lo, hi;
    uint8_t cls;
} lf_uni_range;

extern const lf_uni_range lf_uni_ranges[];   /* unicode_tab.c (generated) */
extern const size_t lf_uni_n_ranges;

/* Class of a code point: LF_UC_LETTER (\p{L}), LF_UC_NUMBER (\p{N}),
 * LF_UC_SPACE (White_Space) or LF_UC_OTHER. */
int lf_uni_class(uint32_t cp);

/* Called once per pre-token, in order; p[0..n) is a non-empty slice of the
 * text. A non-zero return stops the split and is returned by it. */
typedef int (*lf_pretok_fn)(void *ctx, const char *p, size_t n);

/* Splits text[0..len) into pre-tokens; returns 0, -ENOMEM, or what fn returned. */
int lf_pretok_split(const char *text, size_t len, lf_pretok_fn fn, void *ctx);

#endif
