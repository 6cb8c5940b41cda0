/* xml_write.c: the canonical serialiser (PROTOCOL.md §3): one line,
 * byte-exact with Python ElementTree's tostring(encoding="unicode") of the
 * original's tree, plus the fixes (symlinks, base64 bodies, CR as &#13;).
 *
 * It runs for every prompt, so it is one recursive pass that appends runs of
 * bytes to the caller's lf_buf: no sorting (children are kept sorted by
 * tree.c), no intermediate strings. Each node's name is escaped once into a
 * running `path` buffer; the `path` attribute is that buffer and the `name`
 * attribute is its tail, since escaping works byte by byte. */
#include "state/state.h"

#include <string.h>

#include "state/xml_int.h"
#include "util/text.h"

#define DIR_MTIME "2025-01-01T00:00:00"
#define FILE_MTIME "2025-01-01T00:00:01"

typedef struct {
    lf_buf *out;
    lf_buf path;   /* attribute-escaped relative path of the current node */
    int rc;        /* sticky: first failure */
} writer;

static void put(writer *w, const void *p, size_t n)
{
    if (!w->rc)
        w->rc = lf_buf_append(w->out, p, n);
}

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

/* special[c]: 1 if c is escaped in text and attributes (& < > CR), 2 if in
 * attributes only (" tab LF); rep[c]: its replacement (ElementTree's, plus
 * CR as &#13; in text: PROTOCOL.md §3). */
static const unsigned char special[256] = {
    ['&'] = 1, ['<'] = 1, ['>'] = 1, ['\r'] = 1, ['"'] = 2, ['\t'] = 2, ['\n'] = 2,
};
static const struct { const char *s; size_t n; } rep[256] = {
    ['&'] = {"&amp;", 5},  ['<'] = {"&lt;", 4},   ['>'] = {"&gt;", 4},   ['\r'] = {"&#13;", 5},
    ['"'] = {"&quot;", 6}, ['\t'] = {"&#09;", 5}, ['\n'] = {"&#10;", 5},
};

/* Appends p[0..n) escaped (for an attribute value or for text) to b, runs
 * of plain bytes at once. */
static int esc_into(lf_buf *b, const unsigned char *p, size_t n, bool attr)
{
    size_t run = 0;
    int rc = lf_buf_reserve(b, n);   /* the common case: nothing to escape */
    if (rc)
        return rc;
    unsigned mask = attr ? 3 : 1;
    for (size_t i = 0; i < n; i++) {
        if (!(special[p[i]] & mask))
            continue;
        if ((rc = lf_buf_append(b, p + run, i - run)) || (rc = lf_buf_append(b, rep[p[i]].s, rep[p[i]].n)))
            return rc;
        run = i + 1;
    }
    return lf_buf_append(b, p + run, n - run);
}

/* An attribute value must be representable: UTF-8 without control bytes
 * other than tab, LF and CR (PROTOCOL.md §3). */
static void put_attr(writer *w, const char *s)
{
    if (w->rc)
        return;
    size_t n = strlen(s);
    if (lf_text_needs_base64(s, n)) {
        w->rc = -EINVAL;
        return;
    }
    w->rc = esc_into(w->out, (const unsigned char *)s, n, true);
}

static void put_uint(writer *w, unsigned long long v, unsigned base)
{
    char tmp[32];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % base);
        v /= base;
    } while (v);
    put(w, tmp + i, sizeof tmp - i);
}

/* lf_text_needs_base64 in one pass with an ASCII fast path: the body of
 * every file goes through this for every prompt. */
static bool body_needs_base64(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8 && lf_xml_plain8(p + i)) {
            i += 8;
            continue;
        }
        unsigned c = p[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
                return true;
            i++;
            continue;
        }
        size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c < 0xC2 || c > 0xF4 || n - i < k || !lf_utf8_valid(p + i, k))
            return true;
        i += k;
    }
    return false;
}

static void put_body(writer *w, const lf_node *n)
{
    if (n->size == 0) {
        PUTS(w, "<body />");
        return;
    }
    if (body_needs_base64(n->data, n->size)) {
        PUTS(w, "<body encoding=\"base64\">");
        if (!w->rc)
            w->rc = lf_b64_encode(n->data, n->size, w->out);
    } else {
        PUTS(w, "<body>");
        if (!w->rc)
            w->rc = esc_into(w->out, n->data, n->size, false);
    }
    PUTS(w, "</body>");
}

static void put_node(writer *w, const lf_node *n)
{
    size_t plen = w->path.len;   /* restored on return */
    size_t name_at = plen;
    if (n->parent) {             /* the root's path and name are both "/" */
        size_t nlen = strlen(n->name);
        if (lf_text_needs_base64(n->name, nlen)) {
            w->rc = -EINVAL;
            return;
        }
        if (n->parent->parent && !w->rc)
            w->rc = lf_buf_putc(&w->path, '/');
        name_at = w->path.len;
        if (!w->rc)
            w->rc = esc_into(&w->path, (const unsigned char *)n->name, nlen, true);
    } else if (!w->rc) {
        w->rc = lf_buf_putc(&w->path, '/');
    }
    if (w->rc)
        return;
    /* children of the root start from an empty path, not from "/" */
    size_t kids_base = n->parent ? w->path.len : 0;

    static const char *const tags[] = {"<directory", "<file", "<symlink"};
    const char *tag = tags[n->kind <= LF_NODE_LINK ? n->kind : 0];
    put(w, tag, strlen(tag));
    PUTS(w, " path=\"");
    put(w, w->path.data, w->path.len);
    PUTS(w, "\" name=\"");
    put(w, w->path.data + name_at, w->path.len - name_at);
    PUTS(w, "\" mode=\"");
    put_uint(w, n->mode & 07777, 8);
    PUTS(w, "\" owner=\"");
    put_attr(w, n->owner ? n->owner : "");
    PUTS(w, "\" group=\"");
    put_attr(w, n->group ? n->group : "");
    switch (n->kind) {
    case LF_NODE_FILE:
        PUTS(w, "\" mtime=\"" FILE_MTIME "\" size=\"");
        put_uint(w, n->size, 10);
        PUTS(w, "\">");
        put_body(w, n);
        PUTS(w, "</file>");
        break;
    case LF_NODE_LINK:
        PUTS(w, "\" mtime=\"" DIR_MTIME "\" target=\"");
        put_attr(w, n->target ? n->target : "");
        PUTS(w, "\" />");
        break;
    default:
        PUTS(w, "\" mtime=\"" DIR_MTIME "\"");
        if (n->nkids == 0) {
            PUTS(w, " />");
            break;
        }
        PUTS(w, ">");
        for (size_t i = 0; i < n->nkids && !w->rc; i++) {
            w->path.len = kids_base;
            put_node(w, n->kids[i]);
        }
        PUTS(w, "</directory>");
        break;
    }
    w->path.len = plen;
    if (w->path.data)
        w->path.data[plen] = 0;
}

int lf_state_serialize(const lf_state *st, lf_buf *out)
{
    if (!st || !st->root || st->root->kind != LF_NODE_DIR)
        return -EINVAL;
    writer w = {.out = out, .rc = 0};
    lf_buf_init(&w.path, 0);
    size_t start = out->len;
    PUTS(&w, "<filesystem>");
    put_node(&w, st->root);
    PUTS(&w, "</filesystem>");
    lf_buf_free(&w.path);
    if (w.rc) {
        out->len = start;   /* leave nothing half-written */
        if (out->data)
            out->data[start] = 0;
    }
    return w.rc;
}
