/*
 * ptl_internal.h - helpers shared by the src/ files (yours to extend).
 */
#ifndef PTL_INTERNAL_H
#define PTL_INTERNAL_H

#include <time.h>

/* The absolute CLOCK_MONOTONIC time timeout_ms from now, for
 * pthread_cond_timedwait on a condvar whose clock is CLOCK_MONOTONIC
 * (pthread_condattr_setclock). Compute it ONCE per call: recomputing it
 * after each wakeup would let spurious wakeups extend the wait forever. */
static inline struct timespec ptl_deadline_ms(long timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

#endif
