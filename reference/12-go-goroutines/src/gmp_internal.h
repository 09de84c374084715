/*
 * gmp_internal.h - the runtime's own structures (yours to extend; the
 * tests include only gmp.h).
 *
 * Lock order (left before right, never the other way):
 *   chan.lock / wg.lock -> p.lock -> sched.lock
 *   (sched.lock also guards the idle Ps, the idle Ms and sysmon's sleep)
 *   sched.pollock: a leaf (a G parking on an fd; netpoll takes it alone)
 * No two P locks are ever held together (a steal copies out, then in).
 * No lock is held across gmp_switch: a pthread mutex taken by one
 * goroutine and released by another (or by the M's g0) is a bug to TSan.
 */
#ifndef GMP_INTERNAL_H
#define GMP_INTERNAL_H

#include "gmp.h"
#include "gmp_switch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* G                                                                  */
/* ------------------------------------------------------------------ */

enum gmp_status {      /* runtime2.go: _Grunnable, _Grunning, ... */
    G_RUNNABLE,        /* in exactly one run queue */
    G_RUNNING,         /* m->curg of one M */
    G_WAITING,         /* parked on a channel, WaitGroup, timer or fd */
    G_DEAD,            /* exited; on sched.gfree or freed */
};

/* The park handshake (gopark/goready without a lock across the switch).
 * A G about to park stores PARKING while it holds the lock of the queue it
 * waits on. After the switch its M's g0 CASes PARKING -> ASLEEP. A waker
 * (who took the G off that queue) CASes PARKING -> WOKEN; if that fails
 * the G is ASLEEP and the waker queues it. Whoever loses the race to the
 * other queues the G: exactly one of them. */
enum gmp_park { PARK_NONE, PARK_PARKING, PARK_WOKEN, PARK_ASLEEP };

struct gmp_g {
    struct gmp_gobuf sched;   /* registers while not running (Go: g.sched) */
    long goid;                /* set at spawn, before the G is queued */
    enum gmp_status status;   /* written by the M that runs/queues it, and
                                 published by the run queue's lock */
    atomic_int park;          /* enum gmp_park: CAS acq_rel by the g0 that
                                 parked it vs. the waker (goready) */
    void (*fn)(void *);       /* entry, read by the trampoline */
    void *arg;
    char *stack;              /* guard page + GMP_STACK_SIZE; kept on gfree */
    size_t stack_len;
    unsigned vg_id;           /* valgrind's id of the stack */
    void *fiber;              /* TSan fiber (NULL without TSan) */
    struct gmp_m *m;          /* M running it (only while RUNNING) */
    struct gmp_g *schedlink;  /* global queue / gfree link (sched.lock) */
    atomic_int selectdone;    /* a parked gmp_select: 0 -> 1 by the one
                                 waker that wins it (CAS acq_rel; losers
                                 skip its sudog). Reset by the G itself
                                 before it enqueues its sudogs */
    struct gmp_sudog *param;  /* the sudog its waker used (Go: gp.param);
                                 written under that channel's lock before
                                 gmp_ready, read by the G once it runs */
    volatile int preemptoff;  /* > 0 while the G runs runtime code (M7):
                                 the preemption signal then leaves it
                                 alone (Go: m.locks, preemptoff). Only
                                 the G itself changes it; its M's signal
                                 handler reads it on the same thread
                                 (volatile, no atomics needed) */
    volatile int preempt;     /* the signal found it in runtime code or
                                 libc: it yields when it leaves the
                                 runtime (Go: gp.preempt). Same rules */
};

/* A waiting G on a channel queue (Go: sudog). Lives on the G's stack while
 * it is parked; everything in it is guarded by the channel's lock. */
struct gmp_sudog {
    struct gmp_g *g;
    void *elem;                /* value to send, or where to receive */
    int success;               /* 1: the value moved; 0: woken by close */
    int isselect;              /* one of a gmp_select's sudogs: a waker
                                  must first win g->selectdone */
    int casei;                 /* gmp_select: the index of its case */
    struct gmp_sudog *next;
};

struct gmp_waitq {             /* FIFO of sudogs (Go: waitq) */
    struct gmp_sudog *first, *last;
};

/* ------------------------------------------------------------------ */
/* P and M                                                            */
/* ------------------------------------------------------------------ */

/* Who holds a P (Go: _Pidle, _Prunning, _Psyscall). Changed by the M
 * that holds it, except SYSCALL -> RUNNING (exitsyscall) against
 * SYSCALL -> IDLE (sysmon's retake): a CAS, exactly one of the two wins. */
enum gmp_pstatus {
    P_IDLE,        /* no M: on sched.pidle, or just retaken by sysmon */
    P_RUNNING,     /* m->p of exactly one M */
    P_SYSCALL,     /* m->oldp of the M whose G is in a system call */
};

struct gmp_p {
    int id;                          /* fixed */
    atomic_int status;               /* enum gmp_pstatus: release store by
                                        entersyscall, acquire load + CAS
                                        acq_rel by sysmon and exitsyscall */
    atomic_uint syscalltick;         /* ++ by entersyscall (relaxed, then
                                        published by the status store):
                                        sysmon tells one syscall from the
                                        next by it */
    uint32_t sysmon_syscalltick;     /* what sysmon saw last (sysmon only;
                                        Go: sysmontick) */
    uint32_t sysmon_schedtick;       /* the same for schedtick, and when */
    long long sysmon_schedwhen;      /* it last changed (sysmon only) */
    _Atomic(struct gmp_m *) m;       /* the M that holds it now (acquirep:
                                        release; sysmon's acquire load,
                                        only to pick whom to signal) */
    struct gmp_p *link;              /* sched.pidle (sched.lock) */
    pthread_mutex_t lock;            /* guards runq, head, tail, runnext.
                                        Go does this lock-free with CAS on
                                        runqhead; a lock keeps this
                                        increment simple */
    struct gmp_g *runq[GMP_RUNQ_SIZE];
    uint32_t head, tail;             /* tail - head = Gs in runq (lock) */
    struct gmp_g *runnext;           /* runs before runq (lock) */
    atomic_uint schedtick;           /* Gs scheduled: only the M holding
                                        it writes (relaxed; a handoff
                                        passes it on through the status
                                        CAS or sched.lock); sysmon reads
                                        it (relaxed) to see a G run long */
    /* counters: relaxed atomic adds, read by gmp_stats (no ordering
       needed: they order nothing) */
    atomic_ulong schedules, runnext_hits, global_takes, steals, stolen,
        overflows, m_parks;
};

enum gmp_after {                     /* what g0 does after a G switched off */
    AFTER_NONE,
    AFTER_GOSCHED,                   /* put it on the global queue */
    AFTER_PARK,                      /* finish the park handshake */
    AFTER_EXIT,                      /* it is dead: to gfree */
    AFTER_PREEMPT,                   /* the preemption signal took it off:
                                        to the global queue (M7) */
    AFTER_EXITSYSCALL,               /* back from a syscall with no P to
                                        run on: an idle P, else the global
                                        queue and this M stops (stopm) */
};

struct gmp_m {
    int id;
    pthread_t thread;
    struct gmp_p *p;                 /* the P it holds, NULL while its G is
                                        in a syscall or it sleeps on
                                        sched.midle (only this M) */
    struct gmp_p *oldp;              /* the P it left in P_SYSCALL between
                                        entersyscall and exitsyscall (only
                                        this M) */
    struct gmp_p *nextp;             /* set by startm for an M on midle
                                        (sched.lock) */
    struct gmp_m *mlink;             /* sched.midle (sched.lock) */
    pthread_t self;                  /* this M's thread, stored by itself
                                        before in_g is ever 1 */
    atomic_int in_g;                 /* 1 while a G runs on it: release
                                        store by the M, acquire load by
                                        sysmon before it reads self */
    struct gmp_gobuf g0;             /* the scheduler loop's registers */
    void *g0_fiber;                  /* TSan fiber of the kernel thread */
    struct gmp_g *curg;              /* running G; only this M touches it */
    enum gmp_after after;            /* set by curg before switching to g0 */
    uint64_t rng;                    /* victim choice; only this M */
};

/* ------------------------------------------------------------------ */
/* Timers (Go: runtime/time.go)                                       */
/* ------------------------------------------------------------------ */

/* One pending timer, an entry of the heap in gmp_sched (by value). Exactly
 * one of g and c is set. */
struct gmp_timer {
    long long when;                  /* CLOCK_MONOTONIC ns it is due */
    struct gmp_g *g;                 /* gmp_sleep: the parked G to ready */
    struct gmp_chan *c;              /* gmp_after: the channel to send on */
};

/* ------------------------------------------------------------------ */
/* The scheduler (Go: schedt)                                         */
/* ------------------------------------------------------------------ */

struct gmp_sched {
    pthread_mutex_t lock;            /* guards everything not marked */
    pthread_cond_t idle;             /* Ms with nothing to do (Go: stopm);
                                        CLOCK_MONOTONIC, for timed waits */
    pthread_cond_t done;             /* gmp_wait: live reached 0 */
    int up;                          /* between gmp_start and gmp_wait */
    pthread_t owner;                 /* who called gmp_start */
    int nprocs;                      /* fixed while up */
    struct gmp_p *allp;              /* [nprocs], fixed while up */
    struct gmp_m *allm;              /* [GMP_MAXM], fixed while up; the
                                        first mcount are started Ms */
    int mcount;                      /* Ms started (lock); only grows
                                        while up, at most GMP_MAXM */
    struct gmp_m *midle;             /* Ms with no P, asleep on mpark
                                        until startm gives one (lock) */
    pthread_cond_t mpark;            /* their bed (with lock) */
    struct gmp_p *pidle;             /* Ps no M holds (lock) */
    atomic_int npidle;               /* its length: written under lock,
                                        read by wakep after its queueing
                                        (seq_cst, as nmidle) */
    pthread_t sysmon;                /* the monitor thread (no P, no M) */
    int sysmon_up;                   /* it was started (lock) */
    pthread_cond_t sysmon_cond;      /* its timed wait (CLOCK_MONOTONIC,
                                        with lock); teardown signals it */
    atomic_ulong handoffs;           /* Ps retaken from a syscall
                                        (relaxed counter) */
    atomic_int preempt;              /* M7 knob: sysmon signals Gs that
                                        run too long (relaxed; 1 at
                                        gmp_start) */
    atomic_ulong preemptions;        /* Gs switched off by the signal
                                        (relaxed counter) */
    struct gmp_g *runq_head, *runq_tail; /* global queue (lock) */
    atomic_long runq_size;           /* its length: written under lock,
                                        read lock-free as a hint (relaxed) */
    struct gmp_g *gfree;             /* dead Gs with their stacks (lock) */
    long ngfree;
    atomic_int stop;                 /* Ms leave their loop (seq_cst) */
    /* Lost-wakeup protocol between wakep and an M going idle: wakep does
       work_seq++ then reads nmidle; an idling M does nmidle++ (under lock)
       then reads work_seq. Both seq_cst: at least one sees the other. */
    atomic_ulong work_seq;
    atomic_int nmidle;
    atomic_long goidgen;             /* last goid given (relaxed) */
    atomic_long live;                /* Gs spawned and not dead (acq_rel:
                                        the last exit pairs with gmp_wait) */
    atomic_ulong spawned, exited, g_parks, stacks; /* relaxed counters */
    /* Timers: ONE min-heap on `when` for all Ps (lock), so the idle M that
       sleeps under this lock sees the earliest deadline of all. */
    struct gmp_timer *timers;        /* heap array (lock) */
    long ntimers, timers_cap;        /* entries, allocated (lock) */
    atomic_llong timer0;             /* when of timers[0], or LLONG_MAX if
                                        none: written under lock, read
                                        lock-free by schedule as a hint
                                        (relaxed; the idle path re-reads
                                        the heap under the lock) */
    atomic_ulong timers_fired;       /* relaxed counter */
    /* The netpoller (Go: netpoll_epoll.go): fixed while up */
    int epfd;                        /* epoll instance, -1 when down */
    int breakfd;                     /* eventfd in epfd: netpollBreak */
    pthread_mutex_t pollock;         /* the park lock of a G waiting on an
                                        fd; a waker takes it once so the
                                        G has stopped touching it */
    int polling;                     /* an idle M blocks in epoll_wait
                                        (lock); wakep breaks it */
    atomic_int npollwait;            /* Gs parked on fds: ++ before
                                        epoll_ctl, -- by the poller that
                                        readies one (seq_cst) */
    atomic_ulong polls;              /* relaxed counter */
};

extern struct gmp_sched gmp_sched;

/* ------------------------------------------------------------------ */
/* Channels and WaitGroup                                             */
/* ------------------------------------------------------------------ */

struct gmp_chan {                    /* Go: hchan */
    pthread_mutex_t lock;            /* guards every field below */
    size_t elemsize, cap;            /* fixed */
    char *buf;                       /* cap * elemsize bytes, a ring */
    size_t qcount, sendx, recvx;     /* values in buf, next slots */
    int closed;
    struct gmp_waitq recvq, sendq;   /* parked receivers and senders */
};

struct gmp_wg {
    pthread_mutex_t lock;            /* guards count and waiters */
    long count;
    struct gmp_waitq waiters;
};

/* ------------------------------------------------------------------ */
/* Shared helpers (not static, so the skeleton's stubs compile clean)  */
/* ------------------------------------------------------------------ */

/* The G running on this kernel thread, or NULL. Never cached across a
 * switch by the compiler (a G may come back on another M). */
struct gmp_g *gmp_getg(void);

/* The same G, read with ONE load of a thread-local (the scheduler sets it
 * before it switches to a G): a preemption between two loads (tls_m, then
 * m->curg) could pair one M's struct with another M's thread. */
extern __thread struct gmp_g *gmp_tls_g;

/* Task 7.2: the first statement of every runtime function a G may call.
 * The G's preemptoff is raised until the function returns (by any path:
 * GCC's cleanup attribute), so no preemption signal switches the G off
 * while it holds a runtime lock or an M pointer. From a thread that runs
 * no G it does nothing. */
static inline struct gmp_g *gmp_nopreempt_enter_(void)
{
    struct gmp_g *g = gmp_tls_g;
    if (g)
        g->preemptoff++;
    return g;
}
void gmp_preempt_yield(struct gmp_g *g);
static inline void gmp_nopreempt_leave_(struct gmp_g **g)
{
    if (!*g)
        return;
    if ((*g)->preemptoff == 1 && (*g)->preempt)
        gmp_preempt_yield(*g); /* a refused preemption, taken now */
    (*g)->preemptoff--;
}
#define GMP_NOPREEMPT()                                                       \
    struct gmp_g *gmp_nopreempt_g_ __attribute__((cleanup(                   \
        gmp_nopreempt_leave_), unused)) = gmp_nopreempt_enter_()

/* Task 2.1: the calling G (getg()) parks. The caller holds the lock of the
 * queue it put itself on and has stored PARK_PARKING; gmp_park releases
 * `lock` and switches to g0, which finishes the handshake. Returns when a
 * gmp_ready made it runnable and it was scheduled again. */
void gmp_park(pthread_mutex_t *lock);

/* Task 2.1: make a G that some queue's owner took off its queue runnable
 * (Go: goready): into the caller's P's runnext, or the global queue when
 * called outside a G; wakes an idle M. */
void gmp_ready(struct gmp_g *g);

/* CLOCK_MONOTONIC in ns (Go: nanotime). */
long long gmp_nanotime(void);

/* Print "gmp panic: <message>" to stderr and abort. */
__attribute__((noreturn, format(printf, 1, 2)))
void gmp_panic(const char *fmt, ...);

#define GMP_ASSERT(cond)                                                      \
    do {                                                                      \
        if (!(cond))                                                          \
            gmp_panic("invariant broken at %s:%d: %s", __FILE__, __LINE__,    \
                      #cond);                                                 \
    } while (0)
#define GMP_OK(call)                                                          \
    do {                                                                      \
        int gmp_rc_ = (call);                                                 \
        if (gmp_rc_ != 0)                                                     \
            gmp_panic("%s failed with error %d at %s:%d", #call, gmp_rc_,     \
                      __FILE__, __LINE__);                                    \
    } while (0)

/* Preemption by signal (M7) is compiled out under ThreadSanitizer: TSan
 * defers an async signal to its own next safe point (an intercepted call)
 * and then runs the handler with the ucontext of the first moment, so the
 * PC the handler checks is not where the thread really is. */
#if defined(__SANITIZE_THREAD__)
#define GMP_CAN_PREEMPT 0
#else
#define GMP_CAN_PREEMPT 1
#endif

/* ThreadSanitizer's fiber API: TSan must be told which G a kernel thread
 * runs after each gmp_switch. Empty macros without TSan. */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define GMP_FIBER_SELF() __tsan_get_current_fiber()
#define GMP_FIBER_NEW() __tsan_create_fiber(0)
#define GMP_FIBER_FREE(f) __tsan_destroy_fiber(f)
#define GMP_FIBER_ENTER(f) __tsan_switch_to_fiber((f), 0)
#else
#define GMP_FIBER_SELF() ((void *)0)
#define GMP_FIBER_NEW() ((void *)0)
#define GMP_FIBER_FREE(f) ((void)(f))
#define GMP_FIBER_ENTER(f) ((void)(f))
#endif

#endif
