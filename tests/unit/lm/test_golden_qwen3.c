/* test_golden_qwen3.c: our logits against HF transformers' Qwen3ForCausalLM
 * on the same random weights (tests/golden/qwen3/, made by
 * dev/fixtures/qwen3_logits.py): tied and untied output, F16 matrices, for
 * a fixed 16-token sequence, with each kernel table and both KV formats
 * (the f16 cache rounds K/V: bound 2e-3).
 * Tolerance: |ours - hf| <= 1e-4 * max|hf| over the row (fp32 cache). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lf_config.h"
#include "lm/model.h"

#define T 16

static void check(const char *variant)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/qwen3/tokens.txt", LF_SOURCE_ROOT);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int32_t tok[T];
    for (int i = 0; i < T; i++)
        assert_int_equal(fscanf(f, "%d", &tok[i]), 1);
    fclose(f);

    snprintf(path, sizeof path, "%s/tests/golden/qwen3/%s.gguf", LF_SOURCE_ROOT, variant);
    lf_model *m;
    lf_err err = {0};
    assert_int_equal(lf_model_load(path, &m, &err), 0);
    int V = m->cfg.vocab;
    assert_int_equal(V, 1024);
    float *want = malloc((size_t)T * V * sizeof(float)), *got = malloc((size_t)T * V * sizeof(float));
    snprintf(path, sizeof path, "%s/tests/golden/qwen3/%s.logits", LF_SOURCE_ROOT, variant);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(want, sizeof(float), (size_t)T * V, f), (size_t)T * V);
    fclose(f);

    const lf_kern *ks[3] = {lf_kern_ref(), lf_kern_avx2(), lf_kern_avx512()};
    for (int k = 0; k < 3; k++)
        for (int f16 = 0; f16 < 2; f16++) {
            if (!ks[k])
                continue;
            lf_ctx_opts o = {.n_ctx = 32, .threads = 2, .kern = ks[k], .kv_f16 = f16};
            lf_ctx *c;
            assert_int_equal(lf_ctx_new(m, &o, &c, &err), 0);
            assert_int_equal(lf_forward(c, tok, T, true, got, &err), 0);
            double worst = 0;
            for (int t = 0; t < T; t++) {
                double mx = 0;
                for (int i = 0; i < V; i++)
                    mx = fmax(mx, fabs(want[t * V + i]));
                for (int i = 0; i < V; i++)
                    worst = fmax(worst, fabs(got[t * V + i] - want[t * V + i]) / mx);
            }
            printf("%s %s kv %s: max error %.2e of the row's largest logit\n", variant, ks[k]->name,
                   f16 ? "f16" : "f32", worst);
            assert_true(worst <= (f16 ? 2e-3 : 1e-4));
            lf_ctx_free(c);
        }
    free(want);
    free(got);
    lf_model_free(m);
}

static void test_tied(void **st)
{
    (void)st;
    check("tied");
}

static void test_untied(void **st)
{
    (void)st;
    check("untied");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tied),
        cmocka_unit_test(test_untied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
