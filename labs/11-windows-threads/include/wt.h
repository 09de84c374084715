/*
 * wt.h - lab 11, Windows threads: the whole student API.
 *
 * Kit-owned and read-only: the tests include it and read some struct fields
 * (under the struct's own lock, where it has one), so keep every field and
 * its meaning. You write the functions in src/; each banner names its file
 * and task. Everything is Win32, built with x86_64-w64-mingw32-gcc and run
 * under Wine: winpthreads (pthread_*) and C11 threads (thrd_*, mtx_*, cnd_*)
 * are forbidden in your objects (the grader reads their undefined symbols).
 *
 * Error convention, as in lab 10: an int-returning function returns 0 or an
 * errno value (EINVAL, ENOMEM, EPIPE, EAGAIN, ENOSYS for "not written yet").
 * A Win32 call that cannot fail in a correct program goes through WT_CHECK,
 * which stops the program loudly with GetLastError()'s number.
 */
#ifndef WT_H
#define WT_H

#include <windows.h>
#include <stddef.h>

/* ================================================================== */
/* Broken invariants                       src/wt_panic.c (given, kit)  */
/* ================================================================== */

/* Print one line to stderr naming file:line, what failed and, when err is
 * not 0, the Win32 error number (GetLastError()), then end the process at
 * once with exit code 3. Any thread may call it; it never returns. */
__attribute__((noreturn))
void wt_panic_at(const char *file, int line, const char *what, unsigned long err);

/* WT_CHECK(SetEvent(e)): a BOOL-returning Win32 call that cannot fail in a
 * correct program. FALSE is a bug: panic with GetLastError(). */
#define WT_CHECK(call)                                                        \
    do {                                                                      \
        if (!(call))                                                          \
            wt_panic_at(__FILE__, __LINE__, #call, GetLastError());           \
    } while (0)

/* WT_ASSERT(q->count <= q->cap): an invariant the code relies on. */
#define WT_ASSERT(cond)                                                       \
    do {                                                                      \
        if (!(cond))                                                          \
            wt_panic_at(__FILE__, __LINE__, "invariant " #cond, 0);           \
    } while (0)

/* ================================================================== */
/* Thread lifecycle                                 src/threads.c, Task 1 */
/* ================================================================== */

/* A thread body in the C runtime's shape (_beginthreadex): its return
 * value becomes the thread's exit code. */
typedef unsigned (__stdcall *wt_body_fn)(void *arg);

/* Run body(args[i]) on n new threads at once (created with _beginthreadex,
 * so the C runtime is set up in each), wait until every one has ended, and
 * store thread i's exit code in codes[i]. Every handle is closed before the
 * return. n may exceed MAXIMUM_WAIT_OBJECTS (64), the most one
 * WaitForMultipleObjects call accepts. 0; EINVAL (n == 0, body or codes
 * NULL; args may be NULL: then every thread gets NULL); EAGAIN when a
 * thread cannot be created: the threads already started are waited for
 * and closed first, and no code is stored. */
int wt_run_all(size_t n, wt_body_fn body, void *const *args, unsigned long *codes);

/* Add delta to *counter atomically and return the new value
 * (InterlockedExchangeAdd64: a full barrier, no lock). */
long long wt_add(volatile long long *counter, long long delta);

/* ================================================================== */
/* Bounded queue on SRWLOCK + CONDITION_VARIABLE     src/bqueue.c, Task 2 */
/* ================================================================== */

struct wt_bqueue {
    SRWLOCK lock;                 /* exclusive mode only; guards every field
                                     below except cap */
    CONDITION_VARIABLE not_full;  /* slept on by put while count == cap;
                                     woken by get after it frees a slot */
    CONDITION_VARIABLE not_empty; /* slept on by get while count == 0 and
                                     not closed; woken by put after it fills
                                     a slot */
    void **slots;                 /* cap entries (malloc/free); lock */
    size_t cap;                   /* > 0, set by init, never changes */
    size_t head;                  /* index of the oldest item, < cap; lock */
    size_t count;                 /* items stored, 0 <= count <= cap; lock */
    int closed;                   /* 0 -> 1 once, never back; lock */
    int nput_waiting;             /* threads asleep in put (counted up
                                     before the sleep, down after); lock */
    int nget_waiting;             /* the same for get; lock */
};

/* Before any other use. cap > 0. 0, EINVAL (q NULL, cap 0), ENOMEM. */
int wt_bq_init(struct wt_bqueue *q, size_t cap);

/* Free the slots; items still inside are dropped. No thread may be using
 * the queue. 0, EINVAL. */
int wt_bq_destroy(struct wt_bqueue *q);

/* Append item (not NULL) at the tail, sleeping on not_full while the queue
 * is full. 0; EINVAL; EPIPE when the queue is closed (before or during the
 * wait: the item is not stored). Re-checks its condition after every wake:
 * a wake is a hint, not a promise. */
int wt_bq_put(struct wt_bqueue *q, void *item);

/* Take the oldest item into *item, sleeping on not_empty while the queue is
 * empty and open. 0; EINVAL; EPIPE when the queue is closed AND empty (a
 * closed queue still hands out what it holds). */
int wt_bq_get(struct wt_bqueue *q, void **item);

/* Close: every sleeper in put and get wakes (WakeAllConditionVariable on
 * both), puts fail with EPIPE from now on. Closing twice is 0. 0, EINVAL. */
int wt_bq_close(struct wt_bqueue *q);

/* ================================================================== */
/* A pool fed by an I/O completion port           src/iocp_pool.c, Task 3 */
/* ================================================================== */

/* A task: called once on a worker with the arg it was submitted with. */
typedef void (*wt_task_fn)(void *arg);

#define WT_POOL_MAX 64

struct wt_pool {
    HANDLE port;                  /* the completion port: the work queue; set
                                     by start, closed by shutdown */
    HANDLE workers[WT_POOL_MAX];  /* nworkers thread handles; start/shutdown */
    int nworkers;                 /* 1..WT_POOL_MAX, set by start */
    volatile LONG submitted;      /* tasks accepted (Interlocked) */
    volatile LONG handled;        /* tasks run to completion (Interlocked) */
    volatile LONG shutting_down;  /* 0 -> 1 by shutdown (Interlocked) */
};

/* The completion key of the packet that tells one worker to return. A task
 * packet carries its function as the key and its arg as the OVERLAPPED
 * pointer. */
#define WT_POOL_QUIT ((ULONG_PTR)0)

/* Create the port (concurrency value nworkers) and nworkers threads, each
 * looping on GetQueuedCompletionStatus: a task packet runs its task (then
 * handled++), a WT_POOL_QUIT packet makes the worker return. 0; EINVAL
 * (nworkers outside 1..WT_POOL_MAX); EAGAIN (port or thread creation
 * failed: what was made is undone). */
int wt_pool_start(struct wt_pool *p, int nworkers);

/* Queue fn(arg) (PostQueuedCompletionStatus); any thread, tasks included.
 * 0; EINVAL (fn NULL); EPIPE after shutdown began. */
int wt_pool_submit(struct wt_pool *p, wt_task_fn fn, void *arg);

/* Graceful: every task submitted before the call runs, then the workers
 * end: ONE quit packet PER WORKER goes in behind the tasks (the port hands
 * packets out first in, first out), the workers are waited for, and every
 * handle is closed. Not from a task. 0, EINVAL. */
int wt_pool_shutdown(struct wt_pool *p);

/* ================================================================== */
/* A fiber scheduler                                  src/fibers.c, Task 4 */
/* ================================================================== */

typedef void (*wt_fiber_fn)(void *arg);

#define WT_FIBERS_MAX 4096

struct wt_fiber {
    LPVOID fiber;                 /* CreateFiber's; DeleteFiber'ed by the
                                     scheduler once done */
    wt_fiber_fn fn;
    void *arg;
    int id;                       /* 0, 1, 2... in spawn order */
    int done;                     /* 0 -> 1 when fn has returned */
};

/* One scheduler per thread; all of its fields belong to that thread. */
struct wt_sched {
    LPVOID main_fiber;            /* the thread itself, from
                                     ConvertThreadToFiber; run switches back
                                     here */
    struct wt_fiber *ring[WT_FIBERS_MAX]; /* runnable fibers, oldest first */
    size_t head, count;           /* ring[head] runs next; count <= MAX */
    struct wt_fiber *current;     /* the fiber running now, NULL in run */
    int next_id;
    int live;                     /* spawned and not yet done */
};

/* Spawn fn(arg) as a fiber at the tail of the run queue (from the thread,
 * before run, or from a fiber). Returns its id (>= 0) or a negative errno
 * value: -EINVAL, -EAGAIN (the ring is full or CreateFiber failed). */
int wt_fiber_spawn(struct wt_sched *s, wt_fiber_fn fn, void *arg);

/* From a fiber: go to the back of the queue and let the next one run
 * (round-robin: A B C A B C ...). From outside a fiber: returns. */
void wt_fiber_yield(struct wt_sched *s);

/* Turn the calling thread into a fiber, run the queue round-robin until no
 * fiber is left (deleting each finished fiber: a fiber cannot delete
 * itself), then turn the thread back (ConvertFiberToThread). s must be
 * zeroed before the first spawn. 0; EINVAL; EAGAIN (ConvertThreadToFiber
 * failed: the thread already is a fiber?). */
int wt_sched_run(struct wt_sched *s);

/* ================================================================== */
/* Thread-local and fiber-local storage                  src/local.c, Task 5 */
/* ================================================================== */

/* A slot that hands each thread (TLS) or each fiber (FLS) a value of its
 * own, made on first use by make(ctx) and given to destroy(ctx, value)
 * when its owner ends. */
struct wt_local {
    DWORD index;                  /* TlsAlloc's or FlsAlloc's; set by init */
    int per_fiber;                /* 1: FLS, 0: TLS; set by init */
    void *(*make)(void *ctx);     /* makes a value, never NULL */
    void (*destroy)(void *ctx, void *value);
    void *ctx;
    volatile LONG live;           /* values made and not yet destroyed
                                     (Interlocked) */
};

/* per_fiber 1: FlsAlloc with a callback that calls destroy for the fiber's
 * value when the fiber is deleted (DeleteFiber) or its thread exits.
 * per_fiber 0: TlsAlloc; TLS has no callback, so a thread calls
 * wt_local_thread_exit before it returns. The slot holds a small box
 * {l, value}: the FLS callback is given only the slot's content, and needs
 * l to find destroy and ctx. 0; EINVAL; EAGAIN (no index left). */
int wt_local_init(struct wt_local *l, int per_fiber, void *(*make)(void *ctx),
                  void (*destroy)(void *ctx, void *value), void *ctx);

/* This thread's (or fiber's) value: made on first use (live++). */
void *wt_local_get(struct wt_local *l);

/* TLS only: destroy the calling thread's value, if it has one (live--). */
void wt_local_thread_exit(struct wt_local *l);

/* Free the index (TlsFree / FlsFree: FlsFree runs the callback for the
 * calling fiber's value). Values of other live threads are not destroyed.
 * 0, EINVAL. */
int wt_local_free(struct wt_local *l);

#endif
