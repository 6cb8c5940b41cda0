/* fuzz_state.c: libFuzzer target for the state parser and serialiser.
 * Any input: parse it (strict, then lenient); where it parses, serialise,
 * parse the serialisation strictly and serialise again: the two
 * serialisations must be identical and the trees equal (the canonical form
 * is a fixed point), else abort. Also linked into the plain unit test
 * test_state_fuzz, which feeds it seed-eval states and mutations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fixed_point(const lf_state *st)
{
    lf_buf a, b;
    lf_buf_init(&a, 0);
    lf_buf_init(&b, 0);
    if (lf_state_serialize(st, &a) != 0)
        abort();             /* a parsed state is always representable */
    lf_state *st2 = NULL;
    lf_err err;
    if (lf_state_parse(a.data, a.len, LF_PARSE_STRICT, &st2, NULL, &err) != 0)
        abort();
    if (lf_state_serialize(st2, &b) != 0 || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    if (!lf_state_equal(st, st2))
        abort();
    lf_state *c = lf_state_clone(st2);
    if (!c || !lf_state_equal(c, st2) || lf_state_count(c) != lf_state_count(st))
        abort();
    lf_state_free(c);
    lf_state_free(st2);
    lf_buf_free(&a);
    lf_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int mode = LF_PARSE_STRICT; mode <= LF_PARSE_LENIENT; mode++) {
        lf_state *st = NULL;
        lf_err err;
        int warn = 0;
        int rc = lf_state_parse((const char *)data, size, mode, &st, &warn, &err);
        if (rc == 0) {
            if (mode == LF_PARSE_STRICT && warn != 0)
                abort();
            fixed_point(st);
            lf_state_free(st);
        } else if (st != NULL || rc != -EINVAL || strncmp(err.msg, "state XML: ", 11) != 0) {
            abort();         /* failures are -EINVAL with a message, no tree */
        }
    }
    return 0;
}
