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

#include "../fuzz_driver.h"

static const char *const tokens[] = {
    "<", ">", "/>", "&", "&amp;", "&#13;", "&#x0;", "&#1;", "\"", "'", "</body>", "<body>",
    "<body encoding=\"base64\">", "</file>", "</directory>", "<directory path=\"x\" name=\"x\" mode=\"7\" owner=\"r\" group=\"r\" mtime=\"t\">",
    "<!--", "-->", "<![CDATA[", "]]>", "\r", "\xC3\xA9", "\xFF", " ", "=", "size=\"0\"", "mode=\"9\"",
};

static void mutate_and_run(const char *s, size_t n, int rounds)
{
    static lf_mutator mu = {0x9E3779B97F4A7C15ull, tokens,
                            sizeof tokens / sizeof tokens[0], 0, 16, 255, true};
    lf_fuzz_mutate_and_run(&mu, s, n, rounds);
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
        lf_fuzz_run(in[i], strlen(in[i]));
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
                lf_fuzz_run(sep + 5, sl);
                mutate_and_run(sep + 5, sl, 20);
                n++;
            }
            if (c && p && !strncmp(p, "<W>", 3) && cl > 9) {
                lf_fuzz_run(c, cl - 9);
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
