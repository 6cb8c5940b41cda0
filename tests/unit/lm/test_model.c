/* test_model.c: loading Qwen3 GGUF files and the forward pass: shapes and
 * metadata, bit-identical logits between batched and one-token runs, across
 * thread counts, after cache truncation, with every weight type and both
 * KV-cache formats, and for several attention shapes; SIMD vs reference
 * kernels within tolerance; errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "lm/model.h"
#include "lm/pool.h"
#include "lm_fixture.h"

#define NTOK 40
static int32_t toks[NTOK];

static void fill_tokens(int vocab)
{
    uint64_t s = 7;
    for (int i = 0; i < NTOK; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        toks[i] = (int32_t)((s >> 33) % (uint64_t)vocab);
    }
}

/* Logits after each of n tokens, fed as one batch (max_batch B). */
static float *run_batch(const lf_model *m, const lf_ctx_opts *o, int n)
{
    lf_ctx *c;
    lf_err err = {0};
    assert_int_equal(lf_ctx_new(m, o, &c, &err), 0);
    float *lg = malloc((size_t)n * m->cfg.vocab * sizeof(float));
    assert_int_equal(lf_forward(c, toks, n, true, lg, &err), 0);
    assert_int_equal(lf_ctx_pos(c), n);
    lf_ctx_free(c);
    return lg;
}

static void test_load_shapes(void **st)
{
    (void)st;
    lf_random_spec s = fx_spec(LF_GGML_F16, true, 300, 1);
    char *path = fx_write(&s);
    assert_non_null(path);
    lf_model *m;
    lf_err err = {0};
    assert_int_equal(lf_model_load(path, &m, &err), 0);
    assert_int_equal(m->cfg.n_layer, 2);
    assert_int_equal(m->cfg.dim, 64);
    assert_int_equal(m->cfg.n_kv_head, 2);
    assert_int_equal(m->cfg.vocab, 300);
    assert_true(m->tied);
    assert_int_equal(m->contract, LF_CONTRACT_NONE);
    assert_true(m->ours);
    assert_true(fabsf(m->cfg.rope_theta - 10000.0f) < 1e-3f);
    assert_int_equal(m->layers[1].wq.n_out, 64);
    assert_int_equal(m->layers[1].wk.n_out, 32);
    assert_int_equal(m->layers[0].down.n_in, 96);
    lf_model_free(m);
    unlink(path);
    free(path);

    /* untied, seed contract; a model without llmfuse keys is "seed" */
    s = fx_spec(LF_GGML_F32, false, 260, 2);
    s.contract = "seed";
    path = fx_write(&s);
    assert_int_equal(lf_model_load(path, &m, &err), 0);
    assert_false(m->tied);
    assert_int_equal(m->contract, LF_CONTRACT_SEED);
    lf_model_free(m);
    unlink(path);
    free(path);
    s.ours = false;
    path = fx_write(&s);
    assert_int_equal(lf_model_load(path, &m, &err), 0);
    assert_int_equal(m->contract, LF_CONTRACT_SEED);
    assert_false(m->ours);
    lf_model_free(m);
    unlink(path);
    free(path);
}

/* Batched == one token at a time == chunked, bit for bit, for each type
 * and cache format; truncation then recomputation gives the same bits. */
static void test_batch_invariance(void **st)
{
    (void)st;
    static const lf_ggml_type types[] = {LF_GGML_F32, LF_GGML_F16, LF_GGML_BF16, LF_GGML_Q8_0};
    for (size_t ti = 0; ti < 4; ti++)
        for (int f16 = 0; f16 < 2; f16++) {
            lf_random_spec s = fx_spec(types[ti], ti % 2 == 0, 290, 10 + ti);
            char *path = fx_write(&s);
            lf_model *m;
            lf_err err = {0};
            assert_int_equal(lf_model_load(path, &m, &err), 0);
            fill_tokens(m->cfg.vocab);
            int V = m->cfg.vocab;
            lf_ctx_opts o = {.n_ctx = 64, .threads = 2, .kv_f16 = f16, .max_batch = 64};
            float *all = run_batch(m, &o, NTOK);
            for (int i = 0; i < NTOK * V; i++)
                assert_true(isfinite(all[i]));
            o.max_batch = 7; /* chunked */
            float *chunked = run_batch(m, &o, NTOK);
            assert_memory_equal(all, chunked, (size_t)NTOK * V * sizeof(float));
            lf_ctx *c;
            assert_int_equal(lf_ctx_new(m, &o, &c, &err), 0);
            float *one = malloc((size_t)V * sizeof(float));
            for (int i = 0; i < NTOK; i++) {
                assert_int_equal(lf_forward(c, &toks[i], 1, false, one, &err), 0);
                assert_memory_equal(one, all + (size_t)i * V, (size_t)V * sizeof(float));
            }
            /* roll back 13 positions and recompute them in one batch */
            lf_ctx_truncate(c, NTOK - 13);
            assert_int_equal(lf_ctx_pos(c), NTOK - 13);
            float *tail = malloc((size_t)13 * V * sizeof(float));
            assert_int_equal(lf_forward(c, toks + NTOK - 13, 13, true, tail, &err), 0);
            assert_memory_equal(tail, all + (size_t)(NTOK - 13) * V, (size_t)13 * V * sizeof(float));
            /* last-only logits equal the last row */
            lf_ctx_truncate(c, 0);
            assert_int_equal(lf_forward(c, toks, NTOK, false, one, &err), 0);
            assert_memory_equal(one, all + (size_t)(NTOK - 1) * V, (size_t)V * sizeof(float));
            free(tail);
            free(one);
            lf_ctx_free(c);
            free(all);
            free(chunked);
            lf_model_free(m);
            unlink(path);
            free(path);
        }
}

/* 1, 2 and 3 threads give identical logits bits. */
static void test_thread_invariance(void **st)
{
    (void)st;
    lf_random_spec s = fx_spec(LF_GGML_F16, false, 333, 5);
    char *path = fx_write(&s);
    lf_model *m;
    lf_err err = {0};
    assert_int_equal(lf_model_load(path, &m, &err), 0);
    fill_tokens(m->cfg.vocab);
    size_t sz = (size_t)NTOK * m->cfg.vocab * sizeof(float);
    lf_ctx_opts o = {.n_ctx = 64, .threads = 1};
    float *l1 = run_batch(m, &o, NTOK);
    o.threads = 2;
    float *l2 = run_batch(m, &o, NTOK);
    o.threads = 3;
    float *l3 = run_batch(m, &o, NTOK);
    assert_memory_equal(l1, l2, sz);
    assert_memory_equal(l1, l3, sz);
    free(l1);
    free(l2);
    free(l3);
    lf_model_free(m);
    unlink(path);
    free(path);
}

/* The SIMD tables against the reference over a whole forward pass. */
static void test_simd_vs_ref(void **st)
{
    (void)st;
    lf_random_spec s = fx_spec(LF_GGML_F32, false, 280, 6);
    char *path = fx_write(&s);
    lf_model *m;
    lf_err err = {0};
    assert_int_equal(lf_model_load(path, &m, &err), 0);
    fill_tokens(m->cfg.vocab);
    int n = NTOK * m->cfg.vocab;
    lf_ctx_opts o = {.n_ctx = 64, .threads = 2, .kern = lf_kern_ref()};
    float *ref = run_batch(m, &o, NTOK);
    const lf_kern *ks[2] = {lf_kern_avx2(), lf_kern_avx512()};
    for (int k = 0; k < 2; k++) {
        if (!ks[k])
            continue;
        o.kern = ks[k];
        float *got = run_batch(m, &o, NTOK);
        double maxabs = 0;
        for (int i = 0; i < n; i++)
            maxabs = fmax(maxabs, fabs(ref[i]));
        for (int i = 0; i < n; i++)
            if (fabs(got[i] - ref[i]) > 1e-4 * maxabs)
                fail_msg("%s: logit %d: %g vs %g", ks[k]->name, i, got[i], ref[i]);
        free(got);
    }
    free(ref);
    lf_model_free(m);
    unlink(path);
    free(path);
}

/* Other attention shapes (GQA groups of 1, 4, 8 and 32 heads, wider heads,
 * an odd ffn width) over a long sequence (several K blocks, several
 * attention work items per head): batched == chunked == one token at a
 * time, and 1 == 3 threads, bit for bit, with both cache formats, every
 * kernel table, and fp32 or bf16 activations (lf_ctx_opts.act); bf16 activations
 * stay close to fp32 ones. */
static void test_shapes_invariance(void **st)
{
    (void)st;
    static const int shapes[][4] = {/* n_head, n_kv_head, head_dim, n_ff */
                                    {4, 4, 16, 96}, {8, 2, 32, 100}, {8, 1, 64, 96},
                                    {32, 1, 8, 96}};
    enum { N = 150 };
    int32_t tk[N];
    const lf_kern *ks[3] = {lf_kern_ref(), lf_kern_avx2(), lf_kern_avx512()};
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        lf_random_spec s = fx_spec(LF_GGML_BF16, true, 270, 40 + si);
        s.cfg.n_head = shapes[si][0];
        s.cfg.n_kv_head = shapes[si][1];
        s.cfg.head_dim = s.cfg.v_head_dim = shapes[si][2];
        s.cfg.n_ff = shapes[si][3];
        char *path = fx_write(&s);
        assert_non_null(path);
        lf_model *m;
        lf_err err = {0};
        assert_int_equal(lf_model_load(path, &m, &err), 0);
        int V = m->cfg.vocab;
        uint64_t r = 3 + si;
        for (int i = 0; i < N; i++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            tk[i] = (int32_t)((r >> 33) % (uint64_t)V);
        }
        size_t sz = (size_t)N * V * sizeof(float);
        float *all = malloc(sz), *other = malloc(sz), *fp32 = malloc(sz);
        for (int ki = 0; ki < 3; ki++)
            for (int f16 = 0; f16 < 2; f16++)
            for (int act = 0; act < 2; act++) {
                if (!ks[ki])
                    continue;
                lf_ctx_opts o = {.n_ctx = N, .threads = 1, .kv_f16 = f16, .kern = ks[ki],
                                 .act = act ? LF_ACT_BF16 : LF_ACT_FP32};
                lf_ctx *c;
                assert_int_equal(lf_ctx_new(m, &o, &c, &err), 0);
                assert_int_equal(lf_forward(c, tk, N, true, all, &err), 0);
                lf_ctx_free(c);
                for (int i = 0; i < N * V; i++)
                    assert_true(isfinite(all[i]));
                if (!act) {
                    memcpy(fp32, all, sz);
                } else { /* within a few bf16 roundings of the largest logit */
                    float mx = 0;
                    for (int i = 0; i < N * V; i++)
                        mx = fmaxf(mx, fabsf(fp32[i]));
                    for (int i = 0; i < N * V; i++)
                        if (fabsf(all[i] - fp32[i]) > 0.05f * mx)
                            fail_msg("%s bf16 act: logit %d: %g vs %g", ks[ki]->name, i, all[i],
                                     fp32[i]);
                }
                o.threads = 3;
                o.max_batch = 13;
                assert_int_equal(lf_ctx_new(m, &o, &c, &err), 0);
                assert_int_equal(lf_forward(c, tk, N, true, other, &err), 0);
                assert_memory_equal(all, other, sz);
                lf_ctx_truncate(c, 0);
                for (int i = 0; i < N; i++)
                    assert_int_equal(lf_forward(c, &tk[i], 1, true, other + (size_t)i * V, &err), 0);
                assert_memory_equal(all, other, sz);
                lf_ctx_free(c);
            }
        free(all);
        free(other);
        free(fp32);
        lf_model_free(m);
        unlink(path);
        free(path);
    }
}

static void test_errors(void **st)
{
    (void)st;
    lf_random_spec s = fx_spec(LF_GGML_F16, true, 300, 1);
    char *path = fx_write(&s);
    lf_model *m;
    lf_err err = {0};
    assert_int_equal(lf_model_load(path, &m, &err), 0);
    lf_ctx_opts o = {.n_ctx = 8, .threads = 1};
    lf_ctx *c;
    assert_int_equal(lf_ctx_new(m, &o, &c, &err), 0);
    int32_t bad = 300;
    assert_int_equal(lf_forward(c, &bad, 1, false, NULL, &err), -EINVAL);
    int32_t t9[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    assert_int_equal(lf_forward(c, t9, 9, false, NULL, &err), -ENOSPC);
    assert_int_equal(lf_forward(c, t9, 8, false, NULL, &err), 0);
    assert_int_equal(lf_forward(c, t9, 1, false, NULL, &err), -ENOSPC);
    lf_ctx_free(c);
    lf_model_free(m);
    unlink(path);
    free(path);

    /* a file that is not qwen3 / lacks a tensor */
    lf_gguf_writer *w = lf_gguf_writer_new();
    assert_int_equal(lf_gguf_set_str(w, "general.architecture", "llama"), 0);
    char tmpl[] = "/tmp/lf_test_bad_XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    assert_int_equal(lf_gguf_write(w, tmpl, &err), 0);
    lf_gguf_writer_free(w);
    assert_int_equal(lf_model_load(tmpl, &m, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "architecture"));
    w = lf_gguf_writer_new();
    lf_gguf_set_str(w, "general.architecture", "qwen3");
    lf_gguf_set_u32(w, "qwen3.block_count", 1);
    lf_gguf_set_u32(w, "qwen3.embedding_length", 32);
    lf_gguf_set_u32(w, "qwen3.feed_forward_length", 32);
    lf_gguf_set_u32(w, "qwen3.attention.head_count", 2);
    assert_int_equal(lf_gguf_write(w, tmpl, &err), 0);
    lf_gguf_writer_free(w);
    assert_int_equal(lf_model_load(tmpl, &m, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "token_embd"));
    unlink(tmpl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_shapes),
        cmocka_unit_test(test_batch_invariance),
        cmocka_unit_test(test_thread_invariance),
        cmocka_unit_test(test_simd_vs_ref),
        cmocka_unit_test(test_shapes_invariance),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
