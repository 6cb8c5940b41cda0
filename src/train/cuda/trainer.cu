/* trainer.cu: the CUDA trainer (train_cuda.h): buffers, cuBLAS matmuls,
 * the order of kernels in a step, and data parallelism over several GPUs
 * (a replica on each, gradients summed with NCCL, loaded at run time).
 * Each block of code names the loop of ref.c it reproduces; shapes as
 * there (N = B*T positions, D, Q = H*hd, K = KV*hd, F, V). Matmuls take
 * bf16 operands and accumulate in fp32 (CUBLAS_COMPUTE_32F); their outputs
 * are fp32 unless a bf16 copy is all that is used next. */
#include <cublas_v2.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/cuda/kernels.cuh"
#include "train/train_cuda.h"

typedef struct layer_act {
    float *x;       /* [N][D] layer input */
    bf16 *xn1;      /* [N][D] */
    float *rstd1;   /* [N] */
    float *qkv;     /* [N][Q+2K] before head norms */
    float *qrstd, *krstd;   /* [N][H], [N][KV] */
    bf16 *qr, *kr, *vb;     /* [N][Q], [N][K], [N][K] */
    bf16 *P;        /* [B*H][T][T] */
    bf16 *o;        /* [N][Q] */
    float *xm;      /* [N][D] */
    bf16 *xn2;      /* [N][D] */
    float *rstd2;   /* [N] */
    float *gu;      /* [N][2F] */
    bf16 *hh;       /* [N][F] */
    const void **tab;   /* attention pointers, LF_AP_COUNT x LF_ATTN_MAX_BLOCKS x B*H */
    float *lse;     /* [B*H][T] log-sum-exp of the attention rows (flash path) */
} layer_act;

struct lf_tcuda {
    lf_tcfg c;
    lf_topt o;
    lf_toffs off;
    int max_tokens, max_T, maxBH;
    int flash;              /* attention: fused kernels (flash.cu) or cuBLAS (default) */
    cudaStream_t s;
    cublasHandle_t blas;
    float *p, *g, *m, *v;   /* [n] */
    bf16 *ph;               /* [n] bf16 copy of p for the matmuls */
    uint8_t *mask;          /* [n] weight decay */
    float *cosb, *sinb;     /* [max_T][hd/2] */
    int32_t *tok, *tgt;     /* [max_tokens] */
    layer_act *L;
    float *xL, *rstdf;      /* [N][D], [N] */
    bf16 *xf;               /* [N][D] */
    float *logits;          /* [N][V] */
    bf16 *dlog;             /* [N][V] */
    float *S;               /* [B*H][T][T] scores, then dP */
    bf16 *dS;               /* [B*H][T][T] */
    float *tmp;             /* [N][max(D,F)] matmul outputs */
    float *dres;            /* [N][D] */
    bf16 *dres_h;           /* [N][D] */
    bf16 *dO;               /* [N][Q] */
    float *dq, *dkh, *dvh;  /* [N][Q] each */
    bf16 *dqkv;             /* [N][Q+2K] */
    bf16 *dgu;              /* [N][2F] */
    float *Dsum;            /* [B*H][T] rowsum(dO * o): the softmax backward's row sums */
    lf_kacc *acc;           /* device accumulators */
    float *rowv;            /* [N][2] log-sum-exp and weight of each row (focal loss) */
    int tab_B, tab_T;       /* shape the tables were built for */
    int dev;                /* the CUDA device this replica lives on */
    int gpus;               /* replicas (data parallel); rep[0] is this one */
    struct lf_tcuda **rep;  /* [gpus], in replica 0 only */
    struct ncclComm *comm;  /* NCCL communicator (gpus > 1) */
};

static int fail(lf_err *err, int code, const char *what, const char *detail)
{
    if (err) {
        err->code = code;
        snprintf(err->msg, sizeof err->msg, "cuda trainer: %s: %s", what, detail);
    }
    return -code;
}

#define CK(call, what)                                                            \
    do {                                                                          \
        cudaError_t e_ = (call);                                                  \
        if (e_ != cudaSuccess)                                                    \
            return fail(err, EIO, what, cudaGetErrorString(e_));                  \
    } while (0)
#define CB(call, what)                                                            \
    do {                                                                          \
        cublasStatus_t e_ = (call);                                               \
        if (e_ != CUBLAS_STATUS_SUCCESS)                                          \
            return fail(err, EIO, what, cublasGetStatusString(e_));               \
    } while (0)

int lf_tcuda_devices(void)
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess)
        return 0;
    return n;
}

/* Row-major C[M][N] = alpha * op(A) op(B) + beta * C. A is [M][K] (or [K][M]
 * with ta), B is [K][N] (or [N][K] with tb), both bf16; C is fp32 or bf16.
 * cuBLAS is column-major, so it computes C^T = op(B)^T op(A)^T. */
static cublasStatus_t gemm(lf_tcuda *t, int ta, int tb, int M, int N, int K, const bf16 *A,
                           int lda, const bf16 *B, int ldb, void *C, int c_bf16, int ldc,
                           float alpha, float beta)
{
    return cublasGemmEx(t->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                        N, M, K, &alpha, B, CUDA_R_16BF, ldb, A, CUDA_R_16BF, lda, &beta, C,
                        c_bf16 ? CUDA_R_16BF : CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F,
                        CUBLAS_GEMM_DEFAULT);
}

/* The same over B*H (b, h) slices given by pointer tables. */
static cublasStatus_t gemm_bh(lf_tcuda *t, int BH, int ta, int tb, int M, int N, int K,
                              const void *const *A, int lda, const void *const *B, int ldb,
                              void *const *C, int c_bf16, int ldc, float alpha, float beta)
{
    return cublasGemmBatchedEx(t->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                               ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B, CUDA_R_16BF,
                               ldb, A, CUDA_R_16BF, lda, &beta, C,
                               c_bf16 ? CUDA_R_16BF : CUDA_R_32F, ldc, BH, CUBLAS_COMPUTE_32F,
                               CUBLAS_GEMM_DEFAULT);
}

/* Causal split of the attention matmuls: query rows go in nb blocks of Tb
 * rows, and block i only meets keys 0 .. (i+1)*Tb - 1, so the masked upper
 * triangle is mostly not computed, written or read (at T = 2048, 4 blocks:
 * 10/16 of the full square). Short sequences stay one block: more, smaller
 * launches would cost more than they save. */
static void attn_blocks(int T, int *Tb, int *nb)
{
    if (T <= 512) {
        *Tb = T;
    } else {
        int q = (T + LF_ATTN_MAX_BLOCKS - 1) / LF_ATTN_MAX_BLOCKS;
        q = (q + 63) / 64 * 64;
        *Tb = q > 512 ? q : 512;
    }
    *nb = (T + *Tb - 1) / *Tb;
}

#define TAB(l, kind, blk) ((const void *const *)((l)->tab + ((size_t)(kind) * nb + (blk)) * BH))
#define TABW(l, kind, blk) ((void *const *)((l)->tab + ((size_t)(kind) * nb + (blk)) * BH))

static int dalloc(void **p, size_t bytes)
{
    return cudaMalloc(p, bytes ? bytes : 16) == cudaSuccess ? 0 : -1;
}

/* NCCL, for data parallelism over several GPUs, is loaded at run time
 * (dlopen) the first time a trainer of several GPUs is made, so the library
 * builds and runs on one GPU where NCCL is absent: $LF_NCCL_LIB, else
 * libnccl.so.2 on the loader's path. The few entry points used are declared
 * here as NCCL 2's public API (nccl.h) defines them; its enums are ints. */
typedef int nccl_result;
enum { NCCL_FLOAT32 = 7, NCCL_SUM = 0 };
static struct {
    void *dl;
    nccl_result (*init_all)(struct ncclComm **, int, const int *);
    nccl_result (*all_reduce)(const void *, void *, size_t, int, int, struct ncclComm *,
                              cudaStream_t);
    nccl_result (*group_start)(void);
    nccl_result (*group_end)(void);
    nccl_result (*destroy)(struct ncclComm *);
    const char *(*error)(nccl_result);
} nccl;

static int nccl_load(lf_err *err)
{
    if (nccl.dl)
        return 0;
    const char *env = getenv("LF_NCCL_LIB");
    void *dl = dlopen(env && *env ? env : "libnccl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        return fail(err, ENOENT, "NCCL (several GPUs)", dlerror());
    *(void **)&nccl.init_all = dlsym(dl, "ncclCommInitAll");
    *(void **)&nccl.all_reduce = dlsym(dl, "ncclAllReduce");
    *(void **)&nccl.group_start = dlsym(dl, "ncclGroupStart");
    *(void **)&nccl.group_end = dlsym(dl, "ncclGroupEnd");
    *(void **)&nccl.destroy = dlsym(dl, "ncclCommDestroy");
    *(void **)&nccl.error = dlsym(dl, "ncclGetErrorString");
    if (!nccl.init_all || !nccl.all_reduce || !nccl.group_start || !nccl.group_end ||
        !nccl.destroy || !nccl.error) {
        dlclose(dl);
        return fail(err, ENOENT, "NCCL (several GPUs)", "a function is missing from the library");
    }
    nccl.dl = dl;   /* kept for the life of the process */
    return 0;
}

#define CN(call, what)                                                            \
    do {                                                                          \
        nccl_result e_ = (call);                                                  \
        if (e_ != 0)                                                              \
            return fail(err, EIO, what, nccl.error(e_));                          \
    } while (0)

/* One replica's buffers, on its own device. */
static void replica_free(lf_tcuda *t)
{
    if (!t)
        return;
    cudaSetDevice(t->dev);
    if (t->L)
        for (int l = 0; l < t->c.n_layer; l++) {
            layer_act *a = &t->L[l];
            void *ps[] = {a->x, a->xn1, a->rstd1, a->qkv, a->qrstd, a->krstd, a->qr, a->kr,
                          a->vb, a->P, a->o, a->xm, a->xn2, a->rstd2, a->gu, a->hh,
                          (void *)a->tab, a->lse};
            for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
                cudaFree(ps[i]);
        }
    free(t->L);
    void *ps[] = {t->p, t->g, t->m, t->v, t->ph, t->mask, t->cosb, t->sinb, t->tok, t->tgt,
                  t->xL, t->rstdf, t->xf, t->logits, t->dlog, t->S, t->dS, t->tmp, t->dres,
                  t->dres_h, t->dO, t->dq, t->dkh, t->dvh, t->dqkv, t->dgu, t->Dsum, t->acc, t->rowv};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        cudaFree(ps[i]);
    if (t->blas)
        cublasDestroy(t->blas);
    if (t->s)
        cudaStreamDestroy(t->s);
    free(t);
}

void lf_tcuda_free(lf_tcuda *t)
{
    if (!t)
        return;
    if (t->rep) {
        for (int r = t->gpus - 1; r > 0; r--) {
            if (t->rep[r] && t->rep[r]->comm)
                nccl.destroy(t->rep[r]->comm);
            replica_free(t->rep[r]);
        }
        free(t->rep);
    }
    if (t->comm)
        nccl.destroy(t->comm);
    replica_free(t);
}

/* One replica on device dev, as lf_tcuda_new for one GPU. */
static int replica_new(const lf_tcfg *c, const lf_topt *o, int dev, int max_tokens, int max_T,
                       const float *p, const float *m, const float *v, lf_tcuda **out,
                       lf_err *err)
{
    CK(cudaSetDevice(dev), "select device");
    lf_tcuda *t = (lf_tcuda *)calloc(1, sizeof *t);
    if (!t)
        return fail(err, ENOMEM, "host memory", "calloc");
    t->dev = dev;
    t->gpus = 1;
    t->c = *c;
    t->o = *o;
    lf_tcfg_offsets(c, &t->off);
    t->max_tokens = max_tokens;
    t->max_T = max_T;
    t->maxBH = (max_tokens / 1) * c->n_head;   /* B <= max_tokens */
    /* Attention through cuBLAS unless LF_TRAIN_ATTN=flash: the fused
     * kernels agree with the reference as closely but were slower on an
     * H100 (bench/RESULTS.md); tests run both. */
    const char *attn = getenv("LF_TRAIN_ATTN");
    t->flash = lf_k_flash_ok(c->head_dim) && attn && !strcmp(attn, "flash");
    size_t N = max_tokens, D = c->dim, hd = c->head_dim, F = c->ffn, V = c->vocab,
           H = c->n_head, KV = c->n_kv, Q = H * hd, K = KV * hd, n = t->off.n;
    size_t sq = t->flash ? 1 : N * H * max_T;   /* B*H*T*T <= N*H*max_T (cuBLAS path) */
    size_t big = D > F ? D : F;
    int rc = 0;
    if (cudaStreamCreate(&t->s) != cudaSuccess || cublasCreate(&t->blas) != CUBLAS_STATUS_SUCCESS ||
        cublasSetStream(t->blas, t->s) != CUBLAS_STATUS_SUCCESS) {
        replica_free(t);
        return fail(err, EIO, "init", "stream or cuBLAS handle");
    }
    t->L = (layer_act *)calloc(c->n_layer, sizeof *t->L);
    if (!t->L)
        rc = -1;
#define A(ptr, bytes) do { if (!rc && dalloc((void **)&(ptr), (bytes))) rc = -1; } while (0)
    A(t->p, n * 4); A(t->g, n * 4); A(t->m, n * 4); A(t->v, n * 4); A(t->ph, n * 2);
    A(t->mask, n); A(t->cosb, (size_t)max_T * hd / 2 * 4); A(t->sinb, (size_t)max_T * hd / 2 * 4);
    A(t->tok, N * 4); A(t->tgt, N * 4);
    for (int l = 0; !rc && l < c->n_layer; l++) {
        layer_act *a = &t->L[l];
        A(a->x, N * D * 4); A(a->xn1, N * D * 2); A(a->rstd1, N * 4);
        A(a->qkv, N * (Q + 2 * K) * 4); A(a->qrstd, N * H * 4); A(a->krstd, N * KV * 4);
        A(a->qr, N * Q * 2); A(a->kr, N * K * 2); A(a->vb, N * K * 2);
        A(a->P, sq * 2); A(a->o, N * Q * 2); A(a->xm, N * D * 4); A(a->xn2, N * D * 2);
        A(a->rstd2, N * 4); A(a->gu, N * 2 * F * 4); A(a->hh, N * F * 2);
        A(a->tab, t->flash ? 8 : (size_t)LF_AP_COUNT * LF_ATTN_MAX_BLOCKS * t->maxBH * sizeof(void *));
        A(a->lse, N * H * 4);
    }
    A(t->xL, N * D * 4); A(t->rstdf, N * 4); A(t->xf, N * D * 2);
    A(t->logits, N * V * 4); A(t->dlog, N * V * 2); A(t->S, sq * 4); A(t->dS, sq * 2);
    A(t->tmp, N * big * 4); A(t->dres, N * D * 4); A(t->dres_h, N * D * 2); A(t->dO, N * Q * 2);
    A(t->dq, N * Q * 4); A(t->dkh, N * Q * 4); A(t->dvh, N * Q * 4);
    A(t->dqkv, N * (Q + 2 * K) * 2); A(t->dgu, N * 2 * F * 2); A(t->Dsum, N * H * 4);
    A(t->acc, sizeof(lf_kacc)); A(t->rowv, N * 8);
#undef A
    if (rc) {
        replica_free(t);
        return fail(err, ENOMEM, "device memory", "cudaMalloc");
    }
    /* parameters, moments, decay mask (matrices), RoPE table (as ref.c) */
    uint8_t *mask = (uint8_t *)calloc(n, 1);
    float *cs = (float *)malloc((size_t)max_T * hd / 2 * 4 * 2);
    if (!mask || !cs) {
        free(mask);
        free(cs);
        replica_free(t);
        return fail(err, ENOMEM, "host memory", "malloc");
    }
    memset(mask, 1, V * D);
    for (int l = 0; l < c->n_layer; l++) {
        size_t b = t->off.l0 + (size_t)l * t->off.lstride;
        memset(mask + b + t->off.wqkv, 1, (Q + 2 * K) * D);
        memset(mask + b + t->off.wo, 1, D * Q);
        memset(mask + b + t->off.wgu, 1, 2 * F * D);
        memset(mask + b + t->off.wdown, 1, D * F);
    }
    if (!c->tied)
        memset(mask + t->off.out, 1, V * D);
    for (int tt = 0; tt < max_T; tt++)
        for (size_t i = 0; i < hd / 2; i++) {
            double ang = tt * pow((double)c->rope_base, -2.0 * (double)i / (double)hd);
            cs[tt * hd / 2 + i] = (float)cos(ang);
            cs[(size_t)max_T * hd / 2 + tt * hd / 2 + i] = (float)sin(ang);
        }
    cudaError_t ce = cudaMemcpy(t->mask, mask, n, cudaMemcpyHostToDevice);
    if (ce == cudaSuccess)
        ce = cudaMemcpy(t->cosb, cs, (size_t)max_T * hd / 2 * 4, cudaMemcpyHostToDevice);
    if (ce == cudaSuccess)
        ce = cudaMemcpy(t->sinb, cs + (size_t)max_T * hd / 2, (size_t)max_T * hd / 2 * 4,
                        cudaMemcpyHostToDevice);
    if (ce == cudaSuccess)
        ce = cudaMemcpy(t->p, p, n * 4, cudaMemcpyHostToDevice);
    if (ce == cudaSuccess)
        ce = m ? cudaMemcpy(t->m, m, n * 4, cudaMemcpyHostToDevice) : cudaMemset(t->m, 0, n * 4);
    if (ce == cudaSuccess)
        ce = v ? cudaMemcpy(t->v, v, n * 4, cudaMemcpyHostToDevice) : cudaMemset(t->v, 0, n * 4);
    free(mask);
    free(cs);
    if (ce != cudaSuccess) {
        replica_free(t);
        return fail(err, EIO, "upload", cudaGetErrorString(ce));
    }
    lf_k_to_bf16(t->s, t->ph, t->p, n);
    ce = cudaStreamSynchronize(t->s);
    if (ce != cudaSuccess) {
        replica_free(t);
        return fail(err, EIO, "init", cudaGetErrorString(ce));
    }
    *out = t;
    return 0;
}

int lf_tcuda_new(const lf_tcfg *c, const lf_topt *o, int gpus, int max_tokens, int max_T,
                 const float *p, const float *m, const float *v, lf_tcuda **out, lf_err *err)
{
    int have = lf_tcuda_devices();
    if (have < 1)
        return fail(err, ENODEV, "no CUDA device", "cudaGetDeviceCount");
    if (gpus < 1 || gpus > have) {
        char why[64];
        snprintf(why, sizeof why, "%d asked for, %d present", gpus, have);
        return fail(err, EINVAL, "number of GPUs", why);
    }
    if (c->head_dim > 256 || c->head_dim % 2 || c->n_head % c->n_kv || max_T > c->ctx ||
        max_T < 1 || max_tokens < max_T)
        return fail(err, EINVAL, "unsupported shape", "head_dim <= 256, even; T <= ctx");
    int rc;
    if (gpus > 1 && (rc = nccl_load(err)))
        return rc;
    lf_tcuda *t;
    if ((rc = replica_new(c, o, 0, max_tokens, max_T, p, m, v, &t, err)))
        return rc;
    if (gpus == 1) {
        *out = t;
        return 0;
    }
    /* Replicas on devices 0 .. gpus-1 start from the same weights and
     * moments; each step's summed gradients keep them equal. */
    t->gpus = gpus;
    t->rep = (lf_tcuda **)calloc(gpus, sizeof *t->rep);
    struct ncclComm **comms = (struct ncclComm **)calloc(gpus, sizeof *comms);
    int *devs = (int *)malloc(gpus * sizeof *devs);
    rc = !t->rep || !comms || !devs ? fail(err, ENOMEM, "host memory", "calloc") : 0;
    if (!rc)
        t->rep[0] = t;
    for (int r = 1; !rc && r < gpus; r++)
        rc = replica_new(c, o, r, max_tokens, max_T, p, m, v, &t->rep[r], err);
    for (int r = 0; r < gpus; r++)
        if (devs)
            devs[r] = r;
    if (!rc) {
        /* NVLink multicast stays off on shared hosts unless asked for */
        setenv("NCCL_NVLS_ENABLE", "0", 0);
        nccl_result e = nccl.init_all(comms, gpus, devs);
        if (e)
            rc = fail(err, EIO, "NCCL init", nccl.error(e));
        for (int r = 0; !rc && r < gpus; r++)
            t->rep[r]->comm = comms[r];
    }
    free(comms);
    free(devs);
    if (rc) {
        lf_tcuda_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int lf_tcuda_gpus(const lf_tcuda *t) { return t->gpus; }

/* Forward over the batch already on the device; with train, also the
 * cross-entropy gradient (dlog). Mirrors lf_tref_forward. */
static int forward(lf_tcuda *t, int B, int T, int train, float inv_n, lf_err *err)
{
    const lf_tcfg *c = &t->c;
    const lf_toffs *o = &t->off;
    int N = B * T, D = c->dim, hd = c->head_dim, F = c->ffn, V = c->vocab, H = c->n_head,
        KV = c->n_kv, Q = H * hd, K = KV * hd, QKV = Q + 2 * K, BH = B * H;
    float eps = c->eps, scale = 1.0f / sqrtf((float)hd);
    cudaStream_t s = t->s;
    int Tb, nb;
    attn_blocks(T, &Tb, &nb);
    if (!t->flash && (t->tab_B != B || t->tab_T != T)) {
        for (int l = 0; l < c->n_layer; l++) {
            layer_act *a = &t->L[l];
            lf_k_attn_ptrs(s, a->tab, B, H, KV, T, hd, Tb, nb, a->qr, a->kr, a->vb, t->S, a->P,
                           a->o, t->dO, t->dS, t->dq, t->dkh, t->dvh);
        }
        t->tab_B = B;
        t->tab_T = T;
    }
    lf_k_embed(s, t->L[0].x, t->p + o->emb, t->tok, N, D);
    lf_k_rmsnorm(s, NULL, t->L[0].x, NULL, t->p + o->l0 + o->attn_norm, t->L[0].xn1,
                 t->L[0].rstd1, N, D, eps);
    for (int l = 0; l < c->n_layer; l++) {
        layer_act *a = &t->L[l];
        size_t wb = o->l0 + (size_t)l * o->lstride;
        const float *w = t->p + wb;
        const bf16 *wh = t->ph + wb;
        CB(gemm(t, 0, 1, N, QKV, D, a->xn1, D, wh + o->wqkv, D, a->qkv, 0, QKV, 1, 0), "qkv");
        lf_k_qkv_fwd(s, a->qr, a->kr, a->vb, a->qrstd, a->krstd, a->qkv, w + o->q_norm,
                     w + o->k_norm, t->cosb, t->sinb, N, T, H, KV, hd, eps);
        /* S_bh = scale * q_bh k_bg^T; P = causal softmax; o_bh = P v_bg,
         * fused, or with cuBLAS: query block i (m rows) against keys 0 .. nk-1 */
        if (t->flash) {
            if (lf_k_flash_fwd(s, a->o, a->lse, a->qr, a->kr, a->vb, B, T, H, KV, hd, scale))
                return fail(err, EIO, "attention", "flash forward launch");
        }
        for (int i = 0; !t->flash && i < nb; i++) {
            int m = T - i * Tb < Tb ? T - i * Tb : Tb, nk = (i + 1) * Tb < T ? (i + 1) * Tb : T;
            CB(gemm_bh(t, BH, 0, 1, m, nk, hd, TAB(a, LF_AP_Q, i), Q, TAB(a, LF_AP_K, i), K,
                       TABW(a, LF_AP_S, i), 0, T, scale, 0), "scores");
        }
        if (!t->flash)
            lf_k_softmax(s, a->P, t->S, BH * T, T, Tb);
        for (int i = 0; !t->flash && i < nb; i++) {
            int m = T - i * Tb < Tb ? T - i * Tb : Tb, nk = (i + 1) * Tb < T ? (i + 1) * Tb : T;
            CB(gemm_bh(t, BH, 0, 0, m, hd, nk, TAB(a, LF_AP_P, i), T, TAB(a, LF_AP_V, i), K,
                       TABW(a, LF_AP_O, i), 1, Q, 1, 0), "attn out");
        }
        CB(gemm(t, 0, 1, N, D, Q, a->o, Q, wh + o->wo, Q, t->tmp, 0, D, 1, 0), "wo");
        lf_k_rmsnorm(s, a->xm, a->x, t->tmp, w + o->ffn_norm, a->xn2, a->rstd2, N, D, eps);
        CB(gemm(t, 0, 1, N, 2 * F, D, a->xn2, D, wh + o->wgu, D, a->gu, 0, 2 * F, 1, 0), "wgu");
        lf_k_swiglu(s, a->hh, a->gu, N, F);
        CB(gemm(t, 0, 1, N, D, F, a->hh, F, wh + o->wdown, F, t->tmp, 0, D, 1, 0), "wdown");
        if (l + 1 < c->n_layer)
            lf_k_rmsnorm(s, t->L[l + 1].x, a->xm, t->tmp, w + o->lstride + o->attn_norm,
                         t->L[l + 1].xn1, t->L[l + 1].rstd1, N, D, eps);
        else
            lf_k_rmsnorm(s, t->xL, a->xm, t->tmp, t->p + o->out_norm, t->xf, t->rstdf, N, D, eps);
    }
    CB(gemm(t, 0, 1, N, V, D, t->xf, D, t->ph + o->out, D, t->logits, 0, V, 1, 0), "logits");
    lf_k_xent(s, train ? t->dlog : NULL, t->logits, t->tgt, t->acc, N, V, inv_n, t->o.focal, t->rowv);
    CK(cudaGetLastError(), "forward kernels");
    return 0;
}

/* Mirrors lf_tref_backward; weight grads accumulate into t->g (zeroed). */
static int backward(lf_tcuda *t, int B, int T, lf_err *err)
{
    const lf_tcfg *c = &t->c;
    const lf_toffs *o = &t->off;
    int N = B * T, D = c->dim, hd = c->head_dim, F = c->ffn, V = c->vocab, H = c->n_head,
        KV = c->n_kv, Q = H * hd, K = KV * hd, QKV = Q + 2 * K, BH = B * H;
    float scale = 1.0f / sqrtf((float)hd);
    cudaStream_t s = t->s;
    float *G = t->g;
    int Tb, nb;
    attn_blocks(T, &Tb, &nb);
    float kbeta = nb > 1 ? 1.0f : 0.0f;   /* dk, dv sum over query blocks */
    /* logits = xf Wout^T */
    CB(gemm(t, 0, 0, N, D, V, t->dlog, V, t->ph + o->out, D, t->tmp, 0, D, 1, 0), "dxf");
    CB(gemm(t, 1, 0, V, D, N, t->dlog, V, t->xf, D, G + o->out, 0, D, 1, 1), "dWout");
    lf_k_rmsnorm_bwd(s, t->dres, t->dres_h, t->tmp, t->xL, t->p + o->out_norm, t->rstdf, N, D, 0);
    lf_k_rmsnorm_dw(s, G + o->out_norm, t->tmp, t->xL, t->rstdf, N, D);
    for (int l = c->n_layer - 1; l >= 0; l--) {
        layer_act *a = &t->L[l];
        size_t wb = o->l0 + (size_t)l * o->lstride;
        const float *w = t->p + wb;
        const bf16 *wh = t->ph + wb;
        float *gw = G + wb;
        /* x_next = xm + hh Wdown^T */
        CB(gemm(t, 0, 0, N, F, D, t->dres_h, D, wh + o->wdown, F, t->tmp, 0, F, 1, 0), "dhh");
        CB(gemm(t, 1, 0, D, F, N, t->dres_h, D, a->hh, F, gw + o->wdown, 0, F, 1, 1), "dWdown");
        lf_k_swiglu_bwd(s, t->dgu, t->tmp, a->gu, N, F);
        CB(gemm(t, 0, 0, N, D, 2 * F, t->dgu, 2 * F, wh + o->wgu, D, t->tmp, 0, D, 1, 0), "dxn2");
        CB(gemm(t, 1, 0, 2 * F, D, N, t->dgu, 2 * F, a->xn2, D, gw + o->wgu, 0, D, 1, 1), "dWgu");
        lf_k_rmsnorm_bwd(s, t->dres, t->dres_h, t->tmp, a->xm, w + o->ffn_norm, a->rstd2, N, D, 1);
        lf_k_rmsnorm_dw(s, gw + o->ffn_norm, t->tmp, a->xm, a->rstd2, N, D);
        /* xm = x + o Wo^T */
        CB(gemm(t, 0, 0, N, Q, D, t->dres_h, D, wh + o->wo, Q, t->dO, 1, Q, 1, 0), "dO");
        CB(gemm(t, 1, 0, D, Q, N, t->dres_h, D, a->o, Q, gw + o->wo, 0, Q, 1, 1), "dWo");
        /* attention: dP = dO v^T; dS; dq = dS k; dk = dS^T q; dv = P^T dO */
        if (t->flash) {
            if (lf_k_flash_bwd(s, t->dq, t->dkh, t->dvh, t->Dsum, a->qr, a->kr, a->vb, a->o,
                               t->dO, a->lse, B, T, H, KV, hd, scale))
                return fail(err, EIO, "attention", "flash backward launch");
        }
        for (int i = 0; !t->flash && i < nb; i++) {
            int m = T - i * Tb < Tb ? T - i * Tb : Tb, nk = (i + 1) * Tb < T ? (i + 1) * Tb : T;
            CB(gemm_bh(t, BH, 0, 1, m, nk, hd, TAB(a, LF_AP_DO, i), Q, TAB(a, LF_AP_V, i), K,
                       TABW(a, LF_AP_S, i), 0, T, 1, 0), "dP");
        }
        if (!t->flash) {
            lf_k_attn_dsum(s, t->Dsum, t->dO, a->o, B, T, H, hd);
            lf_k_softmax_bwd(s, t->dS, t->S, a->P, t->Dsum, BH * T, T, Tb, scale);
        }
        if (!t->flash && nb > 1) {
            CK(cudaMemsetAsync(t->dkh, 0, (size_t)N * Q * 4, s), "clear dk");
            CK(cudaMemsetAsync(t->dvh, 0, (size_t)N * Q * 4, s), "clear dv");
        }
        for (int i = 0; !t->flash && i < nb; i++) {
            int m = T - i * Tb < Tb ? T - i * Tb : Tb, nk = (i + 1) * Tb < T ? (i + 1) * Tb : T;
            CB(gemm_bh(t, BH, 0, 0, m, hd, nk, TAB(a, LF_AP_DS, i), T, TAB(a, LF_AP_K, i), K,
                       TABW(a, LF_AP_DQ, i), 0, Q, 1, 0), "dq");
            CB(gemm_bh(t, BH, 1, 0, nk, hd, m, TAB(a, LF_AP_DS, i), T, TAB(a, LF_AP_Q, i), Q,
                       TABW(a, LF_AP_DK, i), 0, Q, 1, kbeta), "dk");
            CB(gemm_bh(t, BH, 1, 0, nk, hd, m, TAB(a, LF_AP_P, i), T, TAB(a, LF_AP_DO, i), Q,
                       TABW(a, LF_AP_DV, i), 0, Q, 1, kbeta), "dv");
        }
        lf_k_qkv_bwd(s, t->dqkv, gw + o->q_norm, gw + o->k_norm, t->dq, t->dkh, t->dvh, a->qkv,
                     a->qrstd, a->krstd, w + o->q_norm, w + o->k_norm, t->cosb, t->sinb, N, T, H,
                     KV, hd);
        CB(gemm(t, 0, 0, N, D, QKV, t->dqkv, QKV, wh + o->wqkv, D, t->tmp, 0, D, 1, 0), "dxn1");
        CB(gemm(t, 1, 0, QKV, D, N, t->dqkv, QKV, a->xn1, D, gw + o->wqkv, 0, D, 1, 1), "dWqkv");
        lf_k_rmsnorm_bwd(s, t->dres, t->dres_h, t->tmp, a->x, w + o->attn_norm, a->rstd1, N, D, 1);
        lf_k_rmsnorm_dw(s, gw + o->attn_norm, t->tmp, a->x, a->rstd1, N, D);
    }
    lf_k_embed_bwd(s, G + o->emb, t->dres, t->tok, N, D);
    CK(cudaGetLastError(), "backward kernels");
    return 0;
}

/* Checks a batch against the sizes given at creation and counts its
 * targets. */
static int check_batch(const lf_tcuda *t, const lf_tbatch *b, long *cnt, lf_err *err)
{
    if (b->B < 1 || b->T < 1 || b->T > t->max_T || (long)b->B * b->T > t->max_tokens)
        return fail(err, EINVAL, "batch", "larger than the sizes given at creation");
    size_t N = (size_t)b->B * b->T;
    long k = 0;
    for (size_t i = 0; i < N; i++) {
        if (b->tok[i] < 0 || b->tok[i] >= t->c.vocab || b->tgt[i] >= t->c.vocab)
            return fail(err, EINVAL, "batch", "token id outside the vocabulary");
        k += b->tgt[i] >= 0;
    }
    *cnt = k;
    return 0;
}

/* Queues a checked batch's copy to the replica's device (current). */
static int upload(lf_tcuda *t, const lf_tbatch *b, lf_err *err)
{
    size_t N = (size_t)b->B * b->T;
    CK(cudaMemcpyAsync(t->tok, b->tok, N * 4, cudaMemcpyHostToDevice, t->s), "upload tokens");
    CK(cudaMemcpyAsync(t->tgt, b->tgt, N * 4, cudaMemcpyHostToDevice, t->s), "upload targets");
    CK(cudaMemsetAsync(t->acc, 0, sizeof(lf_kacc), t->s), "clear");
    return 0;
}

/* Replica r of a trainer (itself on one GPU). */
static lf_tcuda *replica(lf_tcuda *t, int r) { return t->rep ? t->rep[r] : t; }

/* Data parallel: replica r runs forward and backward on batch r, the
 * gradients are summed over the replicas (NCCL all-reduce), and each
 * replica applies the same clipping and AdamW update to its own copy. The
 * loss of every batch is divided by the targets of all of them, so the
 * summed gradient is the one of a single batch holding them all. The host
 * queues each replica's work without waiting, so the GPUs run at once. */
int lf_tcuda_step(lf_tcuda *t, long step, float lr, const lf_tbatch *b, double *loss,
                  double *gnorm, lf_err *err)
{
    int R = t->gpus, rc;
    long total = 0;
    for (int r = 0; r < R; r++) {
        long cnt;
        if ((rc = check_batch(t, &b[r], &cnt, err)))
            return rc;
        total += cnt;
    }
    size_t n = t->off.n;
    for (int r = 0; r < R; r++) {
        lf_tcuda *q = replica(t, r);
        CK(cudaSetDevice(q->dev), "select device");
        if ((rc = upload(q, &b[r], err)))
            return rc;
        CK(cudaMemsetAsync(q->g, 0, n * 4, q->s), "clear grads");
        if ((rc = forward(q, b[r].B, b[r].T, 1, total ? 1.0f / total : 0.0f, err)) ||
            (rc = backward(q, b[r].B, b[r].T, err)))
            return rc;
    }
    if (R > 1) {
        CN(nccl.group_start(), "NCCL group");
        for (int r = 0; r < R; r++) {
            lf_tcuda *q = replica(t, r);
            CN(nccl.all_reduce(q->g, q->g, n, NCCL_FLOAT32, NCCL_SUM, q->comm, q->s),
               "NCCL all-reduce");
        }
        CN(nccl.group_end(), "NCCL group");
    }
    const lf_topt *o = &t->o;
    float c1 = 1.0f - powf(o->beta1, (float)(step + 1)), c2 = 1.0f - powf(o->beta2, (float)(step + 1));
    double lsum = 0;
    for (int r = 0; r < R; r++) {
        lf_tcuda *q = replica(t, r);
        CK(cudaSetDevice(q->dev), "select device");
        lf_k_sumsq(q->s, q->acc, q->g, n);
        lf_k_adamw(q->s, q->p, q->ph, q->g, q->m, q->v, q->mask, q->acc, n, lr, o->beta1,
                   o->beta2, c1, c2, o->adam_eps, o->weight_decay, o->clip);
        CK(cudaGetLastError(), "optimizer kernels");
    }
    for (int r = R - 1; r >= 0; r--) {   /* replica 0's norm is the one reported */
        lf_tcuda *q = replica(t, r);
        CK(cudaSetDevice(q->dev), "select device");
        lf_kacc acc;
        CK(cudaMemcpyAsync(&acc, q->acc, sizeof acc, cudaMemcpyDeviceToHost, q->s), "download");
        CK(cudaStreamSynchronize(q->s), "step");
        lsum += acc.loss;
        if (gnorm)
            *gnorm = sqrt(acc.sumsq);
    }
    if (loss)
        *loss = total ? lsum / total : 0.0;
    return 0;
}

int lf_tcuda_eval(lf_tcuda *t, const int32_t *tok, const int32_t *tgt, int B, int T,
                  double *loss_sum, long *n_tgt, long *n_correct, lf_err *err)
{
    lf_tbatch b = {.B = B, .T = T, .tok = tok, .tgt = tgt, .n_tgt = 0};
    long cnt;
    int rc = check_batch(t, &b, &cnt, err);
    if (rc)
        return rc;
    CK(cudaSetDevice(t->dev), "select device");
    if ((rc = upload(t, &b, err)) || (rc = forward(t, B, T, 0, 0.0f, err)))
        return rc;
    lf_kacc acc;
    CK(cudaMemcpyAsync(&acc, t->acc, sizeof acc, cudaMemcpyDeviceToHost, t->s), "download");
    CK(cudaStreamSynchronize(t->s), "eval");
    *loss_sum += acc.loss;
    *n_tgt += (long)acc.n_tgt;
    *n_correct += (long)acc.correct;
    return 0;
}

int lf_tcuda_get(lf_tcuda *t, float *p, float *m, float *v, float *grads, lf_err *err)
{
    size_t n = t->off.n * 4;
    CK(cudaSetDevice(t->dev), "select device");
    if (p)
        CK(cudaMemcpy(p, t->p, n, cudaMemcpyDeviceToHost), "download params");
    if (m)
        CK(cudaMemcpy(m, t->m, n, cudaMemcpyDeviceToHost), "download moments");
    if (v)
        CK(cudaMemcpy(v, t->v, n, cudaMemcpyDeviceToHost), "download moments");
    if (grads)
        CK(cudaMemcpy(grads, t->g, n, cudaMemcpyDeviceToHost), "download grads");
    /* Replicas must hold the same weights bit for bit (same summed
     * gradients, same update): checked at each download of them. */
    if (p && t->gpus > 1) {
        float *q = (float *)malloc(n);
        if (!q)
            return fail(err, ENOMEM, "host memory", "malloc");
        for (int r = 1; r < t->gpus; r++) {
            cudaError_t e = cudaSetDevice(r);
            if (e == cudaSuccess)
                e = cudaMemcpy(q, t->rep[r]->p, n, cudaMemcpyDeviceToHost);
            if (e != cudaSuccess || memcmp(p, q, n)) {
                free(q);
                return e != cudaSuccess ? fail(err, EIO, "download params", cudaGetErrorString(e))
                                        : fail(err, EIO, "data parallel",
                                               "the GPUs' copies of the weights differ");
            }
        }
        free(q);
    }
    return 0;
}

static const lf_tcuda_api api = {LF_TCUDA_ABI, lf_tcuda_devices, lf_tcuda_new, lf_tcuda_free,
                                 lf_tcuda_gpus, lf_tcuda_step, lf_tcuda_eval, lf_tcuda_get};

const lf_tcuda_api *lf_tcuda_api_get(void) { return &api; }
