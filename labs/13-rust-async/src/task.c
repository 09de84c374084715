/*
 * task.c - wakers, tasks and join handles (handout Tasks 1 and 2).
 */
#include "rt_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* ================================================================== */
/* Given: panics, the waker wrappers, the live-task counter            */
/* ================================================================== */

void rt_panic_at(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "rt panic at %s:%d: %s\n", file, line, msg);
    abort();
}

struct rt_waker rt_waker_clone(const struct rt_waker *w)
{
    return w->vtable->clone(w->data);
}

void rt_waker_wake(struct rt_waker w)
{
    w.vtable->wake(w.data);
}

void rt_waker_wake_by_ref(const struct rt_waker *w)
{
    w->vtable->wake_by_ref(w->data);
}

void rt_waker_drop(struct rt_waker w)
{
    w.vtable->drop(w.data);
}

int rt_waker_will_wake(const struct rt_waker *a, const struct rt_waker *b)
{
    return a->vtable == b->vtable && a->data == b->data;
}

/* Tasks allocated and not freed (relaxed: a counter for tests). */
static atomic_long live_tasks;

long rt_live_tasks(void)
{
    return atomic_load_explicit(&live_tasks, memory_order_relaxed);
}

/* ================================================================== */
/* Task 1: reference counts and the task waker                         */
/* ================================================================== */

static void task_ref(struct rt_task *t)
{
    /* TODO 1.1: add one reference (which memory order, and why?). A count
     * that was already <= 0 is a use after free: rt_panic. */
    (void)t;
}

void rt_task_unref(struct rt_task *t)
{
    /* TODO 1.2: release one reference; the holder of the last one frees
     * the task (drop a join waker still stored, destroy join_lock, free,
     * live_tasks--). A count already <= 0 is a bug: rt_panic. */
    (void)t;
}

/* Make t SCHEDULED and queue it, unless it is queued, running (then it is
 * only marked NOTIFIED and its poller requeues it) or complete. */
static void task_wake(struct rt_task *t)
{
    /* TODO 1.3: a CAS loop over t->state (handout, "State bits"):
     *   COMPLETE            -> nothing;
     *   RUNNING             -> set NOTIFIED (the poller requeues it);
     *   SCHEDULED           -> nothing (already queued: once is enough);
     *   idle                -> set SCHEDULED, then give the queue a
     *                          reference and rt_schedule(t, 0). */
    (void)t;
}

static struct rt_waker task_waker_clone(const void *data)
{
    struct rt_task *t = (struct rt_task *)data;
    task_ref(t);
    return (struct rt_waker){&rt_task_waker_vtable, t};
}

static void task_waker_wake(const void *data)
{
    /* TODO 1.4: wake consumes the waker: wake the task, then release the
     * reference this waker owned. */
    (void)data;
}

static void task_waker_wake_by_ref(const void *data)
{
    task_wake((struct rt_task *)data);
}

static void task_waker_drop(const void *data)
{
    /* TODO 1.4: drop releases this waker's reference, nothing else. */
    (void)data;
}

const struct rt_waker_vtable rt_task_waker_vtable = {
    task_waker_clone, task_waker_wake, task_waker_wake_by_ref, task_waker_drop,
};

/* ================================================================== */
/* Task 2: spawn, poll, complete, join                                 */
/* ================================================================== */

static void all_remove(struct rt_runtime *rt, struct rt_task *t)
{
    pthread_mutex_lock(&rt->all_lock);
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else
        rt->all = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    t->all_prev = t->all_next = NULL;
    pthread_mutex_unlock(&rt->all_lock);
}

/* Publish completion (COMPLETE, output or cancelled already written) and
 * wake the joiner, if one is waiting. */
static void task_finish(struct rt_task *t)
{
    unsigned s = atomic_load_explicit(&t->state, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&t->state, &s, RT_ST_COMPLETE,
                                                  memory_order_acq_rel, memory_order_relaxed))
        ;
    pthread_mutex_lock(&t->join_lock);
    int has = t->has_join_waker;
    struct rt_waker w = t->join_waker;
    t->has_join_waker = 0;
    pthread_mutex_unlock(&t->join_lock);
    if (has)
        rt_waker_wake(w);
}

struct rt_join *rt_spawn(struct rt_runtime *rt, struct rt_future *fut)
{
    /* TODO 2.1: allocate the task (calloc; on failure drop fut, errno =
     * ENOMEM, NULL), live_tasks++, init join_lock; it starts SCHEDULED
     * with three references (join handle, rt->all list, queue); link it
     * at the head of rt->all (under all_lock), count n_spawned, and
     * rt_schedule it. The handle is the task pointer. */
    (void)rt;
    (void)fut;
    errno = ENOSYS;
    return NULL;
}

void rt_task_run(struct rt_task *t)
{
    /* TODO 2.2: SCHEDULED -> RUNNING by CAS (any other state: rt_panic),
     * count n_polls, poll the future with a context whose waker BORROWS
     * the task (&rt_task_waker_vtable, t).
     * TODO 2.3: RT_READY: keep the output, drop the future (t->fut = NULL
     * first), count n_completed, task_finish(t), take t off rt->all
     * (all_remove) and release the list's and the queue's references.
     * TODO 2.4: RT_PENDING: clear RUNNING by CAS. If NOTIFIED was set (a
     * wake arrived during the poll) clear it too, set SCHEDULED and
     * rt_schedule(t, 1) with the queue's reference; otherwise release
     * that reference. A plain store of "idle" here loses that wake. */
    (void)t;
    (void)all_remove;
    (void)task_finish;
    rt_panic("rt_task_run: handout Task 2.2 is not done");
}

void rt_task_cancel(struct rt_task *t)
{
    struct rt_future *fut = t->fut;
    t->fut = NULL;
    t->cancelled = 1;
    if (fut && fut->drop)
        fut->drop(fut);
    task_finish(t);
}

int rt_join_poll(struct rt_join *j, struct rt_context *cx, intptr_t *out)
{
    /* TODO 2.5: COMPLETE (acquire) -> *out and RT_READY or RT_CANCELLED.
     * Otherwise, under join_lock and after checking COMPLETE again, store
     * a clone of cx->waker (dropping a different one stored before) and
     * return RT_PENDING. */
    (void)j;
    (void)cx;
    *out = 0;
    return RT_CANCELLED;
}

void rt_join_detach(struct rt_join *j)
{
    /* TODO 2.6: drop a stored join waker (under join_lock), then release
     * the handle's reference. */
    (void)j;
}
