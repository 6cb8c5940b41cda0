/* cmd_serve.c: `llmfuse serve`: answers /generate and /v1/completions with a
 * backend (src/server/server.h) until SIGINT or SIGTERM. Prints one line,
 * "listening on http://HOST:PORT", on stdout once the socket is bound (so a
 * script can start it with --port 0 and read the port). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "cli/cli.h"
#include "lm/model.h"
#include "lf_config.h"
#include "util/err.h"

#if LF_HAVE_MHD
#include "server/server.h"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: llmfuse serve [--backend NAME] [--host ADDR] [--port N] [--token T]\n"
            "                     [--model PATH|NAME] [--url URL] [--backend-token T]\n"
            "                     [--contract none|seed] [--timeout S] [--retries N]\n"
            "                     [--context N] [--threads N] [--max-body BYTES]\n"
            "                     [--act auto|bf16|fp32]\n"
            "                     [--free-decoding]\n"
            "  --backend   oracle (default), local (--model FILE.gguf), generate or openai\n"
            "              (--url: proxy to another server)\n"
            "  --host      address to bind (default 127.0.0.1)\n"
            "  --port      port (default 8000; 0: any free port)\n"
            "  --token     require this X-LLMFuse-Token / Bearer key (default: env\n"
            "              LLMFUSE_RUNTIME_TOKEN, else none)\n");
}

static int parse_num(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || d < lo || d > hi) {
        fprintf(stderr, "llmfuse serve: %s: bad value '%s'\n", opt, v);
        return -1;
    }
    *out = d;
    return 0;
}

int lf_cmd_serve(int argc, char **argv)
{
    const char *backend = "oracle";
    lf_backend_opts bo = {.contract = -1};
    const char *host = "127.0.0.1", *token = getenv("LLMFUSE_RUNTIME_TOKEN");
    double port = 8000, max_body = 0, d;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--act") && i + 1 < argc && (bo.act = lf_act_parse(argv[i + 1])) >= 0) {
            i++;   /* local: the activations of BF16 products (lf_act) */
            continue;
        }
        if (!strcmp(a, "--free-decoding")) { /* local: no answer constraint */
            bo.free_decoding = true;
            continue;
        }
        if (i + 1 >= argc || strncmp(a, "--", 2)) {
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--backend"))
            backend = v;
        else if (!strcmp(a, "--host"))
            host = v;
        else if (!strcmp(a, "--token"))
            token = v;
        else if (!strcmp(a, "--model"))
            bo.model = v;
        else if (!strcmp(a, "--url"))
            bo.url = v;
        else if (!strcmp(a, "--backend-token"))
            bo.token = v;
        else if (!strcmp(a, "--contract")) {
            if ((bo.contract = lf_contract_from_name(v)) < 0) {
                fprintf(stderr, "llmfuse serve: unknown contract '%s' (none, seed)\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--port")) {
            if (parse_num(a, v, 0, 65535, &port))
                return 2;
        } else if (!strcmp(a, "--timeout")) {
            if (parse_num(a, v, 0.001, 86400, &bo.timeout_s))
                return 2;
        } else if (!strcmp(a, "--retries")) {
            if (parse_num(a, v, 0, 100, &d))
                return 2;
            bo.retries = d == 0 ? -1 : (int)d;
        } else if (!strcmp(a, "--context")) {
            if (parse_num(a, v, 1, 1e9, &d))
                return 2;
            bo.context_tokens = (long)d;
        } else if (!strcmp(a, "--threads")) {
            if (parse_num(a, v, 0, 4096, &d))
                return 2;
            bo.threads = (int)d;
        } else if (!strcmp(a, "--max-body")) {
            if (parse_num(a, v, 1024, 1e12, &max_body))
                return 2;
        } else {
            fprintf(stderr, "llmfuse serve: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }

#if !LF_HAVE_MHD
    (void)backend;
    (void)host;
    (void)token;
    fprintf(stderr, "llmfuse serve: built without libmicrohttpd\n");
    return 1;
#else
    lf_err err = {0};
    lf_backend *b = NULL;
    lf_server *s = NULL;
    int status = 1;
    if (lf_backend_new(backend, &bo, &b, &err) < 0) {
        fprintf(stderr, "llmfuse serve: %s\n", err.msg);
        return 1;
    }
    /* Block the stop signals before the server's threads exist, so they
     * inherit the mask and only sigwait below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    lf_server_opts so = {.host = host, .port = (int)port, .token = token,
                         .max_body = (size_t)max_body};
    if (lf_server_start(&so, b, &s, &err) < 0) {
        fprintf(stderr, "llmfuse serve: %s\n", err.msg);
        goto out;
    }
    printf("listening on http://%s%s%s:%d (backend %s, contract %s%s)\n",
           strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
           lf_server_port(s), backend, lf_contract_name(b->contract),
           token && token[0] ? ", token required" : "");
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "llmfuse serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = 0;
out:
    lf_server_stop(s);
    lf_backend_free(b);
    return status;
#endif
}
