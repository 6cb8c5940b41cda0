/* fuzz_completion.c: libFuzzer target for completion parsing (PROTOCOL.md
 * §4), the parser that reads model output. The first input byte picks the
 * operation (a <W> op, readdir, read of a text file, read of a base64 file,
 * readlink), the rest is the answer. Whatever parses must render back to a
 * completion that parses to the same answer (abort otherwise); read and
 * readlink answers starting with "ERROR:" are exempt (the protocol reads
 * them as errors unless the state holds exactly that text), as are read
 * answers whose bytes do not fit the file's body encoding (see below).
 * Also linked into the plain unit test test_completion_fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cur_xml[] =
    "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" group=\"root\" "
    "mtime=\"2025-01-01T00:00:00\"><file path=\"a.txt\" name=\"a.txt\" mode=\"644\" "
    "owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:01\" size=\"3\"><body>hi\n</body>"
    "</file><file path=\"b.bin\" name=\"b.bin\" mode=\"644\" owner=\"root\" group=\"root\" "
    "mtime=\"2025-01-01T00:00:01\" size=\"2\"><body encoding=\"base64\">AP8=</body></file>"
    "<symlink path=\"l\" name=\"l\" mode=\"777\" owner=\"root\" group=\"root\" "
    "mtime=\"2025-01-01T00:00:00\" target=\"a.txt\" /></directory></filesystem>";

static bool same(const lf_answer *a, const lf_answer *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case LF_ANS_ERROR: return a->err == b->err;
    case LF_ANS_STATE: return lf_state_equal(a->state, b->state);
    case LF_ANS_LIST:
        if (a->nnames != b->nnames)
            return false;
        for (size_t i = 0; i < a->nnames; i++)
            if (strcmp(a->names[i], b->names[i]) != 0)
                return false;
        return true;
    case LF_ANS_BYTES:
        return a->nbytes == b->nbytes && (a->nbytes == 0 || !memcmp(a->bytes, b->bytes, a->nbytes));
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lf_state *cur;
    if (!cur && lf_state_parse(cur_xml, sizeof cur_xml - 1, LF_PARSE_STRICT, &cur, NULL, NULL))
        abort();
    if (size < 1)
        return 0;
    lf_op ops[] = {
        {.kind = LF_OP_MKDIR, .path = "/d", .mode = 0755, .fh = -1},
        {.kind = LF_OP_READDIR, .path = "/", .fh = 0},
        {.kind = LF_OP_READ, .path = "/a.txt", .size = 4096, .fh = 1},
        {.kind = LF_OP_READ, .path = "/b.bin", .size = 4096, .fh = 1},
        {.kind = LF_OP_READLINK, .path = "/l", .fh = -1},
    };
    const lf_op *op = &ops[data[0] % (sizeof ops / sizeof ops[0])];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    lf_answer a, b;
    lf_err err;
    if (lf_completion_parse(op, cur, text, len, &a, &err) != 0)
        return 0;
    lf_buf out;
    lf_buf_init(&out, 0);
    if (a.kind == LF_ANS_ERROR && !lf_errno_name(a.err))
        abort(); /* only known names or EIO come out */
    if (lf_completion_render(op, &a, &out) != 0)
        abort();
    bool exempt = a.kind == LF_ANS_BYTES && a.nbytes >= 6 && !memcmp(a.bytes, "ERROR:", 6);
    /* A read's rendering follows the bytes (base64 when they need it), its
     * parsing follows the file's body in the state. They agree whenever the
     * answer is the state's content; a wrong answer whose bytes differ in
     * that respect from the file's (control bytes for the text file, plain
     * text for the base64 one) does not come back the same. */
    if (a.kind == LF_ANS_BYTES && op->kind == LF_OP_READ &&
        lf_text_needs_base64(a.bytes, a.nbytes) != (op == &ops[3]) &&
        !(a.nbytes == 0 && op == &ops[3]))
        exempt = true;
    if (!exempt) {
        if (lf_completion_parse(op, cur, out.data, out.len, &b, &err) != 0 || !same(&a, &b))
            abort();
        lf_answer_free(&b);
    }
    lf_buf_free(&out);
    lf_answer_free(&a);
    return 0;
}
