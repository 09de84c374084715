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
    /* TODO 4.1: EINVAL for a NULL barrier or count 0; set the fields;
     *           initialise the mutex and the condvar. */
    return ENOSYS;
}

int barrier_destroy(struct barrier *b)
{
    /* TODO 4.3: EBUSY while a phase is partly filled (arrived > 0, read
     *           under the lock); else destroy the condvar and mutex. */
    return ENOSYS;
}

int barrier_wait(struct barrier *b)
{
    /* TODO 4.2: lock; remember the generation you arrived in; arrived++.
     *   - The last arrival (arrived == count): reset arrived to 0, bump the
     *     generation, broadcast phase_done, return BARRIER_SERIAL_THREAD.
     *   - Everyone else: wait on phase_done WHILE the generation is still
     *     the one you remembered (not while arrived < count: why does that
     *     hang when a fast thread re-enters the next phase?), return 0.
     *   Unlock on both paths. */
    return ENOSYS;
}
