/*
 * tp.h - lab 08, thread pools: the whole student API.
 *
 * Kit-owned and read-only. You write the functions in src/; each banner
 * names its file and task. The pool itself is opaque (struct tp_pool is
 * yours, in src/tp_internal.h); a future is a small public struct that the
 * CALLER owns (on its stack or heap) and tp_submit fills in.
 *
 * The shape of the pool (handout, "Background"):
 *
 *   submitters --tp_submit--> [ bounded ring of cap tasks ] --> workers
 *                 waits on not_full            workers wait on not_empty
 *
 *   one mutex guards the ring, the counters and the worker table; two
 *   condition variables say why a thread waits: not_empty (idle workers)
 *   and not_full (submitters blocked by the TP_BLOCK policy).
 *
 * Threads: tp_create starts cfg.core workers. When the ring is full and
 * fewer than cfg.max workers live, tp_submit starts one more worker and
 * hands it the task directly (it does not queue). A worker above the core
 * count that stays idle for cfg.keepalive_ms retires (ends its thread);
 * the pool never shrinks below core while it runs.
 *
 * Error convention, as pthreads: int functions return 0 or an errno value,
 * never -1. pthread calls that cannot fail in a correct program go through
 * TP_CHECK (src/tp_internal.h), which stops the program loudly.
 *
 * Forbidden in your objects: GLib's g_thread_pool_* and OpenMP's GOMP_* /
 * omp_* (the grader reads their undefined symbols).
 */
#ifndef TP_H
#define TP_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

/* The most workers a pool may have (cfg.max). */
#define TP_MAX_THREADS 256

/* A task: fn(arg, &value). It returns 0 on success or a positive errno
 * value of its own choosing (EIO, EDOM, ...) for a failure; either way it
 * may store a result in *value (which starts at 0). The pool carries both
 * to the task's future. A task must not call tp_shutdown* or tp_destroy on
 * its own pool. */
typedef int (*tp_fn)(void *arg, long *value);

/* A task as queued, and as handed back by tp_shutdown_now. */
struct tp_task {
    tp_fn fn;
    void *arg;
    struct tp_future *fut; /* NULL: nobody waits for this task */
};

/* ================================================================== */
/* Futures                                        src/future.c, Task 1 */
/* ================================================================== */

enum tp_fstate {
    TP_PENDING,   /* submitted, not finished */
    TP_DONE,      /* the task ran; err and value are its results */
    TP_CANCELLED, /* the task will never run (tp_shutdown_now) */
};

/* Owned by the caller; filled in by a successful tp_submit, which
 * initialises m and cv (so never submit with a future that is still
 * PENDING). The pool writes it once, under m, then broadcasts cv. The
 * caller calls tp_future_destroy once the future is no longer PENDING. */
struct tp_future {
    pthread_mutex_t m;    /* guards state, err, value */
    pthread_cond_t cv;    /* broadcast when state leaves TP_PENDING;
                             clock CLOCK_MONOTONIC (timed gets) */
    enum tp_fstate state; /* TP_PENDING -> TP_DONE or TP_CANCELLED, once; m */
    int err;              /* the task's return value (0 = success); m */
    long value;           /* what the task stored in *value; m */
};

/* Any thread, once per future, before the pool may complete it (tp_submit
 * calls it). Initialises m, cv (CLOCK_MONOTONIC) and state = TP_PENDING.
 * 0, EINVAL (NULL), or the error of pthread_*_init. */
int tp_future_init(struct tp_future *f);

/* The pool (a worker, a caller-runs submitter, tp_shutdown_now): record
 * the outcome once and wake every waiter. state is TP_DONE or
 * TP_CANCELLED. Completing a future twice is a bug: TP_CHECK stops. */
void tp_future_complete(struct tp_future *f, enum tp_fstate state, int err, long value);

/* Any thread: wait until the future is no longer PENDING. Returns 0 and
 * stores the task's value in *value (value may be NULL) when the task
 * succeeded; the task's own error (err) when it failed, *value stored too;
 * ECANCELED when it was never run (*value untouched); EINVAL for f NULL.
 * Any number of threads may wait on one future, and get may be called
 * again after it returned: the outcome stays. */
int tp_future_get(struct tp_future *f, long *value);

/* As tp_future_get, but give up at the absolute CLOCK_MONOTONIC time
 * *deadline: ETIMEDOUT (*value untouched) if still PENDING then. A
 * deadline already past never waits. EINVAL: f or deadline NULL, or
 * tv_nsec outside [0, 1e9). */
int tp_future_timedget(struct tp_future *f, long *value, const struct timespec *deadline);

/* As tp_future_timedget with the deadline timeout_ms from now (computed
 * once). 0 never waits. EINVAL also for timeout_ms < 0. */
int tp_future_get_for(struct tp_future *f, long *value, long timeout_ms);

/* 0 (m and cv destroyed), EINVAL (NULL), EBUSY (still PENDING: nothing
 * destroyed). */
int tp_future_destroy(struct tp_future *f);

/* ================================================================== */
/* The pool                                  src/tp.c, Tasks 2 to 5    */
/* ================================================================== */

/* What tp_submit does when the ring is full and the pool may not grow
 * (cfg.max workers already live). */
enum tp_policy {
    TP_BLOCK,       /* wait until a slot frees (or shutdown: ESHUTDOWN) */
    TP_REJECT,      /* fail at once with EAGAIN; nothing queued */
    TP_CALLER_RUNS, /* run the task on the submitting thread, now */
};

struct tp_config {
    unsigned core;       /* workers started by tp_create, 1 <= core */
    unsigned max;        /* core <= max <= TP_MAX_THREADS */
    size_t queue_cap;    /* ring slots, >= 1 */
    long keepalive_ms;   /* >= 0: idle time after which a worker above
                            core retires */
    enum tp_policy policy;
};

/* A snapshot, all fields read under the pool's lock at one instant. */
struct tp_stats {
    unsigned live;          /* worker threads started and not yet retired
                               or ended; core <= live <= max while the
                               pool runs */
    unsigned idle;          /* of those, waiting for work now */
    unsigned blocked;       /* submitters waiting for a slot (TP_BLOCK) */
    size_t queued;          /* tasks in the ring */
    unsigned long submitted; /* tp_submit calls that returned 0 */
    unsigned long completed; /* tasks a worker or a submitter has run */
    unsigned long rejected;  /* tp_submit calls that returned EAGAIN */
    unsigned long caller_ran;/* tasks run by their submitter (TP_CALLER_RUNS) */
    unsigned long spawned;   /* worker threads started, core ones included */
    unsigned long retired;   /* workers that ended by keep-alive */
};

typedef struct tp_pool tp_pool;

/* Any thread. Start cfg->core workers. On success *out is the pool.
 * 0, EINVAL (NULL, core 0, max < core, max > TP_MAX_THREADS, queue_cap 0,
 * keepalive_ms < 0, unknown policy), ENOMEM, EAGAIN (pthread_create): on
 * error every worker started is joined and nothing leaks. */
int tp_create(tp_pool **out, const struct tp_config *cfg);

/* Any thread, until shutdown: queue fn(arg). fut may be NULL; if not, it
 * is initialised here and completed when the task has run. Ring full:
 * grow (start a worker for this task) if fewer than max live, else apply
 * the policy. Returns 0 (accepted: it will run exactly once, unless
 * tp_shutdown_now hands it back), EINVAL (p or fn NULL), EAGAIN
 * (TP_REJECT and full: fut untouched), ESHUTDOWN (shutdown began, before
 * or while waiting: fut untouched, task not queued), ENOMEM/EAGAIN from
 * tp_future_init. With TP_CALLER_RUNS the task may have run (and fut be
 * complete) before tp_submit returns. */
int tp_submit(tp_pool *p, tp_fn fn, void *arg, struct tp_future *fut);

/* 0, EINVAL. */
int tp_stats(tp_pool *p, struct tp_stats *st);

/* Graceful shutdown, from a thread that is not a worker: refuse new
 * submits (ESHUTDOWN, also to submitters blocked now), let the workers run
 * EVERY task already queued, then join every worker. Returns when no
 * worker is left. 0, EINVAL, EALREADY (shut down before). */
int tp_shutdown(tp_pool *p);

/* Immediate shutdown: refuse new submits, take every task still queued
 * out of the ring (none of them will ever run; their futures become
 * TP_CANCELLED), let the tasks already running finish, join every worker.
 * *unrun receives a malloc'ed array of the *n tasks taken out, in queue
 * order (NULL when *n == 0), for the caller to free (the array and
 * whatever the args own). 0, EINVAL, EALREADY, ENOMEM (nothing done: the
 * pool still runs). */
int tp_shutdown_now(tp_pool *p, struct tp_task **unrun, size_t *n);

/* Free a pool that was shut down and that no thread uses any more.
 * 0, EINVAL, EBUSY (not shut down: nothing freed). */
int tp_destroy(tp_pool *p);

/* ================================================================== */
/* Sizing                                             src/tp.c, Task 6 */
/* ================================================================== */

/* The handout's sizing rule: N = ncpu * (1 + wait_ns / compute_ns) for
 * tasks that wait (I/O, a lock, a timer) wait_ns and compute compute_ns,
 * computed exactly and rounded UP to a whole thread, capped at
 * TP_MAX_THREADS. 0 for nonsense: ncpu 0, compute_ns <= 0, wait_ns < 0. */
unsigned tp_size_for(unsigned ncpu, long wait_ns, long compute_ns);

#endif
