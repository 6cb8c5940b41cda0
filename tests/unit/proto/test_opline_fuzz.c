/* test_opline_fuzz.c: runs the libFuzzer entry of tests/fuzz/fuzz_opline.c
 * (which aborts on a violated round-trip property) over fixed tricky lines,
 * every seed-eval operation line, and deterministic random mutations of
 * them, so CI exercises the fuzz target without clang. */
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
    "'", "\"", "\\", "\\x", "\\u", "\\U", "\\n", "\n", "\r", ")", "(", ", ",
    ", data_length=", ", offset=0, fh=", "None", "0o", "=", "\xc3\xa9", "\xff", "\0",
    "\n---\n", "<END_FS>", "</body>", "data_base64=", "new_path=", "target=",
};

static void mutate_and_run(const char *s, size_t n, int rounds)
{
    static lf_mutator mu = {0x2545F4914F6CDD1Dull, tokens,
                            sizeof tokens / sizeof tokens[0], 0, 8, 500, false};
    lf_fuzz_mutate_and_run(&mu, s, n, rounds);
}

static void test_fixed(void **state)
{
    (void)state;
#define L(x) {x, sizeof(x) - 1}
    static const struct {
        const char *s;
        size_t n;
    } lines[] = {
        L("mkdir('/a', mode=0o755)"),
        L("write('/f', data=x, data_length=1, offset=0, fh=1), data_length=36, offset=0, fh=1)"),
        L("write('/f', data_base64=AP8=, data_length=2, offset=0, fh=None)"),
        L("rename('/a', new_path='/b')"),
        L("rename('/a', new_path=\"'\")"),
        L("symlink('x\\udcff', target=/l)"),
        L("unlink('\\U0010ffff\\x00')"),
        L("chown('/a', uid=-1, gid=-1)"),
        L("read('/a', size=18446744073709551615, offset=0, fh=4611686018427387904)"),
        /* built ops: kind byte, flags byte, path, NUL, data / new_path */
        L("\x02\x01/path\0data, data_length=4, offset=1, fh=1)"),
        L("\x06\x00/a\0'/b'"),
        L("\x09\x03'q\0/t)"),
        L("\x02\x00/b\0\x00\xff\x01"),
    };
#undef L
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        lf_fuzz_run(lines[i].s, lines[i].n);
    lf_fuzz_run("", 0);
}

static void test_seed_lines(void **state)
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
        size_t plen;
        const char *p = lf_json_get_str(j, "prompt", &plen);
        const char *sep = strstr(p, "\n---\n");
        assert_non_null(sep);
        size_t n = (size_t)(sep - p) - 4;
        lf_fuzz_run(p + 4, n);
        mutate_and_run(p + 4, n, 60);
        lf_json_free(j);
    }
    free(line);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_seed_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
