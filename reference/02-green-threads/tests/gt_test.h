/*
 * gt_test.h - helpers shared by the lab 02 test files (kit-owned).
 */
#ifndef GT_TEST_H
#define GT_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "gt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Start a scheduler on this kernel thread, or fail with a hint. */
#define GT_START()                                                            \
    tl_check(gt_init() == 0,                                                  \
             "gt_init() failed (errno %d: %s), so nothing else can be "       \
             "tested. Hint: %s", errno, strerror(errno),                      \
             errno == EBUSY                                                   \
                 ? "EBUSY: an earlier test in this process failed and left "  \
                   "its scheduler behind; run this test alone with "          \
                   "make run T=<name>."                                       \
                 : "handout Task 4 (gt_init in src/gt.c).")

/* Stop it: every spawned thread must have exited by then. */
#define GT_STOP()                                                             \
    tl_check(gt_fini() == 0,                                                  \
             "gt_fini() from the main green thread failed (errno %d: %s). "   \
             "Hint: handout Task 5.6.", errno, strerror(errno))

/* Spawn or fail with the reason. */
#define GT_SPAWN(id, fn, arg, size)                                           \
    do {                                                                      \
        (id) = gt_spawn((fn), (arg), (size));                                 \
        tl_check((id) > 0,                                                    \
                 "gt_spawn(%s, stack %zu) returned %d (errno %d: %s). "       \
                 "Hint: handout Tasks 2-4.", #fn, (size_t)(size), (int)(id),  \
                 errno, strerror(errno));                                     \
    } while (0)

/* Join or fail with the reason. */
#define GT_JOIN(id, retp)                                                     \
    do {                                                                      \
        int gt_rc_ = gt_join((id), (retp));                                   \
        tl_check(gt_rc_ == 0,                                                 \
                 "gt_join(%d) returned %d (errno %d: %s) for a live, "        \
                 "joinable thread. Hint: handout Task 5.5.", (int)(id),       \
                 gt_rc_, errno, strerror(errno));                             \
    } while (0)


/* ------------------------------------------------------------------ */
/* Fault injection: out of memory on demand                           */
/* ------------------------------------------------------------------ */

/* lab.conf links every test program with -Wl,--wrap=malloc,calloc,realloc,
 * mmap,mprotect (and clock_gettime, below): the calls your code makes to
 * those functions come here first (libc's own calls do not). By default they go straight through to
 * the real function. tl_fault_after(n) arms a fault on THIS kernel thread:
 * the n-th wrapped call from now fails with ENOMEM (NULL or MAP_FAILED or
 * -1), once; the calls before and after it succeed. tl_fault_disarm()
 * turns it off and says whether the fault was injected. */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_mprotect(void *addr, size_t len, int prot);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __wrap_mprotect(void *addr, size_t len, int prot);

void *__wrap_malloc(size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_realloc(p, size);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return tl_fault_errno(ENOMEM) ? MAP_FAILED : __real_mmap(addr, len, prot, flags, fd, off);
}

/* Set when mprotect is called on MAP_FAILED: a failed mmap went unnoticed. */
static __thread int gt_fault_mprotect_failed_map;

int __wrap_mprotect(void *addr, size_t len, int prot)
{
    if (addr == MAP_FAILED)
        gt_fault_mprotect_failed_map = 1;
    return tl_fault_errno(ENOMEM) ? -1 : __real_mprotect(addr, len, prot);
}

/* A clock the test controls: with --wrap=clock_gettime, gt_clock_set(ns)
 * makes every CLOCK_MONOTONIC reading on THIS kernel thread return ns
 * until the next gt_clock_set, or gt_clock_real(). Other clocks, and the
 * real one by default, go straight through. */
#include <time.h>

int __real_clock_gettime(clockid_t clk, struct timespec *ts);
int __wrap_clock_gettime(clockid_t clk, struct timespec *ts);

static __thread int gt_clock_fake;
static __thread unsigned long long gt_clock_ns;

__attribute__((unused)) static void gt_clock_set(unsigned long long ns)
{
    gt_clock_ns = ns;
    gt_clock_fake = 1;
}

__attribute__((unused)) static void gt_clock_real(void)
{
    gt_clock_fake = 0;
}

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
    if (gt_clock_fake && clk == CLOCK_MONOTONIC) {
        ts->tv_sec = (time_t)(gt_clock_ns / 1000000000ull);
        ts->tv_nsec = (long)(gt_clock_ns % 1000000000ull);
        return 0;
    }
    return __real_clock_gettime(clk, ts);
}

#endif
