/* llama_peer.c: llama.cpp's speed on a GGUF file, measured like
 * lm_bench.c measures ours (same random token ids, same counts): prefill
 * N_P tokens in one llama_decode (logits for the last only), then N_G
 * greedy steps of one token; best of R runs. Built at run time by
 * lm_bench.sh against node-llama-cpp's prebuilt llama.cpp (never committed):
 *   llama_peer LIBDIR MODEL.gguf [threads] [n_prompt] [n_gen] [runs] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ggml-backend.h"
#include "llama.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void quiet(enum ggml_log_level level, const char *text, void *ud)
{
    (void)ud;
    if (level >= GGML_LOG_LEVEL_ERROR)
        fputs(text, stderr);
}

static int argmax(const float *l, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (l[i] > l[b])
            b = i;
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: llama_peer LIBDIR MODEL.gguf [threads] [n_prompt] [n_gen] [runs]\n");
        return 2;
    }
    int threads = argc > 3 ? atoi(argv[3]) : 2, np = argc > 4 ? atoi(argv[4]) : 512,
        ng = argc > 5 ? atoi(argv[5]) : 128, runs = argc > 6 ? atoi(argv[6]) : 3;
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(argv[1]);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model *model = llama_model_load_from_file(argv[2], mp);
    if (!model) {
        fprintf(stderr, "llama_peer: cannot load %s\n", argv[2]);
        return 1;
    }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)(np + ng + 8);
    cp.n_batch = (uint32_t)np;
    cp.n_ubatch = (uint32_t)np;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "llama_peer: cannot create a context\n");
        return 1;
    }
    int V = llama_vocab_n_tokens(llama_model_get_vocab(model));
    llama_token *tok = malloc((size_t)np * sizeof *tok);
    unsigned long long s = 12345;
    for (int i = 0; i < np; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        tok[i] = (llama_token)((s >> 33) % (unsigned long long)(V - 2));
    }
    double best_p = 1e30, best_g = 1e30;
    for (int r = 0; r < runs; r++) {
        llama_memory_clear(llama_get_memory(ctx), true);
        double t0 = now();
        if (llama_decode(ctx, llama_batch_get_one(tok, np))) {
            fprintf(stderr, "llama_peer: prefill failed\n");
            return 1;
        }
        const float *lg = llama_get_logits_ith(ctx, -1);
        double t1 = now();
        for (int i = 0; i < ng; i++) {
            llama_token t = argmax(lg, V);
            if (llama_decode(ctx, llama_batch_get_one(&t, 1))) {
                fprintf(stderr, "llama_peer: decode failed\n");
                return 1;
            }
            lg = llama_get_logits_ith(ctx, -1);
        }
        double t2 = now();
        if (t1 - t0 < best_p)
            best_p = t1 - t0;
        if (t2 - t1 < best_g)
            best_g = t2 - t1;
    }
    printf("llama.cpp prefill %.1f tok/s decode %.1f tok/s\n", np / best_p, ng / best_g);
    free(tok);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
