/* ckpt.c: trainer checkpoints in 15 MiB parts (io.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/io.h"
#include "util/buf.h"
#include "util/file.h"

static const char CKPT_MAGIC[8] = "LFCKPT1";

/* Header: magic[8], then int64 fields in this order. */
enum { H_LAYER, H_DIM, H_HEAD, H_KV, H_HD, H_FFN, H_CTX, H_VOCAB, H_TIED, H_ROPE, H_EPS,
       H_STEP, H_POS, H_SEED, H_N, H_COUNT };

int lf_tckpt_save(const char *path, const lf_tckpt *c, lf_err *err)
{
    int64_t h[H_COUNT];
    float rb = c->cfg.rope_base, ep = c->cfg.eps;
    uint32_t rbu, epu;
    memcpy(&rbu, &rb, 4);
    memcpy(&epu, &ep, 4);
    h[H_LAYER] = c->cfg.n_layer; h[H_DIM] = c->cfg.dim; h[H_HEAD] = c->cfg.n_head;
    h[H_KV] = c->cfg.n_kv; h[H_HD] = c->cfg.head_dim; h[H_FFN] = c->cfg.ffn;
    h[H_CTX] = c->cfg.ctx; h[H_VOCAB] = c->cfg.vocab; h[H_TIED] = c->cfg.tied;
    h[H_ROPE] = rbu; h[H_EPS] = epu;
    h[H_STEP] = c->step; h[H_POS] = (int64_t)c->data_pos; h[H_SEED] = (int64_t)c->seed;
    h[H_N] = (int64_t)c->n;
    size_t total = sizeof CKPT_MAGIC + sizeof h + 3 * c->n * sizeof(float);
    uint8_t *img = malloc(total);
    if (!img)
        return lf_err_set(err, ENOMEM, "checkpoint: out of memory");
    uint8_t *q = img;
    memcpy(q, CKPT_MAGIC, sizeof CKPT_MAGIC); q += sizeof CKPT_MAGIC;
    memcpy(q, h, sizeof h); q += sizeof h;
    memcpy(q, c->p, c->n * sizeof(float)); q += c->n * sizeof(float);
    memcpy(q, c->m, c->n * sizeof(float)); q += c->n * sizeof(float);
    memcpy(q, c->v, c->n * sizeof(float));
    int rc = 0;
    size_t part = 0;
    char name[4096];
    for (size_t at = 0; at < total; at += LF_CKPT_PART, part++) {
        size_t len = total - at < LF_CKPT_PART ? total - at : LF_CKPT_PART;
        if (part == 0)
            snprintf(name, sizeof name, "%s", path);
        else
            snprintf(name, sizeof name, "%s.%zu", path, part);
        if ((rc = lf_file_write_atomic(name, img + at, len, err)))
            break;
    }
    if (!rc) {   /* remove parts left from a larger checkpoint */
        for (;; part++) {
            snprintf(name, sizeof name, "%s.%zu", path, part);
            if (unlink(name))
                break;
        }
    }
    free(img);
    return rc;
}

int lf_tckpt_load(const char *path, lf_tckpt *c, lf_err *err)
{
    memset(c, 0, sizeof *c);
    lf_buf b;
    lf_buf_init(&b, (size_t)8 << 30);
    int rc = lf_file_read(path, LF_CKPT_PART, &b, err);
    char name[4096];
    for (size_t part = 1; !rc && b.len % LF_CKPT_PART == 0; part++) {
        snprintf(name, sizeof name, "%s.%zu", path, part);
        if (access(name, F_OK))
            break;
        rc = lf_file_read(name, b.len + LF_CKPT_PART, &b, err);
    }
    if (rc)
        goto out;
    int64_t h[H_COUNT];
    if (b.len < sizeof CKPT_MAGIC + sizeof h || memcmp(b.data, CKPT_MAGIC, sizeof CKPT_MAGIC)) {
        rc = lf_err_set(err, EINVAL, "%s: not a trainer checkpoint", path);
        goto out;
    }
    memcpy(h, b.data + sizeof CKPT_MAGIC, sizeof h);
    c->cfg = (lf_tcfg){.n_layer = (int)h[H_LAYER], .dim = (int)h[H_DIM], .n_head = (int)h[H_HEAD],
                       .n_kv = (int)h[H_KV], .head_dim = (int)h[H_HD], .ffn = (int)h[H_FFN],
                       .ctx = (int)h[H_CTX], .vocab = (int)h[H_VOCAB], .tied = (int)h[H_TIED]};
    uint32_t rbu = (uint32_t)h[H_ROPE], epu = (uint32_t)h[H_EPS];
    memcpy(&c->cfg.rope_base, &rbu, 4);
    memcpy(&c->cfg.eps, &epu, 4);
    if ((rc = lf_tcfg_check(&c->cfg, err))) {
        lf_err_prefix(err, "%s: ", path);
        goto out;
    }
    lf_toffs o;
    lf_tcfg_offsets(&c->cfg, &o);
    c->step = h[H_STEP];
    c->data_pos = (uint64_t)h[H_POS];
    c->seed = (uint64_t)h[H_SEED];
    c->n = (size_t)h[H_N];
    if (c->n != o.n || b.len != sizeof CKPT_MAGIC + sizeof h + 3 * c->n * sizeof(float)) {
        rc = lf_err_set(err, EINVAL, "%s: size does not match its config (missing part?)", path);
        goto out;
    }
    c->p = malloc(c->n * sizeof(float));
    c->m = malloc(c->n * sizeof(float));
    c->v = malloc(c->n * sizeof(float));
    if (!c->p || !c->m || !c->v) {
        rc = lf_err_set(err, ENOMEM, "checkpoint: out of memory");
        goto out;
    }
    const char *q = b.data + sizeof CKPT_MAGIC + sizeof h;
    memcpy(c->p, q, c->n * sizeof(float));
    memcpy(c->m, q + c->n * sizeof(float), c->n * sizeof(float));
    memcpy(c->v, q + 2 * c->n * sizeof(float), c->n * sizeof(float));
out:
    lf_buf_free(&b);
    if (rc)
        lf_tckpt_free(c);
    return rc;
}

void lf_tckpt_free(lf_tckpt *c)
{
    if (!c)
        return;
    free(c->p);
    free(c->m);
    free(c->v);
    c->p = c->m = c->v = NULL;
}
