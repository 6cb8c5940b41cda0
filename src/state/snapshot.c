/* snapshot.c: reads a real directory into a state tree (snapshot.h).
 *
 * The walk works on directory file descriptors (openat/fstatat/readlinkat
 * with O_NOFOLLOW), so it never builds long paths for system calls, never
 * follows a symlink, and cannot be redirected by a path component swapped
 * for a link mid-walk. Children are appended unsorted and sorted once per
 * directory. Owner and group names are cached per snapshot, so a tree of one
 * owner costs one database lookup. */
#include "state/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/text.h"

#define NAME_CACHE 16

typedef struct {
    unsigned id;
    char name[64];
} id_name;

typedef struct {
    int flags;
    int skipped;
    lf_err *err;
    lf_buf rel;                 /* relative path of the directory being read */
    id_name users[NAME_CACHE], groups[NAME_CACHE];
    int nusers, ngroups;
    unsigned my_uid, my_gid;
    const char *root_owner, *root_group;
    char num[2][16];            /* PROTOCOL_IDS: decimal ids (group, user) */
} snap;

static const char *db_name(bool user, unsigned id, char *buf, size_t size)
{
    char tmp[4096];
    const char *name = NULL;
    if (user) {
        struct passwd pw, *res = NULL;
        if (getpwuid_r((uid_t)id, &pw, tmp, sizeof tmp, &res) == 0 && res)
            name = res->pw_name;
    } else {
        struct group gr, *res = NULL;
        if (getgrgid_r((gid_t)id, &gr, tmp, sizeof tmp, &res) == 0 && res)
            name = res->gr_name;
    }
    if (name && strlen(name) < size && !lf_text_needs_base64(name, strlen(name)))
        snprintf(buf, size, "%s", name);
    else
        snprintf(buf, size, "%u", id);
    return buf;
}

const char *lf_state_user_name(unsigned id, char *buf, size_t size) { return db_name(true, id, buf, size); }
const char *lf_state_group_name(unsigned id, char *buf, size_t size) { return db_name(false, id, buf, size); }

/* The owner (user) or group string of an entry with this id. */
static const char *id_string(snap *s, bool user, unsigned id)
{
    if (s->flags & LF_SNAPSHOT_PROTOCOL_IDS) {
        char *num = s->num[user];
        if (id == (user ? s->my_uid : s->my_gid))
            return user ? s->root_owner : s->root_group;
        if (id == 0)
            return "root";
        snprintf(num, sizeof s->num[0], "%u", id);
        return num;
    }
    id_name *c = user ? s->users : s->groups;
    int *n = user ? &s->nusers : &s->ngroups;
    for (int i = 0; i < *n; i++)
        if (c[i].id == id)
            return c[i].name;
    int slot = *n < NAME_CACHE ? (*n)++ : (int)(id % NAME_CACHE);
    c[slot].id = id;
    return db_name(user, id, c[slot].name, sizeof c[slot].name);
}

static void skip(snap *s, const char *name, const char *why)
{
    s->skipped++;
    lf_warn("snapshot: skipping %s%s%s: %s", s->rel.len ? s->rel.data : "", s->rel.len ? "/" : "", name, why);
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(lf_node *const *)a)->name, (*(lf_node *const *)b)->name);
}

static int append_kid(lf_node *dir, lf_node *kid)
{
    if (dir->nkids == dir->capkids) {
        size_t cap = dir->capkids ? dir->capkids * 2 : 8;
        lf_node **k = realloc(dir->kids, cap * sizeof *k);
        if (!k)
            return -ENOMEM;
        dir->kids = k;
        dir->capkids = cap;
    }
    dir->kids[dir->nkids++] = kid;
    kid->parent = dir;
    return 0;
}

/* Reads a regular file's content (to EOF, capped at LF_STATE_MAX_XML) into
 * n. Returns 0, a positive errno meaning "skip this file", or -ENOMEM. */
static int read_file(int fd, lf_node *n)
{
    struct stat st;
    size_t cap = 4096;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        cap = (size_t)st.st_size < LF_STATE_MAX_XML ? (size_t)st.st_size + 1 : LF_STATE_MAX_XML + 1;
    unsigned char *p = malloc(cap);
    size_t len = 0;
    if (!p)
        return -ENOMEM;
    for (;;) {
        if (len == cap) {                 /* grew since fstat */
            if (cap > LF_STATE_MAX_XML) {
                free(p);
                return EFBIG;
            }
            size_t nc = cap * 2 > LF_STATE_MAX_XML + 1 ? LF_STATE_MAX_XML + 1 : cap * 2;
            unsigned char *q = realloc(p, nc);
            if (!q) {
                free(p);
                return -ENOMEM;
            }
            p = q;
            cap = nc;
        }
        ssize_t r = read(fd, p + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(p);
            return e;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (len > LF_STATE_MAX_XML) {
        free(p);
        return EFBIG;
    }
    if (len == 0) {
        free(p);
        p = NULL;
    } else if (len < cap) {
        unsigned char *q = realloc(p, len);   /* give back the slack */
        if (q)
            p = q;
    }
    free(n->data);
    n->data = p;
    n->size = len;
    return 0;
}

static int walk(snap *s, int dfd, lf_node *dir, int depth);

/* One directory entry; 0 on success or skip, negative to abort. */
static int entry(snap *s, int dfd, lf_node *dir, const char *name, int depth)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            skip(s, name, strerror(errno));
        return 0;
    }
    size_t nl = strlen(name);
    if (nl > LF_STATE_MAX_NAME || lf_text_needs_base64(name, nl)) {
        skip(s, "(name)", "name is not representable (not UTF-8, a control byte, or too long)");
        return 0;
    }
    lf_node_kind kind;
    if (S_ISDIR(st.st_mode))
        kind = LF_NODE_DIR;
    else if (S_ISREG(st.st_mode))
        kind = LF_NODE_FILE;
    else if (S_ISLNK(st.st_mode))
        kind = LF_NODE_LINK;
    else {
        skip(s, name, "not a regular file, directory or symlink");
        return 0;
    }
    lf_node *n = lf_node_new(kind, name, st.st_mode & 07777, id_string(s, true, st.st_uid),
                             id_string(s, false, st.st_gid));
    if (!n)
        return lf_err_set(s->err, ENOMEM, "snapshot: out of memory");
    int rc = 0;
    if (kind == LF_NODE_LINK) {
        size_t cap = (size_t)st.st_size + 2 > 4097 ? (size_t)st.st_size + 2 : 4097;
        char *t = malloc(cap);
        ssize_t r = t ? readlinkat(dfd, name, t, cap - 1) : -1;
        if (!t) {
            rc = lf_err_set(s->err, ENOMEM, "snapshot: out of memory");
        } else if (r < 0 || (size_t)r >= cap - 1) {
            skip(s, name, r < 0 ? strerror(errno) : "link target changed during the walk");
            free(t);
            lf_node_free(n);
            return 0;
        } else {
            t[r] = 0;
            if (memchr(t, 0, (size_t)r) || lf_text_needs_base64(t, (size_t)r)) {
                skip(s, name, "symlink target is not representable");
                free(t);
                lf_node_free(n);
                return 0;
            }
            n->target = t;
        }
    } else {
        int fl = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (kind == LF_NODE_DIR ? O_DIRECTORY : O_NONBLOCK);
        int fd = openat(dfd, name, fl);
        if (fd < 0) {
            if (errno != ENOENT)
                skip(s, name, strerror(errno));
            lf_node_free(n);
            return 0;
        }
        if (kind == LF_NODE_FILE) {
            rc = read_file(fd, n);
            close(fd);
            if (rc > 0) {
                skip(s, name, rc == EFBIG ? "file larger than the state cap" : strerror(rc));
                lf_node_free(n);
                return 0;
            }
            if (rc)
                rc = lf_err_set(s->err, ENOMEM, "snapshot: out of memory");
        } else {
            size_t keep = s->rel.len;
            rc = (keep ? lf_buf_putc(&s->rel, '/') : 0);
            if (!rc)
                rc = lf_buf_puts(&s->rel, name);
            if (rc)
                rc = lf_err_set(s->err, ENOMEM, "snapshot: out of memory");
            else
                rc = walk(s, fd, n, depth + 1);   /* takes fd */
            s->rel.len = keep;
            if (s->rel.data)
                s->rel.data[keep] = 0;
        }
    }
    if (!rc)
        rc = append_kid(dir, n) ? lf_err_set(s->err, ENOMEM, "snapshot: out of memory") : 0;
    if (rc)
        lf_node_free(n);
    return rc;
}

/* Reads directory fd (which it closes) into dir. */
static int walk(snap *s, int fd, lf_node *dir, int depth)
{
    if (depth > LF_STATE_MAX_DEPTH) {
        close(fd);
        return lf_err_set(s->err, ELOOP, "snapshot: %s: directories nested deeper than %d",
                          s->rel.data ? s->rel.data : "", LF_STATE_MAX_DEPTH);
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return lf_err_set(s->err, e, "snapshot: %s: %s", s->rel.data ? s->rel.data : ".", strerror(e));
    }
    int rc = 0;
    struct dirent *de;
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno)
                rc = lf_err_set(s->err, errno, "snapshot: reading %s: %s",
                                s->rel.len ? s->rel.data : ".", strerror(errno));
            break;
        }
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if ((rc = entry(s, dirfd(d), dir, de->d_name, depth)))
            break;
    }
    closedir(d);
    if (!rc && dir->nkids > 1)
        qsort(dir->kids, dir->nkids, sizeof *dir->kids, by_name);
    return rc;
}

int lf_state_snapshot_ex(const char *dir, int flags, lf_state **out, int *skipped, lf_err *err)
{
    *out = NULL;
    if (skipped)
        *skipped = 0;
    snap s = {.flags = flags, .err = err, .my_uid = (unsigned)getuid(), .my_gid = (unsigned)getgid()};
    char owner[64], group[64];
    s.root_owner = lf_state_user_name(s.my_uid, owner, sizeof owner);
    s.root_group = lf_state_group_name(s.my_gid, group, sizeof group);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return lf_err_set(err, errno, "snapshot: %s: %s", dir, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return lf_err_set(err, e, "snapshot: %s: %s", dir, strerror(e));
    }
    lf_state *state = lf_state_new(s.root_owner, s.root_group);
    if (!state) {
        close(fd);
        return lf_err_set(err, ENOMEM, "snapshot: out of memory");
    }
    state->root->mode = st.st_mode & 07777;
    lf_buf_init(&s.rel, 0);
    int rc = walk(&s, fd, state->root, 0);
    lf_buf_free(&s.rel);
    if (rc) {
        lf_state_free(state);
        return rc;
    }
    if (skipped)
        *skipped = s.skipped;
    *out = state;
    return 0;
}

int lf_state_snapshot(const char *dir, lf_state **out, lf_err *err)
{
    return lf_state_snapshot_ex(dir, LF_SNAPSHOT_NAMES, out, NULL, err);
}
