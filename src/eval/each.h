/* each.h: the worker loop that eval's row run (run.c) and episode replay
 * (episodes.c) share: items 0..n-1 handed out one at a time to up to `jobs`
 * threads (the calling thread is one of them), in order of index. */
#ifndef LF_EVAL_EACH_H
#define LF_EVAL_EACH_H

#include <stddef.h>

/* Returns 0 or a negative errno. */
typedef int (*lf_eval_item_fn)(void *ctx, size_t i);

/* Calls fn(ctx, i) for each i < n on min(jobs, n) threads (at least one;
 * threads that cannot be started are done without). After the first item
 * that fails, no more items are handed out; returns that item's error, or
 * 0. fn must be thread-safe for distinct i. */
int lf_eval_each(size_t n, int jobs, lf_eval_item_fn fn, void *ctx);

#endif
