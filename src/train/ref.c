/* ref.c: the CPU reference trainer (ref.h): forward and backward in double
 * precision, written in the order the data flows. Shapes: N = B*T positions,
 * D model width, H query heads and KV key/value heads of hd dims (Q = H*hd,
 * K = KV*hd), F feed-forward width, V vocabulary. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/ref.h"

typedef struct lf_tlayer_act {
    double *x;      /* [N][D]   layer input (residual stream) */
    double *xn1;    /* [N][D]   attn_norm(x) */
    double *rstd1;  /* [N] */
    double *qkv;    /* [N][Q+2K] projections, before the head norms */
    double *qrstd;  /* [N][H] */
    double *krstd;  /* [N][KV] */
    double *qr;     /* [N][Q]   q after head norm and RoPE */
    double *kr;     /* [N][K]   k after head norm and RoPE */
    double *att;    /* [B][H][T][T] softmax probabilities (causal) */
    double *o;      /* [N][Q]   attention output */
    double *xm;     /* [N][D]   x + o Wo^T */
    double *xn2;    /* [N][D]   ffn_norm(xm) */
    double *rstd2;  /* [N] */
    double *gu;     /* [N][2F]  gate | up */
    double *hh;     /* [N][F]   silu(gate) * up */
} lf_tlayer_act;

struct lf_tref {
    lf_tcfg c;
    lf_toffs o;
    int max_tokens, maxT, B, T;
    lf_tlayer_act *L;
    double *xL, *xf, *rstdf, *logits, *probs;   /* [N][D], [N][D], [N], [N][V], [N][V] */
    const int32_t *tok, *tgt;                   /* last forward's batch (caller's) */
    long n_tgt;
    double *grads;                              /* [n_params] */
    float *gradf;                               /* [n_params], for the step */
    /* backward scratch */
    double *dres, *dtmp, *dqkv, *dqr, *dkr, *dO, *dgu, *dhh, *dlog;
    double *rope_cos, *rope_sin;                /* [maxT][hd/2] */
};

static double *dalloc(size_t n, int *fail)
{
    double *p = calloc(n ? n : 1, sizeof(double));
    if (!p)
        *fail = 1;
    return p;
}

int lf_tref_new(const lf_tcfg *cfg, int max_tokens, int maxT, lf_tref **out, lf_err *err)
{
    int rc = lf_tcfg_check(cfg, err);
    if (rc)
        return rc;
    if (maxT < 1 || maxT > cfg->ctx || max_tokens < maxT)
        return lf_err_set(err, EINVAL, "reference trainer: %d tokens of at most %d outside 1..ctx",
                          max_tokens, maxT);
    lf_tref *r = calloc(1, sizeof *r);
    if (!r)
        return lf_err_set(err, ENOMEM, "reference trainer: out of memory");
    r->c = *cfg;
    lf_tcfg_offsets(cfg, &r->o);
    r->max_tokens = max_tokens;
    r->maxT = maxT;
    size_t N = (size_t)max_tokens, D = cfg->dim, hd = cfg->head_dim, F = cfg->ffn,
           V = cfg->vocab, H = cfg->n_head, KV = cfg->n_kv, Q = H * hd, K = KV * hd;
    int fail = 0;
    r->L = calloc((size_t)cfg->n_layer, sizeof *r->L);
    if (!r->L)
        fail = 1;
    for (int l = 0; !fail && l < cfg->n_layer; l++) {
        lf_tlayer_act *a = &r->L[l];
        a->x = dalloc(N * D, &fail);
        a->xn1 = dalloc(N * D, &fail);
        a->rstd1 = dalloc(N, &fail);
        a->qkv = dalloc(N * (Q + 2 * K), &fail);
        a->qrstd = dalloc(N * H, &fail);
        a->krstd = dalloc(N * KV, &fail);
        a->qr = dalloc(N * Q, &fail);
        a->kr = dalloc(N * K, &fail);
        a->att = dalloc(N * H * maxT, &fail);   /* B*T*H*T <= N*H*maxT */
        a->o = dalloc(N * Q, &fail);
        a->xm = dalloc(N * D, &fail);
        a->xn2 = dalloc(N * D, &fail);
        a->rstd2 = dalloc(N, &fail);
        a->gu = dalloc(N * 2 * F, &fail);
        a->hh = dalloc(N * F, &fail);
    }
    r->xL = dalloc(N * D, &fail);
    r->xf = dalloc(N * D, &fail);
    r->rstdf = dalloc(N, &fail);
    r->logits = dalloc(N * V, &fail);
    r->probs = dalloc(N * V, &fail);
    r->grads = dalloc(r->o.n, &fail);
    r->gradf = calloc(r->o.n, sizeof(float));
    if (!r->gradf)
        fail = 1;
    r->dres = dalloc(N * D, &fail);
    r->dtmp = dalloc(N * (D > F ? D : F), &fail);
    r->dqkv = dalloc(N * (Q + 2 * K), &fail);
    r->dqr = dalloc(N * Q, &fail);
    r->dkr = dalloc(N * K, &fail);
    r->dO = dalloc(N * Q, &fail);
    r->dgu = dalloc(N * 2 * F, &fail);
    r->dhh = dalloc(N * F, &fail);
    r->dlog = dalloc(N * V, &fail);
    r->rope_cos = dalloc((size_t)maxT * hd / 2, &fail);
    r->rope_sin = dalloc((size_t)maxT * hd / 2, &fail);
    if (fail) {
        lf_tref_free(r);
        return lf_err_set(err, ENOMEM, "reference trainer: out of memory for %d tokens", max_tokens);
    }
    for (int t = 0; t < maxT; t++)
        for (size_t i = 0; i < hd / 2; i++) {
            double ang = t * pow((double)cfg->rope_base, -2.0 * (double)i / (double)hd);
            r->rope_cos[t * hd / 2 + i] = cos(ang);
            r->rope_sin[t * hd / 2 + i] = sin(ang);
        }
    *out = r;
    return 0;
}

void lf_tref_free(lf_tref *r)
{
    if (!r)
        return;
    for (int l = 0; r->L && l < r->c.n_layer; l++) {
        lf_tlayer_act *a = &r->L[l];
        double *ps[] = {a->x, a->xn1, a->rstd1, a->qkv, a->qrstd, a->krstd, a->qr, a->kr,
                        a->att, a->o, a->xm, a->xn2, a->rstd2, a->gu, a->hh};
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
            free(ps[i]);
    }
    free(r->L);
    double *ps[] = {r->xL, r->xf, r->rstdf, r->logits, r->probs, r->grads, r->dres, r->dtmp,
                    r->dqkv, r->dqr, r->dkr, r->dO, r->dgu, r->dhh, r->dlog, r->rope_cos,
                    r->rope_sin};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        free(ps[i]);
    free(r->gradf);
    free(r);
}

/* y[n][o] = sum_i x[n][i] w[o][i]   (x [N][in], w [out][in], y [N][out]) */
static void mm(double *y, const double *x, const float *w, size_t N, size_t in, size_t out)
{
    for (size_t n = 0; n < N; n++)
        for (size_t o = 0; o < out; o++) {
            const double *xr = x + n * in;
            const float *wr = w + o * in;
            double s = 0;
            for (size_t i = 0; i < in; i++)
                s += xr[i] * wr[i];
            y[n * out + o] = s;
        }
}

/* Backward of mm: dx[n][i] = sum_o dy[n][o] w[o][i] (overwritten; dx may be
 * NULL) and dw[o][i] += sum_n dy[n][o] x[n][i]. */
static void mm_bwd(double *dx, double *dw, const double *dy, const double *x, const float *w,
                   size_t N, size_t in, size_t out)
{
    if (dx) {
        memset(dx, 0, N * in * sizeof(double));
        for (size_t n = 0; n < N; n++)
            for (size_t o = 0; o < out; o++) {
                double g = dy[n * out + o];
                const float *wr = w + o * in;
                double *dxr = dx + n * in;
                for (size_t i = 0; i < in; i++)
                    dxr[i] += g * wr[i];
            }
    }
    for (size_t n = 0; n < N; n++)
        for (size_t o = 0; o < out; o++) {
            double g = dy[n * out + o];
            const double *xr = x + n * in;
            double *dwr = dw + o * in;
            for (size_t i = 0; i < in; i++)
                dwr[i] += g * xr[i];
        }
}

/* RMSNorm of one row of n: y = x * rstd * w; returns rstd. */
static double rms_row(double *y, const double *x, const float *w, size_t n, double eps)
{
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += x[i] * x[i];
    double rstd = 1.0 / sqrt(ss / n + eps);
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] * rstd * w[i];
    return rstd;
}

/* Backward of rms_row: dx[i] += ..., dw[i] += dy[i] x[i] rstd. */
static void rms_row_bwd(double *dx, double *dw, const double *dy, const double *x,
                        const float *w, double rstd, size_t n)
{
    double dot = 0;
    for (size_t i = 0; i < n; i++) {
        dot += dy[i] * w[i] * x[i];
        dw[i] += dy[i] * x[i] * rstd;
    }
    double c = rstd * rstd * rstd * dot / n;
    for (size_t i = 0; i < n; i++)
        dx[i] += rstd * dy[i] * w[i] - x[i] * c;
}

/* NEOX RoPE on one head in place (pairs i and i+hd/2), or its transpose. */
static void rope(double *v, const double *cs, const double *sn, size_t hd, int inverse)
{
    size_t h2 = hd / 2;
    for (size_t i = 0; i < h2; i++) {
        double a = v[i], b = v[i + h2], c = cs[i], s = inverse ? -sn[i] : sn[i];
        v[i] = a * c - b * s;
        v[i + h2] = a * s + b * c;
    }
}

double lf_tref_forward(lf_tref *r, const float *p, const int32_t *tok, const int32_t *tgt,
                       int B, int T, long *n_tgt, long *n_correct)
{
    const lf_tcfg *c = &r->c;
    const lf_toffs *o = &r->o;
    size_t N = (size_t)B * T, D = c->dim, hd = c->head_dim, F = c->ffn, V = c->vocab,
           H = c->n_head, KV = c->n_kv, Q = H * hd, K = KV * hd, QKV = Q + 2 * K, rep = H / KV;
    double eps = c->eps, scale = 1.0 / sqrt((double)hd);
    if (B < 1 || T < 1 || T > r->maxT || (size_t)B * T > (size_t)r->max_tokens)
        return NAN;
    r->B = B;
    r->T = T;
    r->tok = tok;
    r->tgt = tgt;

    double *x = r->L[0].x;
    for (size_t n = 0; n < N; n++)
        for (size_t i = 0; i < D; i++)
            x[n * D + i] = p[o->emb + (size_t)tok[n] * D + i];

    for (int l = 0; l < c->n_layer; l++) {
        lf_tlayer_act *a = &r->L[l];
        const float *w = p + o->l0 + (size_t)l * o->lstride;
        double *xnext = l + 1 < c->n_layer ? r->L[l + 1].x : r->xL;
        for (size_t n = 0; n < N; n++)
            a->rstd1[n] = rms_row(a->xn1 + n * D, a->x + n * D, w + o->attn_norm, D, eps);
        mm(a->qkv, a->xn1, w + o->wqkv, N, D, QKV);
        for (size_t n = 0; n < N; n++) {
            size_t t = n % T;
            const double *cs = r->rope_cos + t * hd / 2, *sn = r->rope_sin + t * hd / 2;
            for (size_t h = 0; h < H; h++) {
                double *q = a->qr + n * Q + h * hd;
                a->qrstd[n * H + h] = rms_row(q, a->qkv + n * QKV + h * hd, w + o->q_norm, hd, eps);
                rope(q, cs, sn, hd, 0);
            }
            for (size_t g = 0; g < KV; g++) {
                double *k = a->kr + n * K + g * hd;
                a->krstd[n * KV + g] = rms_row(k, a->qkv + n * QKV + Q + g * hd, w + o->k_norm, hd, eps);
                rope(k, cs, sn, hd, 0);
            }
        }
        /* causal attention, query head h reads key/value head h / rep */
        memset(a->o, 0, N * Q * sizeof(double));
        for (size_t b = 0; b < (size_t)B; b++)
            for (size_t h = 0; h < H; h++)
                for (size_t t = 0; t < (size_t)T; t++) {
                    size_t g = h / rep, nq = b * T + t;
                    double *pr = a->att + ((b * H + h) * T + t) * T;
                    const double *q = a->qr + nq * Q + h * hd;
                    double mx = -INFINITY;
                    for (size_t t2 = 0; t2 <= t; t2++) {
                        const double *k = a->kr + (b * T + t2) * K + g * hd;
                        double s = 0;
                        for (size_t i = 0; i < hd; i++)
                            s += q[i] * k[i];
                        pr[t2] = s * scale;
                        if (pr[t2] > mx)
                            mx = pr[t2];
                    }
                    double sum = 0;
                    for (size_t t2 = 0; t2 <= t; t2++)
                        sum += pr[t2] = exp(pr[t2] - mx);
                    for (size_t t2 = 0; t2 < (size_t)T; t2++)
                        pr[t2] = t2 <= t ? pr[t2] / sum : 0;
                    double *out = a->o + nq * Q + h * hd;
                    for (size_t t2 = 0; t2 <= t; t2++) {
                        const double *v = a->qkv + (b * T + t2) * QKV + Q + K + g * hd;
                        for (size_t i = 0; i < hd; i++)
                            out[i] += pr[t2] * v[i];
                    }
                }
        mm(a->xm, a->o, w + o->wo, N, Q, D);
        for (size_t i = 0; i < N * D; i++)
            a->xm[i] += a->x[i];
        for (size_t n = 0; n < N; n++)
            a->rstd2[n] = rms_row(a->xn2 + n * D, a->xm + n * D, w + o->ffn_norm, D, eps);
        mm(a->gu, a->xn2, w + o->wgu, N, D, 2 * F);
        for (size_t n = 0; n < N; n++)
            for (size_t j = 0; j < F; j++) {
                double g = a->gu[n * 2 * F + j], u = a->gu[n * 2 * F + F + j];
                a->hh[n * F + j] = g / (1.0 + exp(-g)) * u;
            }
        mm(xnext, a->hh, w + o->wdown, N, F, D);
        for (size_t i = 0; i < N * D; i++)
            xnext[i] += a->xm[i];
    }
    for (size_t n = 0; n < N; n++)
        r->rstdf[n] = rms_row(r->xf + n * D, r->xL + n * D, p + o->out_norm, D, eps);
    mm(r->logits, r->xf, p + o->out, N, D, V);

    double loss = 0;
    long cnt = 0, correct = 0;
    for (size_t n = 0; n < N; n++) {
        const double *lg = r->logits + n * V;
        double *pr = r->probs + n * V;
        double mx = lg[0];
        size_t arg = 0;
        for (size_t v = 1; v < V; v++)
            if (lg[v] > mx) {
                mx = lg[v];
                arg = v;
            }
        double sum = 0;
        for (size_t v = 0; v < V; v++)
            sum += pr[v] = exp(lg[v] - mx);
        for (size_t v = 0; v < V; v++)
            pr[v] /= sum;
        if (tgt[n] >= 0) {
            loss += -(lg[tgt[n]] - mx - log(sum));
            cnt++;
            correct += (size_t)tgt[n] == arg;
        }
    }
    r->n_tgt = cnt;
    if (n_tgt)
        *n_tgt = cnt;
    if (n_correct)
        *n_correct = correct;
    return cnt ? loss / cnt : 0.0;
}

const double *lf_tref_logits(const lf_tref *r) { return r->logits; }
const double *lf_tref_grads(const lf_tref *r) { return r->grads; }

/* Row n's loss weight: 1, or (1 - p_target)^focal (train.h lf_topt.focal). */
static double loss_weight(const lf_tref *r, size_t n, float focal)
{
    if (focal <= 0)
        return 1.0;
    size_t V = r->c.vocab;
    return pow(fmax(1.0 - r->probs[n * V + (size_t)r->tgt[n]], 0.0), focal);
}

void lf_tref_backward(lf_tref *r, const float *p, float focal)
{
    const lf_tcfg *c = &r->c;
    const lf_toffs *o = &r->o;
    int B = r->B, T = r->T;
    size_t N = (size_t)B * T, D = c->dim, hd = c->head_dim, F = c->ffn, V = c->vocab,
           H = c->n_head, KV = c->n_kv, Q = H * hd, K = KV * hd, QKV = Q + 2 * K, rep = H / KV;
    double scale = 1.0 / sqrt((double)hd);
    double *G = r->grads;
    memset(G, 0, o->n * sizeof(double));

    /* cross-entropy: dlogits = w_n (softmax - onehot) / sum w on counted
     * rows; w_n = 1 (plain mean) or (1 - p_target)^focal */
    double wsum = 0;
    for (size_t n = 0; n < N; n++)
        if (r->tgt[n] >= 0)
            wsum += loss_weight(r, n, focal);
    for (size_t n = 0; n < N; n++) {
        double *d = r->dlog + n * V;
        if (r->tgt[n] < 0) {
            memset(d, 0, V * sizeof(double));
            continue;
        }
        double inv = wsum > 0 ? loss_weight(r, n, focal) / wsum : 0.0;
        for (size_t v = 0; v < V; v++)
            d[v] = r->probs[n * V + v] * inv;
        d[r->tgt[n]] -= inv;
    }
    mm_bwd(r->dtmp, G + o->out, r->dlog, r->xf, p + o->out, N, D, V);
    memset(r->dres, 0, N * D * sizeof(double));
    for (size_t n = 0; n < N; n++)
        rms_row_bwd(r->dres + n * D, G + o->out_norm, r->dtmp + n * D, r->xL + n * D,
                    p + o->out_norm, r->rstdf[n], D);

    for (int l = c->n_layer - 1; l >= 0; l--) {
        lf_tlayer_act *a = &r->L[l];
        const float *w = p + o->l0 + (size_t)l * o->lstride;
        double *gw = G + o->l0 + (size_t)l * o->lstride;
        /* x_next = xm + hh Wdown^T */
        mm_bwd(r->dhh, gw + o->wdown, r->dres, a->hh, w + o->wdown, N, F, D);
        for (size_t n = 0; n < N; n++)
            for (size_t j = 0; j < F; j++) {
                double g = a->gu[n * 2 * F + j], u = a->gu[n * 2 * F + F + j];
                double sg = 1.0 / (1.0 + exp(-g)), dh = r->dhh[n * F + j];
                r->dgu[n * 2 * F + j] = dh * u * sg * (1.0 + g * (1.0 - sg));
                r->dgu[n * 2 * F + F + j] = dh * g * sg;
            }
        mm_bwd(r->dtmp, gw + o->wgu, r->dgu, a->xn2, w + o->wgu, N, D, 2 * F);
        for (size_t n = 0; n < N; n++)
            rms_row_bwd(r->dres + n * D, gw + o->ffn_norm, r->dtmp + n * D, a->xm + n * D,
                        w + o->ffn_norm, a->rstd2[n], D);
        /* xm = x + o Wo^T */
        mm_bwd(r->dO, gw + o->wo, r->dres, a->o, w + o->wo, N, Q, D);
        /* attention */
        memset(r->dqr, 0, N * Q * sizeof(double));
        memset(r->dkr, 0, N * K * sizeof(double));
        memset(r->dqkv, 0, N * QKV * sizeof(double));
        for (size_t b = 0; b < (size_t)B; b++)
            for (size_t h = 0; h < H; h++)
                for (size_t t = 0; t < (size_t)T; t++) {
                    size_t g = h / rep, nq = b * T + t;
                    const double *pr = a->att + ((b * H + h) * T + t) * T;
                    const double *dout = r->dO + nq * Q + h * hd;
                    double dp[4096], dot = 0;
                    for (size_t t2 = 0; t2 <= t; t2++) {
                        size_t nk = b * T + t2;
                        const double *v = a->qkv + nk * QKV + Q + K + g * hd;
                        double *dv = r->dqkv + nk * QKV + Q + K + g * hd;
                        double s = 0;
                        for (size_t i = 0; i < hd; i++) {
                            s += dout[i] * v[i];
                            dv[i] += pr[t2] * dout[i];
                        }
                        dp[t2] = s;
                        dot += s * pr[t2];
                    }
                    const double *q = a->qr + nq * Q + h * hd;
                    double *dq = r->dqr + nq * Q + h * hd;
                    for (size_t t2 = 0; t2 <= t; t2++) {
                        size_t nk = b * T + t2;
                        double ds = pr[t2] * (dp[t2] - dot) * scale;
                        const double *k = a->kr + nk * K + g * hd;
                        double *dk = r->dkr + nk * K + g * hd;
                        for (size_t i = 0; i < hd; i++) {
                            dq[i] += ds * k[i];
                            dk[i] += ds * q[i];
                        }
                    }
                }
        /* RoPE and the head norms, backwards */
        for (size_t n = 0; n < N; n++) {
            size_t t = n % T;
            const double *cs = r->rope_cos + t * hd / 2, *sn = r->rope_sin + t * hd / 2;
            for (size_t h = 0; h < H; h++) {
                double *dq = r->dqr + n * Q + h * hd;
                rope(dq, cs, sn, hd, 1);
                rms_row_bwd(r->dqkv + n * QKV + h * hd, gw + o->q_norm, dq,
                            a->qkv + n * QKV + h * hd, w + o->q_norm, a->qrstd[n * H + h], hd);
            }
            for (size_t g = 0; g < KV; g++) {
                double *dk = r->dkr + n * K + g * hd;
                rope(dk, cs, sn, hd, 1);
                rms_row_bwd(r->dqkv + n * QKV + Q + g * hd, gw + o->k_norm, dk,
                            a->qkv + n * QKV + Q + g * hd, w + o->k_norm, a->krstd[n * KV + g], hd);
            }
        }
        mm_bwd(r->dtmp, gw + o->wqkv, r->dqkv, a->xn1, w + o->wqkv, N, D, QKV);
        for (size_t n = 0; n < N; n++)
            rms_row_bwd(r->dres + n * D, gw + o->attn_norm, r->dtmp + n * D, a->x + n * D,
                        w + o->attn_norm, a->rstd1[n], D);
    }
    for (size_t n = 0; n < N; n++)
        for (size_t i = 0; i < D; i++)
            G[o->emb + (size_t)r->tok[n] * D + i] += r->dres[n * D + i];
}

double lf_tref_step(lf_tref *r, const lf_topt *o, long step, float *p, float *m, float *v,
                    const uint8_t *decay_mask, const int32_t *tok, const int32_t *tgt,
                    int B, int T, double *gnorm)
{
    double loss = lf_tref_forward(r, p, tok, tgt, B, T, NULL, NULL);
    lf_tref_backward(r, p, o->focal);
    double ss = 0;
    for (size_t i = 0; i < r->o.n; i++) {
        r->gradf[i] = (float)r->grads[i];
        ss += (double)r->gradf[i] * r->gradf[i];
    }
    double norm = sqrt(ss);
    if (gnorm)
        *gnorm = norm;
    lf_adamw_step(o, step, lf_topt_lr(o, step), lf_clip_scale(o->clip, norm), r->o.n, p,
                  r->gradf, m, v, decay_mask);
    return loss;
}
