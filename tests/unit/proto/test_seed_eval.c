/* test_seed_eval.c: golden check of the oracle against the original's
 * seed-eval labels ($SEED_EVAL, ../shared/data/seed-eval/fuse_100.jsonl;
 * docs/SEED-EVAL.md explains every row). The exact-match count, the set of
 * differing rows and each row's category are fixed here, so a change in the
 * oracle, the serialiser or the protocol code that moves any row shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/seed.h"
#include "util/json.h"

#define MP LF_SEED_MKDIR_P
#define CR LF_SEED_CREATED
#define OT LF_SEED_O_TRUNC
#define TR LF_SEED_TRANSIENT
#define SF LF_SEED_SYMLINK_FLAT
#define ST LF_SEED_STRIPPED

/* Every differing row and the faults that explain it; all others exact. */
static const struct {
    int row;
    unsigned faults;
} expected[] = {
    {3, TR},  {4, MP},  {6, MP},  {7, SF},  {8, CR},  {11, CR}, {12, SF},
    {15, CR}, {17, TR}, {19, SF}, {21, CR}, {22, SF}, {26, CR}, {35, MP},
    {36, CR | ST}, {37, CR | ST}, {40, CR}, {42, CR | ST}, {44, CR}, {45, MP},
    {48, MP}, {54, TR}, {56, TR}, {59, CR | ST}, {60, OT}, {66, SF}, {67, MP},
    {69, SF}, {72, CR}, {76, CR | ST}, {77, SF}, {78, MP}, {81, TR}, {84, CR},
    {91, SF},
};
#define N_EXPECTED (sizeof expected / sizeof expected[0])
#define N_EXACT 65

static void test_seed_eval(void **state)
{
    (void)state;
    const char *path = getenv("SEED_EVAL");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        skip();
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int row = 0, exact = 0;
    size_t next = 0;
    lf_buf cat, mine;
    lf_buf_init(&cat, 0);
    lf_buf_init(&mine, 0);
    while ((got = getline(&line, &cap, f)) > 0) {
        lf_json *j = NULL;
        lf_err err;
        assert_int_equal(lf_json_parse(line, (size_t)got, &j, &err), 0);
        size_t plen, llen;
        const char *prompt = lf_json_get_str(j, "prompt", &plen);
        const char *label = lf_json_get_str(j, "completion", &llen);
        assert_non_null(prompt);
        assert_non_null(label);
        lf_seed_verdict v;
        assert_int_equal(lf_seed_check_row(prompt, plen, label, llen, &mine, &v), 0);
        assert_true(v.parsed);
        lf_seed_verdict_category(&v, &cat);
        bool listed = next < N_EXPECTED && expected[next].row == row;
        if (v.exact) {
            if (listed)
                fail_msg("row %d: now matches the label exactly (update the table)", row);
            exact++;
        } else {
            if (!listed)
                fail_msg("row %d: differs from the label: %s", row, cat.data);
            if (!v.explained || v.faults != expected[next].faults)
                fail_msg("row %d: category is now %s", row, cat.data);
            next++;
        }
        lf_json_free(j);
        row++;
    }
    free(line);
    fclose(f);
    lf_buf_free(&cat);
    lf_buf_free(&mine);
    assert_int_equal(row, 100);
    assert_int_equal(exact, N_EXACT);
    assert_int_equal(next, N_EXPECTED);
    assert_int_equal(N_EXACT + N_EXPECTED, 100);
}

/* The fault models must not explain a wrong label: a label that is the
 * oracle's answer with one byte changed stays unexplained. */
static void test_no_false_explanations(void **state)
{
    (void)state;
    const char *prompt = "<W>\nmkdir('/a/b', mode=0o755)\n---\n"
                         "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" "
                         "group=\"root\" mtime=\"2025-01-01T00:00:00\" /></filesystem>";
    const char *label = "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" "
                        "group=\"root\" mtime=\"2025-01-01T00:00:00\"><directory path=\"a\" "
                        "name=\"a\" mode=\"755\" owner=\"root\" group=\"root\" "
                        "mtime=\"2025-01-01T00:00:00\"><directory path=\"a/b\" name=\"b\" "
                        "mode=\"700\" owner=\"root\" group=\"root\" "
                        "mtime=\"2025-01-01T00:00:00\" /></directory></directory></filesystem>\n"
                        "<END_FS>";
    lf_seed_verdict v;
    assert_int_equal(lf_seed_check_row(prompt, strlen(prompt), label, strlen(label), NULL, &v), 0);
    assert_true(v.parsed);
    assert_false(v.exact);
    assert_false(v.explained);
    /* with mode 755 the same label is mkdir -p */
    char *fixed = strdup(label);
    char *m = strstr(fixed, "mode=\"700\"");
    memcpy(m, "mode=\"755\"", 10);
    assert_int_equal(lf_seed_check_row(prompt, strlen(prompt), fixed, strlen(fixed), NULL, &v), 0);
    assert_true(v.explained);
    assert_int_equal(v.faults, LF_SEED_MKDIR_P);
    free(fixed);
    /* the leaked loopback root is repaired */
    lf_op op = {.kind = LF_OP_SYMLINK, .link_target = "x"};
    op.path = strdup("/tmp/tmpa7r7lg7z/fuse_root/d/x_link");
    assert_true(lf_seed_op_fixup(&op));
    assert_string_equal(op.path, "/d/x_link");
    assert_false(lf_seed_op_fixup(&op));
    free(op.path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_eval),
        cmocka_unit_test(test_no_false_explanations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
