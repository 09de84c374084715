/*
 * lc_internal.h - the record of an lc thread (yours to extend).
 *
 * One lock for the whole layer, lc_lock in src/lc.c, guards every field
 * marked "G" below, in every record, and the queues of every struct
 * lc_cond. Each thread parks on a condition variable of its own, `wake`
 * (always with lc_lock), and whoever moves it out of BLOCKED signals that
 * one; a joiner that is not an lc thread waits on the target's `ended`.
 * So each condition variable has at most one waiter. Every wait is
 *     while (!my predicate) pthread_cond_wait(my cv, &lc_lock);
 * because a wakeup is only a hint: POSIX allows spurious ones, and
 * lc_cancel wakes a BLOCKED thread that cannot act (disabled, or joining)
 * so that it looks, finds nothing to do, and waits again.
 *
 * Lock order: a caller's mutex (lc_cond_wait's m) before lc_lock, never
 * the other way round; lc_lock is never held while a handler or fn runs.
 */
#ifndef LC_INTERNAL_H
#define LC_INTERNAL_H

#include "lc.h"

#include <time.h>

struct lc_cleanup {
    void (*fn)(void *);
    void *arg;
};

struct lc_thread {
    pthread_t tid;             /* G; written by lc_create under lc_lock
                                  before the thread can take lc_lock */
    void *(*fn)(void *);       /* set before pthread_create, then read- */
    void *arg;                 /* only (by the thread, in its start) */

    enum lc_state state;       /* G; changes only through a function that
                                  checks the move is legal and logs it */
    int log_len;               /* G; states entered so far, >= 1 */
    enum lc_state log[LC_LOG_MAX]; /* G; log[i] for i < min(log_len, MAX) */

    int detached;              /* G; 0 -> 1 once. 1: the thread frees the
                                  record as it terminates (or lc_detach
                                  does, if it already had) */
    int joining;               /* G; 1 while a joiner waits: no second
                                  joiner, no detach */
    void *ret;                 /* G; the exit value, set with TERMINATED */
    struct lc_thread *joiner;  /* G; the lc thread BLOCKED in lc_join on
                                  this one, or NULL: made RUNNABLE by this
                                  thread's lc_exit */
    int in_join;               /* G; 1 while this thread is BLOCKED in
                                  lc_join (lc_cancel does not end that) */

    int cancel_pending;        /* G; 0 -> 1 by lc_cancel, never back */
    int cancel_disabled;       /* G; written by the thread itself (and 1
                                  for good once it starts exiting), read by
                                  lc_cancel */
    int woken;                 /* G; 1: lc_cond_signal/broadcast took the
                                  thread off a queue (not a cancellation) */
    struct lc_cond *waiting_on; /* G; the lc_cond whose queue holds the
                                  thread, NULL when in no queue */
    struct lc_thread *next;    /* G; next in waiting_on's queue */

    pthread_cond_t wake;       /* only this thread waits on it (with
                                  lc_lock): in lc_sleep, lc_cond_wait, and
                                  lc_join as an lc joiner; signalled by
                                  whoever makes it RUNNABLE (and lc_cancel) */
    pthread_cond_t ended;      /* a joiner that is not an lc thread waits
                                  on it; signalled by lc_exit */

    int ncleanup;              /* the thread itself only, no lock: */
    struct lc_cleanup cleanup[LC_CLEANUP_MAX]; /* cleanup[0..ncleanup) */
};

/* The absolute CLOCK_MONOTONIC time ms milliseconds from now, for a
 * pthread_cond_timedwait on a condvar whose clock is CLOCK_MONOTONIC.
 * Compute it ONCE per call, before the wait loop. */
static inline struct timespec lc_deadline_ms(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

#endif
