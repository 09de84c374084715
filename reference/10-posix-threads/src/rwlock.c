/*
 * rwlock.c - Task 3: a writer-preferring reader-writer lock.
 *
 * State lives in plain ints guarded by one mutex; the two condition
 * variables only say who waits for what. Writer preference: a reader
 * waits while a writer HOLDS or WAITS, so readers that keep overlapping
 * cannot keep a writer out forever.
 */
#include "ptl.h"

#include <errno.h>

int rwl_init(struct rwl *rw)
{
#ifdef SOLUTION
    if (!rw)
        return EINVAL;
    rw->readers = rw->writer = 0;
    rw->writers_waiting = rw->readers_waiting = 0;
    int rc = pthread_mutex_init(&rw->lock, NULL);
    if (rc)
        return rc;
    if ((rc = pthread_cond_init(&rw->readers_ok, NULL)) != 0) {
        PTL_CHECK(pthread_mutex_destroy(&rw->lock));
        return rc;
    }
    if ((rc = pthread_cond_init(&rw->writer_ok, NULL)) != 0) {
        PTL_CHECK(pthread_cond_destroy(&rw->readers_ok));
        PTL_CHECK(pthread_mutex_destroy(&rw->lock));
        return rc;
    }
    return 0;
#else
    /* TODO 3.1: zero the counters, initialise the mutex and both condvars
     *           (undo and return the error if an init fails). */
    return ENOSYS;
#endif
}

int rwl_destroy(struct rwl *rw)
{
#ifdef SOLUTION
    if (!rw)
        return EINVAL;
    PTL_CHECK(pthread_mutex_lock(&rw->lock));
    int busy = rw->readers || rw->writer || rw->writers_waiting || rw->readers_waiting;
    PTL_CHECK(pthread_mutex_unlock(&rw->lock));
    if (busy)
        return EBUSY;
    PTL_CHECK(pthread_cond_destroy(&rw->writer_ok));
    PTL_CHECK(pthread_cond_destroy(&rw->readers_ok));
    PTL_CHECK(pthread_mutex_destroy(&rw->lock));
    return 0;
#else
    /* TODO 3.8: EBUSY if anyone holds or waits; else destroy all three. */
    return ENOSYS;
#endif
}

#ifdef SOLUTION
/* Readers may enter: no writer inside, none queued (the preference). */
static int read_ok(const struct rwl *rw)
{
    return !rw->writer && rw->writers_waiting == 0;
}

static int write_ok(const struct rwl *rw)
{
    return !rw->writer && rw->readers == 0;
}
#endif

int rwl_rdlock(struct rwl *rw)
{
#ifdef SOLUTION
    if (!rw)
        return EINVAL;
    PTL_CHECK(pthread_mutex_lock(&rw->lock));
    rw->readers_waiting++;
    while (!read_ok(rw))
        PTL_CHECK(pthread_cond_wait(&rw->readers_ok, &rw->lock));
    rw->readers_waiting--;
    rw->readers++;
    PTL_ASSERT(!rw->writer && rw->readers > 0);
    PTL_CHECK(pthread_mutex_unlock(&rw->lock));
    return 0;
#else
    /* TODO 3.2: lock; while a writer holds OR waits (writers_waiting > 0),
     *           wait on readers_ok, counted in readers_waiting while you
     *           wait; then readers++; unlock. Counting in readers_waiting
     *           only when you really must wait is fine too. */
    return ENOSYS;
#endif
}

int rwl_wrlock(struct rwl *rw)
{
#ifdef SOLUTION
    if (!rw)
        return EINVAL;
    PTL_CHECK(pthread_mutex_lock(&rw->lock));
    if (rw->writer && pthread_equal(rw->owner, pthread_self())) {
        PTL_CHECK(pthread_mutex_unlock(&rw->lock));
        return EDEADLK;
    }
    rw->writers_waiting++;
    while (!write_ok(rw))
        PTL_CHECK(pthread_cond_wait(&rw->writer_ok, &rw->lock));
    rw->writers_waiting--;
    rw->writer = 1;
    rw->owner = pthread_self();
    PTL_CHECK(pthread_mutex_unlock(&rw->lock));
    return 0;
#else
    /* TODO 3.3: lock; EDEADLK if the caller is already the writer
     *           (pthread_equal(owner, pthread_self())). Count yourself in
     *           writers_waiting BEFORE waiting: from then on new readers
     *           stay out. Wait on writer_ok while a writer holds or
     *           readers > 0; then writers_waiting--, writer = 1,
     *           owner = pthread_self(); unlock. */
    return ENOSYS;
#endif
}

int rwl_tryrdlock(struct rwl *rw)
{
#ifdef SOLUTION
    if (!rw)
        return EINVAL;
    PTL_CHECK(pthread_mutex_lock(&rw->lock));
    int rc = read_ok(rw) ? 0 : EBUSY;
    if (rc == 0)
        rw->readers++;
    PTL_CHECK(pthread_mutex_unlock(&rw->lock));
    return rc;
#else
    /* TODO 3.4: rdlock's test without the wait: EBUSY where it would wait. */
    return ENOSYS;
#endif
}

int rwl_trywrlock(struct rwl *rw)
{
#ifdef SOLUTION
    if (!rw)
        return EINVAL;
    PTL_CHECK(pthread_mutex_lock(&rw->lock));
    int rc = write_ok(rw) ? 0 : EBUSY;
    if (rc == 0) {
        rw->writer = 1;
        rw->owner = pthread_self();
    }
    PTL_CHECK(pthread_mutex_unlock(&rw->lock));
    return rc;
#else
    /* TODO 3.5: wrlock's test without the wait: EBUSY where it would wait. */
    return ENOSYS;
#endif
}

int rwl_unlock(struct rwl *rw)
{
#ifdef SOLUTION
    if (!rw)
        return EINVAL;
    PTL_CHECK(pthread_mutex_lock(&rw->lock));
    int rc = 0;
    if (rw->writer) {
        if (!pthread_equal(rw->owner, pthread_self())) {
            rc = EPERM;
        } else {
            rw->writer = 0;
            /* Hand over: a queued writer first (the preference), else every
             * queued reader at once. */
            if (rw->writers_waiting > 0)
                PTL_CHECK(pthread_cond_signal(&rw->writer_ok));
            else if (rw->readers_waiting > 0)
                PTL_CHECK(pthread_cond_broadcast(&rw->readers_ok));
        }
    } else if (rw->readers > 0) {
        rw->readers--;
        if (rw->readers == 0 && rw->writers_waiting > 0)
            PTL_CHECK(pthread_cond_signal(&rw->writer_ok));
    } else {
        rc = EPERM;
    }
    PTL_CHECK(pthread_mutex_unlock(&rw->lock));
    return rc;
#else
    /* TODO 3.6: lock. If a writer holds it: EPERM unless it is the caller,
     *           else writer = 0 and wake: one waiting writer if any
     *           (signal writer_ok), else ALL waiting readers (broadcast
     *           readers_ok). If readers hold it: readers--, and the last
     *           reader out signals writer_ok when a writer waits. Held by
     *           nobody: EPERM.
     * TODO 3.7: check the hand-over with a waiting writer AND waiting
     *           readers: who may run next, and who wakes the readers once
     *           the last queued writer leaves? */
    return ENOSYS;
#endif
}
