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
    /* TODO 3.1: zero the counters, initialise the mutex and both condvars
     *           (undo and return the error if an init fails). */
    return ENOSYS;
}

int rwl_destroy(struct rwl *rw)
{
    /* TODO 3.8: EBUSY if anyone holds or waits; else destroy all three. */
    return ENOSYS;
}


int rwl_rdlock(struct rwl *rw)
{
    /* TODO 3.2: lock; while a writer holds OR waits (writers_waiting > 0),
     *           wait on readers_ok, counted in readers_waiting while you
     *           wait; then readers++; unlock. Counting in readers_waiting
     *           only when you really must wait is fine too. */
    return ENOSYS;
}

int rwl_wrlock(struct rwl *rw)
{
    /* TODO 3.3: lock; EDEADLK if the caller is already the writer
     *           (pthread_equal(owner, pthread_self())). Count yourself in
     *           writers_waiting BEFORE waiting: from then on new readers
     *           stay out. Wait on writer_ok while a writer holds or
     *           readers > 0; then writers_waiting--, writer = 1,
     *           owner = pthread_self(); unlock. */
    return ENOSYS;
}

int rwl_tryrdlock(struct rwl *rw)
{
    /* TODO 3.4: rdlock's test without the wait: EBUSY where it would wait. */
    return ENOSYS;
}

int rwl_trywrlock(struct rwl *rw)
{
    /* TODO 3.5: wrlock's test without the wait: EBUSY where it would wait. */
    return ENOSYS;
}

int rwl_unlock(struct rwl *rw)
{
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
}
