/* test_bodylen.c: the constraint of state answers: what may come next
 * inside text and base64 bodies, around entities and tags, and the token
 * mask with its healing of tokens that run past a body's end, and its
 * stepping aside when the model means to end a body early; and an
 * element's name, which must be the last component of its path. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/bodylen.h"

/* The 256 bytes, then a few longer tokens. */
static const char *const extra[] = {
    "hello", "hel", "lo", "low", "</body>", "</body></file>", "<body>", "\"><body>",
    "AAAA", "AA", "==", "&lt;", "abc", "5\"><body>hel", "2\"><body>hel", "<|endoftext|>",
};
enum { N_EXTRA = sizeof extra / sizeof *extra, N_TOK = 256 + N_EXTRA };

static lf_bodylen_vocab *vocab(void)
{
    static char bytes[256];
    const char *piece[N_TOK];
    size_t len[N_TOK];
    for (int i = 0; i < 256; i++) {
        bytes[i] = (char)i;
        piece[i] = &bytes[i];
        len[i] = 1;
    }
    for (int i = 0; i < N_EXTRA; i++) {
        piece[256 + i] = extra[i];
        len[256 + i] = strlen(extra[i]);
    }
    lf_bodylen_vocab *v = NULL;
    assert_int_equal(lf_bodylen_vocab_new(piece, len, N_TOK, &v), 0);
    return v;
}

static int id_of(const char *s)
{
    if (strlen(s) == 1)
        return (unsigned char)s[0];
    for (int i = 0; i < N_EXTRA; i++)
        if (!strcmp(extra[i], s))
            return 256 + i;
    fail_msg("no token %s", s);
    return -1;
}

static bool ok(const lf_bodylen *g, const char *s)
{
    return lf_bodylen_allows(g, s, strlen(s));
}

static void feed(lf_bodylen *g, const char *s)
{
    assert_true(ok(g, s));
    lf_bodylen_feed(g, s, strlen(s));
}

static void fill(float *logits, float v)
{
    for (int i = 0; i < N_TOK; i++)
        logits[i] = v;
}

static const char *const FILE_OPEN =
    "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" group=\"root\" "
    "mtime=\"2025-01-01T00:00:00\"><file path=\"a\" name=\"a\" mode=\"644\" owner=\"root\" "
    "group=\"root\" mtime=\"2025-01-01T00:00:01\" size=\"";

static void test_text(void **st)
{
    (void)st;
    lf_bodylen_vocab *v = vocab();
    lf_bodylen g;
    lf_bodylen_init(&g, v);
    feed(&g, FILE_OPEN);
    assert_false(ok(&g, "5\"><body>hello world</body>"));  /* 11 bytes, not 5 */
    assert_true(ok(&g, "11\"><body>hello world</body>"));
    feed(&g, "5\"><body>");
    assert_true(ok(&g, "hello"));
    assert_true(ok(&g, "hel"));
    assert_false(ok(&g, "hello!"));      /* past the 5 bytes */
    assert_false(ok(&g, "hel<"));        /* the body may not end early */
    assert_false(ok(&g, "<"));
    feed(&g, "hel");
    feed(&g, "lo");
    assert_false(ok(&g, "x"));
    assert_true(ok(&g, "<"));
    assert_false(ok(&g, "<x"));
    assert_true(ok(&g, "</body></file>"));
    feed(&g, "</body>");
    assert_true(ok(&g, "anything at all <after>"));   /* free again */
    /* the next file's size counts, not the last one's */
    feed(&g, "</file><file path=\"b\" name=\"b\" size=\"2\"><body>");
    assert_false(ok(&g, "abc"));
    assert_true(ok(&g, "ab</body>"));
    lf_bodylen_vocab_free(v);
}

static void test_entities_and_empty(void **st)
{
    (void)st;
    lf_bodylen_vocab *v = vocab();
    lf_bodylen g;
    lf_bodylen_init(&g, v);
    feed(&g, FILE_OPEN);
    feed(&g, "3\"><body>");
    assert_true(ok(&g, "a&lt;b</body>"));   /* &lt; is one byte */
    assert_false(ok(&g, "a&lt;bc"));
    assert_false(ok(&g, "a&bogus;"));
    assert_true(ok(&g, "a&#233;</body>"));  /* é: two bytes */
    assert_false(ok(&g, "ab&#233;"));
    assert_true(ok(&g, "&#x1F600"));        /* an entity still open: judged at ';' */
    assert_false(ok(&g, "&#x1F600;"));      /* four bytes > 3 */
    /* size 0: <body /> leaves everything free */
    lf_bodylen_init(&g, v);
    feed(&g, FILE_OPEN);
    feed(&g, "0\"><body /></file>");
    assert_true(ok(&g, "<file path=\"c\" />xyz"));
    /* a disallowed byte turns the constraint off */
    lf_bodylen_init(&g, v);
    feed(&g, FILE_OPEN);
    lf_bodylen_feed(&g, "1\"><body>abc", 12);
    assert_true(ok(&g, "<anything>"));
    lf_bodylen_vocab_free(v);
}

static void test_base64(void **st)
{
    (void)st;
    lf_bodylen_vocab *v = vocab();
    lf_bodylen g;
    lf_bodylen_init(&g, v);
    feed(&g, FILE_OPEN);
    feed(&g, "4\"><body encoding=\"base64\">");   /* 4 bytes: 8 characters, 2 '=' */
    assert_true(ok(&g, "AAAAAA==</body>"));
    assert_false(ok(&g, "AAAAAAA="));
    assert_false(ok(&g, "AAAAAAAA"));
    assert_false(ok(&g, "AA=A"));
    assert_false(ok(&g, "AAAA AA"));
    feed(&g, "AAAAAA");
    assert_false(ok(&g, "A"));
    feed(&g, "==");
    assert_true(ok(&g, "</body>"));
    /* 3 bytes: 4 characters, no padding */
    lf_bodylen_init(&g, v);
    feed(&g, FILE_OPEN);
    feed(&g, "3\"><body encoding=\"base64\">");
    assert_false(ok(&g, "AA=="));
    assert_true(ok(&g, "AAAA</body>"));
    lf_bodylen_vocab_free(v);
}

/* Starts g on a new answer, feeds a file's opening and then head, and
 * masks logits in which every token is at -10 but `end` (at le) and
 * `body` (at lb): the model's choice between ending the body and going on. */
static void mask_end_or(lf_bodylen *g, const lf_bodylen_vocab *v, const char *head, float *logits,
                        float le, const char *body, float lb)
{
    lf_bodylen_init(g, v);
    feed(g, FILE_OPEN);
    feed(g, head);
    fill(logits, -10);
    logits[id_of("</body>")] = le;
    logits[id_of(body)] = lb;
    lf_bodylen_mask(g, logits, N_TOK);
}

/* The mask: tokens that do not fit are -inf; one that runs past the end of
 * the body gives its probability to its longest prefix that fits. */
static void test_mask(void **st)
{
    (void)st;
    lf_bodylen_vocab *v = vocab();
    lf_bodylen g;
    lf_bodylen_init(&g, v);
    float logits[N_TOK];
    /* a token that opens the body and overruns it is masked */
    feed(&g, FILE_OPEN);
    fill(logits, 0);
    lf_bodylen_mask(&g, logits, N_TOK);
    assert_true(logits[id_of("5\"><body>hel")] == 0);   /* outside a body: free */
    feed(&g, "2");
    feed(&g, "\"><body>");
    fill(logits, 0);
    lf_bodylen_mask(&g, logits, N_TOK);
    assert_true(isinf(logits[id_of("hello")]));
    assert_true(isinf(logits[id_of("<")]));
    assert_true(isinf(logits[id_of("<|endoftext|>")]));
    assert_false(isinf(logits[id_of("h")]));
    /* healing: "low" (3 bytes, 2 left) gives its mass to "lo" */
    lf_bodylen_init(&g, v);
    feed(&g, FILE_OPEN);
    feed(&g, "5\"><body>hel");
    fill(logits, -10);
    logits[id_of("low")] = 5;
    logits[id_of("lo")] = 1;
    logits[id_of("x")] = 2;
    lf_bodylen_mask(&g, logits, N_TOK);
    assert_true(isinf(logits[id_of("low")]));
    assert_float_equal(logits[id_of("lo")], logf(expf(1) + expf(5)), 1e-4);
    assert_float_equal(logits[id_of("x")], 2, 0);
    int best = 0;
    for (int i = 1; i < N_TOK; i++)
        if (logits[i] > logits[best])
            best = i;
    assert_int_equal(best, id_of("lo"));
    /* after the body, only what starts "</body>" */
    feed(&g, "lo");
    fill(logits, 0);
    lf_bodylen_mask(&g, logits, N_TOK);
    int allowed = 0;
    for (int i = 0; i < N_TOK; i++)
        allowed += !isinf(logits[i]);
    assert_int_equal(allowed, 3);   /* "<", "</body>", "</body></file>" */
    lf_bodylen_feed_token(&g, id_of("</body></file>"));
    fill(logits, 0);
    lf_bodylen_mask(&g, logits, N_TOK);
    for (int i = 0; i < N_TOK; i++)
        assert_false(isinf(logits[i]));
    /* a model that ends the body a few bytes short of its size has
     * miscounted: the body goes on (the end is masked) */
    mask_end_or(&g, v, "5\"><body>hel", logits, 3, "l", 1);
    assert_true(isinf(logits[id_of("</body>")]));
    assert_float_equal(logits[id_of("l")], 1, 0);
    assert_false(ok(&g, "</body>"));   /* still on */
    /* further from its size, the model means a shorter body: left alone,
     * no padding */
    mask_end_or(&g, v, "15\"><body>hel", logits, 3, "l", 1);
    assert_float_equal(logits[id_of("</body>")], 3, 0);
    assert_float_equal(logits[id_of("x")], -10, 0);
    assert_true(ok(&g, "</body>"));   /* off for the rest of the answer */
    /* a base64 body running past its letters into the padding is cut: the
     * model's 'A' becomes '=' (4 bytes: 6 letters, then "==") */
    lf_bodylen_init(&g, v);
    feed(&g, FILE_OPEN);
    feed(&g, "4\"><body encoding=\"base64\">AAAAAA");
    fill(logits, -10);
    logits[id_of("A")] = 4;
    logits[id_of("AAAA")] = 3;
    logits[id_of("=")] = 1;
    logits[id_of("==")] = 0;
    lf_bodylen_mask(&g, logits, N_TOK);
    assert_true(isinf(logits[id_of("A")]));
    assert_true(isinf(logits[id_of("AAAA")]));
    assert_true(isinf(logits[id_of("</body>")]));
    assert_float_equal(logits[id_of("=")], 1, 0);
    assert_float_equal(logits[id_of("==")], 0, 0);
    lf_bodylen_feed_token(&g, id_of("="));
    fill(logits, -10);
    logits[id_of("A")] = 4;
    logits[id_of("=")] = 1;
    lf_bodylen_mask(&g, logits, N_TOK);
    assert_true(isinf(logits[id_of("A")]));
    assert_float_equal(logits[id_of("=")], 1, 0);
    lf_bodylen_feed_token(&g, id_of("="));
    assert_false(ok(&g, "A"));
    assert_true(ok(&g, "</body>"));   /* still on: the body ends here */
    /* '=' before the padding is no base64: masked, the letters stay */
    lf_bodylen_init(&g, v);
    feed(&g, FILE_OPEN);
    feed(&g, "4\"><body encoding=\"base64\">AAAA");
    fill(logits, -10);
    logits[id_of("=")] = 4;
    logits[id_of("==")] = 3;
    logits[id_of("A")] = 1;
    lf_bodylen_mask(&g, logits, N_TOK);
    assert_true(isinf(logits[id_of("=")]));
    assert_true(isinf(logits[id_of("==")]));
    assert_float_equal(logits[id_of("A")], 1, 0);
    lf_bodylen_feed_token(&g, id_of("A"));
    assert_false(ok(&g, "=</body>"));   /* still on */
    assert_true(ok(&g, "A==</body>"));
    /* a base64 body closed a few letters before its end goes on too */
    mask_end_or(&g, v, "4\"><body encoding=\"base64\">AAAA", logits, 4, "A", 1);
    assert_true(isinf(logits[id_of("</body>")]));
    assert_float_equal(logits[id_of("A")], 1, 0);
    /* but one closed far before its letters is a body ended early: left
     * alone (the model meant a shorter body; a mount refuses it) */
    mask_end_or(&g, v, "40\"><body encoding=\"base64\">AAAA", logits, 4, "A", 1);
    assert_float_equal(logits[id_of("</body>")], 4, 0);
    assert_true(ok(&g, "</body>"));   /* off */
    lf_bodylen_vocab_free(v);
}

static void test_name(void **st)
{
    (void)st;
    lf_bodylen_vocab *v = vocab();
    lf_bodylen g;
    lf_bodylen_init(&g, v);
    feed(&g, "<filesystem><directory path=\"/\" name=\"");
    assert_false(ok(&g, "a"));
    assert_false(ok(&g, "/x"));
    assert_true(ok(&g, "/\" mode"));              /* the root's name is "/" */
    feed(&g, "/\" mode=\"755\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:00\">");
    feed(&g, "<file path=\"README.md\" name=\"");   /* a child of the root */
    assert_true(ok(&g, "README.md\""));
    assert_false(ok(&g, "README.mdx"));
    assert_false(ok(&g, "README.md "));
    assert_false(ok(&g, "XEADME"));
    feed(&g, "README.md\" mode=\"644\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:01\" "
             "size=\"0\"><body /></file>");
    /* deeper, escaped, and a token that runs past the name's end */
    feed(&g, "<directory path=\"d/x&amp;y/hello\" name=\"");
    assert_true(ok(&g, "hello\" mode=\"755\""));
    assert_false(ok(&g, "x&amp;y"));
    float logits[N_TOK];
    fill(logits, 0);
    logits[id_of("lo")] = 5;   /* the model's slip: the mask takes it away */
    lf_bodylen_mask(&g, logits, N_TOK);
    assert_true(isinf(logits[id_of("lo")]));
    assert_true(isinf(logits[id_of("x")]));
    assert_false(isinf(logits[id_of("h")]));
    assert_false(isinf(logits[id_of("hel")]));
    assert_false(isinf(logits[id_of("hello")]));
    lf_bodylen_feed_token(&g, id_of("hello"));
    fill(logits, 0);
    lf_bodylen_mask(&g, logits, N_TOK);
    assert_false(isinf(logits[id_of("\"")]));
    assert_false(isinf(logits[id_of("\"><body>")]));
    assert_true(isinf(logits[id_of("lo")]));
    lf_bodylen_feed_token(&g, id_of("\""));
    assert_true(ok(&g, " mode=\"755\""));          /* free again */
    /* a name that does not follow its path (another tag came between) and
     * a path too long to follow are left free */
    lf_bodylen_init(&g, v);
    feed(&g, "<file path=\"a/b\"><x name=\"");
    assert_true(ok(&g, "zz\""));
    lf_bodylen_init(&g, v);
    char longp[400];
    memset(longp, 'p', sizeof longp - 1);
    longp[sizeof longp - 1] = 0;
    feed(&g, "<file path=\"");
    feed(&g, longp);
    feed(&g, "\" name=\"");
    assert_true(ok(&g, "anything\""));
    lf_bodylen_vocab_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_entities_and_empty),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
