/* test_completion_fuzz.c: runs the libFuzzer entry of
 * tests/fuzz/fuzz_completion.c (which aborts on a violated round-trip
 * property) over fixed tricky answers, every seed-eval completion, and
 * deterministic random mutations of them, so CI exercises the fuzz target
 * without clang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

#include "../fuzz_driver.h"

static const char *const tokens[] = {
    "<END_FS>", "\n", "ERROR: ", "ENOENT", "\"", "\\u00e9", "\\ud800", "[", "]", ",", ".",
    "\xc8", "\0", "</body>", "<body />", "&amp;", "size=\"1\"", "AP8=", "=", " ",
};

static void mutate_and_run(const char *s, size_t n, int rounds)
{
    static lf_mutator mu = {0x9E3779B97F4A7C15ull, tokens,
                            sizeof tokens / sizeof tokens[0], 1, 16, 500, false};
    lf_fuzz_mutate_and_run(&mu, s, n, rounds);
}

static void test_fixed(void **state)
{
    (void)state;
#define L(x) {x, sizeof(x) - 1}
    static const struct {
        const char *s;
        size_t n;
    } t[] = {
        L("\x00ERROR: ENOENT"), L("\x00ERROR: free text\n<END_FS>"), L("\x00<END_FS>"),
        L("\x01[\".\",\"..\",\"a\"]"), L("\x01[\".\", \"..\", \"caf\xc3\xa9\"]"),
        L("\x01[\"a\xc8\"]"), L("\x01[1]"), L("\x01"), L("\x02hi\n"), L("\x02ERROR: ENOENT"),
        L("\x02\x00\x01"), L("\x03" "AP8="), L("\x03" "aGk="), L("\x03"), L("\x04" "a.txt"),
        L("\x04" "ERROR: EINVAL"),
    };
#undef L
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        lf_fuzz_run(t[i].s, t[i].n);
}

static void test_seed_completions(void **state)
{
    (void)state;
    const char *path = getenv("SEED_EVAL");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        skip();
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        lf_json *j = NULL;
        lf_err err;
        assert_int_equal(lf_json_parse(line, (size_t)got, &j, &err), 0);
        size_t plen, clen;
        const char *p = lf_json_get_str(j, "prompt", &plen);
        const char *c = lf_json_get_str(j, "completion", &clen);
        char kind = strncmp(p + 4, "readdir(", 8) == 0 ? 1 : strncmp(p + 4, "read(", 5) == 0 ? 2 : 0;
        char *buf = malloc(clen + 1);
        assert_non_null(buf);
        buf[0] = kind;
        memcpy(buf + 1, c, clen);
        lf_fuzz_run(buf, clen + 1);
        mutate_and_run(buf, clen + 1, 20);
        free(buf);
        lf_json_free(j);
    }
    free(line);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_seed_completions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
