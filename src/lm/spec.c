/* spec.c: copy-speculative greedy decoding. The answers this engine gives
 * (the next filesystem state) mostly copy spans of the prompt, so the next
 * tokens are drafted by finding the longest earlier occurrence of the
 * sequence's suffix (an n-gram match, like prompt-lookup decoding) and
 * proposing the tokens that followed it. One batched forward verifies the
 * pending token plus the whole draft; the longest prefix of the draft that
 * greedy decoding agrees with is accepted, plus greedy's own next token,
 * and the KV cache is rolled back past the rest. Because a batched forward
 * gives bit-identical logits to one-token steps (kernels.h), the output is
 * exactly plain greedy's. The draft length adapts: doubled after a full
 * accept (up to spec_max), back to one token after a miss. A miss usually
 * means the answer has left the span being copied (a changed attribute, a
 * new element), where the next long draft would copy the wrong text: one
 * short draft finds out whether a new match holds before the length
 * doubles again. When no match of spec_min_match tokens exists, a match of
 * the last token alone drafts one token: a forward of two tokens costs
 * little more than one.
 *
 * The policy was chosen by replaying it over the greedy traces of the
 * bench's 40 <W> rows (bench/RESULTS.md) with measured forward costs: on
 * those rows it makes about 5% fewer forward-milliseconds than halving
 * with a floor of 4 did. */
#include <stdlib.h>
#include <string.h>

#include "lm/gen_internal.h"

#define MAX_MATCH 64   /* longest suffix compared */

int lf_spec_draft(const int32_t *hist, int n, int min_match, int max, int32_t *draft)
{
    if (n < 2 || max <= 0)
        return 0;
    int best_j = -1, best_m = 0;
    int32_t last = hist[n - 1];
    for (int j = n - 2; j >= 0; j--) {
        if (hist[j] != last)
            continue;
        int m = 1;
        while (m < MAX_MATCH && j - m >= 0 && hist[j - m] == hist[n - 1 - m])
            m++;
        if (m > best_m) {
            best_m = m;
            best_j = j;
            if (m == MAX_MATCH)
                break;
        }
    }
    if (best_j < 0 || best_m < min_match)
        return 0;
    /* copy what followed; past the end of hist the copy continues from the
     * draft itself, so a repeating span of period n-1-best_j keeps going */
    for (int i = 0; i < max; i++) {
        int idx = best_j + 1 + i;
        draft[i] = idx < n ? hist[idx] : draft[idx - n];
    }
    return max;
}

int lf_spec_decode(lf_gen_run *r, int32_t cur, lf_err *err)
{
    lf_ctx *c = r->c;
    const lf_gen_opts *o = r->o;
    int vocab = lf_ctx_model(c)->cfg.vocab, cap = lf_ctx_capacity(c);
    int32_t *hist = malloc((size_t)(cap + 1) * sizeof *hist);
    int32_t *batch = malloc((size_t)(o->spec_max + 1) * sizeof *batch);
    int rc = 0;
    if (!hist || !batch) {
        rc = lf_err_set(err, ENOMEM, "spec: out of memory");
        goto out;
    }
    int k_want = o->spec_max < 8 ? o->spec_max : 8;
    for (;;) {
        int pos = lf_ctx_pos(c);
        if (pos >= cap) {
            r->st->stop = LF_STOP_CONTEXT;
            break;
        }
        /* history: the cache's tokens, then the pending one */
        memcpy(hist, lf_ctx_tokens(c), (size_t)pos * sizeof *hist);
        hist[pos] = cur;
        int room = cap - pos - 1;
        int kmax = k_want < room ? k_want : room;
        if (o->max_tokens) {
            size_t left = o->max_tokens - r->n_emitted; /* > 0: emit said go on */
            if ((size_t)kmax > left)
                kmax = (int)left;
        }
        batch[0] = cur;
        int k = lf_spec_draft(hist, pos + 1, o->spec_min_match, kmax, batch + 1);
        if (k == 0 && o->spec_min_match > 1)
            k = lf_spec_draft(hist, pos + 1, 1, kmax < 1 ? kmax : 1, batch + 1);
        if ((rc = lf_forward(c, batch, k + 1, true, r->logits, err)))
            break;
        r->st->forwards++;
        r->st->drafted += k;
        int acc = 0, done = 0;
        for (int i = 0; i <= k; i++) {
            int32_t t = lf_gen_greedy(r, r->logits + (size_t)i * vocab, vocab);
            done = lf_gen_emit(r, t, err);
            if (done < 0) {
                rc = done;
                goto out;
            }
            cur = t;
            if (i < k && t == batch[i + 1] && !done) {
                acc++;
                continue;
            }
            break;
        }
        r->st->accepted += acc;
        /* keep the pending token and the accepted draft tokens */
        lf_ctx_truncate(c, pos + 1 + acc);
        if (done)
            break;
        if (k > 0)
            k_want = acc == k ? (k_want * 2 < o->spec_max ? k_want * 2 : o->spec_max) : 1;
    }
out:
    free(hist);
    free(batch);
    return rc;
}
