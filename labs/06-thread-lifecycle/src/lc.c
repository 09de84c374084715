/*
 * lc.c - Tasks 1 to 6: a lifecycle layer over pthreads.
 *
 * Every record field, every lc_cond queue, lives under ONE lock, lc_lock.
 * Every thread parks on its OWN condition variable (wake), and whoever
 * moves it wakes exactly that one; it re-tests its predicate after each
 * wakeup (see src/lc_internal.h). Cancellation is a flag in the record
 * that the target reads at its cancellation points: no signal, no
 * pthread_cancel.
 */
#include "lc.h"
#include "lc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TODO 1.0: the layer's state: a static pthread_mutex_t (the one lock,
 *           see src/lc_internal.h), a static __thread pointer to the
 *           caller's record, and a pthread_condattr_t on CLOCK_MONOTONIC
 *           for the records' condition variables (set up once before
 *           main: __attribute__((constructor))). */

/* ------------------------------------------------------------------ */
/* Task 1: panics, states and the log                                  */
/* ------------------------------------------------------------------ */

void lc_panic_at(const char *file, int line, const char *what, int err)
{
    /* TODO 1.1: print ONE line to stderr naming file:line, `what`, and for
     *           err != 0 its meaning (strerrordesc_np is thread-safe); for
     *           err == 0 say the invariant is false. Then flush and abort(). */
    abort();
}


enum lc_state lc_state(lc_thread *t)
{
    /* TODO 1.2: read t->state under the layer's lock (a state is written
     *           by several threads: creator, the thread, wakers). */
    return (enum lc_state)-1;
}

int lc_state_log(lc_thread *t, enum lc_state *out, int n)
{
    /* TODO 1.3: under the lock, copy the first min(n, LC_LOG_MAX, log_len)
     *           entries and return log_len (-1 for t NULL). Then write the
     *           one function that changes a state (TODO 1.4). */
    /* TODO 1.4: static set_state(t, s), lock held: stop with LC_ASSERT if
     *           the move is not one of the five the lifecycle allows
     *           (handout, "States"), set t->state, append s to the log
     *           (count it even when the log is full). */
    return -1;
}

/* ------------------------------------------------------------------ */
/* Task 2: create, exit, self                                          */
/* ------------------------------------------------------------------ */


int lc_create(lc_thread **out, void *(*fn)(void *), void *arg, int flags)
{
    /* TODO 2.1: check the arguments; calloc the record (ENOMEM); state
     *           CREATED with log = {CREATED}; fn, arg, detached.
     *           Initialise its two condition variables, wake and ended,
     *           on CLOCK_MONOTONIC (pthread_condattr_setclock).
     * TODO 2.2: a pthread_attr_t, PTHREAD_CREATE_DETACHED for LC_DETACHED.
     * TODO 2.3: take the layer's lock, set_state RUNNABLE, pthread_create
     *           a start routine of yours (TODO 2.4) with the record as its
     *           argument, store tid and *out, THEN unlock. Why hold the lock
     *           across pthread_create? (handout, "Who frees what").
     *           pthread_create failed: free the record (destroy its
     *           condition variables first), return its error. */
    return ENOSYS;
}

void lc_exit(void *ret)
{
    /* TODO 2.5: (the thread itself) set cancel_disabled under the lock;
     *           pop and run every cleanup handler left, last pushed first;
     *           under the lock: ret, TERMINATED, make the joiner (if an lc
     *           thread waits in lc_join) RUNNABLE, signal `ended` (for a
     *           joiner that is not an lc thread); then
     *           free the record if detached (read that flag UNDER the
     *           lock), and pthread_exit. */
    abort();
}

lc_thread *lc_self(void)
{
    /* TODO 2.4: a __thread pointer to the caller's record, set first thing
     *           in your start routine, which then logs RUNNING (under the
     *           lock) and ends with lc_exit(fn(arg)). */
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Task 3: join and detach                                             */
/* ------------------------------------------------------------------ */


int lc_join(lc_thread *t, void **ret)
{
    /* TODO 3.1: EINVAL/EDEADLK checks; under the lock: EINVAL if detached
     *           or someone is joining; mark joining. If the caller is an lc
     *           thread and t has not TERMINATED, it becomes BLOCKED (note
     *           it in t->joiner and its own in_join). Wait WHILE t is not
     *           TERMINATED: an lc joiner on its own wake, any other thread
     *           on t->ended. Then the lc joiner is RUNNING again (t's
     *           lc_exit made it RUNNABLE); unlock; pthread_join the
     *           pthread, hand out the exit value, free the record. Tip: one static helper with an optional
     *           deadline serves TODO 3.2 too. */
    return ENOSYS;
}

int lc_timedjoin(lc_thread *t, void **ret, long timeout_ms)
{
    /* TODO 3.2: as lc_join with pthread_cond_timedwait and ONE deadline
     *           (lc_deadline_ms, before the loop). On ETIMEDOUT look once
     *           more: TERMINATED after all -> join; else clear joining and
     *           return ETIMEDOUT, the thread untouched (an lc joiner makes
     *           itself RUNNABLE: its time is up). */
    return ENOSYS;
}

int lc_detach(lc_thread *t)
{
    /* TODO 3.3: under the lock: EINVAL if already detached or joined;
     *           set detached, pthread_detach the pthread; if the thread has
     *           already TERMINATED, free the record yourself (after the
     *           unlock): its lc_exit saw detached == 0 and left it. */
    return ENOSYS;
}

/* ------------------------------------------------------------------ */
/* Task 4: sleep and condition wait                                    */
/* ------------------------------------------------------------------ */

int lc_sleep(long ms)
{
    /* TODO 4.1: EPERM for a thread that is not an lc thread, EINVAL for
     *           ms < 0. One deadline. Under the lock: a pending, enabled
     *           cancel acts at once (cancellation point). Else BLOCKED;
     *           wait WHILE still BLOCKED; when the deadline passes, make
     *           yourself RUNNABLE; then RUNNING. Act on a
     *           cancel after the unlock: lc_exit(LC_CANCELED). */
    return ENOSYS;
}

int lc_cond_wait(struct lc_cond *c, pthread_mutex_t *m)
{
    /* TODO 4.2: EPERM/EINVAL. Under the layer's lock: act on a pending,
     *           enabled cancel (m stays held: the handlers unlock it).
     *           Append yourself to c's FIFO queue (waiting_on, next),
     *           BLOCKED, and only then unlock m. Wait WHILE BLOCKED. Woken
     *           by a signal (woken) or by lc_cancel (not woken). Unlock
     *           the layer's lock, lock m, then (lock again) RUNNING. Act on
     *           the cancel last, with m held. */
    return ENOSYS;
}


int lc_cond_signal(struct lc_cond *c)
{
    /* TODO 4.3: under the lock, take the oldest waiter off the queue, mark
     *           it woken and make it RUNNABLE (which signals its own wake
     *           condition variable, so it re-tests). */
    return ENOSYS;
}

int lc_cond_broadcast(struct lc_cond *c)
{
    /* TODO 4.4: the same for every waiter, oldest first. */
    return ENOSYS;
}

/* ------------------------------------------------------------------ */
/* Task 5: cancellation                                                */
/* ------------------------------------------------------------------ */

int lc_cancel(lc_thread *t)
{
    /* TODO 5.1: under the lock: mark the request; if t is BLOCKED in
     *           lc_sleep or lc_cond_wait (not in lc_join, which is no
     *           cancellation point here) and its cancel state is ENABLE,
     *           take it off its lc_cond queue (if in one) and make it
     *           RUNNABLE. Any other BLOCKED thread: only signal its wake
     *           (it looks, finds nothing to do, and waits again). Nothing
     *           else: t acts on the request itself, at a cancellation
     *           point. */
    return ENOSYS;
}

int lc_testcancel(void)
{
    /* TODO 5.2: EPERM; a pending request with cancel state ENABLE:
     *           lc_exit(LC_CANCELED); else return 0. */
    return ENOSYS;
}

int lc_setcancelstate(int state, int *old)
{
    /* TODO 5.3: EPERM, EINVAL; under the lock, report the old state and
     *           set the new one. Do NOT act on a pending request here. */
    return ENOSYS;
}

/* ------------------------------------------------------------------ */
/* Task 6: cleanup handlers                                            */
/* ------------------------------------------------------------------ */

int lc_cleanup_push(void (*fn)(void *), void *arg)
{
    /* TODO 6.1: EPERM, EINVAL, ENOSPC; push onto the caller's own stack
     *           (only the thread itself touches it: no lock). */
    return ENOSYS;
}

int lc_cleanup_pop(int execute)
{
    /* TODO 6.2: EPERM, ENOENT; pop the top handler, run it if execute.
     *           TODO 2.5 runs the rest at exit. */
    return ENOSYS;
}
