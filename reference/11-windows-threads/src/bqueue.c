/*
 * bqueue.c - Task 2: a bounded queue on an SRWLOCK and two
 * CONDITION_VARIABLEs (lab 10's bbuf, the Win32 way).
 */
#include "wt.h"

#include <errno.h>
#include <stdlib.h>

#ifdef SOLUTION
/* Sleep on cv with q->lock held, counted in *waiting while asleep. The
 * caller re-tests its predicate after: a wake is a hint. */
static void sleep_counted(struct wt_bqueue *q, CONDITION_VARIABLE *cv, int *waiting)
{
    ++*waiting;
    WT_CHECK(SleepConditionVariableSRW(cv, &q->lock, INFINITE, 0));
    --*waiting;
}
#endif

int wt_bq_init(struct wt_bqueue *q, size_t cap)
{
#ifdef SOLUTION
    if (!q || cap == 0)
        return EINVAL;
    InitializeSRWLock(&q->lock);
    InitializeConditionVariable(&q->not_full);
    InitializeConditionVariable(&q->not_empty);
    q->slots = calloc(cap, sizeof *q->slots);
    if (!q->slots)
        return ENOMEM;
    q->cap = cap;
    q->head = q->count = 0;
    q->closed = 0;
    q->nput_waiting = q->nget_waiting = 0;
    return 0;
#else
    /* TODO 2.1: InitializeSRWLock, InitializeConditionVariable (both),
     *           calloc the slots (ENOMEM when that fails), zero the counters.
     *           No destroy call exists for SRWLOCK or CONDITION_VARIABLE:
     *           they own no kernel object, so nothing is leaked by forgetting
     *           them; only the slots are yours to free. */
    (void)q;
    (void)cap;
    return ENOSYS;
#endif
}

int wt_bq_destroy(struct wt_bqueue *q)
{
#ifdef SOLUTION
    if (!q)
        return EINVAL;
    free(q->slots);
    q->slots = NULL;
    return 0;
#else
    (void)q;
    return ENOSYS;
#endif
}

int wt_bq_put(struct wt_bqueue *q, void *item)
{
#ifdef SOLUTION
    if (!q || !item)
        return EINVAL;
    AcquireSRWLockExclusive(&q->lock);
    while (q->count == q->cap && !q->closed)
        sleep_counted(q, &q->not_full, &q->nput_waiting);
    if (q->closed) {
        ReleaseSRWLockExclusive(&q->lock);
        return EPIPE;
    }
    WT_ASSERT(q->count < q->cap);
    q->slots[(q->head + q->count) % q->cap] = item;
    q->count++;
    /* Woken while the lock is held: the sleeper cannot miss it. */
    WakeConditionVariable(&q->not_empty);
    ReleaseSRWLockExclusive(&q->lock);
    return 0;
#else
    /* TODO 2.2: under the lock (exclusive): WHILE the queue is full and
     *           open, count yourself in nput_waiting and sleep with
     *           SleepConditionVariableSRW(&q->not_full, &q->lock, INFINITE, 0).
     *           Closed: EPIPE. Else store at (head + count) % cap, count++,
     *           and wake one getter. */
    (void)q; (void)item;
    return ENOSYS;
#endif
}

int wt_bq_get(struct wt_bqueue *q, void **item)
{
#ifdef SOLUTION
    if (!q || !item)
        return EINVAL;
    AcquireSRWLockExclusive(&q->lock);
    while (q->count == 0 && !q->closed)
        sleep_counted(q, &q->not_empty, &q->nget_waiting);
    if (q->count == 0) {
        ReleaseSRWLockExclusive(&q->lock);
        return EPIPE;
    }
    *item = q->slots[q->head];
    q->slots[q->head] = NULL;
    q->head = (q->head + 1) % q->cap;
    q->count--;
    WakeConditionVariable(&q->not_full);
    ReleaseSRWLockExclusive(&q->lock);
    return 0;
#else
    /* TODO 2.3: the mirror of put.
     *   - WHILE empty and open: sleep on not_empty, nget_waiting counted
     *     around the sleep.
     *   - Empty and closed: EPIPE (a closed queue still hands out items).
     *   - Else take slots[head], advance head modulo cap, count--, and
     *     wake one putter: a slot is free now. */
    (void)item;
    (void)q;
    return ENOSYS;
#endif
}

int wt_bq_close(struct wt_bqueue *q)
{
#ifdef SOLUTION
    if (!q)
        return EINVAL;
    AcquireSRWLockExclusive(&q->lock);
    q->closed = 1;
    WakeAllConditionVariable(&q->not_empty);
    WakeAllConditionVariable(&q->not_full);
    ReleaseSRWLockExclusive(&q->lock);
    return 0;
#else
    /* TODO 2.4: closed = 1 under the lock, and wake EVERY sleeper of both
     *           condition variables: one wake each would strand the rest. */
    (void)q;
    return ENOSYS;
#endif
}
