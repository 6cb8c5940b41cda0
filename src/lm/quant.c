/* quant.c: scalar fp16/bf16/Q8_0 conversions (see quant.h for the rules). */
#include "lm/quant.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t lf_fp32_to_fp16(float f)
{
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u)                 /* NaN: keep it quiet and non-zero */
        return sign | 0x7e00 | (uint16_t)((ax >> 13) & 0x3ff);
    if (ax >= 0x477ff000u)                /* >= 65520 rounds to infinity */
        return sign | 0x7c00;
    if (ax >= 0x38800000u) {              /* normal half: >= 2^-14 */
        uint32_t r = ax - ((uint32_t)(127 - 15) << 23);
        r += 0xfffu + ((r >> 13) & 1u);   /* round to nearest even */
        return sign | (uint16_t)(r >> 13);
    }
    /* Subnormal half: value = k * 2^-24; |f| * 2^24 is exact in fp32, so
     * rounding it to an integer (ties to even) gives k (1024 = smallest normal). */
    float k = nearbyintf(bits_f32(ax) * 16777216.0f);
    return sign | (uint16_t)k;
}

float lf_fp16_to_fp32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0) {
        float v = (float)m * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    if (e == 31)
        return bits_f32(sign | 0x7f800000u | (m << 13));
    return bits_f32(sign | ((e + 112) << 23) | (m << 13));
}

uint16_t lf_fp32_to_bf16(float f)
{
    uint32_t x = f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 64);  /* NaN: force quiet */
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

float lf_bf16_to_fp32(uint16_t h)
{
    return bits_f32((uint32_t)h << 16);
}

void lf_fp32_to_fp16_row(const float *src, uint16_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = lf_fp32_to_fp16(src[i]);
}

void lf_fp16_to_fp32_row(const uint16_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = lf_fp16_to_fp32(src[i]);
}

void lf_fp32_to_bf16_row(const float *src, uint16_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = lf_fp32_to_bf16(src[i]);
}

void lf_bf16_to_fp32_row(const uint16_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = lf_bf16_to_fp32(src[i]);
}

int lf_q8_0_quantize_row(const float *src, void *dst, size_t n)
{
    if (n % LF_Q8_0_BLOCK)
        return -EINVAL;
    uint8_t *out = dst;
    for (size_t b = 0; b < n / LF_Q8_0_BLOCK; b++) {
        const float *x = src + b * LF_Q8_0_BLOCK;
        uint8_t *blk = out + b * LF_Q8_0_BYTES;
        float amax = 0.0f;
        for (int j = 0; j < LF_Q8_0_BLOCK; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        uint16_t dh = lf_fp32_to_fp16(d);
        memcpy(blk, &dh, 2);
        for (int j = 0; j < LF_Q8_0_BLOCK; j++) {
            int8_t q = (int8_t)roundf(x[j] * id);
            memcpy(blk + 2 + j, &q, 1);
        }
    }
    return 0;
}

int lf_q8_0_dequantize_row(const void *src, float *dst, size_t n)
{
    if (n % LF_Q8_0_BLOCK)
        return -EINVAL;
    const uint8_t *in = src;
    for (size_t b = 0; b < n / LF_Q8_0_BLOCK; b++) {
        const uint8_t *blk = in + b * LF_Q8_0_BYTES;
        uint16_t dh;
        memcpy(&dh, blk, 2);
        float d = lf_fp16_to_fp32(dh);
        for (int j = 0; j < LF_Q8_0_BLOCK; j++) {
            int8_t q;
            memcpy(&q, blk + 2 + j, 1);
            dst[b * LF_Q8_0_BLOCK + j] = d * (float)q;
        }
    }
    return 0;
}

void lf_q8x_quantize_row(const float *src, int64_t n, uint8_t *dst)
{
    int64_t nb = n / LF_Q8_0_BLOCK;
    int64_t ng = (nb + LF_Q8X_GROUP - 1) / LF_Q8X_GROUP;
    for (int64_t g = 0; g < ng; g++) {
        uint8_t *gq = dst + (size_t)g * LF_Q8X_GROUP_BYTES;
        float ds[LF_Q8X_GROUP];
        int32_t cs[LF_Q8X_GROUP];
        for (int j = 0; j < LF_Q8X_GROUP; j++) {
            int64_t b = g * LF_Q8X_GROUP + j;
            int8_t q[LF_Q8_0_BLOCK] = {0};
            float d = 0.0f;
            if (b < nb) {
                const float *x = src + b * LF_Q8_0_BLOCK;
                float amax = 0.0f;
                for (int i = 0; i < LF_Q8_0_BLOCK; i++) {
                    float a = fabsf(x[i]);
                    if (a > amax) /* NaN never wins (as the SIMD max) */
                        amax = a;
                }
                d = amax / 127.0f;
                float id = d != 0.0f ? 1.0f / d : 0.0f;
                for (int i = 0; i < LF_Q8_0_BLOCK; i++) {
                    float v = x[i] * id;
                    v = v > -127.0f ? v : -127.0f; /* NaN -> -127 */
                    v = v < 127.0f ? v : 127.0f;
                    q[i] = (int8_t)nearbyintf(v);
                }
            }
            ds[j] = d;
            cs[j] = 0;
            for (int k = 0; k < 8; k++)
                for (int e = 0; e < 4; e++) {
                    memcpy(gq + (k * 8 + j) * 4 + e, &q[4 * k + e], 1);
                    cs[j] -= 128 * q[4 * k + e];
                }
        }
        memcpy(gq + 256, ds, sizeof ds);
        memcpy(gq + 288, cs, sizeof cs);
    }
}
