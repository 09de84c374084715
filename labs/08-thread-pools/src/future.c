/*
 * future.c - Task 1: a one-shot result cell.
 *
 * A future is written once (by whoever runs or cancels the task) and read
 * any number of times. One mutex guards it; one condition variable, on
 * CLOCK_MONOTONIC, wakes the waiters. The writer changes the state under
 * the mutex and then broadcasts: every waiter wants the same news.
 */
#include "tp.h"
#include "tp_internal.h"

#include <errno.h>

int tp_future_init(struct tp_future *f)
{
    /* TODO 1.1: EINVAL for NULL. Initialise m, and cv with a condattr
     *           whose clock is CLOCK_MONOTONIC (pthread_condattr_setclock),
     *           so that timed gets (TODO 1.4) measure on the clock
     *           tp_deadline_ms() reads. state = TP_PENDING, err = value = 0.
     *           An init that fails: undo, return its error. */
    return ENOSYS;
}

void tp_future_complete(struct tp_future *f, enum tp_fstate state, int err, long value)
{
    /* TODO 1.2: under m: TP_ASSERT the future is still PENDING, store
     *           err, value and then state; wake EVERY waiter (how many
     *           threads may be in tp_future_get?). Do not touch *f after
     *           the unlock: a waiter may destroy it as soon as it sees the
     *           new state. */
    (void)f, (void)state, (void)err, (void)value;
}


int tp_future_get(struct tp_future *f, long *value)
{
    /* TODO 1.3: lock; WHILE the state is PENDING wait on cv (a `while`:
     *           wakeups may be spurious); then report: CANCELLED ->
     *           ECANCELED; DONE -> store value (if value != NULL) and
     *           return err (0 for a task that succeeded). */
    return ENOSYS;
}

int tp_future_timedget(struct tp_future *f, long *value, const struct timespec *deadline)
{
    /* TODO 1.4: as TODO 1.3 with pthread_cond_timedwait(&f->cv, &f->m,
     *           deadline) in the loop. On ETIMEDOUT look at the state once
     *           more (the task may have finished just as time ran out):
     *           still PENDING -> ETIMEDOUT. Check the arguments first
     *           (EINVAL: NULL, tv_nsec outside [0, 1e9)). */
    return ENOSYS;
}

int tp_future_get_for(struct tp_future *f, long *value, long timeout_ms)
{
    /* TODO 1.5: EINVAL for timeout_ms < 0; compute the deadline ONCE with
     *           tp_deadline_ms() and call tp_future_timedget. */
    return ENOSYS;
}

int tp_future_destroy(struct tp_future *f)
{
    /* TODO 1.6: EBUSY while PENDING (read it under m); else destroy cv
     *           and m. */
    return ENOSYS;
}
