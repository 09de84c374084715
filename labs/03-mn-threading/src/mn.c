/*
 * mn.c - M:N threading: user threads on N carriers (handout Tasks 1 to 6).
 *
 * One runtime per process (rt). N workers (pthreads) each hold a carrier
 * and run its loop, mn_worker_main: pick a user thread, switch to it, and
 * when it switches back, finish what it asked for (worker->after). Spare
 * workers, started by mn_block_begin, wait without a carrier until one is
 * handed to them.
 */
#include "mn_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

__attribute__((unused)) static struct mn_runtime rt = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .idle_cv = PTHREAD_COND_INITIALIZER,
    .exit_cv = PTHREAD_COND_INITIALIZER,
};

/* The worker this kernel thread is; NULL on any other kernel thread. */
static __thread struct mn_worker *mn_tls;

/* ================================================================== */
/* Given: panics, the current worker, queues                          */
/* ================================================================== */

void mn_panic_at(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mn panic at %s:%d: %s\n", file, line, msg);
    fflush(stderr);
    abort();
}

/* This kernel thread's worker. A user thread may resume on ANOTHER kernel
 * thread after any switch, but the compiler assumes a function runs on one
 * thread throughout and may keep the address of a __thread variable in a
 * register across the call to mn_switch. So every read goes through this
 * function, which it may neither inline nor analyse (noipa). */
__attribute__((noipa)) static struct mn_worker *this_worker(void)
{
    return mn_tls;
}

/* The running user thread, or NULL on a kernel thread that runs none. */
__attribute__((unused)) static struct mn_thread *this_thread(void)
{
    struct mn_worker *w = this_worker();
    return w ? w->current : NULL;
}

__attribute__((unused)) static void q_push(struct mn_queue *q, struct mn_thread *t)
{
    t->next = NULL;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
    q->n++;
}

__attribute__((unused)) static struct mn_thread *q_pop(struct mn_queue *q)
{
    struct mn_thread *t = q->head;
    if (t) {
        q->head = t->next;
        if (!q->head)
            q->tail = NULL;
        t->next = NULL;
        q->n--;
    }
    return t;
}

static void wake(struct mn_thread *t, int locked);

/* ================================================================== */
/* Stacks and the first frame                                  Task 1  */
/* ================================================================== */

void mn_trampoline(void)
{
    /* TODO 1.3: the first code of a new user thread, on its own stack:
     *           mn_exit(t->fn(t->arg)) for t = this_thread(). Returning
     *           from fn IS mn_exit; there is nothing to return to. */
    MN_PANIC("mn_trampoline is not written yet: see handout task 1.3");
}

int mn_stack_init(struct mn_thread *t)
{
    /* TODO 1.1: as in lab 02: mmap MN_STACK_SIZE plus one page
     *           (PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK),
     *           make the LOWEST page PROT_NONE (the guard), store the mapping
     *           in t->map/t->map_len and register the usable part with
     *           VALGRIND_STACK_REGISTER. -1 on failure (errno from mmap).
     * TODO 1.2: the first frame: the address of mn_trampoline at top - 16,
     *           0 at top - 8, t->ctx zeroed with t->ctx.rsp = top - 16, and
     *           the caller's MXCSR and x87 control word copied into t->ctx
     *           (stmxcsr / fnstcw). */
    (void)t;
    errno = ENOSYS;
    return -1;
}

void mn_stack_free(struct mn_thread *t)
{
    /* TODO 1.4: deregister the stack from valgrind, munmap it, t->map = NULL. */
    (void)t;
}

/* ================================================================== */
/* Making a thread runnable, and waking a parked carrier     Tasks 2-4 */
/* ================================================================== */

/* t is off its stack (or new) and in no queue: queue it. From code running
 * on a carrier (a user thread, or the worker loop), on that carrier's
 * local queue; otherwise on the global queue. Then, if a carrier is
 * parked, wake one: it may take t (or steal it). locked: the caller holds
 * rt.lock already. */
__attribute__((unused)) static void make_runnable(struct mn_thread *t, int locked)
{
    /* TODO 2.2: mark t MN_RUNNABLE and push it on the global queue
     *           (rt.global, under rt.lock unless `locked`).
     * TODO 3.2: then, still under rt.lock: if a carrier is parked
     *           (rt.nidle > 0), signal rt.idle_cv.
     * TODO 4.1: code running on a carrier (this_worker() with a carrier)
     *           pushes on that carrier's local queue instead, under the
     *           carrier's lock, released BEFORE taking rt.lock. */
    (void)t;
    (void)locked;
    MN_PANIC("make_runnable is not written yet: see handout task 2.2");
}


/* The next user thread for worker w's carrier; parks when there is none.
 * NULL when the runtime stops. */
__attribute__((unused)) static struct mn_thread *find_work(struct mn_worker *w)
{
    /* TODO 2.3: return the head of the global queue (under rt.lock); with
     *           an empty queue, return NULL if rt.stop, else look again.
     * TODO 3.1: do not spin: with nothing to run, rt.nidle++ and wait on
     *           rt.idle_cv, all under rt.lock and after one more look at
     *           the queues under that lock (handout: "Idle carriers sleep").
     * TODO 4.2: local queue first, then global, then steal from another
     *           carrier's local queue; every MN_GLOBAL_EVERY-th pick
     *           (count down w->carrier->countdown) try the global queue
     *           first. */
    (void)w;
    MN_PANIC("find_work is not written yet: see handout task 2.3");
}

/* ================================================================== */
/* The carriers' loop                                          Task 2  */
/* ================================================================== */


void *mn_worker_main(void *arg)
{
    /* TODO 2.4: set mn_tls = w and w->fiber = MN_TSAN_CURRENT(). Loop:
     *           t = find_work(w) (NULL: return); mark t MN_RUNNING, make it
     *           w->current, MN_TSAN_SWITCH(t->fiber) and
     *           mn_switch(&w->ctx, &t->ctx). When that returns, t is off its
     *           stack: do what w->after says (make_runnable, finish
     *           a park (Task 5.1), or finish an exit: free the stack, destroy
     *           the fiber, zombie + nlive-- + wake joiners under rt.lock).
     * TODO 6.3: MN_AFTER_BLOCK_END: this worker lent its carrier away.
     *           Under rt.lock: put it on rt.spares FIRST, then queue t
     *           (global: we hold no carrier), then wait on w->cv until a
     *           carrier is handed over (continue) or rt.stop (return). */
    (void)arg;
    return NULL;
}


/* ================================================================== */
/* Parking a user thread                                       Task 5  */
/* ================================================================== */

/* Parking is in two steps, because no lock may be held across a switch:
 * park_prepare(t), called while t puts itself on a wait queue (under that
 * queue's lock), says "t is on its way out"; then t releases the queue's
 * lock and park_commit(t) switches to the worker. A waker may pop t in
 * between: wake(t) then only leaves a note (wake_pending), and the worker,
 * once t is off its stack, queues it. Otherwise wake(t) queues it. */
__attribute__((unused)) static void park_prepare(struct mn_thread *t)
{
    /* TODO 5.1: panic in a block section; under t->plock set t->parking
     *           and the state MN_BLOCKED. */
    (void)t;
    MN_PANIC("park_prepare is not written yet: see handout task 5.1");
}

__attribute__((unused)) static void park_commit(struct mn_thread *t)
{
    /* TODO 5.1: switch to the worker with MN_AFTER_PARK; the worker then
     *           clears t->parking under t->plock and, if wake_pending was
     *           set meanwhile, clears it and make_runnable(t, 0). */
    (void)t;
}

/* Make the parked (or parking) thread t runnable. locked: as make_runnable. */
__attribute__((unused)) static void wake(struct mn_thread *t, int locked)
{
    /* TODO 5.1: under t->plock: still parking? set wake_pending (its worker
     *           will queue it). Else, after unlocking, make_runnable. */
    (void)t;
    (void)locked;
}


/* ================================================================== */
/* The runtime                                                 Task 2  */
/* ================================================================== */

int mn_init(int n)
{
    /* TODO 2.1: EINVAL for n out of range; EBUSY if the runtime is up.
     *           Under rt.lock: calloc rt.carriers (index, lock, countdown
     *           = MN_GLOBAL_EVERY), set rt.n,
     *           rt.next_id = 1, rt.owner = pthread_self(); start one worker
     *           per carrier (calloc a struct mn_worker, its cv, its carrier,
     *           pthread_create(mn_worker_main), link it on rt.workers). On
     *           a failure stop and join those already started and free all:
     *           EAGAIN for pthread_create, ENOMEM for memory. */
    (void)n;
    errno = ENOSYS;
    return -1;
}

int mn_shutdown(void)
{
    /* TODO 2.6: EPERM unless the runtime is up and the caller is the
     *           kernel thread that called mn_init. Set rt.closing, wait on
     *           rt.exit_cv until rt.nlive == 0, then set rt.stop, wake
     *           every parked carrier and spare, join every worker (without
     *           holding rt.lock), free workers, carriers, the records left
     *           in rt.table and the table, and reset rt for a new mn_init. */
    errno = ENOSYS;
    return -1;
}

mn_t mn_spawn(void *(*fn)(void *), void *arg)
{
    /* TODO 2.5: EINVAL for a NULL fn; calloc the record and mn_stack_init
     *           it (ENOMEM); store fn and arg. Under rt.lock: EPERM if the
     *           runtime is down (or closing, for a caller that is not a
     *           user thread); give it the next id in rt.table (grow it with
     *           realloc: ENOMEM), count it in rt.nlive, create its fiber
     *           (MN_TSAN_CREATE) and make_runnable(t, 1). Undo everything
     *           on each failure. */
    (void)fn;
    (void)arg;
    errno = ENOSYS;
    return -1;
}

mn_t mn_self(void)
{
    /* TODO 2.7: the running user thread's id, 0 outside one. */
    return 0;
}

int mn_carrier(void)
{
    /* TODO 2.7: the index of this worker's carrier while it runs a user
     *           thread, -1 otherwise. */
    return -1;
}

void mn_yield(void)
{
    /* TODO 2.8: in a user thread (and not in a block section): set the
     *           worker's `after` to MN_AFTER_YIELD, MN_TSAN_SWITCH to the
     *           worker's fiber and mn_switch(&t->ctx, &worker->ctx). The
     *           worker queues t once t is off its stack. */
}

void mn_exit(void *retval)
{
    /* TODO 2.9: panic outside a user thread or in a block section. Store
     *           retval and switch to the worker with MN_AFTER_EXIT: it
     *           frees the stack we stand on, which we cannot do ourselves. */
    (void)retval;
    MN_PANIC("mn_exit is not written yet: see handout task 2.9");
}

int mn_join(mn_t id, void **retval)
{
    /* TODO 2.10: under rt.lock: EPERM, ESRCH, EDEADLK, EINVAL (mn.h).
     *            Unless t->exited: a user thread records itself in
     *            t->joiner, park_prepare, unlocks rt.lock and park_commit
     *            (Task 5.1; finish_exit wakes it); a kernel thread sets t->kjoined and waits on
     *            rt.exit_cv. Then hand out t->retval, clear rt.table[id],
     *            unlock and free the record. */
    (void)id;
    (void)retval;
    errno = ENOSYS;
    return -1;
}

int mn_stats(struct mn_stats *out)
{
    /* TODO 2.11: EINVAL for NULL, EPERM when down; else fill *out from the
     *            counters (each read under the lock that guards it). */
    (void)out;
    errno = ENOSYS;
    return -1;
}

/* ================================================================== */
/* Blocking system calls                                       Task 6  */
/* ================================================================== */

int mn_block_begin(void)
{
    /* TODO 6.1: EPERM outside a user thread, EINVAL inside a block
     *           section. Under rt.lock: hand this worker's carrier to a
     *           parked spare (pop rt.spares, set its carrier, signal its
     *           cv) or to a new worker (count rt.spares_started; EAGAIN if
     *           it cannot be started: keep the carrier). The worker has no
     *           carrier now; mark the thread blocking. */
    errno = ENOSYS;
    return -1;
}

int mn_block_end(void)
{
    /* TODO 6.2: EPERM, EINVAL (not in a block section). Clear blocking and
     *           switch to the worker with MN_AFTER_BLOCK_END: it queues t
     *           on the global queue, then (having no carrier) waits as a
     *           spare (Task 6.3). */
    errno = ENOSYS;
    return -1;
}

/* ================================================================== */
/* Mutex and condition variable                                Task 5  */
/* ================================================================== */

int mn_mutex_init(mn_mutex_t *m)
{
    /* TODO 5.2: zero the fields and init the guard. */
    (void)m;
    return ENOSYS;
}

int mn_mutex_destroy(mn_mutex_t *m)
{
    /* TODO 5.2: EBUSY when owned or waited on; else destroy the guard. */
    (void)m;
    return ENOSYS;
}

int mn_mutex_lock(mn_mutex_t *m)
{
    /* TODO 5.3: EPERM outside a user thread. Under m->guard: a free mutex
     *           becomes ours; EDEADLK if we hold it; else append us to the
     *           wait queue, park_prepare, unlock the guard, park_commit.
     *           When we run again the
     *           unlocker has made us the owner (no retry loop needed). */
    (void)m;
    return ENOSYS;
}

int mn_mutex_unlock(mn_mutex_t *m)
{
    /* TODO 5.4: EPERM unless the caller owns m. Under m->guard: pop the
     *           first waiter and make it the owner (NULL: free). After
     *           unlocking the guard, wake the new owner. */
    (void)m;
    return ENOSYS;
}

int mn_cond_init(mn_cond_t *c)
{
    /* TODO 5.5 */
    (void)c;
    return ENOSYS;
}

int mn_cond_destroy(mn_cond_t *c)
{
    /* TODO 5.5 */
    (void)c;
    return ENOSYS;
}

int mn_cond_wait(mn_cond_t *c, mn_mutex_t *m)
{
    /* TODO 5.6: EPERM outside a user thread or if we do not own m (no
     *           lock: only we change m->owner from us). Under c->guard:
     *           queue us on c, park_prepare; unlock the guard; THEN
     *           mn_mutex_unlock(m); park_commit; when woken,
     *           mn_mutex_lock(m). */
    (void)c;
    (void)m;
    return ENOSYS;
}

int mn_cond_signal(mn_cond_t *c)
{
    /* TODO 5.7: pop the first waiter under c->guard; wake() it after
     *           unlocking the guard. */
    (void)c;
    return ENOSYS;
}

int mn_cond_broadcast(mn_cond_t *c)
{
    /* TODO 5.7: take the whole queue under c->guard, then wake each
     *           (read ->next first: a woken thread is relinked). */
    (void)c;
    return ENOSYS;
}
