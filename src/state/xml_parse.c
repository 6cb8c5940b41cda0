/* xml_parse.c: the state document parser (PROTOCOL.md §3), strict for model
 * answers and lenient for the original's datasets.
 *
 * Hand-written rather than built on expat or libxml2, because:
 *  - errors must name a byte offset and say what is wrong in terms of the
 *    vocabulary ("size=46 disagrees with the body's 0 bytes"), which a generic
 *    parser's callbacks make awkward;
 *  - the strict and lenient modes differ in vocabulary checks (defaults,
 *    size/body agreement), not in XML syntax, so they belong in one pass;
 *  - we control entity handling: only the five predefined entities and
 *    character references exist; DOCTYPE (and with it entity expansion
 *    attacks) is refused outright;
 *  - the engine, trainer and oracle build on the GPU machine, which has no
 *    XML library headers.
 * The vocabulary is tiny (five elements, nine attributes), so a single pass
 * with an explicit element stack is short and every bound is visible.
 *
 * What is XML here: a UTF-8 document (a BOM and an <?xml ...?> declaration
 * are skipped), comments anywhere markup may appear, CDATA sections inside
 * <body>, single or double quoted attributes in any order, end-of-line
 * normalisation (raw CR LF and CR read as LF in text, and raw tab/LF/CR as a
 * space in attribute values, as any XML parser does: the canonical form
 * writes them as character references). A base64 body may be wrapped
 * (whitespace in it is dropped). Raw bytes 0x00-0x1F other than tab,
 * LF and CR are rejected, as are character references to non-XML characters.
 * Not supported (rejected with a message): DOCTYPE, processing instructions
 * other than the declaration, CDATA outside <body>.
 */
#include "state/state.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/xml_int.h"
#include "util/text.h"

enum { E_FS, E_DIR, E_FILE, E_LINK, E_BODY, E_COUNT };
static const char *const el_names[E_COUNT] = {"filesystem", "directory", "file", "symlink", "body"};

enum { A_PATH, A_NAME, A_MODE, A_OWNER, A_GROUP, A_MTIME, A_SIZE, A_TARGET, A_ENCODING, A_COUNT };
static const char *const attr_names[A_COUNT] = {"path",  "name", "mode",   "owner",   "group",
                                                "mtime", "size", "target", "encoding"};
#define BIT(a) (1u << (a))
#define COMMON_ATTRS (BIT(A_PATH) | BIT(A_NAME) | BIT(A_MODE) | BIT(A_OWNER) | BIT(A_GROUP) | BIT(A_MTIME))
static const unsigned el_attrs[E_COUNT] = {
    [E_FS] = 0,
    [E_DIR] = COMMON_ATTRS,
    [E_FILE] = COMMON_ATTRS | BIT(A_SIZE),
    [E_LINK] = COMMON_ATTRS | BIT(A_TARGET),
    [E_BODY] = BIT(A_ENCODING),
};

typedef struct {
    int el;
    lf_node *node;       /* DIR, FILE: the node being filled */
    size_t at;           /* offset of the start tag */
    size_t path_len;     /* DIR: length of p->path to restore on close */
    long long size;      /* FILE: the size attribute, -1 when absent */
    bool has_kid;        /* FS: saw the root; FILE: saw a body */
    bool base64;         /* BODY */
} frame;

typedef struct {
    const unsigned char *s;
    size_t n, pos;
    int mode;
    int warnings;
    lf_err *err;
    frame *stack;
    size_t depth, cap;
    size_t dirs;             /* DIR frames open (nesting depth + 1) */
    lf_buf av[A_COUNT];      /* decoded attribute values of the current tag */
    bool have[A_COUNT];
    size_t aat[A_COUNT];     /* where each attribute starts */
    lf_buf text;             /* decoded body text */
    lf_buf bin;              /* decoded base64 body */
    lf_buf path;             /* relative path of the innermost open directory */
    char quoted[2][80];      /* excerpts for messages */
    int qi;
    lf_state *st;
} parser;

/* ---- errors ------------------------------------------------------------ */

static int fail(parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(parser *p, size_t at, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lf_err_set(p->err, EINVAL, "state XML: byte %zu: %s", at, msg);
}

/* A short printable excerpt of s[0..n) for a message (valid until the
 * second-next call). Control bytes show as '?'; long values are cut. */
static const char *excerpt(parser *p, const void *vs, size_t n)
{
    const unsigned char *s = vs;
    char *q = p->quoted[p->qi++ & 1];
    size_t max = 60, o = 0;
    size_t lim = n < max ? n : max;
    while (lim < n && lim > 0 && (s[lim] & 0xC0) == 0x80)
        lim--;                       /* do not cut a UTF-8 sequence */
    for (size_t i = 0; i < lim; i++)
        q[o++] = s[i] < 0x20 ? '?' : (char)s[i];
    if (lim < n) {
        memcpy(q + o, "...", 3);
        o += 3;
    }
    q[o] = 0;
    return q;
}

static const char *bufstr(const lf_buf *b) { return b->data ? b->data : ""; }

/* ---- low-level scanning ------------------------------------------------ */

static bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void skip_ws(parser *p)
{
    while (p->pos < p->n && is_ws(p->s[p->pos]))
        p->pos++;
}

static bool starts(const parser *p, const char *lit)
{
    size_t l = strlen(lit);
    return p->n - p->pos >= l && memcmp(p->s + p->pos, lit, l) == 0;
}

/* Position of lit at or after from, or n. */
static size_t find(const parser *p, size_t from, const char *lit)
{
    size_t l = strlen(lit);
    if (from > p->n || p->n - from < l)
        return p->n;
    const void *hit = memmem(p->s + from, p->n - from, lit, l);
    return hit ? (size_t)((const unsigned char *)hit - p->s) : p->n;
}

/* Whole-input check before parsing: valid UTF-8, no raw control bytes. */
static int check_bytes(parser *p)
{
    const unsigned char *s = p->s;
    size_t n = p->n, i = 0;
    while (i < n) {
        if (n - i >= 8 && lf_xml_plain8(s + i)) {
            i += 8;
            continue;
        }
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x80) {
            i++;
            continue;
        }
        if (c < 0x20) {
            if (c == '\t' || c == '\n' || c == '\r') {
                i++;
                continue;
            }
            return fail(p, i, "raw control byte 0x%02x (not allowed in XML)", c);
        }
        size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c < 0xC2 || c > 0xF4 || n - i < k || !lf_utf8_valid(s + i, k))
            return fail(p, i, "invalid UTF-8");
        i += k;
    }
    return 0;
}

/* Appends code point cp as UTF-8. */
static int put_utf8(lf_buf *b, unsigned cp)
{
    unsigned char u[4];
    size_t k;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | (cp >> 18));
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    return lf_buf_append(b, u, k);
}

static int oom(parser *p, int rc)
{
    if (rc == -E2BIG)
        return fail(p, p->pos, "decoded value too large");
    return lf_err_set(p->err, ENOMEM, "state XML: out of memory");
}

/* At '&': decodes one entity or character reference into b. */
static int parse_ref(parser *p, lf_buf *b)
{
    size_t at = p->pos;
    size_t end = at + 1;
    while (end < p->n && end - at < 12 && p->s[end] != ';')
        end++;
    if (end >= p->n || p->s[end] != ';')
        return fail(p, at, "'&' not starting an entity reference (write &amp;)");
    const char *r = (const char *)p->s + at + 1;
    size_t rl = end - at - 1;
    static const struct { const char *name; char c; } ents[] = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
    };
    int rc;
    if (rl >= 1 && r[0] == '#') {
        bool hex = rl > 1 && r[1] == 'x';
        size_t i = hex ? 2 : 1;
        if (i >= rl)
            return fail(p, at, "empty character reference");
        unsigned long cp = 0;
        for (; i < rl; i++) {
            int d;
            char c = r[i];
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                return fail(p, at, "bad character reference '%s'", excerpt(p, r - 1, rl + 2));
            cp = cp * (hex ? 16 : 10) + (unsigned long)d;
            if (cp > 0x10FFFF)
                return fail(p, at, "character reference out of range");
        }
        bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                  (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
        if (!ok)
            return fail(p, at, "character reference to U+%04lX, which XML does not allow", cp);
        rc = put_utf8(b, (unsigned)cp);
    } else {
        size_t k;
        for (k = 0; k < sizeof ents / sizeof ents[0]; k++)
            if (strlen(ents[k].name) == rl && memcmp(ents[k].name, r, rl) == 0)
                break;
        if (k == sizeof ents / sizeof ents[0])
            return fail(p, at, "unknown entity '%s'", excerpt(p, r - 1, rl + 2));
        rc = lf_buf_putc(b, ents[k].c);
    }
    if (rc)
        return oom(p, rc);
    p->pos = end + 1;
    return 0;
}

/* At "<!--": skips the comment. */
static int skip_comment(parser *p)
{
    size_t e = find(p, p->pos + 4, "-->");
    if (e >= p->n)
        return fail(p, p->pos, "unterminated comment");
    p->pos = e + 3;
    return 0;
}

/* Skips whitespace and comments (between elements). */
static int skip_misc(parser *p)
{
    for (;;) {
        skip_ws(p);
        if (!starts(p, "<!--"))
            return 0;
        int rc = skip_comment(p);
        if (rc)
            return rc;
    }
}

/* ---- tags ---------------------------------------------------------------- */

static bool name_byte(unsigned char c)
{
    return !(is_ws(c) || c == '/' || c == '>' || c == '<' || c == '=' || c == '"' || c == '\'');
}

/* Reads a name at pos; returns its length (0 if none). */
static size_t read_name(parser *p)
{
    size_t st = p->pos;
    while (p->pos < p->n && name_byte(p->s[p->pos]))
        p->pos++;
    return p->pos - st;
}

static int lookup(const char *const *names, int count, const unsigned char *s, size_t n)
{
    for (int i = 0; i < count; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
            return i;
    return -1;
}

/* Reads a quoted attribute value at pos into b (decoded). */
static int parse_value(parser *p, lf_buf *b)
{
    if (p->pos >= p->n || (p->s[p->pos] != '"' && p->s[p->pos] != '\''))
        return fail(p, p->pos, "attribute value must be quoted");
    unsigned char quote = p->s[p->pos++];
    size_t start = p->pos;
    for (;;) {
        size_t run = p->pos;
        while (p->pos < p->n) {
            unsigned char c = p->s[p->pos];
            if (c == quote || c == '&' || c == '<' || c == '\t' || c == '\n' || c == '\r')
                break;
            p->pos++;
        }
        int rc = lf_buf_append(b, p->s + run, p->pos - run);
        if (rc)
            return oom(p, rc);
        if (p->pos >= p->n)
            return fail(p, start - 1, "unterminated attribute value");
        unsigned char c = p->s[p->pos];
        if (c == quote) {
            p->pos++;
            return 0;
        }
        if (c == '<')
            return fail(p, p->pos, "'<' in an attribute value (write &lt;)");
        if (c == '&') {
            rc = parse_ref(p, b);
            if (rc)
                return rc;
            continue;
        }
        /* XML attribute-value normalisation: raw whitespace reads as a space. */
        if (c == '\r' && p->pos + 1 < p->n && p->s[p->pos + 1] == '\n')
            p->pos++;
        p->pos++;
        rc = lf_buf_putc(b, ' ');
        if (rc)
            return oom(p, rc);
    }
}

/* At '<' of a start tag: reads element and attributes. */
static int parse_stag(parser *p, int *el, bool *self_close)
{
    size_t at = p->pos++;
    size_t nl = read_name(p);
    if (nl == 0)
        return fail(p, at, "malformed tag");
    *el = lookup(el_names, E_COUNT, p->s + at + 1, nl);
    if (*el < 0)
        return fail(p, at, "unknown element <%s>", excerpt(p, p->s + at + 1, nl));
    for (int a = 0; a < A_COUNT; a++) {
        p->have[a] = false;
        lf_buf_reset(&p->av[a]);
    }
    for (;;) {
        size_t before = p->pos;
        skip_ws(p);
        if (p->pos >= p->n)
            return fail(p, at, "unterminated tag <%s>", el_names[*el]);
        unsigned char c = p->s[p->pos];
        if (c == '>') {
            p->pos++;
            *self_close = false;
            return 0;
        }
        if (c == '/') {
            if (p->pos + 1 >= p->n || p->s[p->pos + 1] != '>')
                return fail(p, p->pos, "'/' not followed by '>' in <%s>", el_names[*el]);
            p->pos += 2;
            *self_close = true;
            return 0;
        }
        if (p->pos == before)
            return fail(p, p->pos, "missing whitespace before an attribute in <%s>", el_names[*el]);
        size_t aat = p->pos;
        size_t al = read_name(p);
        if (al == 0)
            return fail(p, aat, "malformed attribute in <%s>", el_names[*el]);
        int a = lookup(attr_names, A_COUNT, p->s + aat, al);
        if (a < 0 || !(el_attrs[*el] & BIT(a)))
            return fail(p, aat, "unknown attribute '%s' on <%s>", excerpt(p, p->s + aat, al),
                        el_names[*el]);
        if (p->have[a])
            return fail(p, aat, "duplicate attribute '%s' on <%s>", attr_names[a], el_names[*el]);
        skip_ws(p);
        if (p->pos >= p->n || p->s[p->pos] != '=')
            return fail(p, p->pos, "expected '=' after attribute '%s'", attr_names[a]);
        p->pos++;
        skip_ws(p);
        int rc = parse_value(p, &p->av[a]);
        if (rc)
            return rc;
        p->have[a] = true;
        p->aat[a] = aat;
    }
}

/* ---- vocabulary checks -------------------------------------------------- */

/* Octal permission bits: 1-6 octal digits (leading zeros allowed), <= 07777. */
static int parse_mode(parser *p, unsigned *mode)
{
    const lf_buf *v = &p->av[A_MODE];
    unsigned m = 0;
    if (v->len == 0 || v->len > 6)
        return fail(p, p->aat[A_MODE], "mode '%s' is not an octal number", excerpt(p, bufstr(v), v->len));
    for (size_t i = 0; i < v->len; i++) {
        char c = v->data[i];
        if (c < '0' || c > '7')
            return fail(p, p->aat[A_MODE], "mode '%s' is not an octal number", excerpt(p, v->data, v->len));
        m = m * 8 + (unsigned)(c - '0');
    }
    if (m > 07777)
        return fail(p, p->aat[A_MODE], "mode '%s' has bits beyond 07777", excerpt(p, v->data, v->len));
    *mode = m;
    return 0;
}

static int parse_size(parser *p, long long *size)
{
    const lf_buf *v = &p->av[A_SIZE];
    long long s = 0;
    if (v->len == 0 || v->len > 18)
        return fail(p, p->aat[A_SIZE], "size '%s' is not a decimal number", excerpt(p, bufstr(v), v->len));
    for (size_t i = 0; i < v->len; i++) {
        char c = v->data[i];
        if (c < '0' || c > '9')
            return fail(p, p->aat[A_SIZE], "size '%s' is not a decimal number", excerpt(p, v->data, v->len));
        s = s * 10 + (c - '0');
    }
    *size = s;
    return 0;
}

/* Attribute a's value, or def (lenient only) when it is missing. */
static int attr_or(parser *p, int el, size_t at, int a, const char *def, const char **out)
{
    if (p->have[a]) {
        *out = bufstr(&p->av[a]);
        return 0;
    }
    if (p->mode != LF_PARSE_LENIENT || !def)
        return fail(p, at, "<%s> lacks attribute '%s'", el_names[el], attr_names[a]);
    p->warnings++;
    *out = def;
    return 0;
}

/* Names, owners, groups and targets must be representable (PROTOCOL.md §3). */
static int check_repr(parser *p, int a)
{
    const lf_buf *v = &p->av[a];
    for (size_t i = 0; i < v->len; i++) {
        unsigned char c = (unsigned char)v->data[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
            return fail(p, p->aat[a], "%s holds control byte 0x%02x", attr_names[a], c);
    }
    return 0;
}

static void restore_path(parser *p, size_t len)
{
    p->path.len = len;
    if (p->path.data)
        p->path.data[len] = 0;
}

/* Builds the node of a directory/file/symlink start tag and links it into
 * the tree. parent is NULL for the root. */
static int make_node(parser *p, int el, size_t at, lf_node *parent, lf_node **out)
{
    int rc;
    const char *name = NULL, *owner = NULL, *group = NULL, *mtime = NULL;
    unsigned mode = 0755;
    size_t keep = p->path.len;           /* the parent's path */
    for (int a = A_NAME; a <= A_TARGET; a++)
        if (a != A_MODE && a != A_SIZE && a != A_MTIME && p->have[a] && (rc = check_repr(p, a)))
            return rc;
    /* path: checked against the place in the tree below */
    const char *path = p->have[A_PATH] ? bufstr(&p->av[A_PATH]) : NULL;
    size_t plen = p->have[A_PATH] ? p->av[A_PATH].len : 0;
    if (!path && p->mode != LF_PARSE_LENIENT)
        return fail(p, at, "<%s> lacks attribute 'path'", el_names[el]);
    if (p->mode == LF_PARSE_LENIENT && path) {   /* "/a/" reads as "a" */
        while (plen > 1 && path[0] == '/') {
            path++;
            plen--;
        }
        while (plen > 1 && path[plen - 1] == '/')
            plen--;
    }
    /* name: lenient default is the path's last component */
    char defname[LF_STATE_MAX_NAME + 1] = "/";
    if (!p->have[A_NAME] && path && parent) {
        const char *sl = memrchr(path, '/', plen);
        const char *b = sl ? sl + 1 : path;
        size_t bl = plen - (size_t)(b - path);
        if (bl > LF_STATE_MAX_NAME)
            bl = LF_STATE_MAX_NAME;
        memcpy(defname, b, bl);
        defname[bl] = 0;
    }
    if ((rc = attr_or(p, el, at, A_NAME, (path || !parent) ? defname : NULL, &name)))
        return rc;
    size_t nl = strlen(name);
    if (nl != (p->have[A_NAME] ? p->av[A_NAME].len : nl))
        return fail(p, p->aat[A_NAME], "name holds a NUL byte");
    if ((rc = attr_or(p, el, at, A_OWNER, "root", &owner)) ||
        (rc = attr_or(p, el, at, A_GROUP, "root", &group)) ||
        (rc = attr_or(p, el, at, A_MTIME, "", &mtime)))
        return rc;
    if (p->have[A_MODE]) {
        if ((rc = parse_mode(p, &mode)))
            return rc;
    } else if (p->mode != LF_PARSE_LENIENT) {
        return fail(p, at, "<%s> lacks attribute 'mode'", el_names[el]);
    } else {
        p->warnings++;
    }

    if (!parent) {
        if (el != E_DIR)
            return fail(p, at, "the root must be a <directory>, not <%s>", el_names[el]);
        if (strcmp(name, "/") != 0)
            return fail(p, at, "the root directory's name must be '/', not '%s'", excerpt(p, name, nl));
        if (path && !(plen == 1 && path[0] == '/') && !(p->mode == LF_PARSE_LENIENT && plen == 0))
            return fail(p, at, "the root directory's path must be '/', not '%s'", excerpt(p, path, plen));
    } else {
        for (size_t i = 0; i < nl; i++)   /* a name defaulted from the path is unchecked */
            if (((unsigned char)name[i] < 0x20 && !is_ws((unsigned char)name[i])) || name[i] == 0x7F)
                return fail(p, at, "name holds control byte 0x%02x", (unsigned char)name[i]);
        if (nl == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || memchr(name, '/', nl))
            return fail(p, p->have[A_NAME] ? p->aat[A_NAME] : at, "invalid name '%s'", excerpt(p, name, nl));
        if (nl > LF_STATE_MAX_NAME)
            return fail(p, p->have[A_NAME] ? p->aat[A_NAME] : at, "name longer than %d bytes",
                        LF_STATE_MAX_NAME);
        /* the path this element must have: parent's path + "/" + name */
        if ((keep && (rc = lf_buf_putc(&p->path, '/'))) || (rc = lf_buf_append(&p->path, name, nl)))
            return oom(p, rc);
        if (path && (plen != p->path.len || memcmp(path, p->path.data, plen) != 0)) {
            const char *want = excerpt(p, p->path.data, p->path.len);
            return fail(p, p->aat[A_PATH], "path '%s' disagrees with its place in the tree ('%s')",
                        excerpt(p, path, plen), want);
        }
    }

    lf_node *n = lf_node_new(el == E_DIR ? LF_NODE_DIR : el == E_FILE ? LF_NODE_FILE : LF_NODE_LINK,
                             name, mode, owner, group);
    if (!n)
        return oom(p, -ENOMEM);
    if (el == E_LINK) {
        const char *target = NULL;
        if ((rc = attr_or(p, el, at, A_TARGET, NULL, &target)) || (rc = lf_node_set_str(&n->target, target))) {
            lf_node_free(n);
            return rc < 0 && rc != -EINVAL ? oom(p, rc) : rc;
        }
        if (strlen(target) != p->av[A_TARGET].len) {
            lf_node_free(n);
            return fail(p, p->aat[A_TARGET], "target holds a NUL byte");
        }
    }
    if (!parent) {
        p->st->root = n;
    } else if ((rc = lf_node_add_child(parent, n))) {
        lf_node_free(n);
        if (rc == -EEXIST)
            return fail(p, at, "duplicate path '%s'", excerpt(p, p->path.data, p->path.len));
        return oom(p, rc);
    }
    if (parent && el != E_DIR)           /* only directories extend the path */
        restore_path(p, keep);
    *out = n;
    return 0;
}

/* ---- element stack ------------------------------------------------------ */

static int push(parser *p, frame f)
{
    if (p->depth == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        frame *s = realloc(p->stack, cap * sizeof *s);
        if (!s)
            return oom(p, -ENOMEM);
        p->stack = s;
        p->cap = cap;
    }
    p->stack[p->depth++] = f;
    return 0;
}

static void restore_text(parser *p, size_t len)
{
    p->text.len = len;
    if (p->text.data)
        p->text.data[len] = 0;
}

/* Closes the top frame: the checks that need the whole element. */
static int close_top(parser *p)
{
    frame *f = &p->stack[p->depth - 1];
    int rc;
    switch (f->el) {
    case E_FS:
        if (!f->has_kid)
            return fail(p, f->at, "<filesystem> holds no root <directory>");
        break;
    case E_DIR:
        p->dirs--;
        restore_path(p, f->path_len);
        break;
    case E_FILE:
        if (f->size >= 0 && (size_t)f->size != f->node->size) {
            if (p->mode != LF_PARSE_LENIENT)
                return fail(p, f->at, "size=\"%lld\" disagrees with the body's %zu bytes", f->size,
                            f->node->size);
            p->warnings++;    /* the body wins */
        }
        break;
    case E_BODY: {
        frame *file = f - 1;
        const lf_buf *b = &p->text;
        if (f->base64) {
            /* whitespace (line-wrapped base64) is dropped before decoding */
            size_t k = 0;
            for (size_t i = 0; i < p->text.len; i++)
                if (!is_ws((unsigned char)p->text.data[i]))
                    p->text.data[k++] = p->text.data[i];
            restore_text(p, k);
            lf_buf_reset(&p->bin);
            rc = lf_b64_decode(bufstr(&p->text), p->text.len, &p->bin);
            if (rc == -EINVAL)
                return fail(p, f->at, "bad base64 in <body encoding=\"base64\">");
            if (rc)
                return oom(p, rc);
            b = &p->bin;
        }
        if ((rc = lf_node_set_data(file->node, b->data, b->len)))
            return oom(p, rc);
        break;
    }
    }
    p->depth--;
    return 0;
}

/* Body content up to the closing tag: text, references, CDATA, comments. */
static int parse_body_text(parser *p)
{
    lf_buf *b = &p->text;
    lf_buf_reset(b);
    int rc = 0;
    while (p->pos < p->n) {
        size_t run = p->pos, j = run, n = p->n;
        const unsigned char *s = p->s;
        while (j < n && s[j] != '<' && s[j] != '&' && s[j] != '\r')
            j++;
        p->pos = j;
        if ((rc = lf_buf_append(b, s + run, j - run)))
            return oom(p, rc);
        if (p->pos >= p->n)
            break;
        unsigned char c = p->s[p->pos];
        if (c == '&') {
            if ((rc = parse_ref(p, b)))
                return rc;
        } else if (c == '\r') {           /* end-of-line normalisation */
            p->pos++;
            if (p->pos < p->n && p->s[p->pos] == '\n')
                p->pos++;
            if ((rc = lf_buf_putc(b, '\n')))
                return oom(p, rc);
        } else if (starts(p, "<!--")) {
            if ((rc = skip_comment(p)))
                return rc;
        } else if (starts(p, "<![CDATA[")) {
            size_t st = p->pos + 9, e = find(p, st, "]]>");
            if (e >= p->n)
                return fail(p, p->pos, "unterminated CDATA section");
            for (size_t i = st; i < e && !rc; i++) {
                unsigned char d = p->s[i];
                if (d == '\r') {
                    if (i + 1 < e && p->s[i + 1] == '\n')
                        continue;
                    d = '\n';
                }
                rc = lf_buf_putc(b, (char)d);
            }
            if (rc)
                return oom(p, rc);
            p->pos = e + 3;
        } else {
            return 0;                      /* a tag: the caller decides */
        }
    }
    return fail(p, p->pos, "unexpected end of document inside <body>");
}

static int parse_etag(parser *p)
{
    size_t at = p->pos;
    p->pos += 2;
    size_t nl = read_name(p);
    frame *f = &p->stack[p->depth - 1];
    const char *want = el_names[f->el];
    if (strlen(want) != nl || memcmp(want, p->s + at + 2, nl) != 0)
        return fail(p, at, "</%s> does not close <%s>", excerpt(p, p->s + at + 2, nl), want);
    skip_ws(p);
    if (p->pos >= p->n || p->s[p->pos] != '>')
        return fail(p, at, "malformed end tag </%s>", want);
    p->pos++;
    return close_top(p);
}

/* A start tag inside the top frame. */
static int open_element(parser *p)
{
    size_t at = p->pos;
    int el = 0, rc;
    bool self_close = false;
    if ((rc = parse_stag(p, &el, &self_close)))
        return rc;
    frame *top = p->depth ? &p->stack[p->depth - 1] : NULL;
    int ctx = top ? top->el : -1;
    frame f = {.el = el, .at = at, .size = -1};
    switch (ctx) {
    case -1:
        if (el != E_FS)
            return fail(p, at, "the document element must be <filesystem>, not <%s>", el_names[el]);
        break;
    case E_FS:
        if (el == E_FS || el == E_BODY || top->has_kid)
            return fail(p, at, "<filesystem> must hold exactly one root <directory>; found <%s>",
                        el_names[el]);
        top->has_kid = true;
        break;
    case E_DIR:
        if (el == E_FS || el == E_BODY)
            return fail(p, at, "<%s> inside <directory>", el_names[el]);
        break;
    case E_FILE:
        if (el != E_BODY)
            return fail(p, at, "<%s> inside <file> (only <body> may be)", el_names[el]);
        if (top->has_kid)
            return fail(p, at, "second <body> in one <file>");
        top->has_kid = true;
        break;
    case E_LINK:
        return fail(p, at, "<symlink> cannot hold <%s>", el_names[el]);
    default:
        return fail(p, at, "element <%s> inside <body>", el_names[el]);
    }
    if (el == E_DIR || el == E_FILE || el == E_LINK) {
        if (el == E_DIR && p->dirs > LF_STATE_MAX_DEPTH)
            return fail(p, at, "directories nested deeper than %d", LF_STATE_MAX_DEPTH);
        f.path_len = p->path.len;
        if ((rc = make_node(p, el, at, ctx == E_FS ? NULL : top->node, &f.node)))
            return rc;
        if (el == E_DIR)
            p->dirs++;
        if (el == E_FILE && p->have[A_SIZE] && (rc = parse_size(p, &f.size)))
            return rc;
        if (el == E_FILE && !p->have[A_SIZE]) {
            if (p->mode != LF_PARSE_LENIENT)
                return fail(p, at, "<file> lacks attribute 'size'");
            p->warnings++;
        }
    } else if (el == E_BODY) {
        f.node = top->node;
        if (p->have[A_ENCODING]) {
            if (strcmp(bufstr(&p->av[A_ENCODING]), "base64") != 0)
                return fail(p, p->aat[A_ENCODING], "unknown body encoding '%s'",
                            excerpt(p, p->av[A_ENCODING].data, p->av[A_ENCODING].len));
            f.base64 = true;
        }
        lf_buf_reset(&p->text);
    }
    if ((rc = push(p, f)))
        return rc;
    return self_close ? close_top(p) : 0;
}

static int parse_doc(parser *p)
{
    int rc;
    if (starts(p, "\xEF\xBB\xBF"))
        p->pos += 3;
    skip_ws(p);
    if (starts(p, "<?xml") && p->pos + 5 < p->n && is_ws(p->s[p->pos + 5])) {
        size_t e = find(p, p->pos, "?>");
        if (e >= p->n)
            return fail(p, p->pos, "unterminated XML declaration");
        p->pos = e + 2;
    }
    if ((rc = skip_misc(p)))
        return rc;
    if (p->pos >= p->n)
        return fail(p, p->pos, "empty document: no <filesystem> element");
    if (p->s[p->pos] != '<' || starts(p, "<!") || starts(p, "<?") || starts(p, "</"))
        return fail(p, p->pos, "expected <filesystem>");
    if ((rc = open_element(p)))
        return rc;
    while (p->depth) {
        frame *top = &p->stack[p->depth - 1];
        if (top->el == E_BODY) {
            if ((rc = parse_body_text(p)))
                return rc;
            if (!starts(p, "</"))
                return fail(p, p->pos, "element inside <body> (escape '<' as &lt;)");
            if ((rc = parse_etag(p)))
                return rc;
            continue;
        }
        skip_ws(p);
        if (p->pos >= p->n)
            return fail(p, p->pos, "unexpected end of document: <%s> at byte %zu is not closed",
                        el_names[top->el], top->at);
        if (p->s[p->pos] != '<')
            return fail(p, p->pos, "text outside <body>");
        if (starts(p, "<!--"))
            rc = skip_comment(p);
        else if (starts(p, "</"))
            rc = parse_etag(p);
        else if (starts(p, "<!") || starts(p, "<?"))
            return fail(p, p->pos, "unsupported markup (DOCTYPE, CDATA outside <body>, or a processing instruction)");
        else
            rc = open_element(p);
        if (rc)
            return rc;
    }
    if ((rc = skip_misc(p)))
        return rc;
    if (p->pos < p->n)
        return fail(p, p->pos, "trailing content after </filesystem>");
    return 0;
}

int lf_state_parse(const char *xml, size_t len, int mode, lf_state **out, int *warnings, lf_err *err)
{
    *out = NULL;
    if (warnings)
        *warnings = 0;
    parser p = {.s = (const unsigned char *)(xml ? xml : ""), .n = xml ? len : 0,
                .mode = mode, .err = err};
    if (p.n > LF_STATE_MAX_XML)
        return lf_err_set(err, EINVAL, "state XML: document of %zu bytes exceeds the cap of %zu",
                          p.n, LF_STATE_MAX_XML);
    for (int a = 0; a < A_COUNT; a++)
        lf_buf_init(&p.av[a], 0);
    lf_buf_init(&p.text, 0);
    lf_buf_init(&p.bin, 0);
    lf_buf_init(&p.path, 0);
    int rc = check_bytes(&p);
    if (!rc) {
        p.st = calloc(1, sizeof *p.st);
        rc = p.st ? parse_doc(&p) : oom(&p, -ENOMEM);
    }
    for (int a = 0; a < A_COUNT; a++)
        lf_buf_free(&p.av[a]);
    lf_buf_free(&p.text);
    lf_buf_free(&p.bin);
    lf_buf_free(&p.path);
    free(p.stack);
    if (rc) {
        lf_state_free(p.st);
        return rc;
    }
    *out = p.st;
    if (warnings)
        *warnings = p.warnings;
    return 0;
}
