/*
 * mn.h - lab 03, M:N threading: M user threads on N carriers. The whole
 * student API.
 *
 * Kit-owned and read-only: the tests include it. You write the functions in
 * src/mn.c; each banner names the handout task that builds it.
 *
 * The model. mn_init(N) starts N kernel threads (pthreads), the CARRIERS.
 * Each carrier owns a local run queue; one more queue, the GLOBAL queue, is
 * shared by all. A user thread is a stack and a saved context: a carrier
 * takes one from a queue, switches to it, and runs it until it gives the
 * carrier back (mn_yield, blocking on an mn_mutex / mn_cond / mn_join, or
 * exit). Then the carrier picks the next one. Nothing preempts a user
 * thread. So at most N user threads run at once, on different CPUs.
 *
 *   - mn_spawn from a user thread, and a user thread made runnable by one
 *     (mn_yield, an unlock, a signal, an exit that wakes a joiner), goes to
 *     the tail of the LOCAL queue of the carrier the caller runs on; from
 *     any other kernel thread it goes to the GLOBAL queue.
 *   - A carrier takes work from its local queue, then the global queue,
 *     then steals from another carrier's local queue; and at least every
 *     MN_GLOBAL_EVERY-th time it picks, it looks at the global queue first,
 *     so the global queue is never starved.
 *   - A carrier with nothing to run PARKS: it sleeps in the kernel and uses
 *     no CPU until someone queues work. It never spins.
 *   - Blocking on an mn_mutex or mn_cond, or in mn_join, parks the USER
 *     thread; its carrier goes on running the others.
 *   - A blocking system call would hold the carrier hostage: wrap it in
 *     mn_block_begin() / mn_block_end(). Begin hands the caller's carrier
 *     (its queue and its place among the N) to a spare kernel thread, so
 *     the others keep running; end gives the caller back to the scheduler.
 *
 * One runtime per process. Error convention: the mn_* functions return
 * -1 and set errno; mn_mutex_* and mn_cond_* return 0 or an error number,
 * as pthreads does. Misuse that cannot be reported (mn_exit outside a user
 * thread, a broken invariant) stops the program with an "mn panic" line.
 *
 * Forbidden in your objects: swapcontext, makecontext, getcontext,
 * setcontext and the setjmp/longjmp family, and the pthread primitives that
 * would park a CARRIER instead of a user thread in your mutex and condvar
 * (sem_*, pthread_spin_*). The context switch is given (src/mn_switch.S).
 */
#ifndef MN_H
#define MN_H

#include <pthread.h>
#include <stddef.h>

/* A user thread's id: > 0, never reused within one runtime (mn_init to
 * mn_shutdown), given 1, 2, 3, ... in spawn order. 0 means "none". */
typedef long mn_t;

#define MN_MAX_CARRIERS 64          /* mn_init(n): 1 <= n <= this */
#define MN_STACK_SIZE (64 * 1024)   /* usable stack of each user thread */
#define MN_GLOBAL_EVERY 61          /* see "the model" above */

struct mn_thread; /* private: src/mn_internal.h */

/* ================================================================== */
/* The runtime                                     src/mn.c, Tasks 2-3  */
/* ================================================================== */

/* A kernel thread that is not a carrier. Start n carriers; they park at
 * once (no user thread exists yet). 0, or -1 with errno EINVAL (n out of
 * range), EBUSY (a runtime is already up), EAGAIN (pthread_create failed),
 * ENOMEM; on failure nothing is left running or allocated. */
int mn_init(int n);

/* The kernel thread that called mn_init. Wait until every user thread has
 * exited (user threads may still spawn others meanwhile), stop every
 * carrier and spare, join them and free everything, unjoined threads'
 * records included; mn_init may then be called again. 0, or -1 with errno
 * EPERM (no runtime, or called from a user thread or a carrier). */
int mn_shutdown(void);

/* Anyone while the runtime is up (a user thread or any kernel thread).
 * Create a user thread that runs fn(arg) on a fresh MN_STACK_SIZE stack
 * with a guard page below it; returning from fn is mn_exit(its value).
 * Queued as "the model" says; the caller goes on running. Returns its id,
 * or -1 with errno EPERM (no runtime, or mn_shutdown has begun and the
 * caller is not a user thread), EINVAL (fn NULL), ENOMEM. */
mn_t mn_spawn(void *(*fn)(void *arg), void *arg);

/* The calling user thread's id; 0 outside a user thread. */
mn_t mn_self(void);

/* The index (0 .. n-1) of the carrier the calling user thread runs on right
 * now; it may change at every mn_yield or block. -1 outside a user thread
 * and between mn_block_begin and mn_block_end (the caller holds none). */
int mn_carrier(void);

/* A user thread: give the carrier to the next thread; the caller goes to
 * the tail of its carrier's local queue. A no-op anywhere else. */
void mn_yield(void);

/* A user thread outside a block section: end it with retval. Never
 * returns. Anywhere else: a panic. */
__attribute__((noreturn)) void mn_exit(void *retval);

/* Anyone. Wait until thread id has exited, store its return value in
 * *retval (if not NULL) and forget it (its id is never valid again). A
 * user thread parks (its carrier runs the others); a kernel thread sleeps.
 * 0, or -1 with errno EPERM (no runtime), ESRCH (no such id was ever
 * given), EINVAL (already joined, or someone else is joining it),
 * EDEADLK (id is the caller). */
int mn_join(mn_t id, void **retval);

/* Counters, for tests and curiosity. Each is exact once the runtime is
 * quiet; while threads run, a snapshot. */
struct mn_stats {
    unsigned long local_runs;  /* picks from the picker's own local queue */
    unsigned long global_runs; /* picks from the global queue */
    unsigned long steals;      /* picks from another carrier's local queue */
    unsigned long parks;       /* times a carrier went to sleep idle */
    unsigned long spares;      /* kernel threads started by mn_block_begin */
    int kthreads;              /* kernel threads alive: carriers + spares */
};

/* Anyone while the runtime is up. 0, or -1 with errno EPERM, EINVAL. */
int mn_stats(struct mn_stats *out);

/* ================================================================== */
/* Blocking system calls                               src/mn.c, Task 6 */
/* ================================================================== */

/* A user thread, not already in a block section. The caller is about to
 * make a system call that may block: its carrier (the local queue and the
 * place among the N) passes to a spare kernel thread, started if none is
 * idle, and the caller keeps this kernel thread to itself until
 * mn_block_end. Between the two it may make any system calls, but call
 * no mn_* function that could switch (yield is a no-op, blocking is a
 * panic). 0, or -1 with errno EPERM (not a user thread), EINVAL (already
 * in a block section), EAGAIN (no spare could be started: then the caller
 * keeps its carrier, and blocking stalls it as without the call). */
int mn_block_begin(void);

/* The same user thread, after the call. It goes to the global queue and
 * returns once a carrier runs it again; the kernel thread it was on
 * becomes a spare. 0, or -1 with errno EPERM, EINVAL (not in a block
 * section). */
int mn_block_end(void);

/* ================================================================== */
/* A mutex and a condition variable for user threads   src/mn.c, Task 5 */
/* ================================================================== */

/* Both park the waiting USER thread, never its carrier. The fields are
 * private: only the functions below touch them. */
typedef struct mn_mutex {
    pthread_mutex_t guard;   /* a short lock around the fields below */
    struct mn_thread *owner; /* NULL when free */
    struct mn_thread *head;  /* user threads waiting, FIFO */
    struct mn_thread *tail;
} mn_mutex_t;

typedef struct mn_cond {
    pthread_mutex_t guard;
    struct mn_thread *head;  /* user threads waiting, FIFO */
    struct mn_thread *tail;
} mn_cond_t;

/* Anyone, on a mutex nobody uses. 0. */
int mn_mutex_init(mn_mutex_t *m);
/* Anyone. 0, or EBUSY (locked, or threads wait on it). */
int mn_mutex_destroy(mn_mutex_t *m);
/* User threads only (EPERM otherwise). Lock it; if another user thread
 * holds it, park until that one unlocks and hands it over. Waiters get the
 * mutex in FIFO order. 0, or EPERM, EDEADLK (the caller holds it). */
int mn_mutex_lock(mn_mutex_t *m);
/* The owner. Unlock: the longest waiter, if any, owns it now and is
 * runnable. 0, or EPERM (the caller does not hold it). */
int mn_mutex_unlock(mn_mutex_t *m);

/* Anyone, on a condvar nobody uses. 0. */
int mn_cond_init(mn_cond_t *c);
/* Anyone. 0, or EBUSY (threads wait on it). */
int mn_cond_destroy(mn_cond_t *c);
/* A user thread holding m. Atomically unlock m and park on c; when woken,
 * lock m again before returning. No spurious wakeups, but re-test your
 * predicate anyway: another thread may run first. 0, or EPERM. */
int mn_cond_wait(mn_cond_t *c, mn_mutex_t *m);
/* Anyone. Make the longest waiter (signal) or all waiters (broadcast)
 * runnable. 0. */
int mn_cond_signal(mn_cond_t *c);
int mn_cond_broadcast(mn_cond_t *c);

#endif
