/* each.c: eval's shared worker loop (each.h). */
#include "eval/each.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct each_ctx {
    size_t n, next;
    lf_eval_item_fn fn;
    void *ctx;
    pthread_mutex_t mu;
    int rc;
} each_ctx;

static void *worker(void *arg)
{
    each_ctx *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        size_t i = c->next++;
        bool stop = c->rc != 0 || i >= c->n;
        pthread_mutex_unlock(&c->mu);
        if (stop)
            break;
        int rc = c->fn(c->ctx, i);
        if (rc) {
            pthread_mutex_lock(&c->mu);
            if (!c->rc)
                c->rc = rc;
            pthread_mutex_unlock(&c->mu);
        }
    }
    return NULL;
}

int lf_eval_each(size_t n, int jobs, lf_eval_item_fn fn, void *ctx)
{
    each_ctx c = {.n = n, .fn = fn, .ctx = ctx};
    if (jobs < 1)
        jobs = 1;
    if ((size_t)jobs > n)
        jobs = n ? (int)n : 1;
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    if (!th)
        return -ENOMEM;
    pthread_mutex_init(&c.mu, NULL);
    int started = 0;
    for (int i = 1; i < jobs; i++) {
        if (pthread_create(&th[i], NULL, worker, &c))
            break;
        started++;
    }
    worker(&c);
    for (int i = 1; i <= started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&c.mu);
    free(th);
    return c.rc;
}
