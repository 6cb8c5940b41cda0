/* test_state_golden.c: every state in the seed evaluation set
 * (../shared/data/seed-eval/fuse_100.jsonl, path from env SEED_EVAL) parses
 * leniently; the canonical ones re-serialise byte for byte; the few that the
 * original's generator broke (control bytes stripped, so size and body
 * disagree) are counted, warned about in lenient mode and rejected in strict
 * mode with a message naming the disagreement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/state.h"
#include "util/json.h"

/* Counted by hand from the file: 179 states (100 prompts, 79 <W>
 * completions), 5 of them with a stripped body (`<body></body>` under a
 * nonzero size). */
#define EXPECT_STATES 179
#define EXPECT_NONCANONICAL 5

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
            }
            b = nb;
        }
    }
    fclose(f);
    *len = n;
    return b;
}

static int n_states, n_canon, n_noncanon;

static void check_state(const char *xml, size_t len, int row)
{
    lf_state *st = NULL;
    lf_err err = {0};
    int warn = -1;
    int rc = lf_state_parse(xml, len, LF_PARSE_LENIENT, &st, &warn, &err);
    if (rc)
        fail_msg("row %d: lenient parse failed: %s", row, err.msg);
    lf_buf out;
    lf_buf_init(&out, 0);
    assert_int_equal(lf_state_serialize(st, &out), 0);
    n_states++;
    lf_state *st2 = NULL;
    lf_err err2 = {0};
    int rc2 = lf_state_parse(xml, len, LF_PARSE_STRICT, &st2, NULL, &err2);
    if (out.len == len && memcmp(out.data, xml, len) == 0) {
        n_canon++;
        assert_int_equal(warn, 0);
        if (rc2)
            fail_msg("row %d: canonical state rejected in strict mode: %s", row, err2.msg);
        assert_true(lf_state_equal(st, st2));
    } else {
        n_noncanon++;
        if (warn <= 0) {
            size_t i = 0;
            while (i < len && i < out.len && xml[i] == out.data[i])
                i++;
            fail_msg("row %d: not canonical without a warning, from byte %zu:\n in:  %.80s\n out: %.80s",
                     row, i, xml + i, out.data + i);
        }
        assert_int_equal(rc2, -EINVAL);
        assert_non_null(strstr(err2.msg, "disagrees with the body"));
        assert_non_null(strstr(err2.msg, "byte "));
        /* the repaired state is canonical: strict accepts it, a fixed point */
        lf_state *st3 = NULL;
        assert_int_equal(lf_state_parse(out.data, out.len, LF_PARSE_STRICT, &st3, NULL, &err), 0);
        assert_true(lf_state_equal(st, st3));
        lf_state_free(st3);
    }
    lf_state_free(st2);
    lf_state_free(st);
    lf_buf_free(&out);
}

static void test_seed_eval(void **unused)
{
    (void)unused;
    const char *path = getenv("SEED_EVAL");
    size_t len = 0;
    char *all = path ? slurp(path, &len) : NULL;
    if (!all) {
        print_message("SEED_EVAL unset or unreadable: skipping\n");
        skip();
        return;
    }
    int row = 0;
    for (char *line = all; line < all + len;) {
        char *nl = memchr(line, '\n', (size_t)(all + len - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(all + len - line);
        if (ll) {
            lf_json *j = NULL;
            lf_err err = {0};
            if (lf_json_parse(line, ll, &j, &err))
                fail_msg("row %d: bad JSON: %s", row, err.msg);
            size_t pl, cl;
            const char *prompt = lf_json_get_str(j, "prompt", &pl);
            const char *comp = lf_json_get_str(j, "completion", &cl);
            assert_non_null(prompt);
            assert_non_null(comp);
            const char *sep = strstr(prompt, "\n---\n");
            assert_non_null(sep);
            const char *state = sep + 5;
            check_state(state, pl - (size_t)(state - prompt), row);
            if (strncmp(prompt, "<W>", 3) == 0) {
                static const char end[] = "\n<END_FS>";
                size_t el = sizeof end - 1;
                if (cl >= el && memcmp(comp + cl - el, end, el) == 0)
                    check_state(comp, cl - el, row);
                else
                    fail_msg("row %d: <W> completion without <END_FS>", row);
            }
            lf_json_free(j);
            row++;
        }
        line += ll + 1;
    }
    free(all);
    print_message("seed-eval: %d states, %d canonical, %d non-canonical\n", n_states, n_canon,
                  n_noncanon);
    assert_int_equal(n_states, EXPECT_STATES);
    assert_int_equal(n_noncanon, EXPECT_NONCANONICAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_eval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
