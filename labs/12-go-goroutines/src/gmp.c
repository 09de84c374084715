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


/* The first code of every G (Go: goexit is the return address of every
 * goroutine's entry function). */
__attribute__((noreturn)) void gmp_trampoline(void);
void gmp_trampoline(void)
{
    /* TODO 1.1: run g->fn(g->arg) for g = gmp_getg(), then gmp_goexit():
     *           returning from the entry function IS goexit.
     * TODO 7.2: lower g->preemptoff (gmp_go made it 1) just before fn. */
    gmp_panic("gmp_trampoline is not written yet: handout Task 1.1");
}

/* Task 1.1: a stack for g (reused from gfree when there is one) and a
 * first frame that returns into gmp_trampoline. 0 or -1 with errno. */
int gmp_stack_new(struct gmp_g *g);
int gmp_stack_new(struct gmp_g *g)
{
    /* TODO 1.1: if g->stack is NULL, mmap a guard page + GMP_STACK_SIZE
     *           (PROT_NONE on the low page), VALGRIND_STACK_REGISTER it and
     *           count it in gmp_sched.stacks. Then build the first frame
     *           so the first gmp_switch to g->sched "returns" into
     *           gmp_trampoline with an ABI-aligned stack. */
    errno = ENOSYS;
    return -1;
}

/* Task 1.1: unmap g's stack. */
void gmp_stack_free(struct gmp_g *g);
void gmp_stack_free(struct gmp_g *g)
{
    /* TODO 1.1: deregister from valgrind, munmap, count it out. */
}

/* ================================================================== */
/* Task 1.2-1.4: run queues (runqput, runqget, runqsteal, globrunq*)   */
/* ================================================================== */


/* Task 7.1 (above, yours to write in this place): the SIGURG handler
 * (doSigPreempt) with its safe-point rule, its installation at gmp_start
 * and removal at teardown, and preemptone for sysmon.
 *
 * Task 7.2: a G leaving the runtime after a refused preemption switches
 * off now, as the signal would have (still inside the runtime:
 * preemptoff is 1). */
void gmp_preempt_yield(struct gmp_g *g)
{
    /* TODO 7.2: g->preempt = 0; unless it is in a syscall, switch to g0
     *           with AFTER_PREEMPT (counted in preemptions). */
    g->preempt = 0;
}

/* Task 1.5: the loop of every M (the pthread start routine). */
void *gmp_mstart(void *arg);
void *gmp_mstart(void *arg)
{
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
}

/* ================================================================== */
/* Task 1.6: switching off a G                                         */
/* ================================================================== */


void gmp_gosched(void)
{
    /* TODO 1.6: from a G only (else gmp_panic): switch to g0, which puts
     *           the G on the global queue (Go: goschedImpl). */
    gmp_panic("gmp_gosched is not written yet: handout Task 1.6");
}

void gmp_goexit(void)
{
    /* TODO 1.6: from a G only: switch to g0 for good; g0 buries the G
     *           (gfput) and wakes gmp_wait when it was the last one. */
    gmp_panic("gmp_goexit is not written yet: handout Task 1.6");
}

void gmp_park(pthread_mutex_t *lock)
{
    /* TODO 2.1: unlock `lock`, then switch to g0 with AFTER_PARK (g0
     *           finishes the handshake of enum gmp_park). */
    GMP_OK(pthread_mutex_unlock(lock));
    gmp_panic("gmp_park is not written yet: handout Task 2.1");
}

void gmp_ready(struct gmp_g *g)
{
    /* TODO 2.1: CAS g->park PARKING -> WOKEN (its g0 will queue it); if
     *           it was ASLEEP, queue it yourself: your P's runnext from a
     *           G, the global queue from outside, and wake an idle M. */
    gmp_panic("gmp_ready is not written yet: handout Task 2.1");
}

/* ================================================================== */
/* Task 6.1: system calls (Go: entersyscall, exitsyscall)              */
/* ================================================================== */


void gmp_entersyscall(void)
{
    /* TODO 6.1: from a G only. Leave the P attached as m->oldp, m->p =
     *           NULL, bump p->syscalltick, then publish p->status =
     *           P_SYSCALL (release): from now on sysmon may retake it. */
    gmp_panic("gmp_entersyscall is not written yet: handout Task 6.1");
}

void gmp_exitsyscall(void)
{
    /* TODO 6.1: CAS m->oldp's status P_SYSCALL -> P_RUNNING and keep it;
     *           if sysmon took it, take an idle P (pidleget); if there is
     *           none, switch to g0 (AFTER_EXITSYSCALL), which puts the G
     *           on the global queue and parks the M (stopm). */
    gmp_panic("gmp_exitsyscall is not written yet: handout Task 6.1");
}

/* ================================================================== */
/* Task 4.1, 4.3: sleep and after (Go: time.Sleep, time.After)         */
/* ================================================================== */

void gmp_sleep(long long ns)
{
    /* TODO 4.1: from a G only; ns <= 0 yields. Else push {now + ns, this
     *           G} on the timer heap and park with the heap's lock as the
     *           queue's lock (PARK_PARKING first); checkTimers readies it. */
    (void)ns;
    gmp_panic("gmp_sleep is not written yet: handout Task 4.1");
}

gmp_chan *gmp_after(long long ns)
{
    /* TODO 4.3: a channel of one long long with capacity 1 and a timer
     *           {now + ns, that channel} on the heap (ESRCH if no runtime
     *           is up); wake an idle M so it sleeps no later than the new
     *           deadline. checkTimers sends the time on it. */
    (void)ns;
    errno = ENOSYS;
    return NULL;
}

/* ================================================================== */
/* Task 5.1: waiting on an fd (Go: pollDesc, netpollblock)             */
/* ================================================================== */


ssize_t gmp_read(int fd, void *buf, size_t n)
{
    /* TODO 5.1: read; on EAGAIN park until epoll says fd is readable
     *           (EPOLLIN | EPOLLONESHOT, the G as the event's data), then
     *           try again. */
    (void)fd, (void)buf, (void)n;
    errno = ENOSYS;
    return -1;
}

ssize_t gmp_write(int fd, const void *buf, size_t n)
{
    /* TODO 5.1: write all n bytes; on EAGAIN park until EPOLLOUT. */
    (void)fd, (void)buf, (void)n;
    errno = ENOSYS;
    return -1;
}

int gmp_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    /* TODO 5.1: accept4 (SOCK_NONBLOCK); on EAGAIN park until EPOLLIN. */
    (void)fd, (void)addr, (void)len;
    errno = ENOSYS;
    return -1;
}

int gmp_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    /* TODO 5.1: connect; EINPROGRESS: park until EPOLLOUT, then the
     *           result is getsockopt(SO_ERROR). */
    (void)fd, (void)addr, (void)len;
    errno = ENOSYS;
    return -1;
}

/* ================================================================== */
/* Task 1.2: go                                                        */
/* ================================================================== */

gmp_g *gmp_go(void (*fn)(void *), void *arg)
{
    /* TODO 1.2: a G (gfget, else calloc), its stack (gmp_stack_new), a
     *           goid, a TSan fiber; count it live; then runqput(p, g,
     *           next=1) from a G or the global queue from outside, and
     *           wakep().
     * TODO 7.2: g->preemptoff = 1 and g->preempt = 0 before queueing: the
     *           switch into a G is runtime code. And GMP_NOPREEMPT() as
     *           the first statement of every function of gmp.h. */
    errno = ENOSYS;
    return NULL;
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



int gmp_start(int nprocs)
{
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
}

int gmp_wait(void)
{
    /* TODO 1.7: wait on gmp_sched.done until no G is live, then stop the
     *           Ms (stop = 1, wake them all), join them, free everything. */
    errno = ENOSYS;
    return -1;
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
    /* TODO 1.7: sum the Ps' counters (or the copy gmp_wait kept). */
    (void)last_stats;
    (void)ever_started;
    errno = ENOSYS;
    return -1;
}

int gmp_set_preempt(int on)
{
    /* TODO 7.1: swap the knob sysmon reads (ESRCH with no runtime up). */
    (void)on;
    errno = ENOSYS;
    return -1;
}
