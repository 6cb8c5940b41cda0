/* cmd_quantize.c: `llmfuse quantize IN.gguf OUT.gguf [--type q8_0|f16|bf16|f32]`:
 * rewrites a model's weight matrices in another element type (the engine
 * reads all four), keeping every metadata key and the 1-D tensors (norms,
 * F32) as they are. Matrices whose rows are not a multiple of 32 values stay
 * as they are for Q8_0. Like llama.cpp's llama-quantize, for the types we
 * have: a bf16 model from the trainer becomes a Q8_0 one that the engine
 * runs on its int8 path.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lm/gguf.h"
#include "lm/kernels.h"
#include "lm/quant.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: llmfuse quantize IN.gguf OUT.gguf [--type q8_0|f16|bf16|f32]\n"
               "  rewrites the weight matrices (2-D tensors) in the given type (default\n"
               "  q8_0); metadata and 1-D tensors are copied unchanged.\n");
}

/* Converts one tensor to type (or copies it) and adds it to w. */
static int add_converted(lf_gguf_writer *w, const lf_gguf_tensor *t, lf_ggml_type type,
                         lf_err *err)
{
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.s);
    uint64_t cols = t->ne[0], rows = 1;
    for (uint32_t d = 1; d < t->n_dims; d++)
        rows *= t->ne[d];
    int keep = t->n_dims < 2 || t->type == type ||
               (type == LF_GGML_Q8_0 && cols % LF_Q8_0_BLOCK) ||
               (t->type != LF_GGML_F32 && t->type != LF_GGML_F16 && t->type != LF_GGML_BF16 &&
                t->type != LF_GGML_Q8_0);
    if (keep)
        return lf_gguf_add_tensor(w, name, t->type, t->n_dims, t->ne, t->data);
    float *row = malloc(cols * sizeof(float));
    size_t out_row = lf_ggml_row_size(type, cols), in_row = lf_ggml_row_size(t->type, cols);
    uint8_t *dst = malloc(rows * out_row);
    int rc = 0;
    if (!row || !dst) {
        rc = lf_err_set(err, ENOMEM, "%s: out of memory", name);
        goto out;
    }
    for (uint64_t r = 0; r < rows; r++) {
        const uint8_t *src = (const uint8_t *)t->data + r * in_row;
        lf_row_to_f32(t->type, src, row, (int64_t)cols);
        lf_row_from_f32(type, row, dst + r * out_row, (int64_t)cols);   /* cols checked above */
    }
    rc = lf_gguf_add_tensor(w, name, type, t->n_dims, t->ne, dst);
    if (rc)
        lf_err_set(err, -rc, "%s: cannot add the tensor", name);
out:
    free(row);
    free(dst);
    return rc;
}

int lf_cmd_quantize(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *ty = "q8_0";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--type") && i + 1 < argc) {
            ty = argv[++i];
        } else if (!in) {
            in = argv[i];
        } else if (!out) {
            out = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    lf_ggml_type type;
    if (!strcmp(ty, "q8_0")) type = LF_GGML_Q8_0;
    else if (!strcmp(ty, "f16")) type = LF_GGML_F16;
    else if (!strcmp(ty, "bf16")) type = LF_GGML_BF16;
    else if (!strcmp(ty, "f32")) type = LF_GGML_F32;
    else {
        fprintf(stderr, "llmfuse quantize: unknown type '%s'\n", ty);
        return 2;
    }
    if (!in || !out) {
        usage(stderr);
        return 2;
    }
    lf_err err = {0};
    lf_gguf *g = NULL;
    lf_gguf_writer *w = NULL;
    int rc = lf_gguf_open(in, &g, &err);
    if (!rc && !(w = lf_gguf_writer_new()))
        rc = lf_err_set(&err, ENOMEM, "out of memory");
    if (!rc && (rc = lf_gguf_copy_kvs(w, g, "")))
        lf_err_set(&err, -rc, "%s: cannot copy the metadata", in);
    for (uint64_t i = 0; !rc && i < g->n_tensors; i++)
        rc = add_converted(w, &g->tensors[i], type, &err);
    if (!rc)
        rc = lf_gguf_write(w, out, &err);
    if (!rc)
        printf("%s: %" PRIu64 " tensors, weight matrices as %s\n", out, g->n_tensors,
               lf_ggml_type_name(type));
    else
        fprintf(stderr, "llmfuse quantize: %s\n", err.msg[0] ? err.msg : strerror(-rc));
    lf_gguf_writer_free(w);
    lf_gguf_close(g);
    return rc ? 1 : 0;
}
