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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const char *s, size_t n)
{
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
    "<END_FS>", "\n", "ERROR: ", "ENOENT", "\"", "\\u00e9", "\\ud800", "[", "]", ",", ".",
    "\xc8", "\0", "</body>", "<body />", "&amp;", "size=\"1\"", "AP8=", "=", " ",
};

static void mutate_and_run(const char *s, size_t n, int rounds)
{
    char *m = malloc(n + 512);
    assert_non_null(m);
    for (int r = 0; r < rounds; r++) {
        size_t len = n;
        memcpy(m, s, n);
        int edits = 1 + (int)(next() % 3);
        for (int e = 0; e < edits; e++) {
            size_t at = len > 1 ? 1 + (size_t)(next() % (len - 1)) : len;
            switch (next() % 3) {
            case 0:
                if (at < len)
                    m[at] = (char)next();
                break;
            case 1: {
                size_t k = 1 + (size_t)(next() % 16);
                if (at + k > len)
                    k = len - at;
                memmove(m + at, m + at + k, len - at - k);
                len -= k;
                break;
            }
            default: {
                const char *t = tokens[next() % (sizeof tokens / sizeof tokens[0])];
                size_t k = t[0] ? strlen(t) : 1;
                if (len + k > n + 500)
                    break;
                memmove(m + at + k, m + at, len - at);
                memcpy(m + at, t, k);
                len += k;
            }
            }
        }
        run(m, len);
    }
    free(m);
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
        run(t[i].s, t[i].n);
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
        run(buf, clen + 1);
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
