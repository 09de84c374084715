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
#ifdef SOLUTION
    if (!f)
        return EINVAL;
    pthread_condattr_t ca;
    TP_CHECK(pthread_condattr_init(&ca));
    TP_CHECK(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    int rc = pthread_mutex_init(&f->m, NULL);
    if (rc == 0) {
        rc = pthread_cond_init(&f->cv, &ca);
        if (rc != 0)
            TP_CHECK(pthread_mutex_destroy(&f->m));
    }
    TP_CHECK(pthread_condattr_destroy(&ca));
    f->state = TP_PENDING;
    f->err = 0;
    f->value = 0;
    return rc;
#else
    /* TODO 1.1: EINVAL for NULL. Initialise m, and cv with a condattr
     *           whose clock is CLOCK_MONOTONIC (pthread_condattr_setclock),
     *           so that timed gets (TODO 1.4) measure on the clock
     *           tp_deadline_ms() reads. state = TP_PENDING, err = value = 0.
     *           An init that fails: undo, return its error. */
    return ENOSYS;
#endif
}

void tp_future_complete(struct tp_future *f, enum tp_fstate state, int err, long value)
{
#ifdef SOLUTION
    TP_CHECK(pthread_mutex_lock(&f->m));
    TP_ASSERT(f->state == TP_PENDING && state != TP_PENDING);
    f->err = err;
    f->value = value;
    f->state = state;
    /* Every waiter wants this news: broadcast, after the change. */
    TP_CHECK(pthread_cond_broadcast(&f->cv));
    TP_CHECK(pthread_mutex_unlock(&f->m));
#else
    /* TODO 1.2: under m: TP_ASSERT the future is still PENDING, store
     *           err, value and then state; wake EVERY waiter (how many
     *           threads may be in tp_future_get?). Do not touch *f after
     *           the unlock: a waiter may destroy it as soon as it sees the
     *           new state. */
    (void)f, (void)state, (void)err, (void)value;
#endif
}

#ifdef SOLUTION
/* The outcome of a finished future, m held. */
static int outcome(struct tp_future *f, long *value)
{
    if (f->state == TP_CANCELLED)
        return ECANCELED;
    if (value)
        *value = f->value;
    return f->err;
}
#endif

int tp_future_get(struct tp_future *f, long *value)
{
#ifdef SOLUTION
    if (!f)
        return EINVAL;
    TP_CHECK(pthread_mutex_lock(&f->m));
    while (f->state == TP_PENDING)
        TP_CHECK(pthread_cond_wait(&f->cv, &f->m));
    int rc = outcome(f, value);
    TP_CHECK(pthread_mutex_unlock(&f->m));
    return rc;
#else
    /* TODO 1.3: lock; WHILE the state is PENDING wait on cv (a `while`:
     *           wakeups may be spurious); then report: CANCELLED ->
     *           ECANCELED; DONE -> store value (if value != NULL) and
     *           return err (0 for a task that succeeded). */
    return ENOSYS;
#endif
}

int tp_future_timedget(struct tp_future *f, long *value, const struct timespec *deadline)
{
#ifdef SOLUTION
    if (!f || !deadline || deadline->tv_nsec < 0 || deadline->tv_nsec >= 1000000000L)
        return EINVAL;
    TP_CHECK(pthread_mutex_lock(&f->m));
    int rc = 0;
    while (f->state == TP_PENDING) {
        rc = pthread_cond_timedwait(&f->cv, &f->m, deadline);
        if (rc == ETIMEDOUT)
            break;
        TP_CHECK(rc);
    }
    /* A completion may have raced with the timeout: the state decides. */
    rc = f->state == TP_PENDING ? ETIMEDOUT : outcome(f, value);
    TP_CHECK(pthread_mutex_unlock(&f->m));
    return rc;
#else
    /* TODO 1.4: as TODO 1.3 with pthread_cond_timedwait(&f->cv, &f->m,
     *           deadline) in the loop. On ETIMEDOUT look at the state once
     *           more (the task may have finished just as time ran out):
     *           still PENDING -> ETIMEDOUT. Check the arguments first
     *           (EINVAL: NULL, tv_nsec outside [0, 1e9)). */
    return ENOSYS;
#endif
}

int tp_future_get_for(struct tp_future *f, long *value, long timeout_ms)
{
#ifdef SOLUTION
    if (!f || timeout_ms < 0)
        return EINVAL;
    struct timespec d = tp_deadline_ms(timeout_ms);
    return tp_future_timedget(f, value, &d);
#else
    /* TODO 1.5: EINVAL for timeout_ms < 0; compute the deadline ONCE with
     *           tp_deadline_ms() and call tp_future_timedget. */
    return ENOSYS;
#endif
}

int tp_future_destroy(struct tp_future *f)
{
#ifdef SOLUTION
    if (!f)
        return EINVAL;
    TP_CHECK(pthread_mutex_lock(&f->m));
    int pending = f->state == TP_PENDING;
    TP_CHECK(pthread_mutex_unlock(&f->m));
    if (pending)
        return EBUSY;
    TP_CHECK(pthread_cond_destroy(&f->cv));
    TP_CHECK(pthread_mutex_destroy(&f->m));
    return 0;
#else
    /* TODO 1.6: EBUSY while PENDING (read it under m); else destroy cv
     *           and m. */
    return ENOSYS;
#endif
}
