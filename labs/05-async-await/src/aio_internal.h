/*
 * aio_internal.h - the loop's private structures (student-owned: you may
 * add fields). Everything runs on the loop's one thread: no field needs a
 * lock, and none is atomic.
 */
#ifndef AIO_INTERNAL_H
#define AIO_INTERNAL_H

#include "aio.h"

#include <stdio.h>
#include <stdlib.h>

/* A broken invariant is a bug in the lab: stop loudly. */
#define AIO_PANIC(...)                                                        \
    do {                                                                      \
        fprintf(stderr, "aio panic (%s:%d): ", __FILE__, __LINE__);           \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        abort();                                                              \
    } while (0)
#define AIO_ASSERT(c)                                                         \
    do {                                                                      \
        if (!(c))                                                             \
            AIO_PANIC("assertion failed: %s", #c);                            \
    } while (0)

struct aio_task;

/* A timer: embedded in the future that waits for it. In the heap exactly
 * while idx >= 0, and then lp->heap[idx] == this timer. */
struct aio_timer {
    int64_t deadline;        /* aio_now() value at which it fires */
    uint64_t seq;            /* arming order: ties on deadline fire FIFO */
    struct aio_task *task;   /* woken when it fires */
    long idx;                /* position in lp->heap, -1 when not in it */
};

/* An fd watch: embedded in the I/O future that waits. In epoll exactly
 * while registered == 1 (epoll's data.ptr points here). */
struct aio_watch {
    int fd;
    uint32_t events;         /* EPOLLIN or EPOLLOUT */
    int registered;
    struct aio_task *task;   /* woken when the fd is ready */
};

/* A task: a named top-level future the loop owns. */
struct aio_task {
    long id;                 /* > 0, unique within the loop */
    char name[32];
    struct aio_future *fut;  /* owned; freed when the task ends */
    long *result;            /* where the result goes, or NULL */
    int queued;              /* 1 exactly while on the ready queue */
    struct aio_task *rprev, *rnext;  /* ready queue links (valid if queued) */
    struct aio_task *prev, *next;    /* list of all live tasks */
};

struct aio_loop {
    int epfd;
    /* Timer min-heap on (deadline, seq): heap[0] is the next to fire;
     * heap[i] <= heap[2i+1] and heap[2i+2]. nheap timers, room for cap. */
    struct aio_timer **heap;
    long nheap, cap;
    uint64_t timer_seq;      /* next seq to hand out */
    /* Ready queue: FIFO of tasks to poll, doubly linked for cancellation. */
    struct aio_task *rhead, *rtail;
    struct aio_task *tasks;  /* all live tasks (head of a doubly linked list) */
    struct aio_task *current;/* the task being polled, NULL between polls */
    long next_id, ntasks, nwatches, polls;
    int64_t wd_threshold;    /* watchdog: > 0 when on */
    aio_watchdog_fn wd_fn;
    void *wd_arg;
};

/* Put a task on the ready queue unless it is there already. */
void aio_wake(struct aio_loop *lp, struct aio_task *t);

/* Timers (loop.c, Task 2). arm: into the heap, waking the current task at
 * deadline (no-op when already armed). disarm: out of it (no-op when not). */
void aio_timer_arm(struct aio_loop *lp, struct aio_timer *tm, int64_t deadline);
void aio_timer_disarm(struct aio_loop *lp, struct aio_timer *tm);

/* Fd watches (loop.c, Task 3). arm: into epoll for the current task. */
int aio_watch_arm(struct aio_loop *lp, struct aio_watch *w);
void aio_watch_disarm(struct aio_loop *lp, struct aio_watch *w);

#endif
