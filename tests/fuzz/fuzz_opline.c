/* fuzz_opline.c: libFuzzer target for operation lines (PROTOCOL.md §2).
 * Two properties, abort on violation:
 *  1. any input that lf_op_parse accepts re-renders to a line that parses
 *     to the same operation and renders identically (a fixed point);
 *  2. an operation built from the input's bytes (kind from the first byte,
 *     path and data/new_path from the rest: quotes, backslashes, newlines,
 *     look-alike tails, invalid UTF-8) renders to a line that parses back
 *     to exactly that operation.
 * Also linked into the plain unit test test_opline_fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool op_eq(const lf_op *a, const lf_op *b)
{
    return a->kind == b->kind && str_eq(a->path, b->path) && str_eq(a->new_path, b->new_path) &&
           str_eq(a->link_target, b->link_target) && a->mode == b->mode && a->uid == b->uid &&
           a->gid == b->gid && a->data_len == b->data_len &&
           (a->data_len == 0 || memcmp(a->data, b->data, a->data_len) == 0) &&
           a->offset == b->offset && a->size == b->size && a->length == b->length &&
           a->fh == b->fh;
}

/* Renders op, parses the line, checks equality; returns the line's length. */
static void round_trip(const lf_op *op)
{
    lf_buf a;
    lf_buf_init(&a, 0);
    if (lf_op_render(op, &a) != 0)
        abort();
    lf_op back;
    lf_err err;
    if (lf_op_parse(a.data, a.len, &back, &err) != 0)
        abort();
    if (!op_eq(op, &back))
        abort();
    lf_op_free(&back);
    lf_buf_free(&a);
}

static void fixed_point(const uint8_t *data, size_t size)
{
    lf_op op;
    lf_err err;
    if (lf_op_parse((const char *)data, size, &op, &err) != 0)
        return;
    lf_buf a, b;
    lf_buf_init(&a, 0);
    lf_buf_init(&b, 0);
    if (lf_op_render(&op, &a) != 0)
        abort();
    lf_op op2;
    if (lf_op_parse(a.data, a.len, &op2, &err) != 0 || !op_eq(&op, &op2))
        abort();
    if (lf_op_render(&op2, &b) != 0 || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    lf_op_free(&op);
    lf_op_free(&op2);
    lf_buf_free(&a);
    lf_buf_free(&b);
}

static char *strndup_nul(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i])
            s[w++] = (char)p[i];
    s[w] = '\0';
    return s;
}

static void built(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    lf_op op;
    memset(&op, 0, sizeof op);
    op.kind = (lf_op_kind)(data[0] % LF_OP__COUNT);
    op.uid = op.gid = -1;
    op.fh = -1; /* fields an op's line does not carry keep the parser's defaults */
    switch (op.kind) {
    case LF_OP_MKDIR: case LF_OP_CREATE: case LF_OP_CHMOD:
        op.mode = 0100000u | (data[1] * 7u);
        break;
    case LF_OP_WRITE: case LF_OP_READ: case LF_OP_TRUNCATE: case LF_OP_READDIR:
        op.fh = (data[1] & 1) ? -1 : data[1];
        op.offset = op.kind == LF_OP_WRITE || op.kind == LF_OP_READ ? data[1] : 0;
        op.size = op.kind == LF_OP_READ ? 4096 : 0;
        op.length = op.kind == LF_OP_TRUNCATE ? (uint64_t)data[1] * 3 : 0;
        break;
    default:
        break;
    }
    const uint8_t *rest = data + 2;
    size_t n = size - 2;
    const uint8_t *cut = memchr(rest, 0, n);
    size_t pn = cut ? (size_t)(cut - rest) : n;
    op.path = strndup_nul(rest, pn);
    const uint8_t *second = cut ? cut + 1 : rest + n;
    size_t sn = (size_t)(rest + n - second);
    switch (op.kind) {
    case LF_OP_WRITE:
        op.data = malloc(sn ? sn : 1);
        if (!op.data)
            abort();
        memcpy(op.data, second, sn);
        op.data_len = sn;
        break;
    case LF_OP_RENAME:
        op.new_path = strndup_nul(second, sn);
        break;
    case LF_OP_SYMLINK:
        op.link_target = strndup_nul(second, sn);
        break;
    case LF_OP_CHOWN:
        op.uid = (data[1] & 2) ? -1 : data[1];
        op.gid = (data[1] & 4) ? -1 : 0;
        break;
    default:
        break;
    }
    round_trip(&op);
    lf_op_free(&op);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fixed_point(data, size);
    built(data, size);
    return 0;
}
