/* prompt.c: the base prompt "<TAG>\n<OP LINE>\n---\n<STATE>" (PROTOCOL.md §1).
 *
 * Rendering is direct. Parsing has one subtlety: write data, and the
 * unquoted new_path/target, may themselves hold "\n---\n", so the split is
 * the first "\n---\n" at which both the operation line and the state parse. */
#include "proto/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int lf_prompt_render(const lf_op *op, const lf_state *st, lf_buf *out)
{
    int rc = lf_buf_puts(out, lf_op_is_write(op->kind) ? "<W>\n" : "<R>\n");
    if (!rc)
        rc = lf_op_render(op, out);
    if (!rc)
        rc = lf_buf_puts(out, "\n---\n");
    if (!rc)
        rc = lf_state_serialize(st, out);
    return rc;
}

int lf_prompt_parse(const char *text, size_t len, int mode, lf_op *op, lf_state **st,
                    int *warnings, lf_err *err)
{
    *st = NULL;
    memset(op, 0, sizeof *op);
    bool w;
    if (len >= 4 && memcmp(text, "<W>\n", 4) == 0)
        w = true;
    else if (len >= 4 && memcmp(text, "<R>\n", 4) == 0)
        w = false;
    else
        return lf_err_set(err, EINVAL, "prompt: does not start with <W> or <R> and a newline");
    const char *body = text + 4;
    size_t blen = len - 4;
    int first_rc = 0;
    lf_err first;
    lf_err_clear(&first);
    for (const char *sep = memmem(body, blen, "\n---\n", 5); sep;
         sep = memmem(sep + 1, blen - (size_t)(sep + 1 - body), "\n---\n", 5)) {
        size_t oplen = (size_t)(sep - body);
        if (first_rc && (oplen == 0 || body[oplen - 1] != ')'))
            continue; /* every operation line ends with ')'; the first try reports why not */
        lf_err e;
        lf_err_clear(&e);
        int rc = lf_op_parse(body, oplen, op, &e);
        if (rc == 0 && lf_op_is_write(op->kind) != w) {
            rc = lf_err_set(&e, EINVAL, "prompt: tag %s does not fit operation %s",
                            w ? "<W>" : "<R>", lf_op_name(op->kind));
            lf_op_free(op);
        }
        if (rc == 0) {
            const char *xml = sep + 5;
            int warn = 0;
            rc = lf_state_parse(xml, len - (size_t)(xml - text), mode, st, &warn, &e);
            if (rc == 0) {
                if (warnings)
                    *warnings = warn;
                return 0;
            }
            lf_err_prefix(&e, "prompt state: ");
            lf_op_free(op);
        }
        if (!first_rc) {
            first_rc = rc;
            first = e;
        }
    }
    if (!first_rc)
        return lf_err_set(err, EINVAL, "prompt: no '\\n---\\n' separator line");
    if (err)
        *err = first;
    return first_rc;
}
