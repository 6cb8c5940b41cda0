/* mount.h: the mount's engine, independent of FUSE: the current state, the
 * path from an operation to an accepted state, persistence, --verify and the
 * counters. src/fs/fuse_ops.c turns kernel requests into calls of this.
 *
 * Data flow of a <W> operation (lf_mount_write): the op and the current
 * state become the base prompt (lf_prompt_render); lf_backend_budget_request
 * sizes the answer from the state (-ENOSPC when prompt plus answer cannot
 * fit the context); lf_backend_complete answers; lf_completion_parse reads it, lf_fs_check_state checks
 * that the new state reflects the op, the state file is replaced
 * (lf_file_write_atomic) and only then the new state becomes current and
 * the op is acknowledged. Anything refused leaves state and file untouched.
 *
 * Concurrency: <W> ops are serialised by one mutex; the current state is a
 * reference-counted snapshot swapped under a rwlock, so readers (getattr,
 * read, readdir: these never take the mutex) always see a whole state, and a
 * slow backend call holds no lock that a reader needs.
 *
 * Room (statfs): with a context window of C tokens a <W> prompt carries the
 * state and the answer repeats it (budgeted at 1.1 x, backend.c), so a state
 * can grow to about (C - LF_MOUNT_OVERHEAD_TOKENS) / 2.1 tokens. That is converted to bytes with
 * the current state's own bytes-per-token ratio (4 when unknown). A backend
 * without a context limit (the oracle) reports LF_MOUNT_UNLIMITED_ROOM.
 */
#ifndef LF_FS_MOUNT_H
#define LF_FS_MOUNT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend/backend.h"
#include "proto/proto.h"
#include "state/state.h"
#include "util/buf.h"
#include "util/err.h"

#define LF_MOUNT_OVERHEAD_TOKENS 256
#define LF_MOUNT_UNLIMITED_ROOM ((uint64_t)64 << 20)
#define LF_MOUNT_STATE_MAX ((size_t)256 << 20)   /* cap on a state file / answer */

typedef struct lf_mount lf_mount;

typedef struct lf_mount_opts {
    const char *state_path;   /* NULL: nothing persisted */
    bool verify;              /* run the oracle beside the backend */
    bool strict;              /* refuse (EIO) every answer the oracle disagrees
                                 with: wrong errors, reads, listings */
    const char *verify_log;   /* divergence log (appended); NULL: stderr */
    int alternatives;         /* a refused answer: ask for up to this many
                                 alternatives (where the backend has them) */
    const char *owner;        /* names for a fresh root (the mounting user) */
    const char *group;
    uid_t uid;                /* the mounting user, for st_uid/st_gid */
    gid_t gid;
} lf_mount_opts;

/* An immutable state with its canonical text. Readers take a reference with
 * lf_mount_snap and drop it with lf_snap_put. */
typedef struct lf_snap {
    lf_state *st;
    char *xml;                /* canonical serialisation, NUL-terminated */
    size_t xml_len;
    uint64_t gen;             /* accepted states since the mount */
    atomic_int refs;
} lf_snap;

/* Creates the engine. With a state_path, <state_path>.lock is locked for
 * the engine's life (-EBUSY if another mount holds it) and temp files of an
 * interrupted save are removed; a state file that exists is loaded and
 * parsed strictly; one that does not parse fails with -EINVAL and a message
 * (the file is left alone). A missing file is created with the fresh state. The backend is attached later (lf_mount_set_backend).
 * Returns 0 and *out (caller frees with lf_mount_free) or a negative errno. */
int lf_mount_new(const lf_mount_opts *opts, lf_mount **out, lf_err *err);
/* Frees the engine and its backend; NULL is fine. No op may be running. */
void lf_mount_free(lf_mount *m);
/* Hands b to the mount (it frees it). Call before the first operation. */
void lf_mount_set_backend(lf_mount *m, lf_backend *b);

/* The current state, with a reference the caller drops with lf_snap_put. */
lf_snap *lf_mount_snap(lf_mount *m);
void lf_snap_put(lf_snap *s);

/* Flags of lf_mount_write. */
enum {
    LF_MOUNT_APPEND = 1,      /* WRITE: the offset is the file's size when applied */
    LF_MOUNT_NOREPLACE = 2,   /* RENAME: -EEXIST if the destination exists */
};

/* Runs a <W> op through the backend. Returns 0 once the new state is
 * accepted (and saved), or the negative errno for the caller to return:
 * the model's ERROR errno (mapped by lf_fs_errno_from_model), -ENOSPC when
 * the context cannot hold the op, -EIO for a refused answer or a backend
 * failure, -EINVAL for a name the state cannot carry. Thread-safe. */
int lf_mount_write(lf_mount *m, const lf_op *op, unsigned flags);

/* Runs a query (read, readdir, readlink) through the backend after the
 * local checks (lf_fs_query_precheck). Returns 0 with *ans filled (caller
 * frees with lf_answer_free; BYTES for read/readlink, LIST for readdir) or
 * a negative errno. Thread-safe.
 *
 * A read answer is the whole file (PROTOCOL.md §4), so it is kept per open
 * handle: a read at offset > 0 on the same handle, path and state
 * generation is sliced from it without asking the model again (a large
 * file read in 128 KiB pieces costs one model call, not one per piece).
 * A read at offset 0 always asks. */
int lf_mount_query(lf_mount *m, const lf_op *op, lf_answer *ans);
/* Forgets what the handle fh read (call on release: numbers are reused). */
void lf_mount_forget(lf_mount *m, long long fh);

/* Local (model-free) operations counted in the statistics. */
typedef enum {
    LF_LOCAL_GETATTR, LF_LOCAL_OPEN, LF_LOCAL_RELEASE, LF_LOCAL_FLUSH, LF_LOCAL_FSYNC,
    LF_LOCAL_OPENDIR, LF_LOCAL_RELEASEDIR, LF_LOCAL_STATFS, LF_LOCAL_ACCESS,
    LF_LOCAL_UTIMENS, LF_LOCAL_REFUSED, LF_LOCAL_READ_CACHED, LF_LOCAL__COUNT
} lf_local_op;
void lf_mount_count_local(lf_mount *m, lf_local_op k);

/* Appends the counters as one JSON object (ops per type with errors and
 * latency, divergences, backend errors, refusals, state size). */
int lf_mount_stats_json(lf_mount *m, lf_buf *out);

/* Room for the state in bytes (see the header comment). */
void lf_mount_room(lf_mount *m, uint64_t *total, uint64_t *avail);

/* The mounting user, and the id an owner/group name in the state stands
 * for ("root" 0, a decimal number itself, the root's names the mounting
 * user, other names from the system databases, else the mounting user). */
uid_t lf_mount_uid_of(lf_mount *m, const char *owner);
gid_t lf_mount_gid_of(lf_mount *m, const char *group);

#endif
