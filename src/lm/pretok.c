/* pretok.c: the Qwen2 pre-tokenizer (see pretok.h for the pattern).
 *
 * The text is first decoded into code points (invalid UTF-8: one byte, one
 * "other" character). At each position the branches of the pattern are
 * tried in order, as a backtracking regex engine would, and the first that
 * matches gives the piece; the comments show what each branch reduces to.
 */
#include "lm/pretok.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

int lf_uni_class(uint32_t cp)
{
    if (cp < 128) {
        if (cp >= 'a' && cp <= 'z') return LF_UC_LETTER;
        if (cp >= 'A' && cp <= 'Z') return LF_UC_LETTER;
        if (cp >= '0' && cp <= '9') return LF_UC_NUMBER;
        if (cp == ' ' || (cp >= 9 && cp <= 13)) return LF_UC_SPACE;
        return LF_UC_OTHER;
    }
    size_t lo = 0, hi = lf_uni_n_ranges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < lf_uni_ranges[mid].lo)
            hi = mid;
        else if (cp > lf_uni_ranges[mid].hi)
            lo = mid + 1;
        else
            return lf_uni_ranges[mid].cls;
    }
    return LF_UC_OTHER;
}

/* Decodes one strict UTF-8 character at s[0..n) (n >= 1); returns its byte
 * length, or 0 if the bytes there are not a valid character. */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t k;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { k = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { k = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { k = 4; v = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return k;
}

/* Per code point: its class, whether it is \r or \n, its value when ASCII
 * (0 otherwise; invalid bytes are 0 with class OTHER) and its byte offset. */
typedef struct ch {
    uint32_t off;
    uint8_t cls;
    uint8_t ascii;
} ch;

static bool is_crlf(const ch *c) { return c->ascii == '\r' || c->ascii == '\n'; }

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Length in code points of the piece starting at i (of n); always >= 1. */
static size_t match_at(const ch *v, size_t i, size_t n)
{
    const ch *c = &v[i];
    /* (?i:'s|'t|'re|'ve|'m|'ll|'d) */
    if (c->ascii == '\'' && i + 1 < n) {
        int a = lower(v[i + 1].ascii);
        if (a == 's' || a == 't' || a == 'm' || a == 'd')
            return 2;
        if (i + 2 < n) {
            int b = lower(v[i + 2].ascii);
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
                return 3;
        }
    }
    /* [^\r\n\p{L}\p{N}]?\p{L}+ : an optional lead that is neither a letter, a
     * number nor CR/LF, then letters. */
    size_t j = i;
    if (c->cls != LF_UC_LETTER && c->cls != LF_UC_NUMBER && !is_crlf(c) && i + 1 < n &&
        v[i + 1].cls == LF_UC_LETTER)
        j = i + 1;
    if (v[j].cls == LF_UC_LETTER) {
        while (j < n && v[j].cls == LF_UC_LETTER)
            j++;
        return j - i;
    }
    /* \p{N} : one number character */
    if (c->cls == LF_UC_NUMBER)
        return 1;
    /*  ?[^\s\p{L}\p{N}]+[\r\n]* : optional space, "other" characters, then CR/LF */
    j = i;
    if (c->ascii == ' ' && i + 1 < n && v[i + 1].cls == LF_UC_OTHER)
        j = i + 1;
    if (v[j].cls == LF_UC_OTHER) {
        while (j < n && v[j].cls == LF_UC_OTHER)
            j++;
        while (j < n && is_crlf(&v[j]))
            j++;
        return j - i;
    }
    /* Only whitespace is left. Let [i, e) be the whitespace run. */
    size_t e = i;
    while (e < n && v[e].cls == LF_UC_SPACE)
        e++;
    /* \s*[\r\n]+ : backtracking leaves the run up to its last CR/LF */
    for (size_t k = e; k > i; k--)
        if (is_crlf(&v[k - 1]))
            return k - i;
    /* \s+(?!\S) : the whole run at the end of text, else all but its last */
    if (e == n)
        return e - i;
    if (e - i >= 2)
        return e - i - 1;
    /* \s+ */
    return e - i;
}

int lf_pretok_split(const char *text, size_t len, lf_pretok_fn fn, void *ctx)
{
    if (!len)
        return 0;
    if (len > UINT32_MAX - 1)
        return -E2BIG;
    ch *v = malloc((len + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    const unsigned char *s = (const unsigned char *)text;
    size_t n = 0;
    for (size_t o = 0; o < len;) {
        uint32_t cp;
        size_t k = utf8_char(s + o, len - o, &cp);
        v[n].off = (uint32_t)o;
        if (k) {
            v[n].cls = (uint8_t)lf_uni_class(cp);
            v[n].ascii = cp < 128 ? (uint8_t)cp : 0;
        } else {
            k = 1;
            v[n].cls = LF_UC_OTHER;
            v[n].ascii = 0;
        }
        n++;
        o += k;
    }
    v[n].off = (uint32_t)len;
    v[n].cls = LF_UC_OTHER;   /* sentinel: never read as part of a match */
    v[n].ascii = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc;) {
        size_t m = match_at(v, i, n);
        rc = fn(ctx, text + v[i].off, v[i + m].off - v[i].off);
        i += m;
    }
    free(v);
    return rc;
}
