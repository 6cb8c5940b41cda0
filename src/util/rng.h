/* rng.h: the project's deterministic random numbers (the dataset
 * generator, the trainer's initialisation and batch order, the engine's
 * sampling and its random test models).
 *
 * splitmix64: tiny, fast, and the same on every machine, so a seed gives the
 * same dataset (and the same initial weights) byte for byte
 * (seed-reference §11 item 10: the original's RNG was unseeded). lf_hash64 keys per-path content (§5.5) and per-episode
 * decisions. Header-only; a generator is a plain value owned by its user
 * (not thread-safe; give each thread its own).
 */
#ifndef LF_UTIL_RNG_H
#define LF_UTIL_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct lf_rng {
    uint64_t s;
} lf_rng;

static inline uint64_t lf_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Starts a generator from a seed. */
static inline void lf_rng_seed(lf_rng *r, uint64_t seed)
{
    r->s = lf_mix64(seed ^ 0x6a09e667f3bcc908ULL);
}

/* splitmix64's step on a bare state: next 64 random bits of *s. */
static inline uint64_t lf_splitmix64(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ULL;
    return lf_mix64(*s);
}

/* Next 64 random bits. */
static inline uint64_t lf_rng_next(lf_rng *r)
{
    return lf_splitmix64(&r->s);
}

/* Uniform integer in [0, n); 0 when n is 0. */
static inline uint64_t lf_rng_below(lf_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    return (uint64_t)(((unsigned __int128)lf_rng_next(r) * n) >> 64);
}

/* Uniform integer in [lo, hi]. */
static inline long lf_rng_range(lf_rng *r, long lo, long hi)
{
    return lo + (long)lf_rng_below(r, (uint64_t)(hi - lo + 1));
}

/* True with probability percent/100. */
static inline int lf_rng_pct(lf_rng *r, unsigned percent)
{
    return lf_rng_below(r, 100) < percent;
}

/* One element of an array of n strings. */
#define LF_RNG_PICK(r, arr) ((arr)[lf_rng_below((r), sizeof(arr) / sizeof((arr)[0]))])

/* FNV-1a over bytes, then mixed: a stable 64-bit key for a path or label. */
static inline uint64_t lf_hash64(const void *p, size_t n, uint64_t salt)
{
    const unsigned char *b = (const unsigned char *)p;
    uint64_t h = 0xcbf29ce484222325ULL ^ lf_mix64(salt);
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return lf_mix64(h);
}

#endif
