/* test_average.c: lf_tmodel_average (checkpoint averaging): the mean of
 * BF16, F16 and F32 tensors in their own types, the first file's metadata,
 * one model given back as it is, and clear refusals (nothing written) for
 * models of different shapes, unsupported types and unreadable files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lm/gguf.h"
#include "lm/quant.h"
#include "train/io.h"

static char dir[] = "/tmp/lf_test_average_XXXXXX";

static const char *path_of(const char *name)
{
    static char buf[8][256];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

/* A model of three tensors: w (BF16, 3 x 2), h (F16, 4), n (F32, 3), each
 * value base + its index; and a name. wide: w is 2 x 3 instead. */
static void write_model(const char *name, const char *title, float base, bool wide,
                        lf_ggml_type wtype)
{
    lf_gguf_writer *w = lf_gguf_writer_new();
    assert_non_null(w);
    assert_int_equal(lf_gguf_set_str(w, "general.name", title), 0);
    float v[6];
    for (int i = 0; i < 6; i++)
        v[i] = base + (float)i;
    uint16_t wb[6], hb[4];
    lf_fp32_to_bf16_row(v, wb, 6);
    lf_fp32_to_fp16_row(v, hb, 4);
    uint8_t q8[34] = {0};
    const uint64_t ne_w[2] = {wide ? 2 : 3, wide ? 3 : 2}, ne_h[1] = {4}, ne_n[1] = {3};
    const uint64_t ne_q[1] = {32};
    if (wtype == LF_GGML_Q8_0)
        assert_int_equal(lf_gguf_add_tensor(w, "w", LF_GGML_Q8_0, 1, ne_q, q8), 0);
    else
        assert_int_equal(lf_gguf_add_tensor(w, "w", LF_GGML_BF16, 2, ne_w, wb), 0);
    assert_int_equal(lf_gguf_add_tensor(w, "h", LF_GGML_F16, 1, ne_h, hb), 0);
    assert_int_equal(lf_gguf_add_tensor(w, "n", LF_GGML_F32, 1, ne_n, v), 0);
    lf_err err = {0};
    assert_int_equal(lf_gguf_write(w, path_of(name), &err), 0);
    lf_gguf_writer_free(w);
}

static const lf_gguf_tensor *tensor(const lf_gguf *g, const char *name)
{
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].name.len == strlen(name) &&
            !memcmp(g->tensors[i].name.s, name, g->tensors[i].name.len))
            return &g->tensors[i];
    fail_msg("no tensor %s", name);
    return NULL;
}

static void test_mean(void **st)
{
    (void)st;
    write_model("a.gguf", "first", 1.0f, false, LF_GGML_BF16);
    write_model("b.gguf", "second", 2.0f, false, LF_GGML_BF16);
    write_model("c.gguf", "third", 6.0f, false, LF_GGML_BF16);
    const char *in[3] = {path_of("a.gguf"), path_of("b.gguf"), path_of("c.gguf")};
    lf_err err = {0};
    assert_int_equal(lf_tmodel_average(in, 3, path_of("m.gguf"), &err), 0);
    lf_gguf *g = NULL;
    assert_int_equal(lf_gguf_open(path_of("m.gguf"), &g, &err), 0);
    char *title = NULL;
    assert_int_equal(lf_gguf_get_str(g, "general.name", &title), 0);
    assert_string_equal(title, "first");   /* the first file's metadata */
    free(title);
    /* mean of base 1, 2, 6 = 3: every value 3 + i, in each tensor's type */
    const lf_gguf_tensor *tw = tensor(g, "w"), *th = tensor(g, "h"), *tn = tensor(g, "n");
    assert_int_equal(tw->type, LF_GGML_BF16);
    assert_int_equal(th->type, LF_GGML_F16);
    assert_int_equal(tn->type, LF_GGML_F32);
    assert_int_equal(tw->ne[0], 3);
    assert_int_equal(tw->ne[1], 2);
    for (int i = 0; i < 6; i++)
        assert_float_equal(lf_bf16_to_fp32(((const uint16_t *)tw->data)[i]), 3.0f + i, 0);
    for (int i = 0; i < 4; i++)
        assert_float_equal(lf_fp16_to_fp32(((const uint16_t *)th->data)[i]), 3.0f + i, 0);
    for (int i = 0; i < 3; i++)
        assert_float_equal(((const float *)tn->data)[i], 3.0f + i, 0);
    lf_gguf_close(g);
    /* one model: its weights as they were */
    assert_int_equal(lf_tmodel_average(in + 1, 1, path_of("one.gguf"), &err), 0);
    assert_int_equal(lf_gguf_open(path_of("one.gguf"), &g, &err), 0);
    tw = tensor(g, "w");
    for (int i = 0; i < 6; i++)
        assert_float_equal(lf_bf16_to_fp32(((const uint16_t *)tw->data)[i]), 2.0f + i, 0);
    lf_gguf_close(g);
}

static void test_refusals(void **st)
{
    (void)st;
    write_model("a.gguf", "first", 1.0f, false, LF_GGML_BF16);
    write_model("wide.gguf", "wide", 1.0f, true, LF_GGML_BF16);
    write_model("q8.gguf", "q8", 1.0f, false, LF_GGML_Q8_0);
    lf_err err = {0};
    const char *shapes[2] = {path_of("a.gguf"), path_of("wide.gguf")};
    assert_int_equal(lf_tmodel_average(shapes, 2, path_of("x.gguf"), &err), -EINVAL);
    assert_non_null(strstr(err.msg, "differs"));
    assert_int_equal(access(path_of("x.gguf"), F_OK), -1);   /* nothing written */
    const char *types[2] = {path_of("a.gguf"), path_of("q8.gguf")};
    err.msg[0] = 0;
    assert_int_equal(lf_tmodel_average(types, 2, path_of("x.gguf"), &err), -EINVAL);
    assert_true(err.msg[0] != 0);
    const char *q8[1] = {path_of("q8.gguf")};
    err.msg[0] = 0;
    assert_int_equal(lf_tmodel_average(q8, 1, path_of("x.gguf"), &err), -EINVAL);
    assert_non_null(strstr(err.msg, "Q8_0"));
    const char *missing[2] = {path_of("a.gguf"), path_of("none.gguf")};
    assert_true(lf_tmodel_average(missing, 2, path_of("x.gguf"), &err) < 0);
    assert_int_equal(lf_tmodel_average(missing, 0, path_of("x.gguf"), &err), -EINVAL);
    assert_int_equal(access(path_of("x.gguf"), F_OK), -1);
}

static int teardown(void **st)
{
    (void)st;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
