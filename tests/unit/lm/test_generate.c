/* test_generate.c: sampling, stop conditions and copy-speculation.
 * The central property: greedy decoding with copy-speculation emits exactly
 * the tokens plain greedy decoding emits, checked on the <W> rows of
 * ../shared/data/seed-eval/fuse_100.jsonl with a random-weight model (the
 * HF golden model, which carries a real BPE vocabulary, F16), and with the
 * bundled BF16 model in both activation modes (fp32 and bf16). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lf_config.h"
#include "lm/generate.h"
#include "lm/model.h"
#include "lm/tok.h"
#include "util/json.h"
#include "../under_valgrind.h"

static void test_draft(void **st)
{
    (void)st;
    static const struct {
        int32_t h[16];
        int n, min_match, max;
        int want_n;
        int32_t want[8];
    } cases[] = {
        /* suffix "1 2" occurred at 0..1, followed by 3 4 5 */
        {{1, 2, 3, 4, 5, 9, 1, 2}, 8, 2, 8, 8, {3, 4, 5, 9, 1, 2, 3, 4}},
        {{1, 2, 3, 4, 5, 9, 1, 2}, 8, 2, 2, 2, {3, 4}},
        /* too short a match */
        {{1, 2, 3, 4, 5, 9, 7, 2}, 8, 2, 8, 0, {0}},
        {{1, 2, 3, 4, 5, 9, 7, 2}, 8, 1, 8, 8, {3, 4, 5, 9, 7, 2, 3, 4}},
        /* a run of one token: the period-1 copy goes on */
        {{6, 7, 7, 7}, 4, 2, 5, 5, {7, 7, 7, 7, 7}},
        /* the longer match wins over the more recent one */
        {{7, 1, 2, 8, 0, 1, 2, 6, 7, 1, 2}, 11, 2, 3, 3, {8, 0, 1}},
        /* equal matches: the most recent */
        {{5, 1, 2, 8, 4, 1, 2, 6, 3, 1, 2}, 11, 2, 2, 2, {6, 3}},
        {{4}, 1, 1, 8, 0, {0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t d[16];
        int n = lf_spec_draft(cases[i].h, cases[i].n, cases[i].min_match, cases[i].max, d);
        assert_int_equal(n, cases[i].want_n);
        for (int j = 0; j < n; j++)
            assert_int_equal(d[j], cases[i].want[j]);
    }
}

static void test_sampler(void **st)
{
    (void)st;
    float lg[6] = {0.1f, 2.0f, 1.9f, -3.0f, 2.0f, 0.5f};
    float tmp[6];
    lf_sampler g = {0};
    memcpy(tmp, lg, sizeof lg);
    assert_int_equal(lf_sample(&g, tmp, 6), 1); /* first of the tied maxima */
    /* top_p tiny: always the most likely */
    lf_sampler s = {.temperature = 1.0f, .top_p = 0.01f, .rng = 3};
    for (int i = 0; i < 20; i++) {
        memcpy(tmp, lg, sizeof lg);
        int32_t t = lf_sample(&s, tmp, 6);
        assert_true(t == 1 || t == 4);
    }
    /* same seed, same draws; all draws within the vocabulary; token 3 rare */
    lf_sampler a = {.temperature = 0.8f, .top_p = 0.95f, .rng = 99}, b = a;
    int counts[6] = {0};
    for (int i = 0; i < 2000; i++) {
        memcpy(tmp, lg, sizeof lg);
        int32_t x = lf_sample(&a, tmp, 6);
        memcpy(tmp, lg, sizeof lg);
        assert_int_equal(x, lf_sample(&b, tmp, 6));
        assert_true(x >= 0 && x < 6);
        counts[x]++;
    }
    assert_int_equal(counts[3], 0); /* outside the top 0.95 */
    assert_true(counts[1] > 300 && counts[4] > 300 && counts[2] > 300);
}

typedef struct fixture {
    lf_model *m;
    lf_tok *tok;
    lf_ctx *c;
} fixture;

static int setup(void **st)
{
    fixture *fx = calloc(1, sizeof *fx);
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/qwen3/untied.gguf", LF_SOURCE_ROOT);
    lf_err err = {0};
    if (lf_model_load(path, &fx->m, &err) || lf_tok_load(fx->m->g, &fx->tok, &err)) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    lf_ctx_opts o = {.n_ctx = 1536, .threads = 1}; /* threads: test_model */
    if (lf_ctx_new(fx->m, &o, &fx->c, &err))
        return -1;
    *st = fx;
    return 0;
}

static int teardown(void **st)
{
    fixture *fx = *st;
    lf_ctx_free(fx->c);
    lf_tok_free(fx->tok);
    lf_model_free(fx->m);
    free(fx);
    return 0;
}

/* Reads the <W> prompts of the seed eval set (at most max). */
static int read_prompts(char **out, int max)
{
    char path[1024];
    const char *env = getenv("SEED_EVAL");
    if (env)
        snprintf(path, sizeof path, "%s", env);
    else
        snprintf(path, sizeof path, "%s/../shared/data/seed-eval/fuse_100.jsonl", LF_SOURCE_ROOT);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int n = 0;
    while (n < max && (len = getline(&line, &cap, f)) > 0) {
        lf_json *j;
        if (lf_json_parse(line, (size_t)len, &j, NULL))
            continue;
        size_t pl;
        const char *p = lf_json_get_str(j, "prompt", &pl);
        if (p && pl > 4 && !memcmp(p, "<W>\n", 4))
            out[n++] = strndup(p, pl);
        lf_json_free(j);
    }
    free(line);
    fclose(f);
    return n;
}

/* Plain greedy and copy-speculative decoding of each prompt on c give the
 * same tokens and text; returns the drafted and accepted totals. With out,
 * the greedy tokens of prompt i go to out[i] (the caller frees them). */
static void spec_rows(lf_ctx *c, lf_tok *tok, char **prompts, int np, long *drafted_out,
                      long *accepted_out, lf_ids *out)
{
    static const char *stops[] = {"<END_FS>"};
    long drafted = 0, accepted = 0;
    for (int i = 0; i < np; i++) {
        lf_ids ids = {0};
        lf_err err = {0};
        assert_int_equal(lf_tok_encode(tok, prompts[i], strlen(prompts[i]), false, &ids), 0);
        size_t n = ids.n < 700 ? ids.n : 700; /* keep valgrind runs short */
        lf_gen_opts o = {.max_tokens = 80, .stops = stops, .n_stops = 1,
                         .eos = lf_tok_eos(tok)};
        lf_ids a = {0}, b = {0};
        lf_buf ta, tb;
        lf_buf_init(&ta, 0);
        lf_buf_init(&tb, 0);
        lf_gen_stats sa, sb;
        lf_gen_trace ra = {0}, rb = {0};
        o.trace = &ra;
        assert_int_equal(lf_generate(c, tok, ids.v, n, &o, &a, &ta, &sa, &err), 0);
        o.spec = true;
        o.spec_max = 16 + 8 * (i % 4);
        o.trace = &rb;
        assert_int_equal(lf_generate(c, tok, ids.v, n, &o, &b, &tb, &sb, &err), 0);
        /* the trace: one choice per emitted token, the same on both paths
         * (the runner-up and the margin from logits computed in another
         * batch shape: equal up to rounding) */
        assert_int_equal(ra.n, a.n);
        assert_int_equal(rb.n, b.n);
        for (size_t j = 0; j < ra.n && j < rb.n; j++) {
            assert_int_equal(ra.v[j].tok, a.v[j]);
            assert_int_equal(rb.v[j].tok, b.v[j]);
            assert_true(ra.v[j].alt != ra.v[j].tok && ra.v[j].alt >= 0);
            assert_true(ra.v[j].margin >= 0.0f);
            assert_true(fabsf(ra.v[j].margin - rb.v[j].margin) < 1e-2f + 1e-2f * ra.v[j].margin);
            if (ra.v[j].margin > 1e-2f)
                assert_int_equal(ra.v[j].alt, rb.v[j].alt);
        }
        lf_gen_trace_free(&ra);
        lf_gen_trace_free(&rb);
        assert_int_equal(sb.reused_tokens, (long)n - 1); /* prompt cache reused */
        assert_int_equal(a.n, b.n);
        assert_memory_equal(a.v, b.v, a.n * sizeof *a.v);
        assert_int_equal(ta.len, tb.len);
        assert_memory_equal(ta.data, tb.data, ta.len);
        assert_int_equal(sa.stop, sb.stop);
        assert_true(sb.forwards <= sa.forwards + 1);
        drafted += sb.drafted;
        accepted += sb.accepted;
        lf_ids_free(&ids);
        if (out)
            out[i] = a;
        else
            lf_ids_free(&a);
        lf_ids_free(&b);
        lf_buf_free(&ta);
        lf_buf_free(&tb);
    }
    *drafted_out = drafted;
    *accepted_out = accepted;
}

static void test_spec_equals_greedy(void **st)
{
    fixture *fx = *st;
    char *prompts[100];
    int np = read_prompts(prompts, 12);
    if (np < 0)
        skip();
    assert_true(np >= 10);
    long drafted, accepted;
    spec_rows(fx->c, fx->tok, prompts, np, &drafted, &accepted, NULL);
    printf("spec: %d rows, %ld drafted, %ld accepted\n", np, drafted, accepted);
    assert_true(accepted > 0); /* the accept path was exercised */
    for (int i = 0; i < np; i++)
        free(prompts[i]);
}

/* The bundled BF16 model, fp32 and bf16 activations (1 and 2 threads):
 * speculation equals greedy in both modes. */
static void test_spec_equals_greedy_bf16(void **st)
{
    (void)st;
    if (UNDER_VALGRIND()) {
        /* minutes of the bundled model there, and nothing for the leak
         * check that test_model's bf16 contexts do not already cover */
        fprintf(stderr, "note: under valgrind; skipped\n");
        skip();
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/models/llmfuse.gguf", LF_SOURCE_ROOT);
    lf_model *m;
    lf_tok *tok;
    lf_err err = {0};
    if (lf_model_load(path, &m, &err)) {
        fprintf(stderr, "note: no bundled model (%s); skipped\n", err.msg);
        skip();
    }
    assert_int_equal(lf_tok_load(m->g, &tok, &err), 0);
    assert_int_equal(m->layers[0].gate.type, LF_GGML_BF16);
    char *prompts[100];
    int np = read_prompts(prompts, 8);
    if (np < 0)
        skip();
    assert_true(np >= 6);
    lf_ids greedy[2][100];
    for (int act = 0; act < 2; act++) {
        lf_ctx_opts o = {.n_ctx = 1024, .threads = 1 + act, .act = act ? LF_ACT_BF16 : LF_ACT_FP32};
        lf_ctx *c;
        assert_int_equal(lf_ctx_new(m, &o, &c, &err), 0);
        long drafted, accepted;
        spec_rows(c, tok, prompts, np, &drafted, &accepted, greedy[act]);
        printf("spec, bundled model, bf16 activations %s: %d rows, %ld drafted, %ld accepted\n",
               act ? "on" : "off", np, drafted, accepted);
        assert_true(accepted > 0);
        lf_ctx_free(c);
    }
    int differ = 0;
    for (int i = 0; i < np; i++) {
        differ += greedy[0][i].n != greedy[1][i].n ||
                  memcmp(greedy[0][i].v, greedy[1][i].v, greedy[0][i].n * sizeof *greedy[0][i].v);
        lf_ids_free(&greedy[0][i]);
        lf_ids_free(&greedy[1][i]);
        free(prompts[i]);
    }
    printf("greedy answers that differ between the modes: %d / %d\n", differ, np);
    lf_tok_free(tok);
    lf_model_free(m);
}

/* A constraint (lf_gen_constraint) that forbids ids divisible by 3 after
 * the first two tokens: masks are applied and feeds seen in emission order
 * by plain and speculative decoding alike, so both give the same tokens,
 * and every emitted token obeys it. */
typedef struct toy_rule {
    long fed;
    int vocab;
} toy_rule;

static void toy_mask(void *ctx, float *logits, int n)
{
    toy_rule *r = ctx;
    r->vocab = n;
    if (r->fed >= 2)
        for (int i = 0; i < n; i += 3)
            logits[i] = -INFINITY;
}

static void toy_feed(void *ctx, int32_t tok)
{
    ((toy_rule *)ctx)->fed++;
    (void)tok;
}

static void test_constraint(void **st)
{
    fixture *fx = *st;
    char *prompts[100];
    int np = read_prompts(prompts, 6);
    if (np < 0)
        skip();
    long forbidden_free = 0;
    for (int i = 0; i < np; i++) {
        lf_ids ids = {0};
        assert_int_equal(lf_tok_encode(fx->tok, prompts[i], strlen(prompts[i]), false, &ids), 0);
        size_t n = ids.n < 600 ? ids.n : 600;
        lf_ids out[3] = {{0}};
        for (int run = 0; run < 3; run++) {   /* free, constrained plain, constrained spec */
            toy_rule r = {0};
            lf_gen_constraint k = {&r, toy_mask, toy_feed};
            lf_gen_opts o = {.max_tokens = 60, .eos = -1, .spec = run == 2, .spec_max = 16,
                             .constraint = run ? &k : NULL};
            assert_int_equal(lf_generate(fx->c, fx->tok, ids.v, n, &o, &out[run], NULL, NULL,
                                         NULL), 0);
            if (run)
                assert_int_equal(r.fed, (long)out[run].n);
        }
        for (size_t t = 2; t < out[0].n; t++)
            forbidden_free += out[0].v[t] % 3 == 0;
        for (size_t t = 2; t < out[1].n; t++)
            assert_true(out[1].v[t] % 3 != 0);
        assert_int_equal(out[1].n, out[2].n);
        assert_memory_equal(out[1].v, out[2].v, out[1].n * sizeof *out[1].v);
        for (int run = 0; run < 3; run++)
            lf_ids_free(&out[run]);
        lf_ids_free(&ids);
        free(prompts[i]);
    }
    /* the rule bites: free decoding emits such tokens */
    assert_true(forbidden_free > 0);
}

/* Stop strings cut the text right after the stop; max_tokens caps. */
static void test_stops(void **st)
{
    fixture *fx = *st;
    lf_ids ids = {0};
    const char *p = "<W>\nmkdir('/a')\n---\n<filesystem></filesystem>";
    assert_int_equal(lf_tok_encode(fx->tok, p, strlen(p), false, &ids), 0);
    lf_gen_opts o = {.max_tokens = 40, .eos = -1};
    lf_buf t;
    lf_buf_init(&t, 0);
    lf_gen_stats s;
    lf_ids out = {0};
    assert_int_equal(lf_generate(fx->c, fx->tok, ids.v, ids.n, &o, &out, &t, &s, NULL), 0);
    assert_int_equal(out.n, 40);
    assert_int_equal(s.stop, LF_STOP_MAX);
    assert_true(t.len >= 4);
    /* use a piece of that output as a stop string: generation ends there */
    char stop[3] = {t.data[2], t.data[3], 0};
    size_t at = (size_t)(strstr(t.data, stop) - t.data) + 2;
    const char *stops[] = {stop};
    o.stops = stops;
    o.n_stops = 1;
    for (int spec = 0; spec < 2; spec++) {
        lf_buf u;
        lf_buf_init(&u, 0);
        o.spec = spec;
        assert_int_equal(lf_generate(fx->c, fx->tok, ids.v, ids.n, &o, NULL, &u, &s, NULL), 0);
        assert_int_equal(s.stop, LF_STOP_STRING);
        assert_int_equal(u.len, at);
        assert_memory_equal(u.data, t.data, at);
        lf_buf_free(&u);
    }
    /* eos: the first greedy token as eos stops at once, emitting nothing */
    o.n_stops = 0;
    o.eos = out.v[0];
    lf_ids none = {0};
    assert_int_equal(lf_generate(fx->c, fx->tok, ids.v, ids.n, &o, &none, NULL, &s, NULL), 0);
    assert_int_equal(none.n, 0);
    assert_int_equal(s.stop, LF_STOP_EOS);
    lf_ids_free(&ids);
    lf_ids_free(&out);
    lf_buf_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draft),
        cmocka_unit_test(test_sampler),
        cmocka_unit_test(test_spec_equals_greedy),
        cmocka_unit_test(test_spec_equals_greedy_bf16),
        cmocka_unit_test(test_constraint),
        cmocka_unit_test(test_stops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
