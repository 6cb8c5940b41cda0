/* repr.c: Python repr() of a str and its inverse (PROTOCOL.md §2: the path
 * argument of an operation line is spelled the way Python writes it).
 *
 * repr() picks single quotes unless the text holds ' and no ", escapes the
 * backslash and the chosen quote, writes \t \n \r, \xNN for other ASCII
 * controls and 0x7F, keeps printable non-ASCII raw and escapes the rest as
 * \xNN, \uXXXX or \UXXXXXXXX (printable per Python 3.11, printable.c). */
#include "proto/proto_int.h"

#include <errno.h>
#include <string.h>

/* Decodes one UTF-8 sequence at p[0..n); returns its length, or 0 if the
 * bytes there are not a valid sequence. */
static size_t utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned c = p[0];
    size_t k;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        k = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 2;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 3;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (k >= n)
        return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((p[j] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[j] & 0x3F);
    }
    if ((k == 2 && v < 0x800) || (k == 3 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return k + 1;
}

static int put_utf8(lf_buf *b, uint32_t cp)
{
    char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        t[0] = (char)(0xF0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return lf_buf_append(b, t, n);
}

int lf_proto_repr(const char *s, size_t n, lf_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    bool has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
    char q = (has_sq && !has_dq) ? '"' : '\'';
    int rc = lf_buf_putc(out, q);
    size_t i = 0;
    while (rc == 0 && i < n) {
        uint32_t cp;
        size_t k = utf8_next(p + i, n - i, &cp);
        if (k == 0) { /* an undecodable byte: surrogateescape */
            rc = lf_buf_printf(out, "\\udc%02x", 0x80 | p[i]);
            i++;
            continue;
        }
        if (cp == (uint32_t)q || cp == '\\') {
            char e[2] = {'\\', (char)cp};
            rc = lf_buf_append(out, e, 2);
        } else if (cp == '\t') {
            rc = lf_buf_puts(out, "\\t");
        } else if (cp == '\n') {
            rc = lf_buf_puts(out, "\\n");
        } else if (cp == '\r') {
            rc = lf_buf_puts(out, "\\r");
        } else if (lf_proto_cp_printable(cp)) {
            rc = lf_buf_append(out, p + i, k);
        } else if (cp <= 0xFF) {
            rc = lf_buf_printf(out, "\\x%02x", (unsigned)cp);
        } else if (cp <= 0xFFFF) {
            rc = lf_buf_printf(out, "\\u%04x", (unsigned)cp);
        } else {
            rc = lf_buf_printf(out, "\\U%08x", (unsigned)cp);
        }
        i += k;
    }
    return rc ? rc : lf_buf_putc(out, q);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads exactly k hex digits at s[0..n). */
static int read_hex(const char *s, size_t n, size_t k, uint32_t *v)
{
    if (n < k)
        return -1;
    uint32_t x = 0;
    for (size_t j = 0; j < k; j++) {
        int h = hexval(s[j]);
        if (h < 0)
            return -1;
        x = (x << 4) | (uint32_t)h;
    }
    *v = x;
    return 0;
}

int lf_proto_unrepr(const char *s, size_t n, size_t *used, lf_buf *out, lf_err *err)
{
    if (n == 0 || (s[0] != '\'' && s[0] != '"'))
        return lf_err_set(err, EINVAL, "expected a quoted string");
    char q = s[0];
    size_t i = 1;
    int rc = 0;
    while (rc == 0) {
        if (i >= n)
            return lf_err_set(err, EINVAL, "unterminated string");
        char c = s[i];
        if (c == q) {
            *used = i + 1;
            return 0;
        }
        if (c == '\n' || c == '\r')
            return lf_err_set(err, EINVAL, "raw line break in a quoted string at %zu", i);
        if (c != '\\') {
            rc = lf_buf_putc(out, c);
            i++;
            continue;
        }
        if (i + 1 >= n)
            return lf_err_set(err, EINVAL, "unterminated escape");
        char e = s[i + 1];
        uint32_t v;
        i += 2;
        switch (e) {
        case '\\': case '\'': case '"':
            rc = lf_buf_putc(out, e);
            break;
        case 'n': rc = lf_buf_putc(out, '\n'); break;
        case 'r': rc = lf_buf_putc(out, '\r'); break;
        case 't': rc = lf_buf_putc(out, '\t'); break;
        case 'a': rc = lf_buf_putc(out, '\a'); break;
        case 'b': rc = lf_buf_putc(out, '\b'); break;
        case 'f': rc = lf_buf_putc(out, '\f'); break;
        case 'v': rc = lf_buf_putc(out, '\v'); break;
        case '\n': break; /* line continuation */
        case 'x': case 'u': case 'U': {
            size_t k = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            if (read_hex(s + i, n - i, k, &v))
                return lf_err_set(err, EINVAL, "bad \\%c escape at %zu", e, i - 2);
            i += k;
            if (v >= 0xDC80 && v <= 0xDCFF) /* surrogateescape: one raw byte */
                rc = lf_buf_putc(out, (char)(v & 0xFF));
            else if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
                return lf_err_set(err, EINVAL, "code point %#x not allowed at %zu",
                                  (unsigned)v, i - k - 2);
            else
                rc = put_utf8(out, v);
            break;
        }
        default:
            if (e >= '0' && e <= '7') { /* octal, up to 3 digits */
                v = (uint32_t)(e - '0');
                for (int j = 0; j < 2 && i < n && s[i] >= '0' && s[i] <= '7'; j++)
                    v = v * 8 + (uint32_t)(s[i++] - '0');
                rc = put_utf8(out, v);
            } else { /* Python keeps an unknown escape as is */
                char t[2] = {'\\', e};
                rc = lf_buf_append(out, t, 2);
            }
        }
    }
    return rc;
}
