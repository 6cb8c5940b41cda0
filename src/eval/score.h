/* score.h: how `llmfuse eval` judges one raw answer against one expected
 * completion, without flattering it (docs/EVAL.md).
 *
 * Exact match is byte equality of the raw answer and the expected
 * completion; the only transformation is PROTOCOL.md §4's cut of the
 * sentinel for <W> rows (lf_eval_cut), applied to both alike. Nothing is trimmed, and the
 * expectation is never used to clean the answer. Around that verdict the
 * scorer says *why* an answer is not exact: whether it parses under the
 * strict completion parser (what the mount would accept), whether the state
 * it describes is nevertheless the right one (other text, same canonical
 * tree), has the right structure (same paths, names and kinds) but wrong
 * bytes (contents, modes, owners, targets), or is wrong outright; and it
 * shows the first divergence with some context.
 * Pure functions; thread-safe. */
#ifndef LF_EVAL_SCORE_H
#define LF_EVAL_SCORE_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/proto.h"
#include "state/state.h"
#include "util/buf.h"

/* Why an answer is not exact (LF_WHY_EXACT when it is). */
typedef enum {
    LF_WHY_EXACT = 0,
    LF_WHY_BACKEND,       /* the backend failed (no answer) */
    LF_WHY_PROMPT,        /* the row's prompt does not parse: only bytes compared */
    LF_WHY_UNPARSED,      /* the answer does not parse (strict) */
    LF_WHY_ERR_FOR_OK,    /* answered ERROR where the expected answer is a success */
    LF_WHY_OK_FOR_ERR,    /* answered a success where an ERROR is expected */
    LF_WHY_ERRNO,         /* ERROR with another errno */
    LF_WHY_SAME_STATE,    /* <W>: parses to the expected state; other text (spelling) */
    LF_WHY_STRUCTURE,     /* <W>: right structure, wrong bytes */
    LF_WHY_TREE,          /* <W>: wrong structure */
    LF_WHY_SAME_LIST,     /* readdir: the expected names, other spelling */
    LF_WHY_LIST,          /* readdir: other names, or the right ones out of order */
    LF_WHY_BYTES,         /* read/readlink: other content */
    LF_WHY__COUNT
} lf_eval_why;

/* The §4 cut, as the completion parser makes it: for a <W> row, the text up
 * to the first "<END_FS>", without the one line break before it that
 * belongs to the sentinel ("\n<END_FS>"; a /generate server that cuts at
 * <END_FS> may or may not have kept that break). Returns the length kept:
 * len itself for <R> rows. */
size_t lf_eval_cut(const char *text, size_t len, bool is_write);

/* Short label of a reason ("right structure, wrong bytes", ...). */
const char *lf_eval_why_name(lf_eval_why w);
/* Identifier for JSON ("structure", ...). */
const char *lf_eval_why_id(lf_eval_why w);

typedef struct lf_eval_verdict {
    bool exact;
    int parses;          /* 1/0: the strict completion parser accepts the answer; -1 n/a */
    int state_right;     /* <W>: 1 when the mount would end in the expected state
                            (exact, same state, or the expected ERROR); 0; -1 n/a */
    int structure;       /* <W> states: 1 same paths/names/kinds; 0; -1 n/a */
    lf_eval_why why;
    /* the first divergence of the (cut) texts; empty when exact */
    size_t diff_off;
    char *diff_before;   /* up to 40 bytes before it (printable escapes) */
    char *diff_expected; /* up to 40 bytes of the expected text from it */
    char *diff_got;      /* up to 40 bytes of the answer from it */
} lf_eval_verdict;

void lf_eval_verdict_free(lf_eval_verdict *v);

/* Scores answer against expected for op on cur (the prompt's state; op and
 * cur NULL when the prompt did not parse: bytes only). is_write picks the
 * <END_FS> cut. v is filled (free with lf_eval_verdict_free). Returns 0 or
 * -ENOMEM. */
int lf_eval_score(const lf_op *op, const lf_state *cur, bool is_write, const char *answer,
                  size_t alen, const char *expected, size_t elen, lf_eval_verdict *v);

/* True if a and b have the same tree shape: the same paths, with the same
 * kinds, whatever their contents, modes, owners or targets. */
bool lf_eval_same_shape(const lf_state *a, const lf_state *b);

/* Parses an expected completion (a dataset label) for op: a <W> state in
 * lenient mode (the original's labels), everything else as
 * lf_completion_parse does. Returns 0 or a negative errno. */
int lf_eval_parse_expected(const lf_op *op, const lf_state *cur, const char *text, size_t len,
                           lf_answer *out);

/* Appends p[0..n) as readable UTF-8 text: \n, \t, \r, \\ escaped, and
 * \xNN for other control bytes and bytes that are not UTF-8 (for excerpts). */
int lf_eval_escape(const void *p, size_t n, lf_buf *out);

#endif
