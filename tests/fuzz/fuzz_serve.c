/* fuzz_serve.c: libFuzzer target for the server's request handler
 * (src/server/handle.c), which reads untrusted HTTP bodies: JSON, then a
 * possibly wrapped prompt, then an op line and a state. The first input
 * byte picks the endpoint, whether a token is required and whether one is
 * presented; the rest is the body. Properties (abort otherwise): the status
 * is one the handler documents, the body is a JSON object, a 200 from
 * /generate holds a string "text" and one from /v1/completions a
 * choices[0].text. Answers come from the oracle backend.
 * Also linked into the plain unit test test_serve (tests/unit/server). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_int.h"
#include "server/handle.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lf_backend *oracle;
    static const lf_backend_opts opts = {.contract = -1};
    if (!oracle && lf_backend_oracle_new(&opts, &oracle, NULL) < 0)
        abort();
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    static const char *paths[] = {"/generate", "/v1/completions", "/health", "/x"};
    lf_serve_cfg cfg = {.b = oracle, .token = (sel & 4) ? "tok" : NULL, .max_body = 1 << 20};
    lf_serve_req rq = {
        .method = (sel & 16) ? "GET" : "POST",
        .path = paths[sel & 3],
        .x_token = (sel & 8) ? "tok" : NULL,
        .authorization = (sel & 32) ? "Bearer tok" : NULL,
        .body = (const char *)data + 1,
        .body_len = size - 1,
        .too_big = (sel & 64) != 0,
    };
    lf_buf out;
    lf_buf_init(&out, 0);
    unsigned st = lf_serve_handle(&cfg, &rq, &out);
    if (st != 200 && st != 400 && st != 401 && st != 404 && st != 405 && st != 413 && st != 500)
        abort();
    lf_json *j = NULL;
    if (lf_json_parse(out.data ? out.data : "", out.len, &j, NULL) < 0 || j->type != LF_JSON_OBJ)
        abort();
    if (st == 200 && !strcmp(rq.path, "/generate") && !lf_json_get_str(j, "text", NULL))
        abort();
    if (st == 200 && !strcmp(rq.path, "/v1/completions")) {
        const lf_json *ch = lf_json_get(j, "choices");
        if (!ch || ch->type != LF_JSON_ARR || ch->n != 1 || !lf_json_get_str(&ch->items[0], "text", NULL))
            abort();
    }
    lf_json_free(j);
    lf_buf_free(&out);
    return 0;
}
