/* workload.h: the dataset generator's workload: shell-like commands chosen
 * from the current state and expanded into the system calls a program would
 * make (PROTOCOL.md §2 ops, seed-reference §5.4 mix; §11 items 5-10 fixed:
 * one row per kernel call, failing commands, offsets, appends, episodes).
 *
 * A command is planned from (state, rng) alone, so the kernel-backed and the
 * oracle generators, which hold the same state, plan the same commands and
 * produce the same rows. Calls name open files by workload slot; the display
 * handle number (`fh=` in rows) is the lowest number >= LF_FH_FIRST not held
 * by an open file, for both generators. Pure: no I/O; not thread-safe (one
 * workload per generator).
 */
#ifndef LF_DATA_WORKLOAD_H
#define LF_DATA_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/rng.h"
#include "proto/proto.h"
#include "state/state.h"
#include "util/err.h"

#define LF_FH_FIRST 3      /* first display handle, as a process's first fd */
#define LF_WL_SLOTS 4      /* open files one command may hold */
#define LF_READ_SIZE 4096  /* the usual read(2) size */

/* Command labels: the original's 13 (stat's share goes to readlink: stat
 * only causes getattr, which is not a protocol op) plus append, cp, rmr,
 * and pwrite: a write into a file with content at an offset inside it
 * (bytes before and after it kept), and hole: a pwrite past a file's end
 * or a truncate that grows it (zero-filled gaps); both weight 0 by default
 * so the default workload draws as before (`write` and `truncate` make
 * such calls too, less often). */
typedef enum {
    LF_WL_MKDIR, LF_WL_TOUCH, LF_WL_WRITE, LF_WL_READ, LF_WL_RM, LF_WL_RMDIR,
    LF_WL_CHMOD, LF_WL_CHOWN, LF_WL_LS, LF_WL_READLINK, LF_WL_TRUNCATE,
    LF_WL_RENAME, LF_WL_SYMLINK, LF_WL_APPEND, LF_WL_CP, LF_WL_RMR, LF_WL_PWRITE,
    LF_WL_HOLE,
    LF_WL__COUNT
} lf_wl_label;

/* One system call of a command. Paths are absolute inside the mount. */
typedef enum {
    LF_CALL_MKDIR, LF_CALL_OPEN, LF_CALL_WRITE, LF_CALL_READ, LF_CALL_FTRUNCATE,
    LF_CALL_CLOSE, LF_CALL_TRUNCATE, LF_CALL_UNLINK, LF_CALL_RMDIR, LF_CALL_RENAME,
    LF_CALL_CHMOD, LF_CALL_CHOWN, LF_CALL_LCHOWN, LF_CALL_SYMLINK, LF_CALL_READLINK,
    LF_CALL_READDIR,
} lf_call_kind;

typedef struct lf_call {
    lf_call_kind kind;
    char *path;            /* SYMLINK: the link's own path */
    char *path2;           /* RENAME: destination; SYMLINK: the link's content */
    int flags;             /* OPEN: O_RDONLY/O_WRONLY plus O_CREAT, O_EXCL, O_TRUNC, O_APPEND */
    unsigned mode;         /* MKDIR, OPEN (with O_CREAT), CHMOD: permission bits */
    long long uid, gid;    /* CHOWN, LCHOWN: -1 = unchanged */
    int slot;              /* OPEN, WRITE, READ, FTRUNCATE, CLOSE */
    unsigned char *data;   /* WRITE: bytes (NULL with copy_from >= 0) */
    size_t len;
    int copy_from;         /* WRITE: -1, or the slot whose last read gives the data */
    long long offset;      /* WRITE: -1 = append (O_APPEND); READ: file offset */
    uint64_t size;         /* READ and OPEN for reading: size; (F)TRUNCATE: length */
} lf_call;

typedef struct lf_cmd {
    lf_wl_label label;
    bool fail;             /* planned to fail (one failing call) */
    lf_call *calls;
    size_t n, cap;
} lf_cmd;

void lf_cmd_free(lf_cmd *c);   /* frees the calls; the struct is reusable */

/* Name classes (names.c, mix.c): the original's vocabularies (seed), random
 * strings of 1-24 characters with or without an extension, real-world names
 * (README.md, Makefile, d1, ...), and names with spaces, punctuation and
 * non-ASCII UTF-8 (é, ß, CJK, emoji). All are representable (§3). */
typedef enum {
    LF_NAME_SEED, LF_NAME_RANDOM, LF_NAME_REAL, LF_NAME_ODD, LF_NAME__COUNT
} lf_name_class;

/* Content classes of written bytes (mix.c): the per-extension templates
 * (content.c, keyed by path), random text (words, identifiers, numbers,
 * punctuation, lines of random length), echo-like strings, binary (random
 * bytes or base64 text). */
typedef enum {
    LF_BODY_TEMPLATE, LF_BODY_TEXT, LF_BODY_ECHO, LF_BODY_BINARY, LF_BODY__COUNT
} lf_body_class;

extern const unsigned lf_wl_default_name_mix[LF_NAME__COUNT];
extern const unsigned lf_wl_default_body_mix[LF_BODY__COUNT];
const char *lf_wl_name_class_name(lf_name_class c);
const char *lf_wl_body_class_name(lf_body_class c);

typedef struct lf_workload {
    lf_rng rng;
    unsigned weights[LF_WL__COUNT];
    unsigned name_mix[LF_NAME__COUNT];  /* only seed > 0: the old workload exactly */
    unsigned body_mix[LF_BODY__COUNT];  /* only template > 0: the old contents and sizes exactly */
    size_t max_state;      /* soft cap on the serialised state (bytes) */
    unsigned fail_per_mille;  /* target share of failing rows, in 1/1000 */
    unsigned nonempty_pct; /* write/append/truncate pick a file with content this
                              share of the time (0: any file, as before) */
    uint64_t rows, err_rows;  /* fed back by the generator (lf_workload_count) */
} lf_workload;

/* Default weights (seed-reference §5.4 table, in hundredths, plus extras). */
extern const unsigned lf_wl_default_weights[LF_WL__COUNT];
const char *lf_wl_label_name(lf_wl_label l);

/* Sets up a workload: default weights, the given seed and state cap. */
void lf_workload_init(lf_workload *w, uint64_t seed, size_t max_state);
/* Parses "op=w,op=w" into w->weights (names of lf_wl_label_name). */
int lf_workload_set_weights(lf_workload *w, const char *spec, lf_err *err);
/* Sets the name mix (content = false) or the content mix (true) from
 * "seed" (names: the original vocabularies only; content: the templates and
 * the old write/truncate sizes only), "mix" (the defaults) or
 * "class=w,..." (classes of lf_wl_name_class_name / lf_wl_body_class_name,
 * unnamed ones 0). Returns 0 or -EINVAL with err filled. */
int lf_workload_set_mix(lf_workload *w, bool content, const char *spec, lf_err *err);
/* True when the content mix is the old one (templates only, old sizes). */
bool lf_workload_seed_content(const lf_workload *w);

/* Feeds back one produced row (failed: its answer was an error). */
void lf_workload_count(lf_workload *w, bool failed);

/* Plans the next command for state st (canonical size state_bytes) into cmd
 * (reset first). Returns 0 or -ENOMEM. */
int lf_workload_next(lf_workload *w, const lf_state *st, size_t state_bytes, lf_cmd *cmd);

/* The display handle for a slot being opened, given which slots hold one:
 * the lowest number >= LF_FH_FIRST that no held slot has. */
long long lf_wl_fh_alloc(const long long held[LF_WL_SLOTS]);

/* The op a call shows in a row when it makes one kernel request with no
 * open handle involved, and the op a row shows when the call fails before
 * the filesystem sees it (the kernel refused it; the generator performs it
 * directly): mkdir/create modes without and with S_IFREG, read/write/truncate
 * with fh None, readdir fh 0; an OPEN shows the read, write or create it was
 * for. mode_type is the node's file-type bits for CHMOD (0 if none).
 * op's strings are copies (free with lf_op_free). -EINVAL for CLOSE. */
int lf_call_op(const lf_call *call, unsigned mode_type, lf_op *op);

/* Name generators (exposed for the unit tests): the seed class, one class,
 * and the workload's mix (draws the class from w->rng unless the mix has
 * the seed class only). Return 0 or -ENOMEM. */
int lf_wl_file_name(lf_rng *r, lf_buf *out);
int lf_wl_dir_name(lf_rng *r, lf_buf *out);
int lf_wl_name_of(lf_rng *r, lf_name_class c, bool is_dir, lf_buf *out);
int lf_wl_name(lf_workload *w, bool is_dir, lf_buf *out);

/* Appends a body of class c (not LF_BODY_TEMPLATE) of at most max bytes
 * (> 0) to out, from r. Text never cuts a UTF-8 sequence. Returns 0 or
 * -ENOMEM. */
int lf_wl_body_of(lf_rng *r, lf_body_class c, size_t max, lf_buf *out);
/* Draws a content class from the workload's mix (no draw when the mix is
 * the seed one: returns LF_BODY_TEMPLATE). */
lf_body_class lf_wl_body_class(lf_workload *w);

#endif
