/* fault_server.c: a misbehaving HTTP server for the backend tests (a test
 * helper, not a test). It speaks the /generate and /v1/completions shapes
 * and misbehaves according to the first path component:
 *
 *   /ok/...         the right answer (the oracle's)
 *   /garbage/...    200 with a body that is not JSON
 *   /notext/...     200 with JSON lacking the answer field
 *   /junk/...       a well-formed answer whose text is not a completion
 *   /truncated/...  the right answer cut in half
 *   /badtree/...    a state with a path that disagrees with its place
 *   /stale/...      the state of the prompt, unchanged (a valid, wrong tree)
 *   /flaky/...      odd-numbered requests get HTTP 500, even ones the answer
 *   /always500/...  HTTP 500
 *   /e400/...       HTTP 400
 *   /sleep/...      sleeps 3 s, then answers
 *   /big/...        a 20 MiB body
 *   GET /count/MODE the number of requests MODE has seen
 *
 * Usage: fault_server; binds 127.0.0.1 on a free port, prints "port N" on
 * stdout, serves until SIGTERM or SIGINT. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/proto.h"
#include "state/apply.h"
#include "util/json.h"

static const char *modes[] = {"ok",    "garbage",   "notext", "junk",  "truncated",
                              "badtree", "stale",   "flaky",  "always500", "e400",
                              "sleep", "big"};
#define NMODES (sizeof modes / sizeof modes[0])
static atomic_int counts[NMODES];

typedef struct ctx {
    lf_buf body;
} ctx;

static int mode_of(const char *url, size_t *rest)
{
    const char *p = url + (url[0] == '/');
    size_t n = strcspn(p, "/");
    for (size_t i = 0; i < NMODES; i++)
        if (strlen(modes[i]) == n && !strncmp(p, modes[i], n)) {
            *rest = (size_t)(p + n - url);
            return (int)i;
        }
    return -1;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *body, size_t n)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body,
                                                             MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static ssize_t big_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    const uint64_t total = (uint64_t)20 << 20;
    if (pos >= total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = max < total - pos ? max : (size_t)(total - pos);
    memset(buf, 'x', n);
    return (ssize_t)n;
}

/* The right completion for the request's prompt, and the prompt's state
 * serialised (for /stale). */
static int right_answer(const lf_buf *body, lf_buf *ans, lf_buf *old, bool *is_write)
{
    lf_json *j = NULL;
    lf_op op = {0};
    lf_state *st = NULL;
    lf_answer a = {0};
    lf_contract prof;
    size_t off, n;
    int rc = lf_json_parse(body->data ? body->data : "", body->len, &j, NULL);
    const char *p = rc == 0 ? lf_json_get_str(j, "prompt", &n) : NULL;
    if (!p)
        rc = -EINVAL;
    if (rc == 0)
        rc = lf_contract_unwrap(p, n, &prof, &off, NULL);
    if (rc == 0)
        rc = lf_prompt_parse(p + off, n - off, LF_PARSE_STRICT, &op, &st, NULL, NULL);
    if (rc == 0)
        rc = lf_oracle_answer(st, &op, &a);
    if (rc == 0)
        rc = lf_completion_render(&op, &a, ans);
    if (rc == 0)
        rc = lf_state_serialize(st, old);
    if (rc == 0)
        *is_write = lf_op_is_write(op.kind);
    lf_answer_free(&a);
    lf_op_free(&op);
    lf_state_free(st);
    lf_json_free(j);
    return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, bool openai, const char *t,
                                  size_t n)
{
    lf_buf out;
    lf_buf_init(&out, 0);
    lf_buf_puts(&out, openai ? "{\"choices\":[{\"index\":0,\"text\":" : "{\"text\":");
    lf_json_write_str(&out, t, n, false);
    lf_buf_puts(&out, openai ? ",\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":7,"
                               "\"completion_tokens\":5,\"total_tokens\":12}}"
                             : "}");
    enum MHD_Result rc = respond(c, 200, out.data, out.len);
    lf_buf_free(&out);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *up,
                                  size_t *up_size, void **con_cls)
{
    (void)cls;
    (void)version;
    ctx *cx = *con_cls;
    if (!cx) {
        cx = calloc(1, sizeof *cx);
        lf_buf_init(&cx->body, (size_t)64 << 20);
        *con_cls = cx;
        return MHD_YES;
    }
    if (*up_size) {
        lf_buf_append(&cx->body, up, *up_size);
        *up_size = 0;
        return MHD_YES;
    }
    size_t rest = 0;
    if (!strcmp(method, "GET") && !strncmp(url, "/count/", 7)) {
        int m = mode_of(url + 6, &rest);
        char b[32];
        int n = snprintf(b, sizeof b, "%d", m < 0 ? -1 : atomic_load(&counts[m]));
        return respond(c, 200, b, (size_t)n);
    }
    int m = mode_of(url, &rest);
    if (m < 0)
        return respond(c, 404, "{\"detail\":\"Not Found\"}", 22);
    int k = atomic_fetch_add(&counts[m], 1) + 1;
    bool openai = strstr(url + rest, "/v1/completions") != NULL;
    const char *mode = modes[m];

    if (!strcmp(mode, "garbage"))
        return respond(c, 200, "<html>502 Bad Gateway</html>", 28);
    if (!strcmp(mode, "notext"))
        return respond(c, 200, "{\"answer\":\"x\"}", 15);
    if (!strcmp(mode, "junk"))
        return reply_text(c, openai, "Sure! Here is the new filesystem:", 33);
    if (!strcmp(mode, "always500") || (!strcmp(mode, "flaky") && k % 2 == 1))
        return respond(c, 500, "{\"detail\":\"CUDA out of memory\"}", 31);
    if (!strcmp(mode, "e400"))
        return respond(c, 400, "{\"detail\":\"prompt is required\"}", 31);
    if (!strcmp(mode, "big")) {
        struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536,
                                                                   big_body, NULL, NULL);
        enum MHD_Result rc = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return rc;
    }
    if (!strcmp(mode, "sleep"))
        sleep(3);

    lf_buf ans, old;
    lf_buf_init(&ans, 0);
    lf_buf_init(&old, 0);
    bool is_write = false;
    enum MHD_Result rc;
    if (right_answer(&cx->body, &ans, &old, &is_write) < 0) {
        rc = respond(c, 400, "{\"detail\":\"bad prompt\"}", 23);
    } else if (!strcmp(mode, "truncated")) {
        rc = reply_text(c, openai, ans.data, ans.len / 2);
    } else if (!strcmp(mode, "stale")) {
        rc = reply_text(c, openai, old.data, old.len);
    } else if (!strcmp(mode, "badtree")) {
        /* rename the root's path attribute: it no longer matches its place */
        static const char tree[] =
            "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" "
            "group=\"root\" mtime=\"2025-01-01T00:00:00\"><directory path=\"b\" name=\"a\" "
            "mode=\"755\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:00\" />"
            "</directory></filesystem>";
        rc = reply_text(c, openai, tree, sizeof tree - 1);
    } else {
        size_t n = openai ? lf_completion_cut(ans.data, ans.len) : ans.len;
        rc = reply_text(c, openai, ans.data, n);
    }
    lf_buf_free(&ans);
    lf_buf_free(&old);
    return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    ctx *cx = *con_cls;
    if (cx) {
        lf_buf_free(&cx->body);
        free(cx);
        *con_cls = NULL;
    }
}

int main(void)
{
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL, 0,
        NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
    if (!d) {
        perror("fault_server: MHD_start_daemon");
        return 1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("port %u\n", di ? di->port : 0);
    fflush(stdout);
    int sig;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    return 0;
}
