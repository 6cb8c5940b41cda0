/* backend.c: the timed call every caller goes through, and the answer
 * budget (PROTOCOL.md §7: the client always sends max_tokens, sized from the
 * state; seed-reference §11 item 15). The factory is in factory.c.
 *
 * The budget is the length of the longest right answer, in tokens:
 *   bytes  = the current state + the op's growth + 16 (the "\n<END_FS>" tail)
 *            (queries: the listing, file or link content instead)
 *   tokens = ceil(bytes x r x 1.1) + 32
 * where r is the prompt's own tokens per byte (the prompt carries the state,
 * so it is the state's density; clamped to [1/4, 1]). The growth bounds are in
 * op_growth(): with the state at hand they are tight, without it they assume
 * the worst that state_len allows. A request fits when prompt + budget <=
 * context_tokens; otherwise -ENOSPC (the mount reports it as "no space"). */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "backend/backend_int.h"
#include "util/text.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int lf_backend_complete(lf_backend *b, const lf_request *req, lf_buf *out,
                        lf_backend_stats *stats, lf_err *err)
{
    lf_backend_stats st = {.seconds = 0, .prompt_tokens = -1, .completion_tokens = -1};
    lf_request r = *req;
    double t0 = now_s();
    int rc = 0;
    if (r.attempt < 0 || (r.attempt > 0 && !b->alternatives))
        rc = lf_err_set(err, ENOTSUP, "%s: no alternative answers", b->vt->name);
    if (rc == 0 && r.max_tokens == 0)
        rc = lf_backend_budget_request(b, &r, &r.max_tokens, NULL, err);
    if (rc == 0)
        rc = b->vt->complete(b, &r, out, &st, err);
    st.seconds = now_s() - t0;
    if (stats)
        *stats = st;
    return rc;
}

long lf_backend_estimate_tokens(size_t len)
{
    return (long)ceil((double)len / 2.5) + 16;
}

/* ---- the answer bound ---- */

/* Bytes of s after XML text escaping (PROTOCOL.md §3): & and CR take 5,
 * < and > take 4. */
static size_t esc_len(const unsigned char *s, size_t n)
{
    size_t r = 0;
    for (size_t i = 0; i < n; i++)
        r += (s[i] == '&' || s[i] == '\r') ? 5 : (s[i] == '<' || s[i] == '>') ? 4 : 1;
    return r;
}

static size_t b64_len(size_t n) { return (n + 2) / 3 * 4; }
static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

static size_t subtree_count(const lf_node *n)
{
    size_t c = 1;
    if (n->kind == LF_NODE_DIR)
        for (size_t i = 0; i < n->nkids; i++)
            c += subtree_count(n->kids[i]);
    return c;
}

/* Upper bound on how many bytes op adds to the state's serialisation. st may
 * be NULL (then only state_len is known). */
static size_t op_growth(const lf_op *op, const lf_state *st, size_t state_len)
{
    const lf_node *n = st && op->path ? lf_state_lookup(st, op->path, NULL) : NULL;
    bool file = n && n->kind == LF_NODE_FILE;
    size_t cur = file ? n->size : 0;
    bool cur_b64 = file && lf_text_needs_base64(n->data, n->size);
    size_t plen = op->path ? strlen(op->path) : 0;

    /* sizes past 1 TiB cannot fit any context: say so without overflowing */
    const uint64_t huge = (uint64_t)1 << 40;
    if ((op->kind == LF_OP_WRITE && (op->offset > huge || op->data_len > huge)) ||
        (op->kind == LF_OP_TRUNCATE && op->length > huge))
        return (size_t)huge * 4;

    switch (op->kind) {
    case LF_OP_WRITE: {
        size_t end = (size_t)op->offset + op->data_len;
        bool data_b64 = lf_text_needs_base64(op->data, op->data_len);
        size_t g;
        if (st) {
            if (!file)
                return 0; /* an error answer */
            if (!cur_b64 && !data_b64 && op->offset <= cur)
                g = esc_len(op->data, op->data_len);          /* stays text */
            else if (cur_b64)
                g = b64_len(max_sz(cur, end)) - b64_len(cur); /* stays base64 */
            else
                g = b64_len(max_sz(cur, end)) + 18;           /* becomes base64 */
        } else {
            g = max_sz(esc_len(op->data, op->data_len), b64_len(op->data_len));
            if (op->offset > 0)
                g = max_sz(g, b64_len(end));
            if (data_b64)
                g = max_sz(g, b64_len(max_sz(state_len, end)));
            g += 18;
        }
        return g + 24; /* size attribute digits */
    }
    case LF_OP_TRUNCATE:
        if (st && (!file || op->length <= cur))
            return 24;
        return b64_len((size_t)op->length) + 18 + 24;
    case LF_OP_MKDIR:
    case LF_OP_CREATE:
    case LF_OP_SYMLINK: {
        /* one element: fixed text, path and name attributes escaped (a quote
         * takes 6 bytes), owner and group, a symlink's target */
        size_t og = st ? strlen(st->root->owner) + strlen(st->root->group) : 128;
        size_t tl = op->link_target ? strlen(op->link_target) : 0;
        return 160 + og + 6 * (2 * plen + tl);
    }
    case LF_OP_RENAME: {
        size_t nl = op->new_path ? strlen(op->new_path) : 0;
        size_t longer = nl > plen ? nl - plen : 0;
        size_t count = n ? subtree_count(n) : st ? 0 : state_len / 64 + 1;
        return count * 6 * longer + 6 * nl + 64;
    }
    case LF_OP_CHMOD:
        return 8;
    case LF_OP_CHOWN:
        return 48;
    default:
        return 0;
    }
}

/* Upper bound on the bytes of the right answer to op; *content: how many
 * of them are file contents that are not in the prompt's state (a write's
 * or a truncate's new bytes, a read's answer), which a model that reads
 * contents one token per byte writes one token each. */
static size_t answer_bytes(const lf_op *op, const lf_state *st, size_t state_len,
                           size_t *content)
{
    size_t r = 0;
    const lf_node *n = st && op->path ? lf_state_lookup(st, op->path, NULL) : NULL;
    *content = 0;
    if (lf_op_is_write(op->kind)) {
        size_t g = op_growth(op, st, state_len);
        r = state_len + g + 16;
        if (op->kind == LF_OP_WRITE || op->kind == LF_OP_TRUNCATE)
            *content = g;
    } else if (op->kind == LF_OP_READDIR) {
        if (n && n->kind == LF_NODE_DIR) {
            r = 16;
            for (size_t i = 0; i < n->nkids; i++)
                r += 6 * strlen(n->kids[i]->name) + 4; /* \uXXXX per byte at worst */
        } else if (!st) {
            r = 3 * state_len + 16;
        }
    } else if (op->kind == LF_OP_READ) {
        if (n && n->kind == LF_NODE_FILE)
            r = lf_text_needs_base64(n->data, n->size) ? b64_len(n->size) : n->size;
        else if (!st)
            r = state_len;
        *content = r;
    } else if (op->kind == LF_OP_READLINK) {
        if (n && n->kind == LF_NODE_LINK)
            r = strlen(n->target);
        else if (!st)
            r = state_len;
    }
    return max_sz(r, 32); /* "ERROR: ENOTEMPTY" and the like */
}

/* Tokens for bytes of answer, at the density of a prompt of prompt_tokens
 * tokens over prompt_bytes bytes (the content bytes among them at one
 * token each where the model reads contents so), then the fit check. */
static int fit(lf_backend *b, size_t bytes, size_t content, long prompt_tokens,
               size_t prompt_bytes, size_t *max_tokens, lf_err *err)
{
    double r = 0.4;
    if (prompt_tokens > 0 && prompt_bytes > 0)
        r = (double)prompt_tokens / (double)prompt_bytes;
    r = r < 0.25 ? 0.25 : r > 1.0 ? 1.0 : r;
    if (!b->content_bytes || content > bytes)
        content = 0;
    double t = ceil((double)(bytes - content) * r * 1.1 + (double)content) + 32;
    if (b->context_tokens > 0) {
        long room = b->context_tokens - (prompt_tokens > 0 ? prompt_tokens : 0);
        if (t > (double)room)
            return lf_err_set(err, ENOSPC,
                              "request does not fit the context: prompt %ld + answer "
                              "budget %.0f tokens > %ld",
                              prompt_tokens, t, b->context_tokens);
    }
    *max_tokens = (size_t)t;
    return 0;
}

long lf_backend_budget(lf_backend *b, const lf_op *op, long prompt_tokens,
                       size_t state_len, size_t *max_tokens)
{
    /* The prompt is longer than its state, so prompt_tokens / state_len
     * over-estimates the density: conservative. */
    size_t content, bytes = answer_bytes(op, NULL, state_len, &content);
    return fit(b, bytes, content, prompt_tokens, state_len, max_tokens, NULL);
}

int lf_backend_budget_request(lf_backend *b, const lf_request *req, size_t *max_tokens,
                              long *prompt_tokens, lf_err *err)
{
    if (!req->op || !req->state) { /* only the prompt: read op and state from it */
        lf_op op = {0};
        lf_state *st = NULL;
        int rc = lf_prompt_parse(req->prompt, req->prompt_len, LF_PARSE_LENIENT, &op, &st,
                                 NULL, err);
        if (rc < 0)
            return lf_err_prefix(err, "backend: ");
        lf_request r = *req;
        r.op = &op;
        r.state = st;
        rc = lf_backend_budget_request(b, &r, max_tokens, prompt_tokens, err);
        lf_op_free(&op);
        lf_state_free(st);
        return rc;
    }
    lf_buf w;
    lf_buf_init(&w, 0);
    int rc = lf_contract_wrap(b->contract, req->prompt, req->prompt_len, &w);
    if (rc < 0) {
        lf_buf_free(&w);
        return lf_err_set(err, -rc, "backend: cannot wrap the prompt");
    }
    long pt = b->vt->count_tokens(b, w.data, w.len);
    size_t pbytes = w.len;
    lf_buf_free(&w);
    if (prompt_tokens)
        *prompt_tokens = pt;

    /* The state is the prompt's text after the first "\n---\n". */
    size_t state_len = req->prompt_len;
    const char *sep = memmem(req->prompt, req->prompt_len, "\n---\n", 5);
    if (sep)
        state_len = req->prompt_len - (size_t)(sep + 5 - req->prompt);
    size_t content, bytes = answer_bytes(req->op, req->state, state_len, &content);
    if (pt < 0) { /* unlimited (the oracle): the bound in bytes is plenty */
        *max_tokens = bytes + 32;
        return 0;
    }
    return fit(b, bytes, content, pt, pbytes, max_tokens, err);
}
