/* bodylen.h: a decoding constraint for state answers (PROTOCOL.md §3)
 * made of two rules that follow from the answer's own text:
 * - a file's body holds exactly the bytes its `size` attribute declares,
 *   as escaped text or as base64 (4 * ceil(size / 3) characters, '='
 *   padding only where the size puts it), and "</body>" follows at once;
 * - an element's `name` is the last component of the `path` written just
 *   before it (the root's is "/"), byte for byte as escaped there.
 *
 * The local backend decodes <W> answers under it (an lf_gen_constraint), so
 * a model that writes the right size cannot end the body at the wrong byte
 * (the commonest mistake of the bundled model on a truncate), nor run a
 * base64 body past its last letter into more letters where the size
 * leaves only its '=' padding (zero-filled growth: a long run of 'A').
 * An '=' where the size still wants letters is masked too: padding cannot
 * end a base64 body early, so it is a letter miscounted, not a shorter body;
 * and so is an end a few bytes short of the size (a miscount of where the
 * body stops). Otherwise it only cuts: where the model's first choice would end the body early (or break
 * it), the size it wrote is not the body it means, and the constraint
 * steps aside for the rest of the answer rather than pad the body. The
 * size itself is whatever the model wrote. A name is forced outright: the
 * model wrote the path a moment before, and a name that disagrees with it
 * makes the state unparsable whatever else is right (the bundled model's
 * slips are in the name, copied from further away, not in the path).
 * Everything else is left free.
 *
 * It follows the answer's bytes as they are generated (no lookahead), with
 * the tokens given as their byte strings. Pure; one lf_bodylen per answer.
 */
#ifndef LF_PROTO_BODYLEN_H
#define LF_PROTO_BODYLEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The token texts of a vocabulary, with what the constraint needs to know of
 * each; shared read-only by every answer. */
typedef struct lf_bodylen_vocab lf_bodylen_vocab;

/* Copies n token texts (piece[i] of len[i] bytes; NULL for a token with no
 * text, which is then never allowed inside a body). Returns 0 or -ENOMEM.
 * Free with lf_bodylen_vocab_free (NULL is fine). */
int lf_bodylen_vocab_new(const char *const *piece, const size_t *len, int n,
                         lf_bodylen_vocab **out);
void lf_bodylen_vocab_free(lf_bodylen_vocab *v);

typedef struct lf_bodylen {
    const lf_bodylen_vocab *v;
    int mode;              /* outside a body, text, base64, "</body>", off */
    bool have_size;        /* a size="N" was read since the last tag */
    bool in_size;          /* reading its digits */
    bool after_lt;         /* the last byte was '<' (outside a body) */
    uint64_t size;
    uint64_t left;         /* text: bytes still to come; base64: characters */
    unsigned pad;          /* base64: '=' at the end */
    unsigned close;        /* bytes of "</body>" matched */
    unsigned ent_len;      /* text: an entity being read */
    char ent[12];
    unsigned tail_len;     /* outside a body: the last bytes */
    char tail[24];
    bool in_path;          /* reading a path="..." value */
    bool have_path;        /* its last component is known (same tag) */
    unsigned path_len;     /* its bytes */
    unsigned comp_len;     /* its last component, the name to come
                            * (sizeof comp: too long to follow) */
    unsigned name_pos;     /* NAME: bytes of the name matched */
    char comp[256];
} lf_bodylen;

/* Starts an answer (before its first byte). v must outlive g. */
void lf_bodylen_init(lf_bodylen *g, const lf_bodylen_vocab *v);
/* Whether the n bytes at p may come next. */
bool lf_bodylen_allows(const lf_bodylen *g, const char *p, size_t n);
/* Takes the next bytes of the answer. Bytes the constraint does not allow
 * turn it off for the rest of the answer (it then allows everything). */
void lf_bodylen_feed(lf_bodylen *g, const char *p, size_t n);
/* lf_gen_constraint hooks: mask sets logits[i] = -INFINITY for each token i
 * < n that may not come next, and gives a token that runs past the body's
 * end the probability of its longest prefix that fits; it changes nothing
 * and turns the constraint off when no token may come next, or when the
 * largest logit is a token that would end or break the body early. feed
 * takes token tok's text. ctx is an lf_bodylen. */
void lf_bodylen_mask(void *ctx, float *logits, int n);
void lf_bodylen_feed_token(void *ctx, int32_t tok);

#endif
