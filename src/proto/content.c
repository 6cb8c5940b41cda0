/* content.c: where the file contents are in protocol text (content.h). */
#include "proto/content.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_int.h"
#include "util/buf.h"

static int push(lf_spans *s, size_t a, size_t b)
{
    if (a >= b)
        return 0;
    if (2 * s->n + 2 > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        size_t *at = realloc(s->at, cap * sizeof *at);
        if (!at)
            return -ENOMEM;
        s->at = at;
        s->cap = cap;
    }
    s->at[2 * s->n] = a;
    s->at[2 * s->n + 1] = b;
    s->n++;
    return 0;
}

void lf_spans_free(lf_spans *s)
{
    if (!s)
        return;
    free(s->at);
    memset(s, 0, sizeof *s);
}

/* The data of the write whose line starts at text[at]: its range, and
 * where the line ends: at the first "\n---\n" followed by a state document
 * ("<filesystem>") where the line parses (the prompt parser also asks the
 * whole state to parse; data holding "\n---\n<filesystem>" after a tail of
 * its own could only be told apart so). The data follows the path as
 * lf_proto_repr writes it: "write(" PATH ", data=" or ", data_base64=".
 * False when the line does not parse as a write written so. */
static bool write_data(const char *text, size_t len, size_t at, size_t *a, size_t *b,
                       size_t *line_end)
{
    static const char SEP[] = "\n---\n", STATE[] = "<filesystem>", OPEN[] = "write(";
    static const char RAW[] = ", data=", B64[] = ", data_base64=";
    for (const char *p = text + at; (p = memmem(p, len - (size_t)(p - text), SEP, sizeof SEP - 1));
         p++) {
        size_t end = (size_t)(p - text), after = end + sizeof SEP - 1;
        lf_op op;
        lf_err err;
        if (len - after < sizeof STATE - 1 || memcmp(text + after, STATE, sizeof STATE - 1) ||
            lf_op_parse(text + at, end - at, &op, &err))
            continue;
        lf_buf path;
        lf_buf_init(&path, 0);
        bool ok = op.kind == LF_OP_WRITE && !lf_proto_repr(op.path, strlen(op.path), &path);
        size_t d = at + sizeof OPEN - 1 + path.len, n = op.data_len;
        ok = ok && d <= end && !memcmp(text + at + sizeof OPEN - 1, path.data, path.len);
        if (ok && end - d >= sizeof B64 - 1 && !memcmp(text + d, B64, sizeof B64 - 1)) {
            d += sizeof B64 - 1;
            n = (n + 2) / 3 * 4;   /* 4 characters for every 3 bytes, padded */
        } else if (ok && end - d >= sizeof RAW - 1 && !memcmp(text + d, RAW, sizeof RAW - 1)) {
            d += sizeof RAW - 1;
        } else {
            ok = false;
        }
        lf_buf_free(&path);
        lf_op_free(&op);
        if (!ok || n > end - d)
            return false;
        *a = d;
        *b = d + n;
        *line_end = end;
        return true;
    }
    return false;
}

/* The prompt's tag line: the first "<W>\n" or "<R>\n" (a contract wrapper
 * before it holds neither), or NULL. */
static const char *tag(const char *text, size_t len)
{
    const char *w = len ? memmem(text, len, "<W>\n", 4) : NULL;
    const char *r = len ? memmem(text, w ? (size_t)(w - text) : len, "<R>\n", 4) : NULL;
    return r ? r : w;
}

int lf_content_answer_spans(const char *prompt, size_t plen, const char *answer, size_t alen,
                            lf_spans *out)
{
    static const char READ[] = "<R>\nread(", ERR[] = "ERROR: ";
    const char *t = tag(prompt, plen);
    if (t && plen - (size_t)(t - prompt) >= sizeof READ - 1 && !memcmp(t, READ, sizeof READ - 1) &&
        !(alen >= sizeof ERR - 1 && !memcmp(answer, ERR, sizeof ERR - 1)))
        return push(out, 0, alen);
    return lf_content_spans(answer, alen, out);
}

int lf_content_spans(const char *text, size_t len, lf_spans *out)
{
    static const char W[] = "<W>\nwrite(";
    static const char OPEN[] = "<body", CLOSE[] = "</body>", B64[] = " encoding=\"base64\">";
    static const char STATE[] = "\n---\n<filesystem>";
    size_t from = 0;
    const char *t = tag(text, len);
    bool w = t && len - (size_t)(t - text) >= sizeof W - 1 && !memcmp(t, W, sizeof W - 1);
    size_t a, b, end;
    if (w && write_data(text, len, (size_t)(t - text) + 4, &a, &b, &end)) {
        if (push(out, a, b))
            return -ENOMEM;
        from = end;
    } else {   /* a prompt's bodies are in its state, not in its op line */
        const char *st = len ? memmem(text, len, STATE, sizeof STATE - 1) : NULL;
        if (st)
            from = (size_t)(st - text);
    }
    while (from < len) {
        const char *o = memmem(text + from, len - from, OPEN, sizeof OPEN - 1);
        if (!o)
            break;
        size_t i = (size_t)(o - text) + sizeof OPEN - 1;
        if (i < len && text[i] == '>')
            i++;
        else if (len - i >= sizeof B64 - 1 && !memcmp(text + i, B64, sizeof B64 - 1))
            i += sizeof B64 - 1;
        else {
            from = i;   /* "<body />" or not a body */
            continue;
        }
        const char *c = memmem(text + i, len - i, CLOSE, sizeof CLOSE - 1);
        size_t e = c ? (size_t)(c - text) : len;   /* an unfinished body runs to the end */
        if (push(out, i, e))
            return -ENOMEM;
        from = c ? e + sizeof CLOSE - 1 : len;
    }
    return 0;
}
