/* content.h: where the file contents are in protocol text (PROTOCOL.md
 * §2-3): the text of each <body>...</body> of a state document (escaped
 * text or base64, as written) and the data of a write's operation line
 * (raw or base64, as written). A model whose tokenizer sees these bytes one
 * token each (lf_tok_encode_content, the GGUF key llmfuse.content_bytes)
 * can count them by position: where a truncate cuts, where a write at an
 * offset lands. Pure; thread-safe. */
#ifndef LF_PROTO_CONTENT_H
#define LF_PROTO_CONTENT_H

#include <stddef.h>

/* The GGUF key (u32, 1) that marks a model trained so. */
#define LF_CONTENT_BYTES_KEY "llmfuse.content_bytes"

/* Byte ranges [at[2i], at[2i+1]) of a text, in order, disjoint. */
typedef struct lf_spans {
    size_t *at;
    size_t n;              /* ranges */
    size_t cap;            /* entries of at */
} lf_spans;

/* Appends to out the contents in text[0..len): the data of the first
 * "<W>\nwrite(" operation line that parses (lf_op_parse; the line ends at
 * a "\n---\n<filesystem>"), then every body after it (or in the whole
 * text when there is none: a completion). Empty ranges are left out. A
 * text that is not protocol text gives no ranges. Returns 0 or -ENOMEM. */
int lf_content_spans(const char *text, size_t len, lf_spans *out);
/* The contents of an answer to prompt[0..plen): the whole answer when
 * the prompt is a read ("<R>\nread(") and the answer is not an error
 * ("ERROR: "), since a read answers with the file's content; else those of
 * lf_content_spans. Returns 0 or -ENOMEM. */
int lf_content_answer_spans(const char *prompt, size_t plen, const char *answer, size_t alen,
                            lf_spans *out);
void lf_spans_free(lf_spans *s);

#endif
