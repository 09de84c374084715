/*
 * tl_perturb.c - schedule perturbation for stress runs.
 *
 * Every test binary is linked with -Wl,--wrap for the pthread calls below
 * (grader/mk/lab.mk), so the lab's calls and the tests' own go through
 * these wrappers. They do nothing unless TL_PERTURB=1: then, at each lock,
 * unlock, condition wait and wake-up, a per-thread generator seeded from
 * TL_SEED sometimes yields the CPU and now and then pauses a few
 * microseconds. Interleavings that a quiet machine almost never produces
 * (a thread preempted right after taking a lock, a waker running before the
 * waiter has re-checked its predicate) then show in a few runs.
 *
 * A user-level scheduler, where no kernel call decides the order, asks
 * tl_perturb_pick() which of its runnable threads to run next instead; in a
 * single kernel thread the seed then replays the same schedule exactly.
 * Every decision is folded into a per-thread trace hash, which the harness
 * prints after a perturbed --run: two runs with the same seed that print
 * the same trace made the same choices.
 */
#define _GNU_SOURCE
#include "tl_harness.h"
#include "../include/tl_proto.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* 0 off, 1 on: read from the environment by a constructor, before main
 * and so before any thread exists; read-only afterwards (a plain int, which
 * race detectors rightly see as race-free). */
static int enabled;
static atomic_ulong perturbed;      /* how many points did something */
static atomic_ulong thread_serial;  /* gives each thread its own stream */
static __thread struct tl_rng rng;
static __thread int rng_ready;
static __thread uint64_t trace = 0xcbf29ce484222325ull; /* this thread's decisions */

__attribute__((constructor)) static void perturb_read_env(void)
{
    const char *v = getenv("TL_PERTURB");
    enabled = v && *v && *v != '0';
}

static int perturb_on(void)
{
    return enabled;
}

int tl_perturb_enabled(void)
{
    return enabled;
}

/* This thread's generator, seeded on first use. The serial numbers follow
 * the order in which threads first reach a point, so only a process with a
 * single perturbed thread replays exactly. */
static struct tl_rng *my_rng(void)
{
    if (!rng_ready) {
        const char *s = getenv(TL_ENV_SEED);
        uint64_t seed = s ? strtoull(s, NULL, 0) : 1;
        uint64_t serial = atomic_fetch_add_explicit(&thread_serial, 1, memory_order_relaxed);
        tl_rng_init(&rng, seed ^ (serial * 0x9E3779B97F4A7C15ull));
        rng_ready = 1;
    }
    return &rng;
}

/* Fold one decision (what was drawn, out of how many) into the trace
 * (FNV-1a over the two words). */
static void record(uint64_t drawn, uint64_t out_of)
{
    uint64_t w[2] = {drawn, out_of};
    const unsigned char *b = (const unsigned char *)w;
    for (size_t i = 0; i < sizeof w; i++)
        trace = (trace ^ b[i]) * 0x100000001b3ull;
}

unsigned tl_perturb_pick(unsigned n)
{
    if (n < 2 || !perturb_on())
        return 0;
    struct tl_rng *g = my_rng();
    unsigned pick = 0;
    if (tl_rng_below(g, 4) == 0) /* 1 in 4: not the head */
        pick = 1 + (unsigned)tl_rng_below(g, n - 1);
    record(pick, n);
    if (pick)
        atomic_fetch_add_explicit(&perturbed, 1, memory_order_relaxed);
    return pick;
}

uint64_t tl_perturb_trace(void)
{
    return trace;
}

int tl_perturb_point(void)
{
    if (!perturb_on())
        return 0;
    uint64_t r = tl_rng_below(my_rng(), 64);
    record(r, 64);
    if (r < 8) {                       /* 1 in 8: give the CPU away */
        sched_yield();
    } else if (r == 8) {               /* 1 in 64: a short pause */
        struct timespec ts = {0, 1000 + (long)tl_rng_below(&rng, 50000)};
        nanosleep(&ts, NULL);
    } else {
        return 0;
    }
    atomic_fetch_add_explicit(&perturbed, 1, memory_order_relaxed);
    return 1;
}

unsigned long tl_perturb_count(void)
{
    return atomic_load_explicit(&perturbed, memory_order_relaxed);
}

/* ---------------- waiters delayed on their way to sleep ---------------- */

/* relaxed, all three: switches a test thread flips while no wait it cares
 * about is in progress; a wait that reads a stale value is only (un)delayed. */
static atomic_long wait_delay_ns;
static atomic_int wait_delay_who;     /* TL_DELAY_ALL, _OTHERS or _SELF */
static atomic_ulong wait_delay_thread; /* the pthread_t _OTHERS/_SELF name */

void tl_delay_waits(long ns, int who)
{
    atomic_store_explicit(&wait_delay_thread, (unsigned long)pthread_self(), memory_order_relaxed);
    atomic_store_explicit(&wait_delay_who, who, memory_order_relaxed);
    atomic_store_explicit(&wait_delay_ns, ns > 0 ? ns : 0, memory_order_relaxed);
}

static void wait_delay(void)
{
    long ns = atomic_load_explicit(&wait_delay_ns, memory_order_relaxed);
    if (ns <= 0)
        return;
    int who = atomic_load_explicit(&wait_delay_who, memory_order_relaxed);
    if (who != TL_DELAY_ALL) {
        int me = pthread_equal((pthread_t)atomic_load_explicit(&wait_delay_thread, memory_order_relaxed),
                               pthread_self());
        if (me == (who == TL_DELAY_OTHERS))
            return;
    }
    double end = tl_now() + (double)ns * 1e-9;
    while (tl_now() < end)
        sched_yield(); /* not a sleep: on a CPU of its own the thread stays
                        * on it; on a shared one the waker gets to run now */
}

/* ---------------- the wrapped calls ---------------- */

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __real_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __real_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                  const struct timespec *t);
int __real_pthread_cond_signal(pthread_cond_t *c);
int __real_pthread_cond_broadcast(pthread_cond_t *c);

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    tl_perturb_point();
    int r = __real_pthread_mutex_lock(m);
    tl_perturb_point(); /* just inside the critical section */
    return r;
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m)
{
    tl_perturb_point();
    return __real_pthread_mutex_trylock(m);
}

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
    int r = __real_pthread_mutex_unlock(m);
    tl_perturb_point(); /* just after leaving: let another thread in */
    return r;
}

int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    wait_delay(); /* lock held, predicate read, not yet asleep */
    int r = __real_pthread_cond_wait(c, m);
    tl_perturb_point(); /* woken, lock held, predicate not yet re-read */
    return r;
}

int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                  const struct timespec *t)
{
    wait_delay();
    int r = __real_pthread_cond_timedwait(c, m, t);
    tl_perturb_point();
    return r;
}

int __wrap_pthread_cond_signal(pthread_cond_t *c)
{
    tl_perturb_point();
    return __real_pthread_cond_signal(c);
}

int __wrap_pthread_cond_broadcast(pthread_cond_t *c)
{
    tl_perturb_point();
    return __real_pthread_cond_broadcast(c);
}
