/* score.c: exact match of raw answers, and the reasons an answer is not
 * exact (score.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eval/score.h"
#include "util/text.h"

#define CONTEXT 40

static const struct {
    const char *id, *name;
} whys[LF_WHY__COUNT] = {
    [LF_WHY_EXACT] = {"exact", "exact"},
    [LF_WHY_BACKEND] = {"backend", "backend failed"},
    [LF_WHY_PROMPT] = {"prompt", "prompt does not parse"},
    [LF_WHY_UNPARSED] = {"unparsed", "does not parse"},
    [LF_WHY_ERR_FOR_OK] = {"err_for_ok", "ERROR where a success is expected"},
    [LF_WHY_OK_FOR_ERR] = {"ok_for_err", "success where an ERROR is expected"},
    [LF_WHY_ERRNO] = {"errno", "wrong errno"},
    [LF_WHY_SAME_STATE] = {"same_state", "right state, other text"},
    [LF_WHY_STRUCTURE] = {"structure", "right structure, wrong bytes"},
    [LF_WHY_TREE] = {"tree", "wrong structure"},
    [LF_WHY_SAME_LIST] = {"same_list", "right names, other spelling"},
    [LF_WHY_LIST] = {"list", "wrong names or order"},
    [LF_WHY_BYTES] = {"bytes", "wrong content"},
};

const char *lf_eval_why_name(lf_eval_why w)
{
    return w < LF_WHY__COUNT ? whys[w].name : "?";
}

const char *lf_eval_why_id(lf_eval_why w)
{
    return w < LF_WHY__COUNT ? whys[w].id : "?";
}

void lf_eval_verdict_free(lf_eval_verdict *v)
{
    if (!v)
        return;
    free(v->diff_before);
    free(v->diff_expected);
    free(v->diff_got);
    memset(v, 0, sizeof *v);
}

/* Length of the valid UTF-8 sequence at s[0..n) (2-4), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3 : (s[0] >> 3) == 30 ? 4 : 0;
    if (len == 0 || len > n || !lf_utf8_valid(s, len))
        return 0;
    return len;
}

int lf_eval_escape(const void *p, size_t n, lf_buf *out)
{
    const unsigned char *s = p;
    int rc = lf_buf_append(out, "", 0);
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = s[i];
        size_t k;
        if (c == '\n')
            rc = lf_buf_puts(out, "\\n");
        else if (c == '\t')
            rc = lf_buf_puts(out, "\\t");
        else if (c == '\r')
            rc = lf_buf_puts(out, "\\r");
        else if (c == '\\')
            rc = lf_buf_puts(out, "\\\\");
        else if (c < 0x20 || c == 0x7F)
            rc = lf_buf_printf(out, "\\x%02x", c);
        else if (c < 0x80)
            rc = lf_buf_putc(out, (char)c);
        else if ((k = utf8_seq(s + i, n - i)) > 0) { /* a whole character: as it is */
            rc = lf_buf_append(out, s + i, k);
            i += k - 1;
        } else {
            rc = lf_buf_printf(out, "\\x%02x", c); /* not UTF-8 */
        }
    }
    return rc;
}

/* The escaped excerpt p[a..b) as a new string, or NULL on ENOMEM. Cuts are
 * moved off UTF-8 continuation bytes so excerpts stay valid text. */
static char *excerpt(const char *p, size_t n, size_t a, size_t b)
{
    if (b > n)
        b = n;
    while (a > 0 && a < b && ((unsigned char)p[a] & 0xC0) == 0x80)
        a--;
    while (b < n && b > a && ((unsigned char)p[b] & 0xC0) == 0x80)
        b++;
    lf_buf o;
    lf_buf_init(&o, 0);
    if (lf_eval_escape(p + a, b - a, &o)) {
        lf_buf_free(&o);
        return NULL;
    }
    return lf_buf_steal(&o, NULL);
}

static int first_diff(const char *a, size_t na, const char *e, size_t ne, lf_eval_verdict *v)
{
    size_t i = 0;
    while (i < na && i < ne && a[i] == e[i])
        i++;
    v->diff_off = i;
    size_t from = i > CONTEXT ? i - CONTEXT : 0;
    v->diff_before = excerpt(e, ne, from, i);
    v->diff_expected = excerpt(e, ne, i, i + CONTEXT);
    v->diff_got = excerpt(a, na, i, i + CONTEXT);
    return v->diff_before && v->diff_expected && v->diff_got ? 0 : -ENOMEM;
}

size_t lf_eval_cut(const char *text, size_t len, bool is_write)
{
    if (!is_write)
        return len;
    size_t cut = lf_completion_cut(text, len);
    if (cut > 0 && text[cut - 1] == '\n')
        cut--;
    return cut;
}

static bool same_shape(const lf_node *a, const lf_node *b)
{
    if (a->kind != b->kind || strcmp(a->name, b->name))
        return false;
    if (a->kind != LF_NODE_DIR)
        return true;
    if (a->nkids != b->nkids)
        return false;
    for (size_t i = 0; i < a->nkids; i++)
        if (!same_shape(a->kids[i], b->kids[i]))
            return false;
    return true;
}

bool lf_eval_same_shape(const lf_state *a, const lf_state *b)
{
    return a && b && same_shape(a->root, b->root);
}

int lf_eval_parse_expected(const lf_op *op, const lf_state *cur, const char *text, size_t len,
                           lf_answer *out)
{
    lf_err err;
    memset(out, 0, sizeof *out);
    if (lf_op_is_write(op->kind) && !(len >= 6 && !memcmp(text, "ERROR:", 6))) {
        size_t cut = lf_eval_cut(text, len, true);
        out->kind = LF_ANS_STATE;
        return lf_state_parse(text, cut, LF_PARSE_LENIENT, &out->state, NULL, &err);
    }
    return lf_completion_parse(op, cur, text, len, out, &err);
}

static bool same_list(const lf_answer *a, const lf_answer *b)
{
    if (a->nnames != b->nnames)
        return false;
    for (size_t i = 0; i < a->nnames; i++)
        if (strcmp(a->names[i], b->names[i]))
            return false;
    return true;
}

int lf_eval_score(const lf_op *op, const lf_state *cur, bool is_write, const char *answer,
                  size_t alen, const char *expected, size_t elen, lf_eval_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->parses = v->state_right = v->structure = -1;
    size_t ac = lf_eval_cut(answer, alen, is_write);
    size_t ec = lf_eval_cut(expected, elen, is_write);
    v->exact = ac == ec && (ac == 0 || !memcmp(answer, expected, ac));
    if (!op) {
        v->why = v->exact ? LF_WHY_EXACT : LF_WHY_PROMPT;
        return v->exact ? 0 : first_diff(answer, ac, expected, ec, v);
    }
    lf_answer got = {0}, want = {0};
    lf_err err;
    int rc = 0;
    bool got_ok = lf_completion_parse(op, cur, answer, alen, &got, &err) == 0;
    bool want_ok = lf_eval_parse_expected(op, cur, expected, elen, &want) == 0;
    v->parses = got_ok;
    if (is_write) {
        v->state_right = 0;
        if (got_ok && want_ok) {
            if (got.kind == LF_ANS_ERROR && want.kind == LF_ANS_ERROR)
                v->state_right = 1; /* either way the state stays as it was */
            else if (got.kind == LF_ANS_STATE && want.kind == LF_ANS_STATE) {
                v->state_right = lf_state_equal(got.state, want.state);
                v->structure = lf_eval_same_shape(got.state, want.state);
            }
        }
    }
    if (v->exact) {
        v->why = LF_WHY_EXACT;
        goto out;
    }
    if (!got_ok)
        v->why = LF_WHY_UNPARSED;
    else if (!want_ok)
        v->why = got.kind == LF_ANS_STATE ? LF_WHY_TREE : got.kind == LF_ANS_LIST ? LF_WHY_LIST
                                                                                   : LF_WHY_BYTES;
    else if (got.kind == LF_ANS_ERROR && want.kind == LF_ANS_ERROR)
        v->why = got.err == want.err ? LF_WHY_BYTES : LF_WHY_ERRNO;
    else if (got.kind == LF_ANS_ERROR)
        v->why = LF_WHY_ERR_FOR_OK;
    else if (want.kind == LF_ANS_ERROR)
        v->why = LF_WHY_OK_FOR_ERR;
    else if (got.kind == LF_ANS_STATE)
        v->why = v->state_right == 1 ? LF_WHY_SAME_STATE
                 : v->structure == 1 ? LF_WHY_STRUCTURE
                                     : LF_WHY_TREE;
    else if (got.kind == LF_ANS_LIST)
        v->why = same_list(&got, &want) ? LF_WHY_SAME_LIST : LF_WHY_LIST;
    else
        v->why = LF_WHY_BYTES;
    rc = first_diff(answer, ac, expected, ec, v);
out:
    lf_answer_free(&got);
    lf_answer_free(&want);
    return rc;
}
