/*
 * mn_internal.h - what src/mn.c keeps (yours to extend).
 *
 * The tests never include this file: only mn.h is a contract with them.
 *
 * Locks, and the one order in which they nest (left before right):
 *   mutex/cond guard -> rt.lock -> thread->plock -> carrier->lock
 * Never take rt.lock while holding a carrier's lock. No lock is ever held
 * across mn_switch: ThreadSanitizer (rightly) sees a pthread mutex locked
 * by one fiber and unlocked by another as a bug.
 */
#ifndef MN_INTERNAL_H
#define MN_INTERNAL_H

#include "mn.h"
#include "mn_switch.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* User threads                                                       */
/* ------------------------------------------------------------------ */

enum mn_state {
    MN_RUNNABLE,   /* in exactly one run queue (local or global) */
    MN_RUNNING,    /* worker->current of the kernel thread running it */
    MN_BLOCKED,    /* parked on a mutex, condvar or join; in no run queue */
    MN_ZOMBIE,     /* exited and off its stack; waits for mn_join */
};

struct mn_thread {
    struct mn_context ctx;  /* valid while not MN_RUNNING */
    mn_t id;                /* > 0; rt.table[id] == this until joined */
    enum mn_state state;    /* RUNNABLE/BLOCKED -> RUNNING: by the carrier
                               that pops it; the rest: under the lock of the
                               queue it enters (rt.lock for ZOMBIE) */
    void *(*fn)(void *);    /* entry and argument, read by the trampoline */
    void *arg;
    void *retval;           /* set by mn_exit; read by mn_join (rt.lock) */
    void *map;              /* guard page + stack; NULL once freed */
    size_t map_len;
    unsigned vg_stack_id;   /* valgrind's id for the stack */
    void *fiber;            /* ThreadSanitizer's fiber (NULL without TSan) */
    int blocking;           /* 1 between mn_block_begin and _end; only the
                               thread itself reads or writes it */
    pthread_mutex_t plock;  /* guards parking and wake_pending */
    int parking;            /* 1 from park_prepare until its worker has
                               switched off it (plock) */
    int wake_pending;       /* woken while parking: the worker queues it
                               (plock) */
    int exited;             /* 1 once off its stack for good (rt.lock);
                               mn_join waits for this, not for state,
                               which the carriers write without rt.lock */
    struct mn_thread *joiner; /* user thread parked in mn_join(id) (rt.lock) */
    int kjoined;            /* a kernel thread waits in mn_join (rt.lock) */
    struct mn_thread *next; /* link in the ONE queue it is in (run queue or
                               a mutex/cond wait queue), under that queue's
                               lock */
};

/* A FIFO of user threads linked by ->next. */
struct mn_queue {
    struct mn_thread *head, *tail;
    size_t n;
};

/* ------------------------------------------------------------------ */
/* Carriers and the kernel threads that hold them                     */
/* ------------------------------------------------------------------ */

/* One of the N places where user code runs: a local run queue. Held by
 * exactly one kernel thread (worker) at a time; handed over in
 * mn_block_begin. */
struct mn_carrier {
    int index;                /* 0 .. n-1, never changes */
    pthread_mutex_t lock;     /* guards q, stolen, local_runs */
    struct mn_queue q;        /* the local run queue */
    unsigned long local_runs; /* stats (lock) */
    unsigned long stolen;     /* threads other carriers took from q (lock) */
    unsigned countdown;       /* picks until the global queue goes first;
                                 only the holder touches it (handed over
                                 under rt.lock) */
};

/* What a user thread asks its worker to do once it is off its stack. The
 * thread cannot do these itself: until its context is saved, nobody may
 * make it runnable (another carrier would resume a half-saved thread). */
enum mn_after {
    MN_AFTER_NONE,
    MN_AFTER_YIELD,     /* queue it on this carrier's local queue */
    MN_AFTER_PARK,      /* it parked: clear ->parking, queue it if it was
                           woken meanwhile */
    MN_AFTER_EXIT,      /* free its stack, make it a zombie, wake joiners */
    MN_AFTER_BLOCK_END, /* queue it on the global queue; we are a spare */
};

/* A kernel thread of the runtime: a carrier's holder, or a spare. */
struct mn_worker {
    pthread_t pt;
    struct mn_context ctx;        /* its scheduler loop, while a user
                                     thread runs */
    void *fiber;                  /* its own TSan fiber */
    struct mn_carrier *carrier;   /* held carrier; NULL: spare, or lent to
                                     a user thread in a block section.
                                     Written by the worker itself, or (a
                                     parked spare's) by a handoff, both
                                     under rt.lock */
    struct mn_thread *current;    /* the user thread it runs, or NULL;
                                     only the worker itself touches it */
    enum mn_after after;          /* set by current before switching back */
    pthread_cond_t cv;            /* a parked spare sleeps here (rt.lock) */
    int in_spares;                /* on rt.spares (rt.lock) */
    struct mn_worker *next_spare; /* link in rt.spares (rt.lock) */
    struct mn_worker *next_all;   /* link in rt.workers (rt.lock) */
};

/* The runtime: one per process. */
struct mn_runtime {
    pthread_mutex_t lock;         /* guards every field below but n and
                                     carriers[] (fixed while up) */
    pthread_cond_t idle_cv;       /* idle carrier holders park here */
    pthread_cond_t exit_cv;       /* kernel-thread joiners and mn_shutdown */
    int up;                       /* between mn_init and mn_shutdown */
    int closing;                  /* mn_shutdown has begun */
    int stop;                     /* every worker must leave its loop */
    pthread_t owner;              /* who called mn_init */
    int n;                        /* number of carriers */
    struct mn_carrier *carriers;  /* carriers[0 .. n-1] */
    struct mn_queue global;       /* the global run queue */
    int nidle;                    /* holders parked on idle_cv */
    struct mn_worker *spares;     /* parked spares (LIFO) */
    struct mn_worker *workers;    /* every worker, to join at shutdown */
    int kthreads;                 /* workers alive */
    struct mn_thread **table;     /* table[id], NULL once joined */
    size_t table_cap;
    mn_t next_id;
    size_t nlive;                 /* user threads not yet zombies */
    unsigned long global_runs, parks, spares_started; /* stats */
};

/* ------------------------------------------------------------------ */
/* mn.c's helpers (not static so the skeleton's stubs compile cleanly) */
/* ------------------------------------------------------------------ */

/* Task 1. Map a guard page plus MN_STACK_SIZE bytes into t->map and build
 * the first frame: the first switch to t->ctx lands in mn_trampoline with
 * a SysV-aligned stack. 0, or -1 with errno from mmap/mprotect. */
int mn_stack_init(struct mn_thread *t);
/* Task 1. Unmap t's stack (it has one). */
void mn_stack_free(struct mn_thread *t);
/* Task 1. The first code a user thread runs: mn_exit(fn(arg)). */
__attribute__((noreturn)) void mn_trampoline(void);

/* Task 2. The loop of every worker (the pthread start routine). */
void *mn_worker_main(void *arg);

/* Print "mn panic at FILE:LINE: message" to stderr and abort(). */
__attribute__((noreturn, format(printf, 3, 4)))
void mn_panic_at(const char *file, int line, const char *fmt, ...);

#define MN_PANIC(...) mn_panic_at(__FILE__, __LINE__, __VA_ARGS__)
#define MN_ASSERT(cond)                                                       \
    do {                                                                      \
        if (!(cond))                                                          \
            mn_panic_at(__FILE__, __LINE__, "invariant %s is false", #cond); \
    } while (0)
/* For pthread calls that cannot fail on a valid object. */
#define MN_CHECK(call)                                                        \
    do {                                                                      \
        int mn_rc_ = (call);                                                  \
        if (mn_rc_ != 0)                                                      \
            mn_panic_at(__FILE__, __LINE__, "%s failed: error %d", #call,    \
                        mn_rc_);                                              \
    } while (0)

/* ThreadSanitizer's fiber API (Task 2.4): with it, TSan knows which user
 * thread runs on a kernel thread after each switch. Empty without TSan. */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define MN_TSAN_CURRENT() __tsan_get_current_fiber()
#define MN_TSAN_CREATE() __tsan_create_fiber(0)
#define MN_TSAN_DESTROY(f) __tsan_destroy_fiber(f)
#define MN_TSAN_SWITCH(f) __tsan_switch_to_fiber((f), 0)
#else
#define MN_TSAN_CURRENT() ((void *)0)
#define MN_TSAN_CREATE() ((void *)0)
#define MN_TSAN_DESTROY(f) ((void)(f))
#define MN_TSAN_SWITCH(f) ((void)(f))
#endif

#endif
