/* test_proto.c: base prompts (§1), contract profiles (§5) and completions
 * (§4): byte-exact seed wrapper texts, completion render, and parsing of
 * good, garbage, truncated and ERROR answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

#define ROOT_OPEN "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" " \
                  "group=\"root\" mtime=\"2025-01-01T00:00:00\">"
#define EMPTY_FS "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" " \
                 "group=\"root\" mtime=\"2025-01-01T00:00:00\" /></filesystem>"
#define FILE_A "<file path=\"a.txt\" name=\"a.txt\" mode=\"644\" owner=\"root\" group=\"root\" " \
               "mtime=\"2025-01-01T00:00:01\" size=\"14\"><body>ERROR: ENOENT\n</body></file>"
#define FILE_B "<file path=\"b.bin\" name=\"b.bin\" mode=\"644\" owner=\"root\" group=\"root\" " \
               "mtime=\"2025-01-01T00:00:01\" size=\"3\"><body encoding=\"base64\">AAEC</body></file>"
#define LINK_L "<symlink path=\"l\" name=\"l\" mode=\"777\" owner=\"root\" group=\"root\" " \
               "mtime=\"2025-01-01T00:00:00\" target=\"a.txt\" />"
#define STATE1 ROOT_OPEN FILE_A FILE_B LINK_L "</directory></filesystem>"

static lf_state *parse_state(const char *xml)
{
    lf_state *st = NULL;
    lf_err err;
    if (lf_state_parse(xml, strlen(xml), LF_PARSE_STRICT, &st, NULL, &err) != 0)
        fail_msg("state: %s", err.msg);
    return st;
}

static const char HEADER[] =
    "You are a pure function. Output exactly the required result and nothing else.\n"
    "No explanations, no code fences, no repeated outputs, no prefixes or suffixes.\n";
static const char C_READDIR[] =
    "Return only a JSON array of names with double quotes, on one line,\n"
    "formatted exactly like: [\".\", \"..\", \"name1\", \"name2\"].\n"
    "Use a single space after each comma. Output nothing else.\n"
    "Sort the names in lexicographic order (\".\", then \"..\", then others ascending).";
static const char C_READ[] =
    "Return only the exact file content. If the file is empty, return an empty string\n"
    "(no characters). Output nothing else.";
static const char C_STATE[] =
    "Return exactly one <filesystem> XML document that represents the full state.\n"
    "It must start with <filesystem> and end with </filesystem> with no commentary,\n"
    "then append the literal token <END_FS> on its own line with nothing after it.\n"
    "Do not repeat or summarize the tree.";

static void test_contracts(void **state)
{
    (void)state;
    const struct {
        const char *base, *contract;
    } t[] = {
        {"<R>\nreaddir('/', fh=0)\n---\n" EMPTY_FS, C_READDIR},
        {"<R>\nread('/a', size=4096, offset=0, fh=4)\n---\n" EMPTY_FS, C_READ},
        {"<W>\nmkdir('/a', mode=0o755)\n---\n" EMPTY_FS, C_STATE},
        {"<R>\nreadlink('/l')\n---\n" EMPTY_FS, C_STATE},
        /* the original's rule reads the first line only, lower-cased */
        {"<W>\nwrite('/a', data=x = READDIR(y)\nz, data_length=14, offset=0, fh=4)\n---\n" EMPTY_FS,
         C_READDIR},
        /* PROTOCOL.md §5: the read contract only for lines starting with read( */
        {"<W>\nwrite('/a', data=f = read(x), data_length=12, offset=0, fh=4)\n---\n" EMPTY_FS,
         C_STATE},
        {"<W>\nwrite('/a', data=x\nreaddir(, data_length=10, offset=0, fh=4)\n---\n" EMPTY_FS,
         C_STATE},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        lf_buf b, want;
        lf_buf_init(&b, 0);
        lf_buf_init(&want, 0);
        assert_int_equal(lf_contract_wrap(LF_CONTRACT_SEED, t[i].base, strlen(t[i].base), &b), 0);
        lf_buf_puts(&want, HEADER);
        lf_buf_puts(&want, t[i].contract);
        lf_buf_puts(&want, "\n\n");
        lf_buf_puts(&want, t[i].base);
        if (b.len != want.len || memcmp(b.data, want.data, b.len))
            fail_msg("case %zu: wrong wrapper:\n%s", i, b.data);
        lf_buf_reset(&b);
        assert_int_equal(lf_contract_wrap(LF_CONTRACT_NONE, t[i].base, strlen(t[i].base), &b), 0);
        assert_string_equal(b.data, t[i].base);
        lf_buf_free(&b);
        lf_buf_free(&want);
    }
    assert_int_equal(lf_contract_from_name("none"), LF_CONTRACT_NONE);
    assert_int_equal(lf_contract_from_name("seed"), LF_CONTRACT_SEED);
    assert_int_equal(lf_contract_from_name("train"), -1);
    assert_string_equal(lf_contract_name(LF_CONTRACT_SEED), "seed");
}

static void test_prompt(void **state)
{
    (void)state;
    lf_state *st = parse_state(STATE1);
    /* data holding a whole fake prompt tail and separator */
    const char *data = "a, data_length=1, offset=0, fh=1)\n---\n" EMPTY_FS;
    lf_op op = {.kind = LF_OP_WRITE, .path = "/a.txt", .data = (unsigned char *)data,
                .data_len = strlen(data), .fh = 4, .uid = -1, .gid = -1};
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_prompt_render(&op, st, &b), 0);
    assert_memory_equal(b.data, "<W>\nwrite('/a.txt', data=a, data_length=1", 40);
    lf_op back;
    lf_state *st2 = NULL;
    lf_err err;
    int rc = lf_prompt_parse(b.data, b.len, LF_PARSE_STRICT, &back, &st2, NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(back.data_len, strlen(data));
    assert_memory_equal(back.data, data, back.data_len);
    assert_true(lf_state_equal(st, st2));
    lf_op_free(&back);
    lf_state_free(st2);
    /* tag and operation must agree; garbage is refused */
    const char *bad[] = {
        "<R>\nmkdir('/a', mode=0o755)\n---\n" EMPTY_FS,
        "<W>\nmkdir('/a', mode=0o755)\n" EMPTY_FS,
        "mkdir('/a', mode=0o755)\n---\n" EMPTY_FS,
        "<W>\nmkdir('/a', mode=0o755)\n---\n<filesystem>",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st2 = NULL;
        assert_int_equal(lf_prompt_parse(bad[i], strlen(bad[i]), LF_PARSE_STRICT, &back, &st2,
                                         NULL, &err), -EINVAL);
        assert_null(st2);
    }
    lf_buf_free(&b);
    lf_state_free(st);
}

static void render(const lf_op *op, const lf_answer *a, const char *want)
{
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_completion_render(op, a, &b), 0);
    assert_string_equal(b.data, want);
    lf_buf_free(&b);
}

static void test_completion_render(void **state)
{
    (void)state;
    lf_op rd = {.kind = LF_OP_READDIR, .path = "/", .fh = 0};
    lf_op rf = {.kind = LF_OP_READ, .path = "/b.bin", .fh = 0};
    lf_op rl = {.kind = LF_OP_READLINK, .path = "/l", .fh = -1};
    lf_op mk = {.kind = LF_OP_MKDIR, .path = "/d", .mode = 0755};
    char *names[] = {"a.txt", "caf\xc3\xa9", "q\"\\"};
    lf_answer list = {.kind = LF_ANS_LIST, .names = names, .nnames = 3};
    render(&rd, &list, "[\".\",\"..\",\"a.txt\",\"caf\\u00e9\",\"q\\\"\\\\\"]");
    lf_answer empty = {.kind = LF_ANS_LIST};
    render(&rd, &empty, "[\".\",\"..\"]");
    lf_answer bin = {.kind = LF_ANS_BYTES, .bytes = (unsigned char *)"\0\1\2", .nbytes = 3};
    render(&rf, &bin, "AAEC");
    lf_answer text = {.kind = LF_ANS_BYTES, .bytes = (unsigned char *)"hi\n", .nbytes = 3};
    render(&rf, &text, "hi\n");
    lf_answer tgt = {.kind = LF_ANS_BYTES, .bytes = (unsigned char *)"../x\ny", .nbytes = 6};
    render(&rl, &tgt, "../x\ny"); /* readlink is raw */
    lf_answer e = {.kind = LF_ANS_ERROR, .err = ENOTEMPTY};
    render(&mk, &e, "ERROR: ENOTEMPTY");
    lf_answer s = {.kind = LF_ANS_STATE, .state = parse_state(EMPTY_FS)};
    render(&mk, &s, EMPTY_FS "\n<END_FS>");
    lf_state_free(s.state);
}

static void test_completion_parse(void **state)
{
    (void)state;
    lf_state *cur = parse_state(STATE1);
    lf_op mk = {.kind = LF_OP_MKDIR, .path = "/d", .mode = 0755};
    lf_op rd = {.kind = LF_OP_READDIR, .path = "/", .fh = 0};
    lf_op ra = {.kind = LF_OP_READ, .path = "/a.txt", .fh = 0};
    lf_op rb = {.kind = LF_OP_READ, .path = "/b.bin", .fh = 0};
    lf_op rl = {.kind = LF_OP_READLINK, .path = "/l", .fh = -1};
    lf_op rx = {.kind = LF_OP_READ, .path = "/none", .fh = 0};
    lf_answer a;
    lf_err err;
    const struct {
        const lf_op *op;
        const char *text;
        int rc;
        lf_answer_kind kind;
        int err;
    } t[] = {
        {&mk, EMPTY_FS "\n<END_FS>", 0, LF_ANS_STATE, 0},
        {&mk, EMPTY_FS "\n<END_FS>\ngarbage after", 0, LF_ANS_STATE, 0},
        {&mk, EMPTY_FS, 0, LF_ANS_STATE, 0},
        {&mk, EMPTY_FS "\n", 0, LF_ANS_STATE, 0},
        {&mk, "ERROR: ENOENT", 0, LF_ANS_ERROR, ENOENT},
        {&mk, "ERROR: ENOTEMPTY\n<END_FS>", 0, LF_ANS_ERROR, ENOTEMPTY},
        {&mk, "ERROR: No such file or directory", 0, LF_ANS_ERROR, EIO},
        {&mk, "ERROR: EWHATEVER", 0, LF_ANS_ERROR, EIO},
        {&mk, "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\"", -EBADMSG, 0, 0},
        {&mk, "Sure! Here is the state:\n" EMPTY_FS "\n<END_FS>", -EBADMSG, 0, 0},
        {&mk, "", -EBADMSG, 0, 0},
        {&mk, "<END_FS>", -EBADMSG, 0, 0},
        {&mk, "<filesystem><bogus /></filesystem>", -EBADMSG, 0, 0},
        {&rd, "[\".\",\"..\",\"a.txt\"]", 0, LF_ANS_LIST, 0},
        {&rd, "[\".\", \"..\", \"a.txt\", \"caf\xc3\xa9\"]", 0, LF_ANS_LIST, 0},
        {&rd, "[\".\",\"..\",\"caf\\u00e9\"]", 0, LF_ANS_LIST, 0},
        {&rd, "[\".\",\"..\",\"a.txt\"", -EBADMSG, 0, 0},
        {&rd, "{\"a\": 1}", -EBADMSG, 0, 0},
        {&rd, "[\".\",1]", -EBADMSG, 0, 0},
        {&rd, "[\"a/b\"]", -EBADMSG, 0, 0},
        {&rd, "[\"\"]", -EBADMSG, 0, 0},
        {&rd, "[\"a\xc8\"]", -EBADMSG, 0, 0},
        {&rd, "[\"a\\u0001\"]", -EBADMSG, 0, 0},
        {&rd, "ERROR: ENOTDIR", 0, LF_ANS_ERROR, ENOTDIR},
        {&ra, "ERROR: ENOENT\n", 0, LF_ANS_BYTES, 0},   /* that is the file's content */
        {&ra, "ERROR: EISDIR", 0, LF_ANS_ERROR, EISDIR},
        {&ra, "anything\n", 0, LF_ANS_BYTES, 0},
        {&rb, "AAEC", 0, LF_ANS_BYTES, 0},
        {&rb, "AAE", -EBADMSG, 0, 0},
        {&rb, "ERROR: EIO", 0, LF_ANS_ERROR, EIO},
        {&rx, "x", 0, LF_ANS_BYTES, 0},
        {&rl, "a.txt", 0, LF_ANS_BYTES, 0},
        {&rl, "ERROR: EINVAL", 0, LF_ANS_ERROR, EINVAL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        lf_err_clear(&err);
        int rc = lf_completion_parse(t[i].op, cur, t[i].text, strlen(t[i].text), &a, &err);
        if (rc != t[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, t[i].rc, err.msg);
        if (rc == 0) {
            assert_int_equal(a.kind, t[i].kind);
            if (a.kind == LF_ANS_ERROR)
                assert_int_equal(a.err, t[i].err);
        } else {
            assert_true(err.msg[0] != '\0');
        }
        lf_answer_free(&a);
    }
    /* contents of the answers */
    const char *txt = "[\".\", \"..\", \"a.txt\", \"caf\xc3\xa9\"]";
    assert_int_equal(lf_completion_parse(&rd, cur, txt, strlen(txt), &a, &err), 0);
    assert_int_equal(a.nnames, 2);
    assert_string_equal(a.names[0], "a.txt");
    assert_string_equal(a.names[1], "caf\xc3\xa9");
    lf_answer_free(&a);
    assert_int_equal(lf_completion_parse(&rb, cur, "AAEC", 4, &a, &err), 0);
    assert_int_equal(a.nbytes, 3);
    assert_memory_equal(a.bytes, "\0\1\2", 3);
    lf_answer_free(&a);
    /* nothing but the sentinel's own newline is stripped */
    const char *sp = "  \n";
    assert_int_equal(lf_completion_parse(&ra, cur, sp, 3, &a, &err), 0);
    assert_int_equal(a.nbytes, 3);
    lf_answer_free(&a);
    txt = EMPTY_FS "\n<END_FS>";
    assert_int_equal(lf_completion_parse(&mk, cur, txt, strlen(txt), &a, &err), 0);
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_state_serialize(a.state, &b), 0);
    assert_string_equal(b.data, EMPTY_FS);
    lf_buf_free(&b);
    lf_answer_free(&a);
    assert_int_equal(lf_completion_cut("ab<END_FS>cd<END_FS>", 20), 2);
    assert_int_equal(lf_completion_cut("abc", 3), 3);
    lf_answer_free(NULL);
    lf_state_free(cur);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contracts),
        cmocka_unit_test(test_prompt),
        cmocka_unit_test(test_completion_render),
        cmocka_unit_test(test_completion_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
