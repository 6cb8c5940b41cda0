/* attn.c: the one-query path of attn.h and the choice of batched kernel
 * (attn_simd.h, instantiated by attn_avx2.c and attn_avx512.c). */
#include "lm/attn.h"

void lf_attn_each(const lf_kern *k, const void *kc, const void *vc, bool f16, int hd, int hv,
                  float scale, const lf_attn_q *qs, int nq, float *s, size_t lds)
{
    (void)lds;
    for (int i = 0; i < nq; i++) {
        k->attn_scores(kc, f16, qs[i].q, hd, qs[i].np, scale, s);
        k->softmax(s, qs[i].np);
        k->attn_mix(vc, f16, s, qs[i].np, hv, qs[i].out);
    }
}

lf_attn_fn lf_attn_for(const lf_kern *k)
{
    lf_attn_fn f = NULL;
    /* every AVX-512 table has the same float kernels */
    if (k && (k == lf_kern_avx512() || k == lf_kern_avx512_vnni() || k == lf_kern_avx512_bf16() ||
              k == lf_kern_avx512_novnni()))
        f = lf_attn_avx512();
    else if (k && k == lf_kern_avx2())
        f = lf_attn_avx2();
    return f ? f : lf_attn_each;
}

#if !defined(__x86_64__)
lf_attn_fn lf_attn_avx2(void)
{
    return NULL;
}

lf_attn_fn lf_attn_avx512(void)
{
    return NULL;
}
#endif
