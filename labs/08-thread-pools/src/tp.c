/*
 * tp.c - Tasks 2 to 6: a pool of worker threads over a bounded ring.
 *
 * One mutex (p->lock) guards the ring, the counters and the worker table.
 * Two condition variables say why a thread waits: not_empty (a worker with
 * nothing to do) and not_full (a TP_BLOCK submitter facing a full ring).
 * Every wait sits in a loop that re-tests its predicate under the lock.
 */
#include "tp.h"
#include "tp_internal.h"

#include <errno.h>
#include <stdint.h>

/* TODO 2.2: the worker. Write the static helpers the functions below
 *           need, above them. The reference has these (tp_internal.h has
 *           the structs it uses):
 *   run_task(t)     call t->fn(t->arg, &v) with v = 0, WITHOUT the pool's
 *                   lock, then complete t->fut (if any) with TP_DONE, the
 *                   return value and v.
 *   worker_main(w)  the thread function: lock; loop { take a task (its
 *                   handed-over first task, else from the ring); unlock;
 *                   run it; lock; completed++ }; on leaving: live--, mark
 *                   its slot EXITED, unlock.
 *   next_task(p,&t) the wait for work, lock held: idle++; WHILE the ring
 *                   is empty and the pool runs, wait on not_empty; idle--.
 *                   Ring empty now -> leave (the pool is shutting down and
 *                   everything accepted has run). Else take ring[head],
 *                   advance head, count--, signal not_full if a submitter
 *                   is blocked.
 *   spawn(p,first)  lock held: find a slot that is not LIVE (join it first
 *                   if it is EXITED), pthread_create worker_main on it;
 *                   on success mark it LIVE, live++, spawned++.
 *   join_all(p)     after the pool stopped running: pthread_join every
 *                   slot that is not FREE, reading the slot under the lock
 *                   but joining without it (the worker needs the lock to
 *                   leave); mark FREE; finally joined = 1.
 * TODO 5.2: keep-alive, in next_task: compute ONE deadline, now +
 *           keepalive_ms, when the worker starts waiting. While live >
 *           core, wait with pthread_cond_timedwait on it; on ETIMEDOUT,
 *           if the ring is still empty, the pool still runs and live is
 *           still > core (test under the lock: two workers may time out
 *           together), retired++ and leave. At or below core: plain wait. */

int tp_create(tp_pool **out, const struct tp_config *cfg)
{
    /* TODO 2.1: check cfg (EINVAL: see tp.h), allocate the pool, the ring
     *           of queue_cap tasks and the table of max worker slots
     *           (ENOMEM, freeing what you got). Initialise the lock and
     *           both condvars (not_empty on CLOCK_MONOTONIC: Task 5 waits
     *           on it with a deadline). Start cfg->core workers. If one
     *           pthread_create fails: stop and join those started, free
     *           everything, return its error. */
    return ENOSYS;
}

int tp_submit(tp_pool *p, tp_fn fn, void *arg, struct tp_future *fut)
{
    /* TODO 2.3: EINVAL for p or fn NULL; initialise fut (if not NULL)
     *           with tp_future_init. Lock. In a loop: shut down ->
     *           ESHUTDOWN; a free slot -> store {fn, arg, fut} at
     *           (head + count) % cap, count++, signal not_empty (if a
     *           worker is idle), done; full -> (Task 4, TP_BLOCK) count
     *           yourself in `blocked`, wait on not_full, count yourself
     *           out, and test everything again.
     * TODO 4.1: full and TP_REJECT -> rejected++, EAGAIN.
     * TODO 4.2: full and TP_CALLER_RUNS -> caller_ran++, and run the task
     *           HERE, after the unlock, then completed++ under the lock.
     * TODO 5.1: full and fewer than max workers live -> start a worker
     *           that runs this task first (before the policy).
     *           On every error, fut must be left uninitialised (destroy
     *           its mutex and condvar): the caller will not destroy it. */
    return ENOSYS;
}

int tp_stats(tp_pool *p, struct tp_stats *st)
{
    /* TODO 2.4: copy every counter into *st under the lock (one snapshot). */
    return ENOSYS;
}

int tp_shutdown(tp_pool *p)
{
    /* TODO 2.5: EALREADY unless running; mark the pool draining, wake
     *           EVERY waiter of both condvars, unlock, then join every
     *           worker thread that was started (not under the lock: a
     *           worker needs it to finish). Workers leave their loop when
     *           the ring is empty AND the pool is no longer running: so
     *           every task accepted before the shutdown still runs. */
    return ENOSYS;
}

int tp_shutdown_now(tp_pool *p, struct tp_task **unrun, size_t *n)
{
    /* TODO 3.1: EINVAL for NULLs; allocate room for queue_cap tasks
     *           BEFORE locking (ENOMEM: change nothing). Under the lock:
     *           EALREADY unless running; mark the pool stopped, copy the
     *           queued tasks out in order AND empty the ring in the same
     *           critical section (a worker must never run a task you hand
     *           back), wake every waiter. After the unlock: complete the
     *           futures of the tasks taken out as TP_CANCELLED, join every
     *           worker (tasks already running finish), hand the array back
     *           (NULL and *n = 0 if empty). */
    return ENOSYS;
}

int tp_destroy(tp_pool *p)
{
    /* TODO 2.6: EBUSY unless a shutdown has joined every worker; else
     *           destroy the condvars and the lock, free everything. */
    return ENOSYS;
}

unsigned tp_size_for(unsigned ncpu, long wait_ns, long compute_ns)
{
    /* TODO 6.1: ncpu * (1 + wait_ns / compute_ns), exactly: compute
     *           ncpu * (compute_ns + wait_ns) / compute_ns in integers wide
     *           enough not to overflow (unsigned __int128), rounded UP,
     *           capped at TP_MAX_THREADS. 0 for ncpu 0, compute_ns <= 0,
     *           wait_ns < 0. */
    return 0;
}
