/*
 * ws.h - lab 09, work stealing: a Chase-Lev deque and a fork-join
 * scheduler on it. The whole student API.
 *
 * Kit-owned and read-only: the tests include it. You write the deque in
 * src/ws_deque.c and the scheduler in src/ws_pool.c; each banner names the
 * handout task that builds it.
 *
 * The deque (Chase and Lev, SPAA 2005; the C11 memory orders of Le, Pop,
 * Cohen and Zappa Nardelli, PPoPP 2013). One thread, the OWNER, pushes and
 * pops at the bottom (LIFO, no lock, no CAS except when one item is left);
 * any number of THIEVES take from the top (FIFO) with one CAS each. The
 * array is circular and grows, by doubling, when the owner pushes on a
 * full one, even while thieves are reading it: an old array is never freed
 * before ws_deque_free, since a slow thief may still be reading it.
 *
 * The scheduler. ws_pool_new(N) starts N workers (pthreads), each owning
 * one deque. A task that runs on a worker may ws_spawn children (pushed on
 * that worker's deque) and ws_join them. A worker runs what it pops from
 * its own deque; with nothing there it steals from a victim chosen at
 * random; with nothing anywhere it PARKS (sleeps in the kernel) until work
 * is pushed. A worker waiting in ws_join runs other tasks meanwhile.
 *
 * Error convention: functions returning int give 0 or an error number
 * (EINVAL, ENOMEM, EPERM); ws_pool_new and ws_spawn return NULL and set
 * errno. A broken invariant stops the program with a "ws panic" line.
 *
 * Forbidden in your objects: any library scheduler (OpenMP's GOMP_*,
 * omp_*, TBB): the point is to write one.
 */
#ifndef WS_H
#define WS_H

#include <stddef.h>
#include <stdint.h>

/* ================================================================== */
/* The deque                                   src/ws_deque.c, Task 1  */
/* ================================================================== */

struct ws_deque; /* private: src/ws_internal.h */

/* Any thread, before the deque is shared: a deque of void * items whose
 * array starts with room for 2^log_cap items (0 <= log_cap <= 30) and
 * doubles as needed. NULL and errno EINVAL / ENOMEM on failure. */
struct ws_deque *ws_deque_new(unsigned log_cap);

/* After every thread that used the deque is done with it (joined): frees
 * the deque, its array and every array it has outgrown. Items still in it
 * are dropped (they are the caller's). NULL does nothing. */
void ws_deque_free(struct ws_deque *d);

/* OWNER only: put item (any value but NULL) at the bottom. Grows the
 * array when it is full. 0, or EINVAL (NULL item), ENOMEM (growth failed:
 * the deque is unchanged). */
int ws_deque_push(struct ws_deque *d, void *item);

/* OWNER only: take the item at the bottom (the one pushed last). Returns
 * it, or NULL when the deque is empty (or a thief took the last item). */
void *ws_deque_pop(struct ws_deque *d);

/* What ws_deque_steal returns besides an item. */
#define WS_EMPTY ((void *)0)     /* nothing to steal */
#define WS_ABORT ((void *)1)     /* lost a race for the top item: try again */

/* ANY thread (thieves; the owner too): take the item at the top (the
 * oldest). Returns it, WS_EMPTY, or WS_ABORT when another thief or the
 * owner took that item first. Every pushed item is returned by exactly one
 * pop or steal. Items are therefore never (void *)1. */
void *ws_deque_steal(struct ws_deque *d);

/* Any thread: items in the deque now (bottom - top; a hint when others
 * run), and the size of its current array. */
long ws_deque_size(struct ws_deque *d);
long ws_deque_capacity(struct ws_deque *d);

/* ================================================================== */
/* The scheduler                            src/ws_pool.c, Tasks 2-4   */
/* ================================================================== */

struct ws_pool; /* private */
struct ws_task; /* private: a spawned task, until it is joined */

typedef void (*ws_fn)(void *arg);

#define WS_MAX_WORKERS 64

/* Any thread: start a pool of n workers (1 <= n <= WS_MAX_WORKERS), each
 * with its own deque. They park until there is work. NULL and errno
 * EINVAL / ENOMEM / the pthread_create error. */
struct ws_pool *ws_pool_new(int n);

/* Any thread that is not one of p's workers: run fn(arg) as a task on p
 * and return when it has returned (and with it, since each task joins
 * what it spawns, everything it spawned). Several threads may call it at
 * once. 0, or EINVAL (NULL p or fn), EPERM (called from a worker: a task
 * uses ws_spawn/ws_join instead), ENOMEM. */
int ws_pool_run(struct ws_pool *p, ws_fn fn, void *arg);

/* The thread that called ws_pool_new, with no ws_pool_run in progress:
 * stop the workers (they finish nothing: there is nothing left), join
 * them and free everything. NULL does nothing. */
void ws_pool_free(struct ws_pool *p);

/* A task running on a worker: push fn(arg) on this worker's deque, wake
 * a parked worker if there is one, and return the handle to join. NULL
 * and errno EPERM (not on a worker), EINVAL (NULL fn), ENOMEM. */
struct ws_task *ws_spawn(ws_fn fn, void *arg);

/* The task that spawned t, exactly once per spawned task (in any order):
 * return when fn(arg) has returned, running other tasks meanwhile (t
 * itself if nobody stole it). Frees t. EPERM if not on a worker. */
int ws_join(struct ws_task *t);

/* A task: the index (0 .. n-1) of the worker running it; -1 on a thread
 * that is not a worker. */
int ws_worker_id(void);

struct ws_stats {
    unsigned long spawned;   /* ws_spawn calls that succeeded */
    unsigned long executed;  /* tasks run to completion (roots included) */
    unsigned long steals;    /* tasks a worker took from another's deque */
    unsigned long parks;     /* times a worker went to sleep for lack of work */
};

/* Any thread: the counts since ws_pool_new, summed over the workers (read
 * while tasks run, each count is a recent value). 0 or EINVAL. */
int ws_pool_stats(struct ws_pool *p, struct ws_stats *out);

#endif
