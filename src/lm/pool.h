/* pool.h: a small pthread pool for the engine's kernels. The calling thread
 * is worker 0 and the pool's threads are workers 1..n-1; lf_pool_run runs
 * one function on all of them and returns when all have finished. Workers
 * spin briefly between jobs (a forward pass issues many small jobs) and then
 * sleep on a condition variable.
 *
 * Work is split by output rows (lf_pool_split), and each output element is
 * computed by exactly one worker with a fixed reduction order, so results
 * are bit-identical whatever the thread count.
 * A pool is used by one thread at a time (the one that calls lf_pool_run). */
#ifndef LF_LM_POOL_H
#define LF_LM_POOL_H

#include <stdint.h>

#include "util/err.h"

typedef struct lf_pool lf_pool;
typedef void (*lf_pool_fn)(void *arg, int ith, int nth);

/* Creates a pool of n workers in all (the caller included); n <= 0 means
 * one per online CPU. Returns 0 and *out (free with lf_pool_free). */
int lf_pool_new(int n, lf_pool **out, lf_err *err);
void lf_pool_free(lf_pool *p);   /* NULL is fine; joins the threads */
int lf_pool_size(const lf_pool *p);
/* Runs fn(arg, ith, nth) for ith in [0, nth) and waits for all. */
void lf_pool_run(lf_pool *p, lf_pool_fn fn, void *arg);

/* Worker ith's share [*a, *b) of [0, n), in chunks that are multiples of
 * align (the last share takes the remainder). */
void lf_pool_split(int64_t n, int ith, int nth, int64_t align, int64_t *a, int64_t *b);

#endif
