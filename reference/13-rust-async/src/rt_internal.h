/*
 * rt_internal.h - the executor's private structures (student-owned).
 *
 * Who owns a task: every holder of a reference. References are held by
 *   - the runtime's list of unfinished tasks (rt->all), until completion;
 *   - a queue (a worker's LIFO slot or ring, the injector) while the task
 *     is queued, and the worker running it, which inherits that one;
 *   - every stored waker (rt_waker_clone adds one, wake/drop release one);
 *   - the join handle, until rt_join_wait or rt_join_detach.
 * The last release frees the task (task_unref).
 */
#ifndef RT_INTERNAL_H
#define RT_INTERNAL_H

#include "rt.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* A broken invariant is a bug in the lab: stop loudly. */
__attribute__((noreturn, format(printf, 3, 4)))
void rt_panic_at(const char *file, int line, const char *fmt, ...);
#define rt_panic(...) rt_panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Tasks (src/task.c)                                                 */
/* ------------------------------------------------------------------ */

/* Task state bits (task->state). At most one of SCHEDULED and RUNNING is
 * set; NOTIFIED only with RUNNING; COMPLETE is final and then alone.
 *   idle (0) --wake--> SCHEDULED --worker picks--> RUNNING
 *   RUNNING --wake--> RUNNING|NOTIFIED (the poller reschedules it)
 *   RUNNING --Pending--> idle, or SCHEDULED if NOTIFIED was set
 *   RUNNING --Ready--> COMPLETE */
#define RT_ST_SCHEDULED 1u
#define RT_ST_RUNNING   2u
#define RT_ST_NOTIFIED  4u
#define RT_ST_COMPLETE  8u

struct rt_task {
    /* RT_ST_* bits. Changed only by compare-and-swap (acq_rel): the CAS
     * that takes RUNNING acquires what the previous poll released; the CAS
     * that sets COMPLETE releases output to rt_join_poll's acquire load. */
    _Atomic unsigned state;
    /* References (see above). Increments relaxed (the adder already holds
     * one); decrements acq_rel so the freer sees every holder's writes. */
    atomic_long refs;
    /* The future: polled only by the thread that set RUNNING; dropped by
     * that thread at completion, or by rt_runtime_free (workers stopped). */
    struct rt_future *fut;
    struct rt_runtime *rt;      /* set at spawn, never changed */
    intptr_t output;            /* written before COMPLETE is set (release) */
    int cancelled;              /* written before COMPLETE is set (release) */
    struct rt_task *next;       /* injector link: guarded by rt->inj_lock */
    struct rt_task *all_prev, *all_next; /* rt->all list: rt->all_lock */
    pthread_mutex_t join_lock;  /* guards join_waker and has_join_waker */
    struct rt_waker join_waker; /* the joiner's waker, woken at completion */
    int has_join_waker;
};

/* Poll t once (the caller holds the queue's reference, which this takes
 * over). Worker threads only. */
void rt_task_run(struct rt_task *t);
/* Release one reference; the last frees the task. */
void rt_task_unref(struct rt_task *t);
/* The task's waker vtable (data = the task). */
extern const struct rt_waker_vtable rt_task_waker_vtable;
/* Workers stopped: drop t's future unfinished and wake its joiner. The
 * caller holds a reference. */
void rt_task_cancel(struct rt_task *t);

/* ------------------------------------------------------------------ */
/* The scheduler (src/sched.c)                                        */
/* ------------------------------------------------------------------ */

#define RT_LOCAL_CAP 256   /* a worker's ring; a power of two */
#define RT_GLOBAL_EVERY 61 /* every this many ticks, look at the injector first */
#define RT_LIFO_MAX 16     /* at most this many LIFO-slot runs in a row */

struct rt_worker {
    struct rt_runtime *rt;
    int id;
    pthread_t thread;
    /* The local run queue, a ring: guarded by lock (the owner pushes and
     * pops at its ends; thieves take half from the head). */
    pthread_mutex_t lock;
    struct rt_task *ring[RT_LOCAL_CAP];
    unsigned head, len;
    /* The LIFO slot: the task most recently woken or spawned from this
     * worker, run next. Touched only by the owner thread. */
    struct rt_task *lifo;
    unsigned lifo_streak;       /* owner only */
    unsigned long tick;         /* owner only */
    uint64_t rng;               /* owner only: victim choice */
};

struct rt_timers;  /* src/reactor.c */
struct rt_io;      /* src/reactor.c */

struct rt_runtime {
    int nworkers;
    struct rt_worker workers[RT_MAX_WORKERS];

    /* The global injector: a FIFO list through task->next. */
    pthread_mutex_t inj_lock;
    struct rt_task *inj_head, *inj_tail; /* inj_lock */
    atomic_long inj_len; /* written under inj_lock; read without (relaxed hint) */

    /* Parking idle workers. A scheduler bumps epoch (seq_cst) then reads
     * sleepers (seq_cst); a parker increments sleepers (seq_cst, under
     * idle_lock) then re-reads epoch: one of them sees the other, so a
     * push never leaves every worker asleep. */
    pthread_mutex_t idle_lock;
    pthread_cond_t idle_cv;
    atomic_int sleepers;
    atomic_ulong epoch;
    atomic_int shutdown; /* 0 -> 1 once, seq_cst, then idle_cv broadcast */

    /* Unfinished tasks (each holds a reference), for cancellation. */
    pthread_mutex_t all_lock;
    struct rt_task *all; /* all_lock */

    /* Counters (relaxed: statistics only). */
    atomic_ulong n_polls, n_spawned, n_completed, n_steals, n_lifo, n_injector, n_parks;

    /* The driver: a thread that waits in epoll_wait until the next timer
     * deadline, fires timers and dispatches readiness (src/reactor.c). */
    pthread_t driver;
    int driver_started;
    int epfd;            /* epoll instance */
    int evfd;            /* eventfd: wakes the driver (registered with ptr NULL) */
    atomic_int driver_stop;
    struct rt_timers *timers;
    pthread_mutex_t io_free_lock;
    struct rt_io *io_free; /* closed registrations the driver frees: io_free_lock */
};

/* Queue a task that has just become SCHEDULED (the caller gives one
 * reference to the queue). yield: to the back, not the LIFO slot. */
void rt_schedule(struct rt_task *t, int yield);

/* ------------------------------------------------------------------ */
/* The driver (src/reactor.c)                                         */
/* ------------------------------------------------------------------ */

int rt_driver_start(struct rt_runtime *rt);
void rt_driver_stop(struct rt_runtime *rt);   /* stop and join the thread */
void rt_driver_free(struct rt_runtime *rt);   /* after tasks were dropped */
void rt_driver_unpark(struct rt_runtime *rt); /* wake it from epoll_wait */

#endif
