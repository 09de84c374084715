/*
 * event.c - Task 5: a one-shot event whose wakeup is never lost.
 *
 * A waiter reads `set` under the lock, finds 0, and goes to sleep on the
 * condition variable; pthread_cond_wait releases the lock only once the
 * waiter is queued. A setter that changes `set` and signals without that
 * lock can do both in the gap between the waiter's read and its sleep.
 */
#include "cb.h"

void event_init(struct event *e)
{
    CB_ASSERT(pthread_mutex_init(&e->lock, NULL) == 0);
    CB_ASSERT(pthread_cond_init(&e->cv, NULL) == 0);
    e->set = 0;
}

void event_destroy(struct event *e)
{
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->lock);
}

void event_set(struct event *e)
{
    /* TODO 5.1: a thread in event_wait sometimes sleeps for ever although
     * event_set returned (the test makes it happen every time), and
     * ThreadSanitizer reports a race on e->set (handout Task 5). */
    e->set = 1;
    CB_ASSERT(pthread_cond_broadcast(&e->cv) == 0);
}

void event_wait(struct event *e)
{
    CB_ASSERT(pthread_mutex_lock(&e->lock) == 0);
    while (!e->set)
        CB_ASSERT(pthread_cond_wait(&e->cv, &e->lock) == 0);
    CB_ASSERT(pthread_mutex_unlock(&e->lock) == 0);
}
