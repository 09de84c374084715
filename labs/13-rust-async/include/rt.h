/*
 * rt.h - lab 13: a Tokio-style executor in C (kit-owned, read-only).
 *
 * The Rust async model, spelled out in C. A future is a state machine with a
 * poll function. The executor polls a task's future only after something
 * woke the task; a future that cannot finish yet stores a clone of the
 * waker it was handed (cx->waker) where the event source will find it, and
 * returns RT_PENDING. The event source (another task, another thread, the
 * reactor, a timer) later calls wake, and the executor polls again.
 *
 *   Task 1  wakers: a vtable and reference counts      (src/task.c)
 *   Task 2  tasks: state bits, poll, join handles      (src/task.c)
 *   Task 3  the runtime: workers, queues, stealing     (src/sched.c)
 *   Task 4  block_on and yield_now                     (src/sched.c)
 *   Task 5  timers                                     (src/reactor.c)
 *   Task 6  the epoll reactor and async TCP            (src/reactor.c)
 *
 * Thread-safety: every function here may be called from any thread unless
 * its contract says otherwise. A future's poll runs on one thread at a time.
 */
#ifndef RT_H
#define RT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ================================================================== */
/* Futures, contexts and wakers (Task 1)                               */
/* ================================================================== */

enum rt_poll { RT_PENDING = 0, RT_READY = 1 };

struct rt_waker;

/* What a waker does, for one kind of waker (a task's, block_on's, or a
 * test's own). data is the waker's data pointer. */
struct rt_waker_vtable {
    /* A new waker for the same target; the target gains one reference. */
    struct rt_waker (*clone)(const void *data);
    /* Wake the target and consume this waker (one reference released). */
    void (*wake)(const void *data);
    /* Wake the target; the waker stays valid (no reference released). */
    void (*wake_by_ref)(const void *data);
    /* Release this waker's reference without waking. */
    void (*drop)(const void *data);
};

/* A waker is two words, passed and stored by value (like Rust's RawWaker).
 * A stored waker owns one reference to its target: each one is ended by
 * exactly one rt_waker_wake or rt_waker_drop. */
struct rt_waker {
    const struct rt_waker_vtable *vtable;
    const void *data;
};

/* Handed to every poll. cx->waker is BORROWED for the call: a future that
 * wants to be woken later keeps rt_waker_clone(&cx->waker), never the
 * borrowed one. */
struct rt_context {
    struct rt_waker waker;
};

/* A future. poll returns RT_READY (after setting output) or RT_PENDING,
 * and in the second case it has arranged for cx->waker (a clone of it) to
 * be woken when progress is possible. It must not be polled again after
 * RT_READY. drop (may be NULL) frees it, whether it finished or not; the
 * executor calls it exactly once, after the last poll. */
struct rt_future {
    int (*poll)(struct rt_future *self, struct rt_context *cx);
    void (*drop)(struct rt_future *self);
    intptr_t output; /* the result, set by poll before it returns RT_READY */
};

/* Thin wrappers over the vtable, given in src/task.c. */
struct rt_waker rt_waker_clone(const struct rt_waker *w);
void rt_waker_wake(struct rt_waker w);          /* consumes w */
void rt_waker_wake_by_ref(const struct rt_waker *w);
void rt_waker_drop(struct rt_waker w);          /* consumes w */
/* 1 if a and b wake the same target (same vtable and data). */
int rt_waker_will_wake(const struct rt_waker *a, const struct rt_waker *b);

/* ================================================================== */
/* The runtime and its tasks (Tasks 2 and 3)                          */
/* ================================================================== */

struct rt_runtime;
struct rt_join;

/* Start a runtime with nworkers worker threads (1..RT_MAX_WORKERS) and
 * its driver (the reactor and timers). 0 and *out set, or an errno
 * (EINVAL, ENOMEM, EAGAIN) and nothing left behind. */
#define RT_MAX_WORKERS 16
int rt_runtime_new(int nworkers, struct rt_runtime **out);

/* Stop the workers and the driver, then drop every task that has not
 * finished (its future's drop runs, its join handle reports RT_CANCELLED)
 * and free the runtime. Called once, from a thread that is not one of the
 * runtime's workers, after the last rt_block_on on it has returned. */
void rt_runtime_free(struct rt_runtime *rt);

/* Give fut to the runtime as a new task; it is polled first on some
 * worker soon after. From a worker of rt the task goes to that worker
 * (its LIFO slot); from any other thread to the global injector. Returns
 * the join handle (to be ended with rt_join_wait, rt_join_detach or, from
 * a future, rt_join_poll then rt_join_detach), or NULL with errno ENOMEM
 * (fut is then dropped). */
struct rt_join *rt_spawn(struct rt_runtime *rt, struct rt_future *fut);

#define RT_CANCELLED 2 /* rt_join_poll / rt_join_wait: the task was dropped unfinished */

/* From a future's poll: RT_READY and *out = the task's output once it
 * completed (RT_CANCELLED and *out = 0 if it was dropped unfinished), else
 * RT_PENDING with cx->waker stored to be woken at completion. The handle
 * stays valid: end it with rt_join_detach. */
int rt_join_poll(struct rt_join *j, struct rt_context *cx, intptr_t *out);

/* From a thread that is not a worker: wait for the task and end the
 * handle. Returns RT_READY (*out = output) or RT_CANCELLED. */
int rt_join_wait(struct rt_join *j, intptr_t *out);

/* End the handle without waiting; the task runs on. */
void rt_join_detach(struct rt_join *j);

/* Run fut to completion on the CALLING thread (not a worker), parking the
 * thread between polls; it is polled only when its waker was woken. Tasks
 * it spawns run on the workers. Returns fut->output and drops fut. */
intptr_t rt_block_on(struct rt_runtime *rt, struct rt_future *fut);

/* The runtime whose worker runs the caller, or NULL. */
struct rt_runtime *rt_current(void);

/* Counters, for tests and curiosity. Every field only grows. */
struct rt_stats {
    unsigned long polls;        /* task polls, all workers */
    unsigned long spawned;      /* tasks created */
    unsigned long completed;    /* tasks whose future returned RT_READY */
    unsigned long steals;       /* successful steal operations */
    unsigned long lifo_runs;    /* tasks taken from a LIFO slot */
    unsigned long injector_runs;/* tasks taken from the global injector */
    unsigned long parks;        /* times a worker went to sleep */
};
void rt_stats(struct rt_runtime *rt, struct rt_stats *out);

/* Tasks allocated and not yet freed, in the whole process (a task is freed
 * when its last reference - queue, waker, join handle - is gone). */
long rt_live_tasks(void);

/* ================================================================== */
/* Leaf futures: yield, sleep (Tasks 4 and 5)                         */
/* ================================================================== */

/* Ready on its second poll; on the first it wakes itself and returns
 * RT_PENDING, so the task goes to the back of the queue. Embed it (a
 * field of your future's state) and init it before the first poll. */
struct rt_yield { int yielded; };
void rt_yield_init(struct rt_yield *y);
int rt_yield_poll(struct rt_yield *y, struct rt_context *cx);

/* A timer: ready once ns nanoseconds have passed since rt_sleep_init.
 * Until then a poll registers cx->waker with the runtime's timers (a
 * later poll replaces it) and returns RT_PENDING; the driver wakes it at
 * the deadline (never before). rt_sleep_cancel must end every rt_sleep
 * (ready or not) before its memory goes: it unregisters it and drops
 * the stored waker. */
struct rt_timer_entry;
struct rt_sleep {
    struct rt_runtime *rt;
    uint64_t deadline_ns;         /* CLOCK_MONOTONIC */
    struct rt_timer_entry *entry; /* owned by the runtime's timers; NULL until first poll */
};
void rt_sleep_init(struct rt_sleep *s, struct rt_runtime *rt, uint64_t ns);
int rt_sleep_poll(struct rt_sleep *s, struct rt_context *cx);
void rt_sleep_cancel(struct rt_sleep *s);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t rt_now_ns(void);

/* ================================================================== */
/* The reactor and async TCP (Task 6)                                  */
/* ================================================================== */

/* A non-blocking TCP socket registered with rt's reactor (epoll,
 * edge-triggered). Its read and write sides each keep one waker. */
struct rt_tcp;

/* Listen on 127.0.0.1:port (0: the kernel picks; see rt_tcp_port). 0 or an
 * errno. */
int rt_tcp_listen(struct rt_runtime *rt, uint16_t port, struct rt_tcp **out);
uint16_t rt_tcp_port(const struct rt_tcp *s);

/* Start a connection to 127.0.0.1:port; finish it with rt_tcp_poll_connect.
 * 0 or an errno. */
int rt_tcp_connect(struct rt_runtime *rt, uint16_t port, struct rt_tcp **out);

/* The poll-style operations: RT_READY with the result, or RT_PENDING with
 * cx->waker stored on the socket's side (read side for accept and read,
 * write side for connect and write) to be woken on readiness. A result
 * < 0 is -errno; read's 0 is end of stream. */
int rt_tcp_poll_accept(struct rt_tcp *l, struct rt_context *cx, struct rt_tcp **conn, int *err);
int rt_tcp_poll_connect(struct rt_tcp *s, struct rt_context *cx, int *err);
int rt_tcp_poll_read(struct rt_tcp *s, struct rt_context *cx, void *buf, size_t n, ssize_t *res);
int rt_tcp_poll_write(struct rt_tcp *s, struct rt_context *cx, const void *buf, size_t n, ssize_t *res);

/* Deregister, drop the stored wakers, close the fd, free. */
void rt_tcp_close(struct rt_tcp *s);

#endif
