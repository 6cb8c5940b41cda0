/* text.c: UTF-8 validation and base64 (see text.h). */
#include "util/text.h"

#include <errno.h>
#include <stdint.h>

bool lf_utf8_valid(const void *vp, size_t n)
{
    const unsigned char *p = vp;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + k >= n)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

bool lf_text_needs_base64(const void *vp, size_t n)
{
    const unsigned char *p = vp;
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
            return true;
    }
    return !lf_utf8_valid(p, n);
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int lf_b64_encode(const void *vp, size_t n, lf_buf *out)
{
    const unsigned char *p = vp;
    int rc = lf_buf_reserve(out, (n + 2) / 3 * 4);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char q[4] = {b64chars[(v >> 18) & 63], b64chars[(v >> 12) & 63],
                     i + 1 < n ? b64chars[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64chars[v & 63] : '='};
        lf_buf_append(out, q, 4);
    }
    return lf_buf_append(out, "", 0);
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int lf_b64_decode(const char *s, size_t n, lf_buf *out)
{
    if (n % 4)
        return -EINVAL;
    int rc = lf_buf_reserve(out, n / 4 * 3);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)s[i + j];
            if (c == '=' && i + 4 == n && j >= 2) {
                v[j] = 0;
                pad++;
            } else {
                if (pad)
                    return -EINVAL;
                v[j] = b64val(c);
                if (v[j] < 0)
                    return -EINVAL;
            }
        }
        uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) | (uint32_t)v[3];
        unsigned char o[3] = {(unsigned char)(w >> 16), (unsigned char)(w >> 8), (unsigned char)w};
        /* canonical: the bits that padding drops must be zero */
        if ((pad == 1 && (w & 0xFF)) || (pad == 2 && (w & 0xFFFF)))
            return -EINVAL;
        lf_buf_append(out, o, (size_t)(3 - pad));
    }
    return lf_buf_append(out, "", 0);
}
