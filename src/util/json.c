/* json.c: JSON reader and string writer (see json.h). */
#include "util/json.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

typedef struct {
    const char *s;
    size_t n, i;
    lf_err *err;
} parser;

static int fail(parser *p, const char *what)
{
    return lf_err_set(p->err, EINVAL, "json: %s at byte %zu", what, p->i);
}

static void skip_ws(parser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r'))
        p->i++;
}

static int hex4(parser *p, uint32_t *v)
{
    if (p->n - p->i < 4)
        return fail(p, "short \\u escape");
    uint32_t x = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        x <<= 4;
        if (c >= '0' && c <= '9')
            x |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            x |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            x |= (uint32_t)(c - 'A' + 10);
        else
            return fail(p, "bad hex digit in \\u escape");
    }
    *v = x;
    return 0;
}

static int put_utf8(lf_buf *b, uint32_t cp)
{
    unsigned char o[4];
    size_t k;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        o[0] = (unsigned char)(0xF0 | (cp >> 18));
        o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    return lf_buf_append(b, o, k);
}

static int parse_string(parser *p, char **out, size_t *len)
{
    lf_buf b;
    lf_buf_init(&b, 0);
    p->i++; /* opening quote */
    size_t start = p->i;
    int rc = 0;
    for (;;) {
        if (p->i >= p->n) {
            rc = fail(p, "unterminated string");
            goto out;
        }
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') {
            break;
        } else if (c < 0x20) {
            rc = fail(p, "raw control character in string");
            goto out;
        } else if (c != '\\') {
            size_t j = p->i;
            while (j < p->n && p->s[j] != '"' && p->s[j] != '\\' && (unsigned char)p->s[j] >= 0x20)
                j++;
            if ((rc = lf_buf_append(&b, p->s + p->i, j - p->i)))
                goto out;
            p->i = j;
            continue;
        }
        p->i++;
        if (p->i >= p->n) {
            rc = fail(p, "unterminated escape");
            goto out;
        }
        char e = p->s[p->i++];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            rc = lf_buf_putc(&b, map[simple - "\"\\/bfnrt"]);
        } else if (e == 'u') {
            uint32_t cp;
            if ((rc = hex4(p, &cp)))
                goto out;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u') {
                    rc = fail(p, "lone high surrogate");
                    goto out;
                }
                p->i += 2;
                if ((rc = hex4(p, &lo)))
                    goto out;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    rc = fail(p, "bad low surrogate");
                    goto out;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                rc = fail(p, "lone low surrogate");
                goto out;
            }
            rc = put_utf8(&b, cp);
        } else {
            rc = fail(p, "bad escape");
        }
        if (rc)
            goto out;
    }
    (void)start;
    p->i++; /* closing quote */
    if ((rc = lf_buf_append(&b, "", 0)))
        goto out;
    *out = lf_buf_steal(&b, len);
    return 0;
out:
    lf_buf_free(&b);
    return rc < 0 ? rc : -EINVAL;
}

static void free_inner(lf_json *j);

static int parse_value(parser *p, lf_json *v, int depth)
{
    memset(v, 0, sizeof *v);
    if (depth > LF_JSON_MAX_DEPTH)
        return fail(p, "nesting too deep");
    skip_ws(p);
    if (p->i >= p->n)
        return fail(p, "unexpected end");
    char c = p->s[p->i];
    if (c == '"') {
        v->type = LF_JSON_STR;
        return parse_string(p, &v->str, &v->len);
    }
    if (c == '[' || c == '{') {
        bool obj = c == '{';
        v->type = obj ? LF_JSON_OBJ : LF_JSON_ARR;
        p->i++;
        size_t cap = 0;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
            p->i++;
            return 0;
        }
        for (;;) {
            if (v->n == cap) {
                cap = cap ? cap * 2 : 4;
                lf_json *ni = realloc(v->items, cap * sizeof *ni);
                if (!ni)
                    return -ENOMEM;
                v->items = ni;
                if (obj) {
                    char **nk = realloc(v->keys, cap * sizeof *nk);
                    if (!nk)
                        return -ENOMEM;
                    v->keys = nk;
                    size_t *nl = realloc(v->key_lens, cap * sizeof *nl);
                    if (!nl)
                        return -ENOMEM;
                    v->key_lens = nl;
                }
            }
            int rc;
            if (obj) {
                skip_ws(p);
                if (p->i >= p->n || p->s[p->i] != '"')
                    return fail(p, "expected object key");
                if ((rc = parse_string(p, &v->keys[v->n], &v->key_lens[v->n])))
                    return rc;
                skip_ws(p);
                if (p->i >= p->n || p->s[p->i] != ':') {
                    free(v->keys[v->n]);
                    return fail(p, "expected ':'");
                }
                p->i++;
            }
            rc = parse_value(p, &v->items[v->n], depth + 1);
            if (rc) {
                free_inner(&v->items[v->n]);
                if (obj)
                    free(v->keys[v->n]);
                return rc;
            }
            v->n++;
            skip_ws(p);
            if (p->i >= p->n)
                return fail(p, "unexpected end in container");
            if (p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->s[p->i] == (obj ? '}' : ']')) {
                p->i++;
                return 0;
            }
            return fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    static const struct { const char *w; lf_json_type t; bool b; } lits[] = {
        {"true", LF_JSON_BOOL, true}, {"false", LF_JSON_BOOL, false}, {"null", LF_JSON_NULL, false}};
    for (size_t k = 0; k < 3; k++) {
        size_t l = strlen(lits[k].w);
        if (p->n - p->i >= l && !memcmp(p->s + p->i, lits[k].w, l)) {
            v->type = lits[k].t;
            v->b = lits[k].b;
            p->i += l;
            return 0;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char tmp[64];
        size_t j = p->i, k = 0;
        while (j < p->n && k < sizeof tmp - 1 && strchr("+-0123456789.eE", p->s[j]) && p->s[j])
            tmp[k++] = p->s[j++];
        tmp[k] = 0;
        char *end;
        v->type = LF_JSON_NUM;
        v->num = strtod(tmp, &end);
        if (end != tmp + k || k == 0)
            return fail(p, "bad number");
        p->i = j;
        return 0;
    }
    return fail(p, "unexpected character");
}

static void free_inner(lf_json *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++) {
        free_inner(&j->items[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->key_lens);
    free(j->str);
}

int lf_json_parse(const char *s, size_t n, lf_json **out, lf_err *err)
{
    parser p = {s, n, 0, err};
    lf_json *v = calloc(1, sizeof *v);
    if (!v)
        return lf_err_set(err, ENOMEM, "json: out of memory");
    int rc = parse_value(&p, v, 0);
    if (!rc) {
        skip_ws(&p);
        if (p.i != n)
            rc = fail(&p, "trailing characters");
    }
    if (rc) {
        if (rc == -ENOMEM)
            lf_err_set(err, ENOMEM, "json: out of memory");
        lf_json_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

void lf_json_free(lf_json *j)
{
    if (!j)
        return;
    free_inner(j);
    free(j);
}

const lf_json *lf_json_get(const lf_json *obj, const char *key)
{
    if (!obj || obj->type != LF_JSON_OBJ)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < obj->n; i++)
        if (obj->key_lens[i] == kl && !memcmp(obj->keys[i], key, kl))
            return &obj->items[i];
    return NULL;
}

const char *lf_json_get_str(const lf_json *obj, const char *key, size_t *len)
{
    const lf_json *v = lf_json_get(obj, key);
    if (!v || v->type != LF_JSON_STR)
        return NULL;
    if (len)
        *len = v->len;
    return v->str;
}

long long lf_json_get_int(const lf_json *obj, const char *key, long long def)
{
    const lf_json *v = lf_json_get(obj, key);
    if (!v || v->type != LF_JSON_NUM)
        return def;
    return (long long)v->num;
}

int lf_json_write_str(lf_buf *out, const void *vs, size_t n, bool ensure_ascii)
{
    const unsigned char *s = vs;
    if (!lf_utf8_valid(s, n))
        return -EILSEQ;
    int rc = lf_buf_putc(out, '"');
    size_t i = 0;
    while (!rc && i < n) {
        unsigned c = s[i];
        size_t j = i;
        while (j < n && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\' && (s[j] < 0x80 || !ensure_ascii) &&
               s[j] != 0x7F)
            j++;
        if (j > i) {
            rc = lf_buf_append(out, s + i, j - i);
            i = j;
            continue;
        }
        switch (c) {
        case '"': rc = lf_buf_puts(out, "\\\""); i++; continue;
        case '\\': rc = lf_buf_puts(out, "\\\\"); i++; continue;
        case '\n': rc = lf_buf_puts(out, "\\n"); i++; continue;
        case '\r': rc = lf_buf_puts(out, "\\r"); i++; continue;
        case '\t': rc = lf_buf_puts(out, "\\t"); i++; continue;
        case '\b': rc = lf_buf_puts(out, "\\b"); i++; continue;
        case '\f': rc = lf_buf_puts(out, "\\f"); i++; continue;
        default: break;
        }
        if (c < 0x80) { /* other control bytes and DEL (Python leaves DEL raw) */
            if (c == 0x7F)
                rc = lf_buf_putc(out, 0x7F);
            else
                rc = lf_buf_printf(out, "\\u%04x", c);
            i++;
            continue;
        }
        /* non-ASCII with ensure_ascii: decode one code point */
        uint32_t cp;
        size_t k = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        cp = c & (k == 3 ? 0x07 : k == 2 ? 0x0F : 0x1F);
        for (size_t t = 1; t <= k; t++)
            cp = (cp << 6) | (s[i + t] & 0x3F);
        i += k + 1;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            rc = lf_buf_printf(out, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
        } else {
            rc = lf_buf_printf(out, "\\u%04x", cp);
        }
    }
    return rc ? rc : lf_buf_putc(out, '"');
}
