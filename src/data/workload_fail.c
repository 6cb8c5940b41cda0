/* workload_fail.c: failing commands: one call the kernel or the filesystem
 * refuses (about one row in eight; workload.c decides when). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/content.h"
#include "data/workload_int.h"

/* "<f's absolute path>/x": a path through a regular file (ENOTDIR), or NULL. */
static char *through_file(wl_plan *p, const lf_node *f)
{
    char *a = lf_wlp_abspath(f);
    if (!a)
        return NULL;
    lf_buf_reset(&p->tmp);
    lf_buf_printf(&p->tmp, "%s/x", a);
    free(a);
    return strdup(p->tmp.data);
}

int lf_wlp_fail(wl_plan *p)
{
    lf_rng *r = &p->w->rng;
    const lf_node *dir = lf_wlp_pick_dir(p);
    const lf_node *f = lf_wlp_pick(p, &p->c.files);
    const lf_node *sd = lf_wlp_pick(p, &p->c.subdirs);
    const lf_node *full = lf_wlp_pick(p, &p->c.full);
    const lf_node *any = f ? f : sd;
    for (int tries = 0; tries < 20; tries++) {
        switch (lf_rng_below(r, 30)) {
        case 0: /* mkdir existing: EEXIST */
            if (!any)
                continue;
            lf_wlp_mkdir(p, lf_wlp_abspath(any), 0755);
            return p->rc;
        case 1: { /* mkdir under a missing directory: ENOENT */
            char *m = lf_wlp_missing_in(p, dir, true);
            char *n = lf_wlp_fresh_name(p, NULL, true);
            if (m && n) {
                lf_buf_reset(&p->tmp);
                lf_buf_printf(&p->tmp, "%s/%s", m, n);
                lf_call *c = lf_wlp_add(p, LF_CALL_MKDIR, strdup(p->tmp.data));
                if (c)
                    c->mode = 0755;
            }
            free(m);
            free(n);
            return p->rc ? p->rc : (m && n ? 0 : -ENOMEM);
        }
        case 2: { /* mkdir or create under a file: ENOTDIR */
            if (!f)
                continue;
            char *n = lf_wlp_fresh_name(p, NULL, false);
            char *a = lf_wlp_abspath(f);
            if (n && a) {
                lf_buf_reset(&p->tmp);
                lf_buf_printf(&p->tmp, "%s/%s", a, n);
                if (lf_rng_pct(r, 50))
                    lf_wlp_mkdir(p, strdup(p->tmp.data), 0755);
                else
                    lf_wlp_open(p, strdup(p->tmp.data), O_WRONLY | O_CREAT, 0644, 0);
            }
            free(n);
            free(a);
            return p->rc;
        }
        case 3: /* create O_EXCL of an existing file: EEXIST */
            if (!f)
                continue;
            lf_wlp_open(p, lf_wlp_abspath(f), O_WRONLY | O_CREAT | O_EXCL, 0644, 0);
            lf_wlp_close(p, 0);
            return p->rc;
        case 4: { /* create in a missing directory: ENOENT */
            char *m = lf_wlp_missing_in(p, dir, true);
            char *n = lf_wlp_fresh_name(p, NULL, false);
            if (m && n) {
                lf_buf_reset(&p->tmp);
                lf_buf_printf(&p->tmp, "%s/%s", m, n);
                lf_wlp_open(p, strdup(p->tmp.data), O_WRONLY | O_CREAT | O_TRUNC, 0644, 0);
                lf_wlp_close(p, 0);
            }
            free(m);
            free(n);
            return p->rc;
        }
        case 5: lf_wlp_add(p, LF_CALL_UNLINK, lf_wlp_missing_in(p, dir, false)); return p->rc;   /* ENOENT */
        case 6: /* unlink a directory: EISDIR */
            if (!sd)
                continue;
            lf_wlp_add(p, LF_CALL_UNLINK, lf_wlp_abspath(sd));
            return p->rc;
        case 7: lf_wlp_add(p, LF_CALL_RMDIR, lf_wlp_missing_in(p, dir, true)); return p->rc;    /* ENOENT */
        case 8: /* rmdir non-empty: ENOTEMPTY (the filesystem answers) */
            if (!full)
                continue;
            lf_wlp_add(p, LF_CALL_RMDIR, lf_wlp_abspath(full));
            return p->rc;
        case 9: /* rmdir a file: ENOTDIR */
            if (!f)
                continue;
            lf_wlp_add(p, LF_CALL_RMDIR, lf_wlp_abspath(f));
            return p->rc;
        case 10: { /* rename a missing source: ENOENT */
            lf_call *c = lf_wlp_add(p, LF_CALL_RENAME, lf_wlp_missing_in(p, dir, false));
            lf_wlp_set_path2(p, c, lf_wlp_missing_in(p, dir, false));
            return p->rc;
        }
        case 11: { /* a directory into itself: EINVAL */
            if (!sd)
                continue;
            char *n = lf_wlp_fresh_name(p, sd, true);
            lf_call *c = lf_wlp_add(p, LF_CALL_RENAME, lf_wlp_abspath(sd));
            lf_wlp_set_path2(p, c, n ? lf_wlp_join(sd, n) : NULL);
            free(n);
            return p->rc;
        }
        case 12: { /* a file onto a directory: EISDIR */
            if (!f || !sd)
                continue;
            lf_call *c = lf_wlp_add(p, LF_CALL_RENAME, lf_wlp_abspath(f));
            lf_wlp_set_path2(p, c, lf_wlp_abspath(sd));
            return p->rc;
        }
        case 13: { /* a directory onto a file: ENOTDIR */
            if (!f || !sd || lf_wlp_is_within(f, sd))
                continue;
            lf_call *c = lf_wlp_add(p, LF_CALL_RENAME, lf_wlp_abspath(sd));
            lf_wlp_set_path2(p, c, lf_wlp_abspath(f));
            return p->rc;
        }
        case 14: { /* a directory onto a non-empty one: ENOTEMPTY */
            if (!sd || !full || lf_wlp_is_within(full, sd) || lf_wlp_is_within(sd, full))
                continue;
            lf_call *c = lf_wlp_add(p, LF_CALL_RENAME, lf_wlp_abspath(sd));
            lf_wlp_set_path2(p, c, lf_wlp_abspath(full));
            return p->rc;
        }
        case 15: { /* chmod or chown of a missing path: ENOENT */
            lf_call *c = lf_wlp_add(p, lf_rng_pct(r, 50) ? LF_CALL_CHMOD : LF_CALL_CHOWN,
                             lf_wlp_missing_in(p, dir, false));
            if (c) {
                c->mode = 0644;
                c->uid = 0;
                c->gid = 0;
            }
            return p->rc;
        }
        case 16: { /* ln -s onto an existing name: EEXIST */
            if (!any)
                continue;
            lf_call *c = lf_wlp_add(p, LF_CALL_SYMLINK, lf_wlp_abspath(any));
            lf_wlp_set_path2(p, c, strdup("target.txt"));
            return p->rc;
        }
        case 17: /* ls of a missing path or of a file: ENOENT, ENOTDIR */
            lf_wlp_add(p, LF_CALL_READDIR, f && lf_rng_pct(r, 50) ? lf_wlp_abspath(f) : lf_wlp_missing_in(p, dir, true));
            return p->rc;
        case 18: { /* cat of a missing path or of a directory: ENOENT, EISDIR */
            char *path = sd && lf_rng_pct(r, 50) ? lf_wlp_abspath(sd) : lf_wlp_missing_in(p, dir, false);
            lf_call *o = lf_wlp_open(p, path, O_RDONLY, 0, 0);
            if (o) {
                o->size = LF_READ_SIZE;
                lf_call *c = lf_wlp_add(p, LF_CALL_READ, strdup(o->path));
                if (c) {
                    c->size = LF_READ_SIZE;
                    c->slot = 0;
                }
            }
            lf_wlp_close(p, 0);
            return p->rc;
        }
        case 19: /* readlink of a non-link or a missing path: EINVAL, ENOENT */
            lf_wlp_add(p, LF_CALL_READLINK, any && lf_rng_pct(r, 60) ? lf_wlp_abspath(any) : lf_wlp_missing_in(p, dir, false));
            return p->rc;
        case 20: { /* truncate of a missing path or a directory: ENOENT, EISDIR */
            lf_call *c = lf_wlp_add(p, LF_CALL_TRUNCATE,
                             sd && lf_rng_pct(r, 50) ? lf_wlp_abspath(sd) : lf_wlp_missing_in(p, dir, false));
            if (c)
                c->size = (uint64_t)lf_rng_below(r, 64);
            return p->rc;
        }
        case 21: { /* echo > a directory: EISDIR */
            if (!sd)
                continue;
            lf_call *o = lf_wlp_open(p, lf_wlp_abspath(sd), O_WRONLY, 0, 0);
            if (o)
                lf_wlp_set_content(p, o, o->path, 0, 64);
            lf_wlp_close(p, 0);
            return p->rc;
        }
        case 22: { /* a name the state cannot hold: EINVAL */
            char *n = lf_wlp_fresh_name(p, NULL, false);
            if (n) {
                lf_buf_reset(&p->tmp);
                lf_buf_printf(&p->tmp, "bad%c%s", lf_rng_pct(r, 50) ? '\x01' : '\x7f', n);
                char *path = lf_wlp_join(dir, p->tmp.data);
                if (lf_rng_pct(r, 50)) {
                    lf_call *c = lf_wlp_add(p, LF_CALL_MKDIR, path);
                    if (c)
                        c->mode = 0755;
                } else {
                    lf_wlp_open(p, path, O_WRONLY | O_CREAT, 0644, 0);
                    lf_wlp_close(p, 0);
                }
            }
            free(n);
            return p->rc;
        }
        case 23: { /* unlink through a file: ENOTDIR */
            if (!f)
                continue;
            char *x = through_file(p, f);
            if (x)
                lf_wlp_add(p, LF_CALL_UNLINK, x);
            return p->rc;
        }
        case 24: { /* a directory onto its own parent: ENOTEMPTY */
            if (!sd || !sd->parent->parent)
                continue;
            lf_call *c = lf_wlp_add(p, LF_CALL_RENAME, lf_wlp_abspath(sd));
            lf_wlp_set_path2(p, c, lf_wlp_abspath(sd->parent));
            return p->rc;
        }
        case 25: { /* a name longer than NAME_MAX: ENAMETOOLONG */
            lf_buf_reset(&p->tmp);
            long n = lf_rng_range(r, 256, 300);
            for (long i = 0; i < n; i++)
                lf_buf_putc(&p->tmp, (char)('a' + i % 26));
            char *path = lf_wlp_join(dir, p->tmp.data);
            if (lf_rng_pct(r, 50)) {
                lf_wlp_mkdir(p, path, 0755);
            } else {
                lf_wlp_open(p, path, O_WRONLY | O_CREAT, 0644, 0);
                lf_wlp_close(p, 0);
            }
            return p->rc;
        }
        case 26: { /* ln -s "" NAME: ENOENT */
            lf_call *c = lf_wlp_add(p, LF_CALL_SYMLINK, lf_wlp_missing_in(p, dir, false));
            lf_wlp_set_path2(p, c, strdup(""));
            return p->rc;
        }
        case 27: { /* rmdir of a symlink: ENOTDIR */
            const lf_node *l = lf_wlp_pick(p, &p->c.links);
            if (!l)
                continue;
            lf_wlp_add(p, LF_CALL_RMDIR, lf_wlp_abspath(l));
            return p->rc;
        }
        case 28: { /* chmod through a file: ENOTDIR */
            if (!f)
                continue;
            char *x = through_file(p, f);
            lf_call *c = x ? lf_wlp_add(p, LF_CALL_CHMOD, x) : NULL;
            if (c)
                c->mode = 0600;
            return p->rc;
        }
        case 29: { /* mkdir over a symlink: EEXIST */
            const lf_node *l = lf_wlp_pick(p, &p->c.links);
            if (!l)
                continue;
            lf_wlp_mkdir(p, lf_wlp_abspath(l), 0755);
            return p->rc;
        }
        }
    }
    lf_wlp_add(p, LF_CALL_UNLINK, lf_wlp_missing_in(p, dir, false));
    return p->rc;
}

/* Can the label run on these candidates (without a fallback)? */
