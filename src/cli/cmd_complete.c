/* cmd_complete.c: `llmfuse complete --model FILE < PROMPT`: the continuation
 * of a raw prompt (no contract wrapper) with the embedded engine, greedy
 * with copy-speculation unless told otherwise; --stats reports prefill and
 * decode speed and the speculation acceptance to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lm/generate.h"
#include "lm/model.h"
#include "lm/tok.h"

#define PROMPT_CAP ((size_t)64 << 20)
#define MAX_STOPS 8

static void usage(FILE *f)
{
    fprintf(f, "usage: llmfuse complete --model FILE [--max-tokens N] [--stop S]... [--threads N]\n"
               "                        [--no-spec] [--stats] [--ctx N] [--kv-f16] [--ignore-eos]\n"
               "                        [--temp T] [--top-p P] [--seed N] [--no-special]\n"
               "                        [--act auto|bf16|fp32] < PROMPT\n"
               "Prints the continuation of the raw prompt on stdin (greedy unless --temp > 0).\n"
               "--act: the activations BF16 weights multiply: bf16 (faster where the CPU\n"
               "has a bf16 dot product, slightly different numbers), fp32, or auto (bf16\n"
               "where the CPU runs it natively; the default).\n");
}

int lf_cmd_complete(int argc, char **argv)
{
    const char *model = NULL;
    const char *stops[MAX_STOPS];
    size_t n_stops = 0;
    long max_tokens = 256, threads = 0, n_ctx = 0, draft_max = 32;
    bool spec = true, stats = false, kv_f16 = false, ignore_eos = false, special = true;
    int act = LF_ACT_AUTO;
    float temp = 0.0f, top_p = 1.0f;
    unsigned long long seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
#define NEED() do { if (!v) { usage(stderr); return 2; } i++; } while (0)
        if (!strcmp(a, "--model")) { NEED(); model = v; }
        else if (!strcmp(a, "--max-tokens")) { NEED(); max_tokens = atol(v); }
        else if (!strcmp(a, "--stop")) {
            NEED();
            if (n_stops == MAX_STOPS) {
                fprintf(stderr, "llmfuse complete: at most %d --stop\n", MAX_STOPS);
                return 2;
            }
            stops[n_stops++] = v;
        }
        else if (!strcmp(a, "--threads")) { NEED(); threads = atol(v); }
        else if (!strcmp(a, "--ctx")) { NEED(); n_ctx = atol(v); }
        else if (!strcmp(a, "--temp")) { NEED(); temp = strtof(v, NULL); }
        else if (!strcmp(a, "--top-p")) { NEED(); top_p = strtof(v, NULL); }
        else if (!strcmp(a, "--seed")) { NEED(); seed = strtoull(v, NULL, 10); }
        else if (!strcmp(a, "--no-spec")) spec = false;
        else if (!strcmp(a, "--draft-max")) { NEED(); draft_max = atol(v); }
        else if (!strcmp(a, "--stats")) stats = true;
        else if (!strcmp(a, "--kv-f16")) kv_f16 = true;
        else if (!strcmp(a, "--act") && v && (act = lf_act_parse(v)) >= 0) i++;
        else if (!strcmp(a, "--ignore-eos")) ignore_eos = true;
        else if (!strcmp(a, "--no-special")) special = false;
        else {
            fprintf(stderr, "llmfuse complete: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
#undef NEED
    }
    if (draft_max < 1 || draft_max > 256) {
        fprintf(stderr, "llmfuse complete: --draft-max must be 1..256\n");
        return 2;
    }
    if (!model || max_tokens < 0) {
        usage(stderr);
        return 2;
    }

    int status = 1;
    lf_err err = {0};
    lf_model *m = NULL;
    lf_tok *tok = NULL;
    lf_ctx *c = NULL;
    lf_ids ids = {0};
    lf_buf in, out;
    lf_buf_init(&in, PROMPT_CAP);
    lf_buf_init(&out, PROMPT_CAP);
    char chunk[65536];
    ssize_t r;
    while ((r = read(0, chunk, sizeof chunk)) > 0)
        if (lf_buf_append(&in, chunk, (size_t)r)) {
            fprintf(stderr, "llmfuse complete: prompt larger than %zu bytes\n", PROMPT_CAP);
            goto out;
        }
    if (lf_model_load(model, &m, &err) || lf_tok_load(m->g, &tok, &err)) {
        fprintf(stderr, "llmfuse complete: %s\n", err.msg);
        goto out;
    }
    if (lf_model_encode(m, tok, in.data ? in.data : "", in.len, special, &ids) < 0 || ids.n == 0) {
        fprintf(stderr, "llmfuse complete: the prompt is empty or does not tokenize\n");
        goto out;
    }
    if (n_ctx <= 0) {
        n_ctx = m->cfg.n_ctx;
        if (max_tokens > 0 && (long)ids.n + max_tokens + 1 > n_ctx)
            n_ctx = (long)ids.n + max_tokens + 1; /* RoPE runs past the training context */
    }
    lf_ctx_opts co = {.n_ctx = (int)n_ctx, .threads = (int)threads, .kv_f16 = kv_f16,
                      .act = (lf_act)act};
    if (lf_ctx_new(m, &co, &c, &err)) {
        fprintf(stderr, "llmfuse complete: %s\n", err.msg);
        goto out;
    }
    lf_gen_opts o = {
        .max_tokens = (size_t)max_tokens,
        .stops = stops, .n_stops = n_stops,
        .eos = ignore_eos ? -1 : lf_tok_eos(tok),
        .temperature = temp, .top_p = top_p, .seed = seed,
        .spec = spec, .spec_max = (int)draft_max,
    };
    lf_gen_stats st;
    if (lf_generate(c, tok, ids.v, ids.n, &o, NULL, &out, &st, &err)) {
        fprintf(stderr, "llmfuse complete: %s\n", err.msg);
        goto out;
    }
    if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len) {
        perror("llmfuse complete: stdout");
        goto out;
    }
    fflush(stdout);
    if (stats) {
        static const char *why[] = {"max-tokens", "eos", "stop string", "context full"};
        long dec = st.gen_tokens > 0 ? st.gen_tokens - 1 : 0; /* the first comes from prefill */
        fprintf(stderr,
                "prefill: %ld tokens in %.3f s (%.1f tok/s)\n"
                "decode: %ld tokens in %.3f s (%.1f tok/s), %ld forward calls, stop: %s\n"
                "speculation: %s, %ld drafted, %ld accepted (%.1f%%), %.2f tokens per forward\n"
                "kernels: %s%s, threads: %ld, model: %d layers, dim %d, vocab %d, %.1fM params\n",
                st.prompt_tokens, st.prefill_s,
                st.prefill_s > 0 ? (double)st.prompt_tokens / st.prefill_s : 0.0, dec, st.decode_s,
                st.decode_s > 0 ? (double)dec / st.decode_s : 0.0, st.forwards, why[st.stop],
                spec && temp <= 0 ? "on" : "off", st.drafted, st.accepted,
                st.drafted ? 100.0 * (double)st.accepted / (double)st.drafted : 0.0,
                st.forwards ? (double)dec / (double)st.forwards : 0.0, lf_kern_best()->name,
                lf_ctx_bf16_act(c) ? " (bf16 activations)" : "", threads, m->cfg.n_layer, m->cfg.dim, m->cfg.vocab,
                (double)lf_model_params(m) / 1e6);
    }
    status = 0;
out:
    lf_ids_free(&ids);
    lf_buf_free(&in);
    lf_buf_free(&out);
    lf_ctx_free(c);
    lf_tok_free(tok);
    lf_model_free(m);
    return status;
}
