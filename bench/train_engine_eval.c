/* train_engine_eval.c: a trained model's loss and teacher-forced token
 * accuracy on JSONL rows, computed by the CPU engine (src/lm) from the
 * exported GGUF, with the trainer's data path (src/train/data.h): the
 * end-to-end check that what `llmfuse train` reports is what the engine
 * that serves the model sees.
 *
 *   train_engine_eval MODEL.gguf ROWS.jsonl [MAX_ROWS]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lm/model.h"
#include "lm/tok.h"
#include "train/data.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: train_engine_eval MODEL.gguf ROWS.jsonl [MAX_ROWS]\n");
        return 2;
    }
    size_t max_rows = argc > 3 ? (size_t)atol(argv[3]) : 200;
    lf_err err = {0};
    lf_model *m = NULL;
    lf_tok *tok = NULL;
    lf_tdata d = {0};
    if (lf_model_load(argv[1], &m, &err) || lf_tok_load(m->g, &tok, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    lf_tenc_tok enc = {.tok = tok, .special = true, .content_bytes = m->content_bytes};
    if (lf_tdata_load(argv[2], lf_tenc_tok_fn, &enc, lf_tok_eos(tok), m->cfg.n_ctx, &d, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    lf_ctx_opts co = {.n_ctx = m->cfg.n_ctx};
    lf_ctx *ctx;
    if (lf_ctx_new(m, &co, &ctx, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int V = m->cfg.vocab;
    float *lg = malloc((size_t)m->cfg.n_ctx * V * sizeof(float));
    double loss = 0;
    long n = 0, right = 0;
    size_t rows = d.n_rows < max_rows ? d.n_rows : max_rows;
    for (size_t r = 0; r < rows; r++) {
        const int32_t *ids = d.ids + d.off[r];
        int len = (int)(d.off[r + 1] - d.off[r]);
        lf_ctx_truncate(ctx, 0);
        if (lf_forward(ctx, ids, len - 1, true, lg, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        for (int t = d.plen[r] > 0 ? (int)d.plen[r] - 1 : 0; t < len - 1; t++) {
            const float *row = lg + (size_t)t * V;
            float mx = row[0];
            int arg = 0;
            for (int v = 1; v < V; v++)
                if (row[v] > mx) {
                    mx = row[v];
                    arg = v;
                }
            double s = 0;
            for (int v = 0; v < V; v++)
                s += exp((double)row[v] - mx);
            loss += mx + log(s) - row[ids[t + 1]];
            right += arg == ids[t + 1];
            n++;
        }
    }
    printf("engine on %s: %zu rows, %ld completion tokens: loss %.4f, token accuracy %.4f\n",
           argv[2], rows, n, n ? loss / n : 0.0, n ? (double)right / n : 0.0);
    free(lg);
    lf_ctx_free(ctx);
    lf_tdata_free(&d);
    lf_tok_free(tok);
    lf_model_free(m);
    return 0;
}
