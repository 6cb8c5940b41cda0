/* cmd_train.c: `llmfuse train`: trains the Qwen3-shaped model of
 * src/train on JSONL datasets and exports it as GGUF for the engine.
 *
 *   llmfuse train --data train.jsonl[,more.jsonl...] --tokenizer tok.gguf --out model.gguf
 *       [--val val.jsonl] [--config layers=4,dim=256,heads=4,kv_heads=2,
 *        head_dim=64,ffn=768,ctx=1024,rope=10000,tied=1]
 *       [--steps N] [--batch-tokens N] [--lr F] [--warmup N] [--wd F]
 *       [--clip F] [--focal G] [--seed N] [--eval-every N] [--eval-batches N]
 *       [--ckpt FILE] [--ckpt-every N] [--resume FILE] [--init MODEL.gguf]
 *       [--time-limit SEC] [--stop-at N] [--ctx N] [--layers N]
 *       [--dtype f32|f16|bf16] [--device cpu|cuda] [--gpus N] [--no-special]
 *       [--content-bytes]
 *
 * Text of a row = prompt + completion + <|endoftext|> (contract "none"); the
 * loss covers the completion and the end-of-text token (src/train/data.h).
 * --device cuda loads libllmfuse-train-cuda.so (built with -Dcuda=enabled)
 * at run time: $LLMFUSE_CUDA_LIB, else beside the binary (src/train/ of a
 * build tree, or ../lib), else the loader's path. --time-limit (seconds) and
 * --stop-at (a step) stop early, checkpointing first, so a run fits a
 * bounded machine lease; the schedule still spans --steps, and --resume
 * continues the run where it stopped (same data order, same schedule).
 * --init starts a new run (fresh AdamW moments, step 0, the model's shape)
 * from an exported GGUF's weights: a run can go on from a model alone when
 * its checkpoint is too big to carry. Several --data files (comma-separated)
 * are tokenized at once, a thread each. --ctx sets the context length over
 * --config or an --init model's (the weights do not depend on it: RoPE is
 * relative), so a model can be trained on longer rows; not with --resume,
 * where the checkpoint's shape wins. --layers, --ffn and --heads (with
 * --init only) grow the --init model to N layers, N FFN units a layer or N
 * query heads (the kv heads grow with them, in whole groups) without
 * changing what it computes (lf_tmodel_grow: new layers between the old
 * ones, new heads and units beside the old ones, their output projections
 * zero), so a bigger model can start from a trained one.
 * --content-bytes encodes the rows with every byte of the file contents a
 * token of its own (lf_tok_encode_content) and marks the exported model so
 * (llmfuse.content_bytes), for the engine to encode its prompts the same
 * way; an --init model that carries the mark turns it on. Like --focal, it
 * is not kept in a checkpoint: give it to every call of a run.
 * --gpus N (with --device cuda) trains data parallel on N GPUs: each step
 * takes N batches of --batch-tokens, one a GPU, and is the step of one
 * batch holding them all; a checkpoint resumes on any number of GPUs (the
 * data position counts batches).
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lm/gguf.h"
#include "lm/model.h"
#include "lm/tok.h"
#include "train/data.h"
#include "train/io.h"
#include "train/ref.h"
#include "train/train.h"
#include "train/train_cuda.h"

typedef struct train_opts {
    const char *data, *val, *tok, *out, *ckpt, *resume, *init, *device;
    lf_tcfg cfg;
    lf_topt opt;
    long steps, stop_at;
    int batch_tokens, eval_every, eval_batches, ckpt_every, special, ctx, layers, ffn, heads, gpus;
    bool content_bytes;
    double time_limit;
    uint64_t seed;
    lf_texport_type dtype;
} train_opts;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: llmfuse train --data TRAIN.jsonl[,MORE.jsonl...] --tokenizer TOK.gguf --out MODEL.gguf\n"
            "  [--val VAL.jsonl] [--config layers=4,dim=256,heads=4,kv_heads=2,head_dim=64,\n"
            "   ffn=768,ctx=1024,rope=10000,eps=1e-6,tied=1] [--steps N] [--batch-tokens N]\n"
            "  [--lr F] [--warmup N] [--wd F] [--clip F] [--focal G] [--seed N] [--eval-every N]\n"
            "  [--eval-batches N] [--ckpt FILE] [--ckpt-every N] [--resume FILE] [--init MODEL.gguf]\n"
            "  [--time-limit SEC] [--stop-at N] [--ctx N]\n"
            "  [--layers N] [--ffn N] [--heads N] (with --init: grow it, same function)\n"
            "  [--dtype f32|f16|bf16] [--device cpu|cuda] [--gpus N (cuda: data parallel)]\n"
            "  [--no-special] [--content-bytes]\n");
}

static int parse_config(const char *s, lf_tcfg *c)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return -1;
        *eq = 0;
        const char *k = kv, *v = eq + 1;
        if (!strcmp(k, "layers")) c->n_layer = atoi(v);
        else if (!strcmp(k, "dim")) c->dim = atoi(v);
        else if (!strcmp(k, "heads")) c->n_head = atoi(v);
        else if (!strcmp(k, "kv_heads")) c->n_kv = atoi(v);
        else if (!strcmp(k, "head_dim")) c->head_dim = atoi(v);
        else if (!strcmp(k, "ffn")) c->ffn = atoi(v);
        else if (!strcmp(k, "ctx")) c->ctx = atoi(v);
        else if (!strcmp(k, "rope")) c->rope_base = (float)atof(v);
        else if (!strcmp(k, "eps")) c->eps = (float)atof(v);
        else if (!strcmp(k, "tied")) c->tied = atoi(v);
        else
            return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->cfg = (lf_tcfg){.n_layer = 4, .dim = 256, .n_head = 4, .n_kv = 2, .head_dim = 64,
                       .ffn = 768, .ctx = 1024, .rope_base = 10000.0f, .eps = 1e-6f, .tied = 1};
    lf_topt_default(&o->opt);
    o->steps = 1000;
    o->batch_tokens = 16384;
    o->eval_every = 100;
    o->eval_batches = 50;
    o->ckpt_every = 0;
    o->special = 1;
    o->seed = 1;
    o->device = "cpu";
    o->gpus = 1;
    o->dtype = LF_TEXPORT_BF16;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(NAME) (!strcmp(a, NAME) && v && (i++, 1))
        if (ARG("--data")) o->data = v;
        else if (ARG("--val")) o->val = v;
        else if (ARG("--tokenizer")) o->tok = v;
        else if (ARG("--out")) o->out = v;
        else if (ARG("--ckpt")) o->ckpt = v;
        else if (ARG("--resume")) o->resume = v;
        else if (ARG("--init")) o->init = v;
        else if (ARG("--device")) o->device = v;
        else if (ARG("--config")) {
            if (parse_config(v, &o->cfg)) {
                fprintf(stderr, "llmfuse train: bad --config '%s'\n", v);
                return -1;
            }
        } else if (ARG("--steps")) o->steps = atol(v);
        else if (ARG("--batch-tokens")) o->batch_tokens = atoi(v);
        else if (ARG("--lr")) o->opt.lr = (float)atof(v);
        else if (ARG("--warmup")) o->opt.warmup = atoi(v);
        else if (ARG("--wd")) o->opt.weight_decay = (float)atof(v);
        else if (ARG("--clip")) o->opt.clip = (float)atof(v);
        else if (ARG("--focal")) o->opt.focal = (float)atof(v);
        else if (ARG("--seed")) o->seed = strtoull(v, NULL, 10);
        else if (ARG("--eval-every")) o->eval_every = atoi(v);
        else if (ARG("--eval-batches")) o->eval_batches = atoi(v);
        else if (ARG("--ckpt-every")) o->ckpt_every = atoi(v);
        else if (ARG("--time-limit")) o->time_limit = atof(v);
        else if (ARG("--stop-at")) o->stop_at = atol(v);
        else if (ARG("--ctx")) o->ctx = atoi(v);
        else if (ARG("--layers")) o->layers = atoi(v);
        else if (ARG("--ffn")) o->ffn = atoi(v);
        else if (ARG("--heads")) o->heads = atoi(v);
        else if (ARG("--gpus")) o->gpus = atoi(v);
        else if (ARG("--dtype")) {
            if (!strcmp(v, "f32")) o->dtype = LF_TEXPORT_F32;
            else if (!strcmp(v, "f16")) o->dtype = LF_TEXPORT_F16;
            else if (!strcmp(v, "bf16")) o->dtype = LF_TEXPORT_BF16;
            else return -1;
        } else if (!strcmp(a, "--no-special")) o->special = 0;
        else if (!strcmp(a, "--content-bytes")) o->content_bytes = true;
        else {
            fprintf(stderr, "llmfuse train: unknown or incomplete option '%s'\n", a);
            return -1;
        }
#undef ARG
    }
    if (!o->data || !o->tok || !o->out || o->steps < 1 || o->batch_tokens < 1 ||
        (strcmp(o->device, "cpu") && strcmp(o->device, "cuda")) || (o->resume && o->init) ||
        o->ctx < 0 || (o->ctx && o->resume) || o->layers < 0 || o->ffn < 0 || o->heads < 0 ||
        ((o->layers || o->ffn || o->heads) && !o->init) ||
        o->gpus < 1 || o->gpus > 64 || (o->gpus > 1 && strcmp(o->device, "cuda")) ||
        !(o->opt.focal >= 0 && o->opt.focal <= 8))
        return -1;
    o->opt.total_steps = (int)o->steps;
    if (o->opt.warmup < 1)
        o->opt.warmup = 1;
    return 0;
}

/* The device the steps run on: the CPU reference or the CUDA library. */
typedef struct trainer {
    int cuda;
    lf_tref *ref;
    float *p, *m, *v;          /* host copies (the CPU trains on these) */
    uint8_t *mask;
    const lf_tcuda_api *api;
    lf_tcuda *gpu;
    void *dl;
} trainer;

static const lf_tcuda_api *load_cuda(void **dl, lf_err *err)
{
    char cand[4][PATH_MAX];
    int nc = 0;
    const char *env = getenv("LLMFUSE_CUDA_LIB");
    if (env && *env)
        snprintf(cand[nc++], PATH_MAX, "%s", env);
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(cand[nc++], PATH_MAX, "%.*s/src/train/libllmfuse-train-cuda.so", PATH_MAX - 40, exe);
            snprintf(cand[nc++], PATH_MAX, "%.*s/../lib/libllmfuse-train-cuda.so", PATH_MAX - 40, exe);
        }
    }
    snprintf(cand[nc++], PATH_MAX, "libllmfuse-train-cuda.so");
    const char *why = "not found";
    for (int i = 0; i < nc; i++) {
        *dl = dlopen(cand[i], RTLD_NOW | RTLD_LOCAL);
        if (!*dl) {
            why = dlerror();
            continue;
        }
        const lf_tcuda_api *(*get)(void) =
            (const lf_tcuda_api *(*)(void))dlsym(*dl, "lf_tcuda_api_get");
        const lf_tcuda_api *api = get ? get() : NULL;
        if (api && api->abi == LF_TCUDA_ABI)
            return api;
        dlclose(*dl);
        *dl = NULL;
        why = "wrong library version";
    }
    lf_err_set(err, ENOENT, "CUDA trainer library: %s (build with -Dcuda=enabled)", why);
    return NULL;
}

/* One step on b[0 .. o->gpus-1] (one batch a GPU; the CPU takes one). */
static int trainer_step(trainer *t, const train_opts *o, long step, const lf_tbatch *b,
                        double *loss, double *gnorm, lf_err *err)
{
    if (t->cuda)
        return t->api->step(t->gpu, step, lf_topt_lr(&o->opt, step), b, loss, gnorm, err);
    *loss = lf_tref_step(t->ref, &o->opt, step, t->p, t->m, t->v, t->mask, b->tok, b->tgt, b->B,
                         b->T, gnorm);
    return 0;
}

static int trainer_eval(trainer *t, const lf_tbatch *b, double *ls, long *nt, long *nc,
                        lf_err *err)
{
    if (t->cuda)
        return t->api->eval(t->gpu, b->tok, b->tgt, b->B, b->T, ls, nt, nc, err);
    long a, c;
    double l = lf_tref_forward(t->ref, t->p, b->tok, b->tgt, b->B, b->T, &a, &c);
    *ls += l * a;
    *nt += a;
    *nc += c;
    return 0;
}

/* Brings the host copies up to date (CUDA: downloads). */
static int trainer_sync(trainer *t, lf_err *err)
{
    return t->cuda ? t->api->get(t->gpu, t->p, t->m, t->v, NULL, err) : 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int save_ckpt(trainer *t, const train_opts *o, long step, uint64_t pos, lf_err *err)
{
    int rc = trainer_sync(t, err);
    if (rc)
        return rc;
    lf_toffs off;
    lf_tcfg_offsets(&o->cfg, &off);
    lf_tckpt k = {.cfg = o->cfg, .step = step, .data_pos = pos, .seed = o->seed, .n = off.n,
                  .p = t->p, .m = t->m, .v = t->v};
    rc = lf_tckpt_save(o->ckpt, &k, err);
    if (!rc)
        printf("checkpoint: %s at step %ld\n", o->ckpt, step);
    return rc;
}

static int evaluate(trainer *t, lf_tbatcher *vb, int max_batches, double *loss, double *acc,
                    lf_err *err)
{
    double ls = 0;
    long nt = 0, nc = 0;
    size_t nb = lf_tbatcher_count(vb);
    if (max_batches > 0 && (size_t)max_batches < nb)
        nb = max_batches;
    for (size_t i = 0; i < nb; i++) {
        lf_tbatch b;
        lf_tbatcher_get(vb, i, &b);
        int rc = trainer_eval(t, &b, &ls, &nt, &nc, err);
        if (rc)
            return rc;
    }
    *loss = nt ? ls / nt : 0;
    *acc = nt ? (double)nc / nt : 0;
    return 0;
}

int lf_cmd_train(int argc, char **argv)
{
    train_opts o;
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (parse_args(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    lf_err err = {0};
    int rc = 0, status = 1;
    lf_gguf *tg = NULL;
    lf_tok *tok = NULL;
    lf_tdata dtrain = {0}, dval = {0};
    lf_tbatcher *bt = NULL, *bv = NULL;
    lf_tckpt ck = {0};
    trainer t = {0};
    long start = 0;
    lf_gguf *ig = NULL;
    float *init_p = NULL;
    char *data_list = NULL;
    const char *files[64];
    size_t n_files = 0;

    if (o.resume) {
        if ((rc = lf_tckpt_load(o.resume, &ck, &err)))
            goto out;
        o.cfg = ck.cfg;   /* the checkpoint's shape wins */
        o.seed = ck.seed;
        start = ck.step;
    }
    if (o.init) {
        if ((rc = lf_gguf_open(o.init, &ig, &err)) ||
            (rc = lf_timport_gguf(ig, &o.cfg, &init_p, &err)))
            goto out;
        if (lf_gguf_content_bytes(ig))
            o.content_bytes = true;   /* the model reads its input so */
        lf_gguf_close(ig);   /* the weights were copied */
        ig = NULL;
        lf_tcfg big = o.cfg;
        if (o.layers)
            big.n_layer = o.layers;
        if (o.ffn)
            big.ffn = o.ffn;
        if (o.heads) {
            if (o.heads % (o.cfg.n_head / o.cfg.n_kv)) {
                rc = lf_err_set(&err, EINVAL, "--heads %d: not a multiple of the %d heads a kv head "
                                "serves", o.heads, o.cfg.n_head / o.cfg.n_kv);
                goto out;
            }
            big.n_kv = o.heads / (o.cfg.n_head / o.cfg.n_kv);
            big.n_head = o.heads;
        }
        if (memcmp(&big, &o.cfg, sizeof big)) {
            lf_toffs boff;
            if ((rc = lf_tcfg_check(&big, &err)))
                goto out;
            lf_tcfg_offsets(&big, &boff);
            float *q = malloc(boff.n * sizeof *q);
            if (!q) {
                rc = lf_err_set(&err, ENOMEM, "out of memory");
                goto out;
            }
            if ((rc = lf_tmodel_grow(&o.cfg, init_p, &big, q, o.seed, &err))) {
                free(q);
                goto out;
            }
            free(init_p);
            init_p = q;
            o.cfg = big;
        }
    }
    if (o.ctx)
        o.cfg.ctx = o.ctx;
    if ((rc = lf_gguf_open(o.tok, &tg, &err)) || (rc = lf_tok_load(tg, &tok, &err)))
        goto out;
    int32_t eos = lf_tok_eos(tok);
    if (eos < 0) {
        rc = lf_err_set(&err, EINVAL, "%s: no end-of-text token", o.tok);
        goto out;
    }
    if (!o.resume && !o.init)
        o.cfg.vocab = (int)lf_tok_vocab_size(tok);
    else if ((size_t)o.cfg.vocab != lf_tok_vocab_size(tok)) {
        rc = lf_err_set(&err, EINVAL, "model vocabulary %d != tokenizer's %zu", o.cfg.vocab,
                        lf_tok_vocab_size(tok));
        goto out;
    }
    if ((rc = lf_tcfg_check(&o.cfg, &err)))
        goto out;
    lf_tenc_tok encctx = {tok, o.special, o.content_bytes};
    if (o.content_bytes)
        printf("encoding: file contents one token per byte (--content-bytes)\n");
    double t0 = now();
    if (!(data_list = strdup(o.data))) {
        rc = lf_err_set(&err, ENOMEM, "out of memory");
        goto out;
    }
    for (char *sv = NULL, *f = strtok_r(data_list, ",", &sv); f; f = strtok_r(NULL, ",", &sv)) {
        if (n_files == sizeof files / sizeof *files) {
            rc = lf_err_set(&err, EINVAL, "--data: more than %zu files", n_files);
            goto out;
        }
        files[n_files++] = f;
    }
    if ((rc = lf_tdata_load_files(files, n_files, lf_tenc_tok_fn, &encctx, eos, o.cfg.ctx, &dtrain,
                                  &err)))
        goto out;
    if (o.val && (rc = lf_tdata_load(o.val, lf_tenc_tok_fn, &encctx, eos, o.cfg.ctx, &dval, &err)))
        goto out;
    printf("data: %zu train rows (%zu tokens, %zu longer than ctx %d dropped), %zu val rows; "
           "tokenized in %.1f s\n", dtrain.n_rows, dtrain.n_tokens, dtrain.n_dropped, o.cfg.ctx,
           dval.n_rows, now() - t0);
    int align = 64;
    if ((rc = lf_tbatcher_new(&dtrain, o.batch_tokens, align, o.cfg.ctx, o.seed, &bt, &err)))
        goto out;
    if (o.val && dval.n_rows &&
        (rc = lf_tbatcher_new(&dval, o.batch_tokens, align, o.cfg.ctx, o.seed, &bv, &err)))
        goto out;
    /* a step's batches: about one length, a buffer each */
    if ((rc = lf_tbatcher_group(bt, o.gpus))) {
        lf_err_set(&err, ENOMEM, "batcher: out of memory");
        goto out;
    }
    if (o.resume)
        lf_tbatcher_seek(bt, ck.data_pos);
    int max_tokens = lf_tbatcher_max_tokens(bt), max_T = lf_tbatcher_max_T(bt);
    if (bv) {
        if (lf_tbatcher_max_tokens(bv) > max_tokens) max_tokens = lf_tbatcher_max_tokens(bv);
        if (lf_tbatcher_max_T(bv) > max_T) max_T = lf_tbatcher_max_T(bv);
    }

    lf_toffs off;
    lf_tcfg_offsets(&o.cfg, &off);
    t.cuda = !strcmp(o.device, "cuda");
    t.p = malloc(off.n * 4);
    t.m = calloc(off.n, 4);
    t.v = calloc(off.n, 4);
    t.mask = malloc(off.n);
    if (!t.p || !t.m || !t.v || !t.mask) {
        rc = lf_err_set(&err, ENOMEM, "out of memory for %zu parameters", off.n);
        goto out;
    }
    if (o.resume) {
        memcpy(t.p, ck.p, off.n * 4);
        memcpy(t.m, ck.m, off.n * 4);
        memcpy(t.v, ck.v, off.n * 4);
    } else if (init_p) {
        memcpy(t.p, init_p, off.n * 4);
    } else {
        lf_tmodel_init(&o.cfg, o.seed, t.p);
    }
    lf_tmodel_decay_mask(&o.cfg, t.mask);
    if (t.cuda) {
        if (!(t.api = load_cuda(&t.dl, &err))) {
            rc = -ENOENT;
            goto out;
        }
        if ((rc = t.api->create(&o.cfg, &o.opt, o.gpus, max_tokens, max_T, t.p, t.m, t.v, &t.gpu,
                                 &err)))
            goto out;
    } else if ((rc = lf_tref_new(&o.cfg, max_tokens, max_T, &t.ref, &err))) {
        goto out;
    }
    printf("model: %d layers, dim %d, heads %d/%d x %d, ffn %d, ctx %d, vocab %d, tied %d: "
           "%zu parameters; %zu batches/epoch (<= %d tokens, T <= %d); device %s",
           o.cfg.n_layer, o.cfg.dim, o.cfg.n_head, o.cfg.n_kv, o.cfg.head_dim, o.cfg.ffn,
           o.cfg.ctx, o.cfg.vocab, o.cfg.tied, off.n, lf_tbatcher_count(bt), max_tokens, max_T,
           o.device);
    if (o.gpus > 1)
        printf(", %d GPUs (data parallel: %d batches a step)", o.gpus, o.gpus);
    printf("\n");
    if (o.opt.focal > 0)
        printf("loss: focal-weighted, (1 - p_target)^%g per position (the logged loss is the "
               "plain mean)\n", (double)o.opt.focal);
    fflush(stdout);

    double tstart = now(), tlog = tstart, flops = 0, flops_max = 0;
    long tok_since = 0, step = start;
    for (; step < o.steps; step++) {
        lf_tbatch b[64];
        double fmax = 0;
        for (int r = 0; r < o.gpus; r++) {
            lf_tbatcher_next(bt, &b[r]);
            double f = lf_tmodel_flops_per_token(&o.cfg, b[r].T) * b[r].B * b[r].T;
            tok_since += (long)b[r].B * b[r].T;
            flops += f;
            fmax = f > fmax ? f : fmax;
        }
        flops_max += fmax;
        double loss, gnorm;
        if ((rc = trainer_step(&t, &o, step, b, &loss, &gnorm, &err)))
            goto out;
        int last = step + 1 == o.steps;
        if (step % 10 == 0 || last) {
            double dt = now() - tlog;
            printf("step %5ld  loss %.4f  lr %.2e  gnorm %.3f  %.0f tok/s  %.1f TFLOP/s", step,
                   loss, lf_topt_lr(&o.opt, step), gnorm, tok_since / dt, flops / dt * 1e-12);
            /* several GPUs wait for the one with the most work each step:
             * the mean work over the largest (model FLOPs), 1 = even */
            if (o.gpus > 1)
                printf("  balance %.3f", flops / (o.gpus * flops_max));
            printf("\n");
            fflush(stdout);
            tlog = now();
            tok_since = 0;
            flops = 0;
            flops_max = 0;
        }
        if (bv && o.eval_every > 0 && ((step + 1) % o.eval_every == 0 || last)) {
            double vl, va;
            if ((rc = evaluate(&t, bv, o.eval_batches, &vl, &va, &err)))
                goto out;
            printf("eval  %5ld  val_loss %.4f  val_acc %.4f\n", step + 1, vl, va);
            fflush(stdout);
            /* the throughput line counts training steps only: drop the
             * steps since the last line with the evaluation's time */
            tlog = now();
            tok_since = 0;
            flops = 0;
            flops_max = 0;
        }
        if (o.ckpt && o.ckpt_every > 0 && (step + 1) % o.ckpt_every == 0 && !last &&
            (rc = save_ckpt(&t, &o, step + 1, lf_tbatcher_pos(bt), &err)))
            goto out;
        if (((o.time_limit > 0 && now() - tstart > o.time_limit) ||
             (o.stop_at > 0 && step + 1 >= o.stop_at)) && !last) {
            printf("stopping after step %ld of %ld (resume with --resume)\n", step + 1, o.steps);
            step++;
            break;
        }
    }
    if (o.ckpt && (rc = save_ckpt(&t, &o, step, lf_tbatcher_pos(bt), &err)))
        goto out;
    if ((rc = trainer_sync(&t, &err)) ||
        (rc = lf_texport_gguf(o.out, &o.cfg, t.p, o.dtype, o.content_bytes, tg, &err)))
        goto out;
    printf("exported %s (%s weights) after %ld steps, %.1f s\n", o.out,
           o.dtype == LF_TEXPORT_F32 ? "f32" : o.dtype == LF_TEXPORT_F16 ? "f16" : "bf16", step,
           now() - tstart);
    status = 0;
out:
    if (rc)
        fprintf(stderr, "llmfuse train: %s\n", err.msg[0] ? err.msg : strerror(-rc));
    if (t.gpu)
        t.api->destroy(t.gpu);
    if (t.dl)
        dlclose(t.dl);
    lf_tref_free(t.ref);
    free(t.p);
    free(t.m);
    free(t.v);
    free(t.mask);
    lf_tbatcher_free(bt);
    lf_tbatcher_free(bv);
    lf_tdata_free(&dtrain);
    lf_tdata_free(&dval);
    lf_tckpt_free(&ck);
    free(init_p);
    free(data_list);
    lf_gguf_close(ig);
    lf_tok_free(tok);
    lf_gguf_close(tg);
    return status;
}
