/* server.c: the HTTP transport of `llmfuse serve` (server.h), on
 * libmicrohttpd: a thread per connection, bodies read into a capped buffer,
 * then handed to lf_serve_handle (handle.c), which decides the answer. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "server/handle.h"
#include "server/server.h"
#include "util/json.h"
#include "util/log.h"

#define DEFAULT_MAX_BODY ((size_t)16 << 20)

struct lf_server {
    struct MHD_Daemon *d;
    lf_serve_cfg cfg;
    char *token;
    int port;
};

typedef struct conn_ctx {
    lf_buf body;
    bool too_big;
} conn_ctx;

/* ---- libmicrohttpd glue ---- */

static enum MHD_Result send_reply(struct MHD_Connection *c, unsigned status, lf_buf *body)
{
    size_t n;
    char *p = lf_buf_steal(body, &n);
    if (!p)
        return MHD_NO;
    struct MHD_Response *resp = MHD_create_response_from_buffer(n, p, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(p);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    lf_server *s = cls;
    conn_ctx *cx = *con_cls;
    if (!cx) { /* first call: headers only */
        cx = calloc(1, sizeof *cx);
        if (!cx)
            return MHD_NO;
        lf_buf_init(&cx->body, s->cfg.max_body);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->cfg.max_body)
            cx->too_big = true;
        *con_cls = cx;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!cx->too_big && lf_buf_append(&cx->body, upload, *upload_size) < 0)
            cx->too_big = true;
        *upload_size = 0;
        return MHD_YES;
    }

    lf_serve_req rq = {
        .method = method,
        .path = url,
        .x_token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-LLMFuse-Token"),
        .authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
        .body = cx->body.data,
        .body_len = cx->body.len,
        .too_big = cx->too_big,
    };
    lf_buf out;
    lf_buf_init(&out, 0);
    unsigned status = lf_serve_handle(&s->cfg, &rq, &out);
    if (status >= 500)
        lf_warn("serve: %s %s: %u", method, url, status);
    else
        lf_debug("serve: %s %s: %u", method, url, status);
    enum MHD_Result rc = send_reply(c, status, &out);
    lf_buf_free(&out);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn_ctx *cx = *con_cls;
    if (cx) {
        lf_buf_free(&cx->body);
        free(cx);
        *con_cls = NULL;
    }
}

int lf_server_start(const lf_server_opts *o, lf_backend *b, lf_server **out, lf_err *err)
{
    const char *host = o->host && o->host[0] ? o->host : "127.0.0.1";
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (o->port < 0 || o->port > 65535)
        return lf_err_set(err, EINVAL, "serve: port %d out of range", o->port);
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)o->port);
        flags |= MHD_USE_IPv6;
    } else {
        return lf_err_set(err, EINVAL, "serve: '%s' is not an IPv4 or IPv6 address", host);
    }
    lf_server *s = calloc(1, sizeof *s);
    if (!s)
        return lf_err_set(err, ENOMEM, "serve: out of memory");
    s->cfg.b = b;
    s->cfg.max_body = o->max_body ? o->max_body : DEFAULT_MAX_BODY;
    if (o->token && o->token[0] && !(s->token = strdup(o->token))) {
        free(s);
        return lf_err_set(err, ENOMEM, "serve: out of memory");
    }
    s->cfg.token = s->token;
    s->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)(o->max_conns > 0 ? o->max_conns : 256),
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                            MHD_OPTION_END);
    if (!s->d) {
        int e = errno ? errno : EADDRINUSE;
        free(s->token);
        free(s);
        return lf_err_set(err, e, "serve: cannot listen on %s:%d: %s", host, o->port,
                          strerror(e));
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : o->port;
    *out = s;
    return 0;
}

int lf_server_port(const lf_server *s)
{
    return s->port;
}

void lf_server_stop(lf_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    free(s->token);
    free(s);
}
