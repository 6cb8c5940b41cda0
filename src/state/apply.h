/* apply.h: the reference semantics (PROTOCOL.md §6): what the correct answer
 * to an operation is. This is the oracle: the oracle backend, `llmfuse oracle`,
 * `gen --oracle`, --verify and the evaluator all call it. */
#ifndef LF_STATE_APPLY_H
#define LF_STATE_APPLY_H

#include "proto/proto.h"
#include "state/state.h"

/* Applies op to st. For a <W> operation that succeeds, st is changed in place
 * and 0 is returned; for a query, st is untouched and the answer is written
 * to *ans (LF_ANS_LIST or LF_ANS_BYTES; ans may be NULL for <W>). On a
 * failing operation st is untouched and the positive errno (ENOENT, ...) is
 * returned. Returns a negative value only for internal failures (-ENOMEM). */
int lf_state_apply(lf_state *st, const lf_op *op, lf_answer *ans);

/* The correct completion for op on st as an answer (LF_ANS_STATE with a new
 * state, LF_ANS_ERROR, LF_ANS_LIST or LF_ANS_BYTES). st is not changed. */
int lf_oracle_answer(const lf_state *st, const lf_op *op, lf_answer *out);

#endif
