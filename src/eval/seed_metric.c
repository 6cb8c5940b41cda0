/* seed_metric.c: the original's sanitize_by_expected and its similarity
 * metrics, step for step (see seed_metric.h for the Python semantics kept).
 * Texts are worked on as arrays of code points ("ustr"), the way Python's
 * str is, and written back as UTF-8. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/seed_metric.h"
#include "util/json.h"

typedef struct ustr {
    uint32_t *v;
    size_t n, cap;
} ustr;

static void us_free(ustr *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static int us_push(ustr *s, uint32_t c)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        uint32_t *v = realloc(s->v, nc * sizeof *v);
        if (!v)
            return -ENOMEM;
        s->v = v;
        s->cap = nc;
    }
    s->v[s->n++] = c;
    return 0;
}

static int us_append(ustr *s, const uint32_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (us_push(s, v[i]))
            return -ENOMEM;
    return 0;
}

/* UTF-8 to code points; each byte of an invalid sequence becomes U+FFFD. */
static int us_decode(const char *p, size_t n, ustr *out)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    while (i < n) {
        uint32_t c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = len > 0 && i + len <= n;
        if (ok && len > 1) {
            c &= 0x7Fu >> len;
            for (size_t k = 1; k < len; k++) {
                if ((s[i + k] & 0xC0) != 0x80) {
                    ok = false;
                    break;
                }
                c = (c << 6) | (s[i + k] & 0x3F);
            }
            if (ok && ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
                       (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
                       (c >= 0xD800 && c <= 0xDFFF)))
                ok = false;
        }
        if (!ok) {
            c = 0xFFFD;
            len = 1;
        }
        if (us_push(out, c))
            return -ENOMEM;
        i += len;
    }
    return 0;
}

static int us_encode(const uint32_t *v, size_t n, lf_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t c = v[i];
        char b[4];
        size_t k;
        if (c < 0x80) {
            b[0] = (char)c;
            k = 1;
        } else if (c < 0x800) {
            b[0] = (char)(0xC0 | (c >> 6));
            b[1] = (char)(0x80 | (c & 0x3F));
            k = 2;
        } else if (c < 0x10000) {
            b[0] = (char)(0xE0 | (c >> 12));
            b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
            b[2] = (char)(0x80 | (c & 0x3F));
            k = 3;
        } else {
            b[0] = (char)(0xF0 | (c >> 18));
            b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
            b[2] = (char)(0x80 | ((c >> 6) & 0x3F));
            b[3] = (char)(0x80 | (c & 0x3F));
            k = 4;
        }
        int rc = lf_buf_append(out, b, k);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- Python's str predicates ------------------------------------------ */

/* str.isspace(): what strip() and split() remove. */
static bool py_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* str.splitlines() boundaries (\r\n counts as one, handled by the caller). */
static bool py_linebreak(uint32_t c)
{
    return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
           c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* str.lower() of one code point: writes 1 or 2 code points to o. */
static int py_lower(uint32_t c, uint32_t o[2])
{
    uint32_t r = c;
    if (c < 0x80) {
        if (c >= 'A' && c <= 'Z')
            r = c + 32;
    } else if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) {
        r = c + 32;
    } else if (c == 0x130) {
        o[0] = 'i';
        o[1] = 0x307;
        return 2;
    } else if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) {
        r = c % 2 == 0 ? c + 1 : c;
    } else if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
        r = c % 2 == 1 ? c + 1 : c;
    } else if (c == 0x178) {
        r = 0xFF;
    } else if (c == 0x386) {
        r = 0x3AC;
    } else if (c >= 0x388 && c <= 0x38A) {
        r = c + 37;
    } else if (c == 0x38C) {
        r = 0x3CC;
    } else if (c == 0x38E || c == 0x38F) {
        r = c + 63;
    } else if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) {
        r = c + 32;
    } else if (c >= 0x400 && c <= 0x40F) {
        r = c + 80;
    } else if (c >= 0x410 && c <= 0x42F) {
        r = c + 32;
    } else if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) ||
               (c >= 0x4D0 && c <= 0x52F)) {
        r = c % 2 == 0 ? c + 1 : c;
    } else if (c == 0x4C0) {
        r = 0x4CF;
    } else if (c >= 0x4C1 && c <= 0x4CE) {
        r = c % 2 == 1 ? c + 1 : c;
    } else if (c >= 0x531 && c <= 0x556) {
        r = c + 48;
    } else if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF)) {
        r = c % 2 == 0 ? c + 1 : c;
    } else if (c == 0x1E9E) {
        r = 0xDF;
    } else if (c == 0x2126) {
        r = 0x3C9;
    } else if (c == 0x212A) {
        r = 'k';
    } else if (c == 0x212B) {
        r = 0xE5;
    } else if (c >= 0x2160 && c <= 0x216F) {
        r = c + 16;
    } else if (c >= 0x24B6 && c <= 0x24CF) {
        r = c + 26;
    } else if (c >= 0xFF21 && c <= 0xFF3A) {
        r = c + 32;
    }
    o[0] = r;
    return 1;
}

/* re.IGNORECASE match of code point c against lower-case ASCII letter p
 * (or any other ASCII byte, matched as itself), with sre's extra folds. */
static bool ci_eq(uint32_t c, char p)
{
    if (c == (uint32_t)(unsigned char)p)
        return true;
    if (p >= 'a' && p <= 'z') {
        if (c == (uint32_t)(p - 32))
            return true;
        if (p == 'i' && (c == 0x130 || c == 0x131))
            return true;
        if (p == 'k' && c == 0x212A)
            return true;
        if (p == 's' && c == 0x17F)
            return true;
    }
    return false;
}

/* Does lit (lower-case ASCII) match v at i, ignoring case? */
static bool ci_at(const uint32_t *v, size_t n, size_t i, const char *lit)
{
    for (size_t k = 0; lit[k]; k++)
        if (i + k >= n || !ci_eq(v[i + k], lit[k]))
            return false;
    return true;
}

/* Exact (case-sensitive) match of ASCII lit at i. */
static bool lit_at(const uint32_t *v, size_t n, size_t i, const char *lit)
{
    for (size_t k = 0; lit[k]; k++)
        if (i + k >= n || v[i + k] != (uint32_t)(unsigned char)lit[k])
            return false;
    return true;
}

/* Bounds of s.strip() inside v[0..n): [*b, *e). */
static void strip_bounds(const uint32_t *v, size_t n, size_t *b, size_t *e)
{
    size_t i = 0, j = n;
    while (i < j && py_space(v[i]))
        i++;
    while (j > i && py_space(v[j - 1]))
        j--;
    *b = i;
    *e = j;
}

/* Replaces s by s.strip(). */
static void us_strip(ustr *s)
{
    size_t b, e;
    strip_bounds(s->v, s->n, &b, &e);
    if (b)
        memmove(s->v, s->v + b, (e - b) * sizeof *s->v);
    s->n = e - b;
}

static void us_rstrip(ustr *s)
{
    while (s->n && py_space(s->v[s->n - 1]))
        s->n--;
}

static bool us_eq(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    return na == nb && (na == 0 || !memcmp(a, b, na * sizeof *a));
}

/* Position of needle in hay at or after from, or SIZE_MAX (str.find). */
static size_t us_find(const uint32_t *hay, size_t nh, const uint32_t *nd, size_t nn, size_t from)
{
    if (nn == 0)
        return from <= nh ? from : SIZE_MAX;
    for (size_t i = from; i + nn <= nh; i++)
        if (hay[i] == nd[0] && !memcmp(hay + i, nd, nn * sizeof *nd))
            return i;
    return SIZE_MAX;
}

static size_t lit_find(const uint32_t *v, size_t n, const char *lit, size_t from)
{
    for (size_t i = from; i < n; i++)
        if (lit_at(v, n, i, lit))
            return i;
    return SIZE_MAX;
}

/* ---- postprocess.py --------------------------------------------------- */

/* strip_think: re.sub(r"<think>[\s\S]*?(</think>|$)", "", text, flags=I),
 * then drop lines whose strip().lower() starts with "<think", join with
 * "\n", strip. */
static int strip_think(ustr *s)
{
    if (s->n == 0)
        return 0;
    ustr t = {0};
    size_t i = 0, n = s->n;
    const uint32_t *v = s->v;
    int rc = 0;
    while (!rc) {
        size_t st = SIZE_MAX;
        for (size_t k = i; k + 7 <= n; k++)
            if (ci_at(v, n, k, "<think>")) {
                st = k;
                break;
            }
        if (st == SIZE_MAX) {
            rc = us_append(&t, v + i, n - i);
            break;
        }
        rc = us_append(&t, v + i, st - i);
        size_t end = n;
        for (size_t q = st + 7; q <= n; q++) {
            if (ci_at(v, n, q, "</think>")) {
                end = q + 8;
                break;
            }
            /* `$` without MULTILINE: the end, or just before a final "\n" */
            if (q == n || (q == n - 1 && v[q] == '\n')) {
                end = q;
                break;
            }
        }
        i = end;
    }
    /* splitlines, filter, "\n".join */
    ustr j = {0};
    size_t a = 0, nlines = 0;
    while (!rc && a < t.n) {
        size_t b = a;
        while (b < t.n && !py_linebreak(t.v[b]))
            b++;
        size_t lb, le;
        strip_bounds(t.v + a, b - a, &lb, &le);
        uint32_t low[16];
        size_t nl = 0;
        for (size_t k = a + lb; k < a + le && nl < 8; k++) {
            uint32_t o[2];
            int m = py_lower(t.v[k], o);
            for (int x = 0; x < m; x++)
                low[nl++] = o[x];
        }
        bool think = nl >= 6 && lit_at(low, nl, 0, "<think");
        if (!think) {
            if (nlines++)
                rc = us_push(&j, '\n');
            if (!rc)
                rc = us_append(&j, t.v + a, b - a);
        }
        if (b < t.n && t.v[b] == '\r' && b + 1 < t.n && t.v[b + 1] == '\n')
            b++;
        a = b + 1;
    }
    us_free(&t);
    if (rc) {
        us_free(&j);
        return rc;
    }
    us_strip(&j);
    us_free(s);
    *s = j;
    return 0;
}

/* _strip_chatter: cut at the first [EOF], or "Answer:"/"Explanation:" at a
 * line start (re.I | re.M), then strip. */
static void strip_chatter(ustr *s)
{
    if (s->n == 0)
        return;
    for (size_t i = 0; i < s->n; i++) {
        bool bol = i == 0 || s->v[i - 1] == '\n';
        if (ci_at(s->v, s->n, i, "[eof]") ||
            (bol && (ci_at(s->v, s->n, i, "answer:") || ci_at(s->v, s->n, i, "explanation:")))) {
            s->n = i;
            break;
        }
    }
    us_strip(s);
}

static bool is_state_expected(const ustr *e)
{
    size_t i = 0;
    while (i < e->n && py_space(e->v[i]))
        i++;
    return lit_at(e->v, e->n, i, "<filesystem") || lit_at(e->v, e->n, i, "/");
}

/* strip_state_stop_token: rstrip, drop a trailing "<END_FS>", rstrip. */
static void strip_stop(ustr *s)
{
    if (s->n == 0)
        return;
    us_rstrip(s);
    if (s->n >= 8 && lit_at(s->v, s->n, s->n - 8, "<END_FS>")) {
        s->n -= 8;
        us_rstrip(s);
    }
}

/* sanitize_state_output: the first <filesystem ...</filesystem> block of
 * the stripped text (or from <filesystem to the end), else the stripped text. */
static void sanitize_state(ustr *s)
{
    if (s->n == 0)
        return;
    us_strip(s);
    size_t st = lit_find(s->v, s->n, "<filesystem", 0);
    if (st == SIZE_MAX)
        return;
    size_t en = lit_find(s->v, s->n, "</filesystem>", st);
    size_t end = en == SIZE_MAX ? s->n : en + 13;
    memmove(s->v, s->v + st, (end - st) * sizeof *s->v);
    s->n = end - st;
    us_strip(s);
}

/* clamp_to_expected: returns expected.strip() when it is a prefix or a
 * substring of predicted.strip(), else predicted.strip(); "" when the
 * expectation strips to nothing. Result replaces *p. */
static int clamp(ustr *p, const ustr *e)
{
    size_t eb, ee;
    strip_bounds(e->v, e->n, &eb, &ee);
    us_strip(p);
    if (ee == eb) {
        p->n = 0;
        return 0;
    }
    if (us_find(p->v, p->n, e->v + eb, ee - eb, 0) != SIZE_MAX) { /* prefix or substring */
        p->n = 0;
        return us_append(p, e->v + eb, ee - eb);
    }
    return 0;
}

/* A JSON value's identity for Python's Counter: strings by content,
 * numbers by value (True == 1, False == 0), None; arrays and objects are
 * unhashable (-1). */
static int json_key(const lf_json *j, lf_buf *out)
{
    switch (j->type) {
    case LF_JSON_STR:
        return lf_buf_putc(out, 's') || lf_buf_append(out, j->str, j->len) ? -ENOMEM : 0;
    case LF_JSON_NUM: return lf_buf_printf(out, "n%.17g", j->num);
    case LF_JSON_BOOL: return lf_buf_puts(out, j->b ? "n1" : "n0");
    case LF_JSON_NULL: return lf_buf_puts(out, "z");
    default: return -1;
    }
}

static int cmp_str(const void *a, const void *b)
{
    const lf_buf *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->data, y->data, n) : 0;
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Sorted multiset keys of a JSON array text; NULL (and *n = SIZE_MAX) when
 * it is not a JSON array or holds unhashable elements. */
static lf_buf *json_multiset(const uint32_t *v, size_t n, size_t *count)
{
    *count = SIZE_MAX;
    lf_buf txt;
    lf_buf_init(&txt, 0);
    lf_json *j = NULL;
    lf_err err;
    lf_buf *keys = NULL;
    if (us_encode(v, n, &txt) || lf_json_parse(txt.data ? txt.data : "", txt.len, &j, &err) ||
        j->type != LF_JSON_ARR)
        goto out;
    keys = calloc(j->n ? j->n : 1, sizeof *keys);
    if (!keys)
        goto out;
    for (size_t i = 0; i < j->n; i++) {
        lf_buf_init(&keys[i], 0);
        if (json_key(&j->items[i], &keys[i]) || lf_buf_putc(&keys[i], 0)) {
            for (size_t k = 0; k <= i; k++)
                lf_buf_free(&keys[k]);
            free(keys);
            keys = NULL;
            goto out;
        }
    }
    qsort(keys, j->n, sizeof *keys, cmp_str);
    *count = j->n;
out:
    lf_json_free(j);
    lf_buf_free(&txt);
    return keys;
}

static void keys_free(lf_buf *k, size_t n)
{
    if (!k)
        return;
    for (size_t i = 0; i < n; i++)
        lf_buf_free(&k[i]);
    free(k);
}

/* sanitize_readdir_output: the expected array when one of the bracketed
 * substrings equals it or is the same multiset, else the first one, else
 * the stripped text. */
static int sanitize_readdir(ustr *p, const ustr *e)
{
    if (p->n == 0)
        return 0;
    us_strip(p);
    size_t eb, ee;
    strip_bounds(e->v, e->n, &eb, &ee);
    /* re.findall(r"\[[\s\S]*?\]", text): non-overlapping [ ... first ] */
    size_t first_b = SIZE_MAX, first_e = 0;
    size_t ne = SIZE_MAX, nc;
    lf_buf *ek = NULL;
    bool have_ek = false, hit = false;
    for (int pass = 0; pass < 2 && !hit; pass++) {
        size_t i = 0;
        while (i < p->n && !hit) {
            if (p->v[i] != '[') {
                i++;
                continue;
            }
            size_t j = i + 1;
            while (j < p->n && p->v[j] != ']')
                j++;
            if (j == p->n)
                break;
            size_t len = j + 1 - i;
            if (first_b == SIZE_MAX) {
                first_b = i;
                first_e = j + 1;
            }
            if (pass == 0) {
                hit = us_eq(p->v + i, len, e->v + eb, ee - eb);
            } else {
                if (!have_ek) {
                    ek = json_multiset(e->v + eb, ee - eb, &ne);
                    have_ek = true;
                    if (!ek)
                        break;
                }
                lf_buf *ck = json_multiset(p->v + i, len, &nc);
                if (ck && nc == ne) {
                    hit = true;
                    for (size_t k = 0; k < nc && hit; k++)
                        hit = !cmp_str(&ck[k], &ek[k]);
                }
                keys_free(ck, nc == SIZE_MAX ? 0 : nc);
            }
            i = j + 1;
        }
    }
    keys_free(ek, ne == SIZE_MAX ? 0 : ne);
    if (hit) {
        p->n = 0;
        return us_append(p, e->v + eb, ee - eb);
    }
    if (first_b != SIZE_MAX) {
        memmove(p->v, p->v + first_b, (first_e - first_b) * sizeof *p->v);
        p->n = first_e - first_b;
        us_strip(p);
    }
    return 0;
}

static int sanitize(ustr *p, const ustr *e)
{
    int rc = strip_think(p);
    if (rc)
        return rc;
    strip_chatter(p);
    size_t eb, ee;
    strip_bounds(e->v, e->n, &eb, &ee);
    if (eb == ee) {
        p->n = 0;
        return 0;
    }
    if (is_state_expected(e)) {
        ustr ce = {0};
        if (us_append(&ce, e->v, e->n))
            return -ENOMEM;
        strip_stop(&ce);
        sanitize_state(p);
        strip_stop(p);
        rc = clamp(p, &ce);
        us_free(&ce);
        return rc;
    }
    if (e->v[eb] == '[') {
        rc = sanitize_readdir(p, e);
        return rc ? rc : clamp(p, e);
    }
    return clamp(p, e);
}

int lf_seedm_sanitize(const char *pred, size_t plen, const char *exp, size_t elen, lf_buf *out)
{
    ustr p = {0}, e = {0};
    int rc = us_decode(pred, plen, &p);
    if (!rc)
        rc = us_decode(exp, elen, &e);
    if (!rc)
        rc = sanitize(&p, &e);
    if (!rc)
        rc = us_encode(p.v, p.n, out);
    if (!rc && !out->data)
        rc = lf_buf_append(out, "", 0);
    us_free(&p);
    us_free(&e);
    return rc;
}

int lf_seedm_expected_for_metrics(const char *exp, size_t elen, lf_buf *out)
{
    ustr e = {0};
    int rc = us_decode(exp, elen, &e);
    if (!rc && is_state_expected(&e))
        strip_stop(&e);
    if (!rc)
        rc = us_encode(e.v, e.n, out);
    if (!rc && !out->data)
        rc = lf_buf_append(out, "", 0);
    us_free(&e);
    return rc;
}

bool lf_seedm_exact(const char *a, size_t na, const char *b, size_t nb)
{
    ustr x = {0}, y = {0};
    bool eq = false;
    if (!us_decode(a, na, &x) && !us_decode(b, nb, &y)) {
        us_strip(&x);
        us_strip(&y);
        eq = us_eq(x.v, x.n, y.v, y.n);
    }
    us_free(&x);
    us_free(&y);
    return eq;
}

/* " ".join(s.split()) */
static int collapse(const ustr *s, ustr *out)
{
    size_t i = 0;
    bool first = true;
    while (i < s->n) {
        while (i < s->n && py_space(s->v[i]))
            i++;
        if (i == s->n)
            break;
        size_t j = i;
        while (j < s->n && !py_space(s->v[j]))
            j++;
        if (!first && us_push(out, ' '))
            return -ENOMEM;
        if (us_append(out, s->v + i, j - i))
            return -ENOMEM;
        first = false;
        i = j;
    }
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* set(s.lower()) as a sorted array without duplicates. */
static int char_set(const ustr *s, ustr *set)
{
    for (size_t i = 0; i < s->n; i++) {
        uint32_t o[2];
        int m = py_lower(s->v[i], o);
        for (int k = 0; k < m; k++)
            if (us_push(set, o[k]))
                return -ENOMEM;
    }
    if (set->n)
        qsort(set->v, set->n, sizeof *set->v, cmp_u32);
    size_t w = 0;
    for (size_t i = 0; i < set->n; i++)
        if (w == 0 || set->v[w - 1] != set->v[i])
            set->v[w++] = set->v[i];
    set->n = w;
    return 0;
}

double lf_seedm_similarity(const char *a, size_t na, const char *b, size_t nb)
{
    if (na == 0 && nb == 0)
        return 1.0;
    if (na == 0 || nb == 0)
        return 0.0;
    double r = -1.0;
    ustr x = {0}, y = {0}, cx = {0}, cy = {0}, sx = {0}, sy = {0};
    if (us_decode(a, na, &x) || us_decode(b, nb, &y))
        goto out;
    size_t xb, xe, yb, ye;
    strip_bounds(x.v, x.n, &xb, &xe);
    strip_bounds(y.v, y.n, &yb, &ye);
    if (us_eq(x.v + xb, xe - xb, y.v + yb, ye - yb)) {
        r = 1.0;
        goto out;
    }
    if (collapse(&x, &cx) || collapse(&y, &cy))
        goto out;
    if (us_eq(cx.v, cx.n, cy.v, cy.n)) {
        r = 1.0;
        goto out;
    }
    if (char_set(&cx, &sx) || char_set(&cy, &sy))
        goto out;
    if (sx.n == 0 && sy.n == 0) {
        r = 1.0;
        goto out;
    }
    size_t i = 0, j = 0, inter = 0, uni = 0;
    while (i < sx.n || j < sy.n) {
        if (j == sy.n || (i < sx.n && sx.v[i] < sy.v[j]))
            i++;
        else if (i == sx.n || sy.v[j] < sx.v[i])
            j++;
        else {
            inter++;
            i++;
            j++;
        }
        uni++;
    }
    r = uni ? (double)inter / (double)uni : 0.0;
out:
    us_free(&x);
    us_free(&y);
    us_free(&cx);
    us_free(&cy);
    us_free(&sx);
    us_free(&sy);
    return r;
}

void lf_seedm_result_free(lf_seedm_result *r)
{
    if (!r)
        return;
    free(r->predicted);
    memset(r, 0, sizeof *r);
}

int lf_seedm_score(const char *raw, size_t rlen, const char *expected, size_t elen,
                   lf_seedm_result *r)
{
    memset(r, 0, sizeof *r);
    lf_buf p, e;
    lf_buf_init(&p, 0);
    lf_buf_init(&e, 0);
    int rc = lf_seedm_sanitize(raw, rlen, expected, elen, &p);
    if (!rc)
        rc = lf_seedm_expected_for_metrics(expected, elen, &e);
    if (!rc) {
        r->similarity = lf_seedm_similarity(p.data, p.len, e.data, e.len);
        if (r->similarity < 0)
            rc = -ENOMEM;
    }
    if (!rc) {
        r->correct = r->similarity > 0.7;
        r->exact = lf_seedm_exact(p.data, p.len, e.data, e.len);
        r->predicted = lf_buf_steal(&p, &r->predicted_len);
    }
    lf_buf_free(&p);
    lf_buf_free(&e);
    return rc;
}
