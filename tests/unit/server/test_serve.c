/* test_serve.c: the server's request handler (src/server/handle.c) without
 * a network: a table of requests and their exact answers; every seed-eval
 * prompt through /generate (the original's client shape: seed-wrapped, no
 * max_tokens) and /v1/completions, answered exactly as the oracle answers;
 * and the fuzz target tests/fuzz/fuzz_serve.c over those bodies and
 * deterministic mutations of them (so CI runs it without clang). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "proto/proto.h"
#include "server/handle.h"
#include "state/apply.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lf_backend *oracle;

static int setup(void **st)
{
    (void)st;
    return lf_backend_new("oracle", NULL, &oracle, NULL);
}

static int teardown(void **st)
{
    (void)st;
    lf_backend_free(oracle);
    return 0;
}

static unsigned handle(const char *token, const char *method, const char *path,
                       const char *xtok, const char *authz, const char *body, size_t n,
                       lf_buf *out)
{
    lf_serve_cfg cfg = {.b = oracle, .token = token, .max_body = 4096};
    lf_serve_req rq = {.method = method, .path = path, .x_token = xtok, .authorization = authz,
                       .body = body, .body_len = n, .too_big = n > 4096};
    lf_buf_reset(out);
    return lf_serve_handle(&cfg, &rq, out);
}

#define EMPTY                                                                                  \
    "<filesystem><directory path=\\\"/\\\" name=\\\"/\\\" mode=\\\"755\\\" owner=\\\"root\\\" " \
    "group=\\\"root\\\" mtime=\\\"2025-01-01T00:00:00\\\" /></filesystem>"

static void test_table(void **st)
{
    (void)st;
    static const struct {
        const char *token, *method, *path, *xtok, *authz, *body;
        unsigned status;
        const char *want;
    } cases[] = {
        {NULL, "POST", "/generate", NULL, NULL, "{\"prompt\":\"<R>\\nreaddir('/', fh=0)\\n---\\n" EMPTY "\"}",
         200, "{\"text\":\"[\\\".\\\",\\\"..\\\"]\"}"},
        {NULL, "POST", "/generate", NULL, NULL, "{\"prompt\":\"<W>\\nrmdir('/', )\\n---\\n" EMPTY "\"}",
         400, NULL},
        {NULL, "POST", "/generate", NULL, NULL, "{\"prompt\":\"<W>\\nrmdir('/')\\n---\\n" EMPTY "\"}",
         200, "{\"text\":\"ERROR: EBUSY\"}"},
        {NULL, "POST", "/generate", NULL, NULL, "{\"prompt\":\"<R>\\nreadlink('/x')\\n---\\n" EMPTY "\",\"max_tokens\":5}",
         200, "{\"text\":\"ERROR: ENOENT\"}"},
        {NULL, "POST", "/generate", NULL, NULL, "{\"prompt\":null}", 400, "{\"detail\":\"prompt is required\"}"},
        {NULL, "POST", "/generate", NULL, NULL, "", 400, NULL},
        {NULL, "POST", "/generate", NULL, NULL, "{\"prompt\":\"x\",\"max_tokens\":1.5}", 400,
         "{\"detail\":\"max_tokens must be a positive integer\"}"},
        {NULL, "POST", "/v1/completions", NULL, NULL,
         "{\"prompt\":[\"<R>\\nreaddir('/', fh=0)\\n---\\n" EMPTY "\"],\"stop\":\"..\"}", 200, NULL},
        {NULL, "PUT", "/v1/completions", NULL, NULL, "{}", 405,
         "{\"error\":{\"message\":\"Method Not Allowed\",\"type\":\"invalid_request_error\"}}"},
        {NULL, "GET", "/", NULL, NULL, "", 404, "{\"detail\":\"Not Found\"}"},
        {NULL, "HEAD", "/health", NULL, NULL, "", 200,
         "{\"status\":\"ok\",\"backend\":\"oracle\",\"contract\":\"none\"}"},
        {"k", "POST", "/generate", "K", NULL, "{}", 401, "{\"detail\":\"invalid token\"}"},
        {"k", "POST", "/generate", "kk", NULL, "{}", 401, NULL},
        {"k", "POST", "/generate", NULL, "Bearer k", "{}", 401, NULL},
        {"k", "POST", "/generate", "k", NULL, "{}", 400, "{\"detail\":\"prompt is required\"}"},
        {"k", "POST", "/v1/completions", NULL, "bearer k", "{}", 400, NULL},
        {"k", "POST", "/v1/completions", NULL, "Bearer  k", "{}", 401, NULL},
        {"k", "POST", "/v1/completions", NULL, "Basic k", "{}", 401,
         "{\"error\":{\"message\":\"invalid token\",\"type\":\"authentication_error\"}}"},
    };
    lf_buf out;
    lf_buf_init(&out, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned s = handle(cases[i].token, cases[i].method, cases[i].path, cases[i].xtok,
                            cases[i].authz, cases[i].body, strlen(cases[i].body), &out);
        if (s != cases[i].status || (cases[i].want && strcmp(out.data, cases[i].want)))
            fail_msg("case %zu: %u %s", i, s, out.data);
    }
    /* the OpenAI shape, field by field */
    handle(NULL, "POST", "/v1/completions", NULL, NULL, cases[7].body, strlen(cases[7].body), &out);
    lf_json *j = NULL;
    assert_int_equal(lf_json_parse(out.data, out.len, &j, NULL), 0);
    assert_string_equal(lf_json_get_str(j, "object", NULL), "text_completion");
    assert_string_equal(lf_json_get_str(j, "model", NULL), "oracle");
    const lf_json *ch = lf_json_get(j, "choices");
    assert_non_null(ch);
    assert_string_equal(lf_json_get_str(&ch->items[0], "text", NULL), "[\".\",\"");
    assert_string_equal(lf_json_get_str(&ch->items[0], "finish_reason", NULL), "stop");
    const lf_json *u = lf_json_get(j, "usage");
    assert_true(lf_json_get_int(u, "prompt_tokens", -1) > 0);
    assert_int_equal(lf_json_get_int(u, "total_tokens", -1),
                     lf_json_get_int(u, "prompt_tokens", 0) + lf_json_get_int(u, "completion_tokens", 0));
    lf_json_free(j);
    /* a body over the cap */
    char big[5000];
    memset(big, ' ', sizeof big);
    assert_int_equal(handle(NULL, "POST", "/generate", NULL, NULL, big, sizeof big, &out), 413);
    lf_buf_free(&out);
}

/* Each seed-eval prompt through both endpoints; the text must be the
 * oracle's completion as each wire carries it. Also feeds the fuzz entry. */
static void test_seed_eval(void **st)
{
    (void)st;
    const char *path = getenv("SEED_EVAL");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        skip();
    char *line = NULL;
    size_t cap = 0, rows = 0;
    ssize_t got;
    lf_buf out, body, want, wrapped;
    lf_buf_init(&out, 0);
    lf_buf_init(&body, 0);
    lf_buf_init(&want, 0);
    lf_buf_init(&wrapped, 0);
    while ((got = getline(&line, &cap, f)) > 0) {
        lf_json *j = NULL, *a = NULL;
        assert_int_equal(lf_json_parse(line, (size_t)got, &j, NULL), 0);
        size_t plen;
        const char *p = lf_json_get_str(j, "prompt", &plen);
        lf_op op = {0};
        lf_state *s = NULL;
        lf_answer ans = {0};
        assert_int_equal(lf_prompt_parse(p, plen, LF_PARSE_LENIENT, &op, &s, NULL, NULL), 0);
        assert_int_equal(lf_oracle_answer(s, &op, &ans), 0);
        lf_buf_reset(&want);
        assert_int_equal(lf_completion_render(&op, &ans, &want), 0);
        bool w = lf_op_is_write(op.kind) && ans.kind == LF_ANS_STATE;
        size_t cut = w ? lf_completion_cut(want.data, want.len) : want.len;

        for (int api = 0; api < 2; api++) {
            lf_buf_reset(&wrapped);
            assert_int_equal(lf_contract_wrap(api ? LF_CONTRACT_NONE : LF_CONTRACT_SEED, p, plen,
                                              &wrapped), 0);
            lf_buf_reset(&body);
            lf_buf_putc(&body, api ? 2 : 0); /* the fuzz entry's selector byte */
            lf_buf_puts(&body, "{\"prompt\":");
            lf_json_write_str(&body, wrapped.data, wrapped.len, false);
            lf_buf_puts(&body, api ? ",\"stop\":[\"<END_FS>\"],\"max_tokens\":8000}"
                                   : ",\"temperature\":0.0}");
            unsigned status = handle(NULL, "POST", api ? "/v1/completions" : "/generate", NULL,
                                     NULL, body.data + 1, body.len - 1, &out);
            if (status != 200)
                fail_msg("row %zu: %u %s", rows, status, out.data);
            assert_int_equal(lf_json_parse(out.data, out.len, &a, NULL), 0);
            size_t n;
            const char *t = api ? lf_json_get_str(&lf_json_get(a, "choices")->items[0], "text", &n)
                                : lf_json_get_str(a, "text", &n);
            size_t wn = cut;
            if (w && !api)
                while (wn > 0 && want.data[wn - 1] == '\n')
                    wn--;
            if (!t || n != wn || memcmp(t, want.data, n))
                fail_msg("row %zu (%s): %.*s\nwant %.*s", rows, api ? "openai" : "generate",
                         (int)n, t, (int)wn, want.data);
            lf_json_free(a);
            LLVMFuzzerTestOneInput((const uint8_t *)body.data, body.len);
        }
        lf_answer_free(&ans);
        lf_op_free(&op);
        lf_state_free(s);
        lf_json_free(j);
        rows++;
    }
    assert_int_equal(rows, 100);
    free(line);
    fclose(f);
    lf_buf_free(&out);
    lf_buf_free(&body);
    lf_buf_free(&want);
    lf_buf_free(&wrapped);
}

/* A model that answers bytes that are not UTF-8: the server passes them on
 * as U+FFFD (as vLLM does), with status 200. */
static int bad_complete(lf_backend *b, const lf_request *req, lf_buf *out,
                        lf_backend_stats *st, lf_err *err)
{
    (void)b;
    (void)req;
    (void)st;
    (void)err;
    return lf_buf_append(out, "a\xff\xc3\xa9\xe2\x82\xed\xa0\x80z\xc3", 11);
}
static long bad_count(lf_backend *b, const char *t, size_t n)
{
    (void)b;
    (void)t;
    return (long)n;
}
static void bad_free(lf_backend *b) { (void)b; }
static const lf_backend_vt bad_vt = {"bad", bad_complete, bad_count, bad_free};

static void test_not_utf8(void **st)
{
    (void)st;
    lf_backend bad = {.vt = &bad_vt, .contract = LF_CONTRACT_NONE, .context_tokens = 0};
    lf_serve_cfg cfg = {.b = &bad};
    static const char body[] =
        "{\"prompt\":\"<R>\\nreaddir('/', fh=0)\\n---\\n" EMPTY "\"}";
    lf_serve_req rq = {.method = "POST", .path = "/generate", .body = body,
                       .body_len = sizeof body - 1};
    lf_buf out;
    lf_buf_init(&out, 0);
    assert_int_equal(lf_serve_handle(&cfg, &rq, &out), 200);
    /* a, a stray byte, é, a cut 3-byte sequence (2 bytes), an encoded
     * surrogate (3 bytes), z, a cut 2-byte sequence: one U+FFFD per bad byte */
    assert_string_equal(out.data, "{\"text\":\"a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd"
                                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\"}");
    lf_buf_free(&out);
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The fuzz entry over fixed bodies and random mutations of them. */
static void test_fuzz_driver(void **st)
{
    (void)st;
    static const char *seeds[] = {
        "{\"prompt\":\"<W>\\nmkdir('/a', mode=0o40755)\\n---\\n" EMPTY "\"}",
        "{\"prompt\":\"<R>\\nread('/a', size=1, offset=0, fh=3)\\n---\\n" EMPTY "\",\"max_tokens\":9}",
        "{\"prompt\":\"You are a pure function.\\n\\n<R>\\nreaddir('/', fh=0)\\n---\\n" EMPTY "\"}",
        "{\"prompt\":[\"a\"],\"stop\":[\"\",\"a\",1]}",
        "{\"model\":\"m\",\"prompt\":\"<R>\\nreaddir('/', fh=0)\\n---\\n" EMPTY "\"}", "{\"temperature\":-1}", "[]", "\"\"", "{",
    };
    static const char *tokens[] = {"\\u0000", "\\\"", "<W>\\n", "\\n---\\n", "\"", "}", "{",
                                   "null", "1e999", "\xc3", ",\"max_tokens\":1"};
    char m[1024];
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        size_t n0 = strlen(seeds[i]);
        for (int sel = 0; sel < 128; sel++) {
            m[0] = (char)sel;
            memcpy(m + 1, seeds[i], n0);
            LLVMFuzzerTestOneInput((const uint8_t *)m, n0 + 1);
        }
        for (int r = 0; r < 300; r++) {
            size_t len = n0 + 1;
            m[0] = (char)(next() & 0x7f);
            memcpy(m + 1, seeds[i], n0);
            for (int e = 0; e < 3; e++) {
                size_t at = 1 + (size_t)(next() % len);
                if (next() % 2 && at < len) {
                    m[at] = (char)next();
                } else {
                    const char *t = tokens[next() % (sizeof tokens / sizeof tokens[0])];
                    size_t k = strlen(t);
                    if (len + k < sizeof m) {
                        memmove(m + at + k, m + at, len - at);
                        memcpy(m + at, t, k);
                        len += k;
                    }
                }
            }
            LLVMFuzzerTestOneInput((const uint8_t *)m, len);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_seed_eval),
        cmocka_unit_test(test_not_utf8),
        cmocka_unit_test(test_fuzz_driver),
    };
    return cmocka_run_group_tests_name("serve", tests, setup, teardown);
}
