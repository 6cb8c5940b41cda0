/* pool.c: the engine's thread pool (pool.h). A generation counter announces
 * each job; workers spin on it for a while, then sleep on a condition
 * variable. The sleeper count is read after the counter is bumped, and a
 * worker bumps it before re-checking the counter under the mutex (both
 * sequentially consistent), so no wake-up is lost. */
#include "lm/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN_ITERS 200000

struct lf_pool {
    int n;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint gen;
    atomic_int done;
    atomic_int sleepers;
    atomic_bool quit;
    lf_pool_fn fn;
    void *arg;
};

typedef struct worker_arg {
    lf_pool *p;
    int ith;
} worker_arg;

static void *worker_main(void *a)
{
    worker_arg *wa = a;
    lf_pool *p = wa->p;
    int ith = wa->ith;
    free(wa);
    unsigned seen = 0; /* gen at creation: a job may be posted before this thread runs */
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load(&p->gen)) == seen && !atomic_load(&p->quit)) {
            if (++spins < SPIN_ITERS) {
                CPU_RELAX();
                if ((spins & 1023) == 1023)
                    sched_yield();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            while (atomic_load(&p->gen) == seen && !atomic_load(&p->quit))
                pthread_cond_wait(&p->cv, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
            spins = 0;
        }
        if (atomic_load(&p->quit))
            return NULL;
        seen = g;
        p->fn(p->arg, ith, p->n);
        atomic_fetch_add(&p->done, 1);
    }
}

static void wake_all(lf_pool *p)
{
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
}

int lf_pool_new(int n, lf_pool **out, lf_err *err)
{
    if (n <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
    if (n > 256)
        n = 256;
    lf_pool *p = calloc(1, sizeof *p);
    if (!p)
        return lf_err_set(err, ENOMEM, "pool: out of memory");
    p->n = n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->threads = calloc((size_t)n, sizeof *p->threads);
    if (!p->threads) {
        lf_pool_free(p);
        return lf_err_set(err, ENOMEM, "pool: out of memory");
    }
    for (int i = 1; i < n; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        int rc = ENOMEM;
        if (wa) {
            wa->p = p;
            wa->ith = i;
            rc = pthread_create(&p->threads[i], NULL, worker_main, wa);
            if (rc)
                free(wa);
        }
        if (rc) {
            p->n = i; /* threads 1..i-1 exist */
            lf_pool_free(p);
            return lf_err_set(err, rc, "pool: cannot start thread %d", i);
        }
    }
    *out = p;
    return 0;
}

void lf_pool_free(lf_pool *p)
{
    if (!p)
        return;
    atomic_store(&p->quit, true);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; p->threads && i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

int lf_pool_size(const lf_pool *p)
{
    return p ? p->n : 1;
}

void lf_pool_run(lf_pool *p, lf_pool_fn fn, void *arg)
{
    if (!p || p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store(&p->done, 0);
    atomic_fetch_add(&p->gen, 1);
    wake_all(p);
    fn(arg, 0, p->n);
    for (unsigned spins = 0; atomic_load(&p->done) < p->n - 1; spins++) {
        CPU_RELAX();
        if ((spins & 1023) == 1023)
            sched_yield(); /* a descheduled worker needs the CPU back */
    }
}

void lf_pool_split(int64_t n, int ith, int nth, int64_t align, int64_t *a, int64_t *b)
{
    if (align < 1)
        align = 1;
    int64_t chunks = (n + align - 1) / align;
    int64_t per = chunks / nth, extra = chunks % nth;
    int64_t c0 = ith * per + (ith < extra ? ith : extra);
    int64_t c1 = c0 + per + (ith < extra ? 1 : 0);
    *a = c0 * align < n ? c0 * align : n;
    *b = c1 * align < n ? c1 * align : n;
}
