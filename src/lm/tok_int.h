/* tok_int.h: internals shared by the tokenizer (tok.c) and the BPE trainer
 * (bpe_train.c): GPT-2's reversible byte-to-unicode alphabet.
 *
 * Bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF stand for themselves (as code
 * points); the other 68 bytes map, in increasing order, to U+0100..U+0143
 * (so ' ' is 'Ġ' U+0120 and '\n' is 'Ċ' U+010A). Vocabulary and merge strings
 * in GGUF files are written in this alphabet. Pure functions; thread-safe.
 */
#ifndef LF_LM_TOK_INT_H
#define LF_LM_TOK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Code point that stands for byte b. */
uint32_t lf_bytelevel_cp(uint8_t b);
/* Appends the UTF-8 of the byte-level string for raw bytes p[0..n). */
int lf_bytelevel_encode(const void *p, size_t n, lf_buf *out);
/* Appends the raw bytes that the byte-level string s[0..n) stands for;
 * -EINVAL if s holds a character outside the alphabet. */
int lf_bytelevel_decode(const char *s, size_t n, lf_buf *out);

#endif
