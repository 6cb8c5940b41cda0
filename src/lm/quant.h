/* quant.h: scalar reference conversions between fp32 and the GGUF tensor
 * element types we use (F16, BF16, Q8_0). These are the executable spec the
 * SIMD and CUDA kernels are checked against; they follow ggml's definitions:
 *   F16:  IEEE binary16, round-to-nearest-even, overflow to inf, NaN kept NaN.
 *   BF16: top 16 bits of fp32 rounded to nearest even; NaN stays a quiet NaN.
 *   Q8_0: blocks of 32 values: fp16 scale d = max|x| / 127, then 32 int8
 *         q = round(x / d) (ties away from zero); x ~= d * q. 34 bytes a block.
 * Pure functions; thread-safe. Byte layouts are little-endian.
 */
#ifndef LF_LM_QUANT_H
#define LF_LM_QUANT_H

#include <stddef.h>
#include <stdint.h>

#define LF_Q8_0_BLOCK 32          /* values per Q8_0 block */
#define LF_Q8_0_BYTES 34          /* bytes per Q8_0 block: fp16 d + 32 x int8 */

uint16_t lf_fp32_to_fp16(float f);
float lf_fp16_to_fp32(uint16_t h);
uint16_t lf_fp32_to_bf16(float f);
float lf_bf16_to_fp32(uint16_t h);

/* Row conversions: n values; dst holds n elements of the target type. */
void lf_fp32_to_fp16_row(const float *src, uint16_t *dst, size_t n);
void lf_fp16_to_fp32_row(const uint16_t *src, float *dst, size_t n);
void lf_fp32_to_bf16_row(const float *src, uint16_t *dst, size_t n);
void lf_bf16_to_fp32_row(const uint16_t *src, float *dst, size_t n);

/* Q8_0: n must be a multiple of 32; dst holds n / 32 * 34 bytes.
 * Returns 0, or -EINVAL if n is not a multiple of 32. */
int lf_q8_0_quantize_row(const float *src, void *dst, size_t n);
int lf_q8_0_dequantize_row(const void *src, float *dst, size_t n);

/* Q8X: activations quantised for the integer products with Q8_0 weights
 * (lf_kern.matmul_q8, kernels.h). A row of n values (n a multiple of 32)
 * is nb = n / 32 blocks; per block
 *     d = max|x| / 127 (fp32),  id = d != 0 ? 1 / d : 0,
 *     q = round-half-even(clamp(x * id, -127, 127))   (NaN -> -127),
 * so x ~= d * q with |q| <= 127. Blocks are stored in groups of 8 (the last
 * group padded with q = 0, d = 0), LF_Q8X_GROUP_BYTES bytes a group:
 *     bytes [0, 256): byte (k * 8 + j) * 4 + e = q[block j][4 * k + e]
 *                     (int8: block j's k-th 4-byte piece in 32-bit lane j,
 *                     j, k in [0, 8), e in [0, 4));
 *     bytes [256, 288): fp32 d of blocks 0..7;
 *     bytes [288, 320): int32 -128 * sum(q) of blocks 0..7 (for products
 *                     with the weights offset to unsigned, w + 128).
 * The interleaving puts each block in its own 32-bit lane of a 256-bit
 * vector, so integer dot products need no horizontal sums. */
#define LF_Q8X_GROUP 8            /* blocks per group */
#define LF_Q8X_GROUP_BYTES 320    /* 8 * 32 quants + 8 fp32 scales + 8 int32 sums */

/* Bytes of one quantised row of n values (n % 32 == 0). */
static inline size_t lf_q8x_row_bytes(int64_t n)
{
    size_t nb = (size_t)n / LF_Q8_0_BLOCK;
    return (nb + LF_Q8X_GROUP - 1) / LF_Q8X_GROUP * LF_Q8X_GROUP_BYTES;
}

/* The scalar reference quantiser (the SIMD ones in the kernel tables give
 * the same bytes): n values of src into lf_q8x_row_bytes(n) bytes of dst. */
void lf_q8x_quantize_row(const float *src, int64_t n, uint8_t *dst);

#endif
