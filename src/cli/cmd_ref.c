/* cmd_ref.c: `llmfuse ref MOUNT ROOT [--log FILE]`: the reference (logging
 * loopback) filesystem in the foreground; one JSONL row per protocol call
 * (src/data/reffs.h), to FILE or stdout. Ends on SIGINT/SIGTERM or unmount. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lf_config.h"

#if LF_HAVE_FUSE
#include "data/reffs.h"
#include "data/rows.h"

static void on_row(void *ctx, const lf_op *op, const lf_state *before, const lf_answer *ans)
{
    lf_rows_emit(ctx, op, before, ans, "kernel");
}
#endif

static void usage(FILE *f)
{
    fprintf(f, "usage: llmfuse ref MOUNT ROOT [--log FILE]\n"
               "  mounts ROOT at MOUNT (passthrough) and logs one dataset row per\n"
               "  state-changing or query call (PROTOCOL.md §2) to FILE or stdout\n");
}

int lf_cmd_ref(int argc, char **argv)
{
    const char *mnt = NULL, *root = NULL, *log = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--log") && i + 1 < argc) {
            log = argv[++i];
        } else if (argv[i][0] != '-' && !mnt) {
            mnt = argv[i];
        } else if (argv[i][0] != '-' && !root) {
            root = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!mnt || !root) {
        usage(stderr);
        return 2;
    }
#if LF_HAVE_FUSE
    lf_err err;
    lf_err_clear(&err);
    lf_rows_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.out = log;
    ro.flush_each = true;
    lf_rows *rows = NULL;
    lf_reffs *fs = NULL;
    int rc = lf_rows_open(&ro, &rows, &err);
    if (!rc)
        rc = lf_reffs_mount(mnt, root, on_row, rows, &fs, &err);
    if (!rc) {
        lf_rows_episode(rows, 0);
        lf_reffs_signals(fs);
        rc = lf_reffs_loop(fs);
        lf_reffs_stop(fs);
        if (rc == -EINTR)
            rc = 0;
    }
    int crc = lf_rows_close(rows, rc ? NULL : &err);
    if (rc || crc) {
        fprintf(stderr, "llmfuse ref: %s\n", err.msg[0] ? err.msg : "failed");
        return 1;
    }
    return 0;
#else
    (void)log;
    fprintf(stderr, "llmfuse ref: built without libfuse3\n");
    return 1;
#endif
}
