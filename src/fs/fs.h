/* fs.h: the FUSE side of the mount: the operations table (fuse_ops.c) and
 * the loop that serves a mount point. Built only with libfuse3
 * (LF_HAVE_FUSE); the engine it drives is src/fs/mount.h. */
#ifndef LF_FS_FS_H
#define LF_FS_FS_H

#include <stdbool.h>

#include "fs/mount.h"
#include "util/err.h"

typedef struct lf_fs_opts {
    const char *mountpoint;
    bool foreground;          /* false: detach (fuse_daemonize) after mounting */
    bool debug;               /* libfuse's -d */
    int max_threads;          /* FUSE worker threads; 0: libfuse's default (10) */
    /* Called once mounted (and detached), before the first request: the
     * place to create what must not cross a fork (a backend's threads).
     * Returns 0, or a negative errno to unmount and fail. May be NULL. */
    int (*ready)(lf_mount *m, void *ctx, lf_err *err);
    void *ctx;
} lf_fs_opts;

/* Mounts m at opts->mountpoint and serves it until unmounted (fusermount3
 * -u, or SIGINT/SIGTERM/SIGHUP). Returns 0 after a clean unmount, or a
 * negative errno with err set (mount refused, ready failed). m stays owned
 * by the caller. */
int lf_fs_main(lf_mount *m, const lf_fs_opts *opts, lf_err *err);

#endif
