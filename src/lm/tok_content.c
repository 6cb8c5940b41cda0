/* tok_content.c: lf_tok_encode_content and lf_tok_encode_answer (tok.h):
 * file contents one byte token each, the rest of the text as lf_tok_encode
 * encodes it. Apart from tok.c, which knows nothing of the protocol. */
#include "lm/tok.h"

#include "proto/content.h"

/* text with the ranges sp (lf_spans) one token per byte. */
static int encode_spans(const lf_tok *t, const char *text, size_t len, bool parse_special,
                        const lf_spans *sp, lf_ids *ids)
{
    int rc = 0;
    size_t at = 0;
    for (size_t i = 0; i < sp->n && !rc; i++) {
        size_t a = sp->at[2 * i], b = sp->at[2 * i + 1];
        rc = lf_tok_encode(t, text + at, a - at, parse_special, ids);
        for (size_t k = a; k < b && !rc; k++)
            rc = lf_ids_push(ids, lf_tok_byte(t, (unsigned char)text[k]));
        at = b;
    }
    if (!rc)
        rc = lf_tok_encode(t, text + at, len - at, parse_special, ids);
    return rc;
}

int lf_tok_encode_content(const lf_tok *t, const char *text, size_t len, bool parse_special,
                          lf_ids *ids)
{
    lf_spans sp = {0};
    int rc = lf_content_spans(text, len, &sp);
    if (!rc)
        rc = encode_spans(t, text, len, parse_special, &sp, ids);
    lf_spans_free(&sp);
    return rc;
}

int lf_tok_encode_answer(const lf_tok *t, const char *prompt, size_t plen, const char *text,
                         size_t len, bool parse_special, lf_ids *ids)
{
    lf_spans sp = {0};
    int rc = lf_content_answer_spans(prompt, plen, text, len, &sp);
    if (!rc)
        rc = encode_spans(t, text, len, parse_special, &sp, ids);
    lf_spans_free(&sp);
    return rc;
}
