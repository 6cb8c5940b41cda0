/* gen.c: the generator's driver (gen.h): episodes, the workload loop, the
 * progress bar, and the choice between the kernel and the oracle executor. */
#include "data/gen.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/gen_int.h"
#include "data/workload.h"
#include "lf_config.h"
#include "util/buf.h"

/* Commands after which an episode that makes no rows is given up (a
 * workload stuck on no-op commands would otherwise loop forever). */
#define MAX_IDLE_CMDS 1000

/* Set by SIGINT/SIGTERM in kernel mode: stop after the current command, so
 * the mount is taken down and the rows so far are kept. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void progress(unsigned done, unsigned total, uint64_t rows)
{
    int width = 30, fill = total ? (int)((uint64_t)done * width / total) : width;
    fprintf(stderr, "\r[%.*s%*s] %u/%u episodes, %llu rows", fill,
            "##############################", width - fill, "", done, total,
            (unsigned long long)rows);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static int state_size(const lf_state *st, lf_buf *tmp, size_t *n)
{
    lf_buf_reset(tmp);
    int rc = lf_state_serialize(st, tmp);
    *n = tmp->len;
    return rc;
}

int lf_gen_run(const lf_gen_opts *o, lf_err *err)
{
    lf_workload wl;
    lf_workload_init(&wl, o->seed, o->max_state ? o->max_state : LF_GEN_MAX_STATE);
    int rc = 0;
    wl.nonempty_pct = o->nonempty_pct;
    if (o->weights && (rc = lf_workload_set_weights(&wl, o->weights, err)))
        return rc;
    if (o->names && (rc = lf_workload_set_mix(&wl, false, o->names, err)))
        return rc;
    if (o->content && (rc = lf_workload_set_mix(&wl, true, o->content, err)))
        return rc;
#if !LF_HAVE_FUSE
    if (!o->oracle)
        return lf_err_set(err, ENOSYS, "kernel mode needs FUSE support (built without libfuse3); "
                                       "use --oracle");
#endif
    lf_rows_opts ro = o->rows;
    ro.steps = o->steps;
    ro.seed = o->seed;
    lf_rows *rows = NULL;
    if ((rc = lf_rows_open(&ro, &rows, err)))
        return rc;
    lf_kexec *k = NULL;
    lf_state *st = NULL;
    lf_cmd cmd = {0};
    lf_buf tmp;
    lf_buf_init(&tmp, 0);
    mode_t old_umask = umask(0);   /* modes in rows are exactly the workload's */
    (void)k;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    stop_requested = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
#if LF_HAVE_FUSE
    if (!o->oracle)
        rc = lf_kexec_start(rows, &k, err);
#endif
    for (unsigned e = 0; e < o->episodes && !rc; e++) {
        lf_rows_episode(rows, e);
        if (o->oracle) {
            lf_state_free(st);
            st = lf_state_new("root", "root");
            if (!st) {
                rc = lf_err_set(err, ENOMEM, "out of memory");
                break;
            }
        }
#if LF_HAVE_FUSE
        else if ((rc = lf_kexec_reset(k, err)))
            break;
#endif
        uint64_t last_rows = 0, last_err = 0;
        unsigned idle = 0;
        for (;;) {
            uint64_t er, ee;
            lf_rows_counts(rows, &er, &ee);
            for (; last_rows < er; last_rows++)
                lf_workload_count(&wl, false);
            for (; last_err < ee; last_err++)
                wl.err_rows++;
            if (er >= o->steps || idle > MAX_IDLE_CMDS)
                break;
            if (stop_requested) {
                rc = lf_err_set(err, EINTR, "interrupted after %llu rows",
                                (unsigned long long)lf_rows_total(rows));
                break;
            }
#if LF_HAVE_FUSE
            if (!o->oracle) {
                lf_state_free(st);
                st = NULL;
                if ((rc = lf_kexec_state(k, &st, err)))
                    break;
            }
#endif
            size_t bytes;
            if ((rc = state_size(st, &tmp, &bytes)) ||
                (rc = lf_workload_next(&wl, st, bytes, &cmd))) {
                lf_err_set(err, -rc, "planning a command: %s", strerror(-rc));
                break;
            }
            if (o->oracle)
                rc = lf_oexec_run(&st, &cmd, rows);
#if LF_HAVE_FUSE
            else
                rc = lf_kexec_run(k, &cmd);
#endif
            if (rc) {
                lf_err_set(err, -rc, "episode %u: %s", e, strerror(-rc));
                break;
            }
            uint64_t nr, ne;
            lf_rows_counts(rows, &nr, &ne);
            idle = nr == er ? idle + 1 : 0;
        }
        if (o->progress)
            progress(e + 1, o->episodes, lf_rows_total(rows));
    }
    umask(old_umask);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    lf_cmd_free(&cmd);
    lf_state_free(st);
    lf_buf_free(&tmp);
#if LF_HAVE_FUSE
    lf_kexec_stop(k);
#endif
    if (o->rows.stats || o->rows.verify)
        lf_rows_print_stats(rows, stderr);
    uint64_t mism = lf_rows_mismatches(rows);
    int crc = lf_rows_close(rows, rc ? NULL : err);
    if (!rc)
        rc = crc;
    if (!rc && mism)
        rc = lf_err_set(err, EPROTO, "%llu rows disagree with the oracle",
                        (unsigned long long)mism);
    return rc;
}
