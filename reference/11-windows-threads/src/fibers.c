/*
 * fibers.c - Task 4: a round-robin scheduler on Win32 fibers (lab 02's
 * green threads, with the switch written by Windows).
 */
#include "wt.h"

#include <errno.h>
#include <stdlib.h>

#ifdef SOLUTION
struct start {
    struct wt_sched *s;
    struct wt_fiber *f;
};

static VOID WINAPI fiber_main(LPVOID arg)
{
    struct start st = *(struct start *)arg;
    free(arg);
    st.f->fn(st.f->arg);
    st.f->done = 1;
    /* A fiber must never return: that ends the thread. Back to run(). */
    SwitchToFiber(st.s->main_fiber);
    WT_ASSERT(!"a finished fiber was switched to");
}

static void push(struct wt_sched *s, struct wt_fiber *f)
{
    WT_ASSERT(s->count < WT_FIBERS_MAX);
    s->ring[(s->head + s->count) % WT_FIBERS_MAX] = f;
    s->count++;
}
#endif

int wt_fiber_spawn(struct wt_sched *s, wt_fiber_fn fn, void *arg)
{
#ifdef SOLUTION
    if (!s || !fn)
        return -EINVAL;
    if (s->count == WT_FIBERS_MAX)
        return -EAGAIN;
    /* Each step only when the one before worked: one way out on failure. */
    struct wt_fiber *f = calloc(1, sizeof *f);
    struct start *st = f ? malloc(sizeof *st) : NULL;
    /* 64 KiB committed; the thread's default reserve otherwise. The fiber
     * first runs when switched to, after *st is filled in below. */
    LPVOID fiber = st ? CreateFiber(64 * 1024, fiber_main, st) : NULL;
    if (!fiber) {
        free(f);
        free(st);
        return -EAGAIN;
    }
    *st = (struct start){s, f};
    f->fiber = fiber;
    f->fn = fn;
    f->arg = arg;
    f->id = s->next_id++;
    push(s, f);
    s->live++;
    return f->id;
#else
    /* TODO 4.1: allocate a struct wt_fiber, give it the next id, make the
     *           fiber with CreateFiber(stack size, an entry of yours, arg)
     *           and put it at the tail of the ring. The entry runs fn(arg),
     *           marks the fiber done and switches back to s->main_fiber: a
     *           fiber's entry must never return (that ends the thread). */
    (void)s; (void)fn; (void)arg;
    return -ENOSYS;
#endif
}

void wt_fiber_yield(struct wt_sched *s)
{
#ifdef SOLUTION
    if (!s || !s->current)
        return;
    /* run() puts current at the tail when the switch comes back to it. */
    SwitchToFiber(s->main_fiber);
#else
    /* TODO 4.2: from a fiber, switch back to the scheduler (main_fiber),
     *           which puts the fiber at the tail of the ring. */
    (void)s;
#endif
}

int wt_sched_run(struct wt_sched *s)
{
#ifdef SOLUTION
    if (!s)
        return EINVAL;
    s->main_fiber = ConvertThreadToFiber(NULL);
    if (!s->main_fiber)
        return EAGAIN;
    while (s->count > 0) {
        struct wt_fiber *f = s->ring[s->head];
        s->head = (s->head + 1) % WT_FIBERS_MAX;
        s->count--;
        s->current = f;
        SwitchToFiber(f->fiber);
        s->current = NULL;
        if (f->done) {
            /* Runs the fiber's FLS callbacks, on this thread. */
            DeleteFiber(f->fiber);
            free(f);
            s->live--;
        } else {
            push(s, f);
        }
    }
    WT_ASSERT(s->live == 0);
    WT_CHECK(ConvertFiberToThread());
    s->main_fiber = NULL;
    return 0;
#else
    /* TODO 4.3: ConvertThreadToFiber(NULL) (NULL result: EAGAIN); then,
     *           while the ring is not empty, take its head, make it
     *           current, SwitchToFiber to it; when the switch comes back,
     *           a done fiber is DeleteFiber'ed and freed, another goes to
     *           the tail. Last, ConvertFiberToThread. */
    (void)s;
    return ENOSYS;
#endif
}
