/* test_util.c: buffers, base64, UTF-8, JSON, errno names, atomic files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/file.h"
#include "util/json.h"
#include "util/text.h"

static void test_buf_cap(void **st)
{
    (void)st;
    lf_buf b;
    lf_buf_init(&b, 8);
    assert_int_equal(lf_buf_puts(&b, "12345678"), 0);
    assert_int_equal(lf_buf_putc(&b, 'x'), -E2BIG);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    lf_buf_reset(&b);
    assert_int_equal(lf_buf_printf(&b, "%d-%s", 42, "ab"), 0);
    assert_string_equal(b.data, "42-ab");
    size_t n;
    char *p = lf_buf_steal(&b, &n);
    assert_int_equal(n, 5);
    free(p);
    lf_buf_free(&b);
}

static void test_b64(void **st)
{
    (void)st;
    static const struct { const char *in, *out; } cases[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_buf b, d;
        lf_buf_init(&b, 0);
        lf_buf_init(&d, 0);
        assert_int_equal(lf_b64_encode(cases[i].in, strlen(cases[i].in), &b), 0);
        assert_string_equal(b.data, cases[i].out);
        assert_int_equal(lf_b64_decode(b.data, b.len, &d), 0);
        assert_int_equal(d.len, strlen(cases[i].in));
        assert_memory_equal(d.data, cases[i].in, d.len);
        lf_buf_free(&b);
        lf_buf_free(&d);
    }
    const char *bad[] = {"Zg=", "Z===", "Zm9v!A==", "Zh==", "Zg==Zg=="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lf_buf d;
        lf_buf_init(&d, 0);
        assert_int_equal(lf_b64_decode(bad[i], strlen(bad[i]), &d), -EINVAL);
        lf_buf_free(&d);
    }
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)(255 - i);
    lf_buf b, d;
    lf_buf_init(&b, 0);
    lf_buf_init(&d, 0);
    lf_b64_encode(all, sizeof all, &b);
    assert_int_equal(lf_b64_decode(b.data, b.len, &d), 0);
    assert_memory_equal(d.data, all, sizeof all);
    lf_buf_free(&b);
    lf_buf_free(&d);
}

static void test_utf8_rule(void **st)
{
    (void)st;
    assert_true(lf_utf8_valid("h\xc3\xa9llo \xf0\x9f\x98\x80", 11));
    assert_false(lf_utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(lf_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(lf_utf8_valid("\xe2\x82", 2));         /* truncated */
    assert_false(lf_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(lf_text_needs_base64("a\tb\r\nc", 6));
    assert_true(lf_text_needs_base64("a\0b", 3));
    assert_true(lf_text_needs_base64("\x7f", 1));
    assert_true(lf_text_needs_base64("\x1b[0m", 4));
    assert_true(lf_text_needs_base64("\xff", 1));
}

static void test_json(void **st)
{
    (void)st;
    const char *doc = " {\"prompt\": \"a\\nb\\u00e9\\ud83d\\ude00\", \"n\": -12, "
                      "\"arr\": [1, true, null, {}], \"e\": []} ";
    lf_json *j;
    lf_err err = {0};
    assert_int_equal(lf_json_parse(doc, strlen(doc), &j, &err), 0);
    size_t len;
    const char *p = lf_json_get_str(j, "prompt", &len);
    assert_non_null(p);
    assert_int_equal(len, 3 + 2 + 4);
    assert_memory_equal(p, "a\nb\xc3\xa9\xf0\x9f\x98\x80", len);
    assert_int_equal(lf_json_get_int(j, "n", 0), -12);
    assert_int_equal(lf_json_get(j, "arr")->n, 4);
    assert_null(lf_json_get(j, "missing"));
    lf_json_free(j);

    const char *bad[] = {"", "{", "[1,]", "{\"a\" 1}", "\"\\ud800\"", "\"a\nb\"", "[1] x", "tru",
                         "\"\\x\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lf_err e = {0};
        assert_int_equal(lf_json_parse(bad[i], strlen(bad[i]), &j, &e), -EINVAL);
        assert_true(strlen(e.msg) > 0);
    }
    char deep[200];
    memset(deep, '[', sizeof deep);
    assert_int_equal(lf_json_parse(deep, sizeof deep, &j, NULL), -EINVAL);
}

static void test_json_write(void **st)
{
    (void)st;
    lf_buf b;
    lf_buf_init(&b, 0);
    const char *s = "q\"\\\n\t\x01\xc3\xa9\xf0\x9f\x98\x80/";
    assert_int_equal(lf_json_write_str(&b, s, strlen(s), true), 0);
    assert_string_equal(b.data, "\"q\\\"\\\\\\n\\t\\u0001\\u00e9\\ud83d\\ude00/\"");
    lf_buf_reset(&b);
    assert_int_equal(lf_json_write_str(&b, s, strlen(s), false), 0);
    assert_string_equal(b.data, "\"q\\\"\\\\\\n\\t\\u0001\xc3\xa9\xf0\x9f\x98\x80/\"");
    assert_int_equal(lf_json_write_str(&b, "\xff", 1, true), -EILSEQ);
    /* round trip through the reader */
    lf_buf_reset(&b);
    lf_json_write_str(&b, s, strlen(s), true);
    lf_json *j;
    assert_int_equal(lf_json_parse(b.data, b.len, &j, NULL), 0);
    assert_int_equal(j->len, strlen(s));
    assert_memory_equal(j->str, s, j->len);
    lf_json_free(j);
    lf_buf_free(&b);
}

static void test_errno_names(void **st)
{
    (void)st;
    assert_string_equal(lf_errno_name(ENOTEMPTY), "ENOTEMPTY");
    assert_string_equal(lf_errno_name(-ENOENT), "ENOENT");
    assert_int_equal(lf_errno_from_name("EISDIR", 6), EISDIR);
    assert_int_equal(lf_errno_from_name("EWHAT", 5), 0);
    lf_err e = {0};
    assert_int_equal(lf_err_set(&e, EINVAL, "x=%d", 3), -EINVAL);
    lf_err_prefix(&e, "ctx: ");
    assert_string_equal(e.msg, "ctx: x=3");
}

static void test_atomic_file(void **st)
{
    (void)st;
    char dir[] = "/tmp/lf_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/state.xml", dir);
    lf_err e = {0};
    assert_int_equal(lf_file_write_atomic(path, "one", 3, &e), 0);
    assert_int_equal(lf_file_write_atomic(path, "second", 6, &e), 0);
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_file_read(path, 100, &b, &e), 0);
    assert_string_equal(b.data, "second");
    lf_buf_reset(&b);
    assert_int_equal(lf_file_read(path, 3, &b, &e), -E2BIG);
    lf_buf_free(&b);
    assert_int_equal(lf_file_read("/nonexistent/x", 3, &b, &e), -ENOENT);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_cap),      cmocka_unit_test(test_b64),
        cmocka_unit_test(test_utf8_rule),    cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_write),   cmocka_unit_test(test_errno_names),
        cmocka_unit_test(test_atomic_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
