/* average.c: the mean of several exported models' weights (lf_tmodel_average
 * in io.h): checkpoint averaging, e.g. of the last exports along one run's
 * decaying schedule. Every tensor is read as fp32 (lf_row_to_f32), summed
 * in double (so that the mean of copies of one value is that value),
 * divided by the number of models and written back in its own type;
 * metadata comes from the first file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lm/kernels.h"
#include "train/io.h"

/* Whether tensor b has a's name, type and shape. */
static bool same_tensor(const lf_gguf_tensor *a, const lf_gguf_tensor *b)
{
    if (a->name.len != b->name.len || memcmp(a->name.s, b->name.s, a->name.len) ||
        a->type != b->type || a->n_dims != b->n_dims)
        return false;
    for (uint32_t d = 0; d < a->n_dims; d++)
        if (a->ne[d] != b->ne[d])
            return false;
    return true;
}

/* Averages tensor i of the n files into w. */
static int add_mean(lf_gguf_writer *w, lf_gguf *const *g, int n, uint64_t i, lf_err *err)
{
    const lf_gguf_tensor *t = &g[0]->tensors[i];
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.s);
    uint64_t count = 1;
    for (uint32_t d = 0; d < t->n_dims; d++)
        count *= t->ne[d];
    double *sum = calloc(count ? count : 1, sizeof *sum);
    float *row = malloc((count ? count : 1) * sizeof *row);
    void *dst = malloc(t->nbytes ? t->nbytes : 1);
    int rc = 0;
    if (!sum || !row || !dst) {
        rc = lf_err_set(err, ENOMEM, "%s: out of memory", name);
        goto out;
    }
    for (int k = 0; k < n; k++) {
        lf_row_to_f32(t->type, g[k]->tensors[i].data, row, (int64_t)count);
        for (uint64_t j = 0; j < count; j++)
            sum[j] += row[j];
    }
    for (uint64_t j = 0; j < count; j++)   /* the mean, rounded once to fp32 */
        row[j] = (float)(sum[j] / n);
    lf_row_from_f32(t->type, row, dst, (int64_t)count);   /* F32/F16/BF16: checked */
    if ((rc = lf_gguf_add_tensor(w, name, t->type, t->n_dims, t->ne, dst)))
        lf_err_set(err, -rc, "%s: cannot add the tensor", name);
out:
    free(sum);
    free(row);
    free(dst);
    return rc;
}

int lf_tmodel_average(const char *const *in, int n, const char *out, lf_err *err)
{
    if (n < 1)
        return lf_err_set(err, EINVAL, "no model to average");
    lf_gguf **g = calloc((size_t)n, sizeof *g);
    lf_gguf_writer *w = NULL;
    int rc = g ? 0 : lf_err_set(err, ENOMEM, "out of memory");
    for (int k = 0; k < n && !rc; k++)
        rc = lf_gguf_open(in[k], &g[k], err);
    for (int k = 1; k < n && !rc; k++) {
        if (g[k]->n_tensors != g[0]->n_tensors)
            rc = lf_err_set(err, EINVAL, "%s has %llu tensors, %s %llu: not the same model shape",
                            in[k], (unsigned long long)g[k]->n_tensors, in[0],
                            (unsigned long long)g[0]->n_tensors);
        for (uint64_t i = 0; i < g[0]->n_tensors && !rc; i++)
            if (!same_tensor(&g[0]->tensors[i], &g[k]->tensors[i]))
                rc = lf_err_set(err, EINVAL, "%s: tensor %llu (%.*s) differs from %s's in name, "
                                "type or shape", in[k], (unsigned long long)i,
                                (int)g[0]->tensors[i].name.len, g[0]->tensors[i].name.s, in[0]);
    }
    for (uint64_t i = 0; !rc && i < g[0]->n_tensors; i++) {
        lf_ggml_type ty = g[0]->tensors[i].type;
        if (ty != LF_GGML_F32 && ty != LF_GGML_F16 && ty != LF_GGML_BF16)
            rc = lf_err_set(err, EINVAL, "%s: tensor %.*s is %s: only F32, F16 and BF16 models "
                            "can be averaged", in[0], (int)g[0]->tensors[i].name.len,
                            g[0]->tensors[i].name.s, lf_ggml_type_name(ty));
    }
    if (!rc && !(w = lf_gguf_writer_new()))
        rc = lf_err_set(err, ENOMEM, "out of memory");
    if (!rc && (rc = lf_gguf_copy_kvs(w, g[0], "")))
        lf_err_set(err, -rc, "%s: cannot copy the metadata", in[0]);
    for (uint64_t i = 0; !rc && i < g[0]->n_tensors; i++)
        rc = add_mean(w, g, n, i, err);
    if (!rc)
        rc = lf_gguf_write(w, out, err);
    lf_gguf_writer_free(w);
    for (int k = 0; g && k < n; k++)
        lf_gguf_close(g[k]);
    free(g);
    return rc;
}
