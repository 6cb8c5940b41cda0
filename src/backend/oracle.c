/* oracle.c: the reference semantics (src/state/apply.c) as a backend. It
 * answers every operation exactly as a perfect model would, in the
 * completion text of PROTOCOL.md §4, so the mount, the server and the
 * evaluator can be exercised end to end without a model. Contract `none`
 * (it reads the base prompt's parts, never a wrapper); no context limit.
 * Stateless, so safe from any number of threads. */
#include <stdlib.h>

#include "backend/backend_int.h"
#include "state/apply.h"

static int oracle_complete(lf_backend *b, const lf_request *req, lf_buf *out,
                           lf_backend_stats *stats, lf_err *err)
{
    (void)b;
    (void)stats;
    lf_op op = {0};
    lf_state *parsed = NULL;
    const lf_op *o = req->op;
    const lf_state *st = req->state;
    lf_answer ans = {0};
    int rc = 0;

    if (!o || !st) { /* only the prompt was given: read it */
        rc = lf_prompt_parse(req->prompt, req->prompt_len, LF_PARSE_LENIENT, &op, &parsed,
                             NULL, err);
        if (rc < 0) {
            lf_err_prefix(err, "oracle: ");
            goto out;
        }
        o = &op;
        st = parsed;
    }
    rc = lf_oracle_answer(st, o, &ans);
    if (rc < 0) {
        rc = lf_err_set(err, -rc, "oracle: cannot answer %s", lf_op_name(o->kind));
        goto out;
    }
    rc = lf_completion_render(o, &ans, out);
    if (rc < 0)
        rc = lf_err_set(err, -rc, "oracle: cannot render the answer to %s",
                        lf_op_name(o->kind));
out:
    lf_answer_free(&ans);
    lf_op_free(&op);
    lf_state_free(parsed);
    return rc;
}

static long oracle_count_tokens(lf_backend *b, const char *text, size_t len)
{
    (void)b;
    (void)text;
    (void)len;
    return -1;
}

static void oracle_free(lf_backend *b)
{
    free(b);
}

static const lf_backend_vt oracle_vt = {
    .name = "oracle",
    .complete = oracle_complete,
    .count_tokens = oracle_count_tokens,
    .free = oracle_free,
};

int lf_backend_oracle_new(const lf_backend_opts *o, lf_backend **out, lf_err *err)
{
    lf_backend *b = calloc(1, sizeof *b);
    if (!b)
        return lf_err_set(err, ENOMEM, "oracle: out of memory");
    b->vt = &oracle_vt;
    b->contract = LF_CONTRACT_NONE;
    b->context_tokens = o->context_tokens > 0 ? o->context_tokens : 0;
    *out = b;
    return 0;
}
