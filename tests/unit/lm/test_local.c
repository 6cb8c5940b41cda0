/* test_local.c: the embedded engine as a backend (src/backend/local.c):
 * the model's contract and context, exact token counts, deterministic
 * answers (also from concurrent callers), the context limit, alternative
 * answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "lf_config.h"
#include "lm/gguf.h"
#include "lm/tok.h"

static char model_path[1024];
static const char *prompt = "<W>\nmkdir('/docs', 0o755)\n---\n<filesystem><directory path=\"/\" "
                            "name=\"/\" mode=\"755\" owner=\"root\" group=\"root\" "
                            "mtime=\"2025-01-01T00:00:00\" /></filesystem>";

static lf_backend *open_local(long ctx)
{
    lf_backend_opts o = {.model = model_path, .threads = 2, .contract = -1, .context_tokens = ctx};
    lf_backend *b = NULL;
    lf_err err = {0};
    int rc = lf_backend_new("local", &o, &b, &err);
    if (rc)
        fail_msg("local: %s", err.msg);
    return b;
}

static void answer(lf_backend *b, lf_buf *out, size_t max_tokens)
{
    lf_request req = {.prompt = prompt, .prompt_len = strlen(prompt), .max_tokens = max_tokens};
    lf_backend_stats st;
    lf_err err = {0};
    lf_buf_init(out, 0);
    assert_int_equal(lf_backend_complete(b, &req, out, &st, &err), 0);
    assert_true(st.prompt_tokens > 0);
    assert_true(st.completion_tokens > 0 && st.completion_tokens <= (long)max_tokens);
}

static void test_basics(void **st)
{
    (void)st;
    lf_backend *b = open_local(0);
    assert_int_equal(b->contract, LF_CONTRACT_NONE);
    assert_int_equal(b->context_tokens, 256); /* the model's qwen3.context_length */
    /* count_tokens is the tokenizer's exact count */
    lf_gguf *g;
    lf_tok *tok;
    assert_int_equal(lf_gguf_open(model_path, &g, NULL), 0);
    assert_int_equal(lf_tok_load(g, &tok, NULL), 0);
    lf_ids ids = {0};
    assert_int_equal(lf_tok_encode(tok, prompt, strlen(prompt), true, &ids), 0);
    assert_int_equal(b->vt->count_tokens(b, prompt, strlen(prompt)), (long)ids.n);
    lf_ids_free(&ids);
    lf_tok_free(tok);
    lf_gguf_close(g);
    /* the same answer twice (the second reuses the cached prompt) */
    lf_buf a1, a2;
    answer(b, &a1, 24);
    answer(b, &a2, 24);
    assert_int_equal(a1.len, a2.len);
    assert_memory_equal(a1.data, a2.data, a1.len);
    lf_buf_free(&a1);
    lf_buf_free(&a2);
    lf_backend_free(b);
    /* a context too small for the prompt: -ENOSPC */
    b = open_local(16);
    lf_request req = {.prompt = prompt, .prompt_len = strlen(prompt), .max_tokens = 4};
    lf_buf out;
    lf_buf_init(&out, 0);
    lf_err err = {0};
    assert_int_equal(lf_backend_complete(b, &req, &out, NULL, &err), -ENOSPC);
    lf_buf_free(&out);
    lf_backend_free(b);
    /* a missing file fails cleanly */
    lf_backend_opts o = {.model = "/nonexistent.gguf", .contract = -1};
    assert_true(lf_backend_new("local", &o, &b, &err) < 0);
}

/* The answer to prompt for attempt k (0: greedy, n: alternative n). */
static int attempt(lf_backend *b, int k, lf_buf *out)
{
    lf_request req = {.prompt = prompt, .prompt_len = strlen(prompt), .max_tokens = 24,
                      .attempt = k};
    lf_buf_init(out, 0);
    lf_err err = {0};
    return lf_backend_complete(b, &req, out, NULL, &err);
}

static size_t common_prefix(const lf_buf *a, const lf_buf *b)
{
    size_t i = 0;
    while (i < a->len && i < b->len && a->data[i] == b->data[i])
        i++;
    return i;
}

/* Alternatives: each differs from the greedy answer, which it follows up
 * to where it branches; each is deterministic; different n branch at
 * different places; a later greedy call is the greedy answer again; an
 * alternative asked first (no greedy answer kept) decodes it itself. */
static void test_alternatives(void **st)
{
    (void)st;
    lf_backend *b = open_local(0);
    assert_true(b->alternatives);
    lf_buf g, a1, a1b, a2, g2;
    assert_int_equal(attempt(b, 0, &g), 0);
    assert_int_equal(attempt(b, 1, &a1), 0);
    assert_int_equal(attempt(b, 2, &a2), 0);
    assert_int_equal(attempt(b, 1, &a1b), 0);
    assert_int_equal(attempt(b, 0, &g2), 0);
    assert_true(a1.len != g.len || memcmp(a1.data, g.data, g.len));
    assert_true(a2.len != g.len || memcmp(a2.data, g.data, g.len));
    assert_true(a1.len != a2.len || memcmp(a1.data, a2.data, a1.len));
    assert_true(common_prefix(&a1, &g) < g.len);
    assert_int_equal(a1.len, a1b.len);
    assert_memory_equal(a1.data, a1b.data, a1.len);
    assert_int_equal(g.len, g2.len);
    assert_memory_equal(g.data, g2.data, g.len);
    lf_backend_free(b);
    /* a fresh backend asked for alternative 1 first: the same answer */
    b = open_local(0);
    lf_buf c1;
    assert_int_equal(attempt(b, 1, &c1), 0);
    assert_int_equal(c1.len, a1.len);
    assert_memory_equal(c1.data, a1.data, a1.len);
    /* past the last choice with a runner-up: -ENOENT */
    lf_buf none;
    assert_int_equal(attempt(b, 1000, &none), -ENOENT);
    lf_buf *all[] = {&g, &a1, &a1b, &a2, &g2, &c1, &none};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        lf_buf_free(all[i]);
    lf_backend_free(b);
}

typedef struct th_arg {
    lf_backend *b;
    lf_buf out;
} th_arg;

static void *worker(void *a)
{
    th_arg *t = a;
    lf_request req = {.prompt = prompt, .prompt_len = strlen(prompt), .max_tokens = 20};
    lf_buf_init(&t->out, 0);
    if (lf_backend_complete(t->b, &req, &t->out, NULL, NULL))
        t->out.len = (size_t)-1;
    return NULL;
}

static void test_concurrent(void **st)
{
    (void)st;
    lf_backend *b = open_local(0);
    lf_buf want;
    answer(b, &want, 20);
    th_arg args[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        args[i].b = b;
        pthread_create(&th[i], NULL, worker, &args[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].out.len, want.len);
        assert_memory_equal(args[i].out.data, want.data, want.len);
        lf_buf_free(&args[i].out);
    }
    lf_buf_free(&want);
    lf_backend_free(b);
}

int main(void)
{
    snprintf(model_path, sizeof model_path, "%s/tests/golden/qwen3/untied.gguf", LF_SOURCE_ROOT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basics),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_alternatives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
