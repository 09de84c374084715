/*
 * tl_util.h - helpers that the tests of every lab use (kit-owned, not part
 * of any lab's API). Include it after tl_harness.h, from a test file or a
 * lab's test header. Everything here is static: each test program gets its
 * own copy, and one that does not use a helper pays nothing for it.
 *
 * Four groups:
 *   error codes       tl_ename, tl_expect_ok, tl_expect_rc
 *   first failure     struct tl_failbox: worker threads record, the main
 *                     thread reports (tl_check may only run on the thread
 *                     that runs the test)
 *   fault injection   a countdown per thread for calls the lab's code makes
 *                     through -Wl,--wrap=<fn> (lab.conf's ldflags)
 *   memory maps       the /proc/self/maps entry holding an address and the
 *                     one just below it (guard pages), the process's VmSize
 *   waiting           poll a condition with a deadline (tl_poll_until,
 *                     TL_WAIT_UNTIL) or until progress stalls
 *                     (TL_WAIT_PROGRESS): a hang becomes a message, and
 *                     nothing sleeps to synchronise; TL_FB_WAIT_* do the
 *                     same for a test whose workers report to a failbox
 *   threads           struct tl_thread: a pthread with a done flag the test
 *                     can wait for under a deadline
 */
#ifndef TL_UTIL_H
#define TL_UTIL_H

#include "tl_harness.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <time.h>

/* ================================================================== */
/* Error codes                                                         */
/* ================================================================== */

/* "EINVAL" for EINVAL, "0" for 0, "?" for a number glibc has no name for.
 * Any thread may call it; the string is static. */
static inline const char *tl_ename(int rc)
{
    const char *n = rc ? strerrorname_np(rc) : "0";
    return n ? n : "?";
}

/* Fail the test unless rc == 0. `what` names the call; `task` is a string
 * literal naming the handout task that implements it, quoted when rc is
 * ENOSYS (the skeleton's stub). Test thread only. */
#define tl_expect_ok(rc, what, task)                                          \
    tl_check((rc) == 0, "%s returned %d (%s), expected 0.%s", (what), (rc),    \
             tl_ename(rc),                                                    \
             (rc) == ENOSYS ? " ENOSYS is the skeleton's stub: do the TODOs "   \
                              "of " task " in the handout first." : "")

/* Fail the test unless rc == want; `why` says what the contract is.
 * Test thread only. */
#define tl_expect_rc(rc, want, what, why)                                     \
    tl_check((rc) == (want), "%s returned %d (%s), expected %s. %s", (what),   \
             (rc), tl_ename(rc), tl_ename(want), (why))

/* ================================================================== */
/* First failure of any thread                                         */
/* ================================================================== */

/* Threads other than the test's own never call tl_check: they record the
 * first thing that went wrong here and stop, and the test thread calls
 * tl_fb_report after joining them. Later failures are dropped: the first
 * one is the cause, the rest are usually its consequences. */
struct tl_failbox {
    pthread_mutex_t m;  /* guards msg while it is written */
    atomic_int failed;  /* 0 -> 1 once, under m; read without m
                           (seq_cst: a reader that sees 1 sees msg, since
                           the store follows the vsnprintf under m) */
    char msg[1024];     /* written once, under m, before failed = 1 */
};
#define TL_FAILBOX_INIT { PTHREAD_MUTEX_INITIALIZER, 0, "" }

/* Any thread: record a failure unless one is recorded already. */
__attribute__((format(printf, 2, 3), unused))
static void tl_fb_fail(struct tl_failbox *fb, const char *fmt, ...)
{
    pthread_mutex_lock(&fb->m);
    if (!atomic_load(&fb->failed)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(fb->msg, sizeof fb->msg, fmt, ap);
        va_end(ap);
        atomic_store(&fb->failed, 1);
    }
    pthread_mutex_unlock(&fb->m);
}

/* Any thread: 1 once a failure is recorded (workers use it to stop early). */
static inline int tl_fb_failed(struct tl_failbox *fb)
{
    return atomic_load(&fb->failed);
}

/* Test thread, after the threads that could record are joined or have
 * provably stopped: fail the test with the recorded message, if any. */
#define tl_fb_report(fb)                                                      \
    do {                                                                      \
        if (tl_fb_failed(fb))                                                 \
            tl_fail("%s", (fb)->msg);                                         \
    } while (0)

/* ================================================================== */
/* Fault injection                                                     */
/* ================================================================== */

/* A lab's lab.conf links its tests with -Wl,--wrap=malloc,... so that the
 * calls the lab's own code makes reach a __wrap_ function in the lab's test
 * header first (libc's internal calls do not). That function asks
 * tl_fault_now() whether this call is the one to fail, and if so fails it
 * the way the real function would (NULL/MAP_FAILED/-1 and an errno).
 *
 * The countdown is per kernel thread, so a test arms it on the thread that
 * will make the call, and other threads (the harness, helpers) are never
 * hit. tl_fault_after(n), n >= 1: the n-th wrapped call from now on this
 * thread fails, once; the calls before and after it succeed.
 * tl_fault_disarm(): turn it off; 1 if the fault fired. */
static __thread long tl_fault_countdown; /* this thread only; 0: off */
static __thread int tl_fault_fired;      /* this thread only */

__attribute__((unused)) static void tl_fault_after(long n)
{
    tl_fault_fired = 0;
    tl_fault_countdown = n;
}

__attribute__((unused)) static int tl_fault_disarm(void)
{
    tl_fault_countdown = 0;
    return tl_fault_fired;
}

/* From a __wrap_ function: 1 if this call must fail. */
__attribute__((unused)) static int tl_fault_now(void)
{
    if (tl_fault_countdown > 0 && --tl_fault_countdown == 0) {
        tl_fault_fired = 1;
        return 1;
    }
    return 0;
}

/* The same, setting errno = err when the call must fail (for functions
 * that report their error in errno: malloc, mmap, mprotect, ...). */
__attribute__((unused)) static int tl_fault_errno(int err)
{
    if (!tl_fault_now())
        return 0;
    errno = err;
    return 1;
}

/* The usual wrappers, one line each in a lab's test header (which one
 * test program includes once): malloc and calloc fail with ENOMEM,
 * pthread_create returns EAGAIN, when tl_fault_now() says so. The lab's
 * lab.conf must pass the matching -Wl,--wrap=NAME. */
#define TL_FAULT_WRAP_ALLOC()                                                 \
    void *__real_malloc(size_t size);                                         \
    void *__real_calloc(size_t n, size_t size);                               \
    void *__wrap_malloc(size_t size);                                         \
    void *__wrap_calloc(size_t n, size_t size);                               \
    void *__wrap_malloc(size_t size)                                          \
    {                                                                         \
        return tl_fault_errno(ENOMEM) ? NULL : __real_malloc(size);           \
    }                                                                         \
    void *__wrap_calloc(size_t n, size_t size)                                \
    {                                                                         \
        return tl_fault_errno(ENOMEM) ? NULL : __real_calloc(n, size);        \
    }                                                                         \
    struct tl_fault_wrap_alloc_semicolon_

#define TL_FAULT_WRAP_PTHREAD_CREATE()                                        \
    int __real_pthread_create(pthread_t *t, const pthread_attr_t *a,          \
                              void *(*fn)(void *), void *arg);                \
    int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a,          \
                              void *(*fn)(void *), void *arg);                \
    int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a,          \
                              void *(*fn)(void *), void *arg)                 \
    {                                                                         \
        return tl_fault_now() ? EAGAIN : __real_pthread_create(t, a, fn, arg);\
    }                                                                         \
    struct tl_fault_wrap_create_semicolon_

/* ================================================================== */
/* What the process holds                                              */
/* ================================================================== */

/* Entries of a /proc directory, . and .. left out: the threads of this
 * process in /proc/self/task, its open fds in /proc/self/fd; -1 if it
 * cannot be read. Any thread that may call opendir. */
__attribute__((unused)) static int tl_proc_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Open file descriptors of this process, less the one that counts them;
 * -1 if /proc/self/fd cannot be read. */
__attribute__((unused)) static int tl_open_fds(void)
{
    int n = tl_proc_entries("/proc/self/fd");
    return n < 0 ? -1 : n - 1;
}

/* ================================================================== */
/* Memory maps                                                         */
/* ================================================================== */

/* What /proc/self/maps says about one address: the mapping holding it and,
 * if one ends exactly where that one starts, the mapping just below (where
 * a stack's guard page is). Set addr, zero the rest, call tl_maps_look. */
struct tl_map_look {
    uintptr_t addr;      /* in: the address to look up */
    int found;           /* a mapping holds addr */
    uintptr_t lo, hi;    /* that mapping: [lo, hi) */
    char perms[8];       /* its permissions, e.g. "rw-p" */
    int below_found;     /* a mapping ends exactly at lo */
    uintptr_t blo, bhi;  /* that one: [blo, bhi) */
    char bperms[8];      /* its permissions, e.g. "---p" for a guard */
    char bname[128];     /* its path or [name], "" if anonymous */
};

/* Any thread that may call stdio (not a raw clone thread). */
__attribute__((unused)) static void tl_maps_look(struct tl_map_look *m)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return;
    char line[512];
    struct { uintptr_t lo, hi; char perms[8]; char name[128]; } prev = {0, 0, "", ""};
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8], name[128] = "";
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %127s", &lo, &hi, perms, name) < 3)
            continue;
        if (m->addr >= lo && m->addr < hi) {
            m->found = 1;
            m->lo = lo;
            m->hi = hi;
            snprintf(m->perms, sizeof m->perms, "%s", perms);
            if (prev.hi == lo) {
                m->below_found = 1;
                m->blo = prev.lo;
                m->bhi = prev.hi;
                snprintf(m->bperms, sizeof m->bperms, "%s", prev.perms);
                snprintf(m->bname, sizeof m->bname, "%s", prev.name);
            }
        }
        prev.lo = lo;
        prev.hi = hi;
        snprintf(prev.perms, sizeof prev.perms, "%s", perms);
        snprintf(prev.name, sizeof prev.name, "%s", name);
    }
    fclose(f);
}

/* This process's virtual size in KiB (VmSize of /proc/self/status); -1 if
 * it cannot be read. Any thread that may call stdio. */
__attribute__((unused)) static long tl_vm_size_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    long kib = -1;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

/* Recurse with 512-byte frames, about 5 GB deep, so it never returns on a
 * stack of any sane size: it runs into whatever lies below the stack. With
 * a guard page there, that is a SIGSEGV; run it in a child
 * (tl_run_in_child) and check how the child died. Plain C: a raw clone
 * thread may call it. */
__attribute__((noinline, unused)) static int tl_overflow_stack(int depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    frame[511] = (char)depth;
    if (depth > 10 * 1000 * 1000)
        return frame[0];
    return tl_overflow_stack(depth + 1) + frame[511];
}

/* ================================================================== */
/* Waiting for a condition                                             */
/* ================================================================== */

/* Call pred(arg) until it returns non-zero or `secs` (as given: the caller
 * scales by tl_slow() where it should) have passed, yielding between
 * calls; the last value of pred. For the test's own thread. */
__attribute__((unused)) static int tl_poll_until(int (*pred)(void *), void *arg, double secs)
{
    double end = tl_now() + secs;
    for (;;) {
        if (pred(arg))
            return 1;
        if (tl_now() > end)
            return pred(arg);
        sched_yield();
    }
}

/* Re-read `cond` every millisecond until it holds or `secs` (times
 * tl_slow()) have passed; the value of cond at the end. The millisecond
 * sleep leaves the CPU to the threads being waited for (two cores, one of
 * them loaded). For the test's own kernel thread. */
#define TL_WAIT_UNTIL(cond, secs)                                             \
    ({                                                                        \
        double wu_end_ = tl_now() + (double)(secs) * (double)tl_slow();       \
        int wu_ok_;                                                           \
        while (!(wu_ok_ = !!(cond)) && tl_now() < wu_end_) {                  \
            struct timespec wu_ts_ = {0, 1000000};                            \
            nanosleep(&wu_ts_, NULL);                                         \
        }                                                                     \
        wu_ok_;                                                               \
    })

/* Wait until the counter `now` (an expression, re-read every millisecond)
 * reaches `target`. 1 when it does; 0 when it stops moving for `stall`
 * seconds (times tl_slow()). The kit's rule for lost-wakeup tests: a lost
 * wakeup stops progress for good, a loaded machine only slows it down, so
 * only a stall is a failure, never the total time taken. */
#define TL_WAIT_PROGRESS(now, target, stall)                                  \
    ({                                                                        \
        long wp_last_ = (long)(now);                                          \
        int wp_ok_;                                                           \
        for (;;) {                                                            \
            long wp_seen_ = wp_last_;                                         \
            int wp_moved_ = TL_WAIT_UNTIL((wp_seen_ = (long)(now)) != wp_last_\
                                              || wp_seen_ >= (long)(target),  \
                                          (stall));                           \
            if (wp_seen_ >= (long)(target)) {                                 \
                wp_ok_ = 1;                                                   \
                break;                                                        \
            }                                                                 \
            if (!wp_moved_) {                                                 \
                wp_ok_ = 0;                                                   \
                break;                                                        \
            }                                                                 \
            wp_last_ = wp_seen_;                                              \
        }                                                                     \
        wp_ok_;                                                               \
    })

/* The two waits above for a test whose threads report to the failbox fb:
 * the wait also ends once a worker has failed, and the test fails with the
 * worker's message if one failed (whether or not the wait succeeded), else
 * with the caller's message (printf-style, after the wait's arguments) if
 * the wait did not succeed. Test thread only.
 *   TL_FB_WAIT_UNTIL(fb, cond, secs, fmt, ...)
 *   TL_FB_WAIT_PROGRESS(fb, now, target, stall, fmt, ...)               */
#define TL_FB_WAIT_UNTIL(fb, cond, secs, ...)                                 \
    do {                                                                      \
        int fwu_ok_ = TL_WAIT_UNTIL((cond) || tl_fb_failed(fb), (secs));      \
        tl_fb_report(fb);                                                     \
        if (!fwu_ok_ || !(cond))                                              \
            tl_fail(__VA_ARGS__);                                             \
    } while (0)

#define TL_FB_WAIT_PROGRESS(fb, now, target, stall, ...)                      \
    do {                                                                      \
        int fwp_ok_ = TL_WAIT_PROGRESS((now), (target), (stall));             \
        tl_fb_report(fb);                                                     \
        if (!fwp_ok_)                                                         \
            tl_fail(__VA_ARGS__);                                             \
    } while (0)

/* ================================================================== */
/* Threads the test can wait for                                       */
/* ================================================================== */

/* A pthread running fn(arg) whose `done` turns 1 (seq_cst) when fn has
 * returned, so the test can wait for it under a deadline (TL_WAIT_UNTIL on
 * tl_threads_done) before it joins: a hung thread becomes a message, not a
 * test killed by its timeout. */
struct tl_thread {
    pthread_t tid;      /* set by tl_thread_start, joined by tl_threads_join */
    void *(*fn)(void *);
    void *arg;
    atomic_int done;    /* 0 -> 1 once, by the thread, after fn returned */
};

static inline void *tl_thread_main_(void *p)
{
    struct tl_thread *t = p;
    t->fn(t->arg);
    atomic_store(&t->done, 1);
    return NULL;
}

/* Test thread: start t running fn(arg); fails the test if the thread
 * cannot be created. */
static inline void tl_thread_start(struct tl_thread *t, void *(*fn)(void *), void *arg)
{
    t->fn = fn;
    t->arg = arg;
    atomic_store(&t->done, 0);
    int rc = pthread_create(&t->tid, NULL, tl_thread_main_, t);
    tl_check(rc == 0, "the test could not create a thread: %s", tl_ename(rc));
}

/* Any thread: 1 when all n threads of t have returned from their fn. */
static inline int tl_threads_done(struct tl_thread *t, int n)
{
    for (int i = 0; i < n; i++)
        if (!atomic_load(&t[i].done))
            return 0;
    return 1;
}

/* Test thread: join n threads (wait for tl_threads_done first if one may
 * hang). */
static inline void tl_threads_join(struct tl_thread *t, int n)
{
    for (int i = 0; i < n; i++)
        pthread_join(t[i].tid, NULL);
}

#endif
