/* test_local.c: the embedded engine as a backend (src/backend/local.c):
 * the model's contract and context, exact token counts, deterministic
 * answers (also from concurrent callers), the context limit. */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
