/* fuzz_driver.h: runs a libFuzzer entry (LLVMFuzzerTestOneInput, linked in
 * from tests/fuzz/) over deterministic random mutations of given inputs, so
 * the plain gcc test suite exercises every fuzz target without clang.
 * Header-only (static functions) for the tests/unit/<x>/test_*_fuzz.c files;
 * include it after <cmocka.h>. */
#ifndef LF_TESTS_FUZZ_DRIVER_H
#define LF_TESTS_FUZZ_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct lf_mutator {
    uint64_t rng;                /* xorshift state, non-zero */
    const char *const *tokens;   /* spliced in whole ("" stands for one NUL byte) */
    size_t ntokens;
    size_t keep;                 /* leading bytes never edited (a selector byte) */
    size_t max_del;              /* longest span deleted at once */
    size_t max_grow;             /* how much an input may grow */
    bool truncate;               /* also cut inputs short */
} lf_mutator;

static inline uint64_t lf_mut_next(lf_mutator *m)
{
    m->rng ^= m->rng << 13;
    m->rng ^= m->rng >> 7;
    m->rng ^= m->rng << 17;
    return m->rng;
}

/* Calls the entry on a private copy of s, so reads past the end are caught
 * by ASan and valgrind. */
static inline void lf_fuzz_run(const void *s, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, s, n);
    LLVMFuzzerTestOneInput(c, n);
    free(c);
}

/* rounds times: one to three edits of s (flip a byte, delete a span, splice
 * in a token, or cut short), then the entry on the result. */
static inline void lf_fuzz_mutate_and_run(lf_mutator *mu, const char *s, size_t n, int rounds)
{
    char *m = malloc(n + mu->max_grow + 64);
    assert_non_null(m);
    for (int r = 0; r < rounds; r++) {
        size_t len = n;
        memcpy(m, s, n);
        int edits = 1 + (int)(lf_mut_next(mu) % 3);
        for (int e = 0; e < edits; e++) {
            size_t at = len > mu->keep ? mu->keep + (size_t)(lf_mut_next(mu) % (len - mu->keep)) : len;
            switch (lf_mut_next(mu) % (mu->truncate ? 4 : 3)) {
            case 0:
                if (at < len)
                    m[at] = (char)lf_mut_next(mu);
                break;
            case 1: {
                size_t k = 1 + (size_t)(lf_mut_next(mu) % mu->max_del);
                if (k > len - at)
                    k = len - at;
                memmove(m + at, m + at + k, len - at - k);
                len -= k;
                break;
            }
            case 2: {
                const char *t = mu->tokens[lf_mut_next(mu) % mu->ntokens];
                size_t k = t[0] ? strlen(t) : 1;
                if (len + k > n + mu->max_grow)
                    break;
                memmove(m + at + k, m + at, len - at);
                memcpy(m + at, t, k);
                len += k;
                break;
            }
            default:
                len = at;
                break;
            }
        }
        lf_fuzz_run(m, len);
    }
    free(m);
}

#endif
