/* backend_test.h: helpers shared by the backend unit tests (included by
 * test_backend.c and test_http.c after cmocka.h). */
#ifndef LF_TESTS_BACKEND_TEST_H
#define LF_TESTS_BACKEND_TEST_H

#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "proto/proto.h"
#include "state/state.h"

static inline void must_parse_op(const char *line, lf_op *op)
{
    lf_err err = {0};
    if (lf_op_parse(line, strlen(line), op, &err) < 0)
        fail_msg("op '%s': %s", line, err.msg);
}

static inline lf_op write_op(const char *path, const void *data, size_t n, uint64_t off)
{
    lf_op op = {.kind = LF_OP_WRITE, .path = strdup(path), .offset = off, .fh = 3,
                .data = malloc(n + 1), .data_len = n};
    memcpy(op.data, data, n);
    return op;
}

/* Runs one mkdir through b; returns complete's code, text in *out if given. */
static inline int one(lf_backend *b, lf_err *err, lf_buf *out)
{
    lf_state *st = lf_state_new("root", "root");
    lf_op op = {0};
    must_parse_op("mkdir('/a', mode=0o40755)", &op);
    lf_buf prompt, text;
    lf_buf_init(&prompt, 0);
    lf_buf_init(&text, 0);
    assert_int_equal(lf_prompt_render(&op, st, &prompt), 0);
    lf_request req = {.op = &op, .state = st, .prompt = prompt.data, .prompt_len = prompt.len};
    int rc = lf_backend_complete(b, &req, out ? out : &text, NULL, err);
    lf_buf_free(&prompt);
    lf_buf_free(&text);
    lf_op_free(&op);
    lf_state_free(st);
    return rc;
}

#endif
