/* lm_bench.c: our engine's raw speed on a GGUF file, measured the way
 * llama_peer.c measures llama.cpp: prefill N_P random tokens in one call
 * (logits for the last only), then N_G greedy decode steps of one token,
 * best of R runs each; prints one line "ours prefill X tok/s decode Y tok/s".
 * A sixth argument "bf16" gives bf16 activations (lf_ctx_opts.act), else fp32.
 *   lm_bench MODEL.gguf [threads] [n_prompt] [n_gen] [runs] [bf16] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lm/generate.h"
#include "lm/model.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: lm_bench MODEL.gguf [threads] [n_prompt] [n_gen] [runs] [bf16]\n");
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 0, np = argc > 3 ? atoi(argv[3]) : 512,
        ng = argc > 4 ? atoi(argv[4]) : 128, runs = argc > 5 ? atoi(argv[5]) : 3;
    lf_err err = {0};
    lf_model *m;
    lf_ctx *c;
    if (lf_model_load(argv[1], &m, &err)) {
        fprintf(stderr, "lm_bench: %s\n", err.msg);
        return 1;
    }
    bool bf16 = argc > 6 && !strcmp(argv[6], "bf16");
    lf_ctx_opts o = {.n_ctx = np + ng + 8, .threads = threads, .max_batch = np, .act = bf16 ? LF_ACT_BF16 : LF_ACT_FP32};
    if (lf_ctx_new(m, &o, &c, &err)) {
        fprintf(stderr, "lm_bench: %s\n", err.msg);
        return 1;
    }
    int V = m->cfg.vocab;
    int32_t *tok = malloc((size_t)np * sizeof *tok);
    float *lg = malloc((size_t)V * sizeof *lg);
    uint64_t s = 12345;
    for (int i = 0; i < np; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        tok[i] = (int32_t)((s >> 33) % (uint64_t)(V - 2));
    }
    double best_p = 1e30, best_g = 1e30;
    for (int r = 0; r < runs; r++) {
        lf_ctx_truncate(c, 0);
        double t0 = now();
        if (lf_forward(c, tok, np, false, lg, &err))
            return fprintf(stderr, "lm_bench: %s\n", err.msg), 1;
        double t1 = now();
        for (int i = 0; i < ng; i++) {
            int32_t t = lf_argmax(lg, V);
            if (lf_forward(c, &t, 1, false, lg, &err))
                return fprintf(stderr, "lm_bench: %s\n", err.msg), 1;
        }
        double t2 = now();
        if (t1 - t0 < best_p)
            best_p = t1 - t0;
        if (t2 - t1 < best_g)
            best_g = t2 - t1;
    }
    printf("ours prefill %.1f tok/s decode %.1f tok/s (kernels %s%s)\n", np / best_p, ng / best_g,
           lf_kern_best()->name, bf16 ? ", bf16 activations" : "");
    free(tok);
    free(lg);
    lf_ctx_free(c);
    lf_model_free(m);
    return 0;
}
