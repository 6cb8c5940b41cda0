/* kernels_nosimd.c: on CPUs other than x86-64 only the reference kernels
 * exist; the SIMD table getters say so. */
#include "lm/kernels.h"

const lf_kern *lf_kern_avx2(void)
{
    return NULL;
}

const lf_kern *lf_kern_avx512(void)
{
    return NULL;
}

const lf_kern *lf_kern_avx512_novnni(void)
{
    return NULL;
}

const lf_kern *lf_kern_avx512_vnni(void)
{
    return NULL;
}

const lf_kern *lf_kern_avx512_bf16(void)
{
    return NULL;
}
