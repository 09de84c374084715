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
#ifdef SOLUTION
    /* relaxed: the caller already holds a reference, so the task cannot
     * be freed under us; nothing is published by taking one. */
    long old = atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    if (old <= 0)
        rt_panic("task %p: reference taken with %ld references left", (void *)t, old);
#else
    /* TODO 1.1: add one reference (which memory order, and why?). A count
     * that was already <= 0 is a use after free: rt_panic. */
    (void)t;
#endif
}

void rt_task_unref(struct rt_task *t)
{
#ifdef SOLUTION
    /* acq_rel: the release publishes this holder's writes; the acquire on
     * the last one makes every holder's writes visible to the freer. */
    long old = atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel);
    if (old <= 0)
        rt_panic("task %p: reference released with %ld references left", (void *)t, old);
    if (old != 1)
        return;
    if (t->fut)
        rt_panic("task %p freed with its future still there", (void *)t);
    if (t->has_join_waker)
        rt_waker_drop(t->join_waker);
    pthread_mutex_destroy(&t->join_lock);
    free(t);
    atomic_fetch_sub_explicit(&live_tasks, 1, memory_order_relaxed);
#else
    /* TODO 1.2: release one reference; the holder of the last one frees
     * the task (drop a join waker still stored, destroy join_lock, free,
     * live_tasks--). A count already <= 0 is a bug: rt_panic. */
    (void)t;
#endif
}

/* Make t SCHEDULED and queue it, unless it is queued, running (then it is
 * only marked NOTIFIED and its poller requeues it) or complete. */
static void task_wake(struct rt_task *t)
{
#ifdef SOLUTION
    unsigned s = atomic_load_explicit(&t->state, memory_order_acquire);
    for (;;) {
        unsigned n;
        if (s & RT_ST_COMPLETE)
            return;
        if (s & RT_ST_RUNNING) {
            if (s & RT_ST_NOTIFIED)
                return;
            n = s | RT_ST_NOTIFIED;
        } else if (s & RT_ST_SCHEDULED) {
            return;
        } else {
            n = s | RT_ST_SCHEDULED;
        }
        if (atomic_compare_exchange_weak_explicit(&t->state, &s, n, memory_order_acq_rel,
                                                  memory_order_acquire))
            break;
    }
    if (s & RT_ST_RUNNING)
        return; /* NOTIFIED: the poller requeues it after poll */
    task_ref(t); /* the queue's reference */
    rt_schedule(t, 0);
#else
    /* TODO 1.3: a CAS loop over t->state (handout, "State bits"):
     *   COMPLETE            -> nothing;
     *   RUNNING             -> set NOTIFIED (the poller requeues it);
     *   SCHEDULED           -> nothing (already queued: once is enough);
     *   idle                -> set SCHEDULED, then give the queue a
     *                          reference and rt_schedule(t, 0). */
    (void)t;
#endif
}

static struct rt_waker task_waker_clone(const void *data)
{
    struct rt_task *t = (struct rt_task *)data;
    task_ref(t);
    return (struct rt_waker){&rt_task_waker_vtable, t};
}

static void task_waker_wake(const void *data)
{
#ifdef SOLUTION
    struct rt_task *t = (struct rt_task *)data;
    task_wake(t);
    rt_task_unref(t);
#else
    /* TODO 1.4: wake consumes the waker: wake the task, then release the
     * reference this waker owned. */
    (void)data;
#endif
}

static void task_waker_wake_by_ref(const void *data)
{
    task_wake((struct rt_task *)data);
}

static void task_waker_drop(const void *data)
{
#ifdef SOLUTION
    rt_task_unref((struct rt_task *)data);
#else
    /* TODO 1.4: drop releases this waker's reference, nothing else. */
    (void)data;
#endif
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
#ifdef SOLUTION
    struct rt_task *t = calloc(1, sizeof *t);
    if (!t) {
        if (fut->drop)
            fut->drop(fut);
        errno = ENOMEM;
        return NULL;
    }
    atomic_fetch_add_explicit(&live_tasks, 1, memory_order_relaxed);
    t->fut = fut;
    t->rt = rt;
    pthread_mutex_init(&t->join_lock, NULL);
    /* the join handle, the all list, the queue */
    atomic_init(&t->refs, 3);
    atomic_init(&t->state, RT_ST_SCHEDULED);
    pthread_mutex_lock(&rt->all_lock);
    t->all_next = rt->all;
    if (rt->all)
        rt->all->all_prev = t;
    rt->all = t;
    pthread_mutex_unlock(&rt->all_lock);
    atomic_fetch_add_explicit(&rt->n_spawned, 1, memory_order_relaxed);
    rt_schedule(t, 0);
    return (struct rt_join *)t;
#else
    /* TODO 2.1: allocate the task (calloc; on failure drop fut, errno =
     * ENOMEM, NULL), live_tasks++, init join_lock; it starts SCHEDULED
     * with three references (join handle, rt->all list, queue); link it
     * at the head of rt->all (under all_lock), count n_spawned, and
     * rt_schedule it. The handle is the task pointer. */
    (void)rt;
    (void)fut;
    errno = ENOSYS;
    return NULL;
#endif
}

void rt_task_run(struct rt_task *t)
{
#ifdef SOLUTION
    struct rt_runtime *rt = t->rt;
    unsigned s = atomic_load_explicit(&t->state, memory_order_relaxed);
    for (;;) {
        if ((s & (RT_ST_SCHEDULED | RT_ST_RUNNING | RT_ST_COMPLETE)) != RT_ST_SCHEDULED)
            rt_panic("task %p taken from a queue in state %#x (want SCHEDULED only)", (void *)t, s);
        if (atomic_compare_exchange_weak_explicit(&t->state, &s,
                                                  (s & ~RT_ST_SCHEDULED) | RT_ST_RUNNING,
                                                  memory_order_acq_rel, memory_order_relaxed))
            break;
    }
    atomic_fetch_add_explicit(&rt->n_polls, 1, memory_order_relaxed);
    struct rt_context cx = {{&rt_task_waker_vtable, t}}; /* borrowed: no reference */
    struct rt_future *fut = t->fut;
    if (fut->poll(fut, &cx) == RT_READY) {
        t->output = fut->output;
        t->fut = NULL;
        if (fut->drop)
            fut->drop(fut);
        atomic_fetch_add_explicit(&rt->n_completed, 1, memory_order_relaxed);
        task_finish(t);
        all_remove(rt, t);
        rt_task_unref(t); /* the list's */
        rt_task_unref(t); /* the queue's */
        return;
    }
    s = atomic_load_explicit(&t->state, memory_order_relaxed);
    for (;;) {
        unsigned n = s & RT_ST_NOTIFIED ? (s & ~(RT_ST_RUNNING | RT_ST_NOTIFIED)) | RT_ST_SCHEDULED
                                        : s & ~RT_ST_RUNNING;
        if (atomic_compare_exchange_weak_explicit(&t->state, &s, n, memory_order_acq_rel,
                                                  memory_order_relaxed))
            break;
    }
    if (s & RT_ST_NOTIFIED)
        rt_schedule(t, 1); /* woken during poll: once more, keeping the queue's reference */
    else
        rt_task_unref(t);
#else
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
#endif
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
#ifdef SOLUTION
    struct rt_task *t = (struct rt_task *)j;
    if (!(atomic_load_explicit(&t->state, memory_order_acquire) & RT_ST_COMPLETE)) {
        pthread_mutex_lock(&t->join_lock);
        /* re-check under the lock: task_finish sets COMPLETE before it
         * takes the lock, so either we see COMPLETE or it sees our waker */
        if (!(atomic_load_explicit(&t->state, memory_order_acquire) & RT_ST_COMPLETE)) {
            if (!t->has_join_waker || !rt_waker_will_wake(&t->join_waker, &cx->waker)) {
                if (t->has_join_waker)
                    rt_waker_drop(t->join_waker);
                t->join_waker = rt_waker_clone(&cx->waker);
                t->has_join_waker = 1;
            }
            pthread_mutex_unlock(&t->join_lock);
            return RT_PENDING;
        }
        pthread_mutex_unlock(&t->join_lock);
    }
    *out = t->cancelled ? 0 : t->output;
    return t->cancelled ? RT_CANCELLED : RT_READY;
#else
    /* TODO 2.5: COMPLETE (acquire) -> *out and RT_READY or RT_CANCELLED.
     * Otherwise, under join_lock and after checking COMPLETE again, store
     * a clone of cx->waker (dropping a different one stored before) and
     * return RT_PENDING. */
    (void)j;
    (void)cx;
    *out = 0;
    return RT_CANCELLED;
#endif
}

void rt_join_detach(struct rt_join *j)
{
#ifdef SOLUTION
    struct rt_task *t = (struct rt_task *)j;
    pthread_mutex_lock(&t->join_lock);
    int has = t->has_join_waker;
    struct rt_waker w = t->join_waker;
    t->has_join_waker = 0;
    pthread_mutex_unlock(&t->join_lock);
    if (has)
        rt_waker_drop(w);
    rt_task_unref(t);
#else
    /* TODO 2.6: drop a stored join waker (under join_lock), then release
     * the handle's reference. */
    (void)j;
#endif
}
