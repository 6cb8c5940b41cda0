/* attn_avx2.c: the batched attention of attn_simd.h on 8-lane AVX2 vectors,
 * matching the AVX2 kernel table (kernels_avx2.c) bit for bit. Compiled
 * with -mavx2 -mfma -mf16c; used only where that table is. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "lm/attn.h"

#include "lm/vec_avx2.h"

#define AFN(name) attn256_##name
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
