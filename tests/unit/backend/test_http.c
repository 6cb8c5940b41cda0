/* test_http.c: the HTTP backends and the server, over real loopback HTTP.
 *
 * The group setup starts three servers as child processes: `llmfuse serve
 * --backend oracle` (open), the same with --token, and the fault server
 * (tests/backend/fault_server.c). The generate and openai backends are
 * driven through them and their answers checked against the oracle's exact
 * completions; the fault server supplies every failure (bad bodies, bad
 * completions, 5xx, 4xx, timeouts, oversized answers). Teardown stops the
 * servers with SIGTERM and checks that they exit 0 (clean shutdown).
 * Skips (77) in a build without libcurl or libmicrohttpd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lf_config.h"

#if LF_HAVE_CURL && LF_HAVE_MHD
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/backend.h"
#include "proto/proto.h"
#include "state/apply.h"
#include "util/json.h"

#include "backend_test.h"

/* ---- child servers ---- */

typedef struct child {
    pid_t pid;
    int port;
} child;

static child serve_open, serve_auth, fault;

/* Starts argv with stdout on a pipe and reads the port from its first line
 * ("listening on http://127.0.0.1:PORT ..." or "port PORT"). */
static int spawn(char *const argv[], child *c)
{
    int fd[2];
    if (pipe(fd) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    char line[512] = "";
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    fclose(f);
    const char *p = strrchr(line, ':');
    if (strncmp(line, "port ", 5) == 0)
        p = line + 4;
    c->pid = pid;
    c->port = p ? atoi(p + 1) : 0;
    return c->port > 0 ? 0 : -1;
}

/* SIGTERM, then the exit status (0 is a clean shutdown). */
static int stop(child *c)
{
    int status = -1;
    if (c->pid <= 0)
        return 0;
    kill(c->pid, SIGTERM);
    waitpid(c->pid, &status, 0);
    c->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char llmfuse_path[4096], fault_path[4096];

static int group_setup(void **st)
{
    (void)st;
    const char *exe = getenv("LLMFUSE");
    const char *root = getenv("LF_BUILD_ROOT");
    if (!exe || !root) {
        fprintf(stderr, "LLMFUSE and LF_BUILD_ROOT must be set (run through meson test)\n");
        return -1;
    }
    snprintf(llmfuse_path, sizeof llmfuse_path, "%s", exe);
    snprintf(fault_path, sizeof fault_path, "%s/tests/unit/backend/fault_server", root);
    char *a1[] = {llmfuse_path, "serve", "--backend", "oracle", "--port", "0", NULL};
    char *a2[] = {llmfuse_path, "serve", "--port", "0", "--token", "s3cret", NULL};
    char *a3[] = {fault_path, NULL};
    if (spawn(a1, &serve_open) || spawn(a2, &serve_auth) || spawn(a3, &fault)) {
        fprintf(stderr, "cannot start the servers\n");
        return -1;
    }
    return 0;
}

static int group_teardown(void **st)
{
    (void)st;
    int a = stop(&serve_open), b = stop(&serve_auth), c = stop(&fault);
    if (a || b || c) {
        fprintf(stderr, "servers exited %d %d %d (want 0 0 0)\n", a, b, c);
        return -1;
    }
    return 0;
}

static lf_backend *http_backend(const char *name, int port, const char *prefix,
                                const char *token, double timeout, int retries, int contract)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, prefix);
    lf_backend_opts o = {.url = url, .token = token, .timeout_s = timeout, .retries = retries,
                         .contract = contract, .model = "test-model"};
    lf_backend *b = NULL;
    lf_err err = {0};
    int rc = lf_backend_new(name, &o, &b, &err);
    if (rc < 0)
        fail_msg("lf_backend_new(%s): %s", name, err.msg);
    return b;
}

static void answers_equal(const lf_answer *a, const lf_answer *b)
{
    assert_int_equal(a->kind, b->kind);
    switch (a->kind) {
    case LF_ANS_STATE:
        assert_true(lf_state_equal(a->state, b->state));
        break;
    case LF_ANS_ERROR:
        assert_int_equal(a->err, b->err);
        break;
    case LF_ANS_LIST:
        assert_int_equal(a->nnames, b->nnames);
        for (size_t i = 0; i < a->nnames; i++)
            assert_string_equal(a->names[i], b->names[i]);
        break;
    case LF_ANS_BYTES:
        assert_int_equal(a->nbytes, b->nbytes);
        assert_memory_equal(a->bytes, b->bytes, a->nbytes);
        break;
    }
}

/* Runs op on *st through b and checks the answer against the oracle: the
 * parsed answer must equal it, and the raw text must be the oracle's
 * completion as the wire carries it (kind 0: /generate cuts <END_FS> and the
 * whitespace before it on <W>; kind 1: OpenAI stops before <END_FS>). On a
 * <W> success *st becomes the next state. */
static void step(lf_backend *b, int wire, lf_state **st, const lf_op *op)
{
    lf_buf prompt, text, want;
    lf_buf_init(&prompt, 0);
    lf_buf_init(&text, 0);
    lf_buf_init(&want, 0);
    lf_err err = {0};
    lf_answer got = {0}, exp = {0};
    assert_int_equal(lf_prompt_render(op, *st, &prompt), 0);
    assert_int_equal(lf_oracle_answer(*st, op, &exp), 0);
    assert_int_equal(lf_completion_render(op, &exp, &want), 0);

    lf_request req = {.op = op, .state = *st, .prompt = prompt.data, .prompt_len = prompt.len};
    lf_backend_stats stats;
    int rc = lf_backend_complete(b, &req, &text, &stats, &err);
    if (rc < 0)
        fail_msg("%s: complete %s: %s", b->vt->name, lf_op_name(op->kind), err.msg);
    assert_true(stats.seconds >= 0);
    if (!strcmp(b->vt->name, "openai")) {
        assert_true(stats.prompt_tokens > 0);
        assert_true(stats.completion_tokens >= 0);
    }

    size_t n = want.len;
    bool cut = lf_op_is_write(op->kind) && exp.kind == LF_ANS_STATE;
    if (cut) {
        n = lf_completion_cut(want.data, want.len);
        if (wire == 0)
            while (n > 0 && want.data[n - 1] == '\n')
                n--;
    }
    if (text.len != n || memcmp(text.data, want.data, n))
        fail_msg("%s %s: answer\n  %.*s\nwant\n  %.*s", b->vt->name, lf_op_name(op->kind),
                 (int)text.len, text.data, (int)n, want.data);

    rc = lf_completion_parse(op, *st, text.data, text.len, &got, &err);
    if (rc < 0)
        fail_msg("%s: parse: %s", lf_op_name(op->kind), err.msg);
    answers_equal(&got, &exp);
    if (got.kind == LF_ANS_STATE) {
        lf_state_free(*st);
        *st = got.state;
        got.state = NULL;
    }
    lf_answer_free(&got);
    lf_answer_free(&exp);
    lf_buf_free(&prompt);
    lf_buf_free(&text);
    lf_buf_free(&want);
}

static void episode(lf_backend *b, int wire)
{
    static const char *lines[] = {
        "mkdir('/docs', mode=0o40755)",
        "create('/docs/a.txt', mode=0o100644)",
        "",  /* write text */
        "read('/docs/a.txt', size=4096, offset=0, fh=3)",
        "readdir('/docs', fh=0)",
        "readdir('/', fh=0)",
        "symlink('a.txt', target=/docs/l\u00e9)",
        "readlink('/docs/l\u00e9')",
        "create('/docs/bin', mode=0o100600)",
        "",  /* write binary */
        "read('/docs/bin', size=4096, offset=0, fh=3)",
        "truncate('/docs/a.txt', length=3, fh=None)",
        "chmod('/docs/a.txt', mode=0o100600)",
        "chown('/docs/a.txt', uid=0, gid=1000)",
        "rename('/docs', new_path=/papers)",
        "mkdir('/papers', mode=0o40755)",
        "unlink('/nope')",
        "rmdir('/papers')",
        "read('/papers', size=4096, offset=0, fh=3)",
        "readdir('/papers', fh=0)",
    };
    lf_state *st = lf_state_new("root", "root");
    assert_non_null(st);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        lf_op op = {0};
        if (i == 2) {
            op = write_op("/docs/a.txt", "hello & <world>\r\n  ", 19, 0);
        } else if (i == 9) {
            static const unsigned char bin[] = {0, 1, 2, 0xff, 'a', 0x7f};
            op = write_op("/docs/bin", bin, sizeof bin, 2);
        } else {
            must_parse_op(lines[i], &op);
        }
        step(b, wire, &st, &op);
        lf_op_free(&op);
    }
    if (wire == 0) { /* /generate cuts only <W> answers: a file may hold the sentinel */
        lf_op op = write_op("/papers/a.txt", "x\n<END_FS>\ny", 12, 0), rd = {0};
        step(b, wire, &st, &op);
        must_parse_op("read('/papers/a.txt', size=4096, offset=0, fh=3)", &rd);
        step(b, wire, &st, &rd);
        lf_op_free(&op);
        lf_op_free(&rd);
    }
    lf_state_free(st);
}

/* ---- tests: loopback ---- */

static void test_generate_episode(void **s)
{
    (void)s;
    lf_backend *b = http_backend("generate", serve_open.port, "", NULL, 10, 0, -1);
    assert_int_equal(b->contract, LF_CONTRACT_SEED);
    assert_int_equal(b->context_tokens, 8192);
    episode(b, 0);
    lf_backend_free(b);
    /* the same with the none profile and a trailing slash and explicit route */
    b = http_backend("generate", serve_open.port, "/generate/", NULL, 10, 0, LF_CONTRACT_NONE);
    episode(b, 0);
    lf_backend_free(b);
}

static void test_openai_episode(void **s)
{
    (void)s;
    lf_backend *b = http_backend("openai", serve_open.port, "", NULL, 10, 0, -1);
    assert_int_equal(b->contract, LF_CONTRACT_NONE);
    episode(b, 1);
    lf_backend_free(b);
    b = http_backend("openai", serve_open.port, "/v1", NULL, 10, 0, LF_CONTRACT_SEED);
    episode(b, 1);
    lf_backend_free(b);
}

static void test_auth(void **s)
{
    (void)s;
    lf_err err = {0};
    lf_backend *b = http_backend("generate", serve_auth.port, "", NULL, 10, 2, -1);
    assert_int_equal(one(b, &err, NULL), -EIO);
    assert_non_null(strstr(err.msg, "HTTP 401"));
    assert_non_null(strstr(err.msg, "invalid token"));
    assert_null(strstr(err.msg, "attempts")); /* a 4xx is not retried */
    lf_backend_free(b);
    b = http_backend("generate", serve_auth.port, "", "wrong", 10, 0, -1);
    assert_int_equal(one(b, &err, NULL), -EIO);
    lf_backend_free(b);
    b = http_backend("openai", serve_auth.port, "", NULL, 10, 0, -1);
    assert_int_equal(one(b, &err, NULL), -EIO);
    assert_non_null(strstr(err.msg, "HTTP 401"));
    lf_backend_free(b);
    b = http_backend("generate", serve_auth.port, "", "s3cret", 10, 0, -1);
    assert_int_equal(one(b, &err, NULL), 0);
    lf_backend_free(b);
    b = http_backend("openai", serve_auth.port, "", "s3cret", 10, 0, -1);
    assert_int_equal(one(b, &err, NULL), 0);
    lf_backend_free(b);
}

/* One raw HTTP/1.1 request to 127.0.0.1:port (Connection: close). Returns
 * the status and leaves the body in *body (malloc'd, caller frees). extra
 * holds additional header lines, each ending in \r\n. */
static int http_raw(int port, const char *method, const char *path, const char *extra,
                    const char *body, char **resp_body)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    lf_buf req, resp;
    lf_buf_init(&req, 0);
    lf_buf_init(&resp, 1 << 20);
    *resp_body = NULL;
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        goto out;
    lf_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s", method, path,
                  extra ? extra : "");
    if (body)
        lf_buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                      strlen(body));
    lf_buf_puts(&req, "\r\n");
    if (body)
        lf_buf_puts(&req, body);
    for (size_t off = 0; off < req.len;) {
        ssize_t w = write(fd, req.data + off, req.len - off);
        if (w <= 0)
            break; /* the server may answer (413) before reading it all */
        off += (size_t)w;
    }
    char tmp[4096];
    for (ssize_t r; (r = read(fd, tmp, sizeof tmp)) > 0;)
        lf_buf_append(&resp, tmp, (size_t)r);
    if (resp.len > 12 && !strncmp(resp.data, "HTTP/1.", 7))
        status = atoi(resp.data + 9);
    const char *b = resp.len ? strstr(resp.data, "\r\n\r\n") : NULL;
    *resp_body = strdup(b ? b + 4 : "");
out:
    if (fd >= 0)
        close(fd);
    lf_buf_free(&req);
    lf_buf_free(&resp);
    return status;
}

/* GET /count/MODE from the fault server. */
static int fault_count(const char *mode)
{
    char path[128], *body;
    snprintf(path, sizeof path, "/count/%s", mode);
    int st = http_raw(fault.port, "GET", path, NULL, NULL, &body);
    int n = st == 200 && body ? atoi(body) : -1;
    free(body);
    return n;
}

/* The answer through the fault server's mode, then its parse. */
static int fault_parse(const char *name, const char *mode, lf_err *err)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "/%s", mode);
    lf_backend *b = http_backend(name, fault.port, prefix, NULL, 10, 0, -1);
    lf_buf text;
    lf_buf_init(&text, 0);
    int rc = one(b, err, &text);
    if (rc == 0) {
        lf_state *st = lf_state_new("root", "root");
        lf_op op = {0};
        lf_answer a = {0};
        must_parse_op("mkdir('/a', mode=0o40755)", &op);
        rc = lf_completion_parse(&op, st, text.data, text.len, &a, err);
        if (rc == 0) { /* parsed: it must be the right state, else say so */
            lf_answer want = {0};
            assert_int_equal(lf_oracle_answer(st, &op, &want), 0);
            if (a.kind != LF_ANS_STATE || !lf_state_equal(a.state, want.state))
                rc = lf_err_set(err, EBADMSG, "answer differs from the oracle's");
            lf_answer_free(&want);
        }
        lf_answer_free(&a);
        lf_op_free(&op);
        lf_state_free(st);
    }
    lf_buf_free(&text);
    lf_backend_free(b);
    return rc;
}

static void test_fault_answers(void **s)
{
    (void)s;
    static const struct { const char *mode; int rc; const char *msg; } cases[] = {
        {"ok", 0, NULL},
        {"garbage", -EPROTO, "not a JSON object: <html>502 Bad Gateway</html>"},
        {"notext", -EPROTO, "no"},
        {"junk", -EBADMSG, NULL},
        {"truncated", -EBADMSG, NULL},
        {"badtree", -EBADMSG, NULL},
        {"stale", -EBADMSG, "differs from the oracle"},
        {"e400", -EIO, "HTTP 400: {\"detail\":\"prompt is required\"}"},
    };
    const char *names[] = {"generate", "openai"};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            lf_err err = {0};
            int rc = fault_parse(names[k], cases[i].mode, &err);
            if (rc != cases[i].rc)
                fail_msg("%s /%s: rc %d (%s), want %d", names[k], cases[i].mode, rc, err.msg,
                         cases[i].rc);
            if (rc < 0) {
                assert_true(strlen(err.msg) > 10);
                if (cases[i].msg && !strstr(err.msg, cases[i].msg))
                    fail_msg("%s /%s: message '%s' lacks '%s'", names[k], cases[i].mode,
                             err.msg, cases[i].msg);
            }
        }
}

static void test_retry(void **s)
{
    (void)s;
    lf_err err = {0};
    /* 500 then success: one retry after a backoff */
    lf_backend *b = http_backend("generate", fault.port, "/flaky", NULL, 10, 2, -1);
    assert_int_equal(one(b, &err, NULL), 0);
    assert_int_equal(fault_count("flaky"), 2);
    lf_backend_free(b);
    /* always 500: retries + 1 attempts, then a clear error */
    b = http_backend("openai", fault.port, "/always500", NULL, 10, 2, -1);
    assert_int_equal(one(b, &err, NULL), -EIO);
    assert_non_null(strstr(err.msg, "after 3 attempts"));
    assert_non_null(strstr(err.msg, "HTTP 500"));
    assert_non_null(strstr(err.msg, "CUDA out of memory"));
    assert_int_equal(fault_count("always500"), 3);
    lf_backend_free(b);
    /* 4xx: never retried */
    int before = fault_count("e400");
    b = http_backend("generate", fault.port, "/e400", NULL, 10, 3, -1);
    assert_int_equal(one(b, &err, NULL), -EIO);
    assert_int_equal(fault_count("e400"), before + 1);
    lf_backend_free(b);
}

static void test_timeout(void **s)
{
    (void)s;
    lf_err err = {0};
    lf_backend *b = http_backend("generate", fault.port, "/sleep", NULL, 0.3, -1, -1);
    assert_int_equal(one(b, &err, NULL), -ETIMEDOUT);
    assert_non_null(strstr(err.msg, "no answer within 0.3 s"));
    lf_backend_free(b);
}

static void test_big(void **s)
{
    (void)s;
    lf_err err = {0};
    lf_backend *b = http_backend("generate", fault.port, "/big", NULL, 30, 0, -1);
    assert_int_equal(one(b, &err, NULL), -EIO);
    assert_non_null(strstr(err.msg, "response larger than"));
    lf_backend_free(b);
}

static void test_dead_server(void **s)
{
    (void)s;
    /* a port that was free a moment ago and has nobody listening */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    lf_err err = {0};
    lf_backend *b = http_backend("openai", ntohs(a.sin_port), "", NULL, 5, -1, -1);
    assert_int_equal(one(b, &err, NULL), -ECONNREFUSED);
    assert_non_null(strstr(err.msg, "cannot connect"));
    lf_backend_free(b);
}


/* JSON body {"prompt": P, ...extra} for the empty state and op line. */
static char *body_for(const char *opline, lf_contract c, const char *extra)
{
    lf_state *st = lf_state_new("root", "root");
    lf_op op = {0};
    must_parse_op(opline, &op);
    lf_buf p, w, j;
    lf_buf_init(&p, 0);
    lf_buf_init(&w, 0);
    lf_buf_init(&j, 0);
    assert_int_equal(lf_prompt_render(&op, st, &p), 0);
    assert_int_equal(lf_contract_wrap(c, p.data, p.len, &w), 0);
    lf_buf_puts(&j, "{\"prompt\":");
    lf_json_write_str(&j, w.data, w.len, false);
    lf_buf_printf(&j, "%s}", extra ? extra : "");
    lf_buf_free(&p);
    lf_buf_free(&w);
    lf_op_free(&op);
    lf_state_free(st);
    return lf_buf_steal(&j, NULL);
}

static void test_server_http(void **s)
{
    (void)s;
    static const char mkdir_state[] =
        "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" group=\"root\" "
        "mtime=\"2025-01-01T00:00:00\"><directory path=\"a\" name=\"a\" mode=\"755\" owner=\"root\" "
        "group=\"root\" mtime=\"2025-01-01T00:00:00\" /></directory></filesystem>";
    char *seed = body_for("mkdir('/a', mode=0o40755)", LF_CONTRACT_SEED, NULL);
    char *seed_t = body_for("mkdir('/a', mode=0o40755)", LF_CONTRACT_SEED,
                            ",\"temperature\":0.0,\"max_tokens\":300");
    char *none_stop = body_for("mkdir('/a', mode=0o40755)", LF_CONTRACT_NONE,
                               ",\"model\":\"m1\",\"max_tokens\":300,\"stop\":[\"<END_FS>\"]");
    char *none_nostop = body_for("mkdir('/a', mode=0o40755)", LF_CONTRACT_NONE, NULL);
    char *read_missing = body_for("read('/x', size=10, offset=0, fh=3)", LF_CONTRACT_SEED, NULL);
    char *bad_mt = body_for("mkdir('/a', mode=0o40755)", LF_CONTRACT_NONE, ",\"max_tokens\":-4");
    char *bad_t = body_for("mkdir('/a', mode=0o40755)", LF_CONTRACT_NONE, ",\"temperature\":\"hot\"");
    lf_buf want;
    lf_buf_init(&want, 0);
    const int P = serve_open.port;
    static const char tok[] = "X-LLMFuse-Token: s3cret\r\n";
    static const char bearer[] = "Authorization: Bearer s3cret\r\n";
    struct {
        int port;
        const char *method, *path, *hdr, *body;
        int status;
        const char *want; /* exact body, or NULL */
        const char *has;  /* substring, or NULL */
    } cases[] = {
        /* the original's client: seed wrapper, no max_tokens */
        {P, "POST", "/generate", NULL, seed, 200, NULL, "{\"text\":\"<filesystem>"},
        {P, "POST", "/generate", NULL, seed_t, 200, NULL, "</filesystem>\"}"},
        {P, "POST", "/generate", NULL, read_missing, 200, "{\"text\":\"ERROR: ENOENT\"}", NULL},
        {P, "POST", "/generate", NULL, "{}", 400, "{\"detail\":\"prompt is required\"}", NULL},
        {P, "POST", "/generate", NULL, "{\"prompt\":\"\"}", 400, "{\"detail\":\"prompt is required\"}", NULL},
        {P, "POST", "/generate", NULL, "{\"prompt\":7}", 400, "{\"detail\":\"prompt is required\"}", NULL},
        {P, "POST", "/generate", NULL, "{\"prompt\":", 400, NULL, "not JSON"},
        {P, "POST", "/generate", NULL, "[1]", 400, NULL, "not a JSON object"},
        {P, "POST", "/generate", NULL, "{\"prompt\":\"hello\"}", 400, NULL, "contract"},
        {P, "POST", "/generate", NULL, "{\"prompt\":\"<W>\\nmkdir(\"}", 400, NULL, "prompt: "},
        {P, "POST", "/generate", NULL, bad_mt, 400, NULL, "max_tokens"},
        {P, "POST", "/generate", NULL, bad_t, 400, NULL, "temperature"},
        {P, "GET", "/generate", NULL, NULL, 405, NULL, NULL},
        {P, "POST", "/nowhere", NULL, "{}", 404, "{\"detail\":\"Not Found\"}", NULL},
        {P, "GET", "/health", NULL, NULL, 200, "{\"status\":\"ok\",\"backend\":\"oracle\",\"contract\":\"none\"}", NULL},
        {P, "POST", "/v1/completions", NULL, none_stop, 200, NULL, "\"model\":\"m1\""},
        {P, "POST", "/v1/completions", NULL, none_stop, 200, NULL, "</filesystem>\\n\",\"finish_reason\":\"stop\""},
        {P, "POST", "/v1/completions", NULL, none_nostop, 200, NULL, "</filesystem>\\n<END_FS>\""},
        {P, "POST", "/v1/completions", NULL, none_nostop, 200, NULL, "\"usage\":{\"prompt_tokens\":"},
        {P, "POST", "/v1/completions", NULL, "{}", 400, NULL, "{\"error\":{\"message\":\"prompt is required"},
        /* auth */
        {serve_auth.port, "POST", "/generate", NULL, seed, 401, "{\"detail\":\"invalid token\"}", NULL},
        {serve_auth.port, "POST", "/generate", bearer, seed, 401, NULL, NULL},
        {serve_auth.port, "POST", "/generate", tok, seed, 200, NULL, NULL},
        {serve_auth.port, "POST", "/v1/completions", NULL, none_stop, 401, NULL, "authentication_error"},
        {serve_auth.port, "POST", "/v1/completions", bearer, none_stop, 200, NULL, NULL},
        {serve_auth.port, "POST", "/v1/completions", tok, none_stop, 200, NULL, NULL},
        {serve_auth.port, "GET", "/health", NULL, NULL, 200, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body;
        int st = http_raw(cases[i].port, cases[i].method, cases[i].path, cases[i].hdr,
                          cases[i].body, &body);
        if (st != cases[i].status || (cases[i].want && strcmp(body, cases[i].want)) ||
            (cases[i].has && !strstr(body, cases[i].has)))
            fail_msg("case %zu: %s %s: %d %s", i, cases[i].method, cases[i].path, st, body);
        free(body);
    }
    /* the exact /generate answer: the state, without "\n<END_FS>" */
    char *body;
    assert_int_equal(http_raw(P, "POST", "/generate", NULL, seed, &body), 200);
    lf_buf_puts(&want, "{\"text\":");
    lf_json_write_str(&want, mkdir_state, sizeof mkdir_state - 1, false);
    lf_buf_putc(&want, '}');
    assert_string_equal(body, want.data);
    free(body);
    /* a body over the cap (16 MiB) is refused with 413 */
    size_t big = (size_t)17 << 20;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = 0;
    huge[0] = '{';
    huge[big - 1] = '}';
    assert_int_equal(http_raw(P, "POST", "/generate", NULL, huge, &body), 413);
    free(body);
    free(huge);
    free(seed);
    free(seed_t);
    free(none_stop);
    free(none_nostop);
    free(read_missing);
    free(bad_mt);
    free(bad_t);
    lf_buf_free(&want);
}

/* Many threads, one backend each way: answers stay exact. */
static void *hammer(void *arg)
{
    lf_backend *b = arg;
    for (int i = 0; i < 10; i++)
        episode(b, !strcmp(b->vt->name, "openai"));
    return NULL;
}

static void test_concurrent(void **s)
{
    (void)s;
    lf_backend *g = http_backend("generate", serve_open.port, "", NULL, 30, 0, -1);
    lf_backend *o = http_backend("openai", serve_open.port, "", NULL, 30, 0, -1);
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, i % 2 ? o : g), 0);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    lf_backend_free(g);
    lf_backend_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_episode),
        cmocka_unit_test(test_openai_episode),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_fault_answers),
        cmocka_unit_test(test_retry),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_big),
        cmocka_unit_test(test_dead_server),
        cmocka_unit_test(test_server_http),
        cmocka_unit_test(test_concurrent),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests_name("backend-http", tests, group_setup, group_teardown);
}
#else
int main(void)
{
    return 77;
}
#endif
