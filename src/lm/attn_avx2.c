/* attn_avx2.c: the batched attention of attn_simd.h on 8-lane AVX2 vectors,
 * matching the AVX2 kernel table (kernels_avx2.c) bit for bit. Compiled
 * with -mavx2 -mfma -mf16c; used only where that table is. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "lm/attn.h"

typedef __m256 V;
#define VL 8
#define AFN(name) attn256_##name
#define V_ZERO() _mm256_setzero_ps()
#define V_SET1(s) _mm256_set1_ps(s)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps((p), (v))
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_MUL(a, b) _mm256_mul_ps((a), (b))
#define V_LOAD_F16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
/* blocks per score tile for 1..4 queries (16 registers, 2 per K block row:
 * at most 8 chains) */
#define SC_NB1 4
#define SC_NB2 2
#define SC_NB3 1
#define SC_NB4 1
#define SC_GRP 24 /* K blocks kept in L1 while the query chunks pass */
#define MQ 2 /* queries per mix tile: 8 accumulators */

#include "lm/attn_simd.h"

lf_attn_fn lf_attn_avx2(void)
{
    return lf_kern_avx2() ? attn256_attn : NULL;
}
