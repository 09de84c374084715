/*
 * tp.c - Tasks 2 to 6: a pool of worker threads over a bounded ring.
 *
 * One mutex (p->lock) guards the ring, the counters and the worker table.
 * Two condition variables say why a thread waits: not_empty (a worker with
 * nothing to do) and not_full (a TP_BLOCK submitter facing a full ring).
 * Every wait sits in a loop that re-tests its predicate under the lock.
 */
#include "tp.h"
#include "tp_internal.h"

#include <errno.h>
#include <stdint.h>

#ifdef SOLUTION
/* Run one task and publish its outcome. No lock held: a task may take as
 * long as it likes, and may submit more tasks to the pool. */
static void run_task(const struct tp_task *t)
{
    long v = 0;
    int err = t->fn(t->arg, &v);
    if (t->fut)
        tp_future_complete(t->fut, TP_DONE, err, v);
}

static void *worker_main(void *arg);

/* Start a worker in a slot that is not LIVE (joining an EXITED one first),
 * handing it `first` if not NULL. p->lock held; live < max. 0 or the error
 * of pthread_create (nothing changed then). */
static int spawn(struct tp_pool *p, const struct tp_task *first)
{
    struct tp_worker *w = NULL;
    for (unsigned i = 0; i < p->cfg.max && !w; i++)
        if (p->workers[i].state != TP_W_LIVE)
            w = &p->workers[i];
    TP_ASSERT(w != NULL);
    if (w->state == TP_W_EXITED) {
        /* It set EXITED under the lock and touches nothing of the pool
         * after its unlock: joining it here cannot deadlock. */
        TP_CHECK(pthread_join(w->tid, NULL));
        w->state = TP_W_FREE;
    }
    w->has_first = first != NULL;
    if (first)
        w->first = *first;
    int rc = pthread_create(&w->tid, NULL, worker_main, w);
    if (rc != 0)
        return rc;
    /* The new thread reads its slot only after taking the lock we hold. */
    w->state = TP_W_LIVE;
    p->live++;
    p->spawned++;
    return 0;
}

/* The worker's wait for work, p->lock held. 0: *t is a task taken from the
 * ring. 1: leave (retired by keep-alive, or shut down with nothing left). */
static int next_task(struct tp_pool *p, struct tp_task *t)
{
    /* One deadline per idle period: a spurious wakeup must not extend it. */
    struct timespec deadline = tp_deadline_ms(p->cfg.keepalive_ms);
    int retire = 0;
    p->idle++;
    while (p->count == 0 && p->state == TP_RUNNING) {
        if (p->live > p->cfg.core) {
            int rc = pthread_cond_timedwait(&p->not_empty, &p->lock, &deadline);
            if (rc == ETIMEDOUT && p->count == 0 && p->state == TP_RUNNING &&
                p->live > p->cfg.core) {
                retire = 1;
                break;
            }
            if (rc != ETIMEDOUT)
                TP_CHECK(rc);
        } else {
            TP_CHECK(pthread_cond_wait(&p->not_empty, &p->lock));
        }
    }
    p->idle--;
    if (retire) {
        p->retired++;
        return 1;
    }
    if (p->count == 0) /* shutting down, and the ring is empty */
        return 1;
    *t = p->ring[p->head];
    p->head = (p->head + 1) % p->cfg.queue_cap;
    p->count--;
    if (p->blocked > 0)
        TP_CHECK(pthread_cond_signal(&p->not_full));
    return 0;
}

static void *worker_main(void *arg)
{
    struct tp_worker *w = arg;
    struct tp_pool *p = w->pool;
    TP_CHECK(pthread_mutex_lock(&p->lock));
    for (;;) {
        struct tp_task t;
        if (w->has_first) {
            t = w->first;
            w->has_first = 0;
        } else if (next_task(p, &t)) {
            break;
        }
        TP_CHECK(pthread_mutex_unlock(&p->lock));
        run_task(&t);
        TP_CHECK(pthread_mutex_lock(&p->lock));
        p->completed++;
    }
    TP_ASSERT(p->live > 0 && w->state == TP_W_LIVE);
    p->live--;
    w->state = TP_W_EXITED;
    TP_CHECK(pthread_mutex_unlock(&p->lock));
    return NULL;
}

/* Join every worker; the pool is no longer RUNNING, so none starts. */
static void join_all(struct tp_pool *p)
{
    for (unsigned i = 0; i < p->cfg.max; i++) {
        struct tp_worker *w = &p->workers[i];
        TP_CHECK(pthread_mutex_lock(&p->lock));
        enum tp_wstate st = w->state;
        pthread_t tid = w->tid;
        TP_CHECK(pthread_mutex_unlock(&p->lock));
        if (st == TP_W_FREE)
            continue;
        TP_CHECK(pthread_join(tid, NULL));
        TP_CHECK(pthread_mutex_lock(&p->lock));
        w->state = TP_W_FREE;
        TP_CHECK(pthread_mutex_unlock(&p->lock));
    }
    TP_CHECK(pthread_mutex_lock(&p->lock));
    TP_ASSERT(p->live == 0);
    p->joined = 1;
    TP_CHECK(pthread_mutex_unlock(&p->lock));
}

static void free_pool(struct tp_pool *p)
{
    free(p->ring);
    free(p->workers);
    free(p);
}
#else
/* TODO 2.2: the worker. Write the static helpers the functions below
 *           need, above them. The reference has these (tp_internal.h has
 *           the structs it uses):
 *   run_task(t)     call t->fn(t->arg, &v) with v = 0, WITHOUT the pool's
 *                   lock, then complete t->fut (if any) with TP_DONE, the
 *                   return value and v.
 *   worker_main(w)  the thread function: lock; loop { take a task (its
 *                   handed-over first task, else from the ring); unlock;
 *                   run it; lock; completed++ }; on leaving: live--, mark
 *                   its slot EXITED, unlock.
 *   next_task(p,&t) the wait for work, lock held: idle++; WHILE the ring
 *                   is empty and the pool runs, wait on not_empty; idle--.
 *                   Ring empty now -> leave (the pool is shutting down and
 *                   everything accepted has run). Else take ring[head],
 *                   advance head, count--, signal not_full if a submitter
 *                   is blocked.
 *   spawn(p,first)  lock held: find a slot that is not LIVE (join it first
 *                   if it is EXITED), pthread_create worker_main on it;
 *                   on success mark it LIVE, live++, spawned++.
 *   join_all(p)     after the pool stopped running: pthread_join every
 *                   slot that is not FREE, reading the slot under the lock
 *                   but joining without it (the worker needs the lock to
 *                   leave); mark FREE; finally joined = 1.
 * TODO 5.2: keep-alive, in next_task: compute ONE deadline, now +
 *           keepalive_ms, when the worker starts waiting. While live >
 *           core, wait with pthread_cond_timedwait on it; on ETIMEDOUT,
 *           if the ring is still empty, the pool still runs and live is
 *           still > core (test under the lock: two workers may time out
 *           together), retired++ and leave. At or below core: plain wait. */
#endif

int tp_create(tp_pool **out, const struct tp_config *cfg)
{
#ifdef SOLUTION
    if (!out || !cfg || cfg->core == 0 || cfg->max < cfg->core || cfg->max > TP_MAX_THREADS ||
        cfg->queue_cap == 0 || cfg->keepalive_ms < 0 ||
        (cfg->policy != TP_BLOCK && cfg->policy != TP_REJECT && cfg->policy != TP_CALLER_RUNS))
        return EINVAL;
    struct tp_pool *p = calloc(1, sizeof *p);
    if (!p)
        return ENOMEM;
    p->cfg = *cfg;
    p->ring = calloc(cfg->queue_cap, sizeof *p->ring);
    p->workers = calloc(cfg->max, sizeof *p->workers);
    if (!p->ring || !p->workers) {
        free_pool(p);
        return ENOMEM;
    }
    for (unsigned i = 0; i < cfg->max; i++)
        p->workers[i].pool = p;
    pthread_condattr_t ca;
    TP_CHECK(pthread_condattr_init(&ca));
    TP_CHECK(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    TP_CHECK(pthread_mutex_init(&p->lock, NULL));
    TP_CHECK(pthread_cond_init(&p->not_empty, &ca));
    TP_CHECK(pthread_cond_init(&p->not_full, &ca));
    TP_CHECK(pthread_condattr_destroy(&ca));
    p->state = TP_RUNNING;

    int rc = 0;
    TP_CHECK(pthread_mutex_lock(&p->lock));
    for (unsigned i = 0; i < cfg->core && rc == 0; i++)
        rc = spawn(p, NULL);
    if (rc != 0) {
        /* Stop the ones that started, as a shutdown would. */
        p->state = TP_STOPPED;
        TP_CHECK(pthread_cond_broadcast(&p->not_empty));
    }
    TP_CHECK(pthread_mutex_unlock(&p->lock));
    if (rc != 0) {
        join_all(p);
        tp_destroy(p);
        return rc;
    }
    *out = p;
    return 0;
#else
    /* TODO 2.1: check cfg (EINVAL: see tp.h), allocate the pool, the ring
     *           of queue_cap tasks and the table of max worker slots
     *           (ENOMEM, freeing what you got). Initialise the lock and
     *           both condvars (not_empty on CLOCK_MONOTONIC: Task 5 waits
     *           on it with a deadline). Start cfg->core workers. If one
     *           pthread_create fails: stop and join those started, free
     *           everything, return its error. */
    return ENOSYS;
#endif
}

int tp_submit(tp_pool *p, tp_fn fn, void *arg, struct tp_future *fut)
{
#ifdef SOLUTION
    if (!p || !fn)
        return EINVAL;
    if (fut) {
        int rc = tp_future_init(fut);
        if (rc != 0)
            return rc;
    }
    struct tp_task t = {fn, arg, fut};
    int rc = 0, run_here = 0;
    TP_CHECK(pthread_mutex_lock(&p->lock));
    for (;;) {
        if (p->state != TP_RUNNING) {
            rc = ESHUTDOWN;
            break;
        }
        if (p->count < p->cfg.queue_cap) {
            p->ring[(p->head + p->count) % p->cfg.queue_cap] = t;
            p->count++;
            /* One task is work for one worker. */
            if (p->idle > 0)
                TP_CHECK(pthread_cond_signal(&p->not_empty));
            break;
        }
        /* Full. Grow first (the new worker takes this task directly)... */
        if (p->live < p->cfg.max && spawn(p, &t) == 0)
            break;
        /* ...then the policy. */
        if (p->cfg.policy == TP_REJECT) {
            p->rejected++;
            rc = EAGAIN;
            break;
        }
        if (p->cfg.policy == TP_CALLER_RUNS) {
            p->caller_ran++;
            run_here = 1;
            break;
        }
        p->blocked++;
        TP_CHECK(pthread_cond_wait(&p->not_full, &p->lock));
        p->blocked--;
    }
    if (rc == 0)
        p->submitted++;
    TP_CHECK(pthread_mutex_unlock(&p->lock));
    if (rc != 0) {
        if (fut) { /* never queued: back to "not initialised" */
            TP_CHECK(pthread_cond_destroy(&fut->cv));
            TP_CHECK(pthread_mutex_destroy(&fut->m));
        }
        return rc;
    }
    if (run_here) {
        /* Back-pressure: the submitter pays with its own time. */
        run_task(&t);
        TP_CHECK(pthread_mutex_lock(&p->lock));
        p->completed++;
        TP_CHECK(pthread_mutex_unlock(&p->lock));
    }
    return 0;
#else
    /* TODO 2.3: EINVAL for p or fn NULL; initialise fut (if not NULL)
     *           with tp_future_init. Lock. In a loop: shut down ->
     *           ESHUTDOWN; a free slot -> store {fn, arg, fut} at
     *           (head + count) % cap, count++, signal not_empty (if a
     *           worker is idle), done; full -> (Task 4, TP_BLOCK) count
     *           yourself in `blocked`, wait on not_full, count yourself
     *           out, and test everything again.
     * TODO 4.1: full and TP_REJECT -> rejected++, EAGAIN.
     * TODO 4.2: full and TP_CALLER_RUNS -> caller_ran++, and run the task
     *           HERE, after the unlock, then completed++ under the lock.
     * TODO 5.1: full and fewer than max workers live -> start a worker
     *           that runs this task first (before the policy).
     *           On every error, fut must be left uninitialised (destroy
     *           its mutex and condvar): the caller will not destroy it. */
    return ENOSYS;
#endif
}

int tp_stats(tp_pool *p, struct tp_stats *st)
{
#ifdef SOLUTION
    if (!p || !st)
        return EINVAL;
    TP_CHECK(pthread_mutex_lock(&p->lock));
    *st = (struct tp_stats){
        .live = p->live, .idle = p->idle, .blocked = p->blocked, .queued = p->count,
        .submitted = p->submitted, .completed = p->completed, .rejected = p->rejected,
        .caller_ran = p->caller_ran, .spawned = p->spawned, .retired = p->retired,
    };
    TP_CHECK(pthread_mutex_unlock(&p->lock));
    return 0;
#else
    /* TODO 2.4: copy every counter into *st under the lock (one snapshot). */
    return ENOSYS;
#endif
}

int tp_shutdown(tp_pool *p)
{
#ifdef SOLUTION
    if (!p)
        return EINVAL;
    TP_CHECK(pthread_mutex_lock(&p->lock));
    if (p->state != TP_RUNNING) {
        TP_CHECK(pthread_mutex_unlock(&p->lock));
        return EALREADY;
    }
    p->state = TP_DRAINING;
    /* Every idle worker must see the new state, and every blocked
     * submitter: broadcast both. */
    TP_CHECK(pthread_cond_broadcast(&p->not_empty));
    TP_CHECK(pthread_cond_broadcast(&p->not_full));
    TP_CHECK(pthread_mutex_unlock(&p->lock));
    join_all(p);
    return 0;
#else
    /* TODO 2.5: EALREADY unless running; mark the pool draining, wake
     *           EVERY waiter of both condvars, unlock, then join every
     *           worker thread that was started (not under the lock: a
     *           worker needs it to finish). Workers leave their loop when
     *           the ring is empty AND the pool is no longer running: so
     *           every task accepted before the shutdown still runs. */
    return ENOSYS;
#endif
}

int tp_shutdown_now(tp_pool *p, struct tp_task **unrun, size_t *n)
{
#ifdef SOLUTION
    if (!p || !unrun || !n)
        return EINVAL;
    /* cfg is fixed: allocate before the lock, fail before changing anything. */
    struct tp_task *out = malloc(p->cfg.queue_cap * sizeof *out);
    if (!out)
        return ENOMEM;
    TP_CHECK(pthread_mutex_lock(&p->lock));
    if (p->state != TP_RUNNING) {
        TP_CHECK(pthread_mutex_unlock(&p->lock));
        free(out);
        return EALREADY;
    }
    p->state = TP_STOPPED;
    size_t k = p->count;
    for (size_t i = 0; i < k; i++)
        out[i] = p->ring[(p->head + i) % p->cfg.queue_cap];
    /* Taken out in the same critical section that stops the pool: no
     * worker can take one of these after this point. */
    p->count = 0;
    p->head = 0;
    TP_CHECK(pthread_cond_broadcast(&p->not_empty));
    TP_CHECK(pthread_cond_broadcast(&p->not_full));
    TP_CHECK(pthread_mutex_unlock(&p->lock));
    for (size_t i = 0; i < k; i++)
        if (out[i].fut)
            tp_future_complete(out[i].fut, TP_CANCELLED, 0, 0);
    join_all(p);
    if (k == 0) {
        free(out);
        out = NULL;
    }
    *unrun = out;
    *n = k;
    return 0;
#else
    /* TODO 3.1: EINVAL for NULLs; allocate room for queue_cap tasks
     *           BEFORE locking (ENOMEM: change nothing). Under the lock:
     *           EALREADY unless running; mark the pool stopped, copy the
     *           queued tasks out in order AND empty the ring in the same
     *           critical section (a worker must never run a task you hand
     *           back), wake every waiter. After the unlock: complete the
     *           futures of the tasks taken out as TP_CANCELLED, join every
     *           worker (tasks already running finish), hand the array back
     *           (NULL and *n = 0 if empty). */
    return ENOSYS;
#endif
}

int tp_destroy(tp_pool *p)
{
#ifdef SOLUTION
    if (!p)
        return EINVAL;
    TP_CHECK(pthread_mutex_lock(&p->lock));
    int joined = p->joined;
    TP_CHECK(pthread_mutex_unlock(&p->lock));
    if (!joined)
        return EBUSY;
    TP_CHECK(pthread_cond_destroy(&p->not_full));
    TP_CHECK(pthread_cond_destroy(&p->not_empty));
    TP_CHECK(pthread_mutex_destroy(&p->lock));
    free_pool(p);
    return 0;
#else
    /* TODO 2.6: EBUSY unless a shutdown has joined every worker; else
     *           destroy the condvars and the lock, free everything. */
    return ENOSYS;
#endif
}

unsigned tp_size_for(unsigned ncpu, long wait_ns, long compute_ns)
{
#ifdef SOLUTION
    if (ncpu == 0 || compute_ns <= 0 || wait_ns < 0)
        return 0;
    /* ncpu * (C + W) / C, rounded up, in 128 bits: no overflow. */
    unsigned __int128 num = (unsigned __int128)ncpu * ((unsigned __int128)compute_ns + (unsigned long)wait_ns);
    unsigned __int128 q = (num + (unsigned long)compute_ns - 1) / (unsigned long)compute_ns;
    return q > TP_MAX_THREADS ? TP_MAX_THREADS : (unsigned)q;
#else
    /* TODO 6.1: ncpu * (1 + wait_ns / compute_ns), exactly: compute
     *           ncpu * (compute_ns + wait_ns) / compute_ns in integers wide
     *           enough not to overflow (unsigned __int128), rounded UP,
     *           capped at TP_MAX_THREADS. 0 for ncpu 0, compute_ns <= 0,
     *           wait_ns < 0. */
    return 0;
#endif
}
