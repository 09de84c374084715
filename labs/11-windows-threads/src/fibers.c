/*
 * fibers.c - Task 4: a round-robin scheduler on Win32 fibers (lab 02's
 * green threads, with the switch written by Windows).
 */
#include "wt.h"

#include <errno.h>
#include <stdlib.h>


int wt_fiber_spawn(struct wt_sched *s, wt_fiber_fn fn, void *arg)
{
    /* TODO 4.1: allocate a struct wt_fiber, give it the next id, make the
     *           fiber with CreateFiber(stack size, an entry of yours, arg)
     *           and put it at the tail of the ring. The entry runs fn(arg),
     *           marks the fiber done and switches back to s->main_fiber: a
     *           fiber's entry must never return (that ends the thread). */
    (void)s; (void)fn; (void)arg;
    return -ENOSYS;
}

void wt_fiber_yield(struct wt_sched *s)
{
    /* TODO 4.2: from a fiber, switch back to the scheduler (main_fiber),
     *           which puts the fiber at the tail of the ring. */
    (void)s;
}

int wt_sched_run(struct wt_sched *s)
{
    /* TODO 4.3: ConvertThreadToFiber(NULL) (NULL result: EAGAIN); then,
     *           while the ring is not empty, take its head, make it
     *           current, SwitchToFiber to it; when the switch comes back,
     *           a done fiber is DeleteFiber'ed and freed, another goes to
     *           the tail. Last, ConvertFiberToThread. */
    (void)s;
    return ENOSYS;
}
