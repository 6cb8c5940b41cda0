/* ask.h: one question to a backend as a mount asks it, the one loop shared
 * by the mount (fs/mount.c) and `llmfuse eval` (rows and episode replay):
 * the answer is judged (lf_fs_judge, then the caller's own check) and, when
 * refused and alternatives are allowed, followed by the backend's
 * alternative answers (lf_request.attempt) until one is accepted.
 */
#ifndef LF_FS_ASK_H
#define LF_FS_ASK_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/backend.h"
#include "proto/proto.h"
#include "state/state.h"
#include "util/buf.h"
#include "util/err.h"

/* What the caller sees of the loop; every hook may be NULL. */
typedef struct lf_fs_ask_hooks {
    void *ctx;
    /* after lf_fs_judge accepts answer k: 0 takes it, a negative errno
     * refuses it (why set) */
    int (*check)(void *ctx, int k, const lf_answer *ans, lf_err *why);
    /* answer k (0: the greedy one) was refused */
    void (*refused)(void *ctx, int k, const char *text, size_t len, const lf_err *why);
    /* the backend has no answer k > 0 (why: its error) */
    void (*exhausted)(void *ctx, int k, const lf_err *why);
} lf_fs_ask_hooks;

typedef struct lf_fs_asked {
    int judged;        /* 0: the answer taken was accepted; else why not (-EIO) */
    int taken;         /* the accepted answer's number (0: greedy); -1: none */
    int alternatives;  /* alternative answers the backend gave */
    lf_backend_stats bs;   /* seconds and tokens over every call */
} lf_fs_asked;

/* Asks b for req (whose op and state are op and st) and judges the answer.
 * With alternatives > 0 and b->alternatives, a refused answer is followed
 * by alternatives 1, 2, ... up to that many, until one is accepted or the
 * backend has no more; not for a query the mount answers from the state
 * alone (lf_fs_query_precheck), which never reaches a model. Returns 0 or
 * the first call's negative errno (err set). On 0, out holds the answer
 * taken (appended): the first accepted, else the first (greedy) one; *ans
 * (when non-NULL) the accepted answer parsed; jerr (when non-NULL) why the
 * greedy answer was refused, cleared when one was accepted. */
int lf_fs_ask(lf_backend *b, const lf_request *req, const lf_op *op, const lf_state *st,
              int alternatives, const lf_fs_ask_hooks *h, lf_buf *out, lf_answer *ans,
              lf_fs_asked *asked, lf_err *jerr, lf_err *err);

#endif
