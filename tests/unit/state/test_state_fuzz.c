/* test_state_fuzz.c: runs the libFuzzer entry of tests/fuzz/fuzz_state.c
 * (which aborts on any violated invariant) over fixed tricky inputs, every
 * seed-eval state, and a few thousand deterministic random mutations of
 * them, so CI exercises the fuzz target without clang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const char *s, size_t n)
{
    /* a private copy, so reads past the end are caught by ASan/valgrind */
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, s, n);
    LLVMFuzzerTestOneInput(c, n);
    free(c);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const tokens[] = {
    "<", ">", "/>", "&", "&amp;", "&#13;", "&#x0;", "&#1;", "\"", "'", "</body>", "<body>",
    "<body encoding=\"base64\">", "</file>", "</directory>", "<directory path=\"x\" name=\"x\" mode=\"7\" owner=\"r\" group=\"r\" mtime=\"t\">",
    "<!--", "-->", "<![CDATA[", "]]>", "\r", "\xC3\xA9", "\xFF", " ", "=", "size=\"0\"", "mode=\"9\"",
};

static void mutate_and_run(const char *s, size_t n, int rounds)
{
    char *m = malloc(n + 256);
    assert_non_null(m);
    for (int r = 0; r < rounds; r++) {
        size_t len = n;
        memcpy(m, s, n);
        int edits = 1 + (int)(next() % 3);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = (size_t)(next() % len);
            switch (next() % 4) {
            case 0: /* flip a byte */
                m[at] = (char)next();
                break;
            case 1: /* delete a span */ {
                size_t k = 1 + (size_t)(next() % 16);
                if (k > len - at)
                    k = len - at;
                memmove(m + at, m + at + k, len - at - k);
                len -= k;
                break;
            }
            case 2: /* insert a token */ {
                const char *t = tokens[next() % (sizeof tokens / sizeof tokens[0])];
                size_t k = strlen(t);
                if (len + k > n + 255)
                    break;
                memmove(m + at + k, m + at, len - at);
                memcpy(m + at, t, k);
                len += k;
                break;
            }
            default: /* truncate */
                len = at;
                break;
            }
        }
        run(m, len);
    }
    free(m);
}

static void test_fixed_inputs(void **unused)
{
    (void)unused;
    static const char *const in[] = {
        "", "<", "<filesystem>", "<filesystem/>",
        "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:00\" /></filesystem>",
        "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"a&#9;b\" group=\"r\" mtime=\"m\"><file path=\"f\" name=\"f\" mode=\"644\" owner=\"r\" group=\"r\" mtime=\"m\" size=\"3\"><body>&#13;\r\n<![CDATA[x]]></body></file></directory></filesystem>",
        "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"r\" group=\"r\" mtime=\"m\"><file path=\"f\" name=\"f\" mode=\"644\" owner=\"r\" group=\"r\" mtime=\"m\" size=\"1\"><body encoding=\"base64\">fw==</body></file></directory></filesystem>",
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        run(in[i], strlen(in[i]));
        mutate_and_run(in[i], strlen(in[i]), 200);
    }
}

static void test_seed_eval(void **unused)
{
    (void)unused;
    const char *path = getenv("SEED_EVAL");
    lf_buf all;
    lf_buf_init(&all, 0);
    if (!path || lf_file_read(path, 64 << 20, &all, NULL)) {
        lf_buf_free(&all);
        print_message("SEED_EVAL unset or unreadable: skipping\n");
        skip();
        return;
    }
    int n = 0;
    for (char *line = all.data; line < all.data + all.len;) {
        char *nl = memchr(line, '\n', (size_t)(all.data + all.len - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(all.data + all.len - line);
        lf_json *j = NULL;
        if (ll && lf_json_parse(line, ll, &j, NULL) == 0) {
            size_t pl, cl;
            const char *p = lf_json_get_str(j, "prompt", &pl);
            const char *c = lf_json_get_str(j, "completion", &cl);
            const char *sep = p ? strstr(p, "\n---\n") : NULL;
            if (sep) {
                size_t sl = pl - (size_t)(sep + 5 - p);
                run(sep + 5, sl);
                mutate_and_run(sep + 5, sl, 20);
                n++;
            }
            if (c && p && !strncmp(p, "<W>", 3) && cl > 9) {
                run(c, cl - 9);
                mutate_and_run(c, cl - 9, 20);
                n++;
            }
        }
        lf_json_free(j);
        line += ll + 1;
    }
    lf_buf_free(&all);
    print_message("fuzz entry: %d seed states, %d mutations\n", n, n * 20);
    assert_true(n > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_inputs),
        cmocka_unit_test(test_seed_eval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
