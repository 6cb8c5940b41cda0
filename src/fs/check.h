/* check.h: the mount's pure judgement of model answers, split out of the
 * FUSE code so it can be unit-tested without a mount.
 *
 * - lf_fs_check_state: does a <W> answer's new state reflect the operation?
 *   A shape check against the old state (docs/PROTOCOL.md §6), not a call to
 *   the oracle: after mkdir the directory exists, empty, with the asked mode;
 *   after write the bytes at [offset, offset+len) are the data and the rest
 *   of the file is the old content or zero fill; after rename the source is
 *   gone and the destination holds the source's subtree; and in every case
 *   every other node of the tree is unchanged.
 * - lf_fs_judge: parse and check, the one judgement the mount and
 *   `llmfuse eval --episodes` apply to a raw answer;
 * - the one errno mapping table from model answers and backend failures to
 *   what a FUSE handler returns;
 * - name checks (PROTOCOL.md §3: a name the state cannot carry is EINVAL);
 * - a short first-difference excerpt for log lines.
 * All functions are pure and thread-safe.
 */
#ifndef LF_FS_CHECK_H
#define LF_FS_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/proto.h"
#include "state/state.h"
#include "util/buf.h"
#include "util/err.h"

/* Checks that new_st is a state op could have produced from old, assuming
 * the op succeeded. Returns 0 if it is, or -EIO with err saying what is
 * wrong ("mkdir: /a is missing from the new state", "other paths changed:
 * first difference at docs/x"). Neither state is changed. Query ops
 * (read, readdir, readlink) are not <W> ops: -EINVAL. */
int lf_fs_check_state(const lf_op *op, const lf_state *old, const lf_state *new_st,
                      lf_err *err);

/* Checks that a query answer has the kind the op needs and, for readdir,
 * that every name is a valid single component. Returns 0 or -EIO with err. */
int lf_fs_check_query(const lf_op *op, const lf_answer *ans, lf_err *err);

/* The whole judgement of a raw answer to op on the state old, as the mount
 * takes it: parses it (lf_completion_parse) into *ans and checks it: a <W>
 * answer must be an ERROR or a state that passes lf_fs_check_state, a query
 * answer must pass lf_fs_check_query. Returns 0 with *ans filled, or -EIO
 * with err saying why the answer is refused and *ans empty. */
int lf_fs_judge(const lf_op *op, const lf_state *old, const char *text, size_t len,
                lf_answer *ans, lf_err *err);

/* Local preconditions of a query (PROTOCOL.md §6), answered from the state
 * before the model is asked: read needs a file (ENOENT, EISDIR, EINVAL for a
 * symlink), readdir a directory (ENOENT, ENOTDIR), readlink a symlink
 * (ENOENT, EINVAL). Returns 0 or the negative errno. */
int lf_fs_query_precheck(const lf_op *op, const lf_state *st);

/* The mapping table. A model's `ERROR: ENAME` (positive errno) becomes the
 * FUSE return value: the same errno, negated, when it is one a filesystem
 * operation can report; -EIO otherwise. */
int lf_fs_errno_from_model(int e);
/* A backend failure (negative errno from lf_backend_complete or
 * lf_backend_budget) becomes the FUSE return: -ENOSPC and -ENOMEM pass,
 * everything else (timeouts, refused connections, bad HTTP) is -EIO. */
int lf_fs_errno_from_backend(int rc);

/* True if every component of the absolute path can be a name in the state:
 * non-empty, at most 255 bytes, valid UTF-8 without control bytes (§3). */
bool lf_fs_path_ok(const char *path);

/* Whether the op's names can be carried by the state: 0 if so;
 * -ENAMETOOLONG for a component over 255 bytes; -EINVAL when lf_fs_path_ok
 * fails for the path (or a rename's destination) or a symlink's content is
 * empty or holds bytes an XML attribute cannot (§3). */
int lf_fs_op_names_check(const lf_op *op);

/* Appends "at byte N: expected '...' got '...'" for the first byte where a
 * and b differ (or their lengths, when one is a prefix of the other), with
 * non-printable bytes escaped and at most ~40 bytes of each side. Appends
 * "identical" if they are equal. */
int lf_fs_diff_excerpt(const void *a, size_t na, const void *b, size_t nb, lf_buf *out);

/* Appends at most max bytes of p as printable text (\n, \xNN escapes),
 * followed by "..." when cut. For log lines. */
int lf_fs_excerpt(const void *p, size_t n, size_t max, lf_buf *out);

#endif
