/*
 * wt_test.h - helpers shared by lab 11's tests (not part of the API).
 *
 * Test threads are Win32 threads; a worker never calls tl_fail (cmocka
 * unwinds only the test's thread): it stores its first failure in a
 * wt_failbox and stops, and the test reports it after the wait. Waiting is
 * polling under a deadline that only turns a hang into a message.
 */
#ifndef WT_TEST_H
#define WT_TEST_H

#include "tl_harness.h"
#include "wt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *wt_errname(int rc)
{
    switch (rc) {
    case 0: return "0";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EPIPE: return "EPIPE";
    case EAGAIN: return "EAGAIN";
    case ENOSYS: return "ENOSYS";
    default: return "an unexpected value";
    }
}

/* Heap blocks held, counted by wrappers of the C allocator (lab.conf links
 * the tests with -Wl,--wrap=malloc,calloc,free: every call in the lab's
 * code, the tests and cmocka goes through them). A test compares the count
 * before and after a piece of work: no valgrind runs under Wine, so this is
 * how a leak is seen. wt_fail_alloc_after(n) makes the n-th allocation
 * from now (1 = the next) return NULL, once. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void __real_free(void *p);
static volatile LONG wt_blocks;
static volatile LONG wt_alloc_countdown;

static inline int wt_alloc_fails_now(void)
{
    return wt_alloc_countdown > 0 && InterlockedDecrement(&wt_alloc_countdown) == 0;
}

void *__wrap_malloc(size_t n);
void *__wrap_malloc(size_t n)
{
    void *p = wt_alloc_fails_now() ? NULL : __real_malloc(n);
    if (p)
        InterlockedIncrement(&wt_blocks);
    return p;
}

void *__wrap_calloc(size_t k, size_t n);
void *__wrap_calloc(size_t k, size_t n)
{
    void *p = wt_alloc_fails_now() ? NULL : __real_calloc(k, n);
    if (p)
        InterlockedIncrement(&wt_blocks);
    return p;
}

void __wrap_free(void *p);
void __wrap_free(void *p)
{
    if (p)
        InterlockedDecrement(&wt_blocks);
    __real_free(p);
}

static inline long wt_heap_blocks(void)
{
    return wt_blocks;
}

static inline void wt_fail_alloc_after(long n)
{
    InterlockedExchange(&wt_alloc_countdown, n);
}

/* The blocks held now must be `before`: what the work allocated, it freed. */
#define wt_expect_no_leak(before, what)                                                   \
    tl_check(wt_heap_blocks() == (before), "%s: %ld heap block(s) more than before. "     \
             "Free what you allocate (the handle array, the slots, a fiber's record, "    \
             "a TLS/FLS box) once it is no longer needed.", (what),                       \
             wt_heap_blocks() - (long)(before))

/* rc must be 0; ENOSYS says which task is still to do. */
#define wt_expect_ok(rc, what, task)                                                      \
    do {                                                                                  \
        int wt_rc_ = (rc);                                                                \
        tl_check(wt_rc_ != ENOSYS, "%s returned ENOSYS: not written yet. Do %s "          \
                 "(the TODOs in that file, the handout's section of the same name).",     \
                 (what), (task));                                                         \
        tl_check(wt_rc_ == 0, "%s returned %d (%s), expected 0.", (what), wt_rc_,         \
                 wt_errname(wt_rc_));                                                     \
    } while (0)

/* rc must be want. */
#define wt_expect_rc(rc, want, what, hint)                                                \
    do {                                                                                  \
        int wt_rc_ = (rc);                                                                \
        tl_check(wt_rc_ != ENOSYS || (want) == ENOSYS, "%s returned ENOSYS: not written "  \
                 "yet (the TODOs of its task in src/).", (what));                          \
        tl_check(wt_rc_ == (want), "%s returned %d (%s), expected %s. %s", (what), wt_rc_, \
                 wt_errname(wt_rc_), wt_errname(want), (hint));                           \
    } while (0)

/* The first failure of a worker thread, reported by the test's thread. */
struct wt_failbox {
    volatile LONG failed;
    char msg[512];
};

static inline void wt_fb_fail(struct wt_failbox *fb, const char *fmt, ...)
{
    if (InterlockedCompareExchange(&fb->failed, 1, 0) != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fb->msg, sizeof fb->msg, fmt, ap);
    va_end(ap);
    InterlockedExchange(&fb->failed, 2);
}

static inline void wt_fb_report(struct wt_failbox *fb)
{
    tl_check(fb->failed == 0, "%s", fb->failed == 2 ? fb->msg : "a worker failed");
}

/* A counter of q's sleepers (&q->nget_waiting, &q->nput_waiting), read
 * under q's lock. */
static inline int wt_bq_sleepers(struct wt_bqueue *q, const int *field)
{
    AcquireSRWLockExclusive(&q->lock);
    int n = *field;
    ReleaseSRWLockExclusive(&q->lock);
    return n;
}

/* Start fn(arg) on a test thread. */
static inline HANDLE wt_start(LPTHREAD_START_ROUTINE fn, void *arg)
{
    HANDLE h = CreateThread(NULL, 0, fn, arg, 0, NULL);
    tl_check(h != NULL, "CreateThread failed (GetLastError %lu): the test cannot run",
             (unsigned long)GetLastError());
    return h;
}

/* Wait for a test thread with a deadline; 1 when it ended (handle closed). */
static inline int wt_join_within(HANDLE h, double secs)
{
    DWORD ms = (DWORD)(secs * 1000.0 * (double)tl_slow());
    if (WaitForSingleObject(h, ms) != WAIT_OBJECT_0)
        return 0;
    CloseHandle(h);
    return 1;
}

/* Poll cond (read under whatever lock it needs) until true or the deadline:
 * the deadline only turns a hang into a message. 1 when cond became true. */
#define WT_WAIT_UNTIL(cond, secs)                                                         \
    ({                                                                                    \
        double wt_end_ = tl_now() + (secs) * (double)tl_slow();                           \
        int wt_ok_ = 0;                                                                   \
        for (;;) {                                                                        \
            if (cond) { wt_ok_ = 1; break; }                                              \
            if (tl_now() > wt_end_) break;                                                \
            SwitchToThread();                                                             \
            Sleep(1); /* polling interval, not a synchronisation */                       \
        }                                                                                 \
        wt_ok_;                                                                           \
    })

#endif
