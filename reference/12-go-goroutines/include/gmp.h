/*
 * gmp.h - a Go-style G/M/P scheduler in C: the whole student API.
 *
 * G: a goroutine (its own stack and saved registers). M: a kernel thread
 * that runs Gs. P: a processor, the right to run Gs, with a local run
 * queue; an M needs a P to run a G. gmp_start(n) makes n Ps (GOMAXPROCS)
 * and one M for each; more Ms are started on demand while Gs sit in
 * system calls (at most GMP_MAXM in all). The names follow Go's runtime (proc.go, chan.go):
 * the handout maps each function to its counterpart there.
 *
 * This version has milestones M1 (scheduler), M2 (channels and
 * WaitGroup), M3 (select), M4 (timers), M5 (the netpoller), M6 (the
 * handoff of a P around a blocking system call) and M7 (preemption of a
 * G that runs too long, by a signal).
 *
 * Misuse that Go reports with a panic (send on a closed channel, close of
 * a closed channel, a negative WaitGroup counter, a goroutine-only call
 * made outside a goroutine) prints "gmp panic: <what>" on stderr and
 * aborts the process.
 */
#ifndef GMP_H
#define GMP_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define GMP_STACK_SIZE (64 * 1024) /* usable stack of each G (fixed) */
#define GMP_MAXPROCS 64            /* most Ps gmp_start accepts */
#define GMP_RUNQ_SIZE 256          /* slots in a P's local ring (Go: 256) */
#define GMP_GLOBAL_EVERY 61        /* every 61st schedule looks at the global
                                      queue first (Go: schedtick%61 == 0) */
#define GMP_MAXM 256               /* most Ms (kernel threads that run Gs)
                                      one runtime starts; Go: 10000 */
#define GMP_TIMESLICE_NS 10000000LL /* a G running longer is preempted
                                       (Go: forcePreemptNS, 10 ms) */

typedef struct gmp_g gmp_g;

/* ================================================================== */
/* M1: the runtime, goroutines and the scheduler                       */
/* ================================================================== */

/* A kernel thread that is not an M, with no runtime up: make nprocs Ps
 * (1..GMP_MAXPROCS) and one M per P, all idle. 0; or -1 with errno EINVAL
 * (nprocs), EBUSY (a runtime is up), EPERM (called from a G), ENOMEM or
 * EAGAIN (nothing is left behind). */
int gmp_start(int nprocs);

/* The thread that called gmp_start: wait until every G has exited, then
 * stop and join the Ms and free everything (stacks included). 0; -1 with
 * EPERM from any other thread, ESRCH with no runtime up. */
int gmp_wait(void);

/* gmp_start(nprocs), gmp_go(fn, arg), gmp_wait(): returns once fn's G and
 * every G it (transitively) started have exited. 0, or -1 with errno. */
int gmp_run(int nprocs, void (*fn)(void *), void *arg);

/* Any thread while the runtime is up: a new G that will run fn(arg);
 * returning from fn is gmp_goexit(). From a G it goes to its P's runnext
 * slot (it runs next, the old runnext moves to the local ring); from
 * outside, to the global queue. An idle M is woken to look for it. The
 * handle is an identity only (reused after exit). NULL with errno ENOMEM,
 * ESRCH (no runtime up) or EINVAL (fn NULL). */
gmp_g *gmp_go(void (*fn)(void *), void *arg);

/* A G: go to the back of the GLOBAL queue and let the M run something
 * else (Go's Gosched). Returns when scheduled again, maybe on another M. */
void gmp_gosched(void);

/* A G: end this goroutine now (deferred nothing: there is no defer). */
__attribute__((noreturn)) void gmp_goexit(void);

/* Any thread: the running G's id (1, 2, ... in spawn order of one
 * gmp_start), or 0 outside a goroutine. */
long gmp_goid(void);

/* Any thread: index of the P the caller runs on (0..nprocs-1), or -1
 * outside a goroutine (and inside a gmp_entersyscall bracket: no P). */
int gmp_procid(void);

/* Counters since gmp_start, summed over the Ps. Valid while the runtime is
 * up and after gmp_wait until the next gmp_start. */
struct gmp_stats {
    unsigned long spawned;      /* gmp_go calls that made a G */
    unsigned long exited;       /* Gs that exited */
    long live;                  /* spawned - exited */
    unsigned long schedules;    /* Gs picked to run (schedticks) */
    unsigned long runnext_hits; /* picks that came from a runnext slot */
    unsigned long global_takes; /* picks that came from the global queue */
    unsigned long steals;       /* successful runqsteal calls */
    unsigned long stolen;       /* Gs moved by them */
    unsigned long overflows;    /* runqputslow: half a full ring to global */
    unsigned long m_parks;      /* times an M slept with nothing to run */
    unsigned long g_parks;      /* times a G parked (gopark) */
    unsigned long stacks;       /* stacks mapped now (0 after gmp_wait) */
    unsigned long timers_fired; /* timers that expired and were run */
    unsigned long polls;        /* epoll_wait calls that readied a G */
    unsigned long handoffs;     /* Ps sysmon retook from a G in a system
                                   call and handed on (handoffp) */
    unsigned long ms;           /* Ms started (nprocs at first) */
    unsigned long preemptions;  /* Gs switched off by sysmon's signal */
};

/* Any thread: copy the counters to *out. 0, or -1 with EINVAL (NULL) or
 * ESRCH (no runtime was ever started). */
int gmp_stats(struct gmp_stats *out);

/* ================================================================== */
/* M2: channels (chan.go)                                              */
/* ================================================================== */

typedef struct gmp_chan gmp_chan;

/* Any thread: a channel of elements of elemsize bytes (1..1024) with cap
 * buffered slots (0: unbuffered; at most 2^24). NULL with errno EINVAL (a
 * size out of those ranges) or ENOMEM. */
gmp_chan *gmp_chan_make(size_t elemsize, size_t cap);

/* A G: copy *elem into the channel; park until a receiver takes it
 * (unbuffered) or a slot is free (buffered). Panics on a closed channel,
 * also if it is closed while this G waits. */
void gmp_chan_send(gmp_chan *c, const void *elem);

/* A G: receive into *elem (NULL: discard); park until there is a value.
 * 1 with a value; 0 with *elem zeroed once the channel is closed and its
 * buffer is empty (Go's v, ok := <-c). */
int gmp_chan_recv(gmp_chan *c, void *elem);

/* Any thread: close; every parked receiver wakes with 0, every parked
 * sender panics. Panics if already closed. */
void gmp_chan_close(gmp_chan *c);

/* Any thread: values buffered now (len(c)), and cap(c). */
size_t gmp_chan_len(gmp_chan *c);
size_t gmp_chan_cap(gmp_chan *c);

/* Any thread, once no G uses c or waits on it: free it (NULL: nothing). */
void gmp_chan_free(gmp_chan *c);

/* ================================================================== */
/* M3: select (select.go)                                              */
/* ================================================================== */

enum gmp_dir { GMP_SEND = 1, GMP_RECV = 2 };

/* One case of a select: send *elem to c, or receive into elem (NULL:
 * discard). c NULL: a case that is never ready (Go: a nil channel). */
struct gmp_case {
    gmp_chan *c;
    enum gmp_dir dir;
    void *elem;
    int ok;        /* set for the chosen receive: 1 a value, 0 closed */
};

/* A G (any thread when block is 0): perform ONE of the n (1..64) cases
 * that can proceed and return its index; if several can, each is equally
 * likely (Go: a random pollorder). None ready: block 0 returns -1 at once
 * (Go's default), block 1 parks on every channel until one is. A send
 * case on a closed channel panics, as gmp_chan_send. n out of range: -1
 * with errno EINVAL. */
int gmp_select(struct gmp_case *cases, int n, int block);

/* ================================================================== */
/* M4: timers (time.go)                                                */
/* ================================================================== */

/* Times are CLOCK_MONOTONIC nanoseconds (Go's nanotime). */

/* A G: park until at least ns nanoseconds (from the call) have passed; its
 * M runs other Gs meanwhile (Go's time.Sleep). ns <= 0 yields as
 * gmp_gosched. Panics outside a goroutine. */
void gmp_sleep(long long ns);

/* Any thread while the runtime is up: a channel of capacity 1 whose one
 * value (a long long: the CLOCK_MONOTONIC time it fired, in ns) arrives
 * once ns have passed (Go's time.After); ns <= 0 fires at once. Free it
 * after its value was received, or after gmp_wait (which drops pending
 * timers). NULL with errno ESRCH (no runtime up) or ENOMEM. */
gmp_chan *gmp_after(long long ns);

/* ================================================================== */
/* M5: the netpoller (netpoll.go, netpoll_epoll.go)                    */
/* ================================================================== */

/* A G, on a NON-BLOCKING fd (O_NONBLOCK): the system call; where it would
 * block (EAGAIN) the G parks until epoll says the fd is ready, and its M
 * runs other Gs meanwhile. At most one G waits on an fd at a time. Results
 * and errno as the system call's; panics outside a goroutine. */
ssize_t gmp_read(int fd, void *buf, size_t n);

/* As gmp_read, but writes all n bytes (Go's fd.Write): n, or -1 with
 * errno (some bytes may have gone out). */
ssize_t gmp_write(int fd, const void *buf, size_t n);

/* As accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC): the new fd is
 * non-blocking, ready for gmp_read and gmp_write. */
int gmp_accept(int fd, struct sockaddr *addr, socklen_t *len);

/* As connect(2) on a non-blocking socket, but returns once the connection
 * is made or failed (it parks while it is in progress): 0 or -1. */
int gmp_connect(int fd, const struct sockaddr *addr, socklen_t len);

/* ================================================================== */
/* M6: system calls (proc.go: entersyscall, exitsyscall, sysmon)       */
/* ================================================================== */

/* A G, around a call that may block its kernel thread and that the
 * netpoller cannot help with (read of a blocking pipe, waitpid, a wait on
 * a condvar of the program's): gmp_entersyscall(); call; gmp_exitsyscall().
 * The M stays in the call with the G, but its P does not wait with it: a
 * P in a system call longer than one sysmon tick is handed to another M.
 * In between the G makes no other gmp_ call. Panics outside a goroutine
 * and on an unmatched or nested pair. */
void gmp_entersyscall(void);

/* A G, after gmp_entersyscall: get a P back (its own if sysmon did not
 * take it, else an idle one) and go on; with none free, wait in the global
 * queue (this M sleeps) and return once some M with a P runs the G. */
void gmp_exitsyscall(void);

/* ================================================================== */
/* M7: preemption (proc.go: preemptone; signal_unix.go: doSigPreempt)  */
/* ================================================================== */

/* While the runtime is up: a G that has run GMP_TIMESLICE_NS without
 * giving its M back is sent SIGURG and, at a safe point (its own code,
 * not the runtime's nor libc's), put on the global queue as by
 * gmp_gosched. gmp_set_preempt(0) turns that off for the runtime up now
 * (gmp_start turns it on); returns the previous setting, -1 with errno
 * ESRCH when no runtime is up. A build with ThreadSanitizer never
 * preempts (TSan holds async signals back to its own safe points), nor
 * does a run under valgrind (its sigreturn puts back the thread pointer
 * of the M the signal came to). */
int gmp_set_preempt(int on);

/* ================================================================== */
/* M2: WaitGroup (sync.WaitGroup)                                      */
/* ================================================================== */

typedef struct gmp_wg gmp_wg;

/* Any thread: a WaitGroup with counter 0, or NULL with errno ENOMEM. */
gmp_wg *gmp_wg_new(void);

/* Any thread: counter += delta; at 0 every G in gmp_wg_wait wakes. A
 * counter below 0 panics. gmp_wg_done(wg) is gmp_wg_add(wg, -1). */
void gmp_wg_add(gmp_wg *wg, long delta);
void gmp_wg_done(gmp_wg *wg);

/* A G: park until the counter is 0 (at once if it is). */
void gmp_wg_wait(gmp_wg *wg);

/* Any thread, once nobody waits: free it (NULL: nothing). */
void gmp_wg_free(gmp_wg *wg);

#endif
