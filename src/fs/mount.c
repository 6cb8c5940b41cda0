/* mount.c: the mount's engine (see mount.h): current state, the <W> and
 * query paths through the backend, validation, persistence, --verify and
 * the counters. No libfuse here, so it is unit-testable. */
#include "fs/mount.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs/ask.h"
#include "fs/check.h"
#include "state/apply.h"
#include "util/file.h"
#include "util/log.h"

#define LF_MOUNT_READ_CACHE 16

typedef struct op_stats {
    uint64_t calls, errors, refused, usec_sum, usec_max;
} op_stats;

struct lf_mount {
    lf_mount_opts o;
    char *owner, *group, *state_path; /* owned copies */
    int lock_fd;                      /* flock on <state>.lock, or -1 */
    lf_backend *backend;

    pthread_mutex_t write_mu;         /* serialises <W> ops */
    pthread_rwlock_t cur_lock;        /* guards cur (the pointer only) */
    lf_snap *cur;

    pthread_mutex_t stats_mu;         /* guards everything below */
    op_stats ops[LF_OP__COUNT];
    uint64_t local[LF_LOCAL__COUNT];
    uint64_t divergences, verified, backend_errors, refusals, model_errors, enospc;
    uint64_t alternatives, rescued;   /* alternatives asked for; accepted ones */
    uint64_t room_gen;                /* gen of the cached token count */
    long room_tokens;                 /* tokens of that state, -1 unknown */

    pthread_mutex_t cache_mu;         /* guards rcache */
    struct rcache {
        long long fh;                 /* -1: empty */
        uint64_t gen;
        char *path;
        unsigned char *bytes;
        size_t n;
    } rcache[LF_MOUNT_READ_CACHE];
    unsigned rcache_next;

    pthread_mutex_t vlog_mu;
    FILE *vlog;                       /* divergence log; stderr when not owned */
    bool vlog_owned;
};

static const char *local_names[LF_LOCAL__COUNT] = {
    "getattr", "open", "release", "flush", "fsync", "opendir",
    "releasedir", "statfs", "access", "utimens", "refused_locally", "read_cached",
};

/* ---- snapshots -------------------------------------------------------- */

static lf_snap *snap_new(lf_state *st, uint64_t gen, lf_err *err)
{
    lf_snap *s = calloc(1, sizeof *s);
    lf_buf b;
    lf_buf_init(&b, LF_MOUNT_STATE_MAX);
    if (!s || lf_state_serialize(st, &b) < 0 || !(s->xml = lf_buf_steal(&b, &s->xml_len))) {
        lf_buf_free(&b);
        free(s);
        lf_err_set(err, ENOMEM, "cannot serialise the state");
        return NULL;
    }
    s->st = st;
    s->gen = gen;
    atomic_init(&s->refs, 1);
    return s;
}

void lf_snap_put(lf_snap *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        lf_state_free(s->st);
        free(s->xml);
        free(s);
    }
}

lf_snap *lf_mount_snap(lf_mount *m)
{
    pthread_rwlock_rdlock(&m->cur_lock);
    lf_snap *s = m->cur;
    atomic_fetch_add(&s->refs, 1);
    pthread_rwlock_unlock(&m->cur_lock);
    return s;
}

/* Makes s current (taking over the caller's reference). */
static void swap_in(lf_mount *m, lf_snap *s)
{
    pthread_rwlock_wrlock(&m->cur_lock);
    lf_snap *old = m->cur;
    m->cur = s;
    pthread_rwlock_unlock(&m->cur_lock);
    lf_snap_put(old);
}

/* ---- life cycle ------------------------------------------------------- */

/* Takes <state>.lock (flock, held for the mount's life) so two mounts never
 * share a state file, then removes temp files a crash left beside it
 * (<state>.tmp.XXXXXX from lf_file_write_atomic): under the lock nobody
 * else can be writing them. */
static int lock_state(lf_mount *m, lf_err *err)
{
    size_t n = strlen(m->state_path);
    char *lock = malloc(n + 6), *dcopy = strdup(m->state_path), *bcopy = strdup(m->state_path);
    int rc = -ENOMEM;
    if (!lock || !dcopy || !bcopy) {
        rc = lf_err_set(err, ENOMEM, "out of memory");
        goto out;
    }
    snprintf(lock, n + 6, "%s.lock", m->state_path);
    m->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m->lock_fd < 0) {
        rc = lf_err_set(err, errno, "cannot open %s: %s", lock, strerror(errno));
        goto out;
    }
    if (flock(m->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t k = pread(m->lock_fd, pid, sizeof pid - 1, 0);
        pid[k > 0 ? k : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        rc = lf_err_set(err, EBUSY, "%s is in use by another llmfuse mount%s%s%s",
                        m->state_path, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
        close(m->lock_fd);
        m->lock_fd = -1;
        goto out;
    }
    char pid[32];
    int pl = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(m->lock_fd, 0) == 0 && pwrite(m->lock_fd, pid, (size_t)pl, 0) < 0)
        lf_warn("cannot write %s", lock);

    const char *dir = dirname(dcopy), *base = basename(bcopy);
    size_t bl = strlen(base);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strncmp(e->d_name, base, bl) && !strncmp(e->d_name + bl, ".tmp.", 5) &&
            strlen(e->d_name + bl + 5) == 6 && unlinkat(dirfd(d), e->d_name, 0) == 0)
            lf_info("removed %s/%s, left by an interrupted save", dir, e->d_name);
    }
    if (d)
        closedir(d);
    rc = 0;
out:
    free(lock);
    free(dcopy);
    free(bcopy);
    return rc;
}

static int load_state(lf_mount *m, lf_state **out, lf_err *err)
{
    lf_buf b;
    lf_buf_init(&b, LF_MOUNT_STATE_MAX);
    int rc = lf_file_read(m->state_path, LF_MOUNT_STATE_MAX, &b, err);
    if (rc < 0) {
        lf_buf_free(&b);
        return lf_err_prefix(err, "%s: ", m->state_path);
    }
    rc = lf_state_parse(b.data ? b.data : "", b.len, LF_PARSE_STRICT, out, NULL, err);
    lf_buf_free(&b);
    if (rc < 0) {
        if (err)
            err->code = EINVAL;
        return lf_err_prefix(err, "%s is not a valid state (left untouched): ", m->state_path);
    }
    return 0;
}

int lf_mount_new(const lf_mount_opts *opts, lf_mount **out, lf_err *err)
{
    int rc = -ENOMEM;
    lf_state *st = NULL;
    lf_mount *m = calloc(1, sizeof *m);
    if (!m)
        return lf_err_set(err, ENOMEM, "out of memory");
    m->o = *opts;
    m->owner = strdup(opts->owner ? opts->owner : "root");
    m->group = strdup(opts->group ? opts->group : "root");
    m->state_path = opts->state_path ? strdup(opts->state_path) : NULL;
    if (!m->owner || !m->group || (opts->state_path && !m->state_path))
        goto fail;
    m->o.owner = m->owner;
    m->o.group = m->group;
    m->o.state_path = m->state_path;
    m->room_tokens = -1;
    m->room_gen = UINT64_MAX;
    m->lock_fd = -1;
    pthread_mutex_init(&m->write_mu, NULL);
    pthread_rwlock_init(&m->cur_lock, NULL);
    pthread_mutex_init(&m->stats_mu, NULL);
    pthread_mutex_init(&m->vlog_mu, NULL);
    pthread_mutex_init(&m->cache_mu, NULL);
    for (int i = 0; i < LF_MOUNT_READ_CACHE; i++)
        m->rcache[i].fh = -1;
    m->vlog = stderr;

    bool fresh = true;
    if (m->state_path && (rc = lock_state(m, err)) < 0)
        goto fail;
    if (m->state_path && access(m->state_path, F_OK) == 0) {
        if ((rc = load_state(m, &st, err)) < 0)
            goto fail;
        fresh = false;
    } else {
        st = lf_state_new(m->owner, m->group);
        if (!st) {
            rc = lf_err_set(err, ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (!(m->cur = snap_new(st, 0, err))) {
        rc = -ENOMEM;
        goto fail;
    }
    st = NULL;
    if (m->state_path && fresh &&
        (rc = lf_file_write_atomic(m->state_path, m->cur->xml, m->cur->xml_len, err)) < 0) {
        lf_err_prefix(err, "cannot create the state file %s: ", m->state_path);
        goto fail;
    }
    if (opts->verify && opts->verify_log) {
        m->vlog = fopen(opts->verify_log, "a");
        if (!m->vlog) {
            m->vlog = stderr;
            rc = lf_err_set(err, errno, "cannot open the verify log %s: %s", opts->verify_log,
                            strerror(errno));
            goto fail;
        }
        setvbuf(m->vlog, NULL, _IOLBF, 0);
        m->vlog_owned = true;
    }
    *out = m;
    return 0;
fail:
    lf_state_free(st);
    lf_mount_free(m);
    return rc < 0 ? rc : -ENOMEM;
}

void lf_mount_free(lf_mount *m)
{
    if (!m)
        return;
    if (m->o.verify && m->vlog)
        fprintf(m->vlog, "llmfuse: verify: %llu answers checked, %llu divergences\n",
                (unsigned long long)m->verified, (unsigned long long)m->divergences);
    if (m->cur)
        lf_snap_put(m->cur);
    lf_backend_free(m->backend);
    if (m->lock_fd >= 0)
        close(m->lock_fd); /* releases the flock */
    if (m->vlog_owned)
        fclose(m->vlog);
    for (int i = 0; i < LF_MOUNT_READ_CACHE; i++) {
        free(m->rcache[i].path);
        free(m->rcache[i].bytes);
    }
    pthread_mutex_destroy(&m->cache_mu);
    free(m->owner);
    free(m->group);
    free(m->state_path);
    pthread_mutex_destroy(&m->write_mu);
    pthread_rwlock_destroy(&m->cur_lock);
    pthread_mutex_destroy(&m->stats_mu);
    pthread_mutex_destroy(&m->vlog_mu);
    free(m);
}

void lf_mount_set_backend(lf_mount *m, lf_backend *b)
{
    lf_backend_free(m->backend);
    m->backend = b;
}

/* ---- counters --------------------------------------------------------- */

static uint64_t now_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void lf_mount_count_local(lf_mount *m, lf_local_op k)
{
    if ((unsigned)k >= LF_LOCAL__COUNT)
        return;
    pthread_mutex_lock(&m->stats_mu);
    m->local[k]++;
    pthread_mutex_unlock(&m->stats_mu);
}

/* Records one op's outcome: rc is what the handler returns; refused means
 * the answer was refused by validation. */
static void count_op(lf_mount *m, lf_op_kind k, int rc, bool refused, uint64_t t0)
{
    uint64_t dt = now_usec() - t0;
    pthread_mutex_lock(&m->stats_mu);
    op_stats *s = &m->ops[k];
    s->calls++;
    s->usec_sum += dt;
    if (dt > s->usec_max)
        s->usec_max = dt;
    if (rc < 0)
        s->errors++;
    if (refused) {
        s->refused++;
        m->refusals++;
    }
    pthread_mutex_unlock(&m->stats_mu);
}

static void bump_by(lf_mount *m, uint64_t *counter, uint64_t n)
{
    pthread_mutex_lock(&m->stats_mu);
    *counter += n;
    pthread_mutex_unlock(&m->stats_mu);
}

static void bump(lf_mount *m, uint64_t *counter) { bump_by(m, counter, 1); }

int lf_mount_stats_json(lf_mount *m, lf_buf *out)
{
    lf_snap *s = lf_mount_snap(m);
    uint64_t total = 0, avail = 0;
    lf_mount_room(m, &total, &avail);
    pthread_mutex_lock(&m->stats_mu);
    int rc = lf_buf_printf(out, "{\"backend\":\"%s\",\"verify\":%s,\"ops\":{",
                           m->backend && m->backend->vt ? m->backend->vt->name : "none",
                           m->o.verify ? "true" : "false");
    for (int k = 0; k < LF_OP__COUNT && rc == 0; k++) {
        const op_stats *o = &m->ops[k];
        rc = lf_buf_printf(out,
                           "%s\"%s\":{\"calls\":%llu,\"errors\":%llu,\"refused\":%llu,"
                           "\"latency_us_sum\":%llu,\"latency_us_max\":%llu}",
                           k ? "," : "", lf_op_name((lf_op_kind)k), (unsigned long long)o->calls,
                           (unsigned long long)o->errors, (unsigned long long)o->refused,
                           (unsigned long long)o->usec_sum, (unsigned long long)o->usec_max);
    }
    if (rc == 0)
        rc = lf_buf_puts(out, "},\"local\":{");
    for (int k = 0; k < LF_LOCAL__COUNT && rc == 0; k++)
        rc = lf_buf_printf(out, "%s\"%s\":%llu", k ? "," : "", local_names[k],
                           (unsigned long long)m->local[k]);
    if (rc == 0)
        rc = lf_buf_printf(out,
                           "},\"verified\":%llu,\"divergences\":%llu,\"backend_errors\":%llu,"
                           "\"refusals\":%llu,\"alternatives\":%llu,\"rescued\":%llu,"
                           "\"model_errors\":%llu,\"enospc\":%llu,\"generation\":%llu,\"state_bytes\":%zu,\"room_bytes\":%llu,"
                           "\"room_free_bytes\":%llu}\n",
                           (unsigned long long)m->verified, (unsigned long long)m->divergences,
                           (unsigned long long)m->backend_errors,
                           (unsigned long long)m->refusals, (unsigned long long)m->alternatives,
                           (unsigned long long)m->rescued, (unsigned long long)m->model_errors,
                           (unsigned long long)m->enospc, (unsigned long long)s->gen,
                           s->xml_len, (unsigned long long)total, (unsigned long long)avail);
    pthread_mutex_unlock(&m->stats_mu);
    lf_snap_put(s);
    return rc;
}

void lf_mount_room(lf_mount *m, uint64_t *total, uint64_t *avail)
{
    lf_snap *s = lf_mount_snap(m);
    lf_backend *b = m->backend;
    uint64_t t = LF_MOUNT_UNLIMITED_ROOM;
    if (b && b->context_tokens > 0) {
        long ctx = b->context_tokens;
        long tokens = -1;
        pthread_mutex_lock(&m->stats_mu);
        if (m->room_gen == s->gen)
            tokens = m->room_tokens;
        pthread_mutex_unlock(&m->stats_mu);
        if (tokens < 0 && b->vt && b->vt->count_tokens) {
            tokens = b->vt->count_tokens(b, s->xml, s->xml_len);
            pthread_mutex_lock(&m->stats_mu);
            m->room_gen = s->gen;
            m->room_tokens = tokens;
            pthread_mutex_unlock(&m->stats_mu);
        }
        double bpt = tokens > 0 ? (double)s->xml_len / (double)tokens : 4.0;
        /* the answer budget is 1.1 x the state's tokens (backend.c) */
        long room = (long)((double)(ctx - LF_MOUNT_OVERHEAD_TOKENS) / 2.1);
        t = room > 0 ? (uint64_t)((double)room * bpt) : 0;
    }
    *total = t;
    *avail = t > s->xml_len ? t - s->xml_len : 0;
    lf_snap_put(s);
}

/* ---- owners ----------------------------------------------------------- */

static bool all_digits(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

uid_t lf_mount_uid_of(lf_mount *m, const char *owner)
{
    if (!owner || !strcmp(owner, m->owner))
        return m->o.uid;
    if (!strcmp(owner, "root"))
        return 0;
    if (all_digits(owner))
        return (uid_t)strtoul(owner, NULL, 10);
    struct passwd pw, *r = NULL;
    char buf[1024];
    if (getpwnam_r(owner, &pw, buf, sizeof buf, &r) == 0 && r)
        return r->pw_uid;
    return m->o.uid;
}

gid_t lf_mount_gid_of(lf_mount *m, const char *group)
{
    if (!group || !strcmp(group, m->group))
        return m->o.gid;
    if (!strcmp(group, "root"))
        return 0;
    if (all_digits(group))
        return (gid_t)strtoul(group, NULL, 10);
    struct group gr, *r = NULL;
    char buf[1024];
    if (getgrnam_r(group, &gr, buf, sizeof buf, &r) == 0 && r)
        return r->gr_gid;
    return m->o.gid;
}

/* ---- verify ----------------------------------------------------------- */

static void describe(const lf_answer *a, lf_buf *out)
{
    switch (a->kind) {
    case LF_ANS_ERROR: {
        const char *n = lf_errno_name(a->err);
        lf_buf_printf(out, "ERROR: %s", n ? n : "?");
        break;
    }
    case LF_ANS_STATE:
        lf_buf_puts(out, "a state");
        break;
    case LF_ANS_LIST:
        lf_buf_puts(out, "[");
        for (size_t i = 0; i < a->nnames && out->len < 200; i++) {
            lf_buf_puts(out, i ? "," : "");
            lf_fs_excerpt(a->names[i], strlen(a->names[i]), 40, out);
        }
        lf_buf_puts(out, "]");
        break;
    case LF_ANS_BYTES:
        lf_buf_printf(out, "%zu bytes '", a->nbytes);
        lf_fs_excerpt(a->bytes, a->nbytes, 40, out);
        lf_buf_puts(out, "'");
        break;
    }
}

/* Appends why got differs from exp, or returns true when they agree. */
static bool answers_agree(const lf_answer *exp, const lf_answer *got, lf_buf *why)
{
    if (exp->kind == got->kind) {
        switch (exp->kind) {
        case LF_ANS_ERROR:
            if (exp->err == got->err)
                return true;
            break;
        case LF_ANS_STATE: {
            if (lf_state_equal(exp->state, got->state))
                return true;
            lf_buf a, b;
            lf_buf_init(&a, LF_MOUNT_STATE_MAX);
            lf_buf_init(&b, LF_MOUNT_STATE_MAX);
            lf_state_serialize(exp->state, &a);
            lf_state_serialize(got->state, &b);
            lf_buf_puts(why, "states differ ");
            lf_fs_diff_excerpt(a.data, a.len, b.data, b.len, why);
            lf_buf_free(&a);
            lf_buf_free(&b);
            return false;
        }
        case LF_ANS_LIST: {
            bool same = exp->nnames == got->nnames;
            for (size_t i = 0; same && i < exp->nnames; i++)
                same = strcmp(exp->names[i], got->names[i]) == 0;
            if (same)
                return true;
            break;
        }
        case LF_ANS_BYTES:
            if (exp->nbytes == got->nbytes &&
                (exp->nbytes == 0 || memcmp(exp->bytes, got->bytes, exp->nbytes) == 0))
                return true;
            lf_buf_puts(why, "contents differ ");
            lf_fs_diff_excerpt(exp->bytes, exp->nbytes, got->bytes, got->nbytes, why);
            return false;
        }
    }
    lf_buf_puts(why, "expected ");
    describe(exp, why);
    lf_buf_puts(why, " got ");
    describe(got, why);
    return false;
}

/* Compares the backend's answer (got, or NULL with a parse failure in
 * got_err) with the oracle's for op on st; with --verify logs and counts a
 * divergence. Returns true when they agree (or the oracle cannot say). */
static bool verify(lf_mount *m, const lf_op *op, const lf_state *st, const lf_answer *got,
                   const char *got_err, const char *opline)
{
    lf_answer exp;
    memset(&exp, 0, sizeof exp);
    int rc = lf_oracle_answer(st, op, &exp);
    if (rc < 0) {
        lf_warn("verify: the oracle failed on %s (%d)", opline, rc);
        return true;
    }
    lf_buf why;
    lf_buf_init(&why, 1 << 16);
    bool agree;
    if (got) {
        agree = answers_agree(&exp, got, &why);
    } else {
        agree = false;
        lf_buf_puts(&why, "expected ");
        describe(&exp, &why);
        lf_buf_printf(&why, " got an answer that does not parse (%s)", got_err ? got_err : "");
    }
    if (!m->o.verify) {
        lf_buf_free(&why);
        lf_answer_free(&exp);
        return agree;
    }
    pthread_mutex_lock(&m->stats_mu);
    m->verified++;
    uint64_t n = agree ? 0 : ++m->divergences;
    pthread_mutex_unlock(&m->stats_mu);
    if (!agree) {
        pthread_mutex_lock(&m->vlog_mu);
        fprintf(m->vlog, "llmfuse: divergence #%llu: %s: %s\n", (unsigned long long)n, opline,
                why.data ? why.data : "");
        fflush(m->vlog);
        pthread_mutex_unlock(&m->vlog_mu);
    }
    lf_buf_free(&why);
    lf_answer_free(&exp);
    return agree;
}

/* ---- the backend call ------------------------------------------------- */

/* Renders op (cut for log lines) into line. */
static void op_line(const lf_op *op, char *line, size_t n)
{
    lf_buf b, e;
    lf_buf_init(&b, 1 << 20);
    lf_buf_init(&e, 4096);
    if (lf_op_render(op, &b) == 0 && b.data)
        lf_fs_excerpt(b.data, b.len, 200, &e);
    snprintf(line, n, "%s", e.data ? e.data : lf_op_name(op->kind));
    lf_buf_free(&b);
    lf_buf_free(&e);
}

/* The mount's side of lf_fs_ask: --verify / --strict on each answer the
 * judgement accepts, and a log line for each refusal. */
typedef struct ask_ctx {
    lf_mount *m;
    const lf_op *op;
    const lf_state *st;
    const char *opline;
} ask_ctx;

static int ask_check(void *ctx, int k, const lf_answer *ans, lf_err *why)
{
    (void)k;
    ask_ctx *c = ctx;
    if ((c->m->o.verify || c->m->o.strict) && !verify(c->m, c->op, c->st, ans, NULL, c->opline) &&
        c->m->o.strict)
        return lf_err_set(why, EIO, "the answer disagrees with the oracle (--strict)");
    return 0;
}

static void ask_refused(void *ctx, int k, const char *text, size_t len, const lf_err *why)
{
    ask_ctx *c = ctx;
    lf_buf ex;
    lf_buf_init(&ex, 4096);
    lf_fs_excerpt(text, len, 120, &ex);
    char which[32] = "";
    if (k)
        snprintf(which, sizeof which, ", alternative %d", k);
    lf_error("%s: refused (EIO)%s: %s; answer (%zu bytes): '%s'", c->opline, which, why->msg, len,
             ex.data ? ex.data : "");
    lf_buf_free(&ex);
}

static void ask_exhausted(void *ctx, int k, const lf_err *why)
{
    ask_ctx *c = ctx;
    lf_info("%s: no alternative %d: %s", c->opline, k, why->msg);
}

/* Asks the backend about op on snapshot s and judges the answer
 * (lf_fs_ask: lf_fs_judge, then --verify / --strict) into ans. A refused
 * answer is followed by up to m->o.alternatives alternative answers where
 * the backend has them; the first one accepted is taken. Returns 0, or the
 * FUSE errno with the failure logged and counted; *refused is set when
 * every answer was refused. */
static int ask(lf_mount *m, const lf_op *op, const lf_snap *s, lf_answer *ans,
               const char *opline, bool *refused)
{
    lf_backend *b = m->backend;
    lf_err err;
    lf_err_clear(&err);
    lf_buf prompt, text;
    lf_buf_init(&prompt, LF_MOUNT_STATE_MAX + (op->data_len * 2) + 65536);
    lf_buf_init(&text, LF_MOUNT_STATE_MAX);
    int rc;
    if (!b) {
        lf_error("%s: no backend attached", opline);
        rc = -EIO;
        goto out;
    }
    if ((rc = lf_prompt_render(op, s->st, &prompt)) < 0) {
        lf_error("%s: cannot render the prompt (%d)", opline, rc);
        rc = rc == -E2BIG ? -ENOSPC : -EIO;
        goto out;
    }
    /* the answer budget from the state the request carries (the tight form
     * of lf_backend_budget); -ENOSPC when prompt plus answer cannot fit */
    lf_request req = {.op = op, .state = s->st, .prompt = prompt.data, .prompt_len = prompt.len,
                      .max_tokens = 0};
    long ptok = -1;
    rc = lf_backend_budget_request(b, &req, &req.max_tokens, &ptok, &err);
    if (rc == 0) {
        ask_ctx c = {.m = m, .op = op, .st = s->st, .opline = opline};
        lf_fs_ask_hooks h = {.ctx = &c, .check = ask_check, .refused = ask_refused,
                             .exhausted = ask_exhausted};
        lf_fs_asked asked;
        lf_err jerr;
        lf_err_clear(&jerr);
        rc = lf_fs_ask(b, &req, op, s->st, m->o.alternatives > 0 ? m->o.alternatives : 0, &h, &text,
                       ans, &asked, &jerr, &err);
        bump_by(m, &m->alternatives, (uint64_t)asked.alternatives);
        if (rc == 0 && asked.judged == 0) {
            if (asked.taken > 0) {
                bump(m, &m->rescued);
                lf_info("%s: alternative %d accepted", opline, asked.taken);
            }
            *refused = false;
            goto out;
        }
        if (rc == 0) {   /* every answer refused */
            *refused = true;
            if (m->o.verify && !m->o.strict) {   /* count the greedy answer's divergence */
                lf_answer pa;
                lf_err pe;
                lf_err_clear(&pe);
                memset(&pa, 0, sizeof pa);
                if (lf_completion_parse(op, s->st, text.data ? text.data : "", text.len, &pa,
                                        &pe) == 0) {
                    verify(m, op, s->st, &pa, NULL, opline);
                    lf_answer_free(&pa);
                } else {
                    verify(m, op, s->st, NULL, jerr.msg, opline);
                }
            }
            rc = -EIO;
            goto out;
        }
    }
    if (rc == -ENOSPC) {
        bump(m, &m->enospc);
        lf_warn("%s: refused with ENOSPC: %s", opline, err.msg[0] ? err.msg : "no room");
        goto out;
    }
    bump(m, &m->backend_errors);
    lf_error("%s: backend %s failed: %s", opline, b->vt->name,
             err.msg[0] ? err.msg : strerror(-rc));
    rc = lf_fs_errno_from_backend(rc);
out:
    lf_buf_free(&prompt);
    lf_buf_free(&text);
    return rc;
}

/* Debug trace: one line per model-bound op and its outcome. */
static void log_result(const lf_op *op, char *opline, int rc)
{
    if (!opline[0])
        op_line(op, opline, 512);
    const char *e = rc < 0 ? lf_errno_name(-rc) : NULL;
    lf_debug("%s -> %s", opline, rc == 0 ? "ok" : e ? e : "error");
}

/* ---- <W> operations --------------------------------------------------- */

static bool reserved(const char *path)
{
    return !strcmp(path, "/.llmfuse") || !strncmp(path, "/.llmfuse/", 10);
}

int lf_mount_write(lf_mount *m, const lf_op *op_in, unsigned flags)
{
    uint64_t t0 = now_usec();
    bool refused = false;
    char opline[512] = "";
    lf_answer ans;
    memset(&ans, 0, sizeof ans);
    lf_op op = *op_in; /* shallow: only offset may change */
    int rc;

    if (!lf_op_is_write(op.kind))
        return -EINVAL;
    pthread_mutex_lock(&m->write_mu);
    lf_snap *s = lf_mount_snap(m);

    if (reserved(op.path) || (op.new_path && reserved(op.new_path))) {
        rc = -EPERM;
        goto out;
    }
    if ((rc = lf_fs_op_names_check(&op)) < 0)
        goto out;
    if (flags & LF_MOUNT_APPEND) {
        const lf_node *n = lf_state_lookup(s->st, op.path, NULL);
        if (n && n->kind == LF_NODE_FILE)
            op.offset = n->size;
    }
    if ((flags & LF_MOUNT_NOREPLACE) && op.kind == LF_OP_RENAME &&
        lf_state_lookup(s->st, op.new_path, NULL)) {
        rc = -EEXIST;
        goto out;
    }
    op_line(&op, opline, sizeof opline);
    if ((rc = ask(m, &op, s, &ans, opline, &refused)) < 0)
        goto out;

    if (ans.kind == LF_ANS_ERROR) {
        bump(m, &m->model_errors);
        rc = lf_fs_errno_from_model(ans.err);
        const char *n = lf_errno_name(ans.err);
        lf_debug("%s: ERROR: %s -> %d", opline, n ? n : "?", rc);
        goto out;
    }
    lf_err err;
    lf_err_clear(&err);
    lf_snap *ns = snap_new(ans.state, s->gen + 1, &err);
    if (!ns) {
        rc = -ENOMEM;
        goto out;
    }
    ans.state = NULL; /* owned by ns */
    if (ns->xml_len > LF_MOUNT_STATE_MAX) {
        lf_snap_put(ns);
        rc = -ENOSPC;
        goto out;
    }
    if (m->state_path &&
        (rc = lf_file_write_atomic(m->state_path, ns->xml, ns->xml_len, &err)) < 0) {
        lf_error("%s: cannot save the state to %s: %s; the operation is not applied", opline,
                 m->state_path, err.msg);
        lf_snap_put(ns);
        rc = -EIO;
        goto out;
    }
    swap_in(m, ns);
    rc = 0;
out:
    if (lf_log_level() >= LF_LOG_DEBUG)
        log_result(&op, opline, rc);
    lf_snap_put(s);
    pthread_mutex_unlock(&m->write_mu);
    lf_answer_free(&ans);
    count_op(m, op.kind, rc, refused, t0);
    return rc;
}

/* ---- queries ---------------------------------------------------------- */

static void cache_clear(struct rcache *c)
{
    free(c->path);
    free(c->bytes);
    memset(c, 0, sizeof *c);
    c->fh = -1;
}

void lf_mount_forget(lf_mount *m, long long fh)
{
    pthread_mutex_lock(&m->cache_mu);
    for (int i = 0; i < LF_MOUNT_READ_CACHE; i++)
        if (m->rcache[i].fh == fh)
            cache_clear(&m->rcache[i]);
    pthread_mutex_unlock(&m->cache_mu);
}

/* A copy of what handle op->fh read of op->path in state gen, as a BYTES
 * answer; false if there is none. */
static bool cache_get(lf_mount *m, const lf_op *op, uint64_t gen, lf_answer *ans)
{
    bool hit = false;
    pthread_mutex_lock(&m->cache_mu);
    for (int i = 0; i < LF_MOUNT_READ_CACHE && !hit; i++) {
        struct rcache *c = &m->rcache[i];
        if (c->fh != op->fh || c->gen != gen || strcmp(c->path, op->path))
            continue;
        ans->bytes = malloc(c->n ? c->n : 1);
        if (ans->bytes) {
            memcpy(ans->bytes, c->bytes, c->n);
            ans->nbytes = c->n;
            ans->kind = LF_ANS_BYTES;
            hit = true;
        }
    }
    pthread_mutex_unlock(&m->cache_mu);
    return hit;
}

static void cache_put(lf_mount *m, const lf_op *op, uint64_t gen, const lf_answer *ans)
{
    char *p = strdup(op->path);
    unsigned char *b = malloc(ans->nbytes ? ans->nbytes : 1);
    if (!p || !b) {
        free(p);
        free(b);
        return;
    }
    memcpy(b, ans->bytes, ans->nbytes);
    pthread_mutex_lock(&m->cache_mu);
    struct rcache *c = NULL;
    for (int i = 0; i < LF_MOUNT_READ_CACHE && !c; i++)
        if (m->rcache[i].fh == op->fh)
            c = &m->rcache[i];
    if (!c)
        c = &m->rcache[m->rcache_next++ % LF_MOUNT_READ_CACHE];
    cache_clear(c);
    *c = (struct rcache){.fh = op->fh, .gen = gen, .path = p, .bytes = b, .n = ans->nbytes};
    pthread_mutex_unlock(&m->cache_mu);
}

/* A listing may only name what the state holds (a name getattr would deny
 * shows as "No such file" in ls): such names, ".", ".." and repeats are
 * dropped; a difference from the state's children is logged. */
static void drop_phantoms(const lf_state *st, const lf_op *op, lf_answer *ans, const char *opline)
{
    const lf_node *d = lf_state_lookup(st, op->path, NULL);
    size_t k = 0, phantoms = 0;
    for (size_t i = 0; i < ans->nnames; i++) {
        char *nm = ans->names[i];
        bool keep = strcmp(nm, ".") && strcmp(nm, "..") && d && lf_node_find_child(d, nm);
        for (size_t j = 0; keep && j < k; j++)
            keep = strcmp(ans->names[j], nm) != 0;
        if (keep) {
            ans->names[k++] = nm;
        } else {
            phantoms += strcmp(nm, ".") && strcmp(nm, "..");
            free(nm);
        }
    }
    ans->nnames = k;
    if (phantoms)
        lf_warn("%s: dropped %zu name(s) from the listing (not in the state, or repeated)", opline,
                phantoms);
    if (d && k != d->nkids)
        lf_info("%s: the listing has %zu of the state's %zu children", opline, k, d->nkids);
}

int lf_mount_query(lf_mount *m, const lf_op *op, lf_answer *ans)
{
    uint64_t t0 = now_usec();
    bool refused = false;
    char opline[512] = "";
    int rc;
    memset(ans, 0, sizeof *ans);
    if (lf_op_is_write(op->kind))
        return -EINVAL;
    lf_snap *s = lf_mount_snap(m);
    if ((rc = lf_fs_query_precheck(op, s->st)) < 0)
        goto out;
    bool cacheable = op->kind == LF_OP_READ && op->fh >= 0;
    if (cacheable && op->offset > 0 && cache_get(m, op, s->gen, ans)) {
        lf_snap_put(s);
        lf_mount_count_local(m, LF_LOCAL_READ_CACHED);
        return 0;
    }
    op_line(op, opline, sizeof opline);
    if ((rc = ask(m, op, s, ans, opline, &refused)) < 0)
        goto out;
    if (op->kind == LF_OP_READDIR)
        drop_phantoms(s->st, op, ans, opline);
    if (cacheable)
        cache_put(m, op, s->gen, ans);
out:
    if (lf_log_level() >= LF_LOG_DEBUG)
        log_result(op, opline, rc);
    if (rc < 0)
        lf_answer_free(ans);
    lf_snap_put(s);
    count_op(m, op->kind, rc, refused, t0);
    return rc;
}
