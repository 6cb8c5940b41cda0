/* unwrap.c: recognising a contract wrapper (PROTOCOL.md §5) in front of a
 * base prompt, for the server, which receives wrapped prompts from clients
 * and must answer the base prompt underneath.
 *
 * The recognition is by re-wrapping: a candidate base prompt is wrapped with
 * the `seed` profile by lf_contract_wrap and compared byte for byte with the
 * text received, so the wrapper's wording lives only in the wrapper code. */
#include <string.h>

#include "proto/proto.h"

static bool starts_with_tag(const char *t, size_t len)
{
    return len >= 4 && t[0] == '<' && (t[1] == 'W' || t[1] == 'R') && t[2] == '>' &&
           t[3] == '\n';
}

int lf_contract_unwrap(const char *text, size_t len, lf_contract *profile,
                       size_t *base_off, lf_err *err)
{
    if (starts_with_tag(text, len)) {
        *profile = LF_CONTRACT_NONE;
        *base_off = 0;
        return 0;
    }
    /* HEADER + CONTRACT hold no blank line, so the base prompt starts right
     * after the first "\n\n" that precedes a tag. */
    for (size_t i = 0; i + 6 <= len; i++) {
        if (text[i] != '\n' || text[i + 1] != '\n' || !starts_with_tag(text + i + 2, len - i - 2))
            continue;
        size_t off = i + 2;
        lf_buf w;
        lf_buf_init(&w, len + 1);
        int rc = lf_contract_wrap(LF_CONTRACT_SEED, text + off, len - off, &w);
        bool same = rc == 0 && w.len == len && memcmp(w.data, text, len) == 0;
        lf_buf_free(&w);
        if (!same)
            break;
        *profile = LF_CONTRACT_SEED;
        *base_off = off;
        return 0;
    }
    return lf_err_set(err, EINVAL,
                      "prompt: neither a base prompt (<W>/<R> first) nor one wrapped "
                      "with a known contract profile (none, seed)");
}
