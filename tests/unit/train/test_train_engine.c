/* test_train_engine.c: the engine (src/lm) loads the trainer's GGUF export
 * and computes the same logits as the CPU reference forward (ref.c), for an
 * untied GQA model and a tied one. Registered only when the engine is part
 * of the build (tests/unit/train/meson.build).
 * Tolerance: max |engine - ref| <= 1e-4 * (1 + max |ref|) with f32 weights
 * (the engine computes in f32, the reference in double). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "lm/model.h"
#include "train/io.h"
#include "train/ref.h"
#include "train/train.h"

static uint64_t rs = 777;
static double urand(void)
{
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    return (rs >> 11) * (1.0 / 9007199254740992.0);
}

static void agree(const lf_tcfg *c)
{
    lf_toffs o;
    lf_tcfg_offsets(c, &o);
    float *p = malloc(o.n * 4);
    lf_tmodel_init(c, 3, p);
    lf_tensor_desc d[64];
    size_t nt = lf_tcfg_tensors(c, d, 64);
    for (size_t t = 0; t < nt; t++)   /* bigger weights: logits far from uniform */
        for (size_t i = 0; i < d[t].rows * d[t].cols; i++)
            p[d[t].off + i] = d[t].rows == 1 ? (float)(0.5 + urand()) : p[d[t].off + i] * 10;
    char path[128];
    snprintf(path, sizeof path, "/tmp/lf_train_engine_%d.gguf", (int)getpid());
    lf_err err = {0};
    assert_int_equal(lf_texport_gguf(path, c, p, LF_TEXPORT_F32, false, NULL, &err), 0);
    enum { T = 21 };
    int32_t tok[T], tgt[T];
    for (int i = 0; i < T; i++) {
        tok[i] = (int32_t)(urand() * c->vocab);
        tgt[i] = -1;
    }
    lf_tref *r;
    assert_int_equal(lf_tref_new(c, T, T, &r, &err), 0);
    lf_tref_forward(r, p, tok, tgt, 1, T, NULL, NULL);
    const double *ref = lf_tref_logits(r);

    lf_model *m;
    int rc = lf_model_load(path, &m, &err);
    if (rc)
        printf("engine: %s\n", err.msg);
    assert_int_equal(rc, 0);
    lf_ctx_opts co = {.n_ctx = 64, .threads = 1};
    lf_ctx *ctx;
    assert_int_equal(lf_ctx_new(m, &co, &ctx, &err), 0);
    float *lg = malloc((size_t)T * c->vocab * 4);
    assert_int_equal(lf_forward(ctx, tok, T, true, lg, &err), 0);
    double maxref = 0, maxdiff = 0;
    for (size_t i = 0; i < (size_t)T * c->vocab; i++) {
        if (fabs(ref[i]) > maxref)
            maxref = fabs(ref[i]);
        if (fabs(ref[i] - lg[i]) > maxdiff)
            maxdiff = fabs(ref[i] - lg[i]);
    }
    printf("engine vs reference (tied=%d): max |logit| %.3f, max diff %.3g\n", c->tied, maxref,
           maxdiff);
    assert_true(maxref > 0.1);
    assert_true(maxdiff <= 1e-4 * (1 + maxref));
    free(lg);
    lf_ctx_free(ctx);
    lf_model_free(m);
    lf_tref_free(r);
    unlink(path);
    free(p);
}

static void test_engine_logits(void **state)
{
    (void)state;
    lf_tcfg a = {.n_layer = 2, .dim = 32, .n_head = 4, .n_kv = 2, .head_dim = 16, .ffn = 48,
                 .ctx = 64, .vocab = 61, .rope_base = 10000.0f, .eps = 1e-6f, .tied = 0};
    agree(&a);
    a.tied = 1;
    a.n_kv = 1;
    a.rope_base = 1e6f;
    agree(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_engine_logits)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
