/*
 * lc.h - lab 06, the thread lifecycle: the whole student API.
 *
 * Kit-owned and read-only. You write the functions in src/; each banner
 * names its file and task. A thread made by lc_create is an "lc thread":
 * the layer records every state it passes through, lets other threads
 * join, detach and cancel it, and runs its cleanup handlers when it ends.
 *
 * States and who moves a thread between them (the log records each move):
 *
 *   CREATED    lc_create, the creator: the record exists.
 *   RUNNABLE   lc_create, the creator, just before pthread_create (handed
 *              to the kernel's scheduler); or, from BLOCKED, whoever ends
 *              the wait: lc_cond_signal/broadcast (the waker), lc_cancel
 *              (the canceller), the thread being joined as it terminates,
 *              or the waiter itself when its time is up.
 *   RUNNING    the thread itself: first thing it does, and again when it
 *              returns from a wait of the layer.
 *   BLOCKED    the thread itself, entering lc_sleep or lc_cond_wait, or
 *              lc_join / lc_timedjoin of a thread not yet TERMINATED.
 *   TERMINATED the thread itself, after its cleanup handlers ran, as its
 *              very last change (return from fn, lc_exit or cancellation).
 *
 * Cancellation is the layer's own, deferred and cooperative: lc_cancel only
 * marks a request (and ends a wait of the layer); the target acts on it at
 * its next cancellation point (lc_testcancel, lc_sleep, lc_cond_wait) while
 * its cancel state is ENABLE. Acting means: run the cleanup handlers, last
 * pushed first, then terminate with exit value LC_CANCELED. It never uses
 * pthread cancellation: pthread_testcancel, pthread_setcancelstate,
 * pthread_setcanceltype and pthread_{timed,try,clock}join_np are forbidden
 * in your objects, and the tests' threads run with pthread cancellation
 * disabled. pthread_cancel itself is for Task 7 only.
 *
 * Error convention, as pthreads: int functions return 0 or an errno value,
 * never -1. The codes for misuse are part of the contract:
 *   EINVAL   NULL argument, bad value; join/detach of a detached thread;
 *            a second join while another thread is joining.
 *   EDEADLK  a thread joins itself.
 *   EPERM    a call only an lc thread may make, made by another thread.
 *   ETIMEDOUT lc_timedjoin's time ran out (the thread stays joinable).
 *   ENOSPC   the cleanup stack is full; ENOENT: it is empty.
 *   ENOMEM, EAGAIN  lc_create could not get memory or a thread.
 * Handles: a joinable thread's handle is valid until lc_join/lc_timedjoin
 * returns 0 for it. A detached thread frees its own record when it ends,
 * so its handle may be used only while the caller knows it has not ended.
 * Using a handle after that is undefined (as with pthread_t).
 */
#ifndef LC_H
#define LC_H

#include <pthread.h>
#include <stdint.h>

/* ================================================================== */
/* States, the state log, panics                      src/lc.c, Task 1 */
/* ================================================================== */

enum lc_state {
    LC_CREATED,
    LC_RUNNABLE,
    LC_RUNNING,
    LC_BLOCKED,
    LC_TERMINATED,
};

/* An lc thread's record: one heap allocation (malloc/calloc) per thread,
 * and the handle IS its address; it is released with free() (the tests
 * watch free() to see a detached thread's record go). Its fields are
 * yours: src/lc_internal.h. */
typedef struct lc_thread lc_thread;

/* The exit value of a cancelled thread (like PTHREAD_CANCELED). */
#define LC_CANCELED ((void *)(intptr_t)-1)

/* Entries kept per thread in its state log; later moves are counted but
 * not stored. */
#define LC_LOG_MAX 64

/* Any thread, on a valid handle. The thread's current state. */
enum lc_state lc_state(lc_thread *t);

/* Any thread, on a valid handle. Copies the first min(n, LC_LOG_MAX,
 * count) states t has entered, oldest first, into out; returns count, the
 * number of states it has entered in all (>= 1: CREATED is the first), or
 * -1 for t NULL. Each entry differs from the one before it. */
int lc_state_log(lc_thread *t, enum lc_state *out, int n);

/* "CREATED", "RUNNABLE", ...; "?" for a value out of range. */
static inline const char *lc_state_name(enum lc_state s)
{
    static const char *const names[] = {"CREATED", "RUNNABLE", "RUNNING",
                                        "BLOCKED", "TERMINATED"};
    return (unsigned)s < 5 ? names[s] : "?";
}

/* Stop the program: print file:line, what failed, err's meaning (err 0:
 * "an invariant was false"), then abort(). Any thread; never returns. */
__attribute__((noreturn))
void lc_panic_at(const char *file, int line, const char *what, int err);

/* LC_CHECK(pthread_mutex_lock(&m)): a pthread call that cannot fail in a
 * correct program. LC_ASSERT(cond): an invariant the code relies on. */
#define LC_CHECK(call)                                                        \
    do {                                                                      \
        int lc_rc_ = (call);                                                  \
        if (lc_rc_ != 0)                                                      \
            lc_panic_at(__FILE__, __LINE__, #call, lc_rc_);                   \
    } while (0)
#define LC_ASSERT(cond)                                                       \
    do {                                                                      \
        if (!(cond))                                                          \
            lc_panic_at(__FILE__, __LINE__, "invariant " #cond, 0);           \
    } while (0)

/* ================================================================== */
/* Create, exit, self                                 src/lc.c, Task 2 */
/* ================================================================== */

/* Flags for lc_create. */
#define LC_JOINABLE 0
#define LC_DETACHED 1

/* Any thread. Start fn(arg) on a new pthread and store its handle in *out
 * BEFORE the new thread can run (so fn may read it). The log then holds
 * CREATED, RUNNABLE; the thread adds RUNNING itself. Returning from fn is
 * lc_exit(its return value). flags: LC_JOINABLE or LC_DETACHED (a detached
 * thread's handle: see "Handles" above). 0, EINVAL (NULL out or fn, other
 * flags), ENOMEM, EAGAIN (pthread_create's error): then *out is untouched
 * and nothing leaks. */
int lc_create(lc_thread **out, void *(*fn)(void *), void *arg, int flags);

/* An lc thread only (else: panic). Run the cleanup handlers still pushed,
 * last pushed first, then terminate with exit value ret (TERMINATED is the
 * last state logged; a joiner gets ret). Never returns. */
__attribute__((noreturn))
void lc_exit(void *ret);

/* Any thread. The caller's handle, or NULL if it is not an lc thread. */
lc_thread *lc_self(void);

/* ================================================================== */
/* Join and detach                                    src/lc.c, Task 3 */
/* ================================================================== */

/* Any thread. Wait until t is TERMINATED, store its exit value in *ret
 * (ret may be NULL), reclaim the pthread and free the record: the handle
 * is dead after 0. An lc thread that has to wait is BLOCKED meanwhile; t
 * makes it RUNNABLE as it terminates (lc_join is not a cancellation point
 * in this layer: lc_cancel does not end it). EDEADLK (t is the caller),
 * EINVAL (t NULL, detached, or another thread is already joining t). */
int lc_join(lc_thread *t, void **ret);

/* As lc_join, but give up timeout_ms milliseconds after the call (one
 * deadline on CLOCK_MONOTONIC): ETIMEDOUT, and t stays joinable and
 * untouched. timeout_ms == 0 never waits. EINVAL also for timeout_ms < 0. */
int lc_timedjoin(lc_thread *t, void **ret, long timeout_ms);

/* Any thread. Nobody will join t: its record is freed when it terminates,
 * or now if it already has. EINVAL (t NULL, already detached, or a thread
 * is joining it). */
int lc_detach(lc_thread *t);

/* ================================================================== */
/* Blocking: sleep and condition wait                 src/lc.c, Task 4 */
/* ================================================================== */

/* A condition variable of the layer: waiters queue in FIFO order. Guarded
 * by the layer's lock; only the layer touches the fields. */
struct lc_cond {
    lc_thread *head, *tail; /* waiting threads, oldest first */
};
#define LC_COND_INIT { NULL, NULL }

/* An lc thread only (else EPERM). A cancellation point. Block (BLOCKED)
 * for ms milliseconds, then RUNNABLE, RUNNING, return 0. A cancellation
 * request (enabled) ends the sleep at once and does not return. EINVAL
 * (ms < 0). */
int lc_sleep(long ms);

/* An lc thread only (else EPERM), holding m. A cancellation point. In one
 * step as far as lc_cond_signal is concerned: queue on c, become BLOCKED,
 * unlock m; after a wakeup: lock m again, RUNNING, return 0. Cancelled
 * while waiting (enabled): leave c's queue, lock m again, then act on the
 * request (a cleanup handler must unlock m). A thread that was signalled
 * returns 0 even if a cancel arrives too (the signal is not lost); it
 * acts on the request at its next cancellation point. EINVAL (NULL). */
int lc_cond_wait(struct lc_cond *c, pthread_mutex_t *m);

/* Any thread, holding the waiters' mutex or not. Signal: dequeue the
 * oldest waiter and make it RUNNABLE (no waiter: nothing happens).
 * Broadcast: every waiter, oldest first. 0, EINVAL (NULL). */
int lc_cond_signal(struct lc_cond *c);
int lc_cond_broadcast(struct lc_cond *c);

/* ================================================================== */
/* Cancellation                                       src/lc.c, Task 5 */
/* ================================================================== */

#define LC_CANCEL_ENABLE 0
#define LC_CANCEL_DISABLE 1

/* Any thread, on a valid handle. Request t's cancellation; it stays
 * pending until t reaches a cancellation point with cancel state ENABLE.
 * If t is BLOCKED in a wait of the layer and enabled, end the wait: t
 * becomes RUNNABLE at once. Repeated requests are one request. A thread
 * that already TERMINATED is not changed. 0, EINVAL (NULL). */
int lc_cancel(lc_thread *t);

/* An lc thread only (else EPERM). A cancellation point: act on a pending,
 * enabled request (never returns then); otherwise return 0. */
int lc_testcancel(void);

/* An lc thread only (else EPERM). Set the caller's cancel state to
 * LC_CANCEL_ENABLE or LC_CANCEL_DISABLE; store the old one in *old (may be
 * NULL). Enabling does not act on a pending request: the next cancellation
 * point does. EINVAL (another value). */
int lc_setcancelstate(int state, int *old);

/* ================================================================== */
/* Cleanup handlers                                   src/lc.c, Task 6 */
/* ================================================================== */

/* Most cleanup handlers pushed and not popped, per thread. */
#define LC_CLEANUP_MAX 16

/* An lc thread only (else EPERM). Push fn(arg) on the caller's cleanup
 * stack. ENOSPC (LC_CLEANUP_MAX already pushed), EINVAL (fn NULL). */
int lc_cleanup_push(void (*fn)(void *), void *arg);

/* An lc thread only (else EPERM). Pop the last handler pushed; run it if
 * execute != 0. ENOENT (nothing pushed). Handlers left at exit (return from
 * fn, lc_exit, cancellation) run then, last pushed first, each once, with
 * the cancel state DISABLE (no cancellation acts inside them). */
int lc_cleanup_pop(int execute);

/* ================================================================== */
/* Real pthread cancellation, blocking read    src/pcancel.c, Task 7 */
/* ================================================================== */

/* A pthread (not an lc thread) that reads from a descriptor nobody writes,
 * blocked in read(2), until another thread pthread_cancels it. */
struct pc_reader {
    int fd;                 /* set by the caller: the descriptor to read */
    int bufsize;            /* set by the caller: bytes to allocate, > 0 */
    _Atomic int reading;    /* 1, store seq_cst, just before read(2):
                               the tests wait for it (pairs with their load) */
    _Atomic int cleaned;    /* 1 once the cleanup handler ran (it frees the
                               buffer); seq_cst, read after the join */
    pthread_t cleanup_thread; /* the thread that ran the handler; written by
                                 it before `cleaned`, read after the join */
};

/* The start routine (for pthread_create). Allocates bufsize bytes; pushes
 * a cleanup handler (pthread_cleanup_push) that frees them and records
 * pthread_self() and cleaned = 1; sets reading = 1; blocks in read(fd).
 * If read returns (data or EOF): pops the handler WITH execution and
 * returns the byte count (or -1) as (void *)(intptr_t). Cancelled in the
 * read: the handler runs and the thread ends with PTHREAD_CANCELED. */
void *pc_reader_main(void *arg);

/* Any thread: pthread_cancel(tid), then pthread_join it; the exit value in
 * *ret (may be NULL). 0, or the error of either call. */
int pc_cancel_and_join(pthread_t tid, void **ret);

#endif
