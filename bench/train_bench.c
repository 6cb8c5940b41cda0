/* train_bench.c: training throughput of the CUDA trainer on one fixed
 * batch shape (random tokens; the first quarter of each row is a masked
 * prompt, like the datasets), reported as tokens/s and MFU beside the
 * PyTorch peer (bench/train_peer.py, same model, batch and optimiser).
 *
 *   train_bench [--config layers=4,dim=256,...,vocab=4096] [--B 32] [--T 512]
 *               [--steps 30] [--warmup 5] [--peak-tflops 989] [--gpus N]
 *
 * --gpus N (N > 1) also times data parallelism in the same process: one
 * GPU, then N GPUs with the same B x T batch on each (N batches a step),
 * and prints the scaling (tokens/s on N over tokens/s on one) and the
 * per-GPU efficiency (scaling / N).
 *
 * MFU = model FLOPs per token (lf_tmodel_flops_per_token: 6 x matmul
 * parameters + causal attention) x tokens/s / peak; the peak defaults to the
 * H100 SXM's dense bf16 989 TFLOP/s. Each step is timed to completion (the
 * loss comes back to the host every step, as in `llmfuse train`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train/train.h"
#include "train/train_cuda.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    lf_tcfg c = {.n_layer = 4, .dim = 256, .n_head = 4, .n_kv = 2, .head_dim = 64, .ffn = 768,
                 .ctx = 2048, .vocab = 4096, .rope_base = 10000.0f, .eps = 1e-6f, .tied = 1};
    int B = 32, T = 512, steps = 30, warm = 5, gpus = 1;
    double peak = 989.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--B")) B = atoi(v);
        else if (!strcmp(a, "--T")) T = atoi(v);
        else if (!strcmp(a, "--steps")) steps = atoi(v);
        else if (!strcmp(a, "--warmup")) warm = atoi(v);
        else if (!strcmp(a, "--peak-tflops")) peak = atof(v);
        else if (!strcmp(a, "--gpus")) gpus = atoi(v);
        else if (!strcmp(a, "--config")) {
            char buf[512];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *sv = NULL, *kv = strtok_r(buf, ",", &sv); kv; kv = strtok_r(NULL, ",", &sv)) {
                char *eq = strchr(kv, '=');
                if (!eq)
                    return 2;
                *eq = 0;
                int x = atoi(eq + 1);
                if (!strcmp(kv, "layers")) c.n_layer = x;
                else if (!strcmp(kv, "dim")) c.dim = x;
                else if (!strcmp(kv, "heads")) c.n_head = x;
                else if (!strcmp(kv, "kv_heads")) c.n_kv = x;
                else if (!strcmp(kv, "head_dim")) c.head_dim = x;
                else if (!strcmp(kv, "ffn")) c.ffn = x;
                else if (!strcmp(kv, "ctx")) c.ctx = x;
                else if (!strcmp(kv, "vocab")) c.vocab = x;
                else if (!strcmp(kv, "tied")) c.tied = x;
                else return 2;
            }
        } else {
            fprintf(stderr, "usage: train_bench [--config k=v,...] [--B N] [--T N] [--steps N] "
                            "[--gpus N]\n");
            return 2;
        }
    }
    if (lf_tcuda_devices() < 1) {
        printf("no CUDA device: skipped\n");
        return 77;
    }
    if (gpus < 1 || gpus > 64 || gpus > lf_tcuda_devices()) {
        fprintf(stderr, "--gpus %d: %d GPU(s) here\n", gpus, lf_tcuda_devices());
        return 2;
    }
    lf_err err = {0};
    if (lf_tcfg_check(&c, &err) || T > c.ctx) {
        fprintf(stderr, "bad config: %s\n", err.msg);
        return 2;
    }
    lf_toffs o;
    lf_tcfg_offsets(&c, &o);
    float *p = malloc(o.n * 4);
    lf_tmodel_init(&c, 1, p);
    size_t N = (size_t)B * T;
    int32_t *tok = malloc(N * 4), *tgt = malloc(N * 4);
    uint64_t s = 42;
    for (size_t i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        tok[i] = (int32_t)((s >> 33) % c.vocab);
    }
    for (size_t i = 0; i < N; i++)
        tgt[i] = (i % T) < (size_t)T / 4 || i % T == (size_t)T - 1 ? -1 : tok[i + 1];
    lf_topt opt;
    lf_topt_default(&opt);
    opt.total_steps = warm + steps;
    double fpt = lf_tmodel_flops_per_token(&c, T);
    const char *attn = getenv("LF_TRAIN_ATTN");
    int fused = attn && !strcmp(attn, "flash");
    double *dt = malloc(steps * sizeof(double)), tps1 = 0;
    lf_tbatch batch[64];
    for (int r = 0; r < 64; r++)
        batch[r] = (lf_tbatch){.B = B, .T = T, .tok = tok, .tgt = tgt};
    const int runs[2] = {1, gpus};   /* one GPU, then N (when N > 1) */
    for (int k = 0; k < (gpus > 1 ? 2 : 1); k++) {
        int n = runs[k];
        lf_tcuda *g;
        if (lf_tcuda_new(&c, &opt, n, (int)N, T, p, NULL, NULL, &g, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        double loss = 0, first = 0;
        for (int i = 0; i < warm + steps; i++) {
            double t0 = now();
            if (lf_tcuda_step(g, i, lf_topt_lr(&opt, i), batch, &loss, NULL, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            if (i == 0)
                first = loss;
            if (i >= warm)
                dt[i - warm] = now() - t0;
        }
        lf_tcuda_free(g);
        qsort(dt, steps, sizeof(double), cmp);
        double med = dt[steps / 2], tps = (double)N * n / med;
        char on[32] = "";
        if (n > 1)
            snprintf(on, sizeof on, ", %d GPUs", n);
        printf("llmfuse-cuda(%s%s): %zu params, B=%d T=%d: median step %.2f ms, %.0f tok/s, "
               "%.1f TFLOP/s, MFU %.1f%% (loss %.3f -> %.3f)\n",
               fused ? "fused attn" : "cublas attn", on, o.n, B, T, med * 1e3, tps,
               fpt * tps * 1e-12, 100.0 * fpt * tps / (n * peak * 1e12), first, loss);
        if (n == 1)
            tps1 = tps;
        else
            printf("data parallel, %d GPUs against 1: %.2fx tokens/s, %.1f%% per GPU\n", n,
                   tps / tps1, 100.0 * tps / tps1 / n);
    }
    free(p); free(tok); free(tgt); free(dt);
    return 0;
}
