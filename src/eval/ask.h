/* ask.h: one question to a backend as a mount asks it, shared by eval's
 * row run (run.c) and episode replay (episodes.c): the answer is judged
 * (lf_fs_judge) and, when refused and alternatives are allowed, followed by
 * the backend's alternative answers until one is accepted (fs/mount.c does
 * the same for a mounted filesystem). */
#ifndef LF_EVAL_ASK_H
#define LF_EVAL_ASK_H

#include "backend/backend.h"
#include "proto/proto.h"
#include "state/state.h"
#include "util/buf.h"
#include "util/err.h"

typedef struct lf_eval_asked {
    int judged;        /* 0: the answer taken was accepted; -EIO: refused */
    int alternatives;  /* alternatives asked for */
    lf_backend_stats bs;   /* seconds and tokens over every call */
} lf_eval_asked;

/* Asks b for req (whose op and state are op and st) and judges the answer.
 * With alternatives > 0 and b->alternatives, a refused answer is followed
 * by alternatives 1, 2, ... up to that many, until one is accepted or the
 * backend has no more; not for a query the mount answers from the state
 * alone (lf_fs_query_precheck), which the mount never asks the model. Returns 0 or the first call's negative errno (err
 * set). On 0, out holds the answer taken: the first accepted, else the
 * first (the greedy) answer; *ans (when non-NULL) holds the accepted answer
 * parsed, and jerr (when non-NULL) why the answer taken was refused. */
int lf_eval_ask(lf_backend *b, const lf_request *req, const lf_op *op, const lf_state *st,
                int alternatives, lf_buf *out, lf_answer *ans, lf_eval_asked *asked,
                lf_err *jerr, lf_err *err);

#endif
