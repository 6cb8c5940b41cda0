/* completion.c: completions (PROTOCOL.md §4), rendered as the training data
 * has them and parsed from raw model answers.
 *
 *   <W> success   canonical state + "\n<END_FS>"
 *   failure       "ERROR: ENAME" (free text after "ERROR:" reads as EIO)
 *   readdir       [".","..",...] compact, \uXXXX for non-ASCII
 *   read          the content raw, or its base64 when the body is base64
 *   readlink      the link's content
 *
 * A read or readlink answer that starts with "ERROR:" is taken as content
 * only when it is exactly what the prompt's state holds at that path (a
 * file may contain such text; the state settles it). */
#include "proto/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/text.h"

#define END_FS "<END_FS>"

void lf_answer_free(lf_answer *a)
{
    if (!a)
        return;
    lf_state_free(a->state);
    for (size_t i = 0; i < a->nnames; i++)
        free(a->names[i]);
    free(a->names);
    free(a->bytes);
    memset(a, 0, sizeof *a);
}

size_t lf_completion_cut(const char *text, size_t len)
{
    const char *p = memmem(text, len, END_FS, sizeof END_FS - 1);
    return p ? (size_t)(p - text) : len;
}

int lf_completion_render(const lf_op *op, const lf_answer *ans, lf_buf *out)
{
    int rc = 0;
    switch (ans->kind) {
    case LF_ANS_STATE:
        if (!ans->state)
            return -EINVAL;
        rc = lf_state_serialize(ans->state, out);
        return rc ? rc : lf_buf_puts(out, "\n" END_FS);
    case LF_ANS_ERROR: {
        const char *name = lf_errno_name(ans->err);
        return lf_buf_printf(out, "ERROR: %s", name ? name : "EIO");
    }
    case LF_ANS_LIST:
        rc = lf_buf_puts(out, "[\".\",\"..\"");
        for (size_t i = 0; !rc && i < ans->nnames; i++) {
            rc = lf_buf_putc(out, ',');
            if (!rc)
                rc = lf_json_write_str(out, ans->names[i], strlen(ans->names[i]), true);
        }
        return rc ? rc : lf_buf_putc(out, ']');
    case LF_ANS_BYTES:
        if (op && op->kind == LF_OP_READ && ans->nbytes &&
            lf_text_needs_base64(ans->bytes, ans->nbytes))
            return lf_b64_encode(ans->bytes, ans->nbytes, out);
        return lf_buf_append(out, ans->bytes, ans->nbytes);
    }
    return -EINVAL;
}

static bool starts_with(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && memcmp(s, p, k) == 0;
}

/* "ERROR: ENAME" -> that errno; any other "ERROR:..." -> EIO. */
static int parse_error(const char *s, size_t n)
{
    size_t i = 6; /* "ERROR:" */
    while (i < n && s[i] == ' ')
        i++;
    size_t e = n;
    while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\n' || s[e - 1] == '\r' ||
                     s[e - 1] == '\t'))
        e--;
    int code = lf_errno_from_name(s + i, e - i);
    return code > 0 ? code : EIO;
}

static int set_bytes(lf_answer *out, const void *p, size_t n)
{
    out->kind = LF_ANS_BYTES;
    out->bytes = malloc(n ? n : 1);
    if (!out->bytes)
        return -ENOMEM;
    memcpy(out->bytes, p, n);
    out->nbytes = n;
    return 0;
}

static int parse_list(const char *text, size_t len, lf_answer *out, lf_err *err)
{
    lf_json *j = NULL;
    lf_err je;
    int rc = lf_json_parse(text, len, &j, &je);
    if (rc)
        return lf_err_set(err, EBADMSG, "readdir answer is not JSON: %s", je.msg);
    if (j->type != LF_JSON_ARR) {
        rc = lf_err_set(err, EBADMSG, "readdir answer is not a JSON array");
        goto out;
    }
    out->kind = LF_ANS_LIST;
    out->names = calloc(j->n ? j->n : 1, sizeof *out->names);
    if (!out->names) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < j->n; i++) {
        const lf_json *v = &j->items[i];
        if (v->type != LF_JSON_STR) {
            rc = lf_err_set(err, EBADMSG, "readdir answer: item %zu is not a string", i);
            goto out;
        }
        if ((v->len == 1 && v->str[0] == '.') || (v->len == 2 && !memcmp(v->str, "..", 2)))
            continue;
        /* a name the state could hold (§3): no '/', valid UTF-8, no control bytes */
        if (v->len == 0 || memchr(v->str, '/', v->len) || lf_text_needs_base64(v->str, v->len)) {
            rc = lf_err_set(err, EBADMSG, "readdir answer: item %zu is not a file name", i);
            goto out;
        }
        out->names[out->nnames] = strndup(v->str, v->len);
        if (!out->names[out->nnames]) {
            rc = -ENOMEM;
            goto out;
        }
        out->nnames++;
    }
out:
    lf_json_free(j);
    return rc;
}

/* What the prompt's state holds at op's path, as answer text: *raw is the
 * decoded content, *b64 whether the body is base64. NULL if no such node. */
static const lf_node *state_node(const lf_state *cur, const lf_op *op, lf_node_kind kind)
{
    if (!cur || !op->path)
        return NULL;
    const lf_node *n = lf_state_lookup(cur, op->path, NULL);
    return n && n->kind == kind ? n : NULL;
}

static int parse_read(const lf_op *op, const lf_state *cur, const char *text, size_t len,
                      lf_answer *out, lf_err *err)
{
    const lf_node *n = state_node(cur, op, LF_NODE_FILE);
    bool b64 = n && n->size && lf_text_needs_base64(n->data, n->size);
    if (n && !b64 && n->size == len && (len == 0 || !memcmp(n->data, text, len)))
        return set_bytes(out, text, len);
    if (starts_with(text, len, "ERROR:")) {
        out->kind = LF_ANS_ERROR;
        out->err = parse_error(text, len);
        return 0;
    }
    if (!b64)
        return set_bytes(out, text, len);
    lf_buf d;
    lf_buf_init(&d, len);
    int rc = lf_b64_decode(text, len, &d);
    if (rc) {
        lf_buf_free(&d);
        return lf_err_set(err, EBADMSG, "read answer: the body is base64, the answer is not");
    }
    out->kind = LF_ANS_BYTES;
    out->nbytes = d.len;
    out->bytes = (unsigned char *)lf_buf_steal(&d, NULL);
    return out->bytes ? 0 : -ENOMEM;
}

int lf_completion_parse(const lf_op *op, const lf_state *cur, const char *text, size_t len,
                        lf_answer *out, lf_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = 0;
    if (lf_op_is_write(op->kind)) {
        size_t cut = lf_completion_cut(text, len);
        if (cut > 0 && text[cut - 1] == '\n') /* the sentinel's own line break */
            cut--;
        if (starts_with(text, cut, "ERROR:")) {
            out->kind = LF_ANS_ERROR;
            out->err = parse_error(text, cut);
            return 0;
        }
        lf_err se;
        lf_err_clear(&se);
        out->kind = LF_ANS_STATE;
        rc = lf_state_parse(text, cut, LF_PARSE_STRICT, &out->state, NULL, &se);
        if (rc == -ENOMEM)
            return rc;
        if (rc)
            rc = lf_err_set(err, EBADMSG, "state answer: %s", se.msg);
    } else if (op->kind == LF_OP_READDIR) {
        if (starts_with(text, len, "ERROR:")) {
            out->kind = LF_ANS_ERROR;
            out->err = parse_error(text, len);
            return 0;
        }
        rc = parse_list(text, len, out, err);
    } else if (op->kind == LF_OP_READ) {
        rc = parse_read(op, cur, text, len, out, err);
    } else if (op->kind == LF_OP_READLINK) {
        const lf_node *n = state_node(cur, op, LF_NODE_LINK);
        bool same = n && n->target && strlen(n->target) == len && !memcmp(n->target, text, len);
        if (!same && starts_with(text, len, "ERROR:")) {
            out->kind = LF_ANS_ERROR;
            out->err = parse_error(text, len);
            return 0;
        }
        rc = set_bytes(out, text, len);
    } else {
        rc = lf_err_set(err, EINVAL, "completion: unknown operation kind %d", (int)op->kind);
    }
    if (rc)
        lf_answer_free(out);
    return rc;
}
