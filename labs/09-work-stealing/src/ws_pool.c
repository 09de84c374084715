/*
 * ws_pool.c - a fork-join scheduler on per-worker Chase-Lev deques
 * (handout Tasks 2 to 4).
 *
 * Each worker loops: pop its own deque (newest first: the cache is warm
 * and the recursion stays depth-first), else take a root task injected by
 * ws_pool_run, else steal from random victims (oldest first: the biggest
 * pieces of work), else park on idle_cv. A worker that waits in ws_join
 * keeps doing the same (without parking) until the task it waits for is
 * done.
 *
 * Parking without a lost wakeup (Task 3): a worker going idle announces it
 * (nidle++, seq_cst), notes the epoch, and looks at every deque once more
 * before it sleeps; a spawner pushes, then a seq_cst fence, then reads
 * nidle. Store-then-load on both sides with seq_cst between: either the
 * idle worker sees the new item, or the spawner sees nidle > 0 and bumps
 * the epoch (under the lock the sleeper holds until it waits).
 */
#include "ws_internal.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* The worker this kernel thread is; NULL elsewhere. */
static __thread struct ws_worker *ws_self;

int ws_worker_id(void)
{
    return ws_self ? ws_self->id : -1;
}

__attribute__((unused)) static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* relaxed: a count this worker alone writes */
#define COUNT(w, field) \
    atomic_store_explicit(&(w)->field, atomic_load_explicit(&(w)->field, memory_order_relaxed) + 1, \
                          memory_order_relaxed)

/* Run one task on worker w and announce it done. After the store of done
 * the task may be freed by its joiner: nothing below touches it. */
__attribute__((unused)) static void run_task(struct ws_worker *w, struct ws_task *t)
{
    /* TODO 2.2: run t->fn(t->arg), count it (COUNT(w, executed)), then set
     * t->done with release; for a root (t->root), set done and broadcast
     * done_cv under p->lock (Task 2.3). Touch nothing of t after done. */
    (void)w; (void)t;
}

/* One round of stealing: up to 2n tries at random victims. */
__attribute__((unused)) static struct ws_task *steal_some(struct ws_worker *w)
{
    /* TODO 2.2: up to 2n tries: a random victim other than w (rng_next),
     * ws_deque_steal from its deque; count a success in steals. */
    (void)w;
    return NULL;
}

/* A root task from ws_pool_run, if one waits. */
__attribute__((unused)) static struct ws_task *take_injected(struct ws_pool *p)
{
    /* TODO 2.3: if ninject > 0, take the head of p->inject under p->lock
     * (ninject--), and return its task. */
    (void)p;
    return NULL;
}

/* Anything to do from here: own deque, injected roots, then stealing. */
__attribute__((unused)) static struct ws_task *find_work(struct ws_worker *w)
{
    struct ws_task *t = ws_deque_pop(w->dq);
    if (!t)
        t = take_injected(w->pool);
    if (!t)
        t = steal_some(w);
    return t;
}

/* A spawner (or ws_pool_run) has made work visible: wake one parked worker
 * if any. The caller made the work visible BEFORE calling. */
__attribute__((unused)) static void wake_one(struct ws_pool *p)
{
    /* TODO 3.2: a seq_cst fence, then if nidle > 0: epoch++ and signal
     * idle_cv, under p->lock. */
    (void)p;
}

/* Nothing found: sleep until work may be there. Returns 1 when the pool
 * stops. */
__attribute__((unused)) static int park(struct ws_worker *w)
{
    /* TODO 3.1: under p->lock: return 1 if stopping; nidle++ (seq_cst) and
     * note the epoch. Unlocked: one more look at ninject and every deque.
     * Under p->lock again: if nothing, count a park and wait on idle_cv
     * while the epoch is unchanged and not stopping; nidle--; return stop. */
    (void)w;
    return 1;
}

__attribute__((unused)) static void *worker_main(void *arg)
{
    struct ws_worker *w = arg;
    ws_self = w;
    /* TODO 2.2: loop: find_work; run what you find (run_task); with
     * nothing found, park (Task 3) and leave the loop when it says stop. */
    return NULL;
}

struct ws_pool *ws_pool_new(int n)
{
    /* TODO 2.1: check n (EINVAL), calloc the pool and n workers, init the
     * lock and both condvars, give each worker its pool, id, a nonzero
     * rng seed and a deque (ws_deque_new(6)), then start the threads
     * (worker_main). On failure undo everything and set errno. */
    (void)n;
    errno = ENOSYS;
    return NULL;
}

void ws_pool_free(struct ws_pool *p)
{
    /* TODO 2.4: stop = 1 and wake every parked worker (under the lock),
     * join the workers, free their deques, the workers and the pool. */
    (void)p;
}

int ws_pool_run(struct ws_pool *p, ws_fn fn, void *arg)
{
    /* TODO 2.3: put a root (on your stack) on p->inject under the lock,
     * wake a parked worker (Task 3) and wait on done_cv until it has run.
     * EINVAL for NULL p or fn, EPERM when called from a worker. */
    (void)p; (void)fn; (void)arg;
    return ENOSYS;
}

struct ws_task *ws_spawn(ws_fn fn, void *arg)
{
    /* TODO 4.1: on a worker only (EPERM), malloc a task, fill it, push it
     * on this worker's deque, count it, wake a parked worker (Task 3). */
    (void)fn; (void)arg;
    errno = ENOSYS;
    return NULL;
}

int ws_join(struct ws_task *t)
{
    /* TODO 4.2: until t is done (acquire load): pop your own deque and run
     * what you get; else steal and run; else sched_yield. Then free t. */
    (void)t;
    return ENOSYS;
}

int ws_pool_stats(struct ws_pool *p, struct ws_stats *out)
{
    if (!p || !out)
        return EINVAL;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < p->n; i++) {
        /* relaxed: recent values are all the contract promises */
        out->spawned += atomic_load_explicit(&p->w[i].spawned, memory_order_relaxed);
        out->executed += atomic_load_explicit(&p->w[i].executed, memory_order_relaxed);
        out->steals += atomic_load_explicit(&p->w[i].steals, memory_order_relaxed);
        out->parks += atomic_load_explicit(&p->w[i].parks, memory_order_relaxed);
    }
    return 0;
}
