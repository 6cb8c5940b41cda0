/* bodylen.c: the constraints of state answers (bodylen.h): a
 * byte-at-a-time recogniser of the two things it constrains (a file body
 * after its size attribute; an element's name after its path) and the
 * token mask built on it. */
#include "proto/bodylen.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { OUT, TEXT, B64, CLOSE, NAME, OFF };

enum { T_LT = 1, T_AMP = 2, T_GT = 4, T_B64 = 8, T_NONE = 16, T_QUOTE = 32 };

struct lf_bodylen_vocab {
    int n;
    size_t *off;           /* token i's bytes: pool + off[i], len[i] */
    uint32_t *len;
    uint8_t *flags;        /* T_*: holds '<', '&', '>', '"'; all base64 letters; no text */
    char *pool;
    int32_t *sorted;       /* ids with text, by their bytes (lookup by text) */
    int n_sorted;
};

static const char CLOSE_TAG[] = "</body>";
static const char BODY_TEXT[] = "<body>";
static const char BODY_B64[] = "<body encoding=\"base64\">";
static const char SIZE_ATTR[] = " size=\"";
static const char PATH_ATTR[] = " path=\"";
static const char NAME_ATTR[] = " name=\"";

static bool is_b64(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

static const lf_bodylen_vocab *sort_v; /* qsort has no context argument */

static int cmp_bytes(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}

static int by_text(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return cmp_bytes(sort_v->pool + sort_v->off[a], sort_v->len[a], sort_v->pool + sort_v->off[b],
                     sort_v->len[b]);
}

/* The id of the token whose text is p[0..n), or -1. */
static int32_t find_text(const lf_bodylen_vocab *v, const char *p, size_t n)
{
    int lo = 0, hi = v->n_sorted;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int32_t t = v->sorted[mid];
        int c = cmp_bytes(v->pool + v->off[t], v->len[t], p, n);
        if (!c)
            return t;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int lf_bodylen_vocab_new(const char *const *piece, const size_t *len, int n,
                         lf_bodylen_vocab **out)
{
    lf_bodylen_vocab *v = calloc(1, sizeof *v);
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += piece[i] ? len[i] : 0;
    if (v) {
        v->n = n;
        v->off = malloc((size_t)(n ? n : 1) * sizeof *v->off);
        v->len = malloc((size_t)(n ? n : 1) * sizeof *v->len);
        v->flags = malloc((size_t)(n ? n : 1));
        v->pool = malloc(total ? total : 1);
        v->sorted = malloc((size_t)(n ? n : 1) * sizeof *v->sorted);
    }
    if (!v || !v->off || !v->len || !v->flags || !v->pool || !v->sorted) {
        lf_bodylen_vocab_free(v);
        return -ENOMEM;
    }
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        size_t l = piece[i] ? len[i] : 0;
        v->off[i] = at;
        v->len[i] = (uint32_t)l;
        memcpy(v->pool + at, piece[i] ? piece[i] : "", l);
        uint8_t f = piece[i] && l ? T_B64 : T_NONE;
        for (size_t k = 0; k < l; k++) {
            unsigned char c = (unsigned char)piece[i][k];
            f |= c == '<' ? T_LT : c == '&' ? T_AMP : c == '>' ? T_GT : c == '"' ? T_QUOTE : 0;
            if (!is_b64(c))
                f &= (uint8_t)~T_B64;
        }
        v->flags[i] = f;
        at += l;
        if (!(f & T_NONE))
            v->sorted[v->n_sorted++] = i;
    }
    /* qsort's static context: the vocabulary is built once per model, before
     * any answer, so no two builds overlap */
    sort_v = v;
    qsort(v->sorted, (size_t)v->n_sorted, sizeof *v->sorted, by_text);
    sort_v = NULL;
    *out = v;
    return 0;
}

void lf_bodylen_vocab_free(lf_bodylen_vocab *v)
{
    if (!v)
        return;
    free(v->off);
    free(v->len);
    free(v->flags);
    free(v->pool);
    free(v->sorted);
    free(v);
}

void lf_bodylen_init(lf_bodylen *g, const lf_bodylen_vocab *v)
{
    memset(g, 0, sizeof *g);
    g->v = v;
    g->mode = OUT;
}

/* Bytes of content an entity ("&...;") stands for; 0 if it is not one. */
static unsigned entity_bytes(const char *e, unsigned n)
{
    static const char *const named[] = {"&lt;", "&gt;", "&amp;", "&quot;", "&apos;"};
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (strlen(named[i]) == n && !memcmp(e, named[i], n))
            return 1;
    if (n < 4 || e[1] != '#')
        return 0;
    unsigned long cp = 0;
    bool hex = e[2] == 'x';
    unsigned i = hex ? 3 : 2;
    if (i >= n - 1)
        return 0;
    for (; i < n - 1; i++) {
        unsigned char c = (unsigned char)e[i];
        unsigned d = c >= '0' && c <= '9' ? c - '0'
                   : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
        if (d >= (hex ? 16u : 10u) || cp > 0x10FFFF)
            return 0;
        cp = cp * (hex ? 16 : 10) + d;
    }
    return cp == 0 || cp > 0x10FFFF ? 0 : cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static bool ends_with(const lf_bodylen *g, const char *s)
{
    size_t n = strlen(s);
    return g->tail_len >= n && !memcmp(g->tail + g->tail_len - n, s, n);
}

/* The body's content is complete: "</body>" must follow. */
static void to_close(lf_bodylen *g)
{
    g->mode = CLOSE;
    g->close = 0;
}

static bool step_out(lf_bodylen *g, unsigned char c)
{
    if (g->in_size) {
        if (c >= '0' && c <= '9' && g->size < ((uint64_t)1 << 50)) {
            g->size = g->size * 10 + (c - '0');
        } else {
            g->in_size = false;
            g->have_size = c == '"';
        }
    }
    if (g->in_path) {           /* keep the path's last component */
        if (c == '"') {
            g->in_path = false;
            if (!g->comp_len && g->path_len == 1)   /* the path "/": the root, named "/" */
                g->comp[g->comp_len++] = '/';
            g->have_path = g->comp_len > 0 && g->comp_len < sizeof g->comp;
        } else {
            g->path_len++;
            if (c == '/')
                g->comp_len = 0;
            else if (g->comp_len < sizeof g->comp)
                g->comp[g->comp_len++] = (char)c;
            else
                g->comp_len = sizeof g->comp;   /* too long to follow */
        }
    }
    if (g->after_lt && c != 'b')
        g->have_size = false;   /* a tag other than <body>: that size is spent */
    if (c == '<')
        g->have_path = g->in_path = false;
    g->after_lt = c == '<';
    if (g->tail_len == sizeof g->tail) {
        memmove(g->tail, g->tail + 1, sizeof g->tail - 1);
        g->tail_len--;
    }
    g->tail[g->tail_len++] = (char)c;
    if (c == '"' && ends_with(g, SIZE_ATTR)) {
        g->in_size = true;
        g->have_size = false;
        g->size = 0;
    } else if (c == '"' && !g->in_path && ends_with(g, PATH_ATTR)) {
        g->in_path = true;
        g->have_path = false;
        g->comp_len = g->path_len = 0;
    } else if (c == '"' && g->have_path && ends_with(g, NAME_ATTR)) {
        g->mode = NAME;         /* the name is the path's last component */
        g->name_pos = 0;
        g->have_path = false;
    } else if (c == '>' && g->have_size && ends_with(g, BODY_TEXT)) {
        g->mode = TEXT;
        g->left = g->size;
        g->ent_len = 0;
        g->have_size = false;
        if (!g->left)
            to_close(g);
    } else if (c == '>' && g->have_size && ends_with(g, BODY_B64)) {
        g->mode = B64;
        g->left = (g->size + 2) / 3 * 4;
        g->pad = (unsigned)((3 - g->size % 3) % 3);
        g->have_size = false;
        if (!g->left)
            to_close(g);
    }
    return true;
}

static bool step_text(lf_bodylen *g, unsigned char c)
{
    if (g->ent_len) {
        if (g->ent_len == sizeof g->ent)
            return false;
        g->ent[g->ent_len++] = (char)c;
        if (c != ';')
            return true;
        unsigned k = entity_bytes(g->ent, g->ent_len);
        if (!k || k > g->left)
            return false;
        g->left -= k;
        g->ent_len = 0;
    } else if (c == '&') {
        g->ent[0] = '&';
        g->ent_len = 1;
        return true;
    } else if (c == '<') {
        return false;           /* the body may not end before its size */
    } else {
        g->left--;
    }
    if (!g->left)
        to_close(g);
    return true;
}

static bool step_b64(lf_bodylen *g, unsigned char c)
{
    if (is_b64(c) ? g->left <= g->pad : c != '=' || g->left > g->pad)
        return false;
    if (!--g->left)
        to_close(g);
    return true;
}

static bool step_name(lf_bodylen *g, unsigned char c)
{
    if (g->name_pos == g->comp_len) {   /* the closing quote */
        if (c != '"')
            return false;
        g->mode = OUT;
        g->tail_len = 0;
        return true;
    }
    return (char)c == g->comp[g->name_pos++];
}

static bool step_close(lf_bodylen *g, unsigned char c)
{
    if ((char)c != CLOSE_TAG[g->close])
        return false;
    if (++g->close == sizeof CLOSE_TAG - 1) {
        g->mode = OUT;
        g->tail_len = 0;
        g->have_size = g->in_size = g->after_lt = false;
    }
    return true;
}

/* Takes one byte; false (g then unspecified) if it is not allowed. */
static bool step(lf_bodylen *g, unsigned char c)
{
    switch (g->mode) {
    case OUT: return step_out(g, c);
    case TEXT: return step_text(g, c);
    case B64: return step_b64(g, c);
    case CLOSE: return step_close(g, c);
    case NAME: return step_name(g, c);
    default: return true;
    }
}

bool lf_bodylen_allows(const lf_bodylen *g, const char *p, size_t n)
{
    lf_bodylen t = *g;
    for (size_t i = 0; i < n && t.mode != OFF; i++)
        if (!step(&t, (unsigned char)p[i]))
            return false;
    return true;
}

void lf_bodylen_feed(lf_bodylen *g, const char *p, size_t n)
{
    for (size_t i = 0; i < n && g->mode != OFF; i++)
        if (!step(g, (unsigned char)p[i]))
            g->mode = OFF;
}

/* Whether token i may come next: the cases that cannot change or break the
 * state decided from the token's flags, the rest by running its bytes. */
static bool token_allowed(const lf_bodylen *g, int i)
{
    const lf_bodylen_vocab *v = g->v;
    if (i >= v->n || (v->flags[i] & T_NONE))
        return g->mode == OUT;
    uint8_t f = v->flags[i];
    uint32_t len = v->len[i];
    switch (g->mode) {
    case OUT:
        if (!(f & (T_GT | T_QUOTE)))
            return true;    /* no '>' or '"': cannot open a body or a name */
        break;
    case TEXT:
        if (!g->ent_len && !(f & (T_LT | T_AMP)))
            return len <= g->left;   /* plain bytes: they fit or not */
        break;
    case B64:
        if (f & T_B64)
            return len + g->pad <= g->left;
        break;
    case CLOSE:
        if (v->pool[v->off[i]] != CLOSE_TAG[g->close])
            return false;
        break;
    case NAME:
        if (v->pool[v->off[i]] != (g->name_pos < g->comp_len ? g->comp[g->name_pos] : '"'))
            return false;
        break;
    default:
        return true;
    }
    return lf_bodylen_allows(g, v->pool + v->off[i], len);
}

/* Near the end of a body, a token that would run past it stands for the
 * bytes it starts with: the allowed token that is its longest prefix inside
 * the body takes its probability (what the model gives to continuing with
 * those bytes, as a byte-level model would), or -1. */
static int32_t heal(const lf_bodylen *g, int i)
{
    const lf_bodylen_vocab *v = g->v;
    uint64_t budget = g->mode == TEXT && !g->ent_len ? g->left
                    : g->mode == B64 ? g->left - g->pad : 0;
    if (i >= v->n || (v->flags[i] & T_NONE) || v->len[i] <= budget)
        return -1;
    for (size_t l = budget; l >= 1; l--) {
        int32_t q = find_text(v, v->pool + v->off[i], l);
        if (q >= 0 && token_allowed(g, q))
            return q;
    }
    return -1;
}

/* Whether token i goes on with the body's content where only its end may
 * come: base64 letters where the size leaves only '=' padding (a text
 * body whose bytes are all written is past its content already: CLOSE).
 * That is a body running long, which the mask cuts like any other. */
static bool runs_past(const lf_bodylen *g, int i)
{
    return g->mode == B64 && g->left <= g->pad && i < g->v->n && (g->v->flags[i] & T_B64);
}

/* Whether token i starts with '=' where the size still wants base64
 * letters: padding can only end a base64 body, so an early '=' is not a
 * shorter body but no base64 at all, and the mask takes it out. */
static bool early_pad(const lf_bodylen *g, int i)
{
    const lf_bodylen_vocab *v = g->v;
    return g->mode == B64 && g->left > g->pad && i < v->n && v->len[i] &&
           v->pool[v->off[i]] == '=';
}

/* Whether token i ends the body ('<') at most a few bytes before its size:
 * the model has written the right body and miscounted where it stops (a
 * text body one byte short is the commonest refusal of run 13), so the
 * mask goes on with the body rather than step aside. Further from the end,
 * the model means a shorter body than its size, and is left alone. */
#define NEAR_END_TEXT 8     /* bytes */
#define NEAR_END_B64 12     /* characters, padding included: 9 bytes */
static bool near_end(const lf_bodylen *g, int i)
{
    const lf_bodylen_vocab *v = g->v;
    if (i >= v->n || !v->len[i] || v->pool[v->off[i]] != '<')
        return false;
    return g->mode == TEXT ? !g->ent_len && g->left <= NEAR_END_TEXT
         : g->mode == B64 && g->left <= NEAR_END_B64;
}

/* A disallowed first choice the mask overrides rather than steps aside
 * for: a miscount of where the body stops, not another body. */
static bool miscount(const lf_bodylen *g, int i)
{
    return runs_past(g, i) || early_pad(g, i) || near_end(g, i);
}

void lf_bodylen_mask(void *ctx, float *logits, int n)
{
    lf_bodylen *g = ctx;
    if (g->mode == OFF)
        return;
    /* It cuts, never stretches: a model whose first choice ends the body
     * (or breaks it) before its size has declared a size it does not
     * write, and filling the rest would make a wrong answer parse. Then
     * the constraint steps aside and the answer stays as the model has it
     * (a mount refuses it). An '=' inside a base64 body is not an end
     * but a letter miscounted (padding goes only where the size puts it):
     * that one is masked like any token the syntax forbids, and so is an
     * end a few bytes short of the size (near_end). */
    if ((g->mode == TEXT && !g->ent_len) || g->mode == B64) {
        int top = 0;
        for (int i = 1; i < n; i++)
            if (logits[i] > logits[top])
                top = i;
        if (!token_allowed(g, top) && heal(g, top) < 0 && !miscount(g, top)) {
            g->mode = OFF;
            return;
        }
    }
    int any = -1;
    for (int i = 0; i < n && any < 0; i++)
        if (token_allowed(g, i))
            any = i;
    if (any < 0) {
        g->mode = OFF;      /* the vocabulary cannot go on: leave it free */
        return;
    }
    for (int i = 0; i < n; i++) {
        float l = logits[i];
        if (l == -INFINITY || (i >= any && token_allowed(g, i)))
            continue;
        logits[i] = -INFINITY;
        int32_t q = heal(g, i);
        if (q >= 0 && q < n) {   /* log(e^a + e^b) */
            float a = logits[q] > l ? logits[q] : l, b = logits[q] > l ? l : logits[q];
            logits[q] = b == -INFINITY ? a : a + log1pf(expf(b - a));
        }
    }
}

void lf_bodylen_feed_token(void *ctx, int32_t tok)
{
    lf_bodylen *g = ctx;
    const lf_bodylen_vocab *v = g->v;
    if (tok < 0 || tok >= v->n || (v->flags[tok] & T_NONE)) {
        if (g->mode != OUT)
            g->mode = OFF;
        return;
    }
    lf_bodylen_feed(g, v->pool + v->off[tok], v->len[tok]);
}
