/*
 * gmp.c - Gs, Ms, Ps and the scheduler (Go: runtime/proc.go).
 *
 * An M loops in schedule(): find a runnable G (findrunnable), switch
 * to it, and when the G switches back do what it asked (m->after): queue
 * it, finish its park, or bury it. A G never queues itself: until its
 * registers are saved another M could resume it half-saved. An M keeps
 * its P until its G enters a system call; then sysmon (a thread of its
 * own) may retake the P and hand it to another M (M6). sysmon also
 * signals the M of a G that has run a whole time slice; the handler
 * switches the G off when it was interrupted in its own code (M7).
 */
#include "gmp_internal.h"

#include <errno.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

struct gmp_sched gmp_sched = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .idle = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
    .pollock = PTHREAD_MUTEX_INITIALIZER,
    .mpark = PTHREAD_COND_INITIALIZER,
    .sysmon_cond = PTHREAD_COND_INITIALIZER,
    .epfd = -1,
    .breakfd = -1,
};

/* The M this kernel thread is (NULL for other threads). */
static __thread struct gmp_m *tls_m;
/* The G it runs (NULL on g0 and other threads): see gmp_internal.h. */
__thread struct gmp_g *gmp_tls_g;
/* Counters of the last runtime, kept for gmp_stats after gmp_wait. */
static struct gmp_stats last_stats;
static int ever_started;

void gmp_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gmp panic: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
    abort();
}

/* noinline + a compiler barrier: the address of tls_m is computed afresh
 * on every call, never reused from before a switch to another M. */
__attribute__((noinline)) static struct gmp_m *getm(void)
{
    struct gmp_m *m = tls_m;
    __asm__ volatile("" ::: "memory");
    return m;
}

struct gmp_g *gmp_getg(void)
{
    struct gmp_m *m = getm();
    return m ? m->curg : NULL;
}

long long gmp_nanotime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ================================================================== */
/* Task 1: stacks and the first frame                                  */
/* ================================================================== */

#ifdef SOLUTION
static void unmap_keeping_errno(void *p, size_t len)
{
    int saved = errno;
    munmap(p, len);
    errno = saved;
}

/* Where a G whose trampoline returned would land: never. */
__attribute__((noreturn, force_align_arg_pointer)) static void gmp_fell_off(void)
{
    gmp_panic("a goroutine returned past gmp_trampoline (its first frame "
              "is broken)");
}
#endif

/* The first code of every G (Go: goexit is the return address of every
 * goroutine's entry function). */
__attribute__((noreturn)) void gmp_trampoline(void);
void gmp_trampoline(void)
{
#ifdef SOLUTION
    struct gmp_g *g = gmp_getg();
    g->preemptoff--; /* gmp_go made it 1: the G's own code starts here */
    g->fn(g->arg);
    gmp_goexit();
#else
    /* TODO 1.1: run g->fn(g->arg) for g = gmp_getg(), then gmp_goexit():
     *           returning from the entry function IS goexit.
     * TODO 7.2: lower g->preemptoff (gmp_go made it 1) just before fn. */
    gmp_panic("gmp_trampoline is not written yet: handout Task 1.1");
#endif
}

/* Task 1.1: a stack for g (reused from gfree when there is one) and a
 * first frame that returns into gmp_trampoline. 0 or -1 with errno. */
int gmp_stack_new(struct gmp_g *g);
int gmp_stack_new(struct gmp_g *g)
{
#ifdef SOLUTION
    if (!g->stack) {
        /* all of it inaccessible, then the part above the guard page
         * opened: an overflow faults instead of writing over a neighbour */
        size_t guard = (size_t)sysconf(_SC_PAGESIZE);
        size_t total = guard + GMP_STACK_SIZE;
        char *base = mmap(NULL, total, PROT_NONE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (base == MAP_FAILED)
            return -1;
        if (mprotect(base + guard, GMP_STACK_SIZE, PROT_READ | PROT_WRITE)) {
            unmap_keeping_errno(base, total);
            return -1;
        }
        g->stack = base;
        g->stack_len = total;
        g->vg_id = VALGRIND_STACK_REGISTER(base + guard, base + total);
        atomic_fetch_add_explicit(&gmp_sched.stacks, 1, memory_order_relaxed);
    }
    /* The switch's ret pops gmp_trampoline; it then sees rsp % 16 == 8,
     * as after a call, and above it a return address that panics. */
    uint64_t *top = (uint64_t *)(void *)(g->stack + g->stack_len);
    top[-1] = (uint64_t)(uintptr_t)gmp_fell_off;
    top[-2] = (uint64_t)(uintptr_t)gmp_trampoline;
    memset(&g->sched, 0, sizeof g->sched);
    g->sched.sp = (uint64_t)(uintptr_t)&top[-2];
    __asm__ volatile("stmxcsr %0" : "=m"(g->sched.csr));
    __asm__ volatile("fnstcw %0" : "=m"(g->sched.cw));
    return 0;
#else
    /* TODO 1.1: if g->stack is NULL, mmap a guard page + GMP_STACK_SIZE
     *           (PROT_NONE on the low page), VALGRIND_STACK_REGISTER it and
     *           count it in gmp_sched.stacks. Then build the first frame
     *           so the first gmp_switch to g->sched "returns" into
     *           gmp_trampoline with an ABI-aligned stack. */
    errno = ENOSYS;
    return -1;
#endif
}

/* Task 1.1: unmap g's stack. */
void gmp_stack_free(struct gmp_g *g);
void gmp_stack_free(struct gmp_g *g)
{
#ifdef SOLUTION
    if (!g->stack)
        return;
    VALGRIND_STACK_DEREGISTER(g->vg_id);
    munmap(g->stack, g->stack_len);
    g->stack = NULL;
    atomic_fetch_sub_explicit(&gmp_sched.stacks, 1, memory_order_relaxed);
#else
    /* TODO 1.1: deregister from valgrind, munmap, count it out. */
#endif
}

/* ================================================================== */
/* Task 1.2-1.4: run queues (runqput, runqget, runqsteal, globrunq*)   */
/* ================================================================== */

#ifdef SOLUTION
/* globrunqputbatch: append the chain first..last (n Gs). sched.lock held. */
static void globput_locked(struct gmp_g *first, struct gmp_g *last, long n)
{
    last->schedlink = NULL;
    if (gmp_sched.runq_tail)
        gmp_sched.runq_tail->schedlink = first;
    else
        gmp_sched.runq_head = first;
    gmp_sched.runq_tail = last;
    atomic_fetch_add_explicit(&gmp_sched.runq_size, n, memory_order_relaxed);
}

static struct gmp_g *globpop_locked(void)
{
    struct gmp_g *g = gmp_sched.runq_head;
    if (g) {
        gmp_sched.runq_head = g->schedlink;
        if (!gmp_sched.runq_head)
            gmp_sched.runq_tail = NULL;
        g->schedlink = NULL;
        atomic_fetch_sub_explicit(&gmp_sched.runq_size, 1, memory_order_relaxed);
    }
    return g;
}

static void globrunqput(struct gmp_g *g)
{
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    globput_locked(g, g, 1);
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
}

/* netpollBreak: make a blocked epoll_wait return. */
static void netpoll_break(void)
{
    uint64_t one = 1;
    if (write(gmp_sched.breakfd, &one, sizeof one) < 0 && errno != EAGAIN)
        gmp_panic("netpoll break: write to the eventfd failed (errno %d)", errno);
}

static struct gmp_p *pidleget(void);
static void startm(struct gmp_p *p);

/* wakep: tell one idle M there is new work (see struct gmp_sched); an M
 * blocked in epoll_wait is idle too: break its poll. With no M idle but
 * a P idle (sysmon put it there: no work then), start an M on that P.
 * The queueing came before, under a lock that handoffp's last look for
 * work also takes: either handoffp saw the work, or we see its P. */
static void wakep(void)
{
    atomic_fetch_add(&gmp_sched.work_seq, 1);
    if (atomic_load(&gmp_sched.nmidle) > 0) {
        GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
        GMP_OK(pthread_cond_signal(&gmp_sched.idle));
        if (gmp_sched.polling)
            netpoll_break();
        GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    } else if (atomic_load(&gmp_sched.npidle) > 0) {
        struct gmp_p *p = pidleget();
        if (p)
            startm(p);
    }
}

/* runqput: g into p's runnext (next) or ring; a full ring sends half of
 * itself and g to the global queue (runqputslow). Only p's own M puts. */
static void runqput(struct gmp_p *p, struct gmp_g *g, int next)
{
    struct gmp_g *batch[GMP_RUNQ_SIZE / 2 + 1];
    uint32_t n = 0;
    GMP_OK(pthread_mutex_lock(&p->lock));
    if (next) {
        struct gmp_g *old = p->runnext;
        p->runnext = g;
        g = old; /* the one kicked out goes to the ring's tail */
    }
    if (g) {
        if (p->tail - p->head < GMP_RUNQ_SIZE) {
            p->runq[p->tail % GMP_RUNQ_SIZE] = g;
            p->tail++;
        } else {
            for (n = 0; n < GMP_RUNQ_SIZE / 2; n++)
                batch[n] = p->runq[(p->head + n) % GMP_RUNQ_SIZE];
            p->head += n;
            batch[n++] = g;
        }
    }
    GMP_OK(pthread_mutex_unlock(&p->lock));
    if (n) {
        for (uint32_t i = 0; i + 1 < n; i++)
            batch[i]->schedlink = batch[i + 1];
        GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
        globput_locked(batch[0], batch[n - 1], n);
        GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
        atomic_fetch_add_explicit(&p->overflows, 1, memory_order_relaxed);
    }
    wakep();
}

/* runqget: runnext first, then the ring's head. */
static struct gmp_g *runqget(struct gmp_p *p)
{
    struct gmp_g *g = NULL;
    GMP_OK(pthread_mutex_lock(&p->lock));
    if (p->runnext) {
        g = p->runnext;
        p->runnext = NULL;
        atomic_fetch_add_explicit(&p->runnext_hits, 1, memory_order_relaxed);
    } else if (p->tail != p->head) {
        g = p->runq[p->head % GMP_RUNQ_SIZE];
        p->head++;
    }
    GMP_OK(pthread_mutex_unlock(&p->lock));
    return g;
}

/* globrunqget: one G to run, plus up to a fair share more into p's ring
 * (n = min(size, size/nprocs + 1, half a ring)). max = 1: just one. */
static struct gmp_g *globrunqget(struct gmp_p *p, long max)
{
    if (atomic_load_explicit(&gmp_sched.runq_size, memory_order_relaxed) == 0)
        return NULL;
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    long size = atomic_load_explicit(&gmp_sched.runq_size, memory_order_relaxed);
    long n = size / gmp_sched.nprocs + 1;
    if (n > size)
        n = size;
    if (n > max)
        n = max;
    struct gmp_g *g = n > 0 ? globpop_locked() : NULL;
    struct gmp_g *more[GMP_RUNQ_SIZE / 2];
    long k = 0;
    while (k < n - 1)
        more[k++] = globpop_locked();
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    if (!g)
        return NULL;
    atomic_fetch_add_explicit(&p->global_takes, 1, memory_order_relaxed);
    if (k) {
        GMP_OK(pthread_mutex_lock(&p->lock));
        for (long i = 0; i < k; i++) {
            GMP_ASSERT(p->tail - p->head < GMP_RUNQ_SIZE);
            p->runq[p->tail % GMP_RUNQ_SIZE] = more[i];
            p->tail++;
        }
        GMP_OK(pthread_mutex_unlock(&p->lock));
    }
    return g;
}

/* runqsteal: take half (rounded up) of victim's ring, or its runnext if
 * the ring is empty; run the last one, the rest go to p's ring. */
static struct gmp_g *runqsteal(struct gmp_p *p, struct gmp_p *victim)
{
    struct gmp_g *got[GMP_RUNQ_SIZE / 2 + 1];
    uint32_t n;
    GMP_OK(pthread_mutex_lock(&victim->lock));
    uint32_t avail = victim->tail - victim->head;
    n = avail - avail / 2;
    for (uint32_t i = 0; i < n; i++)
        got[i] = victim->runq[(victim->head + i) % GMP_RUNQ_SIZE];
    victim->head += n;
    if (n == 0 && victim->runnext) {
        got[n++] = victim->runnext;
        victim->runnext = NULL;
    }
    GMP_OK(pthread_mutex_unlock(&victim->lock));
    if (n == 0)
        return NULL;
    if (n > 1) {
        GMP_OK(pthread_mutex_lock(&p->lock));
        for (uint32_t i = 0; i + 1 < n; i++) {
            GMP_ASSERT(p->tail - p->head < GMP_RUNQ_SIZE);
            p->runq[p->tail % GMP_RUNQ_SIZE] = got[i];
            p->tail++;
        }
        GMP_OK(pthread_mutex_unlock(&p->lock));
    }
    atomic_fetch_add_explicit(&p->steals, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->stolen, n, memory_order_relaxed);
    return got[n - 1];
}

static uint64_t m_rand(struct gmp_m *m)
{
    m->rng ^= m->rng << 13;
    m->rng ^= m->rng >> 7;
    m->rng ^= m->rng << 17;
    return m->rng;
}

/* ------------------------------------------------------------------ */
/* Task 4.2: the timer heap (Go: time.go's addtimer, runtimer)         */
/* ------------------------------------------------------------------ */

/* Keep timer0 = the heap's earliest when. sched.lock held. */
static void timer0_update_locked(void)
{
    long long w = gmp_sched.ntimers ? gmp_sched.timers[0].when : LLONG_MAX;
    atomic_store_explicit(&gmp_sched.timer0, w, memory_order_relaxed);
}

/* Room for one more timer. 0, or -1 (ENOMEM). sched.lock held. */
static int timer_reserve_locked(void)
{
    if (gmp_sched.ntimers < gmp_sched.timers_cap)
        return 0;
    long cap = gmp_sched.timers_cap ? 2 * gmp_sched.timers_cap : 64;
    struct gmp_timer *t = realloc(gmp_sched.timers, (size_t)cap * sizeof *t);
    if (!t) {
        errno = ENOMEM;
        return -1;
    }
    gmp_sched.timers = t;
    gmp_sched.timers_cap = cap;
    return 0;
}

/* Sift up (a binary min-heap on when; Go uses a 4-ary heap). Room was
 * reserved. sched.lock held. */
static void timer_push_locked(struct gmp_timer t)
{
    struct gmp_timer *h = gmp_sched.timers;
    long i = gmp_sched.ntimers++;
    GMP_ASSERT(i < gmp_sched.timers_cap);
    while (i > 0 && h[(i - 1) / 2].when > t.when) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = t;
    timer0_update_locked();
}

/* Remove the earliest timer into *out. sched.lock held, heap not empty. */
static void timer_pop_locked(struct gmp_timer *out)
{
    struct gmp_timer *h = gmp_sched.timers;
    GMP_ASSERT(gmp_sched.ntimers > 0);
    *out = h[0];
    struct gmp_timer last = h[--gmp_sched.ntimers];
    long n = gmp_sched.ntimers, i = 0;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1].when < h[c].when)
            c++;
        if (h[c].when >= last.when)
            break;
        h[i] = h[c];
        i = c;
    }
    if (n > 0)
        h[i] = last;
    timer0_update_locked();
}

/* Run one expired timer: ready its G, or put the time on its channel (a
 * nonblocking send: the channel is empty, its one value is this one). */
static void runtimer(const struct gmp_timer *t, long long now)
{
    atomic_fetch_add_explicit(&gmp_sched.timers_fired, 1, memory_order_relaxed);
    if (t->g) {
        gmp_ready(t->g);
        return;
    }
    long long v = now;
    struct gmp_case cs = {t->c, GMP_SEND, &v, 0};
    if (gmp_select(&cs, 1, 0) != 0)
        gmp_panic("the channel of a gmp_after timer was full when it "
                  "fired: something else sent on it");
}

/* checkTimers: run every timer that is due. Cheap when none is: one
 * relaxed load of the hint (and a clock read if a timer is pending). */
static void checktimers(void)
{
    long long w = atomic_load_explicit(&gmp_sched.timer0, memory_order_relaxed);
    if (w == LLONG_MAX)
        return;
    long long now = gmp_nanotime();
    if (w > now)
        return;
    for (;;) {
        struct gmp_timer due[32];
        int n = 0;
        GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
        while (n < 32 && gmp_sched.ntimers > 0 &&
               gmp_sched.timers[0].when <= now)
            timer_pop_locked(&due[n++]);
        GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
        /* in deadline order, outside the lock (gmp_ready and the send
           take chan and P locks, which come before sched.lock) */
        for (int i = 0; i < n; i++)
            runtimer(&due[i], now);
        if (n < 32)
            return;
    }
}

/* ------------------------------------------------------------------ */
/* Task 5.2: netpoll (Go: netpoll_epoll.go's netpoll(delay))           */
/* ------------------------------------------------------------------ */

/* Wait up to ms (-1: no limit, 0: just look) for ready fds and ready the
 * Gs parked on them; 1 if it readied one. */
static int netpoll(int ms)
{
    struct epoll_event ev[64];
    int n = epoll_wait(gmp_sched.epfd, ev, 64, ms);
    if (n < 0 && errno != EINTR)
        gmp_panic("epoll_wait failed (errno %d)", errno);
    int readied = 0;
    for (int i = 0; i < n; i++) {
        struct gmp_g *g = ev[i].data.ptr;
        if (!g) { /* the break eventfd: drain it */
            uint64_t v;
            if (read(gmp_sched.breakfd, &v, sizeof v) < 0 && errno != EAGAIN)
                gmp_panic("netpoll: read of the eventfd failed (errno %d)", errno);
            continue;
        }
        /* EPOLLONESHOT: this event is ours alone. The G may still be
           between epoll_ctl and gmp_park: once we held pollock it is past
           its assert and unlock, so the handshake decides who queues it */
        GMP_OK(pthread_mutex_lock(&gmp_sched.pollock));
        GMP_OK(pthread_mutex_unlock(&gmp_sched.pollock));
        atomic_fetch_sub(&gmp_sched.npollwait, 1);
        gmp_ready(g);
        readied = 1;
    }
    if (readied)
        atomic_fetch_add_explicit(&gmp_sched.polls, 1, memory_order_relaxed);
    return readied;
}

/* ms until the earliest timer, rounded up; -1 with none. sched.lock held. */
static int poll_delay_locked(void)
{
    if (gmp_sched.ntimers == 0)
        return -1;
    long long d = gmp_sched.timers[0].when - gmp_nanotime();
    if (d <= 0)
        return 0;
    d = (d + 999999) / 1000000;
    return d > INT_MAX ? INT_MAX : (int)d;
}

/* The idle condvar (and sysmon's) measure timed waits on CLOCK_MONOTONIC,
 * the timers' clock. Set once, before any M exists. */
static pthread_once_t idle_once = PTHREAD_ONCE_INIT;
static void idle_init(void)
{
    pthread_condattr_t a;
    GMP_OK(pthread_condattr_init(&a));
    GMP_OK(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    GMP_OK(pthread_cond_destroy(&gmp_sched.idle));
    GMP_OK(pthread_cond_init(&gmp_sched.idle, &a));
    GMP_OK(pthread_cond_destroy(&gmp_sched.sysmon_cond));
    GMP_OK(pthread_cond_init(&gmp_sched.sysmon_cond, &a));
    GMP_OK(pthread_condattr_destroy(&a));
}

/* stopm's bed: sleep on idle, but never past the earliest timer (Go:
 * findRunnable's netpoll(delay) / notetsleep until pollUntil). sched.lock
 * held; returns at once when a timer is already due. */
static void idle_sleep_locked(void)
{
    if (gmp_sched.ntimers == 0) {
        GMP_OK(pthread_cond_wait(&gmp_sched.idle, &gmp_sched.lock));
        return;
    }
    long long when = gmp_sched.timers[0].when;
    if (when <= gmp_nanotime())
        return;
    struct timespec ts = {(time_t)(when / 1000000000LL),
                          (long)(when % 1000000000LL)};
    int rc = pthread_cond_timedwait(&gmp_sched.idle, &gmp_sched.lock, &ts);
    if (rc != 0 && rc != ETIMEDOUT)
        gmp_panic("pthread_cond_timedwait failed with error %d", rc);
}

/* findrunnable: due timers, local, global, steal from a random victim,
 * else sleep until wakep or the earliest timer. NULL once the runtime
 * stops. */
static struct gmp_g *findrunnable(struct gmp_m *m)
{
    struct gmp_p *p = m->p;
    int np = gmp_sched.nprocs;
    for (;;) {
        if (atomic_load(&gmp_sched.stop))
            return NULL;
        unsigned long seen = atomic_load(&gmp_sched.work_seq);
        checktimers();
        struct gmp_g *g;
        if ((g = runqget(p)) || (g = globrunqget(p, GMP_RUNQ_SIZE / 2)))
            return g;
        /* nonblocking netpoll: readied Gs went to the global queue */
        if (atomic_load(&gmp_sched.npollwait) > 0 && netpoll(0))
            continue;
        int start = (int)(m_rand(m) % (uint64_t)np);
        for (int i = 0; i < np; i++) {
            struct gmp_p *v = &gmp_sched.allp[(start + i) % np];
            if (v != p && (g = runqsteal(p, v)))
                return g;
        }
        /* stopm: sleep unless work appeared since `seen` was read */
        GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
        atomic_fetch_add(&gmp_sched.nmidle, 1);
        if (atomic_load(&gmp_sched.work_seq) == seen &&
            !atomic_load(&gmp_sched.stop)) {
            atomic_fetch_add_explicit(&p->m_parks, 1, memory_order_relaxed);
            if (atomic_load(&gmp_sched.npollwait) > 0 && !gmp_sched.polling) {
                /* the one M that sleeps in epoll_wait, no longer than
                   the earliest timer; wakep breaks it */
                int ms = poll_delay_locked();
                gmp_sched.polling = 1;
                GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
                netpoll(ms);
                GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
                gmp_sched.polling = 0;
            } else {
                idle_sleep_locked();
            }
        }
        atomic_fetch_sub(&gmp_sched.nmidle, 1);
        GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    }
}

/* A dead G goes to gfree with its stack (Go: gfput); the stack of one
 * beyond the cache is unmapped. */
#define GFREE_MAX 1024
static void gfput(struct gmp_g *g)
{
    int saved_errno = errno; /* gmp_go reports the errno of its failure */
    if (g->fiber)
        GMP_FIBER_FREE(g->fiber);
    g->fiber = NULL;
    g->status = G_DEAD;
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    if (gmp_sched.ngfree < GFREE_MAX) {
        g->schedlink = gmp_sched.gfree;
        gmp_sched.gfree = g;
        gmp_sched.ngfree++;
        g = NULL;
    }
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    if (g) {
        gmp_stack_free(g);
        free(g);
    }
    errno = saved_errno;
}

static struct gmp_g *gfget(void)
{
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    struct gmp_g *g = gmp_sched.gfree;
    if (g) {
        gmp_sched.gfree = g->schedlink;
        gmp_sched.ngfree--;
    }
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    return g;
}

/* ------------------------------------------------------------------ */
/* Task 6.2: idle Ps and Ms, handoffp (Go: pidleput, startm, stopm)    */
/* ------------------------------------------------------------------ */

/* acquirep: m holds p from now on (p is P_RUNNING, nobody else's). */
static void acquirep(struct gmp_m *m, struct gmp_p *p)
{
    m->p = p;
    atomic_store_explicit(&p->m, m, memory_order_release);
}

/* pidleput: p is held by no M from now on. sched.lock held. */
static void pidleput_locked(struct gmp_p *p)
{
    atomic_store_explicit(&p->status, P_IDLE, memory_order_relaxed);
    p->link = gmp_sched.pidle;
    gmp_sched.pidle = p;
    atomic_fetch_add(&gmp_sched.npidle, 1);
}

/* pidleget: an idle P, now P_RUNNING and the caller's, or NULL. */
static struct gmp_p *pidleget(void)
{
    if (atomic_load(&gmp_sched.npidle) == 0)
        return NULL;
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    struct gmp_p *p = gmp_sched.pidle;
    if (p) {
        gmp_sched.pidle = p->link;
        p->link = NULL;
        atomic_fetch_sub(&gmp_sched.npidle, 1);
        GMP_ASSERT(atomic_load_explicit(&p->status, memory_order_relaxed) == P_IDLE);
        atomic_store_explicit(&p->status, P_RUNNING, memory_order_relaxed);
    }
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    return p;
}

void *gmp_mstart(void *arg);

/* startm: run p on an M: one from midle, else a new one (at most
 * GMP_MAXM); with neither, or once stopping, p goes idle (an exitsyscall
 * or a later wakep picks it up). p is held by nobody (P_IDLE). */
static void startm(struct gmp_p *p)
{
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    struct gmp_m *m = gmp_sched.midle;
    if (!atomic_load(&gmp_sched.stop) && m) {
        gmp_sched.midle = m->mlink;
        m->mlink = NULL;
        atomic_store_explicit(&p->status, P_RUNNING, memory_order_relaxed);
        m->nextp = p; /* read by m under this lock */
        GMP_OK(pthread_cond_broadcast(&gmp_sched.mpark));
        GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
        return;
    }
    if (!atomic_load(&gmp_sched.stop) && gmp_sched.mcount < GMP_MAXM) {
        m = &gmp_sched.allm[gmp_sched.mcount];
        memset(m, 0, sizeof *m);
        m->id = gmp_sched.mcount;
        acquirep(m, p);
        m->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(m->id + 1);
        atomic_store_explicit(&p->status, P_RUNNING, memory_order_relaxed);
        if (pthread_create(&m->thread, NULL, gmp_mstart, m) == 0) {
            gmp_sched.mcount++;
            GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
            return;
        }
    }
    pidleput_locked(p);
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
}

/* stopm: an M with no P sleeps on midle until startm hands it one (it
 * returns with m->p set) or the runtime stops (m->p stays NULL). */
static void stopm(struct gmp_m *m)
{
    GMP_ASSERT(m->p == NULL);
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    if (!atomic_load(&gmp_sched.stop)) {
        m->mlink = gmp_sched.midle;
        gmp_sched.midle = m;
        while (!m->nextp && !atomic_load(&gmp_sched.stop))
            GMP_OK(pthread_cond_wait(&gmp_sched.mpark, &gmp_sched.lock));
    }
    if (m->nextp)
        acquirep(m, m->nextp);
    m->nextp = NULL;
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
}

/* handoffp: p was just retaken from a syscall (P_IDLE, nobody's). Work
 * for it anywhere (its own queue, the global queue, timers, Gs waiting on
 * fds): start an M on it. None: it goes idle, and the look at the global
 * queue happens under the lock a queueing's wakep takes after it. */
static void handoffp(struct gmp_p *p)
{
    GMP_OK(pthread_mutex_lock(&p->lock));
    int local = p->runnext != NULL || p->tail != p->head;
    GMP_OK(pthread_mutex_unlock(&p->lock));
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    if (!local && gmp_sched.runq_head == NULL && gmp_sched.ntimers == 0 &&
        atomic_load(&gmp_sched.npollwait) == 0) {
        pidleput_locked(p);
        GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
        return;
    }
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    startm(p);
}

/* ------------------------------------------------------------------ */
/* Task 6.2: sysmon and retake (Go: proc.go's sysmon, retake)          */
/* ------------------------------------------------------------------ */

static void preemptone(struct gmp_p *p);

/* Not under ThreadSanitizer (GMP_CAN_PREEMPT), nor under valgrind: its
 * sigreturn restores the whole guest state saved in its own signal frame,
 * the thread pointer (fs base) included, so a G whose handler returns on
 * another M than the one it was interrupted on would go on with the
 * first M's thread-locals. The kernel restores no fs base. */
static int can_preempt(void)
{
    return GMP_CAN_PREEMPT && !RUNNING_ON_VALGRIND;
}

/* retake: every P in a syscall since sysmon's last look (the same
 * syscalltick as then) is taken (CAS SYSCALL -> IDLE, against
 * exitsyscall's CAS SYSCALL -> RUNNING) and handed off: how many. A P
 * whose schedtick has not moved for GMP_TIMESLICE_NS runs one G that
 * long: preemptone (M7; again every tick until it moves). */
static int retake(long long now)
{
    int n = 0;
    int preempt = can_preempt() &&
                  atomic_load_explicit(&gmp_sched.preempt, memory_order_relaxed);
    for (int i = 0; i < gmp_sched.nprocs; i++) {
        struct gmp_p *p = &gmp_sched.allp[i];
        int status = atomic_load_explicit(&p->status, memory_order_acquire);
        if (status == P_RUNNING && preempt) {
            uint32_t t = atomic_load_explicit(&p->schedtick, memory_order_relaxed);
            if (p->sysmon_schedtick != t) {
                p->sysmon_schedtick = t;
                p->sysmon_schedwhen = now;
            } else if (now - p->sysmon_schedwhen >= GMP_TIMESLICE_NS) {
                preemptone(p);
            }
        }
        if (status != P_SYSCALL)
            continue;
        uint32_t t = atomic_load_explicit(&p->syscalltick, memory_order_relaxed);
        if (p->sysmon_syscalltick != t) {
            p->sysmon_syscalltick = t; /* first seen: one more tick */
            continue;
        }
        int expect = P_SYSCALL;
        if (!atomic_compare_exchange_strong_explicit(&p->status, &expect, P_IDLE,
                                                     memory_order_acq_rel,
                                                     memory_order_acquire))
            continue; /* its G came back first */
        atomic_fetch_add_explicit(&gmp_sched.handoffs, 1, memory_order_relaxed);
        handoffp(p);
        n++;
    }
    return n;
}

#define SYSMON_MIN_NS 20000LL      /* 20 us, as Go */
#define SYSMON_MAX_NS 10000000LL   /* 10 ms, as Go */

/* sysmon: a kernel thread with no P. It ticks every 20 us while it finds
 * work, and after 50 idle ticks doubles its delay up to 10 ms (Go's
 * backoff). It waits on a CLOCK_MONOTONIC condvar, so teardown wakes it
 * at once. */
static void *sysmon(void *arg)
{
    (void)arg;
    long long delay = SYSMON_MIN_NS;
    int idle = 0;
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    while (!atomic_load(&gmp_sched.stop)) {
        long long when = gmp_nanotime() + delay;
        struct timespec ts = {(time_t)(when / 1000000000LL),
                              (long)(when % 1000000000LL)};
        int rc = pthread_cond_timedwait(&gmp_sched.sysmon_cond, &gmp_sched.lock, &ts);
        if (rc != 0 && rc != ETIMEDOUT)
            gmp_panic("sysmon: pthread_cond_timedwait failed with error %d", rc);
        if (atomic_load(&gmp_sched.stop))
            break;
        GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
        int n = retake(gmp_nanotime());
        GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
        idle = n ? 0 : idle + 1;
        if (idle == 0)
            delay = SYSMON_MIN_NS;
        else if (idle > 50)
            delay *= 2;
        if (delay > SYSMON_MAX_NS)
            delay = SYSMON_MAX_NS;
    }
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Task 7.1: preemption by signal (Go: preemptone, preemptM,           */
/* doSigPreempt, isAsyncSafePoint)                                     */
/* ------------------------------------------------------------------ */

/* The program's own executable segments (not libc's, nor the dynamic
 * loader's, nor the vDSO's): found once with dl_iterate_phdr. A G
 * interrupted there runs its own code (or the runtime's, which
 * preemptoff covers); in libc it may hold malloc's lock. */
#define MAX_TEXT 8
static uintptr_t text_lo[MAX_TEXT], text_hi[MAX_TEXT];
static int ntext;
static pthread_once_t text_once = PTHREAD_ONCE_INIT;

static int text_phdr(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    for (int i = 0; i < info->dlpi_phnum && ntext < MAX_TEXT; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            text_lo[ntext] = info->dlpi_addr + ph->p_vaddr;
            text_hi[ntext] = text_lo[ntext] + ph->p_memsz;
            ntext++;
        }
    }
    return 1; /* the first object is the program itself: stop there */
}

static void text_init(void)
{
    dl_iterate_phdr(text_phdr, NULL);
}

/* isAsyncSafePoint, by address: the interrupted pc is the program's. */
static int program_pc(uintptr_t pc)
{
    for (int i = 0; i < ntext; i++)
        if (pc >= text_lo[i] && pc < text_hi[i])
            return 1;
    return 0;
}

/* errno is a thread-local reached through a function glibc declares
 * const: the compiler may reuse its address from before a switch. Set it
 * through a call it cannot see into. */
__attribute__((noinline)) static void set_errno(int e)
{
    __asm__ volatile("" ::: "memory");
    errno = e;
}

/* doSigPreempt: SIGURG from sysmon. Switch the G off if it is at a safe
 * point: this thread runs a G (tls_m->curg, holding a P: not in a
 * syscall), the interrupted sp is on that G's stack (not g0's), the G is
 * not in runtime code (preemptoff 0) and the pc is the program's (not
 * libc's). Else note it in g->preempt: the G yields when it leaves the
 * runtime, and sysmon signals again next tick. The handler's frame stays
 * on the G's stack until the G is resumed (on any M) and it returns. */
static void sigpreempt(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)si;
    int saved_errno = errno;
    struct gmp_m *m = tls_m;
    struct gmp_g *g = m ? m->curg : NULL;
    if (!g || !m->p)
        return;
    const ucontext_t *uc = ctx;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    uintptr_t lo = (uintptr_t)g->stack, hi = lo + g->stack_len;
    if (sp < lo || sp >= hi)
        return; /* g0 (the scheduler), between two Gs */
    if (g->preemptoff > 0 || !program_pc(pc)) {
        g->preempt = 1;
        return;
    }
    g->preemptoff++; /* this handler is runtime code now */
    g->preempt = 0;
    /* the kernel blocked SIGURG for the handler's run, and only its
       return would unblock it: this M would never see the next one */
    sigset_t urg;
    sigemptyset(&urg);
    sigaddset(&urg, SIGURG);
    pthread_sigmask(SIG_UNBLOCK, &urg, NULL);
    atomic_fetch_add_explicit(&gmp_sched.preemptions, 1, memory_order_relaxed);
    m->after = AFTER_PREEMPT;
    GMP_FIBER_ENTER(m->g0_fiber);
    gmp_switch(&g->sched, &m->g0);
    /* resumed, maybe on another M: return through sigreturn there */
    g->preemptoff--;
    set_errno(saved_errno);
}

static struct sigaction old_sigurg;

/* Install the handler (gmp_start) or put the old one back (teardown). */
static void sigpreempt_install(int on)
{
    if (!can_preempt())
        return;
    if (on) {
        GMP_OK(pthread_once(&text_once, text_init));
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = sigpreempt;
        sa.sa_flags = SA_SIGINFO | SA_RESTART; /* syscalls go on */
        sigemptyset(&sa.sa_mask);
        GMP_OK(sigaction(SIGURG, &sa, &old_sigurg));
    } else {
        GMP_OK(sigaction(SIGURG, &old_sigurg, NULL));
    }
}

/* preemptone: p's M has run one G for a whole time slice. Signal it if it
 * runs a G now (an idle M holding p has nothing to preempt). */
static void preemptone(struct gmp_p *p)
{
    struct gmp_m *m = atomic_load_explicit(&p->m, memory_order_acquire);
    if (m && atomic_load_explicit(&m->in_g, memory_order_acquire))
        pthread_kill(m->self, SIGURG); /* ESRCH is impossible: Ms
                                          outlive sysmon */
}
#endif

/* Task 7.1 (above, yours to write in this place): the SIGURG handler
 * (doSigPreempt) with its safe-point rule, its installation at gmp_start
 * and removal at teardown, and preemptone for sysmon.
 *
 * Task 7.2: a G leaving the runtime after a refused preemption switches
 * off now, as the signal would have (still inside the runtime:
 * preemptoff is 1). */
void gmp_preempt_yield(struct gmp_g *g)
{
#ifdef SOLUTION
    struct gmp_m *m = getm();
    g->preempt = 0;
    if (!m || m->curg != g || !m->p)
        return; /* in a syscall bracket: nothing to give back */
    atomic_fetch_add_explicit(&gmp_sched.preemptions, 1, memory_order_relaxed);
    m->after = AFTER_PREEMPT;
    GMP_FIBER_ENTER(m->g0_fiber);
    gmp_switch(&g->sched, &m->g0);
#else
    /* TODO 7.2: g->preempt = 0; unless it is in a syscall, switch to g0
     *           with AFTER_PREEMPT (counted in preemptions). */
    g->preempt = 0;
#endif
}
#ifdef SOLUTION

/* The G switched back to g0: do what it asked. */
static void after_switch(struct gmp_m *m, struct gmp_g *g)
{
    enum gmp_after a = m->after;
    m->after = AFTER_NONE;
    m->curg = NULL;
    gmp_tls_g = NULL;
    atomic_store_explicit(&m->in_g, 0, memory_order_relaxed);
    g->m = NULL;
    switch (a) {
    case AFTER_GOSCHED:
    case AFTER_PREEMPT: /* gopreempt_m: as a gosched */
        g->status = G_RUNNABLE;
        globrunqput(g);
        break;
    case AFTER_PARK: {
        int expect = PARK_PARKING;
        g->status = G_WAITING;
        if (!atomic_compare_exchange_strong_explicit(
                &g->park, &expect, PARK_ASLEEP, memory_order_acq_rel,
                memory_order_acquire)) {
            /* a waker came while it was still switching off: ours to queue */
            GMP_ASSERT(expect == PARK_WOKEN);
            atomic_store_explicit(&g->park, PARK_NONE, memory_order_relaxed);
            g->status = G_RUNNABLE;
            runqput(m->p, g, 1);
        }
        break;
    }
    case AFTER_EXITSYSCALL: {
        /* exitsyscall0: the G is back from its syscall and its P was
           retaken; an idle P runs it here, else it waits in the global
           queue and this M sleeps with no P */
        struct gmp_p *p = pidleget();
        g->status = G_RUNNABLE;
        if (p) {
            acquirep(m, p);
            runqput(p, g, 1);
        } else {
            globrunqput(g);
            wakep();
            stopm(m);
        }
        break;
    }
    case AFTER_EXIT:
        gfput(g);
        atomic_fetch_add_explicit(&gmp_sched.exited, 1, memory_order_relaxed);
        if (atomic_fetch_sub_explicit(&gmp_sched.live, 1, memory_order_acq_rel) == 1) {
            GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
            GMP_OK(pthread_cond_broadcast(&gmp_sched.done));
            GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
        }
        break;
    default:
        gmp_panic("a goroutine switched to g0 without saying why");
    }
}
#endif

/* Task 1.5: the loop of every M (the pthread start routine). */
void *gmp_mstart(void *arg);
void *gmp_mstart(void *arg)
{
#ifdef SOLUTION
    struct gmp_m *m = arg;
    tls_m = m;
    m->self = pthread_self();
    m->g0_fiber = GMP_FIBER_SELF();
    for (;;) { /* schedule() */
        struct gmp_p *p = m->p; /* a stopm may have changed it */
        if (!p)
            break; /* stopm returns without a P only when stopping */
        struct gmp_g *g = NULL;
        checktimers();
        /* fairness: every 61st tick the global queue has the first look */
        uint32_t tick = atomic_load_explicit(&p->schedtick, memory_order_relaxed);
        if (tick % GMP_GLOBAL_EVERY == 0)
            g = globrunqget(p, 1);
        if (!g && !(g = findrunnable(m)))
            break;
        /* execute */
        if (g->status != G_RUNNABLE)
            gmp_panic("schedule picked G %ld whose status is %d, not "
                      "runnable: it was in two run queues at once",
                      g->goid, (int)g->status);
        atomic_store_explicit(&p->schedtick, tick + 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&p->schedules, 1, memory_order_relaxed);
        g->status = G_RUNNING;
        g->m = m;
        m->curg = g;
        gmp_tls_g = g;
        atomic_store_explicit(&m->in_g, 1, memory_order_release);
        GMP_FIBER_ENTER(g->fiber);
        gmp_switch(&m->g0, &g->sched);
        after_switch(m, g);
    }
    return NULL;
#else
    /* TODO 1.5: tls_m = arg; then schedule(): forever find a runnable G
     *           (findrunnable: runqget, globrunqget, runqsteal from a
     *           random victim, else sleep on gmp_sched.idle without losing
     *           a wakep), giving the global queue the first look every
     *           GMP_GLOBAL_EVERY schedticks; switch to it (tell TSan with
     *           GMP_FIBER_ENTER first); when it switches back, do what
     *           m->after says. Return when gmp_sched.stop is set.
     * TODO 4.2: every schedule and every findrunnable round first runs
     *           the timers that are due (checkTimers); an idle M sleeps
     *           no later than the earliest pending deadline
     *           (pthread_cond_timedwait; make gmp_sched.idle measure
     *           CLOCK_MONOTONIC).
     * TODO 5.2: with Gs parked on fds, findrunnable polls epoll without
     *           blocking before it steals; one idle M blocks in
     *           epoll_wait (until the earliest timer) instead of the
     *           condvar, and wakep breaks it (write the eventfd).
     * TODO 6.2: m->p may change: re-read it every round; a G back from a
     *           syscall with no P (AFTER_EXITSYSCALL) takes an idle P, or
     *           goes to the global queue while this M sleeps with no P
     *           (stopm) until startm gives it one. wakep starts an M on
     *           an idle P when no M is idle.
     * TODO 7.1: schedtick is read by sysmon (relaxed atomics); before the
     *           switch to a G set gmp_tls_g = g and m->in_g = 1, after it
     *           NULL and 0; AFTER_PREEMPT puts the G on the global queue. */
    (void)tls_m;
    return arg;
#endif
}

/* ================================================================== */
/* Task 1.6: switching off a G                                         */
/* ================================================================== */

#ifdef SOLUTION
/* mcall: switch from the running G to its M's g0 with m->after = a. */
static void mcall(enum gmp_after a)
{
    struct gmp_m *m = getm();
    struct gmp_g *g = m->curg;
    m->after = a;
    GMP_FIBER_ENTER(m->g0_fiber);
    gmp_switch(&g->sched, &m->g0);
}

static struct gmp_g *must_g(const char *what)
{
    struct gmp_g *g = gmp_getg();
    if (!g)
        gmp_panic("%s called outside a goroutine (from a kernel thread "
                  "that is not running a G)", what);
    return g;
}
#endif

void gmp_gosched(void)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    must_g("gmp_gosched");
    mcall(AFTER_GOSCHED);
#else
    /* TODO 1.6: from a G only (else gmp_panic): switch to g0, which puts
     *           the G on the global queue (Go: goschedImpl). */
    gmp_panic("gmp_gosched is not written yet: handout Task 1.6");
#endif
}

void gmp_goexit(void)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    must_g("gmp_goexit");
    mcall(AFTER_EXIT);
    gmp_panic("a dead goroutine was scheduled again");
#else
    /* TODO 1.6: from a G only: switch to g0 for good; g0 buries the G
     *           (gfput) and wakes gmp_wait when it was the last one. */
    gmp_panic("gmp_goexit is not written yet: handout Task 1.6");
#endif
}

void gmp_park(pthread_mutex_t *lock)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    struct gmp_g *g = must_g("a blocking channel or WaitGroup call");
    GMP_ASSERT(atomic_load_explicit(&g->park, memory_order_relaxed) == PARK_PARKING);
    atomic_fetch_add_explicit(&gmp_sched.g_parks, 1, memory_order_relaxed);
    GMP_OK(pthread_mutex_unlock(lock));
    mcall(AFTER_PARK);
#else
    /* TODO 2.1: unlock `lock`, then switch to g0 with AFTER_PARK (g0
     *           finishes the handshake of enum gmp_park). */
    GMP_OK(pthread_mutex_unlock(lock));
    gmp_panic("gmp_park is not written yet: handout Task 2.1");
#endif
}

void gmp_ready(struct gmp_g *g)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    int expect = PARK_PARKING;
    if (atomic_compare_exchange_strong_explicit(&g->park, &expect, PARK_WOKEN,
                                                memory_order_acq_rel,
                                                memory_order_acquire))
        return; /* its g0 has not finished parking it: g0 queues it */
    GMP_ASSERT(expect == PARK_ASLEEP);
    atomic_store_explicit(&g->park, PARK_NONE, memory_order_relaxed);
    g->status = G_RUNNABLE;
    struct gmp_m *m = getm();
    if (m && m->curg && m->p) {
        runqput(m->p, g, 1);
    } else {
        globrunqput(g);
        wakep();
    }
#else
    /* TODO 2.1: CAS g->park PARKING -> WOKEN (its g0 will queue it); if
     *           it was ASLEEP, queue it yourself: your P's runnext from a
     *           G, the global queue from outside, and wake an idle M. */
    gmp_panic("gmp_ready is not written yet: handout Task 2.1");
#endif
}

/* ================================================================== */
/* Task 6.1: system calls (Go: entersyscall, exitsyscall)              */
/* ================================================================== */

#ifdef SOLUTION
/* The calling G's M, checked for a bracket's misuse: entering inside a
 * bracket, or leaving outside one, panics. */
static struct gmp_m *syscall_m(int entering)
{
    must_g(entering ? "gmp_entersyscall" : "gmp_exitsyscall");
    struct gmp_m *m = getm();
    if (entering && m->oldp)
        gmp_panic("gmp_entersyscall inside gmp_entersyscall (a syscall "
                  "bracket cannot nest)");
    if (!entering && !m->oldp)
        gmp_panic("gmp_exitsyscall without gmp_entersyscall");
    return m;
}
#endif

void gmp_entersyscall(void)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    struct gmp_m *m = syscall_m(1);
    struct gmp_p *p = m->p;
    /* the P stays this M's oldp, marked: sysmon may take it from now on */
    m->oldp = p;
    m->p = NULL;
    atomic_fetch_add_explicit(&p->syscalltick, 1, memory_order_relaxed);
    /* release: pairs with retake's acquire load (it sees the new tick
       and everything this M did with the P) */
    atomic_store_explicit(&p->status, P_SYSCALL, memory_order_release);
#else
    /* TODO 6.1: from a G only. Leave the P attached as m->oldp, m->p =
     *           NULL, bump p->syscalltick, then publish p->status =
     *           P_SYSCALL (release): from now on sysmon may retake it. */
    gmp_panic("gmp_entersyscall is not written yet: handout Task 6.1");
#endif
}

void gmp_exitsyscall(void)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    int expect = P_SYSCALL;
    struct gmp_m *m = syscall_m(0);
    struct gmp_p *p = m->oldp;
    m->oldp = NULL;
    /* fast path: our P is still ours (sysmon's retake CASes the same
       word: exactly one of us wins) */
    if (atomic_compare_exchange_strong_explicit(&p->status, &expect, P_RUNNING,
                                                memory_order_acq_rel,
                                                memory_order_acquire)) {
        m->p = p;
        return;
    }
    /* retaken: any idle P will do */
    if ((p = pidleget())) {
        acquirep(m, p);
        return;
    }
    /* none: g0 tries once more, else queues us globally and stops */
    mcall(AFTER_EXITSYSCALL);
#else
    /* TODO 6.1: CAS m->oldp's status P_SYSCALL -> P_RUNNING and keep it;
     *           if sysmon took it, take an idle P (pidleget); if there is
     *           none, switch to g0 (AFTER_EXITSYSCALL), which puts the G
     *           on the global queue and parks the M (stopm). */
    gmp_panic("gmp_exitsyscall is not written yet: handout Task 6.1");
#endif
}

/* ================================================================== */
/* Task 4.1, 4.3: sleep and after (Go: time.Sleep, time.After)         */
/* ================================================================== */

void gmp_sleep(long long ns)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    struct gmp_g *g = must_g("gmp_sleep");
    if (ns <= 0) {
        mcall(AFTER_GOSCHED);
        return;
    }
    long long now = gmp_nanotime();
    struct gmp_timer t = {ns > LLONG_MAX - now ? LLONG_MAX - 1 : now + ns, g, NULL};
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    if (timer_reserve_locked() != 0)
        gmp_panic("gmp_sleep: out of memory for the timer heap");
    /* the heap is this G's wait queue: PARKING under its lock, as a
       channel's; no wakep: this G's own M is awake and sees the timer
       in schedule or when it goes idle */
    timer_push_locked(t);
    atomic_store_explicit(&g->park, PARK_PARKING, memory_order_relaxed);
    gmp_park(&gmp_sched.lock);
#else
    /* TODO 4.1: from a G only; ns <= 0 yields. Else push {now + ns, this
     *           G} on the timer heap and park with the heap's lock as the
     *           queue's lock (PARK_PARKING first); checkTimers readies it. */
    (void)ns;
    gmp_panic("gmp_sleep is not written yet: handout Task 4.1");
#endif
}

gmp_chan *gmp_after(long long ns)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    gmp_chan *c = gmp_chan_make(sizeof(long long), 1);
    if (!c)
        return NULL;
    long long now = gmp_nanotime();
    struct gmp_timer t = {ns <= 0 ? now : ns > LLONG_MAX - now ? LLONG_MAX - 1 : now + ns,
                          NULL, c};
    int err = 0;
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    if (!gmp_sched.up)
        err = ESRCH;
    else if (timer_reserve_locked() != 0)
        err = ENOMEM;
    else
        timer_push_locked(t);
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    if (err) {
        gmp_chan_free(c);
        errno = err;
        return NULL;
    }
    /* the caller may be no M at all: an idle M must re-read the heap
       (wakep's work_seq makes one that is about to sleep look again) */
    wakep();
    return c;
#else
    /* TODO 4.3: a channel of one long long with capacity 1 and a timer
     *           {now + ns, that channel} on the heap (ESRCH if no runtime
     *           is up); wake an idle M so it sleeps no later than the new
     *           deadline. checkTimers sends the time on it. */
    (void)ns;
    errno = ENOSYS;
    return NULL;
#endif
}

/* ================================================================== */
/* Task 5.1: waiting on an fd (Go: pollDesc, netpollblock)             */
/* ================================================================== */

#ifdef SOLUTION
/* Park the calling G until fd has `events` (EPOLLIN or EPOLLOUT), or an
 * error or hangup. 0, or -1 with errno (fd cannot be polled). */
static int netpollblock(int fd, uint32_t events)
{
    struct gmp_g *g = must_g("gmp_read/gmp_write/gmp_accept/gmp_connect");
    struct epoll_event ev = {.events = events | EPOLLONESHOT, .data.ptr = g};
    GMP_OK(pthread_mutex_lock(&gmp_sched.pollock));
    atomic_fetch_add(&gmp_sched.npollwait, 1);
    atomic_store_explicit(&g->park, PARK_PARKING, memory_order_relaxed);
    if (epoll_ctl(gmp_sched.epfd, EPOLL_CTL_MOD, fd, &ev) != 0 &&
        (errno != ENOENT || epoll_ctl(gmp_sched.epfd, EPOLL_CTL_ADD, fd, &ev) != 0)) {
        int e = errno;
        atomic_store_explicit(&g->park, PARK_NONE, memory_order_relaxed);
        atomic_fetch_sub(&gmp_sched.npollwait, 1);
        GMP_OK(pthread_mutex_unlock(&gmp_sched.pollock));
        errno = e;
        return -1;
    }
    gmp_park(&gmp_sched.pollock);
    return 0;
}

static int would_block(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK;
}
#endif

ssize_t gmp_read(int fd, void *buf, size_t n)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0 || !would_block())
            return r;
        if (netpollblock(fd, EPOLLIN) != 0)
            return -1;
    }
#else
    /* TODO 5.1: read; on EAGAIN park until epoll says fd is readable
     *           (EPOLLIN | EPOLLONESHOT, the G as the event's data), then
     *           try again. */
    (void)fd, (void)buf, (void)n;
    errno = ENOSYS;
    return -1;
#endif
}

ssize_t gmp_write(int fd, const void *buf, size_t n)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, (const char *)buf + done, n - done);
        if (w >= 0)
            done += (size_t)w;
        else if (!would_block() || netpollblock(fd, EPOLLOUT) != 0)
            return -1;
    }
    return (ssize_t)n;
#else
    /* TODO 5.1: write all n bytes; on EAGAIN park until EPOLLOUT. */
    (void)fd, (void)buf, (void)n;
    errno = ENOSYS;
    return -1;
#endif
}

int gmp_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    int c;
    while ((c = accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0 &&
           would_block())
        if (netpollblock(fd, EPOLLIN) != 0)
            return -1;
    return c;
#else
    /* TODO 5.1: accept4 (SOCK_NONBLOCK); on EAGAIN park until EPOLLIN. */
    (void)fd, (void)addr, (void)len;
    errno = ENOSYS;
    return -1;
#endif
}

int gmp_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    if (connect(fd, addr, len) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return -1;
    if (netpollblock(fd, EPOLLOUT) != 0)
        return -1;
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
        return -1;
    errno = err;
    return err ? -1 : 0;
#else
    /* TODO 5.1: connect; EINPROGRESS: park until EPOLLOUT, then the
     *           result is getsockopt(SO_ERROR). */
    (void)fd, (void)addr, (void)len;
    errno = ENOSYS;
    return -1;
#endif
}

/* ================================================================== */
/* Task 1.2: go                                                        */
/* ================================================================== */

gmp_g *gmp_go(void (*fn)(void *), void *arg)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    if (!fn) {
        errno = EINVAL;
        return NULL;
    }
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    int up = gmp_sched.up;
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    if (!up) {
        errno = ESRCH;
        return NULL;
    }
    struct gmp_g *g = gfget();
    if (!g && !(g = calloc(1, sizeof *g)))
        return NULL;
    if (gmp_stack_new(g) != 0) {
        gfput(g); /* keeps errno */
        return NULL;
    }
    g->fn = fn;
    g->arg = arg;
    g->goid = atomic_fetch_add_explicit(&gmp_sched.goidgen, 1, memory_order_relaxed) + 1;
    g->fiber = GMP_FIBER_NEW();
    atomic_store_explicit(&g->park, PARK_NONE, memory_order_relaxed);
    g->preemptoff = 1; /* the switch into it is runtime code: the
                          trampoline lowers it before fn */
    g->preempt = 0;
    g->status = G_RUNNABLE;
    atomic_fetch_add_explicit(&gmp_sched.live, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&gmp_sched.spawned, 1, memory_order_relaxed);
    struct gmp_m *m = getm();
    if (m && m->curg && m->p) {
        runqput(m->p, g, 1); /* newproc: runqput(pp, newg, true) */
    } else {
        globrunqput(g);
        wakep();
    }
    return g;
#else
    /* TODO 1.2: a G (gfget, else calloc), its stack (gmp_stack_new), a
     *           goid, a TSan fiber; count it live; then runqput(p, g,
     *           next=1) from a G or the global queue from outside, and
     *           wakep().
     * TODO 7.2: g->preemptoff = 1 and g->preempt = 0 before queueing: the
     *           switch into a G is runtime code. And GMP_NOPREEMPT() as
     *           the first statement of every function of gmp.h. */
    errno = ENOSYS;
    return NULL;
#endif
}

long gmp_goid(void)
{
    GMP_NOPREEMPT();
    struct gmp_g *g = gmp_getg();
    return g ? g->goid : 0;
}

int gmp_procid(void)
{
    GMP_NOPREEMPT();
    struct gmp_m *m = getm();
    return m && m->curg && m->p ? m->p->id : -1;
}

/* ================================================================== */
/* Task 1.7: start, wait, stats                                        */
/* ================================================================== */

#ifdef SOLUTION
static void collect(struct gmp_stats *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < gmp_sched.nprocs; i++) {
        struct gmp_p *p = &gmp_sched.allp[i];
        s->schedules += atomic_load_explicit(&p->schedules, memory_order_relaxed);
        s->runnext_hits += atomic_load_explicit(&p->runnext_hits, memory_order_relaxed);
        s->global_takes += atomic_load_explicit(&p->global_takes, memory_order_relaxed);
        s->steals += atomic_load_explicit(&p->steals, memory_order_relaxed);
        s->stolen += atomic_load_explicit(&p->stolen, memory_order_relaxed);
        s->overflows += atomic_load_explicit(&p->overflows, memory_order_relaxed);
        s->m_parks += atomic_load_explicit(&p->m_parks, memory_order_relaxed);
    }
    s->spawned = atomic_load_explicit(&gmp_sched.spawned, memory_order_relaxed);
    s->exited = atomic_load_explicit(&gmp_sched.exited, memory_order_relaxed);
    s->live = atomic_load_explicit(&gmp_sched.live, memory_order_relaxed);
    s->g_parks = atomic_load_explicit(&gmp_sched.g_parks, memory_order_relaxed);
    s->stacks = atomic_load_explicit(&gmp_sched.stacks, memory_order_relaxed);
    s->timers_fired = atomic_load_explicit(&gmp_sched.timers_fired, memory_order_relaxed);
    s->polls = atomic_load_explicit(&gmp_sched.polls, memory_order_relaxed);
    s->handoffs = atomic_load_explicit(&gmp_sched.handoffs, memory_order_relaxed);
    s->ms = (unsigned long)gmp_sched.mcount; /* sched.lock held */
    s->preemptions = atomic_load_explicit(&gmp_sched.preemptions, memory_order_relaxed);
}

/* Stop sysmon and every M started, free Ps, Ms and dead Gs. sched.lock
 * NOT held. */
static void teardown(void)
{
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    atomic_store(&gmp_sched.stop, 1);
    GMP_OK(pthread_cond_broadcast(&gmp_sched.idle));
    GMP_OK(pthread_cond_broadcast(&gmp_sched.mpark));
    GMP_OK(pthread_cond_signal(&gmp_sched.sysmon_cond));
    if (gmp_sched.polling)
        netpoll_break();
    int sysmon_up = gmp_sched.sysmon_up;
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    /* sysmon first: after it, and with stop set, no M is started */
    if (sysmon_up)
        GMP_OK(pthread_join(gmp_sched.sysmon, NULL));
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    int n = gmp_sched.mcount;
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    for (int i = 0; i < n; i++)
        GMP_OK(pthread_join(gmp_sched.allm[i].thread, NULL));
    sigpreempt_install(0); /* sysmon, the only sender, is gone */
    close(gmp_sched.epfd);
    close(gmp_sched.breakfd);
    gmp_sched.epfd = gmp_sched.breakfd = -1;
    atomic_store(&gmp_sched.npollwait, 0);
    struct gmp_g *g;
    while ((g = gfget())) {
        gmp_stack_free(g);
        free(g);
    }
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    collect(&last_stats);
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    /* gmp_after timers nobody waited for: dropped (their channels are
       the caller's to free) */
    free(gmp_sched.timers);
    gmp_sched.timers = NULL;
    gmp_sched.ntimers = gmp_sched.timers_cap = 0;
    atomic_store_explicit(&gmp_sched.timer0, LLONG_MAX, memory_order_relaxed);
    for (int i = 0; i < gmp_sched.nprocs; i++)
        GMP_OK(pthread_mutex_destroy(&gmp_sched.allp[i].lock));
    free(gmp_sched.allp);
    free(gmp_sched.allm);
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    gmp_sched.allp = NULL;
    gmp_sched.allm = NULL;
    gmp_sched.mcount = 0;
    gmp_sched.midle = NULL;
    gmp_sched.pidle = NULL;
    atomic_store(&gmp_sched.npidle, 0);
    gmp_sched.sysmon_up = 0;
    gmp_sched.up = 0;
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
}
#endif

#ifdef SOLUTION
/* netpollinit: the epoll instance and its break eventfd. 0 or an errno.
 * sched.lock held, no runtime up. */
static int netpoll_init(void)
{
    int e;
    gmp_sched.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (gmp_sched.epfd < 0)
        return errno;
    gmp_sched.breakfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (gmp_sched.breakfd < 0 ||
        epoll_ctl(gmp_sched.epfd, EPOLL_CTL_ADD, gmp_sched.breakfd, &ev) != 0) {
        e = errno;
        if (gmp_sched.breakfd >= 0)
            close(gmp_sched.breakfd);
        close(gmp_sched.epfd);
        gmp_sched.epfd = gmp_sched.breakfd = -1;
        return e;
    }
    gmp_sched.polling = 0;
    atomic_store(&gmp_sched.npollwait, 0);
    return 0;
}
#endif

int gmp_start(int nprocs)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    int err = 0;
    struct gmp_p *ps = NULL;
    struct gmp_m *ms = NULL;
    if (getm())
        err = EPERM; /* an M would wait for itself */
    else if (nprocs < 1 || nprocs > GMP_MAXPROCS)
        err = EINVAL;
    else if (!(ps = calloc((size_t)nprocs, sizeof *ps)) ||
             !(ms = calloc(GMP_MAXM, sizeof *ms)))
        err = ENOMEM;
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    if (!err && gmp_sched.up)
        err = EBUSY;
    if (!err)
        err = netpoll_init();
    if (err) {
        GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
        free(ps);
        free(ms);
        errno = err;
        return -1;
    }
    GMP_OK(pthread_once(&idle_once, idle_init));
    for (int i = 0; i < nprocs; i++) {
        ps[i].id = i;
        GMP_OK(pthread_mutex_init(&ps[i].lock, NULL));
        atomic_store_explicit(&ps[i].status, P_RUNNING, memory_order_relaxed);
        ms[i].id = i;
        acquirep(&ms[i], &ps[i]);
        ms[i].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
    }
    gmp_sched.allp = ps;
    gmp_sched.allm = ms;
    gmp_sched.nprocs = nprocs;
    gmp_sched.owner = pthread_self();
    gmp_sched.up = 1;
    atomic_store(&gmp_sched.stop, 0);
    atomic_store(&gmp_sched.goidgen, 0);
    atomic_store(&gmp_sched.spawned, 0);
    atomic_store(&gmp_sched.exited, 0);
    atomic_store(&gmp_sched.g_parks, 0);
    atomic_store(&gmp_sched.timers_fired, 0);
    atomic_store(&gmp_sched.polls, 0);
    atomic_store(&gmp_sched.handoffs, 0);
    atomic_store(&gmp_sched.preemptions, 0);
    atomic_store(&gmp_sched.preempt, 1);
    sigpreempt_install(1);
    atomic_store(&gmp_sched.npidle, 0);
    gmp_sched.midle = NULL;
    gmp_sched.pidle = NULL;
    atomic_store_explicit(&gmp_sched.timer0, LLONG_MAX, memory_order_relaxed);
    ever_started = 1;
    /* the Ms and sysmon start under the lock: mcount and sysmon_up are
       exact when teardown reads them */
    int rc = 0;
    for (gmp_sched.mcount = 0; gmp_sched.mcount < nprocs; gmp_sched.mcount++)
        if ((rc = pthread_create(&ms[gmp_sched.mcount].thread, NULL, gmp_mstart,
                                 &ms[gmp_sched.mcount])) != 0)
            break;
    if (rc == 0 && (rc = pthread_create(&gmp_sched.sysmon, NULL, sysmon, NULL)) == 0)
        gmp_sched.sysmon_up = 1;
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    if (rc != 0) {
        teardown();
        errno = rc;
        return -1;
    }
    return 0;
#else
    /* TODO 1.7: check the caller and nprocs, make the Ps and Ms, one
     *           pthread per M running gmp_mstart; undo it all on failure.
     * TODO 5.2: and the epoll instance with its break eventfd.
     * TODO 6.2: and sysmon, a kernel thread of its own (no P) that ticks
     *           on a CLOCK_MONOTONIC timed wait (20 us, backing off to
     *           10 ms) and retakes Ps left in P_SYSCALL for a whole tick
     *           (handoffp: startm if there is work, else the idle list).
     *           Ms are now started on demand too (at most GMP_MAXM).
     * TODO 7.1: install the SIGURG handler (SA_SIGINFO | SA_RESTART; find
     *           the program's executable segments once with
     *           dl_iterate_phdr), knob on, and let sysmon preempt: a P in
     *           P_RUNNING whose schedtick has not moved for
     *           GMP_TIMESLICE_NS gets pthread_kill(its M, SIGURG) if that
     *           M runs a G. Put the old handler back at teardown. */
    errno = ENOSYS;
    return -1;
#endif
}

int gmp_wait(void)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    int err = 0;
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    if (!gmp_sched.up)
        err = ESRCH;
    else if (!pthread_equal(gmp_sched.owner, pthread_self()))
        err = EPERM;
    else
        while (atomic_load_explicit(&gmp_sched.live, memory_order_acquire) > 0)
            GMP_OK(pthread_cond_wait(&gmp_sched.done, &gmp_sched.lock));
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    if (err) {
        errno = err;
        return -1;
    }
    teardown();
    return 0;
#else
    /* TODO 1.7: wait on gmp_sched.done until no G is live, then stop the
     *           Ms (stop = 1, wake them all), join them, free everything. */
    errno = ENOSYS;
    return -1;
#endif
}

int gmp_run(int nprocs, void (*fn)(void *), void *arg)
{
    if (gmp_start(nprocs) != 0)
        return -1;
    if (!gmp_go(fn, arg)) {
        int e = errno;
        gmp_wait();
        errno = e;
        return -1;
    }
    return gmp_wait();
}

int gmp_stats(struct gmp_stats *out)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    int err = out ? 0 : EINVAL;
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    if (!err && !ever_started)
        err = ESRCH;
    else if (!err && gmp_sched.up)
        collect(out);
    else if (!err)
        *out = last_stats; /* what teardown saw last */
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    errno = err ? err : errno;
    return err ? -1 : 0;
#else
    /* TODO 1.7: sum the Ps' counters (or the copy gmp_wait kept). */
    (void)last_stats;
    (void)ever_started;
    errno = ENOSYS;
    return -1;
#endif
}

int gmp_set_preempt(int on)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    int err = 0, old = -1;
    GMP_OK(pthread_mutex_lock(&gmp_sched.lock));
    if (!gmp_sched.up)
        err = ESRCH;
    else
        old = atomic_exchange_explicit(&gmp_sched.preempt, on != 0,
                                       memory_order_relaxed);
    GMP_OK(pthread_mutex_unlock(&gmp_sched.lock));
    if (err)
        errno = err;
    return old;
#else
    /* TODO 7.1: swap the knob sysmon reads (ESRCH with no runtime up). */
    (void)on;
    errno = ENOSYS;
    return -1;
#endif
}
