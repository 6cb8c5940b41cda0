/* test_opline.c: operation lines (PROTOCOL.md §2): golden renders of every
 * operation, Python repr() quoting (expected strings produced by Python
 * 3.11's repr), write data that imitates the tail or the prompt's
 * separators, base64 data, malformed lines, the repr() golden file
 * tests/golden/proto/repr.txt, and every seed-eval prompt's
 * operation line parsing and re-rendering byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "util/file.h"
#include "util/json.h"

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void assert_op_eq(const lf_op *a, const lf_op *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_true(str_eq(a->path, b->path));
    assert_true(str_eq(a->new_path, b->new_path));
    assert_true(str_eq(a->link_target, b->link_target));
    assert_int_equal(a->mode, b->mode);
    assert_int_equal(a->uid, b->uid);
    assert_int_equal(a->gid, b->gid);
    assert_int_equal(a->data_len, b->data_len);
    if (a->data_len)
        assert_memory_equal(a->data, b->data, a->data_len);
    assert_int_equal(a->offset, b->offset);
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->length, b->length);
    assert_int_equal(a->fh, b->fh);
}

/* Renders op, compares with want, parses the line back and compares ops. */
static void check_line(const lf_op *op, const char *want, size_t want_len)
{
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_op_render(op, &b), 0);
    if (b.len != want_len || memcmp(b.data, want, want_len) != 0)
        fail_msg("render: got [%s] want [%.*s]", b.data, (int)want_len, want);
    lf_op back;
    lf_err err;
    int rc = lf_op_parse(b.data, b.len, &back, &err);
    if (rc)
        fail_msg("parse [%s]: %s", b.data, err.msg);
    assert_op_eq(op, &back);
    lf_op_free(&back);
    lf_buf_free(&b);
}

#define LINE(s) s, sizeof(s) - 1

static void test_golden_ops(void **state)
{
    (void)state;
    static unsigned char hello[] = "hello\nworld\n";
    const struct {
        lf_op op;
        const char *line;
        size_t len;
    } t[] = {
        {{.kind = LF_OP_MKDIR, .path = "/a/b", .mode = 0755, .fh = -1, .uid = -1, .gid = -1},
         LINE("mkdir('/a/b', mode=0o755)")},
        {{.kind = LF_OP_CREATE, .path = "/a/f.txt", .mode = 0100644, .fh = -1, .uid = -1, .gid = -1},
         LINE("create('/a/f.txt', mode=0o100644)")},
        {{.kind = LF_OP_WRITE, .path = "/a/f.txt", .data = hello, .data_len = 12, .fh = 3,
          .uid = -1, .gid = -1},
         LINE("write('/a/f.txt', data=hello\nworld\n, data_length=12, offset=0, fh=3)")},
        {{.kind = LF_OP_TRUNCATE, .path = "/a/f.txt", .length = 46, .fh = -1, .uid = -1, .gid = -1},
         LINE("truncate('/a/f.txt', length=46, fh=None)")},
        {{.kind = LF_OP_TRUNCATE, .path = "/f", .length = 0, .fh = 4, .uid = -1, .gid = -1},
         LINE("truncate('/f', length=0, fh=4)")},
        {{.kind = LF_OP_UNLINK, .path = "/a/f.txt", .fh = -1, .uid = -1, .gid = -1},
         LINE("unlink('/a/f.txt')")},
        {{.kind = LF_OP_RMDIR, .path = "/a/b", .fh = -1, .uid = -1, .gid = -1},
         LINE("rmdir('/a/b')")},
        {{.kind = LF_OP_RENAME, .path = "/a/f.txt", .new_path = "/a/g.txt", .fh = -1, .uid = -1,
          .gid = -1},
         LINE("rename('/a/f.txt', new_path=/a/g.txt)")},
        {{.kind = LF_OP_CHMOD, .path = "/a/f.txt", .mode = 0100600, .fh = -1, .uid = -1, .gid = -1},
         LINE("chmod('/a/f.txt', mode=0o100600)")},
        {{.kind = LF_OP_CHMOD, .path = "/d", .mode = 040775, .fh = -1, .uid = -1, .gid = -1},
         LINE("chmod('/d', mode=0o40775)")},
        {{.kind = LF_OP_CHOWN, .path = "/a/f.txt", .uid = 0, .gid = 0, .fh = -1},
         LINE("chown('/a/f.txt', uid=0, gid=0)")},
        {{.kind = LF_OP_CHOWN, .path = "/f", .uid = -1, .gid = 1000, .fh = -1},
         LINE("chown('/f', uid=-1, gid=1000)")},
        {{.kind = LF_OP_SYMLINK, .path = "/a/link", .link_target = "f.txt", .fh = -1, .uid = -1,
          .gid = -1},
         LINE("symlink('f.txt', target=/a/link)")},
        {{.kind = LF_OP_READDIR, .path = "/a", .fh = 0, .uid = -1, .gid = -1},
         LINE("readdir('/a', fh=0)")},
        {{.kind = LF_OP_READ, .path = "/a/f.txt", .size = 4096, .offset = 0, .fh = 3, .uid = -1,
          .gid = -1},
         LINE("read('/a/f.txt', size=4096, offset=0, fh=3)")},
        {{.kind = LF_OP_READLINK, .path = "/a/link", .fh = -1, .uid = -1, .gid = -1},
         LINE("readlink('/a/link')")},
        {{.kind = LF_OP_MKDIR, .path = "/", .mode = 0, .fh = -1, .uid = -1, .gid = -1},
         LINE("mkdir('/', mode=0o0)")},
        {{.kind = LF_OP_RENAME, .path = "/a", .new_path = "'q", .fh = -1, .uid = -1, .gid = -1},
         LINE("rename('/a', new_path=\"'q\")")},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        check_line(&t[i].op, t[i].line, t[i].len);
}

/* Paths as Python 3.11 repr() writes them (generated with python3). */
static void test_repr_paths(void **state)
{
    (void)state;
    const struct {
        const char *path, *line;
    } t[] = {
        {"/it's", "unlink(\"/it's\")"},
        {"/a'b\"c", "unlink('/a\\'b\"c')"},
        {"/a\"b", "unlink('/a\"b')"},
        {"/a\\b", "unlink('/a\\\\b')"},
        {"/a\nb\tc\rd", "unlink('/a\\nb\\tc\\rd')"},
        {"/x\x01\x1f\x7f", "unlink('/x\\x01\\x1f\\x7f')"},
        {"/caf\xc3\xa9", "unlink('/caf\xc3\xa9')"},
        {"/nb\xc2\xa0sp", "unlink('/nb\\xa0sp')"},
        {"/zw\xe2\x80\x8b", "unlink('/zw\\u200b')"},
        {"/emoji\xf0\x9f\x98\x80", "unlink('/emoji\xf0\x9f\x98\x80')"},
        {"/tag\xf3\xa0\x80\x81", "unlink('/tag\\U000e0001')"},
        {"/c1\xc2\x85", "unlink('/c1\\x85')"},
        {"/surr\xff", "unlink('/surr\\udcff')"},
        {"/", "unlink('/')"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        lf_op op = {.kind = LF_OP_UNLINK, .path = (char *)t[i].path, .fh = -1, .uid = -1, .gid = -1};
        check_line(&op, t[i].line, strlen(t[i].line));
    }
}

/* tests/golden/proto/repr.txt: Python's repr() of 422 strings, random and
 * chosen, rendered as an unlink path and parsed back. */
static void test_repr_golden(void **state)
{
    (void)state;
    const char *root = getenv("LF_SOURCE_ROOT");
    if (!root)
        skip();
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/golden/proto/repr.txt", root);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int cases = 0;
    while ((got = getline(&line, &cap, f)) > 0) {
        if (line[0] == '#')
            continue;
        if (line[got - 1] == '\n')
            line[--got] = '\0';
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        size_t nb = (size_t)(tab - line) / 2;
        char *bytes = calloc(nb + 1, 1);
        for (size_t i = 0; i < nb; i++) {
            unsigned v;
            assert_int_equal(sscanf(line + 2 * i, "%2x", &v), 1);
            bytes[i] = (char)v;
        }
        lf_buf want;
        lf_buf_init(&want, 0);
        lf_buf_printf(&want, "unlink(%s)", tab + 1);
        lf_op op = {.kind = LF_OP_UNLINK, .path = bytes, .fh = -1, .uid = -1, .gid = -1};
        check_line(&op, want.data, want.len);
        lf_buf_free(&want);
        free(bytes);
        cases++;
    }
    free(line);
    fclose(f);
    assert_int_equal(cases, 422);
}

/* Write data that looks like the tail, the prompt's separators, XML. */
static void test_write_data(void **state)
{
    (void)state;
    const char *data[] = {
        "",
        "abc, data_length=3, offset=0, fh=1)",
        ", data_length=0, offset=0, fh=None)",
        "x, data_length=1, offset=0, fh=4)\n---\n<filesystem>",
        "</body></file><END_FS>\n<END_FS>",
        "---\n---\n\n---",
        "line1\r\nline2\ttab",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
        "it's \"quoted\" \\ back",
        "data=", ")", "fh=None)",
    };
    for (size_t i = 0; i < sizeof data / sizeof data[0]; i++) {
        lf_op op = {.kind = LF_OP_WRITE, .path = "/f", .data = (unsigned char *)data[i],
                    .data_len = strlen(data[i]), .offset = 7, .fh = 4, .uid = -1, .gid = -1};
        lf_buf want;
        lf_buf_init(&want, 0);
        assert_int_equal(lf_buf_printf(&want, "write('/f', data=%s, data_length=%zu, offset=7, fh=4)",
                                       data[i], strlen(data[i])), 0);
        check_line(&op, want.data, want.len);
        lf_buf_free(&want);
    }
    /* bytes that need a base64 body are sent as data_base64= */
    static unsigned char bin[] = {0x00, 0xff, 'a', 0x01, '\n'};
    lf_op op = {.kind = LF_OP_WRITE, .path = "/b", .data = bin, .data_len = 5, .fh = -1,
                .uid = -1, .gid = -1};
    check_line(&op, LINE("write('/b', data_base64=AP9hAQo=, data_length=5, offset=0, fh=None)"));
    static unsigned char bad_utf8[] = {'a', 0xc3};
    lf_op op2 = {.kind = LF_OP_WRITE, .path = "/b", .data = bad_utf8, .data_len = 2, .fh = 1,
                 .uid = -1, .gid = -1};
    check_line(&op2, LINE("write('/b', data_base64=YcM=, data_length=2, offset=0, fh=1)"));
}

static void test_parse_errors(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "mkdir",
        "frobnicate('/a')",
        "mkdir('/a', mode=755)",
        "mkdir('/a', mode=0o8)",
        "mkdir('/a', mode=0o0755)",
        "mkdir('/a', mode=0o755",
        "mkdir('/a', mode=0o755) ",
        "mkdir('/a', mode=0o755)x",
        "mkdir('/a, mode=0o755)",
        "mkdir('/a\nb', mode=0o755)",
        "mkdir(/a, mode=0o755)",
        "unlink('/a', fh=1)",
        "read('/a', size=4096, offset=0)",
        "read('/a', size=-1, offset=0, fh=1)",
        "read('/a', size=01, offset=0, fh=1)",
        "read('/a', size=99999999999999999999999, offset=0, fh=1)",
        "readdir('/a', fh=none)",
        "write('/a', data=abc, data_length=4, offset=0, fh=1)",
        "write('/a', data=abc, data_length=3, offset=0, fh=1) ",
        "write('/a', data=abc)",
        "write('/a', data_base64=!!!, data_length=2, offset=0, fh=1)",
        "write('/a', data_base64=YWI=, data_length=3, offset=0, fh=1)",
        "rename('/a', new_path=/b",
        "chown('/a', uid=x, gid=0)",
        "unlink('/a\\x4')",
        "unlink('/a\\ud800')",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lf_op op;
        lf_err err;
        lf_err_clear(&err);
        int rc = lf_op_parse(bad[i], strlen(bad[i]), &op, &err);
        if (rc != -EINVAL)
            fail_msg("accepted or wrong error (%d) for [%s]", rc, bad[i]);
        assert_true(err.msg[0] != '\0');
    }
    /* quoted new_path (the original's runtime) and other escapes are read */
    lf_op op;
    lf_err err;
    const char *ok = "rename('/a', new_path='/b c')";
    assert_int_equal(lf_op_parse(ok, strlen(ok), &op, &err), 0);
    assert_string_equal(op.new_path, "/b c");
    lf_op_free(&op);
    ok = "unlink(\"/\\x41\\u00e9\\101\")";
    assert_int_equal(lf_op_parse(ok, strlen(ok), &op, &err), 0);
    assert_string_equal(op.path, "/A\xc3\xa9" "A");
    lf_op_free(&op);
}

static void test_names(void **state)
{
    (void)state;
    for (int k = 0; k < LF_OP__COUNT; k++) {
        const char *n = lf_op_name((lf_op_kind)k);
        assert_non_null(n);
        assert_int_equal(lf_op_from_name(n, strlen(n)), k);
    }
    assert_null(lf_op_name(LF_OP__COUNT));
    assert_int_equal(lf_op_from_name("getattr", 7), -1);
    assert_true(lf_op_is_write(LF_OP_SYMLINK));
    assert_false(lf_op_is_write(LF_OP_READLINK));
    /* deep copy */
    static unsigned char d[] = "xyz";
    lf_op a = {.kind = LF_OP_WRITE, .path = "/p", .data = d, .data_len = 3, .fh = 2};
    lf_op c;
    assert_int_equal(lf_op_copy(&c, &a), 0);
    assert_ptr_not_equal(c.path, a.path);
    assert_op_eq(&a, &c);
    lf_op_free(&c);
    lf_op_free(NULL);
}

/* Every seed-eval prompt: the op line parses and re-renders identically,
 * and the prompt re-renders identically where its state was canonical. */
static void test_seed_eval_lines(void **state)
{
    (void)state;
    const char *path = getenv("SEED_EVAL");
    if (!path)
        skip();
    FILE *f = fopen(path, "r");
    if (!f)
        skip();
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rows = 0, same_prompt = 0, warned = 0;
    while ((got = getline(&line, &cap, f)) > 0) {
        lf_json *row = NULL;
        lf_err err;
        assert_int_equal(lf_json_parse(line, (size_t)got, &row, &err), 0);
        size_t plen;
        const char *prompt = lf_json_get_str(row, "prompt", &plen);
        assert_non_null(prompt);
        lf_op op;
        lf_state *st = NULL;
        int warnings = 0;
        int rc = lf_prompt_parse(prompt, plen, LF_PARSE_LENIENT, &op, &st, &warnings, &err);
        if (rc)
            fail_msg("row %d: %s", rows, err.msg);
        const char *sep = strstr(prompt, "\n---\n");
        assert_non_null(sep);
        lf_buf b;
        lf_buf_init(&b, 0);
        assert_int_equal(lf_op_render(&op, &b), 0);
        if (b.len != (size_t)(sep - prompt - 4) || memcmp(b.data, prompt + 4, b.len) != 0)
            fail_msg("row %d: op line re-renders as [%s]", rows, b.data);
        lf_buf_reset(&b);
        assert_int_equal(lf_prompt_render(&op, st, &b), 0);
        if (warnings)
            warned++;
        else if (b.len == plen && memcmp(b.data, prompt, plen) == 0)
            same_prompt++;
        else
            fail_msg("row %d: prompt does not re-render identically", rows);
        lf_buf_free(&b);
        lf_state_free(st);
        lf_op_free(&op);
        lf_json_free(row);
        rows++;
    }
    free(line);
    fclose(f);
    assert_int_equal(rows, 100);
    assert_int_equal(same_prompt + warned, 100);
    assert_int_equal(warned, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_ops),
        cmocka_unit_test(test_repr_paths),
        cmocka_unit_test(test_repr_golden),
        cmocka_unit_test(test_write_data),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_seed_eval_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
