/* opline.c: operation lines (PROTOCOL.md §2): names, render and parse.
 *
 * Grammar, separators ", " throughout:
 *   name '(' REPR-PATH { ', ' key '=' value } ')'
 * with keys in the fixed order of the §2 table. rename's new_path and
 * symlink's target are unquoted and run to the closing ')' that ends the
 * line (a quoted value, as the original's runtime wrote, is accepted too).
 * write's data= is raw and ends at the first tail
 * ", data_length=N, offset=N, fh=X)" that ends the line and whose N is the
 * byte length of the data before it; data_base64= carries bytes that need a
 * base64 body (§3). */
#include "proto/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto_int.h"
#include "util/text.h"

static const char *const op_names[LF_OP__COUNT] = {
    [LF_OP_MKDIR] = "mkdir",     [LF_OP_CREATE] = "create", [LF_OP_WRITE] = "write",
    [LF_OP_TRUNCATE] = "truncate", [LF_OP_UNLINK] = "unlink", [LF_OP_RMDIR] = "rmdir",
    [LF_OP_RENAME] = "rename",   [LF_OP_CHMOD] = "chmod",   [LF_OP_CHOWN] = "chown",
    [LF_OP_SYMLINK] = "symlink", [LF_OP_READDIR] = "readdir", [LF_OP_READ] = "read",
    [LF_OP_READLINK] = "readlink",
};

const char *lf_op_name(lf_op_kind k)
{
    return (unsigned)k < LF_OP__COUNT ? op_names[k] : NULL;
}

int lf_op_from_name(const char *name, size_t len)
{
    for (int k = 0; k < LF_OP__COUNT; k++)
        if (strlen(op_names[k]) == len && memcmp(op_names[k], name, len) == 0)
            return k;
    return -1;
}

bool lf_op_is_write(lf_op_kind k)
{
    return k != LF_OP_READDIR && k != LF_OP_READ && k != LF_OP_READLINK &&
           (unsigned)k < LF_OP__COUNT;
}

void lf_op_free(lf_op *op)
{
    if (!op)
        return;
    free(op->path);
    free(op->new_path);
    free(op->link_target);
    free(op->data);
    op->path = op->new_path = op->link_target = NULL;
    op->data = NULL;
    op->data_len = 0;
}

static int dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : -ENOMEM;
}

int lf_op_copy(lf_op *dst, const lf_op *src)
{
    *dst = *src;
    dst->path = dst->new_path = dst->link_target = NULL;
    dst->data = NULL;
    if (dup_str(&dst->path, src->path) || dup_str(&dst->new_path, src->new_path) ||
        dup_str(&dst->link_target, src->link_target))
        goto fail;
    if (src->data) {
        dst->data = malloc(src->data_len ? src->data_len : 1);
        if (!dst->data)
            goto fail;
        memcpy(dst->data, src->data, src->data_len);
    }
    return 0;
fail:
    lf_op_free(dst);
    return -ENOMEM;
}

/* ---- render ---- */

static int put_fh(lf_buf *out, long long fh)
{
    return fh < 0 ? lf_buf_puts(out, "None") : lf_buf_printf(out, "%lld", fh);
}

/* new_path= and target= are unquoted (§2). A value that starts with a quote
 * (never an absolute path) would read back as a quoted one, so it is
 * written quoted. */
static int put_unquoted(lf_buf *out, const char *s)
{
    if (s[0] == '\'' || s[0] == '"')
        return lf_proto_repr(s, strlen(s), out);
    return lf_buf_puts(out, s);
}

int lf_op_render(const lf_op *op, lf_buf *out)
{
    const char *name = lf_op_name(op->kind);
    const char *arg0 = op->kind == LF_OP_SYMLINK ? op->link_target : op->path;
    if (!name || !arg0 || !op->path)
        return -EINVAL;
    int rc = lf_buf_printf(out, "%s(", name);
    if (!rc)
        rc = lf_proto_repr(arg0, strlen(arg0), out);
    if (rc)
        return rc;
    switch (op->kind) {
    case LF_OP_MKDIR: case LF_OP_CREATE: case LF_OP_CHMOD:
        rc = lf_buf_printf(out, ", mode=0o%o", op->mode);
        break;
    case LF_OP_WRITE:
        if (op->data_len && lf_text_needs_base64(op->data, op->data_len)) {
            rc = lf_buf_puts(out, ", data_base64=");
            if (!rc)
                rc = lf_b64_encode(op->data, op->data_len, out);
        } else {
            rc = lf_buf_puts(out, ", data=");
            if (!rc)
                rc = lf_buf_append(out, op->data, op->data_len);
        }
        if (!rc)
            rc = lf_buf_printf(out, ", data_length=%zu, offset=%llu, fh=", op->data_len,
                               (unsigned long long)op->offset);
        if (!rc)
            rc = put_fh(out, op->fh);
        break;
    case LF_OP_TRUNCATE:
        rc = lf_buf_printf(out, ", length=%llu, fh=", (unsigned long long)op->length);
        if (!rc)
            rc = put_fh(out, op->fh);
        break;
    case LF_OP_RENAME:
        if (!op->new_path)
            return -EINVAL;
        rc = lf_buf_puts(out, ", new_path=");
        if (!rc)
            rc = put_unquoted(out, op->new_path);
        break;
    case LF_OP_CHOWN:
        rc = lf_buf_printf(out, ", uid=%lld, gid=%lld", op->uid, op->gid);
        break;
    case LF_OP_SYMLINK:
        rc = lf_buf_puts(out, ", target=");
        if (!rc)
            rc = put_unquoted(out, op->path);
        break;
    case LF_OP_READDIR:
        rc = lf_buf_puts(out, ", fh=");
        if (!rc)
            rc = put_fh(out, op->fh);
        break;
    case LF_OP_READ:
        rc = lf_buf_printf(out, ", size=%llu, offset=%llu, fh=",
                           (unsigned long long)op->size, (unsigned long long)op->offset);
        if (!rc)
            rc = put_fh(out, op->fh);
        break;
    default:
        break;
    }
    return rc ? rc : lf_buf_putc(out, ')');
}

/* ---- parse ---- */

typedef struct {
    const char *s;
    size_t n, i;
    lf_err *err;
} cursor;

static int lit(cursor *c, const char *t)
{
    size_t k = strlen(t);
    if (c->n - c->i < k || memcmp(c->s + c->i, t, k) != 0)
        return lf_err_set(c->err, EINVAL, "op line: expected '%s' at %zu", t, c->i);
    c->i += k;
    return 0;
}

/* Decimal digits without a sign or leading zeros (Python's str(int)). */
static int uint_at(cursor *c, unsigned long long *v)
{
    size_t st = c->i;
    unsigned long long x = 0;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
        unsigned d = (unsigned)(c->s[c->i] - '0');
        if (x > (~0ULL - d) / 10)
            return lf_err_set(c->err, EINVAL, "op line: number too large at %zu", st);
        x = x * 10 + d;
        c->i++;
    }
    if (c->i == st || (c->s[st] == '0' && c->i - st > 1))
        return lf_err_set(c->err, EINVAL, "op line: bad number at %zu", st);
    *v = x;
    return 0;
}

static int int_at(cursor *c, long long *v)
{
    bool neg = c->i < c->n && c->s[c->i] == '-';
    if (neg)
        c->i++;
    unsigned long long u = 0;
    int rc = uint_at(c, &u);
    if (rc)
        return rc;
    if (u > (unsigned long long)1 << 62)
        return lf_err_set(c->err, EINVAL, "op line: number out of range at %zu", c->i);
    *v = neg ? -(long long)u : (long long)u;
    return 0;
}

static int fh_at(cursor *c, long long *fh)
{
    if (c->n - c->i >= 4 && memcmp(c->s + c->i, "None", 4) == 0) {
        c->i += 4;
        *fh = -1;
        return 0;
    }
    unsigned long long u;
    int rc = uint_at(c, &u);
    if (rc)
        return lf_err_set(c->err, EINVAL, "op line: fh is not a number or None at %zu", c->i);
    if (u > (unsigned long long)1 << 62)
        return lf_err_set(c->err, EINVAL, "op line: fh out of range");
    *fh = (long long)u;
    return 0;
}

static int mode_at(cursor *c, unsigned *mode)
{
    int rc = lit(c, "0o");
    if (rc)
        return rc;
    size_t st = c->i;
    unsigned long long x = 0;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '7') {
        x = x * 8 + (unsigned)(c->s[c->i] - '0');
        if (x > 0xFFFFFFFFULL)
            return lf_err_set(c->err, EINVAL, "op line: mode too large at %zu", st);
        c->i++;
    }
    if (c->i == st || (c->s[st] == '0' && c->i - st > 1))
        return lf_err_set(c->err, EINVAL, "op line: bad octal mode at %zu", st);
    *mode = (unsigned)x;
    return 0;
}

static int u64_at(cursor *c, uint64_t *v)
{
    unsigned long long u;
    int rc = uint_at(c, &u);
    *v = u;
    return rc;
}

/* The quoted path argument into a new string. */
static int str_at(cursor *c, char **out)
{
    lf_buf b;
    lf_buf_init(&b, c->n + 1);
    size_t used = 0;
    int rc = lf_proto_unrepr(c->s + c->i, c->n - c->i, &used, &b, c->err);
    if (!rc && memchr(b.data ? b.data : "", '\0', b.len))
        rc = lf_err_set(c->err, EINVAL, "op line: NUL byte in a path");
    if (rc) {
        lf_buf_free(&b);
        return rc ? rc : -EINVAL;
    }
    c->i += used;
    /* the append makes an empty result a terminated "" (steal alone would not) */
    if ((rc = lf_buf_append(&b, "", 0)) != 0) {
        lf_buf_free(&b);
        return rc;
    }
    *out = lf_buf_steal(&b, NULL);
    return *out ? 0 : -ENOMEM;
}

/* The last, unquoted (or quoted) argument: everything up to the ')' that
 * ends the line. */
static int tail_str_at(cursor *c, char **out)
{
    if (c->n == c->i || c->s[c->n - 1] != ')')
        return lf_err_set(c->err, EINVAL, "op line: missing ')' at the end");
    size_t end = c->n - 1;
    if (end > c->i && (c->s[c->i] == '\'' || c->s[c->i] == '"')) {
        cursor q = {c->s, end, c->i, c->err};
        char *v = NULL;
        int rc = str_at(&q, &v);
        if (rc == 0 && q.i == end) {
            c->i = end;
            *out = v;
            return 0;
        }
        free(v);
        lf_err_clear(c->err);
    }
    if (memchr(c->s + c->i, '\0', end - c->i))
        return lf_err_set(c->err, EINVAL, "op line: NUL byte in a path");
    *out = strndup(c->s + c->i, end - c->i);
    if (!*out)
        return -ENOMEM;
    c->i = end;
    return 0;
}

/* Tries ", data_length=N, offset=N, fh=X)" at c->i, ending the line, with
 * N == want. Returns 0 and fills op on a match. */
static int write_tail(cursor *c, size_t want, lf_op *op)
{
    cursor t = *c;
    unsigned long long dl;
    lf_err scratch;
    t.err = &scratch;
    if (lit(&t, ", data_length=") || uint_at(&t, &dl) || dl != want ||
        lit(&t, ", offset=") || u64_at(&t, &op->offset) || lit(&t, ", fh=") ||
        fh_at(&t, &op->fh) || lit(&t, ")") || t.i != t.n)
        return -EINVAL;
    c->i = t.i;
    return 0;
}

static int parse_write(cursor *c, lf_op *op)
{
    if (c->n - c->i >= 14 && memcmp(c->s + c->i, ", data_base64=", 14) == 0) {
        c->i += 14;
        const char *tail = memmem(c->s + c->i, c->n - c->i, ", data_length=", 14);
        if (!tail)
            return lf_err_set(c->err, EINVAL, "op line: write without data_length");
        size_t bl = (size_t)(tail - (c->s + c->i));
        lf_buf d;
        lf_buf_init(&d, bl);
        if (lf_b64_decode(c->s + c->i, bl, &d)) {
            lf_buf_free(&d);
            return lf_err_set(c->err, EINVAL, "op line: bad data_base64 at %zu", c->i);
        }
        c->i += bl;
        op->data_len = d.len;
        op->data = (unsigned char *)lf_buf_steal(&d, NULL);
        if (!op->data)
            return -ENOMEM;
        if (write_tail(c, op->data_len, op))
            return lf_err_set(c->err, EINVAL,
                              "op line: write tail does not match %zu decoded bytes",
                              op->data_len);
        return 0;
    }
    int rc = lit(c, ", data=");
    if (rc)
        return rc;
    size_t st = c->i;
    const char *p = c->s + st;
    while (p) {
        size_t at = (size_t)(p - c->s);
        cursor t = *c;
        t.i = at;
        if (write_tail(&t, at - st, op) == 0) {
            op->data_len = at - st;
            op->data = malloc(op->data_len ? op->data_len : 1);
            if (!op->data)
                return -ENOMEM;
            memcpy(op->data, c->s + st, op->data_len);
            c->i = t.i;
            return 0;
        }
        p = memmem(c->s + at + 1, c->n - at - 1, ", data_length=", 14);
    }
    return lf_err_set(c->err, EINVAL,
                      "op line: no ', data_length=N, offset=N, fh=X)' tail whose N is "
                      "the data's byte length");
}

int lf_op_parse(const char *line, size_t len, lf_op *op, lf_err *err)
{
    memset(op, 0, sizeof *op);
    op->fh = -1;
    op->uid = op->gid = -1;
    cursor c = {line, len, 0, err};
    const char *paren = memchr(line, '(', len);
    int k = paren ? lf_op_from_name(line, (size_t)(paren - line)) : -1;
    if (k < 0)
        return lf_err_set(err, EINVAL, "op line: unknown operation '%.*s'",
                          (int)(paren ? paren - line : (len < 20 ? (int)len : 20)), line);
    op->kind = (lf_op_kind)k;
    c.i = (size_t)(paren - line) + 1;
    char *arg0 = NULL;
    int rc = str_at(&c, &arg0);
    if (rc)
        goto out;
    if (op->kind == LF_OP_SYMLINK)
        op->link_target = arg0;
    else
        op->path = arg0;
    switch (op->kind) {
    case LF_OP_MKDIR: case LF_OP_CREATE: case LF_OP_CHMOD:
        if (!(rc = lit(&c, ", mode=")))
            rc = mode_at(&c, &op->mode);
        break;
    case LF_OP_WRITE:
        rc = parse_write(&c, op);
        goto out; /* the tail consumed the ')' */
    case LF_OP_TRUNCATE:
        if (!(rc = lit(&c, ", length=")) && !(rc = u64_at(&c, &op->length)) &&
            !(rc = lit(&c, ", fh=")))
            rc = fh_at(&c, &op->fh);
        break;
    case LF_OP_RENAME:
        if (!(rc = lit(&c, ", new_path=")))
            rc = tail_str_at(&c, &op->new_path);
        break;
    case LF_OP_CHOWN:
        if (!(rc = lit(&c, ", uid=")) && !(rc = int_at(&c, &op->uid)) &&
            !(rc = lit(&c, ", gid=")))
            rc = int_at(&c, &op->gid);
        break;
    case LF_OP_SYMLINK:
        if (!(rc = lit(&c, ", target=")))
            rc = tail_str_at(&c, &op->path);
        break;
    case LF_OP_READDIR:
        if (!(rc = lit(&c, ", fh=")))
            rc = fh_at(&c, &op->fh);
        break;
    case LF_OP_READ:
        if (!(rc = lit(&c, ", size=")) && !(rc = u64_at(&c, &op->size)) &&
            !(rc = lit(&c, ", offset=")) && !(rc = u64_at(&c, &op->offset)) &&
            !(rc = lit(&c, ", fh=")))
            rc = fh_at(&c, &op->fh);
        break;
    default:
        break;
    }
    if (!rc)
        rc = lit(&c, ")");
    if (!rc && c.i != c.n)
        rc = lf_err_set(err, EINVAL, "op line: trailing text at %zu", c.i);
out:
    if (rc)
        lf_op_free(op);
    return rc;
}
