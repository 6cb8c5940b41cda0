/* gen.h: `llmfuse gen`: datasets of exact examples (seed-reference §5, with
 * §11 items 5-10 fixed). Episodes of workload commands (workload.h) run on a
 * growing tree; every kernel call is a row (rows.h).
 *
 * Kernel mode (LF_HAVE_FUSE): the reference filesystem (reffs.h) is mounted
 * in a temporary directory, served by a thread of this process, and the
 * commands are real system calls on the mount; calls the kernel refuses
 * before the filesystem sees them are performed directly on the backing
 * directory (meta.source "direct"). Oracle mode: the same commands, the
 * kernel's requests modelled (oexec.c) and answered by lf_state_apply; no
 * mount. The same seed gives the same commands in both modes.
 */
#ifndef LF_DATA_GEN_H
#define LF_DATA_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/rows.h"
#include "util/err.h"

/* Default cap on the serialised state: a 4096-token context holds the
 * prompt's state and the completion's state, ~2048 tokens each at ~3 bytes
 * a token (XML of short names and code), so about 6000 bytes each. */
#define LF_GEN_MAX_STATE 6000

typedef struct lf_gen_opts {
    uint64_t seed;
    unsigned episodes;
    unsigned steps;           /* rows per episode */
    size_t max_state;
    const char *weights;      /* "op=w,..." or NULL */
    const char *names;        /* name mix: "seed", "mix", "class=w,..."; NULL = mix */
    const char *content;      /* content mix, the same forms; NULL = mix */
    unsigned nonempty_pct;    /* lf_workload.nonempty_pct (0-100) */
    bool oracle;              /* oracle mode (no mount) */
    bool progress;            /* progress bar on stderr */
    lf_rows_opts rows;
} lf_gen_opts;

/* Runs the generator. Returns 0, or a negative errno with err filled
 * (-ENOSYS: kernel mode without FUSE support). With rows.verify, a
 * disagreement with the oracle is reported on stderr and makes the result
 * -EPROTO after all rows are written. */
int lf_gen_run(const lf_gen_opts *o, lf_err *err);

#endif
