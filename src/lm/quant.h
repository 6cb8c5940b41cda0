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

#endif
