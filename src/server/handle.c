/* handle.c: what `llmfuse serve` answers (handle.h), apart from the HTTP
 * transport: a request (method, path, auth headers, body) in, a status and
 * a JSON body out. server.c feeds it from libmicrohttpd; the unit tests and
 * the fuzz target call it directly.
 *
 * Each request runs: JSON -> auth -> prompt -> unwrap the contract (§5) ->
 * lf_prompt_parse -> lf_backend_complete -> JSON answer.
 * Answers follow PROTOCOL.md §7:
 *   /generate        {"text": T} where T is the completion, a <W> one cut at
 *                    the first "<END_FS>" and the whitespace before the cut (the original's server stripped every answer;
 *                    we strip only there, so file content keeps its bytes).
 *                    Errors are FastAPI-shaped: {"detail": "..."}; a missing
 *                    prompt is 400 "prompt is required", a bad token 401
 *                    "invalid token", as the original.
 *   /v1/completions  {"id", "object": "text_completion", "created", "model",
 *                    "choices": [{"index": 0, "text", "finish_reason",
 *                    "logprobs": null}], "usage": {...}}; the text is cut at
 *                    the first of the request's stop strings, nothing else.
 *                    Errors: {"error": {"message", "type"}}.
 *                    usage comes from the backend where it knows (local), else
 *                    its count_tokens, else bytes/4 (the oracle has no tokenizer).
 * max_tokens absent: sized by lf_backend_budget_request. temperature is
 * accepted and ignored: every backend here decodes greedily. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/handle.h"
#include "util/json.h"
#include "util/text.h"

#define MAX_STOPS 8

/* A response under construction: status and JSON body. */
typedef struct reply {
    unsigned status;
    lf_buf *body;
} reply;

enum { API_GENERATE, API_OPENAI };

/* ---- replies ---- */

/* Appends msg as a JSON string; a message or model name may carry bytes of
 * the request that are not UTF-8: those become '?'. */
static void put_msg(lf_buf *out, const char *msg)
{
    size_t n = strlen(msg);
    if (lf_json_write_str(out, msg, n, true) == 0)
        return;
    char *m = strdup(msg);
    if (!m) {
        lf_buf_puts(out, "\"out of memory\"");
        return;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)m[i] >= 0x80)
            m[i] = '?';
    lf_json_write_str(out, m, n, true);
    free(m);
}

/* Appends a model's answer as a JSON string. A model may emit bytes that are
 * not UTF-8 (a byte-level tokenizer can stop mid-character); as vLLM does,
 * each bad sequence becomes U+FFFD, so the client gets the answer and judges
 * it (it will not parse: a right answer is always UTF-8, PROTOCOL.md §3). */
static int put_answer(lf_buf *out, const char *t, size_t n)
{
    if (lf_utf8_valid(t, n))
        return lf_json_write_str(out, t, n, false);
    lf_buf fixed;
    lf_buf_init(&fixed, 0);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        unsigned char c = (unsigned char)t[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (len && i + len <= n && lf_utf8_valid(t + i, len)) {
            rc = lf_buf_append(&fixed, t + i, len);
            i += len;
        } else {
            rc = lf_buf_append(&fixed, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
    if (rc == 0)
        rc = lf_json_write_str(out, fixed.data ? fixed.data : "", fixed.len, false);
    lf_buf_free(&fixed);
    return rc;
}

static void reply_error(reply *r, int api, unsigned status, const char *msg)
{
    r->status = status;
    lf_buf_reset(r->body);
    if (api == API_OPENAI) {
        const char *type = status == 401 ? "authentication_error"
                           : status < 500 ? "invalid_request_error"
                                          : "server_error";
        lf_buf_puts(r->body, "{\"error\":{\"message\":");
        put_msg(r->body, msg);
        lf_buf_printf(r->body, ",\"type\":\"%s\"}}", type);
    } else {
        lf_buf_puts(r->body, "{\"detail\":");
        put_msg(r->body, msg);
        lf_buf_putc(r->body, '}');
    }
}

/* Constant-time comparison of a presented secret with the expected one. */
static bool secret_eq(const char *given, const char *want)
{
    if (!given)
        return false;
    size_t a = strlen(given), b = strlen(want);
    unsigned char d = a != b;
    for (size_t i = 0; i < b; i++)
        d |= (unsigned char)(given[i < a ? i : 0] ^ want[i]);
    return d == 0;
}

static bool authorised(const lf_serve_cfg *s, const lf_serve_req *rq, int api)
{
    if (!s->token || !s->token[0])
        return true;
    if (secret_eq(rq->x_token, s->token))
        return true;
    if (api == API_OPENAI) {
        const char *a = rq->authorization;
        if (a && !strncasecmp(a, "Bearer ", 7) && secret_eq(a + 7, s->token))
            return true;
    }
    return false;
}

/* ---- answering a prompt ---- */

/* Answers a received (possibly wrapped) prompt. Returns 0 with the
 * backend's raw completion in text, *is_write saying whether the op is a
 * <W>, and stats (if non-NULL) filled; or an HTTP status with err set: 400
 * for a prompt that does not parse or does not fit the context, 500 for a
 * backend failure. */
static unsigned answer(lf_serve_cfg *s, const char *prompt, size_t len, size_t max_tokens,
                       lf_buf *text, bool *is_write, lf_backend_stats *stats, lf_err *err)
{
    lf_contract prof;
    size_t off;
    lf_op op = {0};
    lf_state *st = NULL;
    unsigned status = 0;
    if (lf_contract_unwrap(prompt, len, &prof, &off, err) < 0)
        return 400;
    if (lf_prompt_parse(prompt + off, len - off, LF_PARSE_LENIENT, &op, &st, NULL, err) < 0) {
        lf_err_prefix(err, "prompt: ");
        return 400;
    }
    *is_write = lf_op_is_write(op.kind);
    lf_request req = {.op = &op, .state = st, .prompt = prompt + off, .prompt_len = len - off,
                      .max_tokens = max_tokens};
    int rc = lf_backend_complete(s->b, &req, text, stats, err);
    if (rc == -ENOSPC)
        status = 400;
    else if (rc < 0)
        status = 500;
    lf_op_free(&op);
    lf_state_free(st);
    return status;
}

/* Reads max_tokens (absent: 0, the backend's budget); false if malformed. */
static bool get_max_tokens(const lf_json *j, size_t *out)
{
    const lf_json *m = lf_json_get(j, "max_tokens");
    *out = 0;
    if (!m || m->type == LF_JSON_NULL)
        return true;
    if (m->type != LF_JSON_NUM || m->num < 1 || m->num > 1e9 || m->num != (double)(long)m->num)
        return false;
    *out = (size_t)m->num;
    return true;
}

static bool temperature_ok(const lf_json *j)
{
    const lf_json *t = lf_json_get(j, "temperature");
    return !t || t->type == LF_JSON_NULL || (t->type == LF_JSON_NUM && t->num >= 0);
}

static void handle_generate(lf_serve_cfg *s, const lf_json *j, reply *r)
{
    lf_err err = {0};
    size_t plen, max_tokens;
    const char *prompt = lf_json_get_str(j, "prompt", &plen);
    if (!prompt || plen == 0)
        return reply_error(r, API_GENERATE, 400, "prompt is required");
    if (!temperature_ok(j))
        return reply_error(r, API_GENERATE, 400, "temperature must be a number >= 0");
    if (!get_max_tokens(j, &max_tokens))
        return reply_error(r, API_GENERATE, 400, "max_tokens must be a positive integer");
    lf_buf text;
    lf_buf_init(&text, 0);
    bool is_write = false;
    unsigned st = answer(s, prompt, plen, max_tokens, &text, &is_write, NULL, &err);
    if (st) {
        reply_error(r, API_GENERATE, st, err.msg);
        goto out;
    }
    /* §4: only a <W> answer is cut; a read keeps "<END_FS>" if the file has it */
    size_t n = is_write ? lf_completion_cut(text.data ? text.data : "", text.len) : text.len;
    if (is_write && n < text.len)
        while (n > 0 && (text.data[n - 1] == '\n' || text.data[n - 1] == ' ' ||
                         text.data[n - 1] == '\r' || text.data[n - 1] == '\t'))
            n--;
    r->status = 200;
    lf_buf_puts(r->body, "{\"text\":");
    if (put_answer(r->body, text.data ? text.data : "", n) < 0) {
        reply_error(r, API_GENERATE, 500, "out of memory");
        goto out;
    }
    lf_buf_putc(r->body, '}');
out:
    lf_buf_free(&text);
}

/* The request's stop strings (a string or an array of strings). */
static size_t get_stops(const lf_json *j, const char **stops, size_t *lens)
{
    const lf_json *s = lf_json_get(j, "stop");
    size_t n = 0;
    if (!s)
        return 0;
    if (s->type == LF_JSON_STR && s->len > 0) {
        stops[0] = s->str;
        lens[0] = s->len;
        return 1;
    }
    if (s->type == LF_JSON_ARR)
        for (size_t i = 0; i < s->n && n < MAX_STOPS; i++)
            if (s->items[i].type == LF_JSON_STR && s->items[i].len > 0) {
                stops[n] = s->items[i].str;
                lens[n++] = s->items[i].len;
            }
    return n;
}

static long count_or_estimate(lf_backend *b, const char *t, size_t n)
{
    long c = b->vt->count_tokens(b, t, n);
    return c >= 0 ? c : (long)(n / 4 + 1);
}

static void handle_openai(lf_serve_cfg *s, const lf_json *j, reply *r)
{
    lf_err err = {0};
    size_t plen, max_tokens;
    const char *prompt = lf_json_get_str(j, "prompt", &plen);
    const lf_json *pa = lf_json_get(j, "prompt");
    if (!prompt && pa && pa->type == LF_JSON_ARR && pa->n == 1 &&
        pa->items[0].type == LF_JSON_STR) {
        prompt = pa->items[0].str;
        plen = pa->items[0].len;
    }
    if (!prompt || plen == 0)
        return reply_error(r, API_OPENAI, 400, "prompt is required (a string)");
    if (!temperature_ok(j))
        return reply_error(r, API_OPENAI, 400, "temperature must be a number >= 0");
    if (!get_max_tokens(j, &max_tokens))
        return reply_error(r, API_OPENAI, 400, "max_tokens must be a positive integer");
    const char *model = lf_json_get_str(j, "model", NULL);
    if (!model)
        model = s->b->vt->name;
    const char *stops[MAX_STOPS];
    size_t slens[MAX_STOPS];
    size_t nstops = get_stops(j, stops, slens);

    lf_buf text;
    lf_buf_init(&text, 0);
    bool is_write = false;
    lf_backend_stats stats = {0, -1, -1};
    unsigned st = answer(s, prompt, plen, max_tokens, &text, &is_write, &stats, &err);
    if (st) {
        reply_error(r, API_OPENAI, st, err.msg);
        goto out;
    }
    const char *t = text.data ? text.data : "";
    size_t n = text.len;
    for (size_t i = 0; i < nstops; i++) {
        const char *p = memmem(t, n, stops[i], slens[i]);
        if (p)
            n = (size_t)(p - t);
    }
    long pt = stats.prompt_tokens >= 0 ? stats.prompt_tokens : count_or_estimate(s->b, prompt, plen);
    long ct = stats.completion_tokens >= 0 ? stats.completion_tokens
                                           : count_or_estimate(s->b, t, n);
    r->status = 200;
    lf_buf_printf(r->body, "{\"id\":\"cmpl-%lu\",\"object\":\"text_completion\",\"created\":%ld,"
                            "\"model\":",
                  (unsigned long)atomic_fetch_add(&s->ids, 1) + 1, (long)time(NULL));
    put_msg(r->body, model);
    lf_buf_puts(r->body, ",\"choices\":[{\"index\":0,\"text\":");
    if (put_answer(r->body, t, n) < 0) {
        reply_error(r, API_OPENAI, 500, "out of memory");
        goto out;
    }
    lf_buf_printf(r->body,
                  ",\"finish_reason\":\"%s\",\"logprobs\":null}],"
                  "\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,"
                  "\"total_tokens\":%ld}}",
                  max_tokens && ct >= (long)max_tokens ? "length" : "stop", pt, ct, pt + ct);
out:
    lf_buf_free(&text);
}

unsigned lf_serve_handle(lf_serve_cfg *s, const lf_serve_req *rq, lf_buf *out)
{
    reply r = {.status = 200, .body = out};
    const char *url = rq->path, *method = rq->method;
    int api = !strcmp(url, "/v1/completions") ? API_OPENAI : API_GENERATE;
    bool post = !strcmp(method, "POST");
    if (!strcmp(url, "/health")) {
        if (strcmp(method, "GET") && strcmp(method, "HEAD"))
            reply_error(&r, api, 405, "Method Not Allowed");
        else
            lf_buf_printf(out, "{\"status\":\"ok\",\"backend\":\"%s\",\"contract\":\"%s\"}",
                          s->b->vt->name, lf_contract_name(s->b->contract));
    } else if (strcmp(url, "/generate") && strcmp(url, "/v1/completions")) {
        reply_error(&r, api, 404, "Not Found");
    } else if (!post) {
        reply_error(&r, api, 405, "Method Not Allowed");
    } else if (!authorised(s, rq, api)) {
        reply_error(&r, api, 401, "invalid token");
    } else if (rq->too_big) {
        char m[96];
        snprintf(m, sizeof m, "request body larger than %zu bytes", s->max_body);
        reply_error(&r, api, 413, m);
    } else {
        lf_json *j = NULL;
        lf_err err = {0};
        if (lf_json_parse(rq->body ? rq->body : "", rq->body_len, &j, &err) < 0) {
            char m[600];
            snprintf(m, sizeof m, "the body is not JSON: %s", err.msg);
            reply_error(&r, api, 400, m);
        } else if (j->type != LF_JSON_OBJ) {
            reply_error(&r, api, 400, "the body is not a JSON object");
        } else if (api == API_OPENAI) {
            handle_openai(s, j, &r);
        } else {
            handle_generate(s, j, &r);
        }
        lf_json_free(j);
    }
    return r.status;
}
