/* http.c: the HTTP backends (PROTOCOL.md §7), over libcurl.
 *
 *   generate: POST {"prompt", "temperature": 0.0, "max_tokens"} to URL, with
 *             "/generate" appended unless the URL ends in it; header
 *             X-LLMFuse-Token when a token is set; answer {"text": ...}.
 *             Contract `seed` unless opts->contract says otherwise (the
 *             original's servers serve models trained on its data).
 *   openai:   POST {"model", "prompt", "max_tokens", "temperature": 0,
 *             "stop": ["<END_FS>"] (for <W> ops only)} to URL + "/v1/completions" (or
 *             "/completions" after a "/v1"); Authorization: Bearer KEY;
 *             answer choices[0].text, usage.{prompt,completion}_tokens.
 *             Contract `none` unless opts->contract says otherwise.
 *
 * Each attempt has the timeout opts->timeout_s. Failed attempts are retried
 * up to opts->retries times (at most 10) with exponential backoff (250 ms, 500 ms, ...,
 * at most 4 s) only where a retry can help: connection errors, timeouts and
 * HTTP 5xx; never a 4xx or a malformed answer. The response body is capped
 * (LF_HTTP_MAX_RESPONSE). Errors say the URL, the HTTP status and an excerpt
 * of the body. Each call uses its own curl easy handle, taken from a small
 * pool of idle ones so connections are reused (keep-alive); any number of
 * threads may call at once. The answer text is returned raw: lf_completion_parse judges it. */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend_int.h"
#include "util/json.h"
#include "util/log.h"

#define HTTP_IDLE_MAX 16

typedef struct http_backend {
    lf_backend base;
    int kind;
    char *url;          /* full endpoint URL */
    char *token;        /* NULL when unset */
    char *model;        /* openai: model name */
    double timeout_s;
    int retries;
    size_t max_response;
    /* Idle curl handles, reused so their connections stay open (keep-alive):
     * a call takes one (or makes one) and puts it back reset. */
    pthread_mutex_t mu;
    CURL *idle[HTTP_IDLE_MAX];
    int nidle;
} http_backend;

static CURL *handle_take(http_backend *h)
{
    CURL *c = NULL;
    pthread_mutex_lock(&h->mu);
    if (h->nidle > 0)
        c = h->idle[--h->nidle];
    pthread_mutex_unlock(&h->mu);
    return c ? c : curl_easy_init();
}

static void handle_put(http_backend *h, CURL *c)
{
    curl_easy_reset(c); /* options only: the open connection is kept */
    pthread_mutex_lock(&h->mu);
    if (h->nidle < HTTP_IDLE_MAX) {
        h->idle[h->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&h->mu);
    if (c)
        curl_easy_cleanup(c);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static const char *kind_name(int kind)
{
    return kind == LF_HTTP_OPENAI ? "openai" : "generate";
}

/* ---- one attempt ---- */

typedef struct sink {
    lf_buf *buf;
    bool over;          /* the body passed the cap */
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    if (lf_buf_append(s->buf, p, size * n) < 0) {
        s->over = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return size * n;
}

/* Appends a printable excerpt (at most 200 bytes) of a response body. */
static void excerpt(const lf_buf *body, char *dst, size_t cap)
{
    size_t n = body->len < 200 ? body->len : 200, j = 0;
    for (size_t i = 0; i < n && j + 2 < cap; i++) {
        unsigned char c = (unsigned char)body->data[i];
        dst[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
    }
    if (body->len > n && j + 4 < cap) {
        memcpy(dst + j, "...", 3);
        j += 3;
    }
    dst[j] = 0;
}

/* One POST. Returns 0 with the body in resp on a 2xx; otherwise a negative
 * errno with err set and *retry saying whether another attempt may help. */
static int post_once(http_backend *h, const lf_buf *body, lf_buf *resp, bool *retry,
                     lf_err *err)
{
    char ebuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdr = NULL;
    lf_buf auth;
    lf_buf_init(&auth, 0);
    sink s = {.buf = resp, .over = false};
    int rc = 0;
    *retry = false;

    CURL *c = handle_take(h);
    if (!c)
        return lf_err_set(err, ENOMEM, "%s: cannot create a curl handle", kind_name(h->kind));
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Accept: application/json");
    hdr = curl_slist_append(hdr, "Expect:");
    if (h->token) {
        if (h->kind == LF_HTTP_OPENAI)
            lf_buf_printf(&auth, "Authorization: Bearer %s", h->token);
        else
            lf_buf_printf(&auth, "X-LLMFuse-Token: %s", h->token);
        hdr = curl_slist_append(hdr, auth.data);
    }
    long ms = (long)ceil(h->timeout_s * 1000.0);
    curl_easy_setopt(c, CURLOPT_URL, h->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms < 10000 ? ms : 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif

    CURLcode cc = curl_easy_perform(c);
    const char *what = ebuf[0] ? ebuf : curl_easy_strerror(cc);
    switch (cc) {
    case CURLE_OK:
        break;
    case CURLE_COULDNT_CONNECT:
        *retry = true;
        rc = lf_err_set(err, ECONNREFUSED, "%s %s: cannot connect: %s", kind_name(h->kind),
                        h->url, what);
        goto out;
    case CURLE_OPERATION_TIMEDOUT:
        *retry = true;
        rc = lf_err_set(err, ETIMEDOUT, "%s %s: no answer within %.3g s: %s",
                        kind_name(h->kind), h->url, h->timeout_s, what);
        goto out;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        *retry = true;
        rc = lf_err_set(err, EIO, "%s %s: connection failed: %s", kind_name(h->kind), h->url,
                        what);
        goto out;
    case CURLE_COULDNT_RESOLVE_HOST:
        rc = lf_err_set(err, EHOSTUNREACH, "%s %s: %s", kind_name(h->kind), h->url, what);
        goto out;
    case CURLE_WRITE_ERROR:
        if (s.over) {
            rc = lf_err_set(err, EIO, "%s %s: response larger than %zu bytes",
                            kind_name(h->kind), h->url, h->max_response);
            goto out;
        }
        /* fall through */
    default:
        rc = lf_err_set(err, EIO, "%s %s: %s", kind_name(h->kind), h->url, what);
        goto out;
    }

    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        char ex[256];
        excerpt(resp, ex, sizeof ex);
        *retry = status >= 500;
        rc = lf_err_set(err, EIO, "%s %s: HTTP %ld: %s", kind_name(h->kind), h->url, status,
                        ex);
    }
out:
    if (rc == 0 || !*retry)
        handle_put(h, c);
    else
        curl_easy_cleanup(c); /* a failed connection is not worth keeping */
    curl_slist_free_all(hdr);
    lf_buf_free(&auth);
    return rc;
}

/* ---- request and answer bodies ---- */

/* The OpenAI body asks the server to stop at <END_FS> only for a <W> op: a
 * read answers file bytes, which may hold that text (the model ends them with
 * its end-of-text token instead). */
static int render_body(http_backend *h, const lf_buf *prompt, size_t max_tokens, bool write_op,
                       lf_buf *out)
{
    int rc = lf_buf_puts(out, "{\"prompt\":");
    if (rc == 0)
        rc = lf_json_write_str(out, prompt->data, prompt->len, false);
    if (rc < 0)
        return rc;
    if (h->kind == LF_HTTP_GENERATE)
        return lf_buf_printf(out, ",\"temperature\":0.0,\"max_tokens\":%zu}", max_tokens);
    rc = lf_buf_puts(out, ",\"model\":");
    if (rc == 0)
        rc = lf_json_write_str(out, h->model, strlen(h->model), false);
    if (rc == 0)
        rc = lf_buf_printf(out, ",\"max_tokens\":%zu,\"temperature\":0%s}", max_tokens,
                           write_op ? ",\"stop\":[\"<END_FS>\"]" : "");
    return rc;
}

/* Takes the answer text out of a 2xx response body. */
static int read_answer(http_backend *h, const lf_buf *resp, lf_buf *out,
                       lf_backend_stats *stats, lf_err *err)
{
    lf_json *j = NULL;
    char ex[256];
    int rc = lf_json_parse(resp->data ? resp->data : "", resp->len, &j, NULL);
    if (rc < 0 || j->type != LF_JSON_OBJ) {
        excerpt(resp, ex, sizeof ex);
        rc = lf_err_set(err, EPROTO, "%s %s: the response is not a JSON object: %s",
                        kind_name(h->kind), h->url, ex);
        goto out;
    }
    const lf_json *holder = j;
    if (h->kind == LF_HTTP_OPENAI) {
        const lf_json *ch = lf_json_get(j, "choices");
        if (!ch || ch->type != LF_JSON_ARR || ch->n < 1 || ch->items[0].type != LF_JSON_OBJ) {
            excerpt(resp, ex, sizeof ex);
            rc = lf_err_set(err, EPROTO, "%s %s: the response has no choices[0]: %s",
                            kind_name(h->kind), h->url, ex);
            goto out;
        }
        holder = &ch->items[0];
        size_t fl;
        const char *fr = lf_json_get_str(holder, "finish_reason", &fl);
        if (fr && fl == 6 && !memcmp(fr, "length", 6))
            lf_warn("%s %s: the answer was cut at max_tokens", kind_name(h->kind), h->url);
        const lf_json *u = lf_json_get(j, "usage");
        if (stats && u && u->type == LF_JSON_OBJ) {
            stats->prompt_tokens = (long)lf_json_get_int(u, "prompt_tokens", -1);
            stats->completion_tokens = (long)lf_json_get_int(u, "completion_tokens", -1);
        }
    }
    size_t n;
    const char *text = lf_json_get_str(holder, "text", &n);
    if (!text) {
        excerpt(resp, ex, sizeof ex);
        rc = lf_err_set(err, EPROTO, "%s %s: the response has no string \"text\": %s",
                        kind_name(h->kind), h->url, ex);
        goto out;
    }
    rc = lf_buf_append(out, text, n);
    if (rc < 0)
        rc = lf_err_set(err, -rc, "%s: the answer does not fit its buffer", kind_name(h->kind));
out:
    lf_json_free(j);
    return rc;
}

static void sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int http_complete(lf_backend *b, const lf_request *req, lf_buf *out,
                         lf_backend_stats *stats, lf_err *err)
{
    http_backend *h = (http_backend *)b;
    lf_buf prompt, body, resp;
    lf_buf_init(&prompt, 0);
    lf_buf_init(&body, 0);
    lf_buf_init(&resp, h->max_response);
    int rc = lf_contract_wrap(b->contract, req->prompt, req->prompt_len, &prompt);
    if (rc < 0) {
        rc = lf_err_set(err, -rc, "%s: cannot wrap the prompt", kind_name(h->kind));
        goto out;
    }
    rc = render_body(h, &prompt, req->max_tokens, lf_op_is_write(req->op->kind), &body);
    if (rc < 0) {
        rc = lf_err_set(err, -rc, "%s: cannot encode the request%s", kind_name(h->kind),
                        rc == -EILSEQ ? " (the prompt is not UTF-8)" : "");
        goto out;
    }
    double backoff = 0.25;
    for (int attempt = 0;; attempt++) {
        bool retry;
        lf_buf_reset(&resp);
        rc = post_once(h, &body, &resp, &retry, err);
        if (rc == 0 || !retry || attempt >= h->retries) {
            if (rc < 0 && attempt > 0)
                lf_err_prefix(err, "after %d attempts: ", attempt + 1);
            break;
        }
        sleep_s(backoff);
        backoff = backoff * 2 > 4.0 ? 4.0 : backoff * 2;
    }
    if (rc == 0)
        rc = read_answer(h, &resp, out, stats, err);
out:
    lf_buf_free(&prompt);
    lf_buf_free(&body);
    lf_buf_free(&resp);
    return rc;
}

static long http_count_tokens(lf_backend *b, const char *text, size_t len)
{
    (void)b;
    (void)text;
    return lf_backend_estimate_tokens(len);
}

static void http_free(lf_backend *b)
{
    http_backend *h = (http_backend *)b;
    if (!h)
        return;
    for (int i = 0; i < h->nidle; i++)
        curl_easy_cleanup(h->idle[i]);
    pthread_mutex_destroy(&h->mu);
    free(h->url);
    free(h->token);
    free(h->model);
    free(h);
}

static const lf_backend_vt generate_vt = {
    .name = "generate",
    .complete = http_complete,
    .count_tokens = http_count_tokens,
    .free = http_free,
};

static const lf_backend_vt openai_vt = {
    .name = "openai",
    .complete = http_complete,
    .count_tokens = http_count_tokens,
    .free = http_free,
};

static bool ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && !memcmp(s + n - k, suf, k);
}

/* The endpoint URL: base without trailing slashes, plus the route. */
static char *endpoint(int kind, const char *base)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    const char *suffix = "";
    if (kind == LF_HTTP_GENERATE)
        suffix = ends_with(base, n, "/generate") ? "" : "/generate";
    else if (!ends_with(base, n, "/v1/completions"))
        suffix = ends_with(base, n, "/v1") ? "/completions" : "/v1/completions";
    lf_buf u;
    lf_buf_init(&u, 0);
    if (lf_buf_append(&u, base, n) < 0 || lf_buf_puts(&u, suffix) < 0) {
        lf_buf_free(&u);
        return NULL;
    }
    return lf_buf_steal(&u, NULL);
}

int lf_backend_http_new(int kind, const lf_backend_opts *o, lf_backend **out, lf_err *err)
{
    *out = NULL;
    if (!o->url || !o->url[0])
        return lf_err_set(err, EINVAL, "%s: no URL given", kind_name(kind));
    if (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8))
        return lf_err_set(err, EINVAL, "%s: URL '%s' is not http:// or https://",
                          kind_name(kind), o->url);
    if (o->contract > LF_CONTRACT_SEED)
        return lf_err_set(err, EINVAL, "%s: unknown contract profile %d", kind_name(kind),
                          o->contract);
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return lf_err_set(err, EIO, "%s: curl_global_init failed: %s", kind_name(kind),
                          curl_easy_strerror(curl_init_rc));
    http_backend *h = calloc(1, sizeof *h);
    if (!h)
        return lf_err_set(err, ENOMEM, "%s: out of memory", kind_name(kind));
    h->base.vt = kind == LF_HTTP_OPENAI ? &openai_vt : &generate_vt;
    h->base.contract = o->contract >= 0 ? (lf_contract)o->contract
                       : kind == LF_HTTP_OPENAI ? LF_CONTRACT_NONE
                                                : LF_CONTRACT_SEED;
    h->base.context_tokens = o->context_tokens > 0 ? o->context_tokens : LF_HTTP_DEFAULT_CONTEXT;
    h->kind = kind;
    pthread_mutex_init(&h->mu, NULL);
    h->timeout_s = o->timeout_s > 0 ? o->timeout_s : LF_HTTP_DEFAULT_TIMEOUT_S;
    h->retries = o->retries > 0 ? o->retries : o->retries < 0 ? 0 : LF_HTTP_DEFAULT_RETRIES;
    if (h->retries > LF_HTTP_MAX_RETRIES)
        h->retries = LF_HTTP_MAX_RETRIES;
    h->max_response = LF_HTTP_MAX_RESPONSE;
    h->url = endpoint(kind, o->url);
    h->token = o->token && o->token[0] ? strdup(o->token) : NULL;
    h->model = strdup(o->model && o->model[0] ? o->model : "llmfuse");
    if (!h->url || (o->token && o->token[0] && !h->token) || !h->model) {
        http_free(&h->base);
        return lf_err_set(err, ENOMEM, "%s: out of memory", kind_name(kind));
    }
    *out = &h->base;
    return 0;
}
