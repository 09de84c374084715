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
#ifdef SOLUTION
    int root = t->root;
    t->fn(t->arg);
    COUNT(w, executed);
    if (root) {
        /* its ws_pool_run caller sleeps on done_cv: set done and signal
         * under the lock it tests done under, so the wakeup is not lost */
        struct ws_pool *p = w->pool;
        pthread_mutex_lock(&p->lock);
        atomic_store_explicit(&t->done, 1, memory_order_release);
        pthread_cond_broadcast(&p->done_cv);
        pthread_mutex_unlock(&p->lock);
        return;
    }
    /* release: pairs with the acquire load of done in ws_join: what fn
     * wrote is visible to the joiner */
    atomic_store_explicit(&t->done, 1, memory_order_release);
#else
    /* TODO 2.2: run t->fn(t->arg), count it (COUNT(w, executed)), then set
     * t->done with release; for a root (t->root), set done and broadcast
     * done_cv under p->lock (Task 2.3). Touch nothing of t after done. */
    (void)w; (void)t;
#endif
}

/* One round of stealing: up to 2n tries at random victims. */
__attribute__((unused)) static struct ws_task *steal_some(struct ws_worker *w)
{
#ifdef SOLUTION
    struct ws_pool *p = w->pool;
    if (p->n < 2)
        return NULL;
    for (int i = 0; i < 2 * p->n; i++) {
        int v = (int)(rng_next(&w->rng) % (uint64_t)(p->n - 1));
        if (v >= w->id)
            v++; /* never ourselves */
        void *x = ws_deque_steal(p->w[v].dq);
        if (x != WS_EMPTY && x != WS_ABORT) {
            COUNT(w, steals);
            return x;
        }
    }
    return NULL;
#else
    /* TODO 2.2: up to 2n tries: a random victim other than w (rng_next),
     * ws_deque_steal from its deque; count a success in steals. */
    (void)w;
    return NULL;
#endif
}

/* A root task from ws_pool_run, if one waits. */
__attribute__((unused)) static struct ws_task *take_injected(struct ws_pool *p)
{
#ifdef SOLUTION
    /* seq_cst: the cheap look before the lock; pairs with the increment
     * in ws_pool_run (a miss here is caught by the idle protocol) */
    if (atomic_load(&p->ninject) == 0)
        return NULL;
    struct ws_task *t = NULL;
    pthread_mutex_lock(&p->lock);
    struct ws_root *r = p->inject;
    if (r) {
        p->inject = r->next;
        atomic_fetch_sub(&p->ninject, 1); /* seq_cst, under lock */
        t = &r->task;
    }
    pthread_mutex_unlock(&p->lock);
    return t;
#else
    /* TODO 2.3: if ninject > 0, take the head of p->inject under p->lock
     * (ninject--), and return its task. */
    (void)p;
    return NULL;
#endif
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
#ifdef SOLUTION
    /* seq_cst fence: pairs with the seq_cst increment of nidle in
     * park(): our push (store) is ordered before this load of nidle, as
     * the parker's nidle++ is before its loads of the deques */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&p->nidle, memory_order_relaxed) == 0)
        return;
    pthread_mutex_lock(&p->lock);
    p->epoch++;
    pthread_cond_signal(&p->idle_cv);
    pthread_mutex_unlock(&p->lock);
#else
    /* TODO 3.2: a seq_cst fence, then if nidle > 0: epoch++ and signal
     * idle_cv, under p->lock. */
    (void)p;
#endif
}

/* Nothing found: sleep until work may be there. Returns 1 when the pool
 * stops. */
__attribute__((unused)) static int park(struct ws_worker *w)
{
#ifdef SOLUTION
    struct ws_pool *p = w->pool;
    pthread_mutex_lock(&p->lock);
    if (atomic_load(&p->stop)) {
        pthread_mutex_unlock(&p->lock);
        return 1;
    }
    /* seq_cst: pairs with the fence in wake_one (see the file comment) */
    atomic_fetch_add(&p->nidle, 1);
    unsigned long e = p->epoch;
    pthread_mutex_unlock(&p->lock);
    /* one more look, after announcing ourselves */
    int work = atomic_load(&p->ninject) > 0;
    for (int i = 0; i < p->n && !work; i++)
        work = ws_deque_size(p->w[i].dq) > 0;
    pthread_mutex_lock(&p->lock);
    if (!work) {
        COUNT(w, parks);
        while (p->epoch == e && !atomic_load(&p->stop))
            pthread_cond_wait(&p->idle_cv, &p->lock);
    }
    atomic_fetch_sub(&p->nidle, 1);
    int stop = atomic_load(&p->stop);
    pthread_mutex_unlock(&p->lock);
    return stop;
#else
    /* TODO 3.1: under p->lock: return 1 if stopping; nidle++ (seq_cst) and
     * note the epoch. Unlocked: one more look at ninject and every deque.
     * Under p->lock again: if nothing, count a park and wait on idle_cv
     * while the epoch is unchanged and not stopping; nidle--; return stop. */
    (void)w;
    return 1;
#endif
}

__attribute__((unused)) static void *worker_main(void *arg)
{
    struct ws_worker *w = arg;
    ws_self = w;
#ifdef SOLUTION
    for (;;) {
        struct ws_task *t = find_work(w);
        if (t) {
            run_task(w, t);
            continue;
        }
        if (park(w))
            break;
    }
#else
    /* TODO 2.2: loop: find_work; run what you find (run_task); with
     * nothing found, park (Task 3) and leave the loop when it says stop. */
#endif
    return NULL;
}

struct ws_pool *ws_pool_new(int n)
{
#ifdef SOLUTION
    if (n < 1 || n > WS_MAX_WORKERS) {
        errno = EINVAL;
        return NULL;
    }
    struct ws_pool *p = calloc(1, sizeof *p);
    struct ws_worker *w = calloc((size_t)n, sizeof *w);
    if (!p || !w) {
        free(p);
        free(w);
        errno = ENOMEM;
        return NULL;
    }
    p->n = n;
    p->w = w;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->idle_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    int made = 0, err = 0;
    for (int i = 0; i < n; i++) {
        w[i].pool = p;
        w[i].id = i;
        w[i].rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1);
        w[i].dq = ws_deque_new(6);
        if (!w[i].dq) {
            err = ENOMEM;
            break;
        }
    }
    for (; !err && made < n; made++) {
        err = pthread_create(&w[made].thread, NULL, worker_main, &w[made]);
        if (err)
            break;
    }
    if (err) {
        for (int i = made; i < n; i++)
            ws_deque_free(w[i].dq);
        p->n = made; /* ws_pool_free stops, joins and frees the rest */
        ws_pool_free(p);
        errno = err;
        return NULL;
    }
    return p;
#else
    /* TODO 2.1: check n (EINVAL), calloc the pool and n workers, init the
     * lock and both condvars, give each worker its pool, id, a nonzero
     * rng seed and a deque (ws_deque_new(6)), then start the threads
     * (worker_main). On failure undo everything and set errno. */
    (void)n;
    errno = ENOSYS;
    return NULL;
#endif
}

void ws_pool_free(struct ws_pool *p)
{
#ifdef SOLUTION
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->idle_cv);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n; i++)
        pthread_join(p->w[i].thread, NULL);
    for (int i = 0; i < p->n; i++)
        ws_deque_free(p->w[i].dq);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->idle_cv);
    pthread_cond_destroy(&p->done_cv);
    free(p->w);
    free(p);
#else
    /* TODO 2.4: stop = 1 and wake every parked worker (under the lock),
     * join the workers, free their deques, the workers and the pool. */
    (void)p;
#endif
}

int ws_pool_run(struct ws_pool *p, ws_fn fn, void *arg)
{
#ifdef SOLUTION
    if (!p || !fn)
        return EINVAL;
    if (ws_self)
        return EPERM;
    struct ws_root r;
    memset(&r, 0, sizeof r);
    r.task.fn = fn;
    r.task.arg = arg;
    r.task.root = 1;
    atomic_init(&r.task.done, 0);
    pthread_mutex_lock(&p->lock);
    r.next = p->inject;
    p->inject = &r;
    atomic_fetch_add(&p->ninject, 1); /* seq_cst: see take_injected */
    pthread_mutex_unlock(&p->lock);
    wake_one(p);
    pthread_mutex_lock(&p->lock);
    /* acquire: pairs with the release store of done in run_task (made
     * under this lock, with the broadcast) */
    while (!atomic_load_explicit(&r.task.done, memory_order_acquire))
        pthread_cond_wait(&p->done_cv, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return 0;
#else
    /* TODO 2.3: put a root (on your stack) on p->inject under the lock,
     * wake a parked worker (Task 3) and wait on done_cv until it has run.
     * EINVAL for NULL p or fn, EPERM when called from a worker. */
    (void)p; (void)fn; (void)arg;
    return ENOSYS;
#endif
}

struct ws_task *ws_spawn(ws_fn fn, void *arg)
{
#ifdef SOLUTION
    struct ws_worker *w = ws_self;
    if (!w) {
        errno = EPERM;
        return NULL;
    }
    if (!fn) {
        errno = EINVAL;
        return NULL;
    }
    struct ws_task *t = malloc(sizeof *t);
    if (!t) {
        errno = ENOMEM;
        return NULL;
    }
    t->fn = fn;
    t->arg = arg;
    t->root = 0;
    atomic_init(&t->done, 0);
    int rc = ws_deque_push(w->dq, t);
    if (rc) {
        free(t);
        errno = rc;
        return NULL;
    }
    COUNT(w, spawned);
    wake_one(w->pool);
    return t;
#else
    /* TODO 4.1: on a worker only (EPERM), malloc a task, fill it, push it
     * on this worker's deque, count it, wake a parked worker (Task 3). */
    (void)fn; (void)arg;
    errno = ENOSYS;
    return NULL;
#endif
}

int ws_join(struct ws_task *t)
{
#ifdef SOLUTION
    struct ws_worker *w = ws_self;
    if (!w)
        return EPERM;
    /* acquire: pairs with the release store of done in run_task */
    while (!atomic_load_explicit(&t->done, memory_order_acquire)) {
        struct ws_task *o = ws_deque_pop(w->dq);
        if (!o)
            o = steal_some(w);
        if (o)
            run_task(w, o);
        else
            sched_yield(); /* t runs on a thief; give its CPU a chance */
    }
    free(t);
    return 0;
#else
    /* TODO 4.2: until t is done (acquire load): pop your own deque and run
     * what you get; else steal and run; else sched_yield. Then free t. */
    (void)t;
    return ENOSYS;
#endif
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
