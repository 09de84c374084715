/*
 * tp_internal.h - the pool's private state (yours to extend).
 *
 * Given: TP_CHECK / TP_ASSERT and tp_panic_at, the deadline helper. The
 * structs are a suggestion that the reference follows; the tests never read
 * them (they see the pool through tp_stats only).
 */
#ifndef TP_INTERNAL_H
#define TP_INTERNAL_H

#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Print file:line, what failed and err's name, then abort(): for a pthread
 * call that cannot fail in a correct program, or a broken invariant. */
__attribute__((noreturn, unused))
static void tp_panic_at(const char *file, int line, const char *what, int err)
{
    if (err)
        fprintf(stderr, "tp panic at %s:%d: %s returned %d (%s)\n", file, line, what, err,
                strerrorname_np(err) ? strerrorname_np(err) : "?");
    else
        fprintf(stderr, "tp panic at %s:%d: %s is false\n", file, line, what);
    fflush(stderr);
    abort();
}

#define TP_CHECK(call)                                                        \
    do {                                                                      \
        int tp_rc_ = (call);                                                  \
        if (tp_rc_ != 0)                                                      \
            tp_panic_at(__FILE__, __LINE__, #call, tp_rc_);                   \
    } while (0)

#define TP_ASSERT(cond)                                                       \
    do {                                                                      \
        if (!(cond))                                                          \
            tp_panic_at(__FILE__, __LINE__, "invariant " #cond, 0);           \
    } while (0)

/* The absolute CLOCK_MONOTONIC time ms milliseconds from now. Compute it
 * once per wait, never again after a wakeup. */
static inline struct timespec tp_deadline_ms(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

enum tp_wstate {
    TP_W_FREE,   /* slot unused (never started, or joined) */
    TP_W_LIVE,   /* thread running the worker loop */
    TP_W_EXITED, /* thread left the loop (retired or shutdown): to join */
};

/* One slot of the worker table. state, tid and first are guarded by the
 * pool's lock; a LIVE worker reads its own first task once, under it. */
struct tp_worker {
    struct tp_pool *pool;  /* set once at create */
    pthread_t tid;         /* valid while state != TP_W_FREE */
    enum tp_wstate state;  /* lock */
    int has_first;         /* 1: run `first` before looking at the ring */
    struct tp_task first;  /* the task a grow-on-full submit handed over */
};

enum tp_pstate {
    TP_RUNNING,  /* accepting */
    TP_DRAINING, /* tp_shutdown: no new tasks, the ring is still run */
    TP_STOPPED,  /* tp_shutdown_now: no new tasks, the ring was emptied */
};

struct tp_pool {
    pthread_mutex_t lock;      /* guards every field below except cfg */
    pthread_cond_t not_empty;  /* idle workers wait here while count == 0
                                  and the pool runs; signalled per task
                                  queued, broadcast at shutdown */
    pthread_cond_t not_full;   /* TP_BLOCK submitters wait here while
                                  count == cap; signalled per task taken,
                                  broadcast at shutdown */
    struct tp_config cfg;      /* copied at create, never changes */
    struct tp_task *ring;      /* cfg.queue_cap slots, owned */
    size_t head, count;        /* oldest task's index < cap; 0 <= count <= cap */
    enum tp_pstate state;      /* RUNNING -> DRAINING or STOPPED, once */
    int joined;                /* 1 once shutdown joined every worker */
    struct tp_worker *workers; /* cfg.max slots, owned */
    unsigned live;             /* slots TP_W_LIVE; core <= live <= max
                                  while RUNNING (after create) */
    unsigned idle;             /* workers inside their wait for work */
    unsigned blocked;          /* submitters inside their wait for a slot */
    unsigned long submitted, completed, rejected, caller_ran, spawned, retired;
};

#endif
