/* ask.c: a backend call judged as a mount judges it, with alternative
 * answers after a refusal (ask.h). */
#include "fs/ask.h"

#include <string.h>

#include "fs/check.h"

int lf_fs_ask(lf_backend *b, const lf_request *req, const lf_op *op, const lf_state *st,
              int alternatives, const lf_fs_ask_hooks *h, lf_buf *out, lf_answer *ans,
              lf_fs_asked *asked, lf_err *jerr, lf_err *err)
{
    static const lf_fs_ask_hooks none;
    if (!h)
        h = &none;
    memset(asked, 0, sizeof *asked);
    asked->taken = -1;
    asked->judged = -EIO;
    asked->bs.prompt_tokens = asked->bs.completion_tokens = -1;
    if (!b->alternatives || (!lf_op_is_write(op->kind) && lf_fs_query_precheck(op, st) < 0))
        alternatives = 0;
    lf_request r = *req;
    size_t base = out->len;
    lf_buf alt;
    lf_buf_init(&alt, 0);
    int rc = 0;
    for (int k = 0; k <= alternatives; k++) {
        lf_buf *dst = k ? &alt : out;
        lf_buf_reset(&alt);
        lf_backend_stats bs = {.prompt_tokens = -1, .completion_tokens = -1};
        lf_err ce;
        lf_err_clear(&ce);
        r.attempt = k;
        int brc = lf_backend_complete(b, &r, dst, &bs, k ? &ce : err);
        asked->bs.seconds += bs.seconds;
        if (bs.completion_tokens >= 0)
            asked->bs.completion_tokens = (asked->bs.completion_tokens < 0 ? 0
                                           : asked->bs.completion_tokens) + bs.completion_tokens;
        asked->bs.prompt_tokens = bs.prompt_tokens;
        if (brc < 0) {
            if (k == 0)
                rc = brc;
            else if (h->exhausted)
                h->exhausted(h->ctx, k, &ce);
            break;      /* no answer, or no more alternatives: the first stands */
        }
        if (k)
            asked->alternatives++;
        const char *text = dst->data ? dst->data : "";
        lf_answer a;
        memset(&a, 0, sizeof a);
        lf_err je;
        lf_err_clear(&je);
        int judged = lf_fs_judge(op, st, text, dst->len, &a, &je);
        if (judged == 0 && h->check && (judged = h->check(h->ctx, k, &a, &je)) < 0)
            lf_answer_free(&a);
        if (judged == 0) {
            if (k) {   /* the alternative replaces the greedy answer */
                out->len = base;
                if ((rc = lf_buf_append(out, alt.data ? alt.data : "", alt.len)) < 0) {
                    lf_answer_free(&a);
                    lf_err_set(err, -rc, "out of memory");
                    break;
                }
            }
            asked->judged = 0;
            asked->taken = k;
            if (ans)
                *ans = a;
            else
                lf_answer_free(&a);
            break;
        }
        asked->judged = judged;
        if (jerr && k == 0)
            *jerr = je;   /* why the greedy answer was refused */
        if (h->refused)
            h->refused(h->ctx, k, text, dst->len, &je);
    }
    if (rc == 0 && asked->judged == 0 && jerr)
        lf_err_clear(jerr);
    lf_buf_free(&alt);
    return rc;
}
