/*
 * barrier.c - Task 4: a reusable barrier with a generation count.
 *
 * "Wait until arrived == count" breaks on reuse: the last arrival resets
 * arrived to 0 for the next phase, and a thread that leaves fast and
 * arrives again bumps it before the sleepers have looked. So a sleeper
 * waits for its phase's generation number to change instead: that value
 * changes once per phase and never goes back.
 */
#include "ptl.h"

#include <errno.h>

int barrier_init(struct barrier *b, unsigned count)
{
#ifdef SOLUTION
    if (!b || count == 0)
        return EINVAL;
    b->count = count;
    b->arrived = 0;
    b->generation = 0;
    int rc = pthread_mutex_init(&b->lock, NULL);
    if (rc)
        return rc;
    if ((rc = pthread_cond_init(&b->phase_done, NULL)) != 0)
        PTL_CHECK(pthread_mutex_destroy(&b->lock));
    return rc;
#else
    /* TODO 4.1: EINVAL for a NULL barrier or count 0; set the fields;
     *           initialise the mutex and the condvar. */
    return ENOSYS;
#endif
}

int barrier_destroy(struct barrier *b)
{
#ifdef SOLUTION
    if (!b)
        return EINVAL;
    PTL_CHECK(pthread_mutex_lock(&b->lock));
    int busy = b->arrived > 0;
    PTL_CHECK(pthread_mutex_unlock(&b->lock));
    if (busy)
        return EBUSY;
    PTL_CHECK(pthread_cond_destroy(&b->phase_done));
    PTL_CHECK(pthread_mutex_destroy(&b->lock));
    return 0;
#else
    /* TODO 4.3: EBUSY while a phase is partly filled (arrived > 0, read
     *           under the lock); else destroy the condvar and mutex. */
    return ENOSYS;
#endif
}

int barrier_wait(struct barrier *b)
{
#ifdef SOLUTION
    if (!b)
        return EINVAL;
    PTL_CHECK(pthread_mutex_lock(&b->lock));
    PTL_ASSERT(b->arrived < b->count);
    unsigned long gen = b->generation;
    int rc = 0;
    if (++b->arrived == b->count) {
        /* Last arrival: open the next phase, then release this one. */
        b->arrived = 0;
        b->generation++;
        PTL_CHECK(pthread_cond_broadcast(&b->phase_done));
        rc = BARRIER_SERIAL_THREAD;
    } else {
        /* Loop on the generation, not on arrived: survives spurious wakeups
         * and threads that re-enter for the next phase before we wake. */
        while (b->generation == gen)
            PTL_CHECK(pthread_cond_wait(&b->phase_done, &b->lock));
    }
    PTL_CHECK(pthread_mutex_unlock(&b->lock));
    return rc;
#else
    /* TODO 4.2: lock; remember the generation you arrived in; arrived++.
     *   - The last arrival (arrived == count): reset arrived to 0, bump the
     *     generation, broadcast phase_done, return BARRIER_SERIAL_THREAD.
     *   - Everyone else: wait on phase_done WHILE the generation is still
     *     the one you remembered (not while arrived < count: why does that
     *     hang when a fast thread re-enters the next phase?), return 0.
     *   Unlock on both paths. */
    return ENOSYS;
#endif
}
