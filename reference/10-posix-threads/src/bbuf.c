/*
 * bbuf.c - Task 2: a bounded producer-consumer buffer.
 *
 * One mutex guards the ring; two condition variables say why a thread
 * waits: not_full (producers) and not_empty (consumers). Every wait sits in
 * a loop that re-tests its predicate, because a wakeup only means "look
 * again": it may be spurious, or another thread may have got there first.
 */
#include "ptl.h"
#include "ptl_internal.h"

#include <errno.h>
#include <stdlib.h>

int bbuf_init(struct bbuf *b, size_t cap)
{
#ifdef SOLUTION
    if (!b || cap == 0)
        return EINVAL;
    b->slots = calloc(cap, sizeof *b->slots);
    if (!b->slots)
        return ENOMEM;
    b->cap = cap;
    b->head = b->count = 0;
    b->closed = 0;
    b->nput_waiting = b->nget_waiting = 0;

    pthread_condattr_t ca;
    PTL_CHECK(pthread_condattr_init(&ca));
    PTL_CHECK(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    int rc = pthread_mutex_init(&b->lock, NULL);
    if (rc == 0) {
        rc = pthread_cond_init(&b->not_full, &ca);
        if (rc == 0) {
            rc = pthread_cond_init(&b->not_empty, &ca);
            if (rc != 0)
                PTL_CHECK(pthread_cond_destroy(&b->not_full));
        }
        if (rc != 0)
            PTL_CHECK(pthread_mutex_destroy(&b->lock));
    }
    PTL_CHECK(pthread_condattr_destroy(&ca));
    if (rc != 0) {
        free(b->slots);
        b->slots = NULL;
    }
    return rc;
#else
    /* TODO 2.1: check the arguments (EINVAL), allocate cap slots (ENOMEM),
     *           set every counter to 0, then initialise the mutex and both
     *           condition variables. Use a pthread_condattr_t with
     *           pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) so timed
     *           waits (TODO 2.5) use the clock ptl_deadline_ms() reads.
     *           pthread_*_init can fail (ENOMEM, EAGAIN): undo what you did
     *           and return that error. */
    return ENOSYS;
#endif
}

int bbuf_destroy(struct bbuf *b)
{
#ifdef SOLUTION
    if (!b)
        return EINVAL;
    PTL_CHECK(pthread_mutex_lock(&b->lock));
    int busy = b->nput_waiting > 0 || b->nget_waiting > 0;
    PTL_CHECK(pthread_mutex_unlock(&b->lock));
    if (busy)
        return EBUSY;
    PTL_CHECK(pthread_cond_destroy(&b->not_empty));
    PTL_CHECK(pthread_cond_destroy(&b->not_full));
    PTL_CHECK(pthread_mutex_destroy(&b->lock));
    free(b->slots);
    b->slots = NULL;
    return 0;
#else
    /* TODO 2.7: EBUSY if a thread waits (read the counters under the
     *           lock); else destroy both condvars and the mutex (PTL_CHECK)
     *           and free the slots. */
    return ENOSYS;
#endif
}

#ifdef SOLUTION
/* Wait on cv (holding b->lock) with an optional absolute deadline.
 * Returns 0 or ETIMEDOUT; any other error is a bug. */
static int wait_on(struct bbuf *b, pthread_cond_t *cv, const struct timespec *deadline)
{
    if (!deadline) {
        PTL_CHECK(pthread_cond_wait(cv, &b->lock));
        return 0;
    }
    int rc = pthread_cond_timedwait(cv, &b->lock, deadline);
    if (rc != ETIMEDOUT)
        PTL_CHECK(rc);
    return rc;
}

/* put with deadline NULL (wait forever) or an absolute CLOCK_MONOTONIC
 * time; timeout_ms == 0 is passed as poll = 1. */
static int put_until(struct bbuf *b, void *item, const struct timespec *deadline, int poll)
{
    PTL_CHECK(pthread_mutex_lock(&b->lock));
    int rc = 0;
    /* Predicate loop: re-test after every wakeup (spurious, or a rival
     * producer filled the slot first). */
    while (!b->closed && b->count == b->cap) {
        if (poll) {
            rc = ETIMEDOUT;
            break;
        }
        b->nput_waiting++;
        rc = wait_on(b, &b->not_full, deadline);
        b->nput_waiting--;
        /* A timeout races with a get: if a slot is free now, use it. */
        if (rc == ETIMEDOUT && !b->closed && b->count == b->cap)
            break;
        rc = 0;
    }
    if (rc == 0 && b->closed)
        rc = EPIPE;
    if (rc == 0) {
        PTL_ASSERT(b->count < b->cap);
        b->slots[(b->head + b->count) % b->cap] = item;
        b->count++;
        /* State changed under the lock, then the wakeup: a consumer that
         * tested count == 0 is already counted and inside its wait. */
        if (b->nget_waiting > 0)
            PTL_CHECK(pthread_cond_signal(&b->not_empty));
    }
    PTL_CHECK(pthread_mutex_unlock(&b->lock));
    return rc;
}

static int get_until(struct bbuf *b, void **item, const struct timespec *deadline, int poll)
{
    PTL_CHECK(pthread_mutex_lock(&b->lock));
    int rc = 0;
    while (!b->closed && b->count == 0) {
        if (poll) {
            rc = ETIMEDOUT;
            break;
        }
        b->nget_waiting++;
        rc = wait_on(b, &b->not_empty, deadline);
        b->nget_waiting--;
        if (rc == ETIMEDOUT && !b->closed && b->count == 0)
            break;
        rc = 0;
    }
    if (rc == 0 && b->count == 0) /* closed and drained */
        rc = EPIPE;
    if (rc == 0) {
        PTL_ASSERT(b->count > 0 && b->head < b->cap);
        *item = b->slots[b->head];
        b->head = (b->head + 1) % b->cap;
        b->count--;
        if (b->nput_waiting > 0)
            PTL_CHECK(pthread_cond_signal(&b->not_full));
    }
    PTL_CHECK(pthread_mutex_unlock(&b->lock));
    return rc;
}
#endif

int bbuf_put(struct bbuf *b, void *item)
{
#ifdef SOLUTION
    if (!b)
        return EINVAL;
    return put_until(b, item, NULL, 0);
#else
    /* TODO 2.2: lock; while the buffer is full and not closed, count
     *           yourself in nput_waiting, pthread_cond_wait on not_full,
     *           count yourself out. A `while`, never an `if`: wakeups can
     *           be spurious, and another producer may take the slot first.
     *           If closed: unlock, return EPIPE. Else store the item at
     *           (head + count) % cap, count++, signal not_empty (one item
     *           is work for one consumer), unlock. Check every pthread
     *           call with PTL_CHECK. */
    return ENOSYS;
#endif
}

int bbuf_get(struct bbuf *b, void **item)
{
#ifdef SOLUTION
    if (!b || !item)
        return EINVAL;
    return get_until(b, item, NULL, 0);
#else
    /* TODO 2.3: the mirror of put: wait on not_empty while count == 0 and
     *           not closed; closed and empty -> EPIPE (items left after a
     *           close are still delivered); else take slots[head], advance
     *           head, count--, signal not_full. */
    return ENOSYS;
#endif
}

int bbuf_close(struct bbuf *b)
{
#ifdef SOLUTION
    if (!b)
        return EINVAL;
    PTL_CHECK(pthread_mutex_lock(&b->lock));
    b->closed = 1;
    /* The predicate changed for EVERY waiter, producers and consumers:
     * broadcast both. A signal would wake one and strand the rest. */
    PTL_CHECK(pthread_cond_broadcast(&b->not_full));
    PTL_CHECK(pthread_cond_broadcast(&b->not_empty));
    PTL_CHECK(pthread_mutex_unlock(&b->lock));
    return 0;
#else
    /* TODO 2.4: set closed under the lock and wake EVERY waiter on both
     *           condition variables. Think: how many threads does
     *           pthread_cond_signal wake, and how many must see `closed`? */
    return ENOSYS;
#endif
}

int bbuf_put_timed(struct bbuf *b, void *item, long timeout_ms)
{
#ifdef SOLUTION
    if (!b || timeout_ms < 0)
        return EINVAL;
    struct timespec d = ptl_deadline_ms(timeout_ms);
    return put_until(b, item, &d, timeout_ms == 0);
#else
    /* TODO 2.5: as bbuf_put, but compute the deadline once with
     *           ptl_deadline_ms() and wait with pthread_cond_timedwait.
     *           On ETIMEDOUT re-test the predicate once more (a get may
     *           have freed a slot just as time ran out): still full ->
     *           return ETIMEDOUT without storing. timeout_ms == 0: never
     *           wait. timeout_ms < 0: EINVAL. Tip: write one static helper
     *           put_until(b, item, deadline or NULL) used by both. */
    return ENOSYS;
#endif
}

int bbuf_get_timed(struct bbuf *b, void **item, long timeout_ms)
{
#ifdef SOLUTION
    if (!b || !item || timeout_ms < 0)
        return EINVAL;
    struct timespec d = ptl_deadline_ms(timeout_ms);
    return get_until(b, item, &d, timeout_ms == 0);
#else
    /* TODO 2.6: the mirror of TODO 2.5 for get. */
    return ENOSYS;
#endif
}
