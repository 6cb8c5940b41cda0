/* reffs.h: the reference filesystem: a loopback FUSE filesystem over a real
 * directory that reports one row for each call of PROTOCOL.md §2 (mkdir,
 * create, write, truncate, unlink, rmdir, rename, chmod, chown, symlink,
 * readdir, read, readlink): the op as the kernel sent it, the state of the
 * backing directory before it (read directly, never through the mount), and
 * the answer (the state after it, the names or bytes read from the backing
 * directory, or the errno of the real call). getattr, open, utimens and the
 * rest make no rows.
 *
 * Served single-threaded, with direct_io, zero entry/attr/negative timeouts
 * and atomic O_TRUNC off, so the kernel forwards every call and rows come in
 * call order. Handles show as the lowest number >= LF_FH_FIRST not held by a
 * file that is open and not yet flushed (close(2) flushes synchronously),
 * readdir handles as 0. Names the state cannot hold (PROTOCOL.md §3) are
 * refused with EINVAL. Only with LF_HAVE_FUSE.
 */
#ifndef LF_DATA_REFFS_H
#define LF_DATA_REFFS_H

#include <stdbool.h>

#include "proto/proto.h"
#include "state/state.h"
#include "util/err.h"

/* Called on the filesystem's thread for each row; ans->kind LF_ANS_ERROR for
 * a failure. The arguments are valid for the call only. */
typedef void (*lf_reffs_row_fn)(void *ctx, const lf_op *op, const lf_state *before,
                                const lf_answer *ans);

typedef struct lf_reffs lf_reffs;

/* Mounts root at mnt (both existing directories). Returns 0 and *out, or a
 * negative errno with err filled. */
int lf_reffs_mount(const char *mnt, const char *root, lf_reffs_row_fn fn, void *ctx,
                   lf_reffs **out, lf_err *err);

/* Serves requests on the calling thread until the filesystem is unmounted
 * or lf_reffs_exit is called. Returns 0 or a negative errno. */
int lf_reffs_loop(lf_reffs *fs);

/* Serves on a new thread (lf_reffs_stop joins it). */
int lf_reffs_start_thread(lf_reffs *fs, lf_err *err);

/* Installs SIGINT/SIGTERM/SIGHUP handlers that end lf_reffs_loop. */
int lf_reffs_signals(lf_reffs *fs);

/* Unmounts, joins the serving thread if any, and frees; NULL is fine. */
void lf_reffs_stop(lf_reffs *fs);

#endif
