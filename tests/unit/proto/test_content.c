/* test_content.c: where the file contents are in protocol text: bodies of
 * both encodings, a write's data (raw, with text that looks like its own
 * tail or like a body, and base64), completions, read answers, and text
 * that is not protocol text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/content.h"

/* The contents of text joined with '|'. */
static const char *contents(const char *text, char *out, size_t cap)
{
    lf_spans s = {0};
    assert_int_equal(lf_content_spans(text, strlen(text), &s), 0);
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++) {
        size_t a = s.at[2 * i], b = s.at[2 * i + 1];
        assert_true(a < b && b <= strlen(text));
        if (i)
            assert_true(a >= s.at[2 * i - 1]);   /* in order, disjoint */
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", i ? "|" : "", (int)(b - a), text + a);
    }
    out[n] = 0;
    lf_spans_free(&s);
    return out;
}

#define ROOT "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" " \
             "group=\"root\" mtime=\"2025-01-01T00:00:00\">"
#define FILE_(name, size) "<file path=\"" name "\" name=\"" name "\" mode=\"644\" owner=\"root\" " \
                          "group=\"root\" mtime=\"2025-01-01T00:00:01\" size=\"" #size "\">"

static void test_bodies(void **st)
{
    (void)st;
    char out[4096];
    /* a completion: a text body, an empty one, a base64 one */
    const char *c = ROOT FILE_("a", 5) "<body>hi &amp;</body></file>" FILE_("b", 0)
        "<body /></file>" FILE_("c", 2) "<body encoding=\"base64\">AAE=</body></file>"
        "</directory></filesystem>\n<END_FS>";
    assert_string_equal(contents(c, out, sizeof out), "hi &amp;|AAE=");
    /* a prompt that is not a write: only the bodies */
    const char *p = "<W>\ntruncate('/a', length=2, fh=None)\n---\n" ROOT FILE_("a", 5)
        "<body>hello</body></file></directory></filesystem>";
    assert_string_equal(contents(p, out, sizeof out), "hello");
    /* a path in the op line that looks like a body tag is not one */
    const char *r = "<W>\nrename('/<body>x', new_path=/y)\n---\n" ROOT FILE_("&lt;body&gt;x", 2)
        "<body>hi</body></file></directory></filesystem>";
    assert_string_equal(contents(r, out, sizeof out), "hi");
    /* an answer cut inside a body: the body runs to the end */
    assert_string_equal(contents(ROOT FILE_("a", 5) "<body>hel", out, sizeof out), "hel");
    /* not protocol text */
    assert_string_equal(contents("", out, sizeof out), "");
    assert_string_equal(contents("no bodies <bodyx> here", out, sizeof out), "");
    assert_string_equal(contents("[\".\",\"..\",\"a\"]", out, sizeof out), "");
}

static void test_write_data(void **st)
{
    (void)st;
    char out[4096];
    /* the data holds a fake tail, a separator line and a body tag: the data
     * ends at the tail whose N is its length, and nothing inside it is a body */
    const char *p = "<W>\nwrite('/a', data=x, data_length=1, offset=0, fh=3)\n---\n<body>y"
                    ", data_length=45, offset=7, fh=3)\n---\n" ROOT FILE_("a", 3)
                    "<body>abc</body></file></directory></filesystem>";
    assert_string_equal(contents(p, out, sizeof out),
                        "x, data_length=1, offset=0, fh=3)\n---\n<body>y|abc");
    /* base64 data: its characters (4 for every 3 bytes), and fh=None */
    const char *q = "<W>\nwrite('/b', data_base64=AAEC/w==, data_length=4, offset=2, fh=None)\n---\n"
                    ROOT "</directory></filesystem>";
    assert_string_equal(contents(q, out, sizeof out), "AAEC/w==");
    /* empty data: no range */
    const char *e = "<W>\nwrite('/b', data=, data_length=0, offset=0, fh=1)\n---\n" ROOT
                    FILE_("b", 1) "<body>z</body></file></directory></filesystem>";
    assert_string_equal(contents(e, out, sizeof out), "z");
    /* a write line that does not parse: its data is not known, bodies are */
    const char *bad = "<W>\nwrite('/b', data=abc, data_length=9, offset=0, fh=1)\n---\n" ROOT
                      FILE_("b", 1) "<body>z</body></file></directory></filesystem>";
    assert_string_equal(contents(bad, out, sizeof out), "z");
}

/* The contents of an answer: a read's answer is the file's content, all
 * of it (unless it is an error); other answers as lf_content_spans. */
static void test_answers(void **st)
{
    (void)st;
    static const char READ[] = "<R>\nread('/a', size=4096, offset=0, fh=3)\n---\n" ROOT
                               FILE_("a", 5) "<body>hello</body></file></directory></filesystem>";
    static const char MKDIR[] = "<W>\nmkdir('/d', mode=0o755)\n---\n" ROOT
                                "</directory></filesystem>";
    static const char WRITE_R[] = "<W>\nwrite('/a', data=<R>\nread(, data_length=9, offset=0, "
                                  "fh=3)\n---\n" ROOT FILE_("a", 0)
                                  "<body /></file></directory></filesystem>";
    static const struct {
        const char *prompt, *answer, *want;
    } cases[] = {
        {READ, "hello", "hello"},
        {READ, "<body>x</body>", "<body>x</body>"},   /* content that looks like a body */
        {READ, "ERROR: ENOENT", ""},
        {READ, "", ""},
        {MKDIR, ROOT FILE_("a", 2) "<body>hi</body></file></directory></filesystem>", "hi"},
        {MKDIR, "ERROR: EEXIST", ""},
        /* a write whose data looks like a read's tag line: not a read */
        {WRITE_R, ROOT FILE_("a", 9) "<body>&lt;R&gt;\nread(</body></file></directory></filesystem>",
         "&lt;R&gt;\nread("},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lf_spans sp = {0};
        const char *a = cases[i].answer;
        assert_int_equal(lf_content_answer_spans(cases[i].prompt, strlen(cases[i].prompt), a,
                                                 strlen(a), &sp), 0);
        char got[256] = "";
        size_t n = 0;
        for (size_t k = 0; k < sp.n; k++)
            n += (size_t)snprintf(got + n, sizeof got - n, "%.*s",
                                  (int)(sp.at[2 * k + 1] - sp.at[2 * k]), a + sp.at[2 * k]);
        assert_string_equal(got, cases[i].want);
        lf_spans_free(&sp);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_write_data),
        cmocka_unit_test(test_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
