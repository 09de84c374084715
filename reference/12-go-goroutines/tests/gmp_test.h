/*
 * gmp_test.h - helpers of the lab 12 tests (kit-owned).
 *
 * Goroutines never call tl_check: they note the first thing that went
 * wrong in the failbox `fb` and stop; the test's own thread reports it.
 * The test thread waits for goroutines by re-reading a counter or a flag
 * under a deadline (TL_WAIT_UNTIL / TL_WAIT_PROGRESS of tl_util.h) that
 * only turns a hang into a message: nothing sleeps to synchronise.
 */
#ifndef GMP_TEST_H
#define GMP_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "gmp.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

static struct tl_failbox fb = TL_FAILBOX_INIT;

/* A goroutine's complaint, kept if it is the first. */
#define G_FAIL(...) tl_fb_fail(&fb, __VA_ARGS__)

/* The test thread: until `cond`, or a goroutine complained; a deadline of
 * secs (stretched by tl_slow) fails with the message. */
#define AWAIT(cond, secs, ...) TL_FB_WAIT_UNTIL(&fb, cond, secs, __VA_ARGS__)

/* The test thread: until counter `now` reaches `target`; only `stall`
 * seconds without any progress fail (a lost wakeup stops progress for
 * good, a loaded machine only slows it). */
#define AWAIT_COUNT(now, target, stall, ...)                                  \
    TL_FB_WAIT_PROGRESS(&fb, now, target, stall, __VA_ARGS__)

static inline const char *gmp_hint(int e, const char *task)
{
    static __thread char buf[200];
    snprintf(buf, sizeof buf, "%s%s",
             e == ENOSYS ? "ENOSYS is the skeleton's stub. " : "", task);
    return buf;
}

#define START(n)                                                              \
    do {                                                                      \
        int st_rc_ = gmp_start(n);                                            \
        int st_e_ = errno;                                                    \
        tl_check(st_rc_ == 0,                                                 \
                 "gmp_start(%d) failed (errno %s), so nothing else can be "   \
                 "tested. Hint: %s", (n), tl_ename(st_e_),                    \
                 gmp_hint(st_e_, st_e_ == EBUSY                               \
                      ? "EBUSY: an earlier test in this process left its "    \
                        "runtime up; run this test alone (make run T=...)."   \
                      : "handout Task 1.7."));                                \
    } while (0)

#define GO(fn, arg)                                                           \
    do {                                                                      \
        gmp_g *go_g_ = gmp_go((fn), (arg));                                   \
        int go_e_ = errno;                                                    \
        tl_check(go_g_ != NULL, "gmp_go(%s) returned NULL (errno %s). "       \
                 "Hint: %s", #fn, tl_ename(go_e_),                            \
                 gmp_hint(go_e_, "handout Task 1.2."));                       \
    } while (0)

static inline long live_gs(void)
{
    struct gmp_stats s;
    return gmp_stats(&s) == 0 ? s.live : -1;
}

/* The test thread: every G must exit (within a deadline), then gmp_wait. */
#define FINISH(what)                                                          \
    do {                                                                      \
        AWAIT(live_gs() == 0, 20,                                             \
              "%s: goroutines still alive after 20 s (gmp_stats live = %ld)." \
              " A G parked and never woken, or an M sleeps with work "        \
              "queued. Hint: handout Tasks 1.5 and 2.1.", (what), live_gs()); \
        tl_check(gmp_wait() == 0, "gmp_wait() from the thread that called "   \
                 "gmp_start failed (errno %s). Hint: handout Task 1.7.",      \
                 tl_ename(errno));                                            \
    } while (0)

#define STATS(s)                                                              \
    tl_check(gmp_stats(&(s)) == 0, "gmp_stats failed (errno %s). Hint: %s",  \
             tl_ename(errno), gmp_hint(errno, "handout Task 1.7."))

/* ------------------------------------------------------------------ */
/* Fault injection, and the bytes mapped through mmap                 */
/* ------------------------------------------------------------------ */

/* lab.conf links every test with -Wl,--wrap= for the calls below, so the
 * runtime's own calls come here first. They go straight through unless
 * tl_fault_after(n) (tl_util.h) armed a fault on THIS kernel thread: then
 * the n-th of them fails once, as the real call can (ENOMEM; EAGAIN for
 * pthread_create). mmap and munmap also keep a count of the bytes mapped
 * through them: valgrind does not follow mmap, so a stack that is never
 * unmapped shows only there. */
void *__real_realloc(void *p, size_t size);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);
int __real_mprotect(void *addr, size_t len, int prot);
int __real_epoll_create1(int flags);
int __real_eventfd(unsigned int initval, int flags);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __wrap_munmap(void *addr, size_t len);
int __wrap_mprotect(void *addr, size_t len, int prot);
int __wrap_epoll_create1(int flags);
int __wrap_eventfd(unsigned int initval, int flags);

/* Bytes mapped by mmap minus bytes unmapped by munmap, whole pages (any
 * thread; relaxed: the test reads it once every thread that mapped has
 * been joined by gmp_wait). */
static atomic_long mapped_bytes;

static inline long page_round(size_t len)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (long)((len + pg - 1) / pg * pg);
}

TL_FAULT_WRAP_ALLOC();
TL_FAULT_WRAP_PTHREAD_CREATE();

void *__wrap_realloc(void *p, size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_realloc(p, size);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (tl_fault_errno(ENOMEM))
        return MAP_FAILED;
    void *r = __real_mmap(addr, len, prot, flags, fd, off);
    if (r != MAP_FAILED)
        atomic_fetch_add_explicit(&mapped_bytes, page_round(len), memory_order_relaxed);
    return r;
}

int __wrap_munmap(void *addr, size_t len)
{
    int r = __real_munmap(addr, len);
    if (r == 0)
        atomic_fetch_sub_explicit(&mapped_bytes, page_round(len), memory_order_relaxed);
    return r;
}

int __wrap_mprotect(void *addr, size_t len, int prot)
{
    return tl_fault_errno(ENOMEM) ? -1 : __real_mprotect(addr, len, prot);
}

int __wrap_epoll_create1(int flags)
{
    return tl_fault_errno(ENOMEM) ? -1 : __real_epoll_create1(flags);
}

int __wrap_eventfd(unsigned int initval, int flags)
{
    return tl_fault_errno(ENOMEM) ? -1 : __real_eventfd(initval, flags);
}

/* A goroutine's deadline: 1 once `secs` (times tl_slow) passed since the
 * first call with *t0 == 0. Ends loops that a broken runtime never ends. */
__attribute__((unused)) static int too_long(double *t0, double secs)
{
    if (*t0 == 0)
        *t0 = tl_now();
    return tl_now() - *t0 > secs * (double)tl_slow();
}

/* A goroutine: go fn((void *)i) for i = 0 .. n-1; a failure is noted. */
__attribute__((unused)) static void go_each(void (*fn)(void *), int n)
{
    for (int i = 0; i < n; i++)
        if (!gmp_go(fn, (void *)(intptr_t)i)) {
            G_FAIL("gmp_go from a goroutine returned NULL (errno %s). "
                   "Hint: handout Task 1.2.", tl_ename(errno));
            return;
        }
}

/* How a child ended, in words, for a message. */
__attribute__((unused)) static const char *child_end(const struct tl_child *c)
{
    static char buf[64];
    if (c->exited)
        snprintf(buf, sizeof buf, "exited with status %d", c->code);
    else if (c->signaled)
        snprintf(buf, sizeof buf, "died of signal %d", c->sig);
    else
        snprintf(buf, sizeof buf, "hung and was killed");
    return buf;
}

/* ------------------------------------------------------------------ */
/* Code expected to panic, run in a child process                     */
/* ------------------------------------------------------------------ */

struct dying {
    void (*body)(void);    /* runs in the child, stderr into a pipe */
    int fd;                /* the pipe's write end (child) */
};

static void dying_child(void *p)
{
    struct dying *d = p;
    dup2(d->fd, 2);
    d->body();
    _exit(0);
}

/* Run body in a child; 1 if it died of SIGABRT having printed `words` on
 * stderr. *how says what happened otherwise. */
__attribute__((unused)) static int dies_with(void (*body)(void),
                                             const char *words, char *how,
                                             size_t howlen)
{
    int pfd[2];
    if (pipe(pfd) != 0) {
        snprintf(how, howlen, "pipe failed");
        return 0;
    }
    struct dying d = {body, pfd[1]};
    struct tl_child ch;
    int rc = tl_run_in_child(dying_child, &d, 30 * (int)tl_slow(), &ch);
    close(pfd[1]);
    char err[2048];
    size_t n = 0;
    ssize_t k;
    while (n + 1 < sizeof err && (k = read(pfd[0], err + n, sizeof err - 1 - n)) > 0)
        n += (size_t)k;
    err[n] = 0;
    close(pfd[0]);
    if (rc != 0) {
        snprintf(how, howlen, "fork failed");
        return 0;
    }
    char *nl = strchr(err, '\n');
    if (nl)
        *nl = 0;
    if (ch.signaled && ch.sig == SIGABRT && strstr(err, words))
        return 1;
    snprintf(how, howlen, "%s, stderr \"%.300s\"", child_end(&ch), err);
    return 0;
}

/* The test thread: body (run in a child) must panic with `words`. */
#define EXPECT_PANIC(body, words, contract, legend)                           \
    do {                                                                      \
        char ep_how_[512];                                                    \
        if (!dies_with((body), (words), ep_how_, sizeof ep_how_))             \
            tl_fail("%s The child %s (%s).", (contract), ep_how_, (legend));  \
    } while (0)

#endif
