/*
 * sp_test.h - helpers shared by lab 14's tests (not part of the API).
 *
 * Worker threads never call tl_check: they record the first failure in the
 * failbox `fb` and stop; the test thread reports it after the join.
 * Nothing sleeps to synchronise: the tests wait on what they can observe
 * (a thread counted asleep in the futex wrapper, a ticket taken, a node
 * at the tail of the queue) under deadlines that only turn a hang into a
 * message.
 */
#ifndef SP_TEST_H
#define SP_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "sp.h"
#include "sp_futex.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tl_failbox fb = TL_FAILBOX_INIT;

/* The time a stuck state gets before it counts as a hang (x TL_SLOW). */
#define HANG_SECS 10.0

/* Wait until cond holds; fail with the message after HANG_SECS * TL_SLOW,
 * or at once if a worker recorded a failure. */
#define WAIT_UNTIL(cond, ...) TL_FB_WAIT_UNTIL(&fb, cond, HANG_SECS, __VA_ARGS__)

/* Wait until the counter `now` reaches target while it keeps moving: only
 * a stall of HANG_SECS (x TL_SLOW) fails. */
#define WAIT_PROGRESS(now, target, ...)                                       \
    TL_FB_WAIT_PROGRESS(&fb, now, target, HANG_SECS, __VA_ARGS__)

/* An init that must succeed; the skeleton's ENOSYS names the task. */
#define SP_INIT(call, task)                                                   \
    do {                                                                      \
        int si_rc_ = (call);                                                  \
        tl_check(si_rc_ == 0, "%s returned %d (%s), expected 0. %s", #call,   \
                 si_rc_, tl_ename(si_rc_),                                    \
                 si_rc_ == ENOSYS ? "ENOSYS is the skeleton's stub: do the "  \
                                    "TODOs of " task " in the handout first." \
                                  : "Hint: " task " in the handout.");        \
    } while (0)

/* ---- threads the test can wait for with a deadline: struct tl_thread
 * (tl_util.h) ---------------------------------------------------------- */

/* Join n threads; fail naming `what` if one is still running after the
 * deadline (progress-based: the deadline restarts while threads finish). */
static inline void st_join_all(struct tl_thread *t, int n, const char *what)
{
    for (int i = 0; i < n; i++) {
        if (!TL_WAIT_UNTIL(atomic_load(&t[i].done), 3 * HANG_SECS)) {
            tl_fb_report(&fb);
            tl_fail("thread %d of %d was still running after %.0f s: %s", i, n,
                    3 * HANG_SECS * (double)tl_slow(), what);
        }
        pthread_join(t[i].tid, NULL);
    }
    tl_fb_report(&fb);
}

/* Threads asleep in sp_futex_wait right now (all words). */
static inline long sleeping(void)
{
    return atomic_load(&sp_futex_stats.sleeping);
}

/* A few microseconds of work inside a critical section, to widen it. */
static inline void busy_work(unsigned n)
{
    for (volatile unsigned i = 0; i < n; i++)
        ;
}

/* ---- mutual exclusion under stress (shared by every lock kind) ------- */
struct excl {
    void (*lock)(void *l, void *node);
    void (*unlock)(void *l, void *node);
    void *l;
    long iters;
    long a, b;        /* guarded by the lock under test: a == b outside it */
    atomic_int inside; /* threads inside the critical section; relaxed, so
                          that it orders nothing and TSan judges the lock alone */
    atomic_long done_ops;
};

__attribute__((unused)) static void *excl_worker(void *arg)
{
    struct excl *e = arg;
    struct sp_mcs_node node;
    for (long i = 0; i < e->iters && !tl_fb_failed(&fb); i++) {
        e->lock(e->l, &node);
        int in = atomic_fetch_add_explicit(&e->inside, 1, memory_order_relaxed);
        if (in != 0 || e->a != e->b)
            tl_fb_fail(&fb, "mutual exclusion broken: a thread entered the critical section "
                       "while %d other(s) were inside (a=%ld b=%ld, equal outside it)", in,
                       e->a, e->b);
        e->a++;
        if ((i & 7) == 0)
            busy_work(200);
        e->b++;
        atomic_fetch_sub_explicit(&e->inside, 1, memory_order_relaxed);
        e->unlock(e->l, &node);
        atomic_fetch_add(&e->done_ops, 1);
    }
    return NULL;
}

__attribute__((unused)) static void run_exclusion(struct excl *e, int nthreads, long iters, const char *task)
{
    struct tl_thread t[8];
    e->iters = iters;
    for (int i = 0; i < nthreads; i++)
        tl_thread_start(&t[i], excl_worker, e);
    WAIT_PROGRESS(atomic_load(&e->done_ops), nthreads * iters,
                  "%d threads each locking %ld times: progress stopped at %ld critical "
                  "sections. A thread sleeps or spins that nobody will ever let in. Hint: %s.",
                  nthreads, iters, (long)atomic_load(&e->done_ops), task);
    st_join_all(t, nthreads, "stuck in the lock");
    tl_check(e->a == nthreads * iters && e->b == e->a, "the counter is %ld (and %ld), "
             "expected %ld: increments were lost inside the critical section. Hint: %s.",
             e->a, e->b, nthreads * iters, task);
}

#endif
