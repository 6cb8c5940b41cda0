/* attn_avx512.c: the batched attention of attn_simd.h on 16-lane AVX-512F
 * vectors, matching the AVX-512 kernel table (kernels_avx512.c) bit for
 * bit. Compiled with -mavx512f -mfma -mf16c; used only where that table is. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "lm/attn.h"

typedef __m512 V;
#define VL 16
#define AFN(name) attn512_##name
#define V_ZERO() _mm512_setzero_ps()
#define V_SET1(s) _mm512_set1_ps(s)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps((p), (v))
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_MUL(a, b) _mm512_mul_ps((a), (b))
#define V_LOAD_F16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
/* blocks per score tile for 1..4 queries (32 registers: at most 12 chains) */
#define SC_NB1 8
#define SC_NB2 6
#define SC_NB3 4
#define SC_NB4 3
#define SC_GRP 24 /* K blocks kept in L1 while the query chunks pass */
#define MQ 4 /* queries per mix tile: 16 accumulators */

#include "lm/attn_simd.h"

lf_attn_fn lf_attn_avx512(void)
{
    return lf_kern_avx512() ? attn512_attn : NULL;
}
