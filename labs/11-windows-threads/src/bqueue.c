/*
 * bqueue.c - Task 2: a bounded queue on an SRWLOCK and two
 * CONDITION_VARIABLEs (lab 10's bbuf, the Win32 way).
 */
#include "wt.h"

#include <errno.h>
#include <stdlib.h>


int wt_bq_init(struct wt_bqueue *q, size_t cap)
{
    /* TODO 2.1: InitializeSRWLock, InitializeConditionVariable (both),
     *           calloc the slots (ENOMEM when that fails), zero the counters.
     *           No destroy call exists for SRWLOCK or CONDITION_VARIABLE:
     *           they own no kernel object, so nothing is leaked by forgetting
     *           them; only the slots are yours to free. */
    (void)q;
    (void)cap;
    return ENOSYS;
}

int wt_bq_destroy(struct wt_bqueue *q)
{
    (void)q;
    return ENOSYS;
}

int wt_bq_put(struct wt_bqueue *q, void *item)
{
    /* TODO 2.2: under the lock (exclusive): WHILE the queue is full and
     *           open, count yourself in nput_waiting and sleep with
     *           SleepConditionVariableSRW(&q->not_full, &q->lock, INFINITE, 0).
     *           Closed: EPIPE. Else store at (head + count) % cap, count++,
     *           and wake one getter. */
    (void)q; (void)item;
    return ENOSYS;
}

int wt_bq_get(struct wt_bqueue *q, void **item)
{
    /* TODO 2.3: the mirror of put.
     *   - WHILE empty and open: sleep on not_empty, nget_waiting counted
     *     around the sleep.
     *   - Empty and closed: EPIPE (a closed queue still hands out items).
     *   - Else take slots[head], advance head modulo cap, count--, and
     *     wake one putter: a slot is free now. */
    (void)item;
    (void)q;
    return ENOSYS;
}

int wt_bq_close(struct wt_bqueue *q)
{
    /* TODO 2.4: closed = 1 under the lock, and wake EVERY sleeper of both
     *           condition variables: one wake each would strand the rest. */
    (void)q;
    return ENOSYS;
}
