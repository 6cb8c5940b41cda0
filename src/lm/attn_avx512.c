/* attn_avx512.c: the batched attention of attn_simd.h on 16-lane AVX-512F
 * vectors, matching the AVX-512 kernel table (kernels_avx512.c) bit for
 * bit. Compiled with -mavx512f -mfma -mf16c; used only where that table is. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "lm/attn.h"

#include "lm/vec_avx512.h"

#define AFN(name) attn512_##name
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
