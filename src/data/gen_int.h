/* gen_int.h: the generator's two executors (inside src/data only).
 * An executor turns a planned command (workload.h) into rows. */
#ifndef LF_DATA_GEN_INT_H
#define LF_DATA_GEN_INT_H

#include "data/rows.h"
#include "data/workload.h"
#include "state/state.h"

/* Oracle mode: models the kernel's requests for each call of cmd on *st,
 * answers them with the oracle, writes a row for each (source "oracle") and
 * leaves the new state in *st. Returns 0 or a negative errno. */
int lf_oexec_run(lf_state **st, const lf_cmd *cmd, lf_rows *rows);

/* Kernel mode (built with FUSE only). */
typedef struct lf_kexec lf_kexec;
/* Mounts the reference filesystem over a new temporary directory. */
int lf_kexec_start(lf_rows *rows, lf_kexec **out, lf_err *err);
/* Empties the backing directory (between episodes). */
int lf_kexec_reset(lf_kexec *k, lf_err *err);
/* The backing directory's state (caller frees). */
int lf_kexec_state(lf_kexec *k, lf_state **out, lf_err *err);
/* Performs the command's calls on the mount. */
int lf_kexec_run(lf_kexec *k, const lf_cmd *cmd);
/* Unmounts, stops the thread, removes the temporary directory; NULL is fine. */
void lf_kexec_stop(lf_kexec *k);

#endif
