/* test_backend.c: the backend layer without a network: the factory, the
 * oracle backend, the answer budget and -ENOSPC, contract unwrapping.
 * (The HTTP backends and the server: test_http.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "lf_config.h"
#include "proto/content.h"
#include "proto/proto.h"
#include "state/apply.h"
#include "backend_test.h"

static void test_factory(void **s)
{
    (void)s;
    lf_backend *b = NULL;
    lf_err err = {0};
    assert_int_equal(lf_backend_new("gpt", NULL, &b, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "unknown backend 'gpt'"));
    assert_null(b);
    lf_backend_opts o = {.contract = -1};
#if LF_HAVE_CURL
    assert_int_equal(lf_backend_new("generate", &o, &b, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "no URL"));
    o.url = "ftp://x";
    assert_int_equal(lf_backend_new("openai", &o, &b, &err), -EINVAL);
#else
    o.url = "http://127.0.0.1:1";
    assert_int_equal(lf_backend_new("openai", &o, &b, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "without libcurl"));
#endif
    assert_true(lf_backend_new("local", &o, &b, &err) < 0); /* no model given */
    assert_null(b);
    assert_int_equal(lf_backend_new("oracle", NULL, &b, &err), 0);
    assert_string_equal(b->vt->name, "oracle");
    assert_int_equal(b->contract, LF_CONTRACT_NONE);
    lf_backend_free(b);
    lf_backend_free(NULL);
}

static void test_oracle_backend(void **s)
{
    (void)s;
    lf_backend *b = NULL;
    assert_int_equal(lf_backend_new("oracle", NULL, &b, NULL), 0);
    lf_buf out;
    lf_buf_init(&out, 0);
    lf_err err = {0};
    assert_int_equal(one(b, &err, &out), 0);
    assert_string_equal(out.data,
                        "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" "
                        "group=\"root\" mtime=\"2025-01-01T00:00:00\"><directory path=\"a\" "
                        "name=\"a\" mode=\"755\" owner=\"root\" group=\"root\" "
                        "mtime=\"2025-01-01T00:00:00\" /></directory></filesystem>\n<END_FS>");
    /* prompt only (no op/state): the oracle reads the prompt */
    lf_buf_reset(&out);
    const char *p = "<R>\nreaddir('/', fh=0)\n---\n<filesystem><directory path=\"/\" name=\"/\" "
                    "mode=\"755\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:00\" />"
                    "</filesystem>";
    lf_request req = {.prompt = p, .prompt_len = strlen(p)};
    assert_int_equal(lf_backend_complete(b, &req, &out, NULL, &err), 0);
    assert_string_equal(out.data, "[\".\",\"..\"]");
    /* the oracle has one answer: no alternatives */
    assert_false(b->alternatives);
    req.attempt = 1;
    assert_int_equal(lf_backend_complete(b, &req, &out, NULL, &err), -ENOTSUP);
    lf_backend_free(b);
    lf_buf_free(&out);
}

/* A backend with a 4-bytes-a-token tokenizer and a small context, to test
 * the budget. complete() records the budget it was handed. */
static size_t fake_seen;
static int fake_complete(lf_backend *b, const lf_request *req, lf_buf *out,
                         lf_backend_stats *st, lf_err *err)
{
    (void)b;
    (void)out;
    (void)st;
    (void)err;
    fake_seen = req->max_tokens;
    return 0;
}
static long fake_count(lf_backend *b, const char *t, size_t n)
{
    (void)b;
    (void)t;
    return (long)(n + 3) / 4;
}
static void fake_free(lf_backend *b) { (void)b; }
static const lf_backend_vt fake_vt = {"fake", fake_complete, fake_count, fake_free};

static void test_budget_plain(void **s)
{
    (void)s;
    lf_backend b = {.vt = &fake_vt, .contract = LF_CONTRACT_NONE, .context_tokens = 1000};
    lf_op op = {0};
    size_t mt = 0;
    must_parse_op("mkdir('/a', mode=0o40755)", &op);
    /* 400 bytes of state at 0.3 tokens a byte: > 400 * 0.3 and within the room */
    assert_int_equal(lf_backend_budget(&b, &op, 120, 400, &mt), 0);
    assert_true(mt >= 120 && mt <= 880);
    /* the prompt alone leaves no room */
    assert_int_equal(lf_backend_budget(&b, &op, 990, 3000, &mt), -ENOSPC);
    /* unlimited context: always fits */
    b.context_tokens = 0;
    assert_int_equal(lf_backend_budget(&b, &op, 990, 3000, &mt), 0);
    assert_true(mt >= 990);
    lf_op_free(&op);
    /* a write of 3000 bytes into a small state does not fit 1000 tokens */
    b.context_tokens = 1000;
    char data[3000];
    memset(data, 'x', sizeof data);
    op = write_op("/f", data, sizeof data, 0);
    assert_int_equal(lf_backend_budget(&b, &op, 900, 200, &mt), -ENOSPC);
    lf_op_free(&op);
    /* an absurd offset or length is -ENOSPC, not an overflow */
    op = write_op("/f", "x", 1, UINT64_MAX - 1);
    assert_int_equal(lf_backend_budget(&b, &op, 100, 200, &mt), -ENOSPC);
    lf_op_free(&op);
    must_parse_op("truncate('/f', length=18446744073709551615, fh=None)", &op);
    assert_int_equal(lf_backend_budget(&b, &op, 100, 200, &mt), -ENOSPC);
    lf_op_free(&op);
    /* queries are bounded by the state, not grown */
    must_parse_op("readlink('/l')", &op);
    assert_int_equal(lf_backend_budget(&b, &op, 100, 300, &mt), 0);
    lf_op_free(&op);
}

/* Tokens of text for a model that reads file contents one token per byte
 * (llmfuse.content_bytes): those bytes one token each, the rest 4 bytes a
 * token. text is a prompt (prompt NULL) or the answer to prompt. */
static long count_content(const char *prompt, size_t plen, const char *t, size_t n)
{
    lf_spans sp = {0};
    int rc = prompt ? lf_content_answer_spans(prompt, plen, t, n, &sp)
                    : lf_content_spans(t, n, &sp);
    assert_int_equal(rc, 0);
    size_t c = 0;
    for (size_t i = 0; i < sp.n; i++)
        c += sp.at[2 * i + 1] - sp.at[2 * i];
    lf_spans_free(&sp);
    return (long)(n - c + 3) / 4 + (long)c;
}
static long fake_count_content(lf_backend *b, const char *t, size_t n)
{
    (void)b;
    return count_content(NULL, 0, t, n);
}
static const lf_backend_vt fake_content_vt = {"fake", fake_complete, fake_count_content, fake_free};

/* For each op on a prepared state, the budget from the request must cover
 * the tokens of the oracle's answer (the right answer never gets cut), for
 * a model of 4 bytes a token and for one that writes file contents one
 * token per byte (content: a truncate that grows a file by 4,000 zero bytes
 * answers 5,336 base64 tokens more). */
static void budget_cases(bool content)
{
    lf_backend b = {.vt = content ? &fake_content_vt : &fake_vt, .contract = LF_CONTRACT_SEED,
                    .context_tokens = 1 << 20, .content_bytes = content};
    lf_state *st = lf_state_new("root", "root");
    static const char *setup[] = {
        "mkdir('/d', mode=0o40755)", "mkdir('/d/e', mode=0o40755)",
        "create('/d/e/f', mode=0o100644)", "create('/d/t', mode=0o100644)",
        "create('/d/b', mode=0o100644)", "symlink('t', target=/d/l)",
    };
    for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++) {
        lf_op op = {0};
        must_parse_op(setup[i], &op);
        assert_int_equal(lf_state_apply(st, &op, NULL), 0);
        lf_op_free(&op);
    }
    char text[600];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "a&<>\r\"b"[i % 7];
    lf_op w1 = write_op("/d/t", text, sizeof text, 0);
    assert_int_equal(lf_state_apply(st, &w1, NULL), 0);
    unsigned char bin[300];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 7);
    lf_op w2 = write_op("/d/b", bin, sizeof bin, 0);
    assert_int_equal(lf_state_apply(st, &w2, NULL), 0);
    lf_op_free(&w1);
    lf_op_free(&w2);

    lf_op ops[16];
    size_t n = 0;
    ops[n++] = write_op("/d/t", "&&&&<<<<", 8, 600);      /* text append, escapes */
    ops[n++] = write_op("/d/t", "\0\0", 2, 10);          /* text becomes base64 */
    ops[n++] = write_op("/d/t", "zz", 2, 5000);          /* a gap: base64 */
    ops[n++] = write_op("/d/b", "more", 4, 300);         /* base64 grows */
    static const char *lines[] = {
        "truncate('/d/t', length=4000, fh=None)", "truncate('/d/t', length=1, fh=None)",
        "rename('/d', new_path=/a-much-longer-directory-name)",
        "create('/d/e/\"\"\"&&&', mode=0o100644)", "chown('/d/t', uid=4294967294, gid=12345)",
        "readdir('/d', fh=0)", "read('/d/t', size=10, offset=0, fh=3)",
        "read('/d/b', size=10, offset=0, fh=3)", "readlink('/d/l')", "unlink('/zzz')",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        must_parse_op(lines[i], &ops[n++]);
    for (size_t i = 0; i < n; i++) {
        lf_buf prompt, ans;
        lf_buf_init(&prompt, 0);
        lf_buf_init(&ans, 0);
        lf_answer a = {0};
        assert_int_equal(lf_prompt_render(&ops[i], st, &prompt), 0);
        assert_int_equal(lf_oracle_answer(st, &ops[i], &a), 0);
        assert_int_equal(lf_completion_render(&ops[i], &a, &ans), 0);
        lf_request req = {.op = &ops[i], .state = st, .prompt = prompt.data,
                          .prompt_len = prompt.len};
        size_t mt = 0;
        long pt = 0;
        assert_int_equal(lf_backend_budget_request(&b, &req, &mt, &pt, NULL), 0);
        assert_true(pt > (long)prompt.len / 4);
        long need = content ? count_content(prompt.data, prompt.len, ans.data, ans.len)
                            : fake_count(&b, ans.data, ans.len);
        if ((long)mt < need)
            fail_msg("op %zu (%s): budget %zu < answer %ld tokens", i,
                     lf_op_name(ops[i].kind), mt, need);
        /* and the plain budget (state length only) is never tighter */
        size_t mt2 = 0;
        const char *sep = strstr(prompt.data, "\n---\n");
        assert_int_equal(lf_backend_budget(&b, &ops[i], pt, prompt.len - (size_t)(sep + 5 - prompt.data), &mt2), 0);
        assert_true(mt2 + 8 >= (size_t)need);
        /* lf_backend_complete fills in a budget when none is given */
        fake_seen = 0;
        assert_int_equal(lf_backend_complete(&b, &req, &ans, NULL, NULL), 0);
        assert_int_equal(fake_seen, mt);
        lf_answer_free(&a);
        lf_buf_free(&prompt);
        lf_buf_free(&ans);
        lf_op_free(&ops[i]);
    }
    lf_state_free(st);
}

static void test_budget_covers_answer(void **s)
{
    (void)s;
    budget_cases(false);
    budget_cases(true);
}

static void test_complete_enospc(void **s)
{
    (void)s;
    lf_backend b = {.vt = &fake_vt, .contract = LF_CONTRACT_NONE, .context_tokens = 64};
    lf_state *st = lf_state_new("root", "root");
    lf_op op = {0};
    must_parse_op("mkdir('/a', mode=0o40755)", &op);
    lf_buf prompt, out;
    lf_buf_init(&prompt, 0);
    lf_buf_init(&out, 0);
    assert_int_equal(lf_prompt_render(&op, st, &prompt), 0);
    lf_request req = {.op = &op, .state = st, .prompt = prompt.data, .prompt_len = prompt.len};
    lf_err err = {0};
    fake_seen = 12345;
    assert_int_equal(lf_backend_complete(&b, &req, &out, NULL, &err), -ENOSPC);
    assert_int_equal(fake_seen, 12345); /* never called */
    assert_non_null(strstr(err.msg, "does not fit the context"));
    lf_op_free(&op);
    lf_state_free(st);
    lf_buf_free(&prompt);
    lf_buf_free(&out);
}

static void test_unwrap(void **s)
{
    (void)s;
    const char *base = "<W>\nmkdir('/a', mode=0o40755)\n---\n<filesystem><directory path=\"/\" "
                       "name=\"/\" mode=\"755\" owner=\"root\" group=\"root\" "
                       "mtime=\"2025-01-01T00:00:00\" /></filesystem>";
    lf_buf w;
    lf_buf_init(&w, 0);
    lf_contract c;
    size_t off;
    assert_int_equal(lf_contract_wrap(LF_CONTRACT_SEED, base, strlen(base), &w), 0);
    assert_int_equal(lf_contract_unwrap(w.data, w.len, &c, &off, NULL), 0);
    assert_int_equal(c, LF_CONTRACT_SEED);
    assert_string_equal(w.data + off, base);
    assert_int_equal(lf_contract_unwrap(base, strlen(base), &c, &off, NULL), 0);
    assert_int_equal(c, LF_CONTRACT_NONE);
    assert_int_equal(off, 0);
    /* a tampered wrapper is not recognised */
    w.data[5] = 'X';
    lf_err err = {0};
    assert_int_equal(lf_contract_unwrap(w.data, w.len, &c, &off, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "contract"));
    assert_int_equal(lf_contract_unwrap("hello\n\nworld", 12, &c, &off, NULL), -EINVAL);
    lf_buf_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_factory),
        cmocka_unit_test(test_oracle_backend),
        cmocka_unit_test(test_budget_plain),
        cmocka_unit_test(test_budget_covers_answer),
        cmocka_unit_test(test_complete_enospc),
        cmocka_unit_test(test_unwrap),
    };
    return cmocka_run_group_tests_name("backend", tests, NULL, NULL);
}
